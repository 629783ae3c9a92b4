"""Finding claims: full-text hits and claims matched across articles, as Claims with one field more."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.claims import Claim
from schemas.common import ClaimText, Language

MAX_MATCHES = 100
DEFAULT_MATCHES = 10

MatchLimit = Annotated[int, Meta(ge=1, le=MAX_MATCHES, description="Matches to return, at most 100")]


class SearchHit(msgspec.Struct, kw_only=True, frozen=True):
    rank: Annotated[float, Meta(description="ts_rank of the claim's text (weight A) and quote (B)")]
    snippet: Annotated[
        str,
        Meta(
            description="Text and quote around the matching words, as HTML: the words in <mark>, "
            "the rest escaped"
        ),
    ]


class ClaimHit(Claim, kw_only=True, frozen=True, omit_defaults=True):
    """A claim as GET /v1/claims lists it: with ``search`` when the query had ``q``."""

    search: SearchHit | None = None


Agreement = Literal["consistent", "conflicting", "unrelated"]


class Closeness(msgspec.Struct, kw_only=True, frozen=True):
    score: Annotated[
        float,
        Meta(
            description="pg_trgm similarity of the two texts, normalised (0 to 1): of the texts as "
            "they are for claims naming the same numbers, of the texts without their numbers for "
            "claims counting the same thing"
        ),
    ]


class SimilarClaim(Claim, kw_only=True, frozen=True):
    """A claim close to the one asked about, with its status and rating, so its verdict can be reused."""

    match: Closeness
    agreement: Annotated[
        Agreement,
        Meta(
            description="Whether the two claims' numbers agree: consistent when their intervals "
            "about the same thing overlap (mindestens 164 Tote, über 150 Tote), conflicting when "
            "they are disjoint (164 Tote, genau 150 Tote), unrelated when they count nothing in common"
        ),
    ] = "unrelated"


class MatchRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A claim not stored yet, to compare with the stored ones."""

    text: ClaimText
    language: Language | None = None
    limit: MatchLimit = DEFAULT_MATCHES
