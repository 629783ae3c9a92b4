"""Bulk import and export: one article a record, with its claims, links, sources and history.

A record is the shape of POST /v1/articles with each claim carrying its ``sources`` links,
plus, for full-fidelity records as ``GET /v1/export`` writes them, the ids, versions,
timestamps and actors of every row and each claim's verification ``history``. What a record
leaves out is filled in as the public endpoints would: new ids, version 1, the time of the
import and the importing key as the actor. Every output field of Article, Claim, ClaimSource,
Source and Verification is accepted, so an exported line imports unchanged.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from schemas.articles import RevisionSummary
from schemas.claims import ClaimantType, Quantity
from schemas.common import (
    AnchorStatus,
    Body,
    ClaimText,
    Context,
    Excerpt,
    ExternalId,
    Language,
    Name,
    Note,
    Offset,
    Problem,
    Quote,
    Relation,
    Revision,
    SourceKind,
    Status,
    Tags,
    Title,
    Url,
    Version,
)
from schemas.sources import PublishedReview, ReviewRating, SourceHealth
from schemas.verifications import HistoryKind, Wording

# Articles in one POST /v1/import; a batch is also bounded by the request body size (4 MiB).
MAX_IMPORT_ARTICLES = 1_000
MAX_CLAIMS_PER_ARTICLE = 5_000
MAX_HISTORY_PER_CLAIM = 10_000
MAX_REVISIONS_PER_ARTICLE = 1_000

# Actor fields: omitted means "the importing key", null means "no key was used".
Actor = Name | None | UnsetType


class SourceRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    id: UUID | None = None
    url: Url
    title: Title | None = None
    publisher: Name | None = None
    kind: SourceKind = "other"
    language: Language | None = None
    published_at: datetime | None = None
    archived_url: Url | None = None
    version: Version | None = None
    created_by: Actor = UNSET
    updated_by: Actor = UNSET
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # What the source's checks and a ClaimReview import last recorded; a source imported
    # without them is unchecked, and the checker looks at every imported source again.
    health: SourceHealth = "unchecked"
    checked_at: datetime | None = None
    review_rating: ReviewRating | None = None
    claim_reviewed: Quote | None = None
    reviews: Annotated[list[PublishedReview], Meta(max_length=200)] = msgspec.field(default_factory=list)


class LinkRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A link as sent to the API (``source_id`` or ``source``), with who added it and when."""

    source_id: UUID | None = None
    source: SourceRecord | None = None
    relation: Relation
    excerpt: Excerpt | None = None
    added_by: Actor = UNSET
    added_at: datetime | None = None


class SpanRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    start: Offset
    end: Offset


class SelectorRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    exact: Quote
    prefix: Context = ""
    suffix: Context = ""


class RatingRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    value: Annotated[int, Meta(ge=1, le=5)] | None
    best: Literal[5] = 5
    worst: Literal[1] = 1
    text: Name


class EvidenceRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    source_id: UUID
    relation: Relation
    excerpt: Excerpt | None = None


class VerificationRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    id: UUID | None = None
    claim_id: UUID | None = None
    kind: HistoryKind = "verdict"
    status: Status
    previous_status: Status
    rating: RatingRecord | None = None
    note: Note | None = None
    evidence: Annotated[list[EvidenceRecord], Meta(max_length=100)] = msgspec.field(default_factory=list)
    wording: Wording | None = None
    actor: Actor = UNSET
    claim_version: Version
    created_at: datetime | None = None


class ClaimRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A claim: placed by ``span``, else found by ``quote`` (and ``prefix``/``suffix``).

    ``anchor_status: "orphaned"`` keeps a claim without a place, its ``selector`` as stored.
    """

    id: UUID | None = None
    article_id: UUID | None = None
    text: ClaimText
    quote: Quote
    span: SpanRecord | None = None
    prefix: Context | None = None
    suffix: Context | None = None
    selector: SelectorRecord | None = None
    anchor_status: AnchorStatus | None = None
    revision: Revision | None = None
    language: Language | None = None
    claimant: Name | None = None
    claimant_type: ClaimantType | None = None
    claim_date: date | None = None
    tags: Tags = msgspec.field(default_factory=list)
    status: Status = "unverified"
    rating: RatingRecord | None = None
    review_url: Url | None = None
    version: Version | None = None
    created_by: Actor = UNSET
    updated_by: Actor = UNSET
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sources: Annotated[list[LinkRecord], Meta(max_length=100)] = msgspec.field(default_factory=list)
    history: Annotated[list[VerificationRecord], Meta(max_length=MAX_HISTORY_PER_CLAIM)] = msgspec.field(
        default_factory=list
    )
    # Read from text and quote: exported as the API shows them, read again on import.
    quantities: Annotated[list[Quantity], Meta(max_length=1000)] = msgspec.field(default_factory=list)
    quote_quantities: Annotated[list[Quantity], Meta(max_length=1000)] = msgspec.field(default_factory=list)


class RevisionRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """One of an article's bodies. ``length`` and ``sha256`` are checked against the body."""

    revision: Revision
    article_version: Version
    created_at: datetime | None = None
    actor: Actor = UNSET
    length: Offset | None = None
    sha256: str | None = None
    summary: RevisionSummary | None = None
    body: Body


class ArticleRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """One line of an import file and of the export."""

    id: UUID | None = None
    url: Url | None = None
    external_id: ExternalId | None = None
    title: Title
    language: Language
    outlet: Name | None = None
    published_at: datetime | None = None
    body: Body
    version: Version | None = None
    revision: Revision | None = None
    created_by: Actor = UNSET
    updated_by: Actor = UNSET
    created_at: datetime | None = None
    updated_at: datetime | None = None
    claims: Annotated[list[ClaimRecord], Meta(max_length=MAX_CLAIMS_PER_ARTICLE)] = msgspec.field(
        default_factory=list
    )
    # Every body the article has had, oldest first; the last is ``body``. Without them, the
    # body is revision 1.
    revisions: Annotated[list[RevisionRecord], Meta(max_length=MAX_REVISIONS_PER_ARTICLE)] = msgspec.field(
        default_factory=list
    )


class ImportBatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    articles: Annotated[list[ArticleRecord], Meta(min_length=1, max_length=MAX_IMPORT_ARTICLES)]


ImportStatus = Literal["created", "skipped", "failed"]


class ImportedArticle(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """What became of ``articles[index]``: created (its id), skipped (the existing article's id,
    found by id, url or external_id) or failed (the problem; nothing of it was stored)."""

    index: int
    status: ImportStatus
    id: UUID | None = None
    claims: int = 0
    problem: Problem | None = None


class ImportResult(msgspec.Struct, kw_only=True, frozen=True):
    created: int
    skipped: int
    failed: int
    claims: int
    verifications: int
    articles: list[ImportedArticle]
