"""Source checks against real pages on loopback: health, history, events, limits, and no SSRF.

The pages are served by a small ASGI app under uvicorn on 127.0.0.1. The checker's allow-list
holds 127.0.0.1 only, so everything else (127.0.0.2 included, where a bare TCP listener counts
every connection made to it) must be refused before a connection is opened.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from api.claimreview.controller import ClaimReviewController
from api.db import create_pool
from api.sourcecheck import worker
from api.sourcecheck.controller import SourceCheckController
from tests.conftest import LiveServer, ThreadedServer, create_key, settings_for
from tests.integration.helpers import assert_problem, create_article, create_claim, token, wait_until

ALLOW = ("127.0.0.1",)
CONTACT = "mailto:desk@example.org"


def checker_settings(database_url: str, **overrides: Any) -> Any:
    options: dict[str, Any] = {
        "source_checks": False,  # the tests run the scheduled checker by hand
        "outbound_allow": ALLOW,
        "source_check_timeout": 0.5,
        "source_check_total_seconds": 4.0,
        "source_check_max_bytes": 64 * 1024,
        "source_check_max_redirects": 3,
        "source_check_dead_after": 3,
        "source_check_contact": CONTACT,
        "publisher_name": "Example Faktencheck",
        "publisher_url": "https://faktencheck.example.org",
        **overrides,
    }
    return settings_for(database_url, **options)


def serve(database_url: str, **overrides: Any) -> LiveServer:
    """A server of the tests' own, with the source check and ClaimReview routes mounted."""
    server = LiveServer(checker_settings(database_url, **overrides))
    app = server.server.config.app
    present = {route.path for route in app.routes}
    if "/v1/sources/{source_id:str}/check" not in present:
        app.register(SourceCheckController)
    if "/v1/claimreview/import" not in present:
        app.register(ClaimReviewController)
    return server.start()


class Pages(ThreadedServer):
    """A web site on loopback whose pages the tests change, break, move and stall."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.stalled: set[str] = set()
        self.requests: list[tuple[str, dict[str, str]]] = []
        super().__init__(self.app, interface="asgi3", timeout_graceful_shutdown=1)

    def at(self, path: str) -> str:
        return self.url + path

    def html(self, path: str, body: str, status: int = 200) -> str:
        self.routes[path] = (status, [("content-type", "text/html; charset=utf-8")], body.encode())
        return self.at(path)

    def raw(self, path: str, body: bytes, content_type: str) -> str:
        self.routes[path] = (200, [("content-type", content_type)], body)
        return self.at(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.routes[path] = (status, [("location", location)], b"")
        return self.at(path)

    def status(self, path: str, status: int) -> str:
        self.routes[path] = (status, [("content-type", "text/plain")], b"no such page")
        return self.at(path)

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        self.requests.append((path, {k.decode(): v.decode() for k, v in scope["headers"]}))
        if path in self.stalled:
            await asyncio.sleep(3)
        status, headers, body = self.routes.get(path, (404, [], b"not here"))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


class Listener:
    """A bare TCP listener on a loopback address outside the allow-list; counts connections."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.address = self.sock.getsockname()
        self.url = f"http://{host}:{self.address[1]}"
        self.peers: list[tuple[str, int]] = []  # of the connections accepted, in order
        self._markers: set[tuple[str, int]] = set()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.peers.append(peer)
            conn.close()

    async def contacts(self) -> int:
        """How many connections were made to it before now. The kernel queues connections in
        the order they were made and the listener takes them in that order, so once one made
        here last is taken, every earlier one has been counted."""
        with socket.create_connection(self.address, timeout=5) as marker:
            mine = marker.getsockname()
            self._markers.add(mine)
            await wait_until(lambda: mine in self.peers, what="the listener took the connection made last")
        return sum(peer not in self._markers for peer in self.peers[: self.peers.index(mine)])

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self.thread.join(5)
        self.sock.close()


ARTICLE = """<!doctype html><html><head><title>Regierung: {title}</title>
<script>window.ads = "{ad}";</script><style>body {{ color: #{ad} }}</style></head>
<body><header>Stand: {time} Uhr</header><nav><ul><li>Politik<li>Wirtschaft</ul></nav>
<aside class="ad">Anzeige {ad}</aside>
<main><h1>{title}</h1><p>Aktualisiert {time}</p><p>{text}</p></main>
<footer>© Zeitung, {time}</footer></body></html>"""


def article_page(text: str, *, ad: str = "aaa", time_of_day: str = "10:15", title: str = "Erklärung") -> str:
    return ARTICLE.format(title=title, ad=ad, time=time_of_day, text=text)


@pytest.fixture(scope="module")
def pages() -> Iterator[Pages]:
    with Pages() as site:
        yield site


@pytest.fixture(scope="module")
def checker(database_url: str) -> Iterator[LiveServer]:
    server = serve(database_url)
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def http(checker: LiveServer, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    key = await create_key(database_url, "checker-desk", ["read", "write", "verify"])
    async with httpx.AsyncClient(
        base_url=checker.url, timeout=30, headers={"Authorization": f"Bearer {key}"}
    ) as client:
        yield client


async def new_source(http: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    response = await http.post("/v1/sources", json={"url": url, "kind": "official_statement", **fields})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    assert result["health"] == "unchecked" and result["checked_at"] is None
    return result


async def check(http: httpx.AsyncClient, source_id: str, **params: Any) -> dict[str, Any]:
    response = await http.post(f"/v1/sources/{source_id}/check", params=params)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    assert response.headers["etag"] == f'"{result["source"]["version"]}"'
    return result


async def events_of(db: asyncpg.Connection, source_id: str) -> list[tuple[str, dict[str, Any]]]:
    import msgspec

    rows = await db.fetch(
        "SELECT type, data::text FROM events WHERE order_key = $1 ORDER BY txid, seq", uuid.UUID(source_id)
    )
    return [(r["type"], msgspec.json.decode(r["data"])) for r in rows]


# ---- health ---------------------------------------------------------------------------------


async def test_a_page_is_ok_then_changed_until_the_change_is_accepted(
    http: httpx.AsyncClient, pages: Pages, db: asyncpg.Connection
) -> None:
    path = f"/politik/{token()}"
    url = pages.html(path, article_page("Die Regierung meldet 164 Tote."))
    source = await new_source(http, url)

    first = await check(http, source["id"])
    assert first["check"]["outcome"] == "ok"
    assert first["check"]["health"] == "ok" and first["check"]["previous_health"] == "unchecked"
    assert first["check"]["status_code"] == 200
    assert first["check"]["final_url"] == url
    assert first["check"]["content_type"].startswith("text/html")
    assert first["check"]["title"] == "Regierung: Erklärung"
    assert len(first["check"]["content_hash"]) == 64
    assert first["check"]["requested_by"] == "checker-desk"
    assert first["source"]["health"] == "ok" and first["source"]["checked_at"]
    assert first["source"]["version"] == source["version"] + 1  # a change of health is a change

    # Ads, scripts, navigation, the header's and footer's times: nothing a reader would call new.
    pages.html(path, article_page("Die Regierung meldet 164 Tote.", ad="bbb", time_of_day="17:42"))
    same = await check(http, source["id"])
    assert same["check"]["outcome"] == "ok"
    assert same["check"]["content_hash"] == first["check"]["content_hash"]
    assert same["source"]["version"] == first["source"]["version"]  # health unchanged: no new version

    pages.html(path, article_page("Die Regierung meldet 150 Tote."))  # a number in the text changed
    changed = await check(http, source["id"])
    assert changed["check"]["outcome"] == "changed"
    assert changed["source"]["health"] == "changed"
    assert changed["check"]["content_hash"] != first["check"]["content_hash"]

    still = await check(http, source["id"])  # the baseline stays: the change is not forgotten
    assert still["source"]["health"] == "changed"

    accepted = await check(http, source["id"], accept_change="true")
    assert accepted["check"]["outcome"] == "ok" and accepted["source"]["health"] == "ok"
    assert (await check(http, source["id"]))["source"]["health"] == "ok"

    history = (await http.get(f"/v1/sources/{source['id']}/checks", params={"limit": 2})).json()
    assert [c["outcome"] for c in history["items"]] == ["ok", "ok"]
    rest = (
        await http.get(f"/v1/sources/{source['id']}/checks", params={"cursor": history["next_cursor"]})
    ).json()
    assert [c["outcome"] for c in rest["items"]] == ["changed", "changed", "ok", "ok"]
    assert rest["next_cursor"] is None

    types = [t for t, _ in await events_of(db, source["id"])]
    assert types == [
        "source.created",
        "source.updated",
        "source.health_changed",  # unchecked -> ok
        "source.updated",
        "source.health_changed",  # ok -> changed
        "source.updated",
        "source.health_changed",  # changed -> ok (accepted)
    ]
    _, change = (await events_of(db, source["id"]))[4]
    assert change["previous_health"] == "ok"
    assert change["source"]["health"] == "changed"
    assert change["check"]["outcome"] == "changed"

    row = await db.fetchrow("SELECT health, checked_at FROM sources WHERE id = $1", uuid.UUID(source["id"]))
    assert row["health"] == "ok" and row["checked_at"] is not None


@pytest.mark.parametrize("status", [404, 410])
async def test_a_vanished_page_is_dead_at_once(http: httpx.AsyncClient, pages: Pages, status: int) -> None:
    path = f"/weg/{token()}"
    source = await new_source(http, pages.html(path, article_page("Noch da.")))
    assert (await check(http, source["id"]))["source"]["health"] == "ok"
    pages.status(path, status)
    result = await check(http, source["id"])
    assert result["check"]["outcome"] == "gone"
    assert result["check"]["status_code"] == status
    assert result["source"]["health"] == "dead"


async def test_three_timeouts_in_a_row_make_a_source_dead(http: httpx.AsyncClient, pages: Pages) -> None:
    path = f"/langsam/{token()}"
    source = await new_source(http, pages.html(path, article_page("Schnell.")))
    assert (await check(http, source["id"]))["source"]["health"] == "ok"
    pages.stalled.add(path)
    try:
        outcomes = []
        for _ in range(3):
            started = time.monotonic()
            result = await check(http, source["id"])
            assert time.monotonic() - started < 3, "the check outlasted its timeout"
            outcomes.append((result["check"]["outcome"], result["source"]["health"]))
    finally:
        pages.stalled.discard(path)
    assert outcomes == [("timeout", "ok"), ("timeout", "ok"), ("timeout", "dead")]

    revived = await check(http, source["id"])  # back again, and the text as before
    assert revived["check"]["outcome"] == "ok" and revived["source"]["health"] == "ok"


async def test_other_failures_count_too_and_a_success_resets_the_count(
    http: httpx.AsyncClient, pages: Pages
) -> None:
    path = f"/kaputt/{token()}"
    source = await new_source(http, pages.html(path, article_page("Da.")))
    await check(http, source["id"])
    pages.status(path, 503)
    for _ in range(2):
        result = await check(http, source["id"])
        assert result["check"]["outcome"] == "failed" and result["check"]["error"] == "HTTP 503"
        assert result["source"]["health"] == "ok"
    pages.html(path, article_page("Da."))
    await check(http, source["id"])
    pages.status(path, 500)
    for _ in range(2):
        assert (await check(http, source["id"]))["source"]["health"] == "ok"
    assert (await check(http, source["id"]))["source"]["health"] == "dead"


async def test_redirects_are_followed_hop_by_hop_and_loops_fail(
    http: httpx.AsyncClient, pages: Pages
) -> None:
    name = token()
    target = pages.html(f"/ziel/{name}", article_page("Angekommen."))
    pages.redirect(f"/a/{name}", f"/b/{name}", 301)
    start = pages.redirect(f"/b/{name}", target, 307)
    moved = await new_source(http, pages.at(f"/a/{name}"))
    assert start
    result = await check(http, moved["id"])
    assert result["check"]["outcome"] == "ok"
    assert result["check"]["redirects"] == 2
    assert result["check"]["final_url"] == target

    pages.redirect(f"/loop1/{name}", f"/loop2/{name}")
    pages.redirect(f"/loop2/{name}", f"/loop1/{name}")
    looping = await new_source(http, pages.at(f"/loop1/{name}"))
    result = await check(http, looping["id"])
    assert result["check"]["outcome"] == "failed"
    assert "redirect loop" in result["check"]["error"]
    assert pages.hits(f"/loop1/{name}") == 1 and pages.hits(f"/loop2/{name}") == 1

    for i in range(5):  # a chain longer than the 3 redirects the tests allow
        pages.redirect(f"/chain{i}/{name}", f"/chain{i + 1}/{name}")
    chain = await new_source(http, pages.at(f"/chain0/{name}"))
    result = await check(http, chain["id"])
    assert result["check"]["outcome"] == "failed"
    assert "more than 3 redirects" in result["check"]["error"]
    assert pages.hits(f"/chain4/{name}") == 0


async def test_only_so_many_bytes_are_read(http: httpx.AsyncClient, pages: Pages) -> None:
    path = f"/gross/{token()}"
    body = "<html><body><main>" + "Sehr langer Text. " * 60_000 + "</main></body></html>"  # ~1 MiB
    source = await new_source(http, pages.html(path, body))
    result = await check(http, source["id"])
    assert result["check"]["outcome"] == "ok"
    assert result["check"]["truncated"] is True
    assert result["check"]["bytes_read"] <= 64 * 1024 + 65_536  # the cap, plus at most one chunk


async def test_a_compressed_page_is_inflated_only_up_to_the_cap(
    http: httpx.AsyncClient, pages: Pages
) -> None:
    path = f"/bombe/{token()}"
    bomb = gzip.compress(b"Tote " * 4_000_000)  # 20 MB of text in about 20 KB
    pages.routes[path] = (200, [("content-type", "text/plain"), ("content-encoding", "gzip")], bomb)
    source = await new_source(http, pages.at(path))
    result = await check(http, source["id"])
    assert result["check"]["outcome"] == "ok"
    assert result["check"]["truncated"] is True
    assert result["check"]["bytes_read"] <= len(bomb)


async def test_other_documents_are_fingerprinted_by_their_text(http: httpx.AsyncClient, pages: Pages) -> None:
    path = f"/daten/{token()}.csv"
    source = await new_source(http, pages.raw(path, b"jahr,tote\n2022,164\n", "text/csv"))
    first = await check(http, source["id"])
    assert first["check"]["title"] is None
    pages.raw(path, b"jahr,tote\r\n2022,164\r\n", "text/csv")  # only line ends differ
    assert (await check(http, source["id"]))["check"]["outcome"] == "ok"
    pages.raw(path, b"jahr,tote\n2022,150\n", "text/csv")
    assert (await check(http, source["id"]))["check"]["outcome"] == "changed"


async def test_the_checker_says_who_it_is(http: httpx.AsyncClient, pages: Pages) -> None:
    path = f"/wer/{token()}"
    source = await new_source(http, pages.html(path, article_page("Hallo.")))
    await check(http, source["id"])
    headers = next(h for p, h in reversed(pages.requests) if p == path)
    assert headers["user-agent"] == f"claimtrack-source-check/1.0 (+{CONTACT})"
    assert headers["host"] == pages.url.removeprefix("http://")


async def test_checking_needs_an_existing_source_and_the_write_scope(
    http: httpx.AsyncClient, checker: LiveServer, database_url: str
) -> None:
    assert_problem(await http.post(f"/v1/sources/{uuid.uuid4()}/check"), 404, "not-found")
    assert_problem(await http.post("/v1/sources/not-an-id/check"), 400, "invalid-request")
    assert_problem(await http.get(f"/v1/sources/{uuid.uuid4()}/checks"), 404, "not-found")
    reader = await create_key(database_url, "reader", ["read"])
    async with httpx.AsyncClient(base_url=checker.url, headers={"Authorization": f"Bearer {reader}"}) as ro:
        source = (await ro.get("/v1/sources", params={"limit": 1})).json()["items"][0]
        assert_problem(await ro.post(f"/v1/sources/{source['id']}/check"), 403, "forbidden")
        assert (await ro.get(f"/v1/sources/{source['id']}/checks")).status_code == 200


# ---- no server-side request forgery ----------------------------------------------------------


@pytest.fixture
def private_listener() -> Iterator[Listener]:
    with Listener("127.0.0.2") as listener:
        yield listener


async def test_a_private_address_is_never_contacted_directly_or_by_redirect(
    http: httpx.AsyncClient, pages: Pages, private_listener: Listener, db: asyncpg.Connection
) -> None:
    direct = await new_source(http, private_listener.url + "/intern")
    result = await check(http, direct["id"])
    assert result["check"]["outcome"] == "refused"
    assert result["check"]["error"] == (
        "refused: 127.0.0.2 is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW"
    )
    assert result["check"]["status_code"] is None
    assert result["source"]["health"] == "unchecked"  # a refusal says nothing about the page

    name = token()
    sneaky = await new_source(http, pages.redirect(f"/umleitung/{name}", private_listener.url + "/admin"))
    result = await check(http, sneaky["id"])
    assert result["check"]["outcome"] == "refused"
    assert result["check"]["redirects"] == 1
    assert pages.hits(f"/umleitung/{name}") == 1

    assert await private_listener.contacts() == 0, "a private address was contacted"
    refused = await db.fetchval(
        "SELECT count(*) FROM source_checks WHERE source_id = any($1::uuid[]) AND outcome = 'refused'",
        [uuid.UUID(direct["id"]), uuid.UUID(sneaky["id"])],
    )
    assert refused == 2


@pytest.mark.parametrize(
    ("location", "address"),
    [
        ("http://10.0.0.1/", "10.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", "169.254.169.254"),
        ("http://[::ffff:a9fe:a9fe]/", "169.254.169.254"),
        ("http://[::1]/", "::1"),
        ("http://[fd00::1]/", "fd00::1"),
        ("http://[fe80::1]/", "fe80::1"),
        ("http://0.0.0.0/", "0.0.0.0"),
        ("http://100.64.0.1/", "100.64.0.1"),
        ("http://192.168.1.1/", "192.168.1.1"),
        ("http://172.16.0.1/", "172.16.0.1"),
        ("http://167772161/", "10.0.0.1"),  # 10.0.0.1 spelled as one number
    ],
)
async def test_redirects_to_private_and_metadata_addresses_are_refused_before_connecting(
    http: httpx.AsyncClient, pages: Pages, location: str, address: str
) -> None:
    name = token()
    source = await new_source(http, pages.redirect(f"/nach-innen/{name}", location))
    started = time.monotonic()
    result = await check(http, source["id"])
    assert result["check"]["outcome"] == "refused", result["check"]
    assert time.monotonic() - started < 1.5  # refused, not timed out trying
    assert address in result["check"]["error"]
    assert result["source"]["health"] == "unchecked"


async def test_a_redirect_to_another_scheme_is_refused(http: httpx.AsyncClient, pages: Pages) -> None:
    source = await new_source(http, pages.redirect(f"/datei/{token()}", "file:///etc/passwd"))
    result = await check(http, source["id"])
    assert result["check"]["outcome"] == "refused"
    assert "file" in result["check"]["error"]


async def test_a_host_name_the_http_client_refuses_fails_the_check_not_the_request(
    http: httpx.AsyncClient, pages: Pages
) -> None:
    # "¬" is a letter to IDNA 2003, so the url is stored as xn--jba.example, but not to IDNA
    # 2008, which the HTTP client speaks: building the request raised, and checking was a 500.
    stored = await new_source(http, f"http://\u00ac.example/{token()}")
    assert stored["url"].startswith("http://xn--jba.example/")
    result = await check(http, stored["id"])
    assert result["check"]["outcome"] == "failed"
    assert "U+00AC" in result["check"]["error"]
    # A redirect is the remote side's to name.
    source = await new_source(http, pages.redirect(f"/idna/{token()}", "http://xn--jba.example/weiter"))
    result = await check(http, source["id"])
    assert result["check"]["outcome"] == "failed"
    assert "U+00AC" in result["check"]["error"]


# ---- the scheduled checker ------------------------------------------------------------------


async def test_the_scheduled_checker_takes_due_sources_once_across_workers(
    http: httpx.AsyncClient, pages: Pages, database_url: str, db: asyncpg.Connection
) -> None:
    name = token()
    made = [
        await new_source(http, pages.html(f"/plan/{name}/{i}", article_page(f"Seite {i}."))) for i in range(5)
    ]
    ids = [uuid.UUID(s["id"]) for s in made]
    # Only these are due now: the database holds other tests' sources on example.org.
    await db.execute("UPDATE sources SET next_check_at = now() + interval '1 day' WHERE id <> all($1)", ids)
    await db.execute("UPDATE sources SET next_check_at = now() - interval '1 second' WHERE id = any($1)", ids)

    settings = checker_settings(database_url, source_check_batch_size=2)
    pool = await create_pool(settings, database_url)
    try:
        counts = await asyncio.gather(worker.check_due(pool, settings), worker.check_due(pool, settings))
        assert sorted(counts) == [2, 2]  # two workers, two sources each, none taken twice
        while await worker.check_due(pool, settings):
            pass
    finally:
        await pool.close()

    rows = await db.fetch(
        "SELECT source_id, count(*) AS n, bool_and(requested_by IS NULL) AS scheduled"
        " FROM source_checks WHERE source_id = any($1) GROUP BY source_id",
        ids,
    )
    assert {r["source_id"]: r["n"] for r in rows} == dict.fromkeys(ids, 1)  # each checked exactly once
    assert all(r["scheduled"] for r in rows)
    due = await db.fetch(
        "SELECT health, next_check_at > now() + interval '23 hours' AS later FROM sources WHERE id = any($1)",
        ids,
    )
    assert all(r["health"] == "ok" and r["later"] for r in due)


async def test_a_failing_source_is_checked_again_sooner(
    http: httpx.AsyncClient, pages: Pages, db: asyncpg.Connection
) -> None:
    source = await new_source(http, pages.status(f"/fehler/{token()}", 502))
    await check(http, source["id"])
    minutes = await db.fetchval(
        "SELECT extract(epoch FROM next_check_at - now()) / 60 FROM sources WHERE id = $1",
        uuid.UUID(source["id"]),
    )
    assert 10 < minutes <= 15  # the retry setting (15 min) times one failure, not the day's interval


# ---- claims whose evidence is affected; provenance ----------------------------------------------


async def test_claims_resting_on_dead_or_changed_evidence_are_found(
    http: httpx.AsyncClient, pages: Pages
) -> None:
    name = token()
    dying = pages.html(f"/beleg/{name}/a", article_page("Beleg A."))
    shifting = pages.html(f"/beleg/{name}/b", article_page("Beleg B."))
    steady = pages.html(f"/beleg/{name}/c", article_page("Beleg C."))
    article = await create_article(http, outlet=f"Zeitung {name}")
    claims = [await create_claim(http, article["id"]) for _ in range(3)]
    ids = {}
    for claim, url in zip(claims, (dying, shifting, steady), strict=True):
        response = await http.post(
            f"/v1/claims/{claim['id']}/verifications",
            json={"status": "verified", "sources": [{"source": {"url": url}, "relation": "supports"}]},
        )
        assert response.status_code == 201, response.text
        ids[url] = response.json()["claim"]["sources"][0]["source"]["id"]
    for source_id in ids.values():
        await check(http, source_id)
    pages.status(f"/beleg/{name}/a", 410)
    pages.html(f"/beleg/{name}/b", article_page("Beleg B, neu geschrieben."))
    for source_id in ids.values():
        await check(http, source_id)

    async def found(*health: str, q: str | None = None) -> set[str]:
        params: list[tuple[str, str]] = [
            ("outlet", f"Zeitung {name}"),
            *(("source_health", h) for h in health),
            *((("q", q),) if q else ()),
        ]
        response = await http.get("/v1/claims", params=params)
        assert response.status_code == 200, response.text
        return {c["id"] for c in response.json()["items"]}

    assert await found("dead") == {claims[0]["id"]}
    assert await found("changed") == {claims[1]["id"]}
    assert await found("dead", "changed") == {claims[0]["id"], claims[1]["id"]}
    assert await found("ok") == {claims[2]["id"]}
    assert await found() == {c["id"] for c in claims}
    assert await found("changed", q="Straßenbahn") == {claims[1]["id"]}  # with full-text search too
    listed = (
        await http.get("/v1/claims", params={"source_health": "dead", "outlet": f"Zeitung {name}"})
    ).json()
    assert listed["items"][0]["sources"][0]["source"]["health"] == "dead"
    assert_problem(await http.get("/v1/claims", params={"source_health": "gone"}), 400, "invalid-request")


async def test_each_link_keeps_who_added_it_and_when(
    http: httpx.AsyncClient, checker: LiveServer, database_url: str
) -> None:
    article = await create_article(http)
    claim = await create_claim(http, article["id"])
    url = f"https://example.org/provenienz/{token()}"
    before = time.time()
    response = await http.post(
        f"/v1/claims/{claim['id']}/sources",
        json={
            "source": {"url": url, "archived_url": f"https://web.archive.org/web/2022/{url}/?utm_source=x"},
            "relation": "context",
        },
    )
    assert response.status_code == 201, response.text
    [link] = response.json()["sources"]
    assert link["added_by"] == "checker-desk"
    from datetime import datetime

    added_at = datetime.fromisoformat(link["added_at"])
    assert before - 5 < added_at.timestamp() < time.time() + 5
    assert link["source"]["archived_url"] == f"https://web.archive.org/web/2022/{url}"
    assert link["source"]["created_by"] == "checker-desk"

    # Another key changes the link's relation: who added it, and when, stay.
    other = await create_key(database_url, "night-desk", ["read", "write"])
    async with httpx.AsyncClient(base_url=checker.url, headers={"Authorization": f"Bearer {other}"}) as night:
        response = await night.post(
            f"/v1/claims/{claim['id']}/sources",
            json={"source_id": link["source"]["id"], "relation": "supports", "excerpt": "Zitat"},
        )
    assert response.status_code == 200, response.text
    [relinked] = response.json()["sources"]
    assert relinked["relation"] == "supports"
    assert (relinked["added_by"], relinked["added_at"]) == (link["added_by"], link["added_at"])
