from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from schemas.common import Name, Url

EventTypeFilter = Annotated[
    str,
    Meta(
        pattern=r"^[a-z_]{1,40}\.([a-z_]{1,40}|\*)$",
        description="An event type such as claim.updated, or a family such as claim.*",
    ),
]
EventTypes = Annotated[list[EventTypeFilter], Meta(max_length=50)]


class WebhookCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url
    event_types: EventTypes = msgspec.field(default_factory=list)
    description: Name | None = None


class WebhookPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url | UnsetType = UNSET
    event_types: EventTypes | UnsetType = UNSET
    description: Name | UnsetType | None = UNSET
    enabled: bool | UnsetType = UNSET


class Webhook(msgspec.Struct, kw_only=True, frozen=True):
    id: UUID
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    version: int
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class WebhookSecret(msgspec.Struct, kw_only=True, frozen=True):
    """The signing secret, shown once. After a rotation the previous one stays valid a while."""

    webhook: Webhook
    secret: str
    previous_secret_expires_at: datetime | None = None


class Delivery(msgspec.Struct, kw_only=True, frozen=True):
    id: UUID
    event_id: UUID
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
