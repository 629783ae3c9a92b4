from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec


class Event(msgspec.Struct, kw_only=True, frozen=True):
    """One change: ``data`` is the resource as the API returns it (for a deletion, its ids)."""

    id: UUID
    type: str
    occurred_at: datetime
    data: dict[str, Any]


class EventPage(msgspec.Struct, kw_only=True, frozen=True):
    items: list[Event]
    next_cursor: str
