"""Exporting every article as one NDJSON line, a record that imports unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

from api.db import Pool, connection, load_queries

Q = load_queries(__file__)

EXPORT_PAGE = 100


async def export_lines(pool: Pool, acquire_timeout: float) -> AsyncIterator[bytes]:
    """Every article as one NDJSON line, by id; a connection is held for one page at a time."""
    after: UUID | None = None
    while True:
        async with connection(pool, acquire_timeout) as conn:
            rows = await conn.fetch(Q["export_articles"], after, EXPORT_PAGE)
        if not rows:
            return
        yield "\n".join(r["doc"] for r in rows).encode() + b"\n"
        after = rows[-1]["id"]
