"""The bench's own databases, one per data size, on the server DATABASE_URL points at.

``claimtrack_bench_<claims>`` is created, migrated and filled by bench.generate the first
time a size is asked for, and reused afterwards (``recreate`` drops it first). A database
whose loading did not finish has no row in ``bench_meta`` and is filled again from scratch.
``bench_ids`` holds the ids that both the HTTP load and pgbench pick from.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg

from api.migrate import upgrade
from api.settings import asyncpg_dsn
from bench.generate import generate

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"

_META = """
CREATE TABLE IF NOT EXISTS bench_meta (
    articles integer NOT NULL, claims_per_article integer NOT NULL, sources_per_claim integer NOT NULL,
    seed integer NOT NULL, seconds numeric NOT NULL, generated_at timestamptz NOT NULL DEFAULT now())
"""
_IDS = """
DROP TABLE IF EXISTS bench_ids;
CREATE TABLE bench_ids (kind text, n integer, id uuid NOT NULL, evidence text, PRIMARY KEY (kind, n));
"""
# For each claim, what the API computes for a verification update before it writes: the links
# in force, which record_verification stores as the history row's evidence.
_CLAIM_IDS = """
INSERT INTO bench_ids (kind, n, id, evidence)
SELECT 'claim', row_number() OVER (), c.id, e.evidence::text
FROM (SELECT id FROM claims ORDER BY random() LIMIT $1) c
CROSS JOIN LATERAL (
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'source_id', cs.source_id, 'relation', cs.relation, 'excerpt', cs.excerpt)
               ORDER BY cs.added_at, cs.source_id), '[]') AS evidence
    FROM claim_sources cs WHERE cs.claim_id = c.id) e
"""
_ARTICLE_IDS = """
INSERT INTO bench_ids (kind, n, id)
SELECT 'article', row_number() OVER (), a.id FROM (SELECT id FROM articles ORDER BY random() LIMIT $1) a
"""


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@dataclass(frozen=True, slots=True)
class BenchDatabase:
    url: str
    claims: int
    articles: int
    generated_seconds: float | None  # None when an existing database was reused


async def _exists(server_url: str, name: str) -> bool:
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name))
    finally:
        await conn.close()


async def _drop_and_create(server_url: str, name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a plain database name: {name}")
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()


async def _complete(url: str, articles: int, claims_per_article: int, sources_per_claim: int) -> bool:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(_META)
        row = await conn.fetchrow("SELECT * FROM bench_meta ORDER BY generated_at DESC LIMIT 1")
        return row is not None and (row["articles"], row["claims_per_article"], row["sources_per_claim"]) == (
            articles,
            claims_per_article,
            sources_per_claim,
        )
    finally:
        await conn.close()


async def _record(
    url: str, articles: int, claims_per_article: int, sources_per_claim: int, seed: int, seconds: float
) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(_META)
        await conn.execute(
            "INSERT INTO bench_meta (articles, claims_per_article, sources_per_claim, seed, seconds) "
            "VALUES ($1, $2, $3, $4, $5)",
            articles,
            claims_per_article,
            sources_per_claim,
            seed,
            seconds,
        )
    finally:
        await conn.close()


def prepare(
    server_url: str,
    base_name: str,
    claims: int,
    claims_per_article: int,
    sources_per_claim: int,
    *,
    recreate: bool,
    seed: int,
    say: Callable[[str], None] = print,
) -> BenchDatabase:
    """The database holding ``claims`` claims, created and filled unless a complete one exists."""
    articles = max(1, claims // claims_per_article)
    name = f"{base_name}_{claims}"
    url = with_database(server_url, name)
    exists = asyncio.run(_exists(server_url, name))
    if (
        exists
        and not recreate
        and asyncio.run(_complete(url, articles, claims_per_article, sources_per_claim))
    ):
        upgrade(url)
        return BenchDatabase(url, articles * claims_per_article, articles, None)
    say(f"creating {name} with {articles:,} articles, {articles * claims_per_article:,} claims")
    asyncio.run(_drop_and_create(server_url, name))
    began = time.perf_counter()
    generate(url, articles, claims_per_article, sources_per_claim, seed=seed)
    seconds = time.perf_counter() - began
    asyncio.run(_record(url, articles, claims_per_article, sources_per_claim, seed, seconds))
    return BenchDatabase(url, articles * claims_per_article, articles, seconds)


async def _sample(url: str, articles: int, claims: int, workdir: Path) -> tuple[Path, Path, UUID, UUID]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(_IDS)
        await conn.execute(_ARTICLE_IDS, articles)
        await conn.execute(_CLAIM_IDS, claims)
        await conn.execute("ANALYZE bench_ids")
        files = []
        for kind in ("article", "claim"):
            rows = await conn.fetch("SELECT id FROM bench_ids WHERE kind = $1 ORDER BY n", kind)
            path = workdir / f"{kind}_ids.txt"
            path.write_text("".join(f"{r['id']}\n" for r in rows), encoding="ascii")
            files.append((path, rows[0]["id"]))
        return files[0][0], files[1][0], files[0][1], files[1][1]
    finally:
        await conn.close()


def sample_ids(url: str, articles: int, claims: int, workdir: Path) -> tuple[Path, Path, UUID, UUID]:
    """Fill bench_ids with random articles and claims; their files and one id of each."""
    return asyncio.run(_sample(url, articles, claims, workdir))


def count(url: str, kind: str) -> int:
    async def work() -> int:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            return int(await conn.fetchval("SELECT count(*) FROM bench_ids WHERE kind = $1", kind))
        finally:
            await conn.close()

    return asyncio.run(work())
