from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from schemas.common import Excerpt, Integer, Language, Name, Relation, SourceKind, Timestamp, Title, Url


class SourceCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url
    title: Title | None = None
    publisher: Name | None = None
    kind: SourceKind = "other"
    language: Language | None = None
    published_at: Timestamp | None = None
    archived_url: Url | None = None


class SourcePatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url | UnsetType = UNSET
    title: Title | UnsetType | None = UNSET
    publisher: Name | UnsetType | None = UNSET
    kind: SourceKind | UnsetType = UNSET
    language: Language | UnsetType | None = UNSET
    published_at: Timestamp | UnsetType | None = UNSET
    archived_url: Url | UnsetType | None = UNSET


class LinkIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A link as sent: an existing source by id, or a source found or created by its url."""

    source_id: UUID | None = None
    source: SourceCreate | None = None
    relation: Relation
    excerpt: Excerpt | None = None


SourceHealth = Literal["ok", "changed", "dead", "unchecked"]


class ReviewRating(msgspec.Struct, kw_only=True, frozen=True):
    """An imported fact-check's verdict, as its publisher rated it (schema.org Rating)."""

    value: Integer | float | None
    best: Integer | float | None
    worst: Integer | float | None
    text: str | None


PartyType = Literal["Person", "Organization"]


class Party(msgspec.Struct, kw_only=True, frozen=True):
    """Who publishes a review or makes a claim, as a ClaimReview names them (schema.org author)."""

    type: PartyType | None
    name: str | None
    url: str | None
    same_as: list[str]


class Appearance(msgspec.Struct, kw_only=True, frozen=True):
    """Where a reviewed claim appeared: ``type`` is CreativeWork or the subtype the review gave."""

    type: str
    url: str | None
    headline: str | None
    date_published: str | None
    publisher: Party | None


class ClaimAsReviewed(msgspec.Struct, kw_only=True, frozen=True):
    """A review's ``itemReviewed``: who made the claim (claimant), when, and where it appeared."""

    author: Party | None
    date_published: str | None
    appearances: list[Appearance]
    first_appearance: Appearance | None


class PublishedRating(ReviewRating, kw_only=True, frozen=True):
    """A review's rating as published, with the publisher's ``ratingExplanation``."""

    explanation: str | None


class PublishedReview(msgspec.Struct, kw_only=True, frozen=True):
    """One ClaimReview on a fact_check source's page. A page may hold several, told apart by the
    ``#fragment`` of their url (null: the review named by the page's url itself). Dates are kept
    as published: a day (``2022-01-10``) or a date-time with its offset."""

    fragment: str | None
    claim_reviewed: str | None
    title: str | None
    author: Party | None
    date_published: str | None
    date_modified: str | None
    language: str | None
    rating: PublishedRating | None
    claim: ClaimAsReviewed


class Source(msgspec.Struct, kw_only=True, frozen=True):
    id: UUID
    url: str
    title: str | None
    publisher: str | None
    kind: SourceKind
    language: str | None
    published_at: datetime | None
    archived_url: str | None
    version: int
    created_by: str | None
    updated_by: str | None
    created_at: datetime
    updated_at: datetime
    # Link health from the source checks: unchecked until first fetched; changed when the page's
    # main text differs from the one first seen; dead after 404/410, an unknown host or repeated
    # failures.
    health: SourceHealth = "unchecked"
    checked_at: datetime | None = None
    # For kind fact_check imported as ClaimReview: the other fact-checker's rating and wording
    # (those of the page's first review), and every review the page holds.
    review_rating: ReviewRating | None = None
    claim_reviewed: str | None = None
    reviews: list[PublishedReview] = msgspec.field(default_factory=list)


class ClaimSource(msgspec.Struct, kw_only=True, frozen=True):
    source: Source
    relation: Relation
    excerpt: str | None
    added_by: str | None
    added_at: datetime
