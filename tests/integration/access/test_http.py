"""HTTP itself: If-Match as RFC 9110 says, JSON bodies only in JSON, secrets never cached."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.routes import HTTPRoute

from api.body import takes_json
from tests.conftest import LiveServer
from tests.integration.helpers import (
    article_with_claim,
    assert_problem,
    create_article,
    create_source,
    etag_of,
    example_url,
)

# ---- If-Match: strong comparison, a list of tags, or * -------------------------------------------


async def patchable(client: httpx.AsyncClient, kind: str) -> tuple[str, dict[str, Any], str]:
    """A new resource at version 1: its path, a change to PATCH and its table."""
    if kind == "claims":
        _, claim = await article_with_claim(client)
        return f"/v1/claims/{claim['id']}", {"tags": [f"t{uuid.uuid4().hex[:6]}"]}, "claims"
    if kind == "articles":
        article = await create_article(client)
        return f"/v1/articles/{article['id']}", {"title": f"T {uuid.uuid4().hex[:6]}"}, "articles"
    if kind == "sources":
        source = await create_source(client)
        return f"/v1/sources/{source['id']}", {"title": f"T {uuid.uuid4().hex[:6]}"}, "sources"
    created = await client.post("/v1/webhooks", json={"url": example_url("hooks")})
    assert created.status_code == 201, created.text
    webhook = created.json()["webhook"]
    return f"/v1/webhooks/{webhook['id']}", {"description": f"d {uuid.uuid4().hex[:6]}"}, "webhooks"


async def stored_version(db: asyncpg.Connection, table: str, path: str) -> int:
    version: int = await db.fetchval(
        f"SELECT version FROM {table} WHERE id = $1", uuid.UUID(path.split("/")[-1])
    )
    return version


# Each header is sent to a resource at version v; "stale" and "other" are versions it is not at.
# The outcome: None for a match, else why not (a weak tag, no current version, malformed).
IF_MATCH_CASES: list[tuple[str, str | None]] = [
    ('W/"{v}"', "weak"),  # weak tags never match, even the current version's
    ('"{stale}", W/"{v}"', "stale"),
    ('"{stale}", "{other}"', "stale"),
    ('"{v}" "{v}"', "malformed"),  # not a list
    ("W/{v}", "malformed"),
    ('"{v}", *', "malformed"),
    ('"{stale}", "{v}"', None),
    ('"{v}" , ,"{stale}"', None),  # empty list elements are allowed
    ("*", None),
    ("{v}", None),  # a bare version, as typed by hand
]


@pytest.mark.parametrize("kind", ["claims", "articles", "sources", "webhooks"])
async def test_if_match_compares_strongly_and_takes_a_list(
    client: httpx.AsyncClient, db: asyncpg.Connection, kind: str
) -> None:
    path, change, table = await patchable(client, kind)
    version = 1
    for template, refusal in IF_MATCH_CASES:
        header = template.format(v=version, stale=version + 100, other=version + 101)
        response = await client.patch(path, json=change, headers={"If-Match": header})
        change = {k: ([*v, "x"] if isinstance(v, list) else v + "x") for k, v in change.items()}
        if refusal is None:
            assert response.status_code == 200, (header, response.text)
            version += 1
            assert etag_of(response) == version
        else:
            problem = assert_problem(response, 412, "precondition-failed")
            if refusal == "malformed":
                assert "entity tags" in problem["detail"], problem
            else:
                assert problem["current_version"] == version, header
                assert ("weak" in problem["detail"]) == (refusal == "weak"), problem
        assert await stored_version(db, table, path) == version, header


async def test_if_match_fields_on_several_lines_form_one_list(client: httpx.AsyncClient) -> None:
    path, change, _ = await patchable(client, "sources")
    response = await client.patch(path, json=change, headers=[("If-Match", '"5"'), ("If-Match", '"1"')])
    assert response.status_code == 200, response.text
    assert etag_of(response) == 2


# ---- Media types: a JSON endpoint reads only JSON -------------------------------------------------


async def test_a_body_in_another_media_type_is_415_and_changes_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    url = example_url("sources")
    for content_type in (
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "text/json",
        "application/jsonp",
        "application/json; charset=iso-8859-1",
        "application/merge-patch+json; charset=latin1",
        ";",
    ):
        headers = {"Content-Type": content_type}
        created = await client.post("/v1/sources", content=f'{{"url": "{url}"}}', headers=headers)
        problem = assert_problem(created, 415, "unsupported-media-type")
        assert problem["detail"], problem
        assert created.headers["accept-post"] == "application/json"
        changed = await client.patch(f"/v1/claims/{claim['id']}", content=b'{"tags": ["x"]}', headers=headers)
        assert_problem(changed, 415, "unsupported-media-type")
        assert changed.headers["accept-patch"] == "application/json"
    assert await db.fetchval("SELECT count(*) FROM sources WHERE url = $1", url) == 0
    assert await db.fetchval("SELECT version FROM claims WHERE id = $1", uuid.UUID(claim["id"])) == 1


async def test_json_media_types_and_a_missing_content_type_are_read_as_json(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    for n, content_type in enumerate(
        [
            "application/json; charset=utf-8",
            'Application/JSON;charset="UTF-8"',
            "application/merge-patch+json",
            "application/vnd.claimtrack+json",
            None,
        ]
    ):
        headers = {"Content-Type": content_type} if content_type else {}
        response = await client.patch(
            f"/v1/claims/{claim['id']}", content=f'{{"tags": ["t{n}"]}}'.encode(), headers=headers
        )
        assert response.request.headers.get("content-type") == content_type
        assert response.status_code == 200, (content_type, response.text)
        assert response.json()["tags"] == [f"t{n}"]
    url = example_url("sources")
    created = await client.post("/v1/sources", content=f'{{"url": "{url}"}}'.encode())
    assert created.status_code == 201, created.text
    assert await db.fetchval("SELECT count(*) FROM sources WHERE url = $1", url) == 1


async def test_a_route_without_a_body_ignores_the_content_type(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/webhooks", json={"url": example_url("hooks")})
    webhook_id = created.json()["webhook"]["id"]
    rotated = await client.post(
        f"/v1/webhooks/{webhook_id}/rotate-secret", content=b"", headers={"Content-Type": "text/plain"}
    )
    assert rotated.status_code == 200, rotated.text


async def test_the_openapi_document_lists_415_for_every_json_body(
    anonymous: httpx.AsyncClient, live_server: LiveServer
) -> None:
    document = (await anonymous.get("/schema/openapi.json")).json()
    operations = {
        operation["operationId"]: operation
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    app = live_server.server.config.app
    json_bodies = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if handler.operation_id in operations:
                    has_415 = "415" in operations[handler.operation_id]["responses"]
                    assert has_415 == takes_json(handler), handler.operation_id
                    json_bodies |= {handler.operation_id} if takes_json(handler) else set()
    assert {"createArticle", "updateClaim", "createWebhook", "createKey"} <= json_bodies


# ---- Secrets: answers that carry one are never stored by a cache -----------------------------------


async def test_answers_with_a_token_or_secret_are_not_stored(client: httpx.AsyncClient) -> None:
    key = await client.post("/v1/keys", json={"name": f"nostore-{uuid.uuid4().hex[:6]}", "scopes": ["read"]})
    assert key.status_code == 201 and key.json()["token"].startswith("ct_")
    webhook = await client.post("/v1/webhooks", json={"url": example_url("hooks")})
    assert webhook.status_code == 201 and webhook.json()["secret"].startswith("whsec_")
    rotated = await client.post(f"/v1/webhooks/{webhook.json()['webhook']['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["secret"].startswith("whsec_")
    for response in (key, webhook, rotated):
        assert response.headers["cache-control"] == "no-store", response.request.url
