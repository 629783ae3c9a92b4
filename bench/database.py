"""The bench's own databases, one per data size, on the server DATABASE_URL points at.

``claimtrack_bench_<claims>`` is created, migrated and filled by bench.generate the first
time a size is asked for, and reused afterwards (``recreate`` drops it first). A database
whose loading did not finish, or that was made by other migration scripts than the
checkout's, has no matching row in ``bench_meta`` and is filled again from scratch.
``bench_ids`` holds the ids that both the HTTP load and pgbench pick from.

``claimtrack_bench_<claims>_before`` holds the same rows for the earlier commit: the rows are
loaded into that commit's schema, copied (``CREATE DATABASE ... TEMPLATE``), and then migrated
to head; both are made again together.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
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
    seed integer NOT NULL, seconds numeric NOT NULL, generated_at timestamptz NOT NULL DEFAULT now());
ALTER TABLE bench_meta ADD COLUMN IF NOT EXISTS migrations text;
"""
_IDS = """
DROP TABLE IF EXISTS bench_ids;
CREATE TABLE bench_ids (kind text, n integer, id uuid NOT NULL, PRIMARY KEY (kind, n));
"""
_CLAIM_IDS = """
INSERT INTO bench_ids (kind, n, id)
SELECT 'claim', row_number() OVER (), c.id FROM (SELECT id FROM claims ORDER BY random() LIMIT $1) c
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
    name: str
    claims: int
    articles: int
    generated_seconds: float | None  # None when an existing database was reused
    generated_at: str
    before_url: str | None  # the same rows in the earlier commit's schema


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


async def _complete(
    url: str, articles: int, claims_per_article: int, sources_per_claim: int, migrations: str
) -> str | None:
    """The time the database was filled, when it was filled with this shape by these migrations."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(_META)
        row = await conn.fetchrow("SELECT * FROM bench_meta ORDER BY generated_at DESC LIMIT 1")
        if row is None or (
            row["articles"],
            row["claims_per_article"],
            row["sources_per_claim"],
            row["migrations"],
        ) != (articles, claims_per_article, sources_per_claim, migrations):
            return None
        return str(row["generated_at"].astimezone(UTC).isoformat())
    finally:
        await conn.close()


async def _record(
    url: str,
    articles: int,
    claims_per_article: int,
    sources_per_claim: int,
    seed: int,
    seconds: float,
    migrations: str,
    generated_at: str,
) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(_META)
        await conn.execute(
            "INSERT INTO bench_meta (articles, claims_per_article, sources_per_claim, seed, seconds,"
            " migrations, generated_at) VALUES ($1, $2, $3, $4, $5, $6, $7::text::timestamptz)",
            articles,
            claims_per_article,
            sources_per_claim,
            seed,
            seconds,
            migrations,
            generated_at,
        )
    finally:
        await conn.close()


_BEFORE_META = "CREATE TABLE IF NOT EXISTS bench_before (made_from text NOT NULL)"


async def _made_from(url: str) -> str | None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if await conn.fetchval("SELECT to_regclass('bench_before')") is None:
            return None
        value = await conn.fetchval("SELECT made_from FROM bench_before")
        return None if value is None else str(value)
    finally:
        await conn.close()


async def _copy(server_url: str, source: str, name: str, made_from: str) -> None:
    for given in (source, name):
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", given):
            raise ValueError(f"not a plain database name: {given}")
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        # A file copy: the same rows, pages and statistics, without writing it all to the WAL.
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE {source} STRATEGY FILE_COPY")
    finally:
        await conn.close()
    conn = await asyncpg.connect(asyncpg_dsn(with_database(server_url, name)))
    try:
        await conn.execute(_BEFORE_META)
        await conn.execute("INSERT INTO bench_before VALUES ($1)", made_from)
    finally:
        await conn.close()


async def _vacuum(url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


def prepare(
    server_url: str,
    base_name: str,
    claims: int,
    claims_per_article: int,
    sources_per_claim: int,
    *,
    migrations: str,
    load_revision: str | None,
    recreate: bool,
    seed: int,
    say: Callable[[str], None] = print,
) -> BenchDatabase:
    """The database holding ``claims`` claims, created and filled unless a complete one made by
    the same migration scripts (``migrations``, their fingerprint) exists.

    With ``load_revision`` (the earlier commit's last migration), the rows are loaded into that
    schema, the database is copied as it is then (``<name>_before``, the earlier commit's
    database), and only then migrated to head: the later migrations turn the same rows into
    the current schema as they would in a deployment, the stored claim documents filled in one
    statement each. Without it, the rows are loaded at head, through its triggers.
    """
    articles = max(1, claims // claims_per_article)
    name = f"{base_name}_{claims}"
    url = with_database(server_url, name)
    before_name = f"{name}_before"
    before_url = with_database(server_url, before_name) if load_revision else None
    recipe = f"{migrations}@{load_revision or 'head'}"
    if not recreate and asyncio.run(_exists(server_url, name)):
        generated_at = asyncio.run(_complete(url, articles, claims_per_article, sources_per_claim, recipe))
        made_from = f"{name} {generated_at}"
        if generated_at is not None and (
            before_url is None
            or (
                asyncio.run(_exists(server_url, before_name))
                and asyncio.run(_made_from(before_url)) == made_from
            )
        ):
            upgrade(url)
            return BenchDatabase(
                url, name, articles * claims_per_article, articles, None, generated_at, before_url
            )
    say(f"creating {name} with {articles:,} articles, {articles * claims_per_article:,} claims")
    asyncio.run(_drop_and_create(server_url, name))
    began = time.perf_counter()
    upgrade(url, load_revision or "head")
    generate(url, articles, claims_per_article, sources_per_claim, seed=seed, migrate=False)
    generated_at = datetime.now(UTC).isoformat()
    if load_revision:
        say(f"  loaded at {load_revision}; copying it into {before_name}, then migrating {name} to head")
        asyncio.run(_copy(server_url, name, before_name, f"{name} {generated_at}"))
        upgrade(url)
        asyncio.run(_vacuum(url))
    seconds = time.perf_counter() - began
    asyncio.run(
        _record(url, articles, claims_per_article, sources_per_claim, seed, seconds, recipe, generated_at)
    )
    return BenchDatabase(
        url, name, articles * claims_per_article, articles, seconds, generated_at, before_url
    )


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


def backend_pids(url: str) -> list[int]:
    """The server processes of the connections to this database (a pool's), this one's aside."""

    async def work() -> list[int]:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            return [int(r["pid"]) for r in rows]
        finally:
            await conn.close()

    return asyncio.run(work())


def count(url: str, kind: str) -> int:
    async def work() -> int:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            return int(await conn.fetchval("SELECT count(*) FROM bench_ids WHERE kind = $1", kind))
        finally:
            await conn.close()

    return asyncio.run(work())
