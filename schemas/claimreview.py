"""schema.org ClaimReview as JSON-LD, out (a newsroom's verdicts) and in (others' reviews).

Field names are schema.org's; the Python names are snake_case and renamed to camelCase, the
JSON-LD keywords (``@context``, ``@type``, ``@graph``) are named explicitly. Absent values are
left out rather than sent as null, as schema.org consumers expect; ``@type`` has no default, so
it is always sent.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from schemas.search import SimilarClaim
from schemas.sources import Source

SCHEMA_ORG = "https://schema.org"


class Thing(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """A Person or an Organization: who makes a claim, who publishes a review or an article."""

    type: Literal["Person", "Organization"] = msgspec.field(name="@type")
    name: str
    url: str | None = None


class CreativeWork(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True, rename="camel"):
    """Where a claim appeared: the article."""

    type: Literal["CreativeWork"] = msgspec.field(name="@type")
    url: str
    headline: str | None = None
    date_published: str | None = None
    publisher: Thing | None = None


class ReviewedClaim(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True, rename="camel"):
    type: Literal["Claim"] = msgspec.field(name="@type")
    author: Thing | None = None
    date_published: str | None = None
    appearance: CreativeWork | None = None


class Rating(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True, rename="camel"):
    type: Literal["Rating"] = msgspec.field(name="@type")
    rating_value: int | None = None
    best_rating: int
    worst_rating: int
    alternate_name: str


class ClaimReview(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True, rename="camel"):
    """One verdict as schema.org ClaimReview; ``@context`` is left out inside a ``@graph``."""

    context: str | None = msgspec.field(default=None, name="@context")
    type: Literal["ClaimReview"] = msgspec.field(name="@type")
    url: str | None = None
    claim_reviewed: str
    item_reviewed: ReviewedClaim
    review_rating: Rating
    author: Thing | None = None
    date_published: str | None = None
    date_modified: str | None = None
    in_language: str


class ClaimReviewGraph(msgspec.Struct, kw_only=True, frozen=True):
    """An article's verdicts: one JSON-LD document holding a ClaimReview per reviewed claim."""

    context: str = msgspec.field(default=SCHEMA_ORG, name="@context")
    graph: list[ClaimReview] = msgspec.field(name="@graph")


class ImportedReview(msgspec.Struct, kw_only=True, frozen=True):
    """One imported review: the fact_check source holding it, and the stored claims it matches."""

    source: Source
    outcome: Literal["created", "updated", "unchanged"]
    matches: list[SimilarClaim]


class ClaimReviewImportResult(msgspec.Struct, kw_only=True, frozen=True):
    items: list[ImportedReview]
