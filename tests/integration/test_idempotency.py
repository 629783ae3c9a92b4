"""Idempotency-Key on POST: retries replay, a different body is 422, a running one is 409."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx

from tests.conftest import create_key
from tests.integration.helpers import assert_problem, create_article, example_url, wait_until


async def test_a_retry_replays_the_stored_response(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"url": example_url("sources"), "title": "Ministry statement"}
    first = await client.post("/v1/sources", json=body, headers=key)
    assert first.status_code == 201
    again = await client.post("/v1/sources", json=body, headers=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await db.fetchval("SELECT count(*) FROM sources WHERE url = $1", body["url"]) == 1


async def test_a_retried_verification_is_stored_once(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    article = await create_article(client, claims=[{"text": "t", "quote": "Der Bürgermeister"}])
    claim = (await client.get(f"/v1/articles/{article['id']}/claims")).json()["items"][0]
    key = {"Idempotency-Key": f"verdict-{uuid.uuid4()}"}
    update = {"status": "in_review", "note": "looking"}
    answers = [
        await client.post(f"/v1/claims/{claim['id']}/verifications", json=update, headers=key)
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["verification"]["id"] for a in answers}) == 1
    assert (
        await db.fetchval("SELECT count(*) FROM verifications WHERE claim_id = $1", uuid.UUID(claim["id"]))
        == 1
    )
    assert await db.fetchval("SELECT version FROM claims WHERE id = $1", uuid.UUID(claim["id"])) == 2


async def test_the_same_key_with_another_body_is_422(client: httpx.AsyncClient) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert (
        await client.post("/v1/sources", json={"url": example_url("sources")}, headers=key)
    ).status_code == 201
    other = await client.post("/v1/sources", json={"url": example_url("sources")}, headers=key)
    assert_problem(other, 422, "idempotency-key-reused")


async def test_keys_are_scoped_to_the_api_key(client: httpx.AsyncClient, database_url: str) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    mine = await client.post("/v1/sources", json={"url": example_url("sources")}, headers=key)
    token = await create_key(database_url, f"other-{uuid.uuid4().hex[:6]}", ["write"])
    other = await client.post(
        "/v1/sources",
        json={"url": example_url("sources")},
        headers={**key, "Authorization": f"Bearer {token}"},
    )
    assert mine.status_code == other.status_code == 201
    assert mine.json()["id"] != other.json()["id"]


async def test_while_the_first_runs_a_retry_is_409(
    client: httpx.AsyncClient, database_url: str, db: asyncpg.Connection
) -> None:
    article = await create_article(client, claims=[{"text": "t", "quote": "Der Bürgermeister"}])
    claim = (await client.get(f"/v1/articles/{article['id']}/claims")).json()["items"][0]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    # Hold the claim's row so the first request waits inside its transaction.
    blocker = await asyncpg.connect(database_url)
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("SELECT 1 FROM claims WHERE id = $1 FOR UPDATE", uuid.UUID(claim["id"]))
        update = {"status": "in_review"}
        first = asyncio.create_task(
            client.post(f"/v1/claims/{claim['id']}/verifications", json=update, headers=key)
        )
        # The key is taken before the request's own transaction, which then waits for the row.
        await wait_until(
            lambda: db.fetchval(
                "SELECT count(*) FROM idempotency_keys WHERE key = $1", key["Idempotency-Key"]
            ),
            what="the first request holds the key",
        )
        second = await client.post(f"/v1/claims/{claim['id']}/verifications", json=update, headers=key)
        assert_problem(second, 409, "conflict")
        assert second.headers["retry-after"]
        await transaction.rollback()
        assert (await first).status_code == 201
    finally:
        await blocker.close()
    third = await client.post(
        f"/v1/claims/{claim['id']}/verifications", json={"status": "in_review"}, headers=key
    )
    assert third.status_code == 201 and third.headers["idempotent-replayed"] == "true"


async def test_a_malformed_key_is_400(client: httpx.AsyncClient) -> None:
    bad = await client.post(
        "/v1/sources", json={"url": example_url("sources")}, headers={"Idempotency-Key": "a b"}
    )
    assert_problem(bad, 400, "invalid-request")
