"""The pull side of the change feed."""

from __future__ import annotations

from typing import Any

import msgspec

from api.db import Connection
from api.events.outbox import Q
from api.http import encode_cursor
from schemas.events import Event, EventPage

START = ("0", 0)
Keyset = tuple[str, int]


# Greater than any sequence number: a cursor (txid, LAST_SEQ) is past every event of txid.
LAST_SEQ = 2**63 - 1


async def now(conn: Connection) -> EventPage:
    """An empty page whose cursor starts after every event there is: for readers who only
    want what happens from now on."""
    horizon = int(await conn.fetchval(Q["horizon"]))
    return EventPage(items=[], next_cursor=encode_cursor([str(horizon - 1), LAST_SEQ]))


async def page(conn: Connection, cursor: Keyset | None, types: list[str] | None, limit: int) -> EventPage:
    txid, seq = cursor or START
    horizon = await conn.fetchval(Q["horizon"])
    rows = await conn.fetch(Q["feed"], txid, seq, types, limit, horizon)
    items = [
        Event(id=r["id"], type=r["type"], occurred_at=r["occurred_at"], data=_decode(r["data"])) for r in rows
    ]
    if rows:
        txid, seq = rows[-1]["txid"], rows[-1]["seq"]
    # Never null: an empty page hands back the same position to poll from.
    return EventPage(items=items, next_cursor=encode_cursor([txid, seq]))


def _decode(raw: str) -> dict[str, Any]:
    value = msgspec.json.decode(raw)
    return value if isinstance(value, dict) else {"value": value}
