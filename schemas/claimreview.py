"""schema.org ClaimReview as JSON-LD, out (a newsroom's verdicts) and in (others' reviews).

Field names are schema.org's; the Python names are snake_case and renamed to camelCase, the
JSON-LD keywords (``@context``, ``@type``, ``@graph``) are named explicitly. Absent values are
left out rather than sent as null, as schema.org consumers expect; ``@type`` has no default, so
it is always sent.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from schemas.common import Problem
from schemas.search import SimilarClaim
from schemas.sources import Source

SCHEMA_ORG = "https://schema.org"


class Thing(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """A Person or an Organization: who makes a claim, who publishes a review or an article."""

    type: Literal["Person", "Organization"] | None = msgspec.field(default=None, name="@type")
    name: str | None = None
    url: str | None = None
    same_as: list[str] | None = msgspec.field(default=None, name="sameAs")


class CreativeWork(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True, rename="camel"):
    """Where a claim appeared: the article, or the claim's origin (CreativeWork or a subtype)."""

    type: str = msgspec.field(name="@type")
    url: str | None = None
    headline: str | None = None
    date_published: str | None = None
    publisher: Thing | None = None


class ReviewedClaim(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True, rename="camel"):
    type: Literal["Claim"] = msgspec.field(name="@type")
    author: Thing | None = None
    date_published: str | None = None
    appearance: CreativeWork | list[CreativeWork] | None = None
    first_appearance: CreativeWork | None = None


class Rating(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True, rename="camel"):
    """A verdict: the number on its scale (left out for a verdict without one) and its words."""

    type: Literal["Rating"] = msgspec.field(name="@type")
    rating_value: int | float | None = None
    best_rating: int | float | None = None
    worst_rating: int | float | None = None
    alternate_name: str
    rating_explanation: str | None = None


class ClaimReview(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True, rename="camel"):
    """One verdict as schema.org ClaimReview; ``@context`` is left out inside a ``@graph``."""

    context: str | None = msgspec.field(default=None, name="@context")
    type: Literal["ClaimReview"] = msgspec.field(name="@type")
    url: str
    claim_reviewed: str
    headline: str | None = None
    item_reviewed: ReviewedClaim
    review_rating: Rating
    author: Thing | None = None
    date_published: str | None = None
    date_modified: str | None = None
    in_language: str | None = None


class ClaimReviewGraph(msgspec.Struct, kw_only=True, frozen=True):
    """An article's verdicts: one JSON-LD document holding a ClaimReview per reviewed claim."""

    context: str = msgspec.field(default=SCHEMA_ORG, name="@context")
    graph: list[ClaimReview] = msgspec.field(name="@graph")


ImportOutcome = Literal["created", "updated", "unchanged", "skipped", "failed"]


class ImportNote(msgspec.Struct, kw_only=True, frozen=True):
    """Something the import guessed or doubts, at ``field`` (a JSON Pointer into the document)."""

    field: str
    message: str


class ImportedReview(msgspec.Struct, kw_only=True, frozen=True):
    """What became of one node of the document (``pointer``): a review created, updated or
    unchanged in the fact_check source of its page (``source``; ``fragment`` tells it from the
    page's other reviews), with the stored claims it matches; a node ``skipped`` (not a
    ClaimReview); or a review ``failed`` (``problem`` says why; nothing of it was stored)."""

    pointer: str
    outcome: ImportOutcome
    source: Source | None
    fragment: str | None = None
    matches: list[SimilarClaim]
    notes: list[ImportNote]
    problem: Problem | None = None


class ClaimReviewImportResult(msgspec.Struct, kw_only=True, frozen=True):
    items: list[ImportedReview]
