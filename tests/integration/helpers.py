"""Small helpers the integration tests share: creating resources through the API, reading problems,
waiting for a state."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

import asyncpg
import httpx

PROBLEM = "application/problem+json"

T = TypeVar("T")

# Three languages and an emoji outside the Basic Multilingual Plane: offsets are code points.
BODY = (
    "Der Bürgermeister sagte am Montag, die Straßenbahn fahre ab März öfter. "
    "Мэр заявил, что трамвай будет ходить чаще. "
    "Die Stadt 🚋 verspricht 12 neue Linien bis 2030."
)


@overload
async def wait_until(
    predicate: Callable[[], Awaitable[T | None]],
    within: float = ...,
    *,
    what: str = ...,
    interval: float = ...,
) -> T: ...
@overload
async def wait_until(
    predicate: Callable[[], T | None], within: float = ..., *, what: str = ..., interval: float = ...
) -> T: ...
async def wait_until(
    predicate: Callable[[], Any],
    within: float = 30.0,
    *,
    what: str = "",
    interval: float = 0.05,
) -> Any:
    """Poll ``predicate`` (sync or async) until it returns something truthy, and return that
    (``None`` stands for "not yet", so a predicate may return the thing it waited for).

    For a test that waits for the state it then asserts: other threads, processes and
    background tasks get there at their own speed. ``within`` only bounds a failure (a pass
    returns as soon as the state is there), so it is generous; past it an AssertionError
    says what was awaited (``what``, else the predicate's name) and the last value seen.
    """
    deadline = time.monotonic() + within
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            awaited = what or getattr(predicate, "__name__", "the condition")
            raise AssertionError(
                f"timed out after {within:g} s waiting until {awaited}; last seen: {result!r}"
            )
        await asyncio.sleep(interval)


def token() -> str:
    return uuid.uuid4().hex[:12]


def example_url(kind: str = "page", name: str | None = None) -> str:
    return f"https://example.org/{kind}/{name or token()}"


def assert_problem(response: httpx.Response, status: int, name: str) -> dict[str, Any]:
    """The response is the contract's problem+json with this status and type; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{name}", body
    assert body["status"] == status
    assert body["title"]
    return body


def etag_of(response: httpx.Response) -> int:
    value = response.headers["etag"]
    assert value.startswith('"') and value.endswith('"'), value
    return int(value.strip('"'))


async def create_article(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "url": example_url("articles"),
        "external_id": f"cms-{token()}",
        "title": "Straßenbahn fährt öfter",
        "language": "de",
        "outlet": "Example Zeitung",
        "published_at": "2022-01-08T10:00:00Z",
        "body": BODY,
    }
    payload.update(overrides)
    response = await client.post("/v1/articles", json=payload)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def create_claim(client: httpx.AsyncClient, article_id: str, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"text": "Die Straßenbahn fährt ab März öfter.", "quote": "Straßenbahn"}
    payload.update(overrides)
    response = await client.post(f"/v1/articles/{article_id}/claims", json=payload)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def article_with_claim(
    client: httpx.AsyncClient, **claim: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    article = await create_article(client)
    return article, await create_claim(client, article["id"], **claim)


async def create_source(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"url": example_url("sources"), "title": "Pressemitteilung", "kind": "document"}
    payload.update(overrides)
    response = await client.post("/v1/sources", json=payload)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def verify(
    client: httpx.AsyncClient, claim_id: str, status: str, expect: int = 201, **fields: Any
) -> httpx.Response:
    response = await client.post(f"/v1/claims/{claim_id}/verifications", json={"status": status, **fields})
    assert response.status_code == expect, response.text
    return response


async def link(
    client: httpx.AsyncClient, claim_id: str, source_id: str, relation: str, **fields: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/claims/{claim_id}/sources", json={"source_id": source_id, "relation": relation, **fields}
    )


async def claim_row(db: asyncpg.Connection, claim_id: str) -> asyncpg.Record:
    row = await db.fetchrow("SELECT * FROM claims WHERE id = $1", uuid.UUID(claim_id))
    assert row is not None
    return row


async def history_count(db: asyncpg.Connection, claim_id: str) -> int:
    count: int = await db.fetchval(
        "SELECT count(*) FROM verifications WHERE claim_id = $1", uuid.UUID(claim_id)
    )
    return count


async def link_rows(db: asyncpg.Connection, claim_id: str) -> dict[str, tuple[str, str | None]]:
    """The claim's links in the database as {source_id: (relation, excerpt)}."""
    rows = await db.fetch(
        "SELECT source_id, relation, excerpt FROM claim_sources WHERE claim_id = $1", uuid.UUID(claim_id)
    )
    return {str(r["source_id"]): (r["relation"], r["excerpt"]) for r in rows}


async def source_count(db: asyncpg.Connection, url: str) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM sources WHERE url = $1", url)
    return count


async def walk(client: httpx.AsyncClient, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a listing, following next_cursor to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
