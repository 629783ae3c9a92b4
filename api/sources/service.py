"""Sources: found or created by normalised url, so each document is stored once."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from api.body import given
from api.db import Connection, load_queries
from api.errors import Conflict, NotFound
from api.events.outbox import Outbox
from api.http import IfMatch, locked, make_page
from api.urls import normalised
from schemas.claims import Claim
from schemas.common import Page
from schemas.sources import Source, SourceCreate, SourcePatch

Q = load_queries(__file__)

_source = msgspec.json.Decoder(Source)
_sources = msgspec.json.Decoder(list[Source])
_claims = msgspec.json.Decoder(list[Claim])


async def find_or_create(
    conn: Connection, data: SourceCreate, actor: str | None, pointer: str = "/url"
) -> tuple[UUID, bool]:
    """The id of the source with this url, and whether this call created it."""
    url = normalised(data.url, pointer)
    archived = (
        normalised(data.archived_url, pointer.rsplit("/", 1)[0] + "/archived_url")
        if data.archived_url
        else None
    )
    created = await conn.fetchval(
        Q["insert_source"],
        url,
        data.title,
        data.publisher,
        data.kind,
        data.language,
        data.published_at,
        archived,
        actor,
    )
    if created is not None:
        return created, True
    existing = await conn.fetchval(Q["source_id_by_url"], url)
    if existing is None:  # deleted between the two statements: try once more
        return await find_or_create(conn, data, actor, pointer)
    return existing, False


async def get(conn: Connection, source_id: UUID) -> Source:
    doc = await conn.fetchval(Q["source_document"], source_id)
    if doc is None:
        raise NotFound(f"source {source_id} does not exist")
    return _source.decode(doc)


async def create(conn: Connection, data: SourceCreate, actor: str | None) -> tuple[Source, bool]:
    async with conn.transaction():
        source_id, created = await find_or_create(conn, data, actor)
        source = await get(conn, source_id)
        if created:
            outbox = Outbox()
            outbox.add("source.created", source_id, source)
            await outbox.flush(conn)
    return source, created


async def list_page(conn: Connection, url: str | None, cursor: Any, limit: int) -> Page[Source]:
    after_time, after_id = cursor if cursor else (None, None)
    url_key = normalised(url, "/url") if url is not None else None
    items = _sources.decode(await conn.fetchval(Q["list_sources"], url_key, after_time, after_id, limit + 1))
    return make_page(items, limit, lambda s: [s.created_at.isoformat(), str(s.id)])


async def update(
    conn: Connection, source_id: UUID, data: SourcePatch, expected: IfMatch | None, actor: str | None
) -> Source:
    try:
        async with conn.transaction():
            row = await locked(conn, Q["source_for_update"], source_id, expected, "source")
            changes = given(data)
            if "url" in changes:
                changes["url"] = normalised(changes["url"], "/url")
            if changes.get("archived_url"):
                changes["archived_url"] = normalised(changes["archived_url"], "/archived_url")
            if all(row[k] == v for k, v in changes.items()):
                return await get(conn, source_id)
            merged = {**row, **changes}
            await conn.execute(
                Q["update_source"],
                source_id,
                merged["url"],
                merged["title"],
                merged["publisher"],
                merged["kind"],
                merged["language"],
                merged["published_at"],
                merged["archived_url"],
                actor,
            )
            source = await get(conn, source_id)
            outbox = Outbox()
            outbox.add("source.updated", source_id, source)
            await outbox.flush(conn)
            return source
    except asyncpg.UniqueViolationError:
        existing = await conn.fetchval(Q["source_id_by_url"], changes["url"])
        raise Conflict("another source has this url", existing_id=str(existing)) from None


async def delete(conn: Connection, source_id: UUID, expected: IfMatch | None) -> None:
    try:
        async with conn.transaction():
            await locked(conn, Q["source_for_update"], source_id, expected, "source")
            await conn.execute(Q["delete_source"], source_id)
            outbox = Outbox()
            outbox.add("source.deleted", source_id, {"id": source_id})
            await outbox.flush(conn)
    except (asyncpg.ForeignKeyViolationError, asyncpg.RestrictViolationError):
        # PostgreSQL 18 reports ON DELETE RESTRICT as restrict_violation, 15 as a foreign key violation.
        raise Conflict(
            "the source is still linked to claims; unlink it first", existing_id=str(source_id)
        ) from None


async def citing_claims(conn: Connection, source_id: UUID, cursor: Any, limit: int) -> Page[Claim]:
    after_time, after_id = cursor if cursor else (None, None)
    raw = await conn.fetchrow(Q["claims_citing_source"], source_id, after_time, after_id, limit + 1)
    if raw is None:
        raise NotFound(f"source {source_id} does not exist")
    items = _claims.decode(raw[0])

    def key(claim: Claim) -> list[str]:
        added = next(link.added_at for link in claim.sources if link.source.id == source_id)
        return [added.isoformat(), str(claim.id)]

    return make_page(items, limit, key)
