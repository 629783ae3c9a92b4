"""The API behind PgBouncer in transaction mode (CLAIMTRACK_PGBOUNCER=1).

Debian's PgBouncer (1.18) runs for this module in front of the test server, lending each
transaction one of two server connections, so that requests share server connections all the
time: a prepared statement or a session setting left behind would show at once. LISTEN goes
to the server directly (CLAIMTRACK_LISTEN_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from api.db import create_pool
from tests.cluster import PgBouncer, missing_tools, running_pgbouncer
from tests.conftest import LiveServer, create_key, new_database, settings_for
from tests.integration.helpers import (
    assert_problem,
    create_article,
    create_claim,
    create_source,
    link,
    verify,
    wait_until,
)


@pytest.fixture(scope="module")
async def direct_url(server_url: str) -> AsyncIterator[str]:
    """A database of its own, whose default time zone is not UTC (the pool must set it)."""
    if urlsplit(server_url).hostname is None:
        # The embedded server of `make test` without DATABASE_URL listens on a socket only.
        reason = "PgBouncer reaches PostgreSQL over TCP: run with DATABASE_URL (as CI does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with new_database(server_url, "pgbouncer") as url:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                f"ALTER DATABASE \"{urlsplit(url).path.lstrip('/')}\" SET timezone = 'America/New_York'"
            )
        finally:
            await conn.close()
        yield url


@pytest.fixture(scope="module")
def bouncer(direct_url: str) -> Iterator[PgBouncer]:
    reason = missing_tools(pgbouncer=True)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    parts = urlsplit(direct_url)
    with running_pgbouncer(parts.port or 5432, parts.path.lstrip("/"), pool_size=2) as running:
        yield running


@pytest.fixture(scope="module")
def settings(bouncer: PgBouncer, direct_url: str) -> object:
    return settings_for(bouncer.url(), pgbouncer=True, listen_database_url=direct_url, pool_max_size=8)


@pytest.fixture(scope="module")
def server(settings: object) -> Iterator[LiveServer]:
    with LiveServer(settings) as running:  # type: ignore[arg-type]
        yield running


@pytest.fixture(scope="module")
async def desk(server: LiveServer, direct_url: str) -> AsyncIterator[httpx.AsyncClient]:
    token = await create_key(direct_url, "desk", ["read", "write", "verify", "admin"])
    async with httpx.AsyncClient(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        yield http


async def test_the_core_workflow_runs_through_pgbouncer(desk: httpx.AsyncClient, direct_url: str) -> None:
    article = await create_article(desk)
    claims = [await create_claim(desk, article["id"], text=f"Claim {n}") for n in range(4)]
    source = await create_source(desk)

    async def check(claim: dict[str, object]) -> None:
        linked = await link(desk, str(claim["id"]), source["id"], "supports", excerpt="fährt öfter")
        assert linked.status_code == 201, linked.text
        update = await verify(desk, str(claim["id"]), "verified", note="confirmed")
        assert update.headers["consistency-token"]
        read = await desk.get(
            f"/v1/claims/{claim['id']}", headers={"Consistency-Token": update.headers["consistency-token"]}
        )
        assert read.status_code == 200 and read.json()["status"] == "verified"
        assert read.headers["served-by"] == "primary"

    # Eight requests at a time over two server connections.
    await asyncio.gather(*(check(c) for c in claims))

    listed = await desk.get(f"/v1/articles/{article['id']}/claims")
    assert listed.status_code == 200
    assert [c["status"] for c in listed.json()["items"]] == ["verified"] * 4
    assert all(c["sources"][0]["source"]["id"] == source["id"] for c in listed.json()["items"])
    # Full-text search sets its threshold with SET LOCAL inside its transaction.
    found = await desk.get("/v1/claims", params={"article_id": article["id"], "status": "verified"})
    assert found.status_code == 200 and len(found.json()["items"]) == 4
    history = await desk.get(f"/v1/claims/{claims[0]['id']}/verifications")
    assert [e["status"] for e in history.json()["items"]][-1] == "verified"
    # A new body re-places every claim in one transaction.
    patched = await desk.patch(
        f"/v1/articles/{article['id']}", json={"body": "Neu: " + article["body"]}, headers={"If-Match": '"1"'}
    )
    assert patched.status_code == 200, patched.text
    moved = await desk.get(f"/v1/claims/{claims[0]['id']}")
    assert moved.json()["span"]["start"] == claims[0]["span"]["start"] + len("Neu: ")
    # Errors are the same through the pooler: a stale version changes nothing.
    stale = await desk.patch(
        f"/v1/articles/{article['id']}", json={"title": "x"}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412, "precondition-failed")
    feed = await desk.get("/v1/events", params={"limit": 500})
    assert feed.status_code == 200 and feed.json()["items"]
    deleted = await desk.delete(f"/v1/articles/{article['id']}")
    assert deleted.status_code == 204

    conn = await asyncpg.connect(direct_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM claims WHERE article_id = $1", article["id"]) == 0
    finally:
        await conn.close()


async def test_a_revocation_reaches_the_api_through_its_direct_listening_connection(
    desk: httpx.AsyncClient, server: LiveServer, direct_url: str
) -> None:
    token = await create_key(direct_url, "short-lived", ["read"])
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        assert (await http.get("/v1/articles")).status_code == 200  # now cached in the process
        assert (await desk.delete("/v1/keys/short-lived")).status_code == 204

        async def refused() -> httpx.Response | None:
            response = await http.get("/v1/articles")
            return response if response.status_code == 401 else None

        assert_problem(await wait_until(refused, what="the revoked key is refused"), 401, "unauthorized")


async def test_pooled_connections_keep_utc_while_other_clients_change_their_zone(
    settings: object, bouncer: PgBouncer
) -> None:
    pool = await create_pool(settings, bouncer.url())  # type: ignore[arg-type]
    other = await asyncpg.connect(
        bouncer.url(), statement_cache_size=0, server_settings={"timezone": "Asia/Almaty"}
    )
    try:
        for _ in range(20):
            # The other client's zone, on whichever server connection it gets...
            assert await other.fetchval("SELECT current_setting('TimeZone')") == "Asia/Almaty"
            # ...is never what the API's connections see on theirs.
            async with pool.acquire() as conn:
                assert await conn.fetchval("SELECT current_setting('TimeZone')") == "UTC"
    finally:
        await other.close()
        await pool.close()
