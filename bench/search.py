"""Latency of finding claims, over HTTP with one connection: filtered pages, full-text search,
similar claims, and (for comparison) the claims of one article.

    python -m bench.search --database-url URL [--requests 300] [--explain]

Fill the database with ``python -m bench.generate`` first. The script starts the API as its own
process (``uvicorn --factory api.app:create_app``, one worker) unless ``--url`` names a running
one, makes a read-only API key, and sends the requests one after another on one keep-alive
connection. Each kind of request takes its parameters in turn from a sample of the data (claim
ids, articles, outlets, claimants, sources, words of the generated sentences); the first
``--warmup`` requests of each kind are not counted. Prints one JSON line per kind with its
p50/p90/p99 in milliseconds; ``--explain`` prints the plan of one request of each kind too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from api.settings import asyncpg_dsn
from tests.ports import free_port

# Searches as a newsroom types them: a unit and a place, a phrase, an exclusion, in the three
# languages of bench.vocabulary; each matches about 0.05-0.2 % of the claims.
QUERIES = (
    "Ärzte Leipzig",
    "Fahrgäste München gezählt",
    '"fehlen rund" Wohnungen',
    "Arbeitsplätze Köln -2020",
    "doctors Glasgow",
    "passengers Dublin shortfall",
    '"were counted" Chicago',
    "homes Manchester or homes Leipzig",
    "врачей Казани",
    "пассажиров Новосибирске",
    '"не хватает около" школ',
    "квартир Москве -2019",
)
# Single common words, each in 1-2 % of all claims: every match is ranked.
BROAD_QUERIES = ("students", "Polizei", "Wohnungen", "passengers", "человек", "jobs")


@dataclass(frozen=True, slots=True)
class Request:
    kind: str
    method: str
    path: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    claim_ids: list[str]
    claim_texts: list[tuple[str, str]]
    article_ids: list[str]
    outlets: list[str]
    claimants: list[str]
    source_ids: list[str]
    tags: list[str]


async def _sample(database_url: str, size: int, seed: int) -> Sample:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute("SELECT setseed($1)", (seed % 1000) / 1000)
        claims = await conn.fetch(
            "SELECT id, article_id, text, language FROM claims ORDER BY random() LIMIT $1", size
        )
        outlets = await conn.fetch("SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL LIMIT 200")
        claimants = await conn.fetch(
            "SELECT DISTINCT claimant FROM claims WHERE claimant IS NOT NULL LIMIT 200"
        )
        sources = await conn.fetch(
            "SELECT source_id FROM claim_sources WHERE claim_id = any($1::uuid[])", [r["id"] for r in claims]
        )
        tags = await conn.fetch("SELECT DISTINCT unnest(tags) AS tag FROM claims LIMIT 1000")
    finally:
        await conn.close()
    return Sample(
        claim_ids=[str(r["id"]) for r in claims],
        claim_texts=[(r["text"], r["language"]) for r in claims],
        article_ids=[str(r["article_id"]) for r in claims],
        outlets=[r["outlet"] for r in outlets],
        claimants=[r["claimant"] for r in claimants],
        source_ids=[str(r["source_id"]) for r in sources],
        tags=[r["tag"] for r in tags],
    )


def requests_of(sample: Sample, rng: random.Random) -> dict[str, Callable[[], Request]]:
    """For each kind of request, a function giving the next one."""
    statuses = ("verified", "in_review", "false", "unverified")
    languages = ("de", "en", "ru")

    def filtered(name: str, params: Callable[[], dict[str, Any]]) -> Callable[[], Request]:
        return lambda: Request(name, "GET", "/v1/claims", {"limit": 50, **params()})

    def newest() -> Request:
        return Request("list_newest", "GET", "/v1/claims", {"limit": 50})

    def search() -> Request:
        return Request("search", "GET", "/v1/claims", {"q": rng.choice(QUERIES), "limit": 50})

    def search_filtered() -> Request:
        params = {"q": rng.choice(QUERIES), "status": rng.choice(statuses), "limit": 50}
        return Request("search_filtered", "GET", "/v1/claims", params)

    def search_broad() -> Request:
        return Request("search_broad", "GET", "/v1/claims", {"q": rng.choice(BROAD_QUERIES), "limit": 50})

    def similar() -> Request:
        return Request("similar", "GET", f"/v1/claims/{rng.choice(sample.claim_ids)}/similar")

    def match() -> Request:
        text, language = rng.choice(sample.claim_texts)
        return Request("match", "POST", "/v1/claims/match", body={"text": text, "language": language})

    def article_claims() -> Request:
        return Request("article_claims", "GET", f"/v1/articles/{rng.choice(sample.article_ids)}/claims")

    return {
        "list_status_language": filtered(
            "list_status_language",
            lambda: {"status": rng.choice(statuses), "language": rng.choice(languages)},
        ),
        "list_outlet": filtered("list_outlet", lambda: {"outlet": rng.choice(sample.outlets)}),
        "list_claimant_by_created": filtered(
            "list_claimant_by_created",
            lambda: {"claimant": rng.choice(sample.claimants), "sort": "created_at"},
        ),
        "list_source": filtered("list_source", lambda: {"source_id": rng.choice(sample.source_ids)}),
        "list_tag_status": filtered(
            "list_tag_status", lambda: {"tag": rng.choice(sample.tags), "status": rng.choice(statuses)}
        ),
        "list_newest": newest,
        "search": search,
        "search_filtered": search_filtered,
        "search_broad": search_broad,
        "similar": similar,
        "match": match,
        "article_claims": article_claims,
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(
    client: httpx.Client, next_request: Callable[[], Request], count: int, warmup: int
) -> dict[str, Any]:
    times: list[float] = []
    items: list[int] = []
    for i in range(warmup + count):
        request = next_request()
        began = time.perf_counter()
        response = client.request(request.method, request.path, params=request.params, json=request.body)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise RuntimeError(
                f"{request.method} {request.path} {request.params}: {response.status_code} {response.text}"
            )
        if i >= warmup:
            times.append(elapsed)
            items.append(len(response.json()["items"]))
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p90_ms": round(_percentile(times, 0.9), 2),
        "p99_ms": round(_percentile(times, 0.99), 2),
        "mean_items": round(statistics.mean(items), 1),
        "requests": count,
    }


# ---- the server and its key -----------------------------------------------------------------


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def start_server(database_url: str) -> Server:
    port = free_port()
    # Nothing in the background while measuring: no webhook deliveries, no source checks.
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CLAIMTRACK_ACCESS_LOG": "0",
        "CLAIMTRACK_LOG_LEVEL": "WARNING",
        "CLAIMTRACK_WEBHOOK_DELIVERY": "0",
        "CLAIMTRACK_SOURCE_CHECKS": "0",
        "CLAIMTRACK_RATE_LIMIT_PER_MINUTE": "0",
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    server = Server(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("the API did not start")


async def _create_key(database_url: str, name: str) -> str:
    from api.keys import service as keys
    from schemas.keys import KeyCreate

    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        created = await keys.create(conn, KeyCreate(name=name, scopes=["read"]), "bench")  # type: ignore[arg-type]
    finally:
        await conn.close()
    token: str = created.token
    return token


async def _drop_key(database_url: str, name: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute("DELETE FROM api_keys WHERE name = $1", name)
    finally:
        await conn.close()


# ---- plans ----------------------------------------------------------------------------------


async def explain(database_url: str, sample: Sample, rng: random.Random) -> list[str]:
    """EXPLAIN ANALYZE of the statements behind one request of each kind, planned as the API plans them."""
    from api.quantities import extract
    from api.search import service

    conn = await asyncpg.connect(asyncpg_dsn(database_url), server_settings={"jit": "off"})
    await conn.execute("SET plan_cache_mode = force_custom_plan")
    claim = rng.choice(sample.claim_ids)
    text, language = rng.choice(sample.claim_texts)
    anchors = [{"key": q.key, "value": q.value} for q in extract(text, language) if q.key]
    Filters = service.ClaimFilters

    def listing(filters: service.ClaimFilters, q: str | None = None) -> tuple[str, list[Any]]:
        """The statement and arguments find_claims sends for these filters, first page of 50."""
        joined, values = filters.joined()
        if q is not None:
            return service.statement("claims_by_rank", joined), [
                *filters.arguments(),
                q,
                None,
                None,
                51,
                *values,
            ]
        arguments = [*filters.arguments(), "updated_at", None, None, 51, *values]
        return service.statement("claims_by_time", joined), arguments

    statements: dict[str, tuple[str, list[Any]]] = {
        "list_newest": listing(Filters()),
        "list_outlet": listing(Filters(outlet=rng.choice(sample.outlets))),
        "list_source": listing(Filters(source_id=uuid.UUID(rng.choice(sample.source_ids)))),
        "list_status_language": listing(Filters(status="false", language="ru")),
        "search: doctors Glasgow": listing(Filters(), "doctors Glasgow"),
        "search_broad: students": listing(Filters(), "students"),
        "similar": (service.Q["similar_claims"], [uuid.UUID(claim), None, None, 0.3, 11, []]),
        # The quantity keys the API reads from the text (api/search/service.py, similar).
        "match": (service.Q["similar_claims"], [None, text, language, 0.3, 11, anchors]),
    }
    out: list[str] = []
    try:
        await conn.execute("SELECT set_config('pg_trgm.similarity_threshold', '0.3', false)")
        for name, (sql, args) in statements.items():
            rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", *args)
            out.append(f"-- {name}\n" + "\n".join(r[0] for r in rows))
    finally:
        await conn.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--url", help="a running API on that database (default: start one)")
    parser.add_argument("--requests", type=int, default=300, help="counted requests per kind")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", help="comma-separated kinds to run (default: all)")
    parser.add_argument("--explain", action="store_true", help="print the plans too")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")

    rng = random.Random(args.seed)
    sample = asyncio.run(_sample(args.database_url, 500, args.seed))
    claims = asyncio.run(_count(args.database_url))
    key_name = f"bench-search-{uuid.uuid4().hex[:8]}"
    token = asyncio.run(_create_key(args.database_url, key_name))
    server = Server(args.url) if args.url else start_server(args.database_url)
    try:
        with httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=60,
        ) as client:
            kinds = requests_of(sample, rng)
            wanted = args.kinds.split(",") if args.kinds else list(kinds)
            for kind in wanted:
                result = measure(client, kinds[kind], args.requests, args.warmup)
                print(json.dumps({"kind": kind, "claims": claims, **result}), flush=True)
    finally:
        server.stop()
        asyncio.run(_drop_key(args.database_url, key_name))
    if args.explain:
        for plan in asyncio.run(explain(args.database_url, sample, rng)):
            print(plan, flush=True)
    return 0


async def _count(database_url: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM claims")
    finally:
        await conn.close()
    return count


if __name__ == "__main__":
    sys.exit(main())
