from __future__ import annotations

import re
from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.db import Connection
from api.errors import InvalidRequest
from api.events import service
from api.http import DEFAULT_LIMIT, CursorParam, Limit, decode_cursor, problems
from schemas.events import EventPage

EventType = Annotated[
    list[str] | None,
    QueryParameter(
        description="Only these types, e.g. claim.updated or claim.* (repeat for several)",
        max_items=20,
    ),
]


_TYPE = re.compile(r"[a-z_]{1,40}\.([a-z_]{1,40}|\*)")


class EventController(Controller):
    path = "/v1/events"
    tags = ["events"]

    @get(
        "/",
        operation_id="listEvents",
        # Only the primary knows which transactions are still running (the feed's horizon).
        opt={"primary": True},
        summary="The change feed: every change in commit-safe order; poll with next_cursor",
        description=(
            "next_cursor is never null: keep it and ask again to receive what happened since. "
            "A reader following the cursor never misses a committed event."
        ),
        responses=problems(400, 401, 403),
    )
    async def list_events(
        self,
        db: NamedDependency[Connection],
        type: EventType = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: CursorParam = None,
        start: Annotated[
            Literal["now"] | None,
            QueryParameter(description="start=now: no events, a next_cursor after all there are so far"),
        ] = None,
    ) -> EventPage:
        if start == "now":
            return await service.now(db)
        for value in type or []:
            if not _TYPE.fullmatch(value):
                raise InvalidRequest(
                    "unknown event type", errors=[("/type", f"{value!r} is not an event type")]
                )
        return await service.page(db, decode_cursor(cursor, service.Keyset), type, limit)
