"""ClaimReview: the newsroom's verdicts as schema.org JSON-LD, and other fact-checkers' reviews in.

Export. A claim has a ClaimReview once it has a verdict, i.e. a rating (every status but
``unverified`` and ``in_review``); asking for one before is a 404, since the review does not
exist yet (the claim itself is at /v1/claims/{id}). A ClaimReview is served only when it has
what Google requires and the publisher is known; else 422 ``not-publishable`` lists what is
missing and which setting supplies it. ``url`` is the claim's review_url, else
CLAIMTRACK_REVIEW_URL_TEMPLATE filled in, else the article's url with ``#claim-<id>``;
``datePublished`` is when the claim first got a verdict, ``dateModified`` when it was last
reviewed. The claimant is the Claim's author, of the claim's ``claimant_type`` (Organization when
not said); without a claimant, the article's outlet. ``appearance`` is the article (its url, else
CLAIMTRACK_ARTICLE_URL_TEMPLATE filled in), ``firstAppearance`` the claim's first ``origin`` source.

Import. Each ClaimReview is kept as a review of the fact_check source of its page (its url
without the fragment); a page holds several reviews, told apart by their fragments. All in one
transaction, with the events; a review that cannot be read is reported in its item and the
others are stored. The same review imported twice changes nothing; a review whose content
changed is replaced. The answer names, for each review, the stored claims that say what it
reviewed. ``GET /v1/sources/{id}/claimreview`` serves a page's reviews again as ClaimReview.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import UUID

import msgspec

from api.claimreview import parse
from api.claimreview.labels import label
from api.db import Connection, load_queries
from api.errors import ApplicationError, InvalidRequest, NotFound, RuleBroken, problem_of
from api.events.outbox import Outbox
from api.search import service as search
from api.settings import Settings
from api.sources import service as sources
from api.urls import InvalidURL, normalise_url, not_allowed
from schemas.claimreview import (
    SCHEMA_ORG,
    ClaimReview,
    ClaimReviewGraph,
    ClaimReviewImportResult,
    CreativeWork,
    ImportedReview,
    ImportNote,
    Rating,
    ReviewedClaim,
    Thing,
)
from schemas.common import Problem
from schemas.search import DEFAULT_MATCHES, SimilarClaim
from schemas.sources import Appearance, Party, PublishedReview, ReviewRating, Source

Q = load_queries(__file__)

Missing = list[tuple[str, str]]


class TooManyReviews(ApplicationError):
    status, problem, title = 413, "payload-too-large", "Payload too large"


def not_publishable(detail: str, missing: Missing) -> RuleBroken:
    """422: the ClaimReview would lack what Google requires, or the publisher is unknown."""
    return RuleBroken("not-publishable", detail, errors=missing)


def _published_url(url: str) -> str:
    """A url as published: normalised, keeping its #fragment (which names a review on a page)."""
    page, _, fragment = url.partition("#")
    normal = normalise_url(page)
    return f"{normal}#{fragment}" if fragment else normal


def _filled(template: str, setting: str, values: dict[str, str | None]) -> tuple[str | None, str | None]:
    """(the url, or None and why) of a url template with {claim_id}, {article_id}, {external_id}."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        return None, f"{setting} is not a valid template: {exc}"
    unknown = names - values.keys()
    if unknown:
        return (
            None,
            f"{setting} names {{{sorted(unknown)[0]}}}; it may name {{claim_id}}, {{article_id}} "
            "and {external_id}",
        )
    absent = sorted(name for name in names if values[name] is None)
    if absent:
        return None, f"{setting} needs the article's {absent[0]}, which it has none of"
    try:
        return _published_url(
            template.format(**{k: quote(v or "", safe="") for k, v in values.items()})
        ), None
    except InvalidURL as exc:
        return None, f"{setting} gives no valid url: {exc}"


def _publisher(settings: Settings) -> tuple[Thing, Missing]:
    missing: Missing = []
    if not settings.publisher_name:
        missing.append(("/author/name", "set CLAIMTRACK_PUBLISHER_NAME: who publishes the fact checks"))
    url: str | None = None
    if not settings.publisher_url:
        missing.append(("/author/url", "set CLAIMTRACK_PUBLISHER_URL: the publisher's home page"))
    else:
        try:
            url = normalise_url(settings.publisher_url)
        except InvalidURL as exc:
            missing.append(("/author/url", f"CLAIMTRACK_PUBLISHER_URL is not a valid url: {exc}"))
    same_as: list[str] = []
    for profile in settings.publisher_same_as:
        try:
            same_as.append(normalise_url(profile))
        except InvalidURL as exc:
            missing.append(("/author/sameAs", f"CLAIMTRACK_PUBLISHER_SAME_AS holds {profile!r}: {exc}"))
    author = Thing(
        type="Organization", name=settings.publisher_name or None, url=url, same_as=same_as or None
    )
    return author, missing


def _day(value: datetime | None) -> str | None:
    return value.astimezone(UTC).date().isoformat() if value else None


def _template_values(row: Any) -> dict[str, str | None]:
    """What a url template may name, of a claim_review_facts row."""
    return {
        "claim_id": str(row["id"]),
        "article_id": str(row["article_id"]),
        "external_id": row["external_id"],
    }


def _review_url(row: Any, settings: Settings) -> tuple[str | None, str]:
    """(the claim's review url, or None and what would give one)."""
    if row["review_url"]:
        return row["review_url"], ""
    if settings.review_url_template:
        url, why = _filled(
            settings.review_url_template, "CLAIMTRACK_REVIEW_URL_TEMPLATE", _template_values(row)
        )
        return url, why or ""
    if row["article_url"]:
        return f"{row['article_url']}#claim-{row['id']}", ""
    return None, (
        "the claim has no review_url and its article no url: set one of them, or "
        "CLAIMTRACK_REVIEW_URL_TEMPLATE (e.g. https://factcheck.example/claims/{claim_id})"
    )


def _article_url(row: Any, settings: Settings) -> str | None:
    if row["article_url"]:
        return str(row["article_url"])
    if not settings.article_url_template:
        return None
    url, _ = _filled(settings.article_url_template, "CLAIMTRACK_ARTICLE_URL_TEMPLATE", _template_values(row))
    return url


def _claimant(row: Any, article_url: str | None) -> Thing | None:
    """Who made the claim: the claimant, of its claimant_type (an Organization when not said);
    without a claimant, the article's outlet, else the host of the article's url."""
    if row["claimant"]:
        kind = "Person" if row["claimant_type"] == "person" else "Organization"
        return Thing(type=kind, name=row["claimant"])  # type: ignore[arg-type]
    if row["outlet"]:
        return Thing(type="Organization", name=row["outlet"])
    if not article_url:
        return None
    parts = urlsplit(article_url)
    return Thing(type="Organization", name=parts.hostname, url=f"{parts.scheme}://{parts.netloc}/")


def to_claim_review(
    row: Any, settings: Settings, *, standalone: bool, at: str = ""
) -> tuple[ClaimReview, Missing]:
    """The claim's ClaimReview, and what it lacks to be published (JSON Pointers under ``at``)."""
    author, missing = _publisher(settings)
    url, why = _review_url(row, settings)
    if url is None:
        missing.insert(0, ("/url", why))
    article_url = _article_url(row, settings)
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
    origin = (
        CreativeWork(
            type="CreativeWork",
            url=row["origin_url"],
            headline=row["origin_title"],
            date_published=_day(row["origin_published_at"]),
            publisher=Thing(type="Organization", name=row["origin_publisher"])
            if row["origin_publisher"]
            else None,
        )
        if row["origin_url"]
        else None
    )
    claim_date = row["claim_date"].isoformat() if row["claim_date"] else _day(row["article_published_at"])
    value = row["rating_value"]
    review = ClaimReview(
        context=SCHEMA_ORG if standalone else None,
        type="ClaimReview",
        url=url or "",
        claim_reviewed=row["text"],
        item_reviewed=ReviewedClaim(
            type="Claim",
            author=_claimant(row, article_url),
            date_published=claim_date,
            appearance=appearance,
            first_appearance=origin,
        ),
        review_rating=Rating(
            type="Rating",
            rating_value=value,
            best_rating=5 if value is not None else None,
            worst_rating=1 if value is not None else None,
            alternate_name=label(row["status"], row["rating_text"], row["language"]),
        ),
        author=author,
        date_published=_day(row["first_rated"]),
        date_modified=_day(row["last_reviewed"]),
        in_language=row["language"],
    )
    return review, [(f"{at}{field}", message) for field, message in missing]


async def of_claim(conn: Connection, claim_id: UUID, settings: Settings) -> ClaimReview:
    row = await conn.fetchrow(Q["claim_for_review"], claim_id)
    if row is None:
        raise NotFound(f"claim {claim_id} does not exist")
    if row["rating_text"] is None:
        raise NotFound(f"claim {claim_id} has no verdict yet, so it has no ClaimReview")
    review, missing = to_claim_review(row, settings, standalone=True)
    if missing:
        raise not_publishable(f"the ClaimReview of claim {claim_id} cannot be published as it is", missing)
    return review


async def of_article(conn: Connection, article_id: UUID, settings: Settings) -> ClaimReviewGraph:
    if await conn.fetchval(Q["article_for_review"], article_id) is None:
        raise NotFound(f"article {article_id} does not exist")
    rows = await conn.fetch(Q["article_reviewed_claims"], article_id)
    graph: list[ClaimReview] = []
    missing: Missing = []
    for i, row in enumerate(rows):
        review, lacking = to_claim_review(row, settings, standalone=False, at=f"/@graph/{i}")
        graph.append(review)
        missing.extend(lacking)
    if missing:
        raise not_publishable(
            f"the ClaimReviews of article {article_id} cannot be published as they are", missing
        )
    return ClaimReviewGraph(graph=graph)


# ---- a page's imported reviews, served again --------------------------------------------------


def _thing(party: Party | None) -> Thing | None:
    if party is None:
        return None
    return Thing(type=party.type, name=party.name, url=party.url, same_as=party.same_as or None)


def _work(appearance: Appearance | None) -> CreativeWork | None:
    if appearance is None:
        return None
    return CreativeWork(
        type=appearance.type,
        url=appearance.url,
        headline=appearance.headline,
        date_published=appearance.date_published,
        publisher=_thing(appearance.publisher),
    )


def from_published(page: str, review: PublishedReview, at: str) -> tuple[ClaimReview, Missing]:
    """A stored review as the ClaimReview it was imported from, and what it lacks to be valid."""
    missing: Missing = []
    if review.claim_reviewed is None:
        missing.append((f"{at}/claimReviewed", "the review was imported without claimReviewed"))
    rating = review.rating
    if rating is None or rating.text is None:
        missing.append((f"{at}/reviewRating/alternateName", "the review was imported without a rating label"))
    claim = review.claim
    appearances = [_work(a) for a in claim.appearances]
    return (
        ClaimReview(
            type="ClaimReview",
            url=f"{page}#{review.fragment}" if review.fragment is not None else page,
            claim_reviewed=review.claim_reviewed or "",
            headline=review.title,
            item_reviewed=ReviewedClaim(
                type="Claim",
                author=_thing(claim.author),
                date_published=claim.date_published,
                appearance=(appearances[0] if len(appearances) == 1 else appearances or None),  # type: ignore[arg-type]
                first_appearance=_work(claim.first_appearance),
            ),
            review_rating=Rating(
                type="Rating",
                rating_value=rating.value if rating else None,
                best_rating=rating.best if rating else None,
                worst_rating=rating.worst if rating else None,
                alternate_name=(rating.text if rating else None) or "",
                rating_explanation=rating.explanation if rating else None,
            ),
            author=_thing(review.author),
            date_published=review.date_published,
            date_modified=review.date_modified,
            in_language=review.language,
        ),
        missing,
    )


async def of_source(conn: Connection, source_id: UUID) -> ClaimReviewGraph:
    source = await sources.get(conn, source_id)
    if not source.reviews:
        raise NotFound(f"source {source_id} holds no imported ClaimReview")
    graph: list[ClaimReview] = []
    missing: Missing = []
    for i, review in enumerate(source.reviews):
        found, lacking = from_published(source.url, review, f"/@graph/{i}")
        graph.append(found)
        missing.extend(lacking)
    if missing:
        raise not_publishable(f"the reviews of source {source_id} lack what a ClaimReview needs", missing)
    return ClaimReviewGraph(graph=graph)


# ---- import ---------------------------------------------------------------------------------

# Reviews one page may hold: a page is a source, and its document is embedded in every claim
# citing it.
MAX_REVIEWS_PER_PAGE = 200
_reviews = msgspec.json.Decoder(list[PublishedReview])


class _Page:
    """A fact_check source and the reviews of one request that land on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.items: list[parse.Item] = []
        self.source_id: UUID | None = None
        self.created = False
        self.changed = False


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _publisher_of(review: PublishedReview) -> str | None:
    author = review.author
    if author is None:
        return None
    return author.name or (urlsplit(author.url).hostname if author.url else None)


def _merge(stored: list[PublishedReview], page: _Page) -> list[PublishedReview]:
    """The page's reviews with the request's merged in, each told apart by its fragment: a new one
    is added at the end, a known one replaced. Sets each item's outcome (or failure)."""
    merged = list(stored)
    for item in page.items:
        assert item.review is not None
        review = item.review.stored
        index = next((i for i, r in enumerate(merged) if r.fragment == review.fragment), None)
        if index is None:
            if len(merged) >= MAX_REVIEWS_PER_PAGE:
                item.refused.append(
                    (f"{item.pointer}/url", f"the page holds {MAX_REVIEWS_PER_PAGE} reviews already")
                )
                item.review = None
                continue
            merged.append(review)
            item.outcome = "created"
        elif merged[index] == review:
            item.outcome = "unchanged"
        else:
            merged[index] = review
            item.outcome = "updated"
    return merged


def _page_fields(reviews: list[PublishedReview], row: Any) -> tuple[Any, ...]:
    """What the source shows of its page: the first review's title, publisher, language and
    date (a field it leaves out keeps what the source had), its rating and wording, the reviews."""
    first = reviews[0]
    rating = first.rating
    return (
        first.title or (row and row["title"]),
        _publisher_of(first) or (row and row["publisher"]),
        first.language or (row and row["language"]),
        _instant(first.date_published) or (row and row["published_at"]),
        ReviewRating(value=rating.value, best=rating.best, worst=rating.worst, text=rating.text)
        if rating
        else None,
        first.claim_reviewed,
        reviews,
    )


async def _store(conn: Connection, page: _Page, actor: str | None) -> None:
    """Merge the page's reviews into its source, creating it if need be; inside the import's
    transaction. The source's row lock orders concurrent imports of the same page."""
    while True:
        row = await conn.fetchrow(Q["page_for_review"], page.url)
        if row is None:
            fields = _page_fields(_merge([], page), None)
            created = await conn.fetchval(Q["insert_page"], page.url, *fields, actor)
            if created is None:  # stored meanwhile by a concurrent import: merge into that one
                continue
            page.source_id, page.created, page.changed = created, True, True
            return
        stored = _reviews.decode(row["reviews"])
        merged = _merge(stored, page)
        page.source_id = row["id"]
        if merged == stored and row["kind"] == "fact_check":
            return
        fields = _page_fields(merged, row)
        await conn.execute(Q["update_page"], row["id"], *fields, actor)
        page.changed = True
        return


def _failure(item: parse.Item) -> Problem:
    if item.errors:
        error: ApplicationError = InvalidRequest(
            "the review has values of the wrong type", errors=item.errors
        )
    else:
        error = not_allowed("a review's url is not allowed", item.refused)
    return problem_of(error)


def _refuse_all(items: list[parse.Item]) -> None:
    """A request in which no review could be stored is refused whole, naming every value at fault."""
    errors = [e for item in items for e in item.errors][: parse.MAX_ERRORS]
    if errors:
        raise InvalidRequest("no review of the document could be read", errors=errors)
    refused = [e for item in items for e in item.refused][: parse.MAX_ERRORS]
    raise not_allowed("no review of the document could be stored", refused)


def _notes(item: parse.Item) -> list[ImportNote]:
    return [ImportNote(field=f, message=m) for f, m in item.notes]


async def import_reviews(
    conn: Connection, document: Any, actor: str | None, settings: Settings
) -> ClaimReviewImportResult:
    try:
        items = parse.read(document, settings.claimreview_import_max)
    except parse.TooManyReviews:
        raise TooManyReviews(
            f"at most {settings.claimreview_import_max} items (reviews and nodes passed over) in one "
            "request; send the feed in parts"
        ) from None
    if not any(item.review for item in items):
        _refuse_all([item for item in items if item.skipped is None])
    pages: dict[str, _Page] = {}
    for item in items:
        if item.review is not None:
            pages.setdefault(item.review.page, _Page(item.review.page)).items.append(item)
    # Each page's source as stored, read once: for its event and for its items' answer.
    stored: dict[UUID | None, Source] = {}
    async with conn.transaction():
        outbox = Outbox()
        for page in pages.values():
            await _store(conn, page, actor)
            if page.source_id is None:
                continue
            source = stored[page.source_id] = await sources.get(conn, page.source_id)
            if page.changed:
                kind = "source.created" if page.created else "source.updated"
                outbox.add(kind, page.source_id, source)
        await outbox.flush(conn)
    results: list[ImportedReview] = []
    for item in items:
        if item.skipped is not None:
            notes = [ImportNote(field=item.pointer or "/", message=item.skipped)]
            results.append(
                ImportedReview(pointer=item.pointer, outcome="skipped", source=None, matches=[], notes=notes)
            )
        elif item.review is None:
            results.append(
                ImportedReview(
                    pointer=item.pointer,
                    outcome="failed",
                    source=None,
                    matches=[],
                    notes=_notes(item),
                    problem=_failure(item),
                )
            )
        else:
            review = item.review.stored
            matches: list[SimilarClaim] = []
            if review.claim_reviewed:
                page_of_matches = await search.similar(
                    conn,
                    None,
                    review.claim_reviewed,
                    review.language,
                    settings.similarity_threshold,
                    DEFAULT_MATCHES,
                )
                matches = page_of_matches.items
            results.append(
                ImportedReview(
                    pointer=item.pointer,
                    outcome=item.outcome,
                    source=stored.get(pages[item.review.page].source_id),
                    fragment=review.fragment,
                    matches=matches,
                    notes=_notes(item),
                )
            )
    return ClaimReviewImportResult(items=results)
