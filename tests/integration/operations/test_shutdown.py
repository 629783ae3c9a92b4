"""SIGTERM to `claimtrack serve`: no new connections, requests in flight finish, the pool closes, exit 0."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid

import asyncpg
import httpx

from api.cli import GRACEFUL_SHUTDOWN_SECONDS
from tests.integration.helpers import article_with_claim, etag_of, wait_until
from tests.integration.operations.operations import Serving, refuses_connections

IN_FLIGHT = 3


async def _waiting_on_locks(db: asyncpg.Connection, count: int) -> bool:
    """At least ``count`` of the API's connections wait on a lock."""
    waiting: int = await db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = 'claimtrack' AND wait_event_type = 'Lock'"
    )
    return waiting >= count


async def test_sigterm_lets_requests_in_flight_finish_and_exits_0(
    client: httpx.AsyncClient, database_url: str, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    path = f"/v1/claims/{claim['id']}"
    with Serving(database_url) as serving:
        await serving.ready()
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
            await wait_until(
                lambda: _waiting_on_locks(db, IN_FLIGHT), what=f"{IN_FLIGHT} requests wait on the row lock"
            )

            serving.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            # The listening socket closes (well within the graceful period): new connections are
            # refused...
            await wait_until(
                lambda: refuses_connections(serving.port),
                GRACEFUL_SHUTDOWN_SECONDS / 2,
                what="new connections are refused after SIGTERM",
            )
            # ...while the requests in flight wait on, not cut: they stay in flight a while,
            # and only the lock held here keeps them from finishing.
            await asyncio.sleep(0.5)
            assert await _waiting_on_locks(db, IN_FLIGHT)
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
