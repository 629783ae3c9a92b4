from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

Scope = Literal["read", "write", "verify", "admin"]
KeyName = Annotated[
    str,
    Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$",
        description="Letters, digits and . _ @ -; recorded as the actor of every change made with the key.",
    ),
]


class KeyCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: KeyName
    scopes: Annotated[list[Scope], Meta(min_length=1, max_length=4)]


class ApiKey(msgspec.Struct, kw_only=True, frozen=True):
    id: UUID
    name: str
    token_prefix: str
    scopes: list[Scope]
    created_by: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class CreatedKey(msgspec.Struct, kw_only=True, frozen=True):
    """The token is shown here once and never again: only its hash is stored."""

    key: ApiKey
    token: str
