"""Articles: created with their claims in one transaction, found by url or external_id."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from api.body import given
from api.claims import service as claims
from api.db import Connection, load_queries
from api.errors import Conflict, Forbidden, NotFound
from api.events.outbox import Outbox
from api.http import IfMatch, locked, make_page
from api.urls import normalised
from schemas.articles import Article, ArticleCreate, ArticlePatch, ArticleRevision, ArticleRevisionWithBody
from schemas.common import Page

Q = load_queries(__file__)

_FIELDS = ("url", "external_id", "title", "language", "outlet", "published_at", "body")


_article = msgspec.json.Decoder(Article)


async def _conflict(conn: Connection, url: str | None, external_id: str | None) -> Conflict:
    existing = await conn.fetchval(Q["existing_article"], url, external_id)
    return Conflict("an article with this url or external_id exists", existing_id=str(existing))


async def create(conn: Connection, data: ArticleCreate, actor: str | None) -> Article:
    url = normalised(data.url, "/url") if data.url else None
    outbox = Outbox()
    async with conn.transaction():
        article_id = await conn.fetchval(
            Q["insert_article"],
            url,
            data.external_id,
            data.title,
            data.language,
            data.outlet,
            data.published_at,
            data.body,
            actor,
        )
        if article_id is None:
            raise await _conflict(conn, url, data.external_id)
        claim_ids = await claims.create_many(
            conn, article_id, data.body, data.language, data.claims, actor, "/claims", outbox
        )
        await conn.execute(Q["insert_revision"], article_id, actor, len(claim_ids), 0, 0)
        article = _article.decode(await conn.fetchval(Q["article"], article_id))
        outbox.add("article.created", article_id, article)
        await claims.emit_created(conn, claim_ids, outbox)
        await outbox.flush(conn)
        return article


async def get(conn: Connection, article_id: UUID) -> Article:
    doc = await conn.fetchval(Q["article"], article_id)
    if doc is None:
        raise NotFound(f"article {article_id} does not exist")
    return _article.decode(doc)


async def list_page(
    conn: Connection, url: str | None, external_id: str | None, cursor: Any, limit: int
) -> Page[Article]:
    after_time, after_id = cursor if cursor else (None, None)
    url_key = normalised(url, "/url") if url is not None else None
    rows = await conn.fetch(Q["list_articles"], url_key, external_id, after_time, after_id, limit + 1)
    items = [_article.decode(r[0]) for r in rows]
    return make_page(items, limit, lambda a: [a.created_at.isoformat(), str(a.id)])


async def update(
    conn: Connection,
    article_id: UUID,
    data: ArticlePatch,
    expected: IfMatch | None,
    actor: str | None,
    *,
    reanchor_threshold: float,
) -> Article:
    changes = given(data)
    if changes.get("url"):
        changes["url"] = normalised(changes["url"], "/url")
    try:
        async with conn.transaction():
            row = await locked(conn, Q["article_for_update"], article_id, expected, "article")
            new = {**row, **changes}
            if not any(new[f] != row[f] for f in _FIELDS):
                return _article.decode(await conn.fetchval(Q["article"], article_id))
            article = _article.decode(
                await conn.fetchval(Q["update_article"], article_id, *(new[f] for f in _FIELDS), actor)
            )
            outbox = Outbox()
            outbox.add("article.updated", article_id, article)
            if new["body"] != row["body"]:
                summary = await claims.reanchor_all(
                    conn, article_id, new["body"], article.revision, actor, outbox, reanchor_threshold
                )
                await conn.execute(
                    Q["insert_revision"],
                    article_id,
                    actor,
                    summary.anchored,
                    summary.reworded,
                    summary.orphaned,
                )
            await outbox.flush(conn)
            return article
    except asyncpg.UniqueViolationError:
        raise await _conflict(conn, changes.get("url"), changes.get("external_id")) from None


async def delete(
    conn: Connection, article_id: UUID, expected: IfMatch | None, *, may_erase_history: bool
) -> None:
    async with conn.transaction():
        await locked(conn, Q["article_for_update"], article_id, expected, "article")
        if not may_erase_history and await conn.fetchval(Q["article_has_history"], article_id):
            raise Forbidden(
                "the article's claims have a verification history; deleting it needs the verify scope too"
            )
        outbox = Outbox()
        for claim in await conn.fetch(Q["article_claim_ids"], article_id):
            outbox.add("claim.deleted", claim["id"], {"id": claim["id"], "article_id": article_id})
        outbox.add("article.deleted", article_id, {"id": article_id})
        await conn.execute(Q["delete_article"], article_id)
        await outbox.flush(conn)


_revisions = msgspec.json.Decoder(list[ArticleRevision])
_revision = msgspec.json.Decoder(ArticleRevisionWithBody)


async def revisions(conn: Connection, article_id: UUID, cursor: Any, limit: int) -> Page[ArticleRevision]:
    """The article's bodies, newest first; the cursor is the last item's revision number."""
    before = cursor[0] if cursor else None
    raw = await conn.fetchval(Q["list_revisions"], article_id, before, limit + 1)
    if raw is None:
        raise NotFound(f"article {article_id} does not exist")
    return make_page(_revisions.decode(raw), limit, lambda r: [r.revision])


async def revision(conn: Connection, article_id: UUID, number: int) -> ArticleRevisionWithBody:
    raw = await conn.fetchval(Q["revision"], article_id, number)
    if raw is None:
        if await conn.fetchval(Q["article"], article_id) is None:
            raise NotFound(f"article {article_id} does not exist")
        raise NotFound(f"article {article_id} has no revision {number}")
    return _revision.decode(raw)
