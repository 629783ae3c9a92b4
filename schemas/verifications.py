from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from schemas.claims import Claim, Links, Rating
from schemas.common import Name, Note, Relation, Status, Url


class VerificationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: Status
    note: Note | None = None
    rating_text: Name | None = None
    review_url: Url | None = None
    sources: Links = msgspec.field(default_factory=list)


class Evidence(msgspec.Struct, kw_only=True, frozen=True):
    source_id: UUID
    relation: Relation
    excerpt: str | None


HistoryKind = Literal["verdict", "reworded"]


class Wording(msgspec.Struct, kw_only=True, frozen=True):
    """What a claim said before and after a change of its words (a ``reworded`` entry)."""

    text_before: str
    text_after: str
    quote_before: str
    quote_after: str


class Verification(msgspec.Struct, kw_only=True, frozen=True):
    """One entry of a claim's history: a verdict, or a change of the words a verdict is about
    (``kind: "reworded"``, with ``wording``, the status unchanged). Clients must accept kinds
    they do not know yet."""

    id: UUID
    claim_id: UUID
    kind: HistoryKind = "verdict"
    status: Status
    previous_status: Status
    rating: Rating | None
    note: str | None
    evidence: list[Evidence]
    wording: Wording | None = None
    actor: str | None
    claim_version: int
    created_at: datetime


class VerificationResult(msgspec.Struct, kw_only=True, frozen=True):
    verification: Verification
    claim: Claim
