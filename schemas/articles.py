from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from schemas.claims import ClaimCreate
from schemas.common import Body, Count, ExternalId, Language, Name, Timestamp, Title, Url

MAX_CLAIMS_PER_REQUEST = 500


class ArticleCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url | None = None
    external_id: ExternalId | None = None
    title: Title
    language: Language
    outlet: Name | None = None
    published_at: Timestamp | None = None
    body: Body
    claims: Annotated[list[ClaimCreate], Meta(max_length=MAX_CLAIMS_PER_REQUEST)] = msgspec.field(
        default_factory=list
    )


class ArticlePatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url | UnsetType | None = UNSET
    external_id: ExternalId | UnsetType | None = UNSET
    title: Title | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    outlet: Name | UnsetType | None = UNSET
    published_at: Timestamp | UnsetType | None = UNSET
    body: Body | UnsetType = UNSET


class Article(msgspec.Struct, kw_only=True, frozen=True):
    id: UUID
    url: str | None
    external_id: str | None
    title: str
    language: str
    outlet: str | None
    published_at: datetime | None
    body: str
    version: int
    # The current body's number: 1 for the body it was created with, +1 for each new one.
    revision: int = 1
    created_by: str | None
    updated_by: str | None
    created_at: datetime
    updated_at: datetime


class RevisionSummary(msgspec.Struct, kw_only=True, frozen=True):
    """What a new body did to the article's claims: how many kept their words, how many were
    placed approximately (reworded) and how many could not be placed (orphaned)."""

    anchored: Count
    reworded: Count
    orphaned: Count


class ArticleRevision(msgspec.Struct, kw_only=True, frozen=True):
    revision: int
    article_version: int
    created_at: datetime
    actor: str | None
    length: Annotated[int, Meta(description="The body's length in code points")]
    sha256: Annotated[str, Meta(description="SHA-256 of the body's UTF-8 bytes, hex")]
    summary: RevisionSummary


class ArticleRevisionWithBody(ArticleRevision, kw_only=True, frozen=True):
    body: str
