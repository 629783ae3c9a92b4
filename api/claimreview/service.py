"""ClaimReview: the newsroom's verdicts as schema.org JSON-LD, and other fact-checkers' reviews in.

Export. A claim has a ClaimReview once it has a verdict, i.e. a rating (every status but
``unverified`` and ``in_review``); asking for one before is a 404, since the review does not
exist yet (the claim itself is at /v1/claims/{id}). ``url`` is the claim's review_url, else the
article's url with ``#claim-<id>``; ``datePublished`` is when the claim first got a verdict,
``dateModified`` when it was last reviewed. The claimant becomes the Claim's author, as an
Organization when the name looks like one (see ``claimant``), else as a Person.

Import. Each review is stored as a source of kind ``fact_check`` under its url, with its rating,
publisher, date, language and the claim it reviews; all in one transaction, with the events.
The same review imported twice changes nothing; a review whose rating or wording changed is
updated. The answer names, for each review, the stored claims that say what it reviewed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from api.claimreview import parse
from api.db import Connection, load_queries
from api.errors import ApplicationError, NotFound
from api.events.outbox import Outbox
from api.search import service as search
from api.settings import Settings
from api.sources import service as sources
from schemas.claimreview import (
    SCHEMA_ORG,
    ClaimReview,
    ClaimReviewGraph,
    ClaimReviewImportResult,
    CreativeWork,
    ImportedReview,
    Rating,
    ReviewedClaim,
    Thing,
)
from schemas.search import DEFAULT_MATCHES, SimilarClaim

Q = load_queries(__file__)

# Parts of words that make a claimant an organisation rather than a person: anywhere in a word
# (German compounds: "Gesundheitsministerium", "Medienberichte"), or as whole words.
_ORGANISATION = re.compile(
    r"minist|govern|regierung|agenc|agentur|office|department|council|committee|partei|polize?i"
    r"|militär|military|universit|institut|compan|corporat|gmbh|news|medien|zeitung|behörde|bundes"
    r"|kreml|parlament|parliament|organi[sz]ation|white house|министерств|правительств|администрац"
    r"|\b(?:amt|inc|ltd|tv|media|times|radio|bank|union|party|army|armee|senate?|сми)\b",
    re.IGNORECASE,
)


Outcome = Literal["created", "updated", "unchanged"]


class TooManyReviews(ApplicationError):
    status, problem, title = 413, "payload-too-large", "Payload too large"


def claimant(name: str) -> Thing:
    """The claimant as schema.org author: an acronym or a name with an organisation's word in it
    ("Gesundheitsministerium", "NATO", "Medienberichte") is an Organization, else a Person."""
    letters = [ch for ch in name if ch.isalpha()]
    acronym = len(letters) >= 2 and all(ch.isupper() for ch in letters) and " " not in name.strip()
    kind = "Organization" if acronym or _ORGANISATION.search(name) else "Person"
    return Thing(type=kind, name=name)  # type: ignore[arg-type]


def _day(value: datetime | None) -> str | None:
    return value.astimezone(UTC).date().isoformat() if value else None


def _publisher(settings: Settings) -> Thing | None:
    if not settings.publisher_name:
        return None
    return Thing(type="Organization", name=settings.publisher_name, url=settings.publisher_url or None)


def to_claim_review(row: Any, settings: Settings, *, standalone: bool) -> ClaimReview:
    article_url = row["article_url"]
    url = row["review_url"] or (f"{article_url}#claim-{row['id']}" if article_url else None)
    appearance = (
        CreativeWork(
            type="CreativeWork",
            url=article_url,
            headline=row["article_title"],
            date_published=_day(row["article_published_at"]),
            publisher=Thing(type="Organization", name=row["outlet"]) if row["outlet"] else None,
        )
        if article_url
        else None
    )
    claim_date = row["claim_date"].isoformat() if row["claim_date"] else _day(row["article_published_at"])
    return ClaimReview(
        context=SCHEMA_ORG if standalone else None,
        type="ClaimReview",
        url=url,
        claim_reviewed=row["text"],
        item_reviewed=ReviewedClaim(
            type="Claim",
            author=claimant(row["claimant"]) if row["claimant"] else None,
            date_published=claim_date,
            appearance=appearance,
        ),
        review_rating=Rating(
            type="Rating",
            rating_value=row["rating_value"],
            best_rating=5,
            worst_rating=1,
            alternate_name=row["rating_text"],
        ),
        author=_publisher(settings),
        date_published=_day(row["first_rated"]),
        date_modified=_day(row["last_reviewed"]),
        in_language=row["language"],
    )


async def of_claim(conn: Connection, claim_id: UUID, settings: Settings) -> ClaimReview:
    row = await conn.fetchrow(Q["claim_for_review"], claim_id)
    if row is None:
        raise NotFound(f"claim {claim_id} does not exist")
    if row["rating_text"] is None:
        raise NotFound(f"claim {claim_id} has no verdict yet, so it has no ClaimReview")
    return to_claim_review(row, settings, standalone=True)


async def of_article(conn: Connection, article_id: UUID, settings: Settings) -> ClaimReviewGraph:
    if await conn.fetchval(Q["article_for_review"], article_id) is None:
        raise NotFound(f"article {article_id} does not exist")
    rows = await conn.fetch(Q["article_reviewed_claims"], article_id)
    return ClaimReviewGraph(graph=[to_claim_review(r, settings, standalone=False) for r in rows])


# ---- import ---------------------------------------------------------------------------------


async def _store(conn: Connection, review: parse.Review, actor: str | None) -> tuple[UUID, Outcome]:
    """(source id, outcome) of one review; call inside the import's transaction."""
    values = (
        review.title,
        review.publisher,
        review.language,
        review.published_at,
        review.rating,
        review.claim_reviewed,
        actor,
    )
    created = await conn.fetchval(Q["insert_review"], review.url, *values)
    if created is not None:
        return created, "created"
    updated = await conn.fetchval(Q["update_review"], review.url, *values)
    if updated is not None:
        return updated, "updated"
    existing = await conn.fetchval(Q["source_id_by_url"], review.url)
    if existing is None:  # deleted between the statements: store it anew
        return await _store(conn, review, actor)
    return existing, "unchanged"


async def import_reviews(
    conn: Connection, document: Any, actor: str | None, settings: Settings
) -> ClaimReviewImportResult:
    try:
        found = parse.reviews(document, settings.claimreview_import_max)
    except parse.TooManyReviews:
        raise TooManyReviews(
            f"at most {settings.claimreview_import_max} reviews in one request; send the feed in parts"
        ) from None
    stored: list[tuple[parse.Review, UUID, Outcome]] = []
    async with conn.transaction():
        outbox = Outbox()
        for review in found:
            source_id, outcome = await _store(conn, review, actor)
            stored.append((review, source_id, outcome))
            if outcome != "unchanged":
                kind = "source.created" if outcome == "created" else "source.updated"
                outbox.add(kind, source_id, await sources.get(conn, source_id))
        await outbox.flush(conn)
    items: list[ImportedReview] = []
    for review, source_id, outcome in stored:
        matches: list[SimilarClaim] = []
        if review.claim_reviewed:
            page = await search.similar(
                conn,
                None,
                review.claim_reviewed,
                review.language,
                settings.similarity_threshold,
                DEFAULT_MATCHES,
            )
            matches = page.items
        source = await sources.get(conn, source_id)
        items.append(ImportedReview(source=source, outcome=outcome, matches=matches))
    return ClaimReviewImportResult(items=items)
