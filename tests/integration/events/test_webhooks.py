"""Webhooks against a real HTTP receiver on loopback: signed, retried, ordered, never doubled."""

from __future__ import annotations

import asyncio
import math
import socket
import threading
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.conftest import LiveServer, ThreadedServer, create_key, settings_for
from tests.integration.events.test_events import read_all
from tests.integration.helpers import assert_problem, create_article, example_url, wait_until


class Receiver(ThreadedServer):
    """A webhook endpoint: records every request it answers with 200; answers with the queued
    statuses, then 200, after the queued delays (``math.inf``: no answer until it stops)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.delays: list[float] = []
        self.stopping = threading.Event()
        super().__init__(self.app, interface="asgi3")
        self.hook = f"{self.url}/hook"

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        delay = self.delays.pop(0) if self.delays else 0.0
        if delay == math.inf:
            await asyncio.to_thread(self.stopping.wait)
        elif delay:
            await asyncio.sleep(delay)
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            self.received.append((headers, body))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def events(self) -> list[dict[str, Any]]:
        return [msgspec.json.decode(body) for _, body in self.received]

    def stop(self) -> None:
        self.stopping.set()  # the server waits for requests still held
        super().stop()


# The receivers listen on loopback, which the API reaches only where the allow-list names it.
LOOPBACK = ("127.0.0.1",)


def sender(database_url: str, **overrides: Any) -> LiveServer:
    options: dict[str, Any] = {
        "webhook_delivery": True,
        "outbound_allow": LOOPBACK,
        "webhook_backoff_base": 0.1,
        "webhook_backoff_max": 0.5,
        "webhook_poll_seconds": 0.1,
        "webhook_timeout": 10.0,  # a busy machine answers late; a timeout would send twice
        "webhook_max_attempts": 4,
        **overrides,
    }
    return LiveServer(settings_for(database_url, **options)).start()


@pytest.fixture
def sending_server(database_url: str) -> Iterator[LiveServer]:
    """A server that sends deliveries, for one test: outside it nothing sends."""
    server = sender(database_url)
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


async def deliveries_of(client: httpx.AsyncClient, webhook_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/webhooks/{webhook_id}/deliveries", params={"limit": 500})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def settled(
    client: httpx.AsyncClient, webhook_id: str, count: int | None = None
) -> list[dict[str, Any]]:
    """The webhook's deliveries once none is pending (and there are ``count``): the sender records
    an outcome after the receiver has the request, so wait for the record, not the request."""

    async def final() -> list[dict[str, Any]]:
        items = await deliveries_of(client, webhook_id)
        done = items and all(d["status"] != "pending" for d in items) and count in (None, len(items))
        return items if done else []

    return await wait_until(final, what=f"the deliveries of webhook {webhook_id} are final")


async def feed_listing(
    client: httpx.AsyncClient, cursor: str, deliveries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The feed after ``cursor`` once it lists the events of these deliveries: a transaction still
    running (the sender's holds its locks while it sends) holds the feed back until it ends."""
    wanted = {d["event_id"] for d in deliveries}

    async def listing() -> list[dict[str, Any]]:
        feed, _ = await read_all(client, cursor)
        return feed if wanted <= {e["id"] for e in feed} else []

    return await wait_until(listing, what="the feed lists every delivered event")


@pytest.fixture(scope="module")
async def admin(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a server (sending nothing) whose allow-list names loopback, where the
    receivers are: the shared server refuses to register them."""
    server = LiveServer(settings_for(database_url, outbound_allow=LOOPBACK)).start()
    key = await create_key(database_url, f"hooks-{uuid.uuid4().hex[:6]}", ["read", "write", "admin"])
    try:
        async with httpx.AsyncClient(
            base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {key}"}
        ) as http:
            yield http
    finally:
        server.stop()


@pytest.fixture
async def subscribe(admin: httpx.AsyncClient) -> AsyncIterator[Any]:
    made: list[str] = []

    async def make(url: str, event_types: list[str] | None = None) -> dict[str, Any]:
        response = await admin.post("/v1/webhooks", json={"url": url, "event_types": event_types or []})
        assert response.status_code == 201, response.text
        made.append(response.json()["webhook"]["id"])
        result: dict[str, Any] = response.json()
        return result

    yield make
    for webhook_id in made:
        await admin.delete(f"/v1/webhooks/{webhook_id}")


async def newsroom_workflow(client: httpx.AsyncClient) -> dict[str, Any]:
    article = await create_article(
        client,
        body="Die Stadt verspricht 12 neue Linien bis 2030. Der Bürgermeister sagte das am Montag.",
        claims=[
            {"text": "12 new lines", "quote": "12 neue Linien"},
            {"text": "Mayor said it", "quote": "Der Bürgermeister sagte das"},
        ],
    )
    claims = (await client.get(f"/v1/articles/{article['id']}/claims")).json()["items"]
    for claim in claims:
        await client.post(
            f"/v1/claims/{claim['id']}/verifications",
            json={
                "status": "verified",
                "sources": [{"source": {"url": example_url("s")}, "relation": "supports"}],
            },
        )
        await client.patch(f"/v1/claims/{claim['id']}", json={"tags": ["checked"]})
    await client.post(
        f"/v1/claims/{claims[0]['id']}/verifications", json={"status": "in_review", "note": "again"}
    )
    return article


async def test_a_subscriber_receives_every_change_signed_and_in_order(
    client: httpx.AsyncClient, sending_server: LiveServer, receiver: Receiver, subscribe: Any
) -> None:
    _, cursor = await read_all(client, None)
    hook = await subscribe(receiver.hook)
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    assert "secret" not in (await client.get(f"/v1/webhooks/{hook['webhook']['id']}")).json()

    await newsroom_workflow(client)
    deliveries = await settled(client, hook["webhook"]["id"])
    assert {d["status"] for d in deliveries} == {"succeeded"}
    feed = await feed_listing(client, cursor, deliveries)
    # Every delivery is final, so every request is in: one per event, none twice.
    assert len(receiver.received) == len(feed)

    verifier = StandardWebhook(secret)
    for headers, body in receiver.received:
        verifier.verify(body, headers)  # raises on a bad signature
        assert headers["webhook-id"] == msgspec.json.decode(body)["id"]
    delivered = receiver.events()
    assert sorted(e["id"] for e in delivered) == sorted(e["id"] for e in feed)
    by_id = {e["id"]: e for e in feed}
    assert all(e == by_id[e["id"]] for e in delivered), "a delivery differs from the feed"

    def per_claim(events: list[dict[str, Any]]) -> dict[str, list[str]]:
        order: dict[str, list[str]] = defaultdict(list)
        for e in events:
            key = e["data"].get("claim_id") or e["data"].get("id")
            order[key].append(e["id"])
        return order

    assert per_claim(delivered) == per_claim(feed)


async def test_retries_after_errors_and_timeouts(
    client: httpx.AsyncClient, database_url: str, receiver: Receiver, subscribe: Any
) -> None:
    receiver.statuses = [500, 503]
    receiver.delays = [0.0, 0.0, math.inf]  # the third attempt gets no answer: it times out
    hook = await subscribe(receiver.hook, ["article.created"])
    server = sender(database_url, webhook_timeout=2.0)
    try:
        article = await create_article(client)
        [delivery] = await settled(client, hook["webhook"]["id"], 1)
    finally:
        server.stop()
    assert delivery["status"] == "succeeded", delivery
    assert delivery["attempts"] == 4
    assert delivery["last_status_code"] == 200
    [(_, body)] = receiver.received  # the fourth attempt; the third is still unanswered
    assert msgspec.json.decode(body)["data"]["id"] == article["id"]


async def test_a_webhook_that_keeps_failing_is_disabled_with_a_reason(
    client: httpx.AsyncClient, sending_server: LiveServer, receiver: Receiver, subscribe: Any
) -> None:
    receiver.statuses = [500] * 10
    hook = await subscribe(receiver.hook, ["article.created"])
    webhook_id = hook["webhook"]["id"]
    await create_article(client)

    async def disabled() -> bool:
        return not (await client.get(f"/v1/webhooks/{webhook_id}")).json()["enabled"]

    await wait_until(disabled, what="the webhook is disabled")
    webhook = (await client.get(f"/v1/webhooks/{webhook_id}")).json()
    assert "failed 4 times" in webhook["disabled_reason"] and "HTTP 500" in webhook["disabled_reason"]
    failed = (await client.get(f"/v1/webhooks/{webhook_id}/deliveries", params={"status": "failed"})).json()
    assert len(failed["items"]) == 1 and failed["items"][0]["attempts"] == 4

    again = await client.patch(f"/v1/webhooks/{webhook_id}", json={"enabled": True})
    assert again.json()["enabled"] is True and again.json()["disabled_reason"] is None


async def test_nothing_is_lost_across_a_restart(
    client: httpx.AsyncClient, database_url: str, receiver: Receiver, subscribe: Any, db: asyncpg.Connection
) -> None:
    hook = await subscribe(receiver.hook, ["article.*"])
    # No sender runs: the deliveries wait in the database.
    articles = [await create_article(client) for _ in range(3)]
    pending = await db.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'pending'",
        uuid.UUID(hook["webhook"]["id"]),
    )
    assert pending == 3
    created = {a["id"] for a in articles}
    server = sender(database_url)
    try:
        await wait_until(
            lambda: {e["data"]["id"] for e in receiver.events()} == created,
            what="the three articles were delivered",
        )
    finally:
        server.stop()


async def test_two_senders_never_deliver_twice(
    client: httpx.AsyncClient,
    sending_server: LiveServer,
    database_url: str,
    receiver: Receiver,
    subscribe: Any,
) -> None:
    hook = await subscribe(receiver.hook, ["source.created"])
    second = sender(database_url)
    try:
        made = await asyncio.gather(
            *(client.post("/v1/sources", json={"url": example_url("s")}) for _ in range(40))
        )
        assert all(r.status_code == 201 for r in made)
        deliveries = await settled(client, hook["webhook"]["id"], 40)
    finally:
        second.stop()
    assert all(d["status"] == "succeeded" and d["attempts"] == 1 for d in deliveries), deliveries
    # All final, each sent once: every request the receiver will ever see is in.
    ids = [e["id"] for e in receiver.events()]
    assert len(ids) == len(set(ids)) == 40


async def test_a_rotated_secret_signs_alongside_the_old_one(
    client: httpx.AsyncClient, sending_server: LiveServer, receiver: Receiver, subscribe: Any
) -> None:
    hook = await subscribe(receiver.hook, ["article.created"])
    old = hook["secret"]
    rotated = await client.post(f"/v1/webhooks/{hook['webhook']['id']}/rotate-secret")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != old and rotated.json()["previous_secret_expires_at"]
    await create_article(client)
    await wait_until(lambda: receiver.received, what="the receiver has the delivery")
    headers, body = receiver.received[0]
    assert len(headers["webhook-signature"].split()) == 2
    StandardWebhook(new).verify(body, headers)
    StandardWebhook(old).verify(body, headers)


async def test_webhook_management(client: httpx.AsyncClient, keyed_writer: httpx.AsyncClient) -> None:
    made = await client.post(
        "/v1/webhooks", json={"url": "https://example.org/hook?utm_source=x", "description": "CMS"}
    )
    assert made.status_code == 201
    webhook = made.json()["webhook"]
    assert (
        webhook["url"] == "https://example.org/hook"
        and made.headers["location"] == f"/v1/webhooks/{webhook['id']}"
    )
    listed = await client.get("/v1/webhooks", params={"limit": 500})
    assert webhook["id"] in [w["id"] for w in listed.json()["items"]]
    changed = await client.patch(
        f"/v1/webhooks/{webhook['id']}", json={"event_types": ["claim.*"]}, headers={"If-Match": '"1"'}
    )
    assert changed.json()["event_types"] == ["claim.*"] and changed.headers["etag"] == '"2"'
    stale = await client.patch(
        f"/v1/webhooks/{webhook['id']}", json={"description": "x"}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412, "precondition-failed")
    assert_problem(
        await client.post("/v1/webhooks", json={"url": "ftp://example.org"}), 400, "invalid-request"
    )
    assert_problem(
        await client.post("/v1/webhooks", json={"url": "https://example.org", "event_types": ["nope"]}),
        400,
        "invalid-request",
    )
    assert_problem(await keyed_writer.get("/v1/webhooks"), 403, "forbidden")
    assert (await client.delete(f"/v1/webhooks/{webhook['id']}")).status_code == 204
    assert_problem(await client.get(f"/v1/webhooks/{webhook['id']}"), 404, "not-found")
    assert_problem(await client.get(f"/v1/webhooks/{webhook['id']}/deliveries"), 404, "not-found")


@pytest.fixture
async def keyed_writer(live_server: LiveServer, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from tests.conftest import create_key

    token = await create_key(database_url, f"writer-{uuid.uuid4().hex[:6]}", ["read", "write", "verify"])
    async with httpx.AsyncClient(
        base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        yield http


async def test_a_workflow_arrives_whole_across_a_receiver_outage_and_an_api_restart(
    client: httpx.AsyncClient, database_url: str, receiver: Receiver, subscribe: Any
) -> None:
    """The issue's end-to-end case: every change, signed, as the feed lists it, despite both."""
    _, cursor = await read_all(client, None)
    hook = await subscribe(receiver.hook)
    receiver.statuses = [503] * 6  # the receiver is down for the first attempts
    first = sender(database_url, webhook_max_attempts=30)
    try:
        await newsroom_workflow(client)
        await wait_until(lambda: not receiver.statuses, what="the outage was seen")
    finally:
        first.stop()  # the API goes away with deliveries still pending
    await newsroom_workflow(client)  # changes made while no sender runs
    second = sender(database_url, webhook_max_attempts=30)
    try:
        deliveries = await settled(client, hook["webhook"]["id"])
    finally:
        second.stop()
    assert {d["status"] for d in deliveries} == {"succeeded"}
    feed = await feed_listing(client, cursor, deliveries)
    verifier = StandardWebhook(hook["secret"])
    for headers, body in receiver.received:
        verifier.verify(body, headers)
    # At least once: a delivery cut off by the stop is sent again; receivers drop repeated ids.
    first_seen: dict[str, dict[str, Any]] = {}
    for e in receiver.events():
        first_seen.setdefault(e["id"], e)
    delivered = list(first_seen.values())
    assert sorted(first_seen) == sorted(e["id"] for e in feed)
    position = {e["id"]: i for i, e in enumerate(feed)}
    by_claim: dict[str, list[int]] = defaultdict(list)
    for e in delivered:
        by_claim[e["data"].get("claim_id") or e["data"]["id"]].append(position[e["id"]])
    assert all(order == sorted(order) for order in by_claim.values())


# ---- no server-side request forgery --------------------------------------------------------------

# Loopback, unspecified, link-local and private addresses in the spellings a resolver accepts.
PRIVATE_HOOKS = [
    (
        "http://127.0.0.1:8080/hook",
        "refused: 127.0.0.1 is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW",
    ),
    (
        "http://localhost/hook",
        "refused: localhost (127.0.0.1) is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW",
    ),
    ("http://0.0.0.0:5432/", "refused: 0.0.0.0 is an unspecified address not in CLAIMTRACK_OUTBOUND_ALLOW"),
    ("http://[::1]/hook", "refused: ::1 is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW"),
    (
        "http://127.1/hook",
        "refused: 127.1 (127.0.0.1) is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW",
    ),
    (
        "http://2130706433/hook",
        "refused: 2130706433 (127.0.0.1) is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW",
    ),
    (
        "http://0x7f000001/hook",
        "refused: 0x7f000001 (127.0.0.1) is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW",
    ),
    (
        "http://0177.0.0.1/hook",
        "refused: 0177.0.0.1 (127.0.0.1) is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW",
    ),
    (
        "http://[::ffff:127.0.0.1]/hook",
        "refused: ::ffff:127.0.0.1 is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW",
    ),
    (
        "http://169.254.169.254/latest/meta-data/",
        "refused: 169.254.169.254 is a link-local address not in CLAIMTRACK_OUTBOUND_ALLOW",
    ),
    ("http://10.0.0.1/hook", "refused: 10.0.0.1 is a private address not in CLAIMTRACK_OUTBOUND_ALLOW"),
    (
        "http://192.168.0.10/hook",
        "refused: 192.168.0.10 is a private address not in CLAIMTRACK_OUTBOUND_ALLOW",
    ),
    ("http://[fd00::1]/hook", "refused: fd00::1 is a private address not in CLAIMTRACK_OUTBOUND_ALLOW"),
]


# An event type nothing emits: a webhook wrongly accepted by a test below gets no delivery, and so
# no sender of a later test would send to a private address because of it.
NEVER = ["test.never_sent"]


async def refused_registration(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await http.post("/v1/webhooks", json={"url": url, "event_types": NEVER})
    if response.status_code == 201:  # wrongly made: gone before anything else happens
        await http.delete(f"/v1/webhooks/{response.json()['webhook']['id']}")
    return assert_problem(response, 422, "url-not-allowed")


@pytest.mark.parametrize(("url", "message"), PRIVATE_HOOKS)
async def test_a_webhook_to_a_private_address_is_refused_on_registration_and_change(
    client: httpx.AsyncClient, db: asyncpg.Connection, url: str, message: str
) -> None:
    before = await db.fetchval("SELECT count(*) FROM webhooks")
    assert (await refused_registration(client, url))["errors"] == [{"field": "/url", "message": message}]
    assert await db.fetchval("SELECT count(*) FROM webhooks") == before

    made = await client.post("/v1/webhooks", json={"url": example_url("hooks"), "event_types": NEVER})
    webhook = made.json()["webhook"]
    try:
        changed = await client.patch(f"/v1/webhooks/{webhook['id']}", json={"url": url})
        assert assert_problem(changed, 422, "url-not-allowed")["errors"] == [
            {"field": "/url", "message": message}
        ]
        row = await db.fetchrow("SELECT url, version FROM webhooks WHERE id = $1", uuid.UUID(webhook["id"]))
        assert (row["url"], row["version"]) == (webhook["url"], 1)
    finally:
        await client.delete(f"/v1/webhooks/{webhook['id']}")


async def test_the_allow_list_admits_exactly_what_it_names(admin: httpx.AsyncClient) -> None:
    made = await admin.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "event_types": NEVER})
    assert made.status_code == 201, made.text
    await admin.delete(f"/v1/webhooks/{made.json()['webhook']['id']}")
    for url in ("http://127.0.0.2:9/hook", "http://[::1]:9/hook", "http://10.0.0.1/hook"):
        await refused_registration(admin, url)


async def test_the_sender_refuses_an_address_outside_its_allow_list_on_every_attempt(
    client: httpx.AsyncClient, database_url: str, receiver: Receiver, subscribe: Any
) -> None:
    """Registered where loopback was allowed, sent where it is not (as after a DNS change):
    the sender judges the address itself, each time, and never connects."""
    hook = await subscribe(receiver.hook, ["article.created"])
    server = sender(database_url, outbound_allow=(), webhook_max_attempts=3)
    try:
        await create_article(client)
        [delivery] = await settled(client, hook["webhook"]["id"], 1)
    finally:
        server.stop()
    refused = "refused: 127.0.0.1 is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW"
    assert (delivery["status"], delivery["attempts"]) == ("failed", 3)
    assert (delivery["last_status_code"], delivery["last_error"]) == (None, refused)
    assert receiver.received == []  # every delivery is final: nothing was, or will be, sent
    webhook = (await client.get(f"/v1/webhooks/{hook['webhook']['id']}")).json()
    assert webhook["enabled"] is False and webhook["disabled_reason"].endswith(refused)


async def test_a_failed_delivery_does_not_tell_a_closed_port_from_another_service(
    client: httpx.AsyncClient, database_url: str, subscribe: Any
) -> None:
    async def not_http(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n")
        await writer.drain()
        writer.close()

    other_service = await asyncio.start_server(not_http, "127.0.0.1", 0)
    with socket.socket() as unused:  # a port nobody listens on once it is closed
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    ports = (other_service.sockets[0].getsockname()[1], closed_port)
    hooks = [await subscribe(f"http://127.0.0.1:{port}/hook", ["source.created"]) for port in ports]
    server = sender(database_url, webhook_max_attempts=1)
    try:
        assert (await client.post("/v1/sources", json={"url": example_url("s")})).status_code == 201
        outcomes = [await settled(client, hook["webhook"]["id"], 1) for hook in hooks]
    finally:
        server.stop()
        other_service.close()
        await other_service.wait_closed()
    assert [(d["status"], d["last_status_code"], d["last_error"]) for [d] in outcomes] == [
        ("failed", None, "could not connect or got no valid HTTP response")
    ] * 2
