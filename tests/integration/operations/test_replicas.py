"""Reads from a streaming replica, and read-your-writes with the consistency token.

A primary and a replica (``pg_basebackup -R``) of PostgreSQL 15 run in temporary directories
on loopback ports for this module (tests/cluster.py); the API under test is the real one over
HTTP, with the replica in ``replica_urls``.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from api.migrate import current_head
from tests.cluster import Cluster, missing_tools, running_cluster
from tests.conftest import LiveServer, create_key, new_database, settings_for
from tests.integration.helpers import assert_problem, create_article, create_claim, verify, wait_until

TOKEN = re.compile(r"[0-9A-F]{1,8}/[0-9A-F]{1,8}")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    reason = missing_tools()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with running_cluster() as started:
        yield started


@pytest.fixture(scope="module")
async def urls(cluster: Cluster) -> AsyncIterator[tuple[str, str]]:
    """The test database on the primary, and the same database on the replica once it is there."""
    with new_database(cluster.primary.url(), "replicas") as primary_url:
        name = primary_url.rsplit("/", 1)[1]
        replica_url = cluster.replica.url(name)

        async def migrated_on_replica() -> bool:
            try:
                conn = await asyncpg.connect(replica_url)
            except (OSError, asyncpg.PostgresError):
                return False
            try:
                return bool(await conn.fetchval("SELECT version_num FROM alembic_version") == current_head())
            except asyncpg.UndefinedTableError:
                return False  # the database is there, its migrations not yet replayed
            finally:
                await conn.close()

        await wait_until(migrated_on_replica, what="the replica has the migrated test database")
        yield primary_url, replica_url


def _settings(urls: tuple[str, str], **overrides: Any) -> Any:
    primary_url, replica_url = urls
    return settings_for(
        primary_url,
        replica_urls=(replica_url,),
        replica_check_seconds=0.1,
        replica_timeout=0.5,
        statement_timeout_ms=3000,
        **overrides,
    )


@pytest.fixture(scope="module")
def server(urls: tuple[str, str]) -> Iterator[LiveServer]:
    # Lag allowed generously here: the tests that pause replay read from the paused replica on purpose.
    with LiveServer(_settings(urls, replica_max_lag_seconds=60)) as running:
        yield running


async def _client(server: LiveServer, database_url: str, name: str, scopes: list[str]) -> httpx.AsyncClient:
    token = await create_key(database_url, name, scopes)
    return httpx.AsyncClient(base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
async def desk(server: LiveServer, urls: tuple[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """The key that writes."""
    async with await _client(server, urls[0], "desk", ["read", "write", "verify", "admin"]) as http:
        yield http


@pytest.fixture(scope="module")
async def reader(server: LiveServer, urls: tuple[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """Another key, which only reads: it has written nothing this process could remember."""
    async with await _client(server, urls[0], "reader", ["read"]) as http:
        yield http


@pytest.fixture
async def replica_conn(urls: tuple[str, str]) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(urls[1])
    yield conn
    await conn.close()


async def _read_until_replica(
    http: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """GET ``path`` until the replica answers it (each answer checked to be a 200)."""

    async def served_by_replica() -> httpx.Response | None:
        response = await http.get(path, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["served-by"] in ("primary", "replica")
        return response if response.headers["served-by"] == "replica" else None

    return await wait_until(served_by_replica, what=f"the replica answers GET {path}")


async def test_writes_carry_a_token_and_reads_reach_the_current_replica(
    desk: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    article = await create_article(desk)
    created = await desk.post(
        f"/v1/articles/{article['id']}/claims", json={"text": "T", "quote": "Straßenbahn"}
    )
    assert created.status_code == 201, created.text
    token = created.headers["consistency-token"]
    assert TOKEN.fullmatch(token), token
    claim = created.json()

    # With the token: the replica once it has replayed the write, and always the claim as written.
    seen = await _read_until_replica(desk, f"/v1/claims/{claim['id']}", {"Consistency-Token": token})
    assert seen.json() == claim
    # Without one, another key's reads go to the replica too.
    listed = await _read_until_replica(reader, f"/v1/articles/{article['id']}/claims")
    assert [c["id"] for c in listed.json()["items"]] == [claim["id"]]

    # The change feed stays on the primary, whatever the replica's state.
    feed = await desk.get("/v1/events", params={"limit": 1})
    assert feed.status_code == 200 and feed.headers["served-by"] == "primary"

    ready = await desk.get("/ready")
    assert ready.status_code == 200
    (replica,) = ready.json()["replicas"]
    assert replica["state"] == "up" and replica["lag_seconds"] is not None, replica


async def test_a_read_sees_the_write_whose_token_it_sends_while_replay_is_paused(
    desk: httpx.AsyncClient,
    reader: httpx.AsyncClient,
    replica_conn: asyncpg.Connection,
    urls: tuple[str, str],
) -> None:
    article = await create_article(desk)
    created = await desk.post(
        f"/v1/articles/{article['id']}/claims", json={"text": "T", "quote": "Straßenbahn"}
    )
    claim_id = created.json()["id"]
    # The replica holds the claim as created before replay stops.
    await _read_until_replica(
        desk, f"/v1/claims/{claim_id}", {"Consistency-Token": created.headers["consistency-token"]}
    )

    await replica_conn.execute("SELECT pg_wal_replay_pause()")
    try:
        await wait_until(
            lambda: replica_conn.fetchval("SELECT pg_get_wal_replay_pause_state() = 'paused'"),
            what="replay is paused",
        )
        update = await verify(desk, claim_id, "in_review", note="checking")
        token = update.headers["consistency-token"]
        assert update.json()["claim"]["status"] == "in_review"

        # At once, with the token: the new status, from the primary (the replica cannot have it).
        read = await desk.get(f"/v1/claims/{claim_id}", headers={"Consistency-Token": token})
        assert read.status_code == 200
        assert read.json()["status"] == "in_review"
        assert read.headers["served-by"] == "primary"
        # The same key without the header: this process remembers its write.
        read = await desk.get(f"/v1/claims/{claim_id}")
        assert read.json()["status"] == "in_review"
        assert read.headers["served-by"] == "primary"
        # Another key without a token may read the replica, which really is behind.
        other = await _read_until_replica(reader, f"/v1/claims/{claim_id}")
        assert other.json()["status"] == "unverified"

        # An API process that allows little lag takes the paused replica out, and back in later.
        with LiveServer(_settings(urls, replica_max_lag_seconds=0.5)) as strict:
            async with httpx.AsyncClient(base_url=strict.url, headers=reader.headers, timeout=30) as http:

                async def lagging() -> dict[str, Any] | None:
                    replica: dict[str, Any] = (await http.get("/ready")).json()["replicas"][0]
                    return replica if replica["state"] == "lagging" else None

                replica = await wait_until(lagging, what="the paused replica is lagging")
                assert replica["lag_seconds"] > 0.5 and replica["lag_bytes"] > 0, replica
                read = await http.get(f"/v1/claims/{claim_id}")
                assert read.headers["served-by"] == "primary"
                assert read.json()["status"] == "in_review"
                await replica_conn.execute("SELECT pg_wal_replay_resume()")
                caught_up = await _read_until_replica(http, f"/v1/claims/{claim_id}")
                assert caught_up.json()["status"] == "in_review"
    finally:
        await replica_conn.execute("SELECT pg_wal_replay_resume()")

    read = await _read_until_replica(desk, f"/v1/claims/{claim_id}", {"Consistency-Token": token})
    assert read.json()["status"] == "in_review"


async def test_a_malformed_token_is_refused(desk: httpx.AsyncClient) -> None:
    article = await create_article(desk)
    for bad in ("yesterday", "0/", "1/2/3", "G/1", "123456789/0"):
        response = await desk.get(f"/v1/articles/{article['id']}", headers={"Consistency-Token": bad})
        assert_problem(response, 400, "invalid-request")


async def test_stopping_the_replica_under_load_fails_no_request(
    cluster: Cluster, desk: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    article = await create_article(desk)
    claims = [(await create_claim(desk, article["id"]))["id"] for _ in range(3)]
    await _read_until_replica(reader, f"/v1/articles/{article['id']}/claims")

    answers: list[tuple[float, float, int, str]] = []  # (started, seconds, status, served by)
    stopped_at: list[float] = []
    done = asyncio.Event()

    async def read_loop(http: httpx.AsyncClient, path: str) -> None:
        while not done.is_set():
            started = time.monotonic()
            response = await http.get(path)
            answers.append(
                (
                    started,
                    time.monotonic() - started,
                    response.status_code,
                    response.headers.get("served-by", ""),
                )
            )
            assert response.status_code == 200, response.text

    async def write_loop() -> None:
        n = 0
        while not done.is_set():
            claim_id = claims[n % len(claims)]
            n += 1
            update = await desk.post(
                f"/v1/claims/{claim_id}/verifications", json={"status": "in_review", "note": str(n)}
            )
            assert update.status_code == 201, update.text
            read = await desk.get(
                f"/v1/claims/{claim_id}/verifications",
                params={"limit": 500},
                headers={"Consistency-Token": update.headers["consistency-token"]},
            )
            assert read.status_code == 200, read.text
            assert str(n) in [entry["note"] for entry in read.json()["items"]]

    async def stop_replica() -> None:
        await wait_until(
            lambda: sum(1 for a in answers if a[3] == "replica") >= 30, what="reads on the replica"
        )
        await asyncio.to_thread(cluster.replica.stop, "fast")
        stopped_at.append(time.monotonic())
        await wait_until(
            lambda: sum(1 for a in answers if a[0] > stopped_at[0]) >= 60, what="reads after the stop"
        )
        done.set()

    paths = [f"/v1/articles/{article['id']}/claims", *(f"/v1/claims/{c}" for c in claims)]
    await asyncio.wait_for(
        asyncio.gather(*(read_loop(reader, p) for p in paths), write_loop(), stop_replica()), timeout=60
    )

    assert all(status == 200 for _, _, status, _ in answers)
    after = [a for a in answers if a[0] > stopped_at[0]]
    assert after and all(served == "primary" for *_, served in after)
    # No read waited for the stopped replica beyond the bound (replica_timeout of 0.5 s, plus slack).
    assert max(seconds for _, seconds, _, _ in answers) < 3.0

    await wait_until(lambda: _replica_is(desk, "down"), what="/ready says the replica is down")
    # Started again, it rejoins by itself.
    await asyncio.to_thread(cluster.replica.start)
    await _read_until_replica(reader, f"/v1/articles/{article['id']}/claims")
    await wait_until(lambda: _replica_is(desk, "up"), what="/ready says the replica is up")

    metrics = await desk.get("/metrics")
    assert 'claimtrack_replica_state{replica="127.0.0.1:' in metrics.text
    assert re.search(r'claimtrack_db_reads_total\{served_by="replica"\} [1-9]', metrics.text), metrics.text
    assert re.search(
        r'claimtrack_replica_skipped_total\{reason="(unreachable|failed|none_up)"\} [1-9]', metrics.text
    )


async def _replica_is(http: httpx.AsyncClient, state: str) -> bool:
    return bool((await http.get("/ready")).json()["replicas"][0]["state"] == state)
