"""Candidates: sentences and clauses of an article worth checking (GET /v1/articles/{id}/candidates)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from schemas.claims import Quantity, Span

Reason = Literal[
    "number",
    "first_time",
    "superlative",
    "comparison",
    "attribution",
    "quotation",
    "causal",
    "prediction",
]


class CandidateClaim(msgspec.Struct, kw_only=True, frozen=True):
    """The body of the request that makes the candidate a claim, as it can be sent."""

    text: str
    quote: str
    span: Span


class CandidateRequest(msgspec.Struct, kw_only=True, frozen=True):
    method: Literal["POST"]
    path: str
    body: CandidateClaim


class Candidate(msgspec.Struct, kw_only=True, frozen=True):
    span: Span
    quote: Annotated[
        str, Meta(description="Exactly the article body from span.start to span.end (code points)")
    ]
    score: Annotated[float, Meta(ge=0, le=1, description="How much the reasons say it is worth checking")]
    reasons: list[Reason]
    quantities: Annotated[list[Quantity], Meta(description="The quote's quantities, spans within the quote")]
    covered_by: Annotated[list[UUID], Meta(description="Claims of the article whose span overlaps this one")]
    request: Annotated[
        CandidateRequest,
        Meta(description="POST this body to the path to make the candidate a claim; edit text first"),
    ]


class CandidateList(msgspec.Struct, kw_only=True, frozen=True):
    items: list[Candidate]
