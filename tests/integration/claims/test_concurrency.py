"""Updates arriving at once: serialised without If-Match, exactly one winner with it."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter

import asyncpg
import httpx
import pytest

from tests.integration.helpers import (
    article_with_claim,
    claim_row,
    create_source,
    example_url,
    history_count,
    source_count,
)

N = 20


@pytest.fixture
async def clients(client: httpx.AsyncClient) -> list[httpx.AsyncClient]:
    """Separate connections to the server, each carrying the session client's headers (its key)."""
    opened = [
        httpx.AsyncClient(base_url=client.base_url, headers=client.headers, timeout=30) for _ in range(N)
    ]
    yield opened  # type: ignore[misc]
    await asyncio.gather(*(c.aclose() for c in opened))


async def test_concurrent_verifications_without_if_match_are_all_kept(
    clients: list[httpx.AsyncClient], client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    source = await create_source(client)
    _, claim = await article_with_claim(client, sources=[{"source_id": source["id"], "relation": "supports"}])
    statuses = ["verified", "in_review", "misleading", "unverifiable"]

    async def submit(i: int, http: httpx.AsyncClient) -> httpx.Response:
        return await http.post(
            f"/v1/claims/{claim['id']}/verifications",
            json={"status": statuses[i % len(statuses)], "note": f"Prüfung {i}"},
        )

    responses = await asyncio.gather(*(submit(i, c) for i, c in enumerate(clients)))
    assert [r.status_code for r in responses] == [201] * N, [
        r.text for r in responses if r.status_code != 201
    ]
    versions = sorted(r.json()["verification"]["claim_version"] for r in responses)
    assert versions == list(range(2, N + 2))

    row = await claim_row(db, claim["id"])
    assert row["version"] == 1 + N
    assert await history_count(db, claim["id"]) == N
    stored = await db.fetch(
        "SELECT claim_version, note, status, previous_status FROM verifications"
        " WHERE claim_id = $1 ORDER BY claim_version",
        uuid.UUID(claim["id"]),
    )
    assert [r["claim_version"] for r in stored] == versions
    assert sorted(r["note"] for r in stored) == sorted(f"Prüfung {i}" for i in range(N))
    # Each entry's previous status is the status the one before it set: nothing was lost in between.
    assert stored[0]["previous_status"] == "unverified"
    for before, after in itertools.pairwise(stored):
        assert after["previous_status"] == before["status"]
    assert row["status"] == stored[-1]["status"]

    history = (await client.get(f"/v1/claims/{claim['id']}/verifications")).json()["items"]
    assert [v["claim_version"] for v in history] == versions


async def test_concurrent_updates_with_the_same_if_match_have_one_winner(
    clients: list[httpx.AsyncClient], client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    responses = await asyncio.gather(
        *(
            c.post(
                f"/v1/claims/{claim['id']}/verifications",
                json={"status": "in_review", "note": f"{i}"},
                headers={"If-Match": '"1"'},
            )
            for i, c in enumerate(clients)
        )
    )
    assert Counter(r.status_code for r in responses) == {201: 1, 412: N - 1}
    assert (await claim_row(db, claim["id"]))["version"] == 2
    assert await history_count(db, claim["id"]) == 1


async def test_concurrent_creates_of_one_source_store_it_once(
    clients: list[httpx.AsyncClient], db: asyncpg.Connection, unique: str
) -> None:
    url = example_url("race", unique)
    spellings = [url, url + "/", url.replace("https://example.org", "HTTPS://Example.org:443")]
    responses = await asyncio.gather(
        *(c.post("/v1/sources", json={"url": spellings[i % 3]}) for i, c in enumerate(clients))
    )
    assert Counter(r.status_code for r in responses) == {201: 1, 200: N - 1}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await source_count(db, url) == 1


async def test_concurrent_links_to_one_claim_are_all_kept(
    clients: list[httpx.AsyncClient], client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    responses = await asyncio.gather(
        *(
            c.post(
                f"/v1/claims/{claim['id']}/sources",
                json={"source": {"url": example_url("many")}, "relation": "context"},
            )
            for c in clients
        )
    )
    assert [r.status_code for r in responses] == [201] * N
    assert (await claim_row(db, claim["id"]))["version"] == 1 + N
    assert (
        await db.fetchval("SELECT count(*) FROM claim_sources WHERE claim_id = $1", uuid.UUID(claim["id"]))
        == N
    )
