from __future__ import annotations

from datetime import datetime
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


class Verification(msgspec.Struct, kw_only=True, frozen=True):
    id: UUID
    claim_id: UUID
    status: Status
    previous_status: Status
    rating: Rating | None
    note: str | None
    evidence: list[Evidence]
    actor: str | None
    claim_version: int
    created_at: datetime


class VerificationResult(msgspec.Struct, kw_only=True, frozen=True):
    verification: Verification
    claim: Claim
