"""The migrations go down to base and up again on a database of their own."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import msgspec
import pytest

from api.migrate import current_head, downgrade, upgrade
from tests.conftest import _run_in_thread, new_database

SCHEMA = ("articles", "claims", "sources", "claim_sources", "verifications")


@pytest.fixture
def fresh_database(server_url: str) -> Iterator[str]:
    with new_database(server_url, "migrations", migrate=False) as url:
        yield url


async def state(url: str) -> tuple[set[str], set[str], str | None]:
    """(tables, views, alembic revision) of the public schema."""
    conn = await asyncpg.connect(url)
    try:
        tables = {
            r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        views = {r[0] for r in await conn.fetch("SELECT viewname FROM pg_views WHERE schemaname = 'public'")}
        functions = await conn.fetchval(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public'"
            # Functions of extensions (pg_trgm) are the extension's, kept on purpose.
            " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
        )
        revision = (
            await conn.fetchval("SELECT version_num FROM alembic_version")
            if "alembic_version" in tables
            else None
        )
    finally:
        await conn.close()
    if revision is None:
        assert functions == 0
    return tables - {"alembic_version"}, views, revision


async def test_down_to_base_and_up_again(fresh_database: str) -> None:
    _run_in_thread(upgrade, fresh_database)
    tables, views, revision = await state(fresh_database)
    assert {*SCHEMA, "claim_documents"} <= tables
    assert "source_documents" in views
    assert revision == current_head()

    _run_in_thread(downgrade, fresh_database, "base")
    assert await state(fresh_database) == (set(), set(), None)

    _run_in_thread(upgrade, fresh_database)
    assert await state(fresh_database) == (tables, views, current_head())

    # The schema works after the round trip.
    conn = await asyncpg.connect(fresh_database)
    try:
        article = await conn.fetchval(
            "INSERT INTO articles (title, language, body) VALUES ('t', 'de', 'Ein Text') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO claims (article_id, text, quote, span_start, span_end, language)"
            " VALUES ($1, 't', 'Text', 4, 8, 'de')",
            article,
        )
        assert await conn.fetchval("SELECT count(*) FROM claim_documents") == 1
    finally:
        await conn.close()


async def test_stored_documents_are_filled_for_existing_claims(fresh_database: str) -> None:
    """Migration 0007 writes the document of every claim stored before it, as the view built it."""
    _run_in_thread(upgrade, fresh_database, "0006")
    conn = await asyncpg.connect(fresh_database)
    try:
        article = await conn.fetchval(
            "INSERT INTO articles (title, language, body) VALUES ('t', 'de', 'Ein Text mit 164 Toten')"
            " RETURNING id"
        )
        claim = await conn.fetchval(
            "INSERT INTO claims (article_id, text, quote, span_start, span_end, language, status,"
            " rating_value, rating_text) VALUES ($1, 't', 'Text', 4, 8, 'de', 'verified', 5, 'True')"
            " RETURNING id",
            article,
        )
        source = await conn.fetchval(
            "INSERT INTO sources (url, title) VALUES ('https://example.org/a', 'A') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO claim_sources (claim_id, article_id, source_id, relation)"
            " VALUES ($1, $2, $3, 'supports')",
            claim,
            article,
            source,
        )
        before = await conn.fetchval("SELECT doc::text FROM claim_documents WHERE id = $1", claim)
        _run_in_thread(upgrade, fresh_database, "0007")
        after = await conn.fetchval("SELECT doc::text FROM claim_documents WHERE id = $1", claim)
        assert after is not None
        assert msgspec.json.decode(after) == msgspec.json.decode(before)
        assert msgspec.json.decode(after)["sources"][0]["source"]["title"] == "A"
    finally:
        await conn.close()
