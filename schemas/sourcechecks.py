"""Source checks: one fetch of a source's page, kept as the source's history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from schemas.sources import Source, SourceHealth

Outcome = Annotated[
    Literal["ok", "changed", "gone", "unresolvable", "timeout", "failed", "refused"],
    Meta(
        description="ok: fetched, main text as before; changed: fetched, main text differs from the one "
        "first seen (or last accepted); gone: 404 or 410; unresolvable: the host name does not resolve; "
        "timeout; failed: any other error (connection, other status, redirect loop or too many "
        "redirects); refused: the URL or a redirect leads to an address the checker may not reach"
    ),
]


class SourceCheck(msgspec.Struct, kw_only=True, frozen=True):
    id: UUID
    source_id: UUID
    checked_at: datetime
    outcome: Outcome
    health: Annotated[SourceHealth, Meta(description="The source's health after this check")]
    previous_health: SourceHealth
    status_code: int | None
    final_url: Annotated[str | None, Meta(description="The URL answered after following redirects")]
    redirects: int
    content_type: str | None
    content_hash: Annotated[
        str | None, Meta(description="SHA-256 of the page's main text, markup and times left out")
    ]
    title: str | None
    bytes_read: int
    truncated: Annotated[bool, Meta(description="The page was longer than the checker reads")]
    error: str | None
    duration_ms: int
    requested_by: Annotated[
        str | None, Meta(description="The API key that asked for the check; null for scheduled checks")
    ]


class SourceCheckResult(msgspec.Struct, kw_only=True, frozen=True):
    check: SourceCheck
    source: Source


class HealthChange(msgspec.Struct, kw_only=True, frozen=True):
    """The data of a source.health_changed event."""

    source: Source
    previous_health: SourceHealth
    check: SourceCheck
