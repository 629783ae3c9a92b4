"""Webhooks against a real HTTP receiver on loopback: signed, retried, ordered, never doubled."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.conftest import LiveServer, ThreadedServer, settings_for
from tests.integration.helpers import assert_problem, create_article, example_url
from tests.integration.test_events import read_all


class Receiver(ThreadedServer):
    """A webhook endpoint: records every request; answers with the queued statuses, then 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.delays: list[float] = []
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
        if delay:
            await asyncio.sleep(delay)
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            self.received.append((headers, body))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def events(self) -> list[dict[str, Any]]:
        return [msgspec.json.decode(body) for _, body in self.received]


def sender(database_url: str, **overrides: Any) -> LiveServer:
    options: dict[str, Any] = {
        "webhook_delivery": True,
        "webhook_backoff_base": 0.1,
        "webhook_backoff_max": 0.5,
        "webhook_poll_seconds": 0.1,
        "webhook_timeout": 1.0,
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


async def wait_for(condition: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


@pytest.fixture
async def subscribe(client: httpx.AsyncClient) -> AsyncIterator[Any]:
    made: list[str] = []

    async def make(url: str, event_types: list[str] | None = None) -> dict[str, Any]:
        response = await client.post("/v1/webhooks", json={"url": url, "event_types": event_types or []})
        assert response.status_code == 201, response.text
        made.append(response.json()["webhook"]["id"])
        result: dict[str, Any] = response.json()
        return result

    yield make
    for webhook_id in made:
        await client.delete(f"/v1/webhooks/{webhook_id}")


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
    feed, _ = await read_all(client, cursor)
    await wait_for(lambda: len(receiver.received) >= len(feed))
    await asyncio.sleep(0.3)  # nothing more must arrive

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

    deliveries = (
        await client.get(f"/v1/webhooks/{hook['webhook']['id']}/deliveries", params={"limit": 500})
    ).json()
    assert {d["status"] for d in deliveries["items"]} == {"succeeded"}


async def test_retries_after_errors_and_timeouts(
    client: httpx.AsyncClient, sending_server: LiveServer, receiver: Receiver, subscribe: Any
) -> None:
    receiver.statuses = [500, 503]
    receiver.delays = [0.0, 0.0, 2.5]  # the third attempt outlasts the 1 s timeout
    hook = await subscribe(receiver.hook, ["article.created"])
    article = await create_article(client)
    await wait_for(lambda: len(receiver.received) >= 1)
    assert receiver.events()[0]["data"]["id"] == article["id"]
    deliveries = (await client.get(f"/v1/webhooks/{hook['webhook']['id']}/deliveries")).json()["items"]
    [delivery] = deliveries
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 4
    assert delivery["last_status_code"] == 200


async def test_a_webhook_that_keeps_failing_is_disabled_with_a_reason(
    client: httpx.AsyncClient, sending_server: LiveServer, receiver: Receiver, subscribe: Any
) -> None:
    receiver.statuses = [500] * 10
    hook = await subscribe(receiver.hook, ["article.created"])
    webhook_id = hook["webhook"]["id"]
    await create_article(client)

    async def disabled() -> bool:
        return not (await client.get(f"/v1/webhooks/{webhook_id}")).json()["enabled"]

    deadline = time.monotonic() + 15
    while not await disabled():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
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
    server = sender(database_url)
    try:
        await wait_for(lambda: len(receiver.received) >= 3)
    finally:
        server.stop()
    assert {e["data"]["id"] for e in receiver.events()} == {a["id"] for a in articles}


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
        await wait_for(lambda: len(receiver.received) >= 40)
        await asyncio.sleep(0.5)
    finally:
        second.stop()
    ids = [e["id"] for e in receiver.events()]
    assert len(ids) == len(set(ids)) == 40
    deliveries = (
        await client.get(f"/v1/webhooks/{hook['webhook']['id']}/deliveries", params={"limit": 100})
    ).json()
    assert all(d["attempts"] == 1 for d in deliveries["items"])


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
    await wait_for(lambda: len(receiver.received) >= 1)
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
        await wait_for(lambda: not receiver.statuses)  # the outage was seen
    finally:
        first.stop()  # the API goes away with deliveries still pending
    await newsroom_workflow(client)  # changes made while no sender runs
    second = sender(database_url, webhook_max_attempts=30)
    try:
        feed, _ = await read_all(client, cursor)
        await wait_for(lambda: len(receiver.received) >= len(feed), seconds=30)
        await asyncio.sleep(0.3)
    finally:
        second.stop()
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
