"""Bodies past the limits every body keeps (schemas.common MAX_DEPTH, integer bounds) are a 400
naming the place, never a 500, and store nothing: strict bodies and the admin batch import.
(The ClaimReview import, the loose body, is tested in test_claimreview.py.)"""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.integration.helpers import assert_problem, token

JSON = {"content-type": "application/json"}


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/v1/articles", b'{"title": ' + deep(1_000) + b"}"),
        ("/v1/articles", b'{"title": "t", "unknown": ' + deep(1_000) + b"}"),
        ("/v1/sources", b'{"url": ' + deep(100_000) + b"}"),
        ("/v1/import", b'{"articles": ' + deep(1_000) + b"}"),
        ("/v1/import", b'{"articles": [{"claims": ' + deep(1_000) + b"}]}"),
    ],
)
async def test_a_deeply_nested_strict_body_is_a_400(client: httpx.AsyncClient, path: str, raw: bytes) -> None:
    body = assert_problem(await client.post(path, content=raw, headers=JSON), 400, "invalid-request")
    assert body["errors"], body


def article_record(u: str, **fields: object) -> dict[str, object]:
    return {
        "url": f"https://example.org/limits/{u}",
        "title": "Grenzen",
        "language": "de",
        "body": "Die Zahl ist groß.",
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"version": 10**400}, "/articles/0/version"),
        ({"version": 2**31}, "/articles/0/version"),
        (
            {"claims": [{"text": "Groß.", "quote": "groß", "version": 10**20}]},
            "/articles/0/claims/0/version",
        ),
        (
            {
                "claims": [
                    {
                        "text": "Groß.",
                        "quote": "groß",
                        "sources": [
                            {
                                "source": {
                                    "url": "https://example.org/limits/source",
                                    "review_rating": {"value": 10**400, "best": 5, "worst": 1, "text": "x"},
                                },
                                "relation": "context",
                            }
                        ],
                    }
                ]
            },
            "/articles/0/claims/0/sources/0/source/review_rating/value",
        ),
    ],
)
async def test_an_import_with_an_integer_past_its_bounds_names_it_and_stores_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection, fields: dict[str, object], pointer: str
) -> None:
    u = token()
    response = await client.post("/v1/import", json={"articles": [article_record(u, **fields)]})
    body = assert_problem(response, 400, "invalid-request")
    assert [e["field"] for e in body["errors"]] == [pointer], body
    stored = await db.fetchval(
        "SELECT count(*) FROM articles WHERE url = $1", f"https://example.org/limits/{u}"
    )
    assert stored == 0
