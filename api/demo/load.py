"""Load the demo article through the service layer, once: a second run finds it and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from api.articles import service as articles
from api.claims import service as claims
from api.db import Connection, create_pool
from api.demo import data
from api.errors import Conflict
from api.settings import Settings
from api.sources import service as sources
from schemas.articles import ArticleCreate
from schemas.claims import ClaimCreate
from schemas.sources import LinkIn
from schemas.verifications import VerificationCreate

ACTOR = "demo"


@dataclass(frozen=True, slots=True)
class Loaded:
    article_id: UUID
    created: bool
    claims: int = 0
    sources: int = 0
    verifications: int = 0


async def _existing(conn: Connection) -> UUID | None:
    page = await articles.list_page(conn, None, data.EXTERNAL_ID, None, 1)
    return page.items[0].id if page.items else None


def _claim(item: data.DemoClaim) -> ClaimCreate:
    return ClaimCreate(
        text=item.text,
        quote=item.quote,
        prefix=item.prefix,
        suffix=item.suffix,
        claimant=item.claimant,
        claimant_type=item.claimant_type,
        claim_date=data.ARTICLE_DATE,
        tags=list(item.tags),
    )


async def _insert(conn: Connection) -> Loaded:
    source_ids = {
        key: (await sources.find_or_create(conn, source, ACTOR))[0] for key, source in data.SOURCES.items()
    }
    article = await articles.create(
        conn,
        ArticleCreate(
            external_id=data.EXTERNAL_ID,
            title=data.TITLE,
            language=data.LANGUAGE,
            published_at=data.PUBLISHED_AT,
            body=data.body(),
        ),
        ACTOR,
    )
    verifications = 0
    for item in data.CLAIMS:
        claim = await claims.create(conn, article.id, _claim(item), ACTOR)
        for update in item.updates:
            links = [
                LinkIn(source_id=source_ids[e.source], relation=e.relation, excerpt=e.excerpt)
                for e in update.evidence
            ]
            await claims.verify(
                conn,
                claim.id,
                VerificationCreate(
                    status=update.status, note=update.note, rating_text=update.rating_text, sources=links
                ),
                None,
                ACTOR,
            )
            verifications += 1
    return Loaded(article.id, True, len(data.CLAIMS), len(source_ids), verifications)


async def load(settings: Settings, database_url: str) -> Loaded:
    """Create the demo article, its claims, sources and history in one transaction, unless it exists."""
    pool = await create_pool(settings, database_url)
    try:
        async with pool.acquire() as conn:
            existing = await _existing(conn)
            if existing is not None:
                return Loaded(existing, False)
            try:
                async with conn.transaction():
                    return await _insert(conn)
            except Conflict:
                # Another run created it between the look-up and the insert.
                found = await _existing(conn)
                if found is None:
                    raise
                return Loaded(found, False)
    finally:
        await pool.close()
