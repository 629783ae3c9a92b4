"""The transactional outbox: a write collects its events and stores them before it commits.

An event is ``{id, type, occurred_at, data}`` where ``data`` is the resource as the API returns
it (for a deletion, its id). ``order_key`` (the claim, article or source concerned) lets
webhook deliveries keep the order of events about the same thing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from api.db import Connection, load_queries
from schemas.sources import Source

Q = load_queries(__file__)

_sources = msgspec.json.Decoder(Source)


class Outbox:
    __slots__ = ("_items", "_new_sources")

    def __init__(self) -> None:
        self._items: list[tuple[str, UUID | None, Any]] = []
        self._new_sources: list[UUID] = []

    def add(self, type_: str, order_key: UUID | None, data: Any) -> None:
        self._items.append((type_, order_key, data))

    def source_created(self, source_id: UUID) -> None:
        """A source made on the way (a link sent by url); its document is read at flush time."""
        self._new_sources.append(source_id)

    async def flush(self, conn: Connection) -> None:
        """Store the collected events; call inside the writing transaction, after the change."""
        items = list(self._items)
        if self._new_sources:
            docs = await conn.fetch(Q["source_documents_by_ids"], self._new_sources)
            created = [_sources.decode(r["doc"]) for r in docs]
            items = [("source.created", s.id, s) for s in created] + items
        self._items, self._new_sources = [], []
        if not items:
            return
        await conn.execute(
            Q["insert_events"],
            [t for t, _, _ in items],
            [k for _, k, _ in items],
            [d for _, _, d in items],
        )
