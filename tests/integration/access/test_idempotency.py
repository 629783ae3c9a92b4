"""Idempotency-Key on POST: retries replay, a different body is 422, a running one is 409; keys
belong to the API key that sent them, and refusals (401, 403, 415, 429) are never stored."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from tests.conftest import LiveServer, create_key, settings_for
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


# ---- Who may store an answer, and which answers are stored ----------------------------------------


async def stored(db: asyncpg.Connection, key: str) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key)
    return count


async def test_a_request_without_a_valid_key_stores_nothing(
    anonymous: httpx.AsyncClient, database_url: str, db: asyncpg.Connection
) -> None:
    before = await db.fetchval("SELECT count(*) FROM idempotency_keys")
    reader = await create_key(database_url, f"reader-{uuid.uuid4().hex[:6]}", ["read"])
    key = str(uuid.uuid4())
    body = {"url": example_url("sources")}
    for authorization, status in [
        (None, 401),
        ("Bearer ct_not-a-real-token", 401),
        ("Basic dXNlcjpwYXNz", 401),
        (f"Bearer {reader}", 403),  # a valid key without the write scope
    ]:
        headers = {"Idempotency-Key": key} | ({"Authorization": authorization} if authorization else {})
        for _ in range(2):
            response = await anonymous.post("/v1/sources", json=body, headers=headers)
            assert_problem(response, status, "unauthorized" if status == 401 else "forbidden")
            assert "idempotent-replayed" not in response.headers
    assert await stored(db, key) == 0
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys") == before
    assert await db.fetchval("SELECT count(*) FROM sources WHERE url = $1", body["url"]) == 0


@pytest.fixture(scope="module")
def limited_server(database_url: str) -> Iterator[LiveServer]:
    with LiveServer(settings_for(database_url, rate_limit_per_minute=2)) as server:
        yield server


async def test_a_rate_limited_request_is_not_stored(
    limited_server: LiveServer, database_url: str, db: asyncpg.Connection
) -> None:
    token = await create_key(database_url, f"limited-{uuid.uuid4().hex[:6]}", ["read", "write"])
    key = str(uuid.uuid4())
    async with httpx.AsyncClient(
        base_url=limited_server.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        for _ in range(2):
            assert (await http.get("/v1/sources")).status_code == 200
        limited = await http.post(
            "/v1/sources", json={"url": example_url("sources")}, headers={"Idempotency-Key": key}
        )
        assert_problem(limited, 429, "too-many-requests")
    assert await stored(db, key) == 0


async def test_keys_are_scoped_by_the_api_key_however_the_token_is_sent(
    client: httpx.AsyncClient, database_url: str, db: asyncpg.Connection
) -> None:
    token = await create_key(database_url, f"spelling-{uuid.uuid4().hex[:6]}", ["read", "write", "verify"])
    article = await create_article(client, claims=[{"text": "t", "quote": "Der Bürgermeister"}])
    claim = (await client.get(f"/v1/articles/{article['id']}/claims")).json()["items"][0]
    key = str(uuid.uuid4())
    answers = []
    for authorization in (f"Bearer {token}", f"bearer {token}", f"BEARER  {token}"):
        answers.append(
            await client.post(
                f"/v1/claims/{claim['id']}/verifications",
                json={"status": "in_review"},
                headers={"Authorization": authorization, "Idempotency-Key": key},
            )
        )
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert [a.headers.get("idempotent-replayed") for a in answers] == [None, "true", "true"]
    assert (
        await db.fetchval("SELECT count(*) FROM verifications WHERE claim_id = $1", uuid.UUID(claim["id"]))
        == 1
    )
    assert await stored(db, key) == 1


async def test_a_revoked_key_replays_nothing(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, database_url: str
) -> None:
    name = f"replayer-{uuid.uuid4().hex[:6]}"
    token = await create_key(database_url, name, ["write"])
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    body = {"url": example_url("sources")}
    assert (await anonymous.post("/v1/sources", json=body, headers=headers)).status_code == 201
    assert (await client.delete(f"/v1/keys/{name}")).status_code == 204

    async def refused() -> httpx.Response | None:
        response = await anonymous.post("/v1/sources", json=body, headers=headers)
        return response if response.status_code != 201 else None

    assert_problem(await wait_until(refused, what="the replay is refused"), 401, "unauthorized")


async def test_a_body_of_another_media_type_is_not_stored(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    content = f'{{"url": "{example_url("sources")}"}}'.encode()
    refused = await client.post("/v1/sources", content=content, headers={**key, "Content-Type": "text/plain"})
    assert_problem(refused, 415, "unsupported-media-type")
    assert await stored(db, key["Idempotency-Key"]) == 0
    created = await client.post(
        "/v1/sources", content=content, headers={**key, "Content-Type": "application/json"}
    )
    assert created.status_code == 201 and "idempotent-replayed" not in created.headers


async def test_a_replayed_secret_is_still_not_for_caches(client: httpx.AsyncClient) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"name": f"replayed-{uuid.uuid4().hex[:6]}", "scopes": ["read"]}
    first = await client.post("/v1/keys", json=body, headers=key)
    again = await client.post("/v1/keys", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["token"] == first.json()["token"]
    assert again.headers["cache-control"] == first.headers["cache-control"] == "no-store"
