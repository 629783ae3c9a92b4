"""API keys: every route guarded, each scope exactly its part, the actor on every change."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest
from litestar.routes import HTTPRoute

from tests.conftest import LiveServer, create_key, settings_for
from tests.integration.helpers import assert_problem, create_article, example_url, wait_until

PUBLIC = {"/health", "/ready"}
ALL = ["read", "write", "verify", "admin"]


def concrete(path: str) -> str:
    """A route template with made-up parameters filled in."""
    for name in ("article_id", "claim_id", "source_id"):
        path = path.replace(f"{{{name}:str}}", str(uuid.uuid4()))
    path = path.replace("{revision:int}", "1")
    return path.replace("{name:str}", "nobody").replace("{path:str}", "x")


def route_table(live_server: LiveServer) -> list[tuple[str, str]]:
    app = live_server.server.config.app
    pairs = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                pairs.append((method, route.path))
    return sorted(set(pairs))


async def test_every_route_but_health_ready_and_schema_needs_a_key(
    anonymous: httpx.AsyncClient, live_server: LiveServer
) -> None:
    routes = route_table(live_server)
    assert len(routes) > 20
    for method, path in routes:
        if method == "OPTIONS":
            continue
        response = await anonymous.request(
            method, concrete(path), json={} if method in ("POST", "PATCH") else None
        )
        # The pages for people and their files are public; their data calls need a key.
        public = path in PUBLIC or path.startswith(("/schema", "/review"))
        if public:
            assert response.status_code != 401, (method, path)
            continue
        body = assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer"), (method, path)
        assert "Traceback" not in response.text and body["detail"]


async def test_a_wrong_or_malformed_key_is_401(anonymous: httpx.AsyncClient) -> None:
    for header in ("Bearer ct_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer", "Bearer " + "x" * 300):
        response = await anonymous.get("/v1/articles", headers={"Authorization": header})
        assert_problem(response, 401, "unauthorized")
        assert "Bearer" in response.headers["www-authenticate"]
        assert "ct_not-a-real-token" not in response.text


@pytest.fixture(scope="module")
async def keyed(live_server: LiveServer, database_url: str) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """One client per single scope, plus write+verify."""
    clients: dict[str, httpx.AsyncClient] = {}
    suffix = uuid.uuid4().hex[:6]
    for name, scopes in {
        "read": ["read"],
        "write": ["write"],
        "verify": ["verify"],
        "admin": ["admin"],
        "write+verify": ["write", "verify"],
    }.items():
        token = await create_key(database_url, f"{name.replace('+', '-')}-{suffix}", scopes)
        clients[name] = httpx.AsyncClient(
            base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
    yield clients
    for c in clients.values():
        await c.aclose()


async def test_scope_matrix(client: httpx.AsyncClient, keyed: dict[str, httpx.AsyncClient]) -> None:
    article = await create_article(client)
    claims = (await client.get(f"/v1/articles/{article['id']}/claims")).json()["items"]
    created = await client.post(
        f"/v1/articles/{article['id']}/claims", json={"text": "Mayor on trams", "quote": "Der Bürgermeister"}
    )
    claim = created.json()
    assert claims == []
    requests: list[tuple[str, str, str, dict | None]] = [
        ("read", "GET", "/v1/articles", None),
        ("read", "GET", f"/v1/articles/{article['id']}/claims", None),
        ("read", "GET", "/v1/claims", None),
        ("read", "GET", f"/v1/claims/{claim['id']}/verifications", None),
        ("read", "GET", "/v1/sources", None),
        ("write", "PATCH", f"/v1/claims/{claim['id']}", {"tags": ["matrix"]}),
        ("write", "POST", "/v1/sources", {"url": example_url("sources")}),
        ("verify", "POST", f"/v1/claims/{claim['id']}/verifications", {"status": "in_review"}),
        ("admin", "GET", "/v1/keys", None),
    ]
    for needed, method, path, body in requests:
        for scope, http in keyed.items():
            response = await http.request(method, path, json=body)
            allowed = needed in scope.split("+")
            if allowed:
                assert response.status_code < 400, (scope, method, path, response.text)
            else:
                body_ = assert_problem(response, 403, "forbidden")
                assert needed in body_["detail"]


async def test_changes_name_their_actor(
    keyed: dict[str, httpx.AsyncClient], client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    writer, verifier = keyed["write"], keyed["verify"]
    writer_name = await db.fetchval(
        "SELECT name FROM api_keys WHERE name ~ '^write-[0-9a-f]{6}$' ORDER BY created_at DESC"
    )
    verifier_name = await db.fetchval(
        "SELECT name FROM api_keys WHERE name ~ '^verify-[0-9a-f]{6}$' ORDER BY created_at DESC"
    )
    made = await writer.post(
        "/v1/articles",
        json={
            "title": "t",
            "language": "de",
            "body": "Die Stadt verspricht 12 neue Linien.",
            "claims": [
                {
                    "text": "12 new lines",
                    "quote": "12 neue Linien",
                    "sources": [{"source": {"url": example_url("sources")}, "relation": "supports"}],
                }
            ],
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["created_by"] == writer_name
    claim = (await client.get(f"/v1/articles/{made.json()['id']}/claims")).json()["items"][0]
    assert claim["created_by"] == writer_name
    assert claim["sources"][0]["added_by"] == writer_name
    assert claim["sources"][0]["source"]["created_by"] == writer_name

    verdict = await verifier.post(f"/v1/claims/{claim['id']}/verifications", json={"status": "verified"})
    assert verdict.status_code == 201, verdict.text
    assert verdict.json()["verification"]["actor"] == verifier_name
    assert verdict.json()["claim"]["updated_by"] == verifier_name
    row = await db.fetchrow("SELECT actor FROM verifications WHERE claim_id = $1", uuid.UUID(claim["id"]))
    assert row["actor"] == verifier_name

    mine = await client.get(f"/v1/claims/{claim['id']}/verifications", params={"actor": verifier_name})
    assert [v["actor"] for v in mine.json()["items"]] == [verifier_name]
    others = await client.get(f"/v1/claims/{claim['id']}/verifications", params={"actor": "someone-else"})
    assert others.json()["items"] == []


async def test_erasing_a_verdict_needs_verify_as_well_as_write(
    keyed: dict[str, httpx.AsyncClient], client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    article = await create_article(client)
    made = await client.post(
        f"/v1/articles/{article['id']}/claims", json={"text": "Mayor on trams", "quote": "Der Bürgermeister"}
    )
    claim_id = made.json()["id"]
    await client.post(f"/v1/claims/{claim_id}/verifications", json={"status": "in_review", "note": "looking"})

    refused = await keyed["write"].delete(f"/v1/claims/{claim_id}")
    assert_problem(refused, 403, "forbidden")
    refused = await keyed["write"].delete(f"/v1/articles/{article['id']}")
    assert_problem(refused, 403, "forbidden")
    assert (
        await db.fetchval("SELECT count(*) FROM verifications WHERE claim_id = $1", uuid.UUID(claim_id)) == 1
    )

    assert (await keyed["write+verify"].delete(f"/v1/claims/{claim_id}")).status_code == 204
    assert await db.fetchval("SELECT count(*) FROM claims WHERE id = $1", uuid.UUID(claim_id)) == 0

    # Without any history, write alone deletes.
    other = await create_article(client)
    assert (await keyed["write"].delete(f"/v1/articles/{other['id']}")).status_code == 204


async def test_keys_over_http(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    name = f"dashboard-{uuid.uuid4().hex[:6]}"
    created = await client.post("/v1/keys", json={"name": name, "scopes": ["read"]})
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/v1/keys/{name}"
    assert created.headers["cache-control"] == "no-store"
    token = created.json()["token"]
    assert token.startswith("ct_") and len(token) >= 43
    assert created.json()["key"]["scopes"] == ["read"]
    row = await db.fetchrow("SELECT token_hash, token_prefix FROM api_keys WHERE name = $1", name)
    assert token.encode() not in row["token_hash"] and len(row["token_hash"]) == 32

    listed = await client.get("/v1/keys", params={"limit": 500})
    assert name in [k["name"] for k in listed.json()["items"]]
    assert token not in listed.text

    again = await client.post("/v1/keys", json={"name": name, "scopes": ["read"]})
    assert assert_problem(again, 409, "conflict")["existing_id"] == created.json()["key"]["id"]
    bad = await client.post("/v1/keys", json={"name": name, "scopes": ["superuser"]})
    assert_problem(bad, 400, "invalid-request")

    dashboard = {"Authorization": f"Bearer {token}"}
    assert (await anonymous.get("/v1/claims", headers=dashboard)).status_code == 200
    assert_problem(
        await anonymous.post("/v1/keys", json={"name": "x", "scopes": ["admin"]}, headers=dashboard),
        403,
        "forbidden",
    )

    assert (await client.delete(f"/v1/keys/{name}")).status_code == 204
    assert await db.fetchval("SELECT revoked_at IS NOT NULL FROM api_keys WHERE name = $1", name)

    # Revocation reaches the cache through a notification, a moment after the answer.
    async def refused() -> httpx.Response | None:
        response = await anonymous.get("/v1/claims", headers=dashboard)
        return response if response.status_code == 401 else None

    assert_problem(await wait_until(refused, what="the revoked key is refused"), 401, "unauthorized")
    assert_problem(await client.delete("/v1/keys/no-such-key"), 404, "not-found")


@pytest.fixture(scope="module")
def limited_server(database_url: str) -> Iterator[LiveServer]:
    """A second server with a rate limit, quick usage flushes, CORS for one origin and access logs."""
    settings = settings_for(
        database_url,
        rate_limit_per_minute=5,
        key_usage_flush_seconds=0.2,
        cors_allow_origins=("https://desk.example.org",),
        access_log=True,
    )
    server = LiveServer(settings).start()
    yield server
    server.stop()


async def test_rate_limit_last_used_and_no_token_in_logs(
    limited_server: LiveServer, database_url: str, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    name = f"limited-{uuid.uuid4().hex[:6]}"
    token = await create_key(database_url, name, ["read"])
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(
        base_url=limited_server.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        statuses = [(await http.get("/v1/claims")).status_code for _ in range(5)]
        assert statuses == [200] * 5
        limited = await http.get("/v1/claims")
        assert_problem(limited, 429, "too-many-requests")
        assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Usage is flushed in batches, and each access line is written after its answer has gone.
    await wait_until(
        lambda: db.fetchval("SELECT last_used_at IS NOT NULL FROM api_keys WHERE name = $1", name),
        what="the key's last use is recorded",
    )
    await wait_until(
        lambda: len([r for r in caplog.records if r.name == "claimtrack.access"]) >= 6,
        what="the six requests are in the access log",
    )
    assert token not in caplog.text
    assert token[3:] not in caplog.text


async def test_cors_is_closed_unless_allowed(limited_server: LiveServer, live_server: LiveServer) -> None:
    preflight = {"Origin": "https://desk.example.org", "Access-Control-Request-Method": "GET"}
    async with httpx.AsyncClient() as http:
        closed = await http.options(f"{live_server.url}/v1/claims", headers=preflight)
        assert "access-control-allow-origin" not in closed.headers
        opened = await http.options(f"{limited_server.url}/v1/claims", headers=preflight)
        assert opened.headers["access-control-allow-origin"] == "https://desk.example.org"
        other = await http.options(
            f"{limited_server.url}/v1/claims", headers={**preflight, "Origin": "https://evil.example.com"}
        )
        assert other.headers.get("access-control-allow-origin") != "https://evil.example.com"


def test_cli_prints_the_token_last_and_revokes(database_url: str, live_server: LiveServer) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    name = f"cli-{uuid.uuid4().hex[:6]}"
    cli = [sys.executable, "-m", "api"]
    made = subprocess.run(
        [*cli, "keys", "create", "--name", name, "--scope", "read", "--scope", "verify"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("ct_")
    answer = httpx.get(f"{live_server.url}/v1/claims", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200

    listed = subprocess.run([*cli, "keys", "list"], env=env, capture_output=True, text=True, check=True)
    assert name in listed.stdout and token not in listed.stdout and "read,verify" in listed.stdout

    subprocess.run([*cli, "keys", "revoke", name], env=env, capture_output=True, text=True, check=True)
    missing = subprocess.run([*cli, "keys", "revoke", "no-such-key"], env=env, capture_output=True, text=True)
    assert missing.returncode == 1 and "no key named" in missing.stderr
