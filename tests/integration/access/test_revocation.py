"""A revoked key stops working in every process within REVOCATION_BOUND of its revocation.

Two API servers share the database, as worker processes do. Tasks send requests with a key
through both while it is revoked; every request that starts later than the bound after the
revocation has finished must be refused. Other revocations just before make the servers look
the key up again and again, so lookups are in flight when the revocation commits: a lookup
that read the row before must not put the key back into the cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.keys import service as keys
from tests.conftest import LiveServer, create_key, settings_for
from tests.integration.helpers import create_article, wait_until

# What README promises: a revocation takes effect this soon in every process.
REVOCATION_BOUND = 0.5
# A listening connection that silently stops answering is given up within two heartbeats.
SILENT_LISTENER_BOUND = 2 * 1.0 + REVOCATION_BOUND
LISTENER = "claimtrack listen claimtrack_api_keys"
TASKS_PER_SERVER = 4


@dataclass
class Hammer:
    """Tasks sending GETs with one token to several servers; each request's start and status."""

    urls: list[str]
    token: str
    path: str
    outcomes: list[tuple[str, float, int]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def _run(self, http: httpx.AsyncClient, url: str) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            response = await http.get(self.path)
            self.outcomes.append((url, started, response.status_code))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Hammer]:
        headers = {"Authorization": f"Bearer {self.token}"}
        clients = [httpx.AsyncClient(base_url=url, headers=headers, timeout=30) for url in self.urls]
        try:
            for http, url in zip(clients, self.urls, strict=True):
                self._tasks += [asyncio.create_task(self._run(http, url)) for _ in range(TASKS_PER_SERVER)]
            # Every server has accepted the key (and cached it) before anything else happens.
            await wait_until(
                lambda: {u for u, _, status in self.outcomes if status == 200} == set(self.urls),
                what="every server accepts the key",
            )
            yield self
        finally:
            self._stop.set()
            await asyncio.gather(*self._tasks)
            for http in clients:
                await http.aclose()

    async def run_until(self, moment: float) -> None:
        """Keep going until ``moment``, then until each server has answered a request started after it."""
        await wait_until(
            lambda: {u for u, started, _ in self.outcomes if started > moment} == set(self.urls),
            within=30 + max(0.0, moment - time.monotonic()),
            what="every server answered requests started after the bound",
        )

    def accepted_after(self, moment: float) -> list[tuple[str, float, int]]:
        return [(u, started - moment, s) for u, started, s in self.outcomes if started > moment and s != 401]


@pytest.fixture(scope="module")
def second_server(database_url: str) -> Iterator[LiveServer]:
    """Another process's worth of API on the same database."""
    with LiveServer(settings_for(database_url)) as server:
        yield server


@pytest.fixture(scope="module")
def servers(live_server: LiveServer, second_server: LiveServer) -> list[str]:
    return [live_server.url, second_server.url]


@pytest.fixture
async def article_path(client: httpx.AsyncClient) -> str:
    return f"/v1/articles/{(await create_article(client))['id']}"


async def new_key(database_url: str) -> tuple[str, str]:
    name = f"revoked-{uuid.uuid4().hex[:8]}"
    return name, await create_key(database_url, name, ["read"])


async def test_a_revoked_key_is_refused_everywhere_within_the_bound(
    servers: list[str],
    article_path: str,
    client: httpx.AsyncClient,
    database_url: str,
    db: asyncpg.Connection,
) -> None:
    other, _ = await new_key(database_url)
    for attempt in range(12):
        name, token = await new_key(database_url)
        async with Hammer(servers, token, article_path).running() as hammer:
            # Revoking another key empties every cache, so lookups of this one are in flight.
            for _ in range(20):
                await keys.revoke(db, other)
            if attempt % 3 == 2:
                assert (await client.delete(f"/v1/keys/{name}")).status_code == 204
            else:
                await keys.revoke(db, name)  # as `claimtrack keys revoke` does
            bound = time.monotonic() + REVOCATION_BOUND
            await hammer.run_until(bound + 0.3)
        assert hammer.accepted_after(bound) == [], f"attempt {attempt}: accepted after the bound"


async def listeners(db: asyncpg.Connection, count: int) -> list[int] | None:
    """The backends of the ``count`` servers' connections listening for revocations, once all are there."""
    rows = await db.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
        LISTENER,
    )
    return [row["pid"] for row in rows] if len(rows) == count else None


async def gone(db: asyncpg.Connection, pids: list[int]) -> bool:
    return not await db.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = any($1::int[])", pids)


async def test_a_server_that_lost_its_listener_does_not_trust_its_cache(
    servers: list[str], article_path: str, database_url: str, db: asyncpg.Connection
) -> None:
    name, token = await new_key(database_url)
    async with Hammer(servers, token, article_path).running() as hammer:
        pids = await wait_until(lambda: listeners(db, len(servers)), what="every server listens")
        await db.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", pids)
        await wait_until(lambda: gone(db, pids), what="the listening connections are gone")
        # The notice of this revocation reaches no server: they listen again only later.
        await keys.revoke(db, name)
        bound = time.monotonic() + REVOCATION_BOUND
        await hammer.run_until(bound + 1.5)
    assert hammer.accepted_after(bound) == []


def local_backend(pid: int, database: str) -> bool:
    """Whether ``pid`` is a backend of this database on this machine that we may signal."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    ours = os.geteuid() in (0, Path(f"/proc/{pid}").stat().st_uid)
    return ours and command.startswith("postgres: ") and f" {database} " in command


async def test_a_listener_that_stops_answering_is_given_up(
    servers: list[str], article_path: str, database_url: str, db: asyncpg.Connection
) -> None:
    """A hung connection closes nothing: the heartbeat notices that it no longer answers."""
    name, token = await new_key(database_url)
    async with Hammer(servers, token, article_path).running() as hammer:
        pids = await wait_until(lambda: listeners(db, len(servers)), what="every server listens")
        stopped: list[int] = []
        try:
            database = await db.fetchval("SELECT current_database()")
            for pid in pids:
                if not local_backend(pid, database):
                    pytest.skip("the database server's processes are not ours to stop")
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
            frozen_at = time.monotonic()
            await keys.revoke(db, name)
            bound = max(time.monotonic() + REVOCATION_BOUND, frozen_at + SILENT_LISTENER_BOUND)
            await hammer.run_until(bound + 1.0)
        finally:
            for pid in stopped:
                os.kill(pid, signal.SIGCONT)
    assert hammer.accepted_after(bound) == []
