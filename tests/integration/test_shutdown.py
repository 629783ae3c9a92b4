"""SIGTERM to `claimtrack serve`: no new connections, requests in flight finish, the pool closes, exit 0."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid

import asyncpg
import httpx
from helpers import article_with_claim, etag_of
from operations import Serving, refuses_connections

from api.cli import GRACEFUL_SHUTDOWN_SECONDS

IN_FLIGHT = 3


async def _waiting_on_locks(db: asyncpg.Connection, count: int, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        waiting = await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'claimtrack' AND wait_event_type = 'Lock'"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} requests came to wait on the lock")


async def test_sigterm_lets_requests_in_flight_finish_and_exits_0(
    client: httpx.AsyncClient, database_url: str, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    path = f"/v1/claims/{claim['id']}"
    with Serving(database_url) as serving:
        await asyncio.to_thread(serving.wait_until_ready)
        lock = await asyncpg.connect(database_url)
        clients = [
            httpx.AsyncClient(base_url=serving.url, headers=client.headers, timeout=60) for _ in range(3)
        ]
        try:
            held = lock.transaction()
            await held.start()
            await lock.execute("SELECT 1 FROM claims WHERE id = $1 FOR UPDATE", uuid.UUID(claim["id"]))
            # Each on a connection of its own, they wait on the row lock inside the server.
            in_flight = [
                asyncio.create_task(http.patch(path, json={"tags": [f"in-flight-{i}"]}))
                for i, http in enumerate(clients)
            ]
            await _waiting_on_locks(db, IN_FLIGHT)

            serving.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            # The listening socket closes at once: new connections are refused...
            while not refuses_connections(serving.port):
                assert time.monotonic() - signalled < 3, "still accepting connections after SIGTERM"
                await asyncio.sleep(0.05)
            # ...while the requests in flight wait on, not cut.
            await asyncio.sleep(0.5)
            assert not any(task.done() for task in in_flight)
            assert serving.process.poll() is None

            await held.rollback()
            responses = await asyncio.gather(*in_flight)
            exit_code = await asyncio.to_thread(serving.process.wait, GRACEFUL_SHUTDOWN_SECONDS)
            stopped_after = time.monotonic() - signalled
        finally:
            await lock.close()
            await asyncio.gather(*(http.aclose() for http in clients))
        log = serving.output()

    assert [r.status_code for r in responses] == [200] * IN_FLIGHT, [r.text for r in responses]
    assert sorted(etag_of(r) for r in responses) == [2, 3, 4]
    assert exit_code == 0, log
    assert stopped_after < GRACEFUL_SHUTDOWN_SECONDS
    # The lifespan ran to its end; closing the pool is the last thing it does.
    assert "Application shutdown complete" in log, log
    assert (await db.fetchval("SELECT version FROM claims WHERE id = $1", uuid.UUID(claim["id"]))) == 4
