from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from schemas.common import (
    AnchorStatus,
    ClaimText,
    Context,
    Language,
    Name,
    Offset,
    Quote,
    Status,
    Tags,
    Url,
)
from schemas.sources import ClaimSource, LinkIn

Links = Annotated[list[LinkIn], Meta(max_length=100)]
# Whether the claimant is a person or an organisation; null: not said (ClaimReview exports an
# Organization then).
ClaimantType = Literal["person", "organization"]


class SpanIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    start: Offset
    end: Offset


class ClaimCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: ClaimText
    quote: Quote
    span: SpanIn | None = None
    prefix: Context | None = None
    suffix: Context | None = None
    language: Language | None = None
    claimant: Name | None = None
    claimant_type: ClaimantType | None = None
    claim_date: date | None = None
    tags: Tags = msgspec.field(default_factory=list)
    review_url: Url | None = None
    sources: Links = msgspec.field(default_factory=list)


class ClaimPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: ClaimText | UnsetType = UNSET
    quote: Quote | UnsetType = UNSET
    span: SpanIn | UnsetType = UNSET
    prefix: Context | UnsetType | None = UNSET
    suffix: Context | UnsetType | None = UNSET
    claimant: Name | UnsetType | None = UNSET
    claimant_type: ClaimantType | UnsetType | None = UNSET
    language: Language | UnsetType = UNSET
    claim_date: date | UnsetType | None = UNSET
    tags: Tags | UnsetType = UNSET
    review_url: Url | UnsetType | None = UNSET


class Span(msgspec.Struct, kw_only=True, frozen=True):
    start: int
    end: int


Qualifier = Literal["exact", "about", "at_least", "more_than", "at_most", "less_than", "range"]


class Quantity(msgspec.Struct, kw_only=True, frozen=True):
    """A number a claim names, as the interval its words allow (api/quantities)."""

    # Numbers (always floats: 164.0); int | float would be a oneOf that every integer breaks.
    value: float
    low: float | None  # null: unbounded below
    high: float | None  # null: unbounded above ("über 150" is (150, null))
    qualifier: Qualifier
    unit: str | None  # what is counted, as written ("Tote", "troops", "%"), when the words say it
    key: str | None  # what is counted, normalised for comparison ("killed" for Tote, getötet, killed)
    text: str  # the words of the quantity
    span: Span  # within the claim's text (within its quote for quote_quantities)


class Selector(msgspec.Struct, kw_only=True, frozen=True):
    exact: str
    prefix: str
    suffix: str


class Rating(msgspec.Struct, kw_only=True, frozen=True):
    value: int | None
    best: int
    worst: int
    text: str


class Claim(msgspec.Struct, kw_only=True, frozen=True):
    id: UUID
    article_id: UUID
    text: str
    quote: str
    span: Span | None
    selector: Selector
    anchor_status: AnchorStatus
    # The article revision the span refers to: the one in which the claim was last placed.
    # No defaults here: GET /v1/claims lists ClaimHit, which omits fields equal to theirs.
    revision: int
    language: str
    claimant: str | None
    claimant_type: ClaimantType | None
    claim_date: date | None
    tags: list[str]
    status: Status
    rating: Rating | None
    review_url: str | None
    version: int
    created_by: str | None
    updated_by: str | None
    created_at: datetime
    updated_at: datetime
    sources: list[ClaimSource]
    # The quantities of the text, and those of the quote (spans within the quote). Required, not
    # defaulted: ClaimHit omits fields equal to their defaults, and [] must still be shown.
    quantities: list[Quantity]
    quote_quantities: list[Quantity]
