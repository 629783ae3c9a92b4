"""Input the schema refuses (400), rules broken (422), oversized bodies (413), U+0000 anywhere."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.helpers import (
    article_with_claim,
    assert_problem,
    claim_row,
    create_article,
    create_source,
    example_url,
)

NUL = "\u0000"
MiB = 1024 * 1024


async def article_count(db: asyncpg.Connection, title: str) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM articles WHERE title = $1", title)
    return count


def article_payload(**overrides: Any) -> dict[str, Any]:
    return {"title": "Fehlerfall", "language": "de", "body": "Ein Text.", **overrides}


@pytest.mark.parametrize(
    "content",
    [
        b'{"title": "x", ',
        b"",
        b"[]",
        b'"text"',
        b'{"title": "\\ud800", "language": "de", "body": "x"}',  # a lone surrogate
    ],
)
async def test_not_json_or_not_an_object_is_400(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post(
        "/v1/articles", content=content, headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "invalid-request")


async def test_a_body_that_is_not_utf8_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/articles",
        content=b'{"title": "\xff\xfe", "language": "de", "body": "x"}',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 400, "invalid-request")


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        (article_payload(colour="red"), "/colour"),
        (article_payload(claims=[{"text": "t", "quote": "Text", "weight": 1}]), "/claims/0/weight"),
        (
            article_payload(
                claims=[{"text": "t", "quote": "Text", "span": {"start": 4, "end": 8, "len": 4}}]
            ),
            "/claims/0/span/len",
        ),
        (
            article_payload(
                claims=[{"text": "t", "quote": "Text", "sources": [{"source_id": str(uuid.uuid4()), "x": 1}]}]
            ),
            "/claims/0/sources/0/x",
        ),
    ],
)
async def test_unknown_fields_are_400_naming_the_field(
    client: httpx.AsyncClient, db: asyncpg.Connection, payload: dict[str, Any], pointer: str
) -> None:
    payload["title"] = f"unknown-{uuid.uuid4().hex}"
    problem = assert_problem(await client.post("/v1/articles", json=payload), 400, "invalid-request")
    assert [e["field"] for e in problem["errors"]] == [pointer]
    assert await article_count(db, payload["title"]) == 0


async def test_unknown_field_wins_over_a_broken_rule(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    # The schema is checked first: an unknown field is 400 even when the rule would also fail.
    response = await client.post(
        f"/v1/claims/{claim['id']}/verifications", json={"status": "verified", "confidence": 0.9}
    )
    assert assert_problem(response, 400, "invalid-request")["errors"][0]["field"] == "/confidence"
    # Well-formed, but the rule is broken: 422.
    response = await client.post(f"/v1/claims/{claim['id']}/verifications", json={"status": "verified"})
    assert_problem(response, 422, "evidence-required")
    assert (await claim_row(db, claim["id"]))["version"] == 1


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        (article_payload(title=1), "/title"),
        (
            article_payload(claims=[{"text": "t", "quote": "Text", "span": {"start": "4", "end": 8}}]),
            "/claims/0/span/start",
        ),
        (
            article_payload(claims=[{"text": "t", "quote": "Text", "span": {"start": 4.0, "end": 8}}]),
            "/claims/0/span/start",
        ),
        (article_payload(claims=[{"text": "t", "quote": "Text", "tags": "a"}]), "/claims/0/tags"),
        (article_payload(published_at=1641600000), "/published_at"),
        (article_payload(language="deutsch!"), "/language"),
        (article_payload(title=""), "/title"),
        (
            article_payload(claims=[{"text": "t", "quote": "Text", "span": {"start": -1, "end": 8}}]),
            "/claims/0/span/start",
        ),
        (article_payload(url="ftp://example.org/x"), "/url"),
        (article_payload(url="example.org/x"), "/url"),
        (article_payload(url="https://exa mple.org/x"), "/url"),
        (article_payload(url="https://example.org:99999/x"), "/url"),
        (article_payload(url="https://example..org/x"), "/url"),
        (article_payload(url="https://xn--/x"), "/url"),
        (
            article_payload(claims=[{"text": "t", "quote": "Text", "review_url": "mailto:x@example.org"}]),
            "/claims/0/review_url",
        ),
        (
            article_payload(
                claims=[
                    {"text": "t", "quote": "Text", "sources": [{"source_id": "nope", "relation": "supports"}]}
                ]
            ),
            "/claims/0/sources/0/source_id",
        ),
        (article_payload(claims=[{"text": "t"}]), "/claims/0/quote"),
    ],
)
async def test_wrong_types_and_values_are_400_without_coercion(
    client: httpx.AsyncClient, db: asyncpg.Connection, payload: dict[str, Any], pointer: str
) -> None:
    marker = f"typed-{uuid.uuid4().hex}"
    if payload.get("title") == "Fehlerfall":
        payload["title"] = marker
    problem = assert_problem(await client.post("/v1/articles", json=payload), 400, "invalid-request")
    assert problem["errors"][0]["field"] == pointer, problem
    assert await article_count(db, marker) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/v1/articles/123",
        "/v1/articles/not-a-uuid/claims",
        "/v1/claims/00000000-0000-0000-0000-00000000000g",
        "/v1/claims/x/verifications",
        "/v1/sources/%20",
        "/v1/sources/1/claims",
    ],
)
async def test_malformed_ids_in_paths_are_400(client: httpx.AsyncClient, path: str) -> None:
    assert_problem(await client.get(path), 400, "invalid-request")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/articles", {"limit": "0"}),
        ("/v1/articles", {"limit": "501"}),
        ("/v1/articles", {"limit": "ten"}),
        ("/v1/articles", {"cursor": "not-a-cursor"}),
        ("/v1/articles", {"url": "not a url"}),
        ("/v1/sources", {"url": "ftp://example.org/x"}),
        ("/v1/sources", {"limit": "1.5"}),
        ("/v1/claims", {"status": "true"}),
        ("/v1/claims", {"article_id": "123"}),
        ("/v1/claims", {"updated_since": "yesterday"}),
        ("/v1/claims", {"language": "de_DE"}),
        ("/v1/claims", {"limit": "-1"}),
        ("/v1/claims", {"cursor": "eyJ4IjoxfQ"}),  # valid base64 and JSON, not a cursor of this list
    ],
)
async def test_bad_query_parameters_are_400(
    client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    assert_problem(await client.get(path, params=params), 400, "invalid-request")


async def test_verification_with_a_malformed_source_is_400(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    for sources, pointer in (
        ([{"source": {"url": "javascript:alert(1)"}, "relation": "supports"}], "/sources/0/source/url"),
        ([{"relation": "supports"}], "/sources/0"),
        ([{"source": {"url": example_url()}, "relation": "SUPPORTS"}], "/sources/0/relation"),
    ):
        response = await client.post(
            f"/v1/claims/{claim['id']}/verifications", json={"status": "verified", "sources": sources}
        )
        assert assert_problem(response, 400, "invalid-request")["errors"][0]["field"] == pointer
    assert (await claim_row(db, claim["id"]))["version"] == 1


async def test_an_oversized_body_is_413(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    title = f"big-{uuid.uuid4().hex}"
    payload = json.dumps(article_payload(title=title, body="x" * (4 * MiB))).encode()
    response = await client.post(
        "/v1/articles", content=payload, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "payload-too-large")
    assert await article_count(db, title) == 0

    # Without a Content-Length the limit holds too.
    async def chunks() -> Any:
        for at in range(0, len(payload), MiB):
            yield payload[at : at + MiB]

    response = await client.post(
        "/v1/articles", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "payload-too-large")
    assert await article_count(db, title) == 0


async def test_a_large_body_under_the_limit_is_accepted(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = "Ein langer Text. " * 100_000  # 1.7 MB
    article = await create_article(client, body=body)
    assert await db.fetchval(
        "SELECT char_length(body) FROM articles WHERE id = $1", uuid.UUID(article["id"])
    ) == len(body)


BODY_CASES = [
    ("POST", "/v1/articles", article_payload(title=f"a{NUL}b")),
    ("POST", "/v1/articles", article_payload(body=f"Ein{NUL}Text")),
    ("POST", "/v1/articles", article_payload(external_id=f"id{NUL}")),
    ("POST", "/v1/articles", article_payload(outlet=NUL)),
    ("POST", "/v1/articles", article_payload(url=f"https://example.org/{NUL}")),
    ("POST", "/v1/articles", article_payload(claims=[{"text": f"t{NUL}", "quote": "Text"}])),
    ("POST", "/v1/articles", article_payload(claims=[{"text": "t", "quote": "Text", "tags": [f"x{NUL}"]}])),
    ("POST", "/v1/articles", article_payload(claims=[{"text": "t", "quote": "Text", "prefix": NUL}])),
    ("POST", "/v1/sources", {"url": example_url(), "title": f"T{NUL}"}),
    ("POST", "/v1/sources", {"url": example_url(), "publisher": NUL}),
    ("POST", "/v1/articles", {NUL: 1, **article_payload()}),
]


@pytest.mark.parametrize(("method", "path", "payload"), BODY_CASES)
async def test_nul_in_a_body_string_is_400(
    client: httpx.AsyncClient, method: str, path: str, payload: dict[str, Any]
) -> None:
    response = await client.request(method, path, json=payload)
    assert_problem(response, 400, "invalid-request")


async def test_nul_in_bodies_of_every_write_is_400(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    article, claim = await article_with_claim(client)
    source = await create_source(client)
    requests = [
        ("PATCH", f"/v1/articles/{article['id']}", {"title": f"x{NUL}"}),
        ("PATCH", f"/v1/articles/{article['id']}", {"body": f"x{NUL}"}),
        ("POST", f"/v1/articles/{article['id']}/claims", {"text": "t", "quote": f"Straß{NUL}"}),
        ("PATCH", f"/v1/claims/{claim['id']}", {"claimant": NUL}),
        ("PATCH", f"/v1/claims/{claim['id']}", {"quote": f"{NUL}"}),
        ("POST", f"/v1/claims/{claim['id']}/verifications", {"status": "misleading", "note": f"n{NUL}"}),
        (
            "POST",
            f"/v1/claims/{claim['id']}/verifications",
            {"status": "misleading", "note": "n", "rating_text": NUL},
        ),
        (
            "POST",
            f"/v1/claims/{claim['id']}/verifications",
            {
                "status": "in_review",
                "sources": [{"source_id": source["id"], "relation": "context", "excerpt": NUL}],
            },
        ),
        (
            "POST",
            f"/v1/claims/{claim['id']}/sources",
            {"source": {"url": example_url(), "title": NUL}, "relation": "context"},
        ),
        ("PATCH", f"/v1/sources/{source['id']}", {"title": f"x{NUL}"}),
    ]
    for method, path, payload in requests:
        response = await client.request(method, path, json=payload)
        assert_problem(response, 400, "invalid-request")
    assert await db.fetchval("SELECT version FROM articles WHERE id = $1", uuid.UUID(article["id"])) == 1
    assert (await claim_row(db, claim["id"]))["version"] == 1
    assert await db.fetchval("SELECT version FROM sources WHERE id = $1", uuid.UUID(source["id"])) == 1


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/articles", "url"),
        ("/v1/articles", "external_id"),
        ("/v1/articles", "cursor"),
        ("/v1/sources", "url"),
        ("/v1/sources", "cursor"),
        ("/v1/claims", "q"),
        ("/v1/claims", "tag"),
        ("/v1/claims", "language"),
        ("/v1/claims", "status"),
        ("/v1/claims", "article_id"),
        ("/v1/claims", "updated_since"),
        ("/v1/claims", "cursor"),
        ("/v1/claims/{claim}/verifications", "actor"),
        ("/v1/claims/{claim}/verifications", "cursor"),
        ("/v1/articles/{article}/claims", "cursor"),
        ("/v1/sources/{source}/claims", "cursor"),
    ],
)
async def test_nul_in_a_query_parameter_is_400(client: httpx.AsyncClient, path: str, name: str) -> None:
    ids = {"claim": uuid.uuid4(), "article": uuid.uuid4(), "source": uuid.uuid4()}
    response = await client.get(path.format(**ids), params={name: f"a{NUL}b"})
    assert_problem(response, 400, "invalid-request")


async def test_nul_in_a_path_is_400(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/claims/%00"), 400, "invalid-request")


async def test_unknown_routes_are_problem_json(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/nothing-here"), 404, "not-found")


# ---- URLs: the scheme said in words, credentials refused everywhere ------------------------------


@pytest.mark.parametrize(
    ("path", "payload", "pointer", "scheme"),
    [
        ("/v1/sources", {"url": "file:///etc/passwd"}, "/url", "file"),
        ("/v1/sources", {"url": "gopher://example.org:70/_"}, "/url", "gopher"),
        (
            "/v1/sources",
            {"url": "https://example.org/", "archived_url": "javascript:alert(1)"},
            "/archived_url",
            "javascript",
        ),
        ("/v1/articles", article_payload(url="file:///etc/passwd"), "/url", "file"),
        ("/v1/webhooks", {"url": "gopher://example.org:70/_"}, "/url", "gopher"),
    ],
)
async def test_a_url_of_another_scheme_is_400_saying_so(
    client: httpx.AsyncClient, path: str, payload: dict[str, Any], pointer: str, scheme: str
) -> None:
    problem = assert_problem(await client.post(path, json=payload), 400, "invalid-request")
    [error] = problem["errors"]
    assert error == {"field": pointer, "message": f"scheme not allowed: use http or https, not {scheme}:"}


async def test_a_link_with_a_javascript_url_is_told_its_scheme(client: httpx.AsyncClient) -> None:
    _, claim = await article_with_claim(client)
    response = await client.post(
        f"/v1/claims/{claim['id']}/verifications",
        json={
            "status": "verified",
            "sources": [{"source": {"url": "javascript:alert(1)"}, "relation": "supports"}],
        },
    )
    [error] = assert_problem(response, 400, "invalid-request")["errors"]
    assert error["field"] == "/sources/0/source/url"
    assert error["message"] == "scheme not allowed: use http or https, not javascript:"


async def test_a_url_with_a_space_or_nul_says_which(client: httpx.AsyncClient) -> None:
    for url, message in [
        ("https://exa mple.org/x", "must not contain spaces or control characters"),
        (f"https://example.org/{NUL}", "must not contain the character U+0000"),
        ("example.org/x", "must be an absolute URL starting with http:// or https://"),
    ]:
        problem = assert_problem(await client.post("/v1/sources", json={"url": url}), 400, "invalid-request")
        assert problem["errors"] == [{"field": "/url", "message": message}]


async def stored_with(db: asyncpg.Connection, secret: str) -> int:
    """Rows of any kind whose URLs hold ``secret``: none may, whatever was refused."""
    count: int = await db.fetchval(
        """
        SELECT (SELECT count(*) FROM articles WHERE strpos(url, $1) > 0)
             + (SELECT count(*) FROM sources WHERE strpos(url, $1) > 0 OR strpos(archived_url, $1) > 0)
             + (SELECT count(*) FROM claims WHERE strpos(review_url, $1) > 0)
             + (SELECT count(*) FROM webhooks WHERE strpos(url, $1) > 0)
        """,
        secret,
    )
    return count


async def test_urls_with_credentials_are_refused_everywhere(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    secret = f"pw{uuid.uuid4().hex[:8]}"

    def creds(kind: str = "page") -> str:
        return f"https://desk:{secret}@example.org/{kind}/{uuid.uuid4().hex[:8]}"

    article, claim = await article_with_claim(client)
    source = await create_source(client)
    webhook = (await client.post("/v1/webhooks", json={"url": example_url("hooks")})).json()["webhook"]
    link = {"source": {"url": creds("s")}, "relation": "supports"}
    cases: list[tuple[str, str, Any, str | None]] = [
        ("POST", "/v1/articles", article_payload(url=creds()), "/url"),
        (
            "POST",
            "/v1/articles",
            article_payload(claims=[{"text": "t", "quote": "Text", "review_url": creds()}]),
            "/claims/0/review_url",
        ),
        (
            "POST",
            "/v1/articles",
            article_payload(claims=[{"text": "t", "quote": "Text", "sources": [link]}]),
            "/claims/0/sources/0/source/url",
        ),
        ("PATCH", f"/v1/articles/{article['id']}", {"url": creds()}, "/url"),
        ("POST", "/v1/sources", {"url": creds()}, "/url"),
        ("POST", "/v1/sources", {"url": example_url(), "archived_url": creds()}, "/archived_url"),
        ("PATCH", f"/v1/sources/{source['id']}", {"url": creds()}, "/url"),
        ("PATCH", f"/v1/sources/{source['id']}", {"archived_url": creds()}, "/archived_url"),
        (
            "POST",
            f"/v1/articles/{article['id']}/claims",
            {"text": "t", "quote": "Montag", "review_url": creds()},
            "/review_url",
        ),
        ("PATCH", f"/v1/claims/{claim['id']}", {"review_url": creds()}, "/review_url"),
        (
            "POST",
            f"/v1/claims/{claim['id']}/verifications",
            {"status": "in_review", "review_url": creds()},
            "/review_url",
        ),
        (
            "POST",
            f"/v1/claims/{claim['id']}/verifications",
            {"status": "verified", "sources": [link]},
            "/sources/0/source/url",
        ),
        # One link is the whole body here.
        ("POST", f"/v1/claims/{claim['id']}/sources", link, "/source/url"),
        ("POST", "/v1/webhooks", {"url": creds("hooks")}, "/url"),
        ("PATCH", f"/v1/webhooks/{webhook['id']}", {"url": creds("hooks")}, "/url"),
        ("POST", "/v1/claimreview/import", {"@type": "ClaimReview", "url": creds("review")}, "/url"),
    ]
    for method, path, payload, pointer in cases:
        response = await client.request(method, path, json=payload)
        [error] = assert_problem(response, 422, "url-not-allowed")["errors"]
        assert error["message"] == "must not contain a user name or password (user:password@)"
        assert pointer is None or error["field"] == pointer, (method, path, error)
        assert secret not in response.text  # not shown back either
    for path in ("/v1/articles", "/v1/sources"):
        problem = assert_problem(await client.get(path, params={"url": creds()}), 422, "url-not-allowed")
        assert problem["errors"][0]["field"] == "/url"

    imported = await client.post(
        "/v1/import", json={"articles": [{"title": "Import", "language": "de", "body": "b", "url": creds()}]}
    )
    assert imported.status_code == 200, imported.text
    [result] = imported.json()["articles"]
    assert result["status"] == "failed" and result["problem"]["type"] == "/problems/url-not-allowed"
    assert result["problem"]["errors"] == [
        {"field": "/articles/0/url", "message": "must not contain a user name or password (user:password@)"}
    ]

    assert await stored_with(db, secret) == 0
    assert (await claim_row(db, claim["id"]))["version"] == 1
    for table, row in (("articles", article), ("sources", source), ("webhooks", webhook)):
        version = await db.fetchval(f"SELECT version FROM {table} WHERE id = $1", uuid.UUID(row["id"]))
        assert version == 1, table
    await client.delete(f"/v1/webhooks/{webhook['id']}")
