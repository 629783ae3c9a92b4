"""Finding claims: the filtered listing, full-text search, and claims matched across articles."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

from api import quantities
from api.db import Connection, load_queries
from api.errors import InvalidRequest, NotFound
from api.http import decode_cursor, make_page
from api.quantities.agreement import Agreement, Comparable, comparable
from api.urls import normalised
from schemas.claims import Claim, Quantity
from schemas.common import Page
from schemas.search import ClaimHit, Closeness, SearchHit, SimilarClaim

Q = load_queries(__file__)
_FILTERS_AT = "/* claim_filters */"
# Filters on other tables, in the order their parameters are numbered (see claim_filters).
JOINED_FILTERS = ("source_id", "source_url", "outlet", "source_health", "anchor_status")
# The listings' own parameters end at $11; the joined filters' come after.
_FIRST_JOINED_PARAMETER = 12


@functools.cache
def statement(listing: str, joined: tuple[str, ...] = ()) -> str:
    """The listing with the column filters and the given joined filters in its WHERE clause."""
    sql = Q[listing]
    if _FILTERS_AT not in sql:
        raise ValueError(f"{Q.path}: {listing} has no place for the claim filters")
    where = Q["claim_filters"]
    for number, name in enumerate(joined, start=_FIRST_JOINED_PARAMETER):
        where += "\n" + Q[f"filter_{name}"].replace("$?", f"${number}")
    return sql.replace(_FILTERS_AT, where)


Order = Literal["updated_at", "created_at"]
# A cursor names the order it belongs to, so one from another order is refused, not misread.
Keyset = tuple[Literal["updated_at", "created_at", "rank"], datetime | float, UUID]

_hits = msgspec.json.Decoder(list[ClaimHit])
_claims = msgspec.json.Decoder(list[Claim])
_search_hits = msgspec.json.Decoder(list[SearchHit])
_closeness = msgspec.json.Decoder(list[Closeness])


class ClaimFilters(msgspec.Struct, kw_only=True, frozen=True):
    status: str | None = None
    article_id: UUID | None = None
    language: str | None = None
    tag: str | None = None
    updated_since: datetime | None = None
    created_since: datetime | None = None
    claimant: str | None = None
    # The joined filters.
    source_id: UUID | None = None
    source_url: str | None = None
    outlet: str | None = None
    source_health: tuple[str, ...] | None = None
    anchor_status: str | None = None

    def arguments(self) -> list[Any]:
        """$1..$7 of the claim_filters block."""
        return [
            self.status,
            self.article_id,
            self.language,
            self.tag,
            self.updated_since,
            self.created_since,
            self.claimant,
        ]

    def joined(self) -> tuple[tuple[str, ...], list[Any]]:
        """The names of the joined filters given and their values, the source url normalised."""
        values = {
            "source_id": self.source_id,
            "source_url": normalised(self.source_url, "/source_url") if self.source_url is not None else None,
            "outlet": self.outlet,
            "source_health": list(self.source_health) if self.source_health else None,
            "anchor_status": self.anchor_status,
        }
        given = tuple(name for name in JOINED_FILTERS if values[name] is not None)
        return given, [values[name] for name in given]


def after(cursor: str | None, order: str) -> tuple[Any, UUID | None]:
    """The keyset position a cursor of this order names, (None, None) on the first page."""
    decoded = decode_cursor(cursor, Keyset)
    if decoded is None:
        return None, None
    kind, value, claim_id = decoded
    expected = float if order == "rank" else datetime
    if kind != order or not isinstance(value, expected):
        raise InvalidRequest(
            f"the cursor belongs to another order than {order}",
            errors=[("/cursor", "this cursor was given out for another order or query")],
        )
    return value, claim_id


@asynccontextmanager
async def _planned_per_call(conn: Connection) -> AsyncIterator[None]:
    """A read-only transaction whose statements are planned for their actual arguments.

    The listings take every filter as an optional parameter (``$1 IS NULL OR ...``). A cached
    generic plan cannot know which filters are set and would, say, walk all claims in time
    order to find the 20 of one article; PostgreSQL switches to one after five executions of a
    prepared statement. JIT compilation is off because it costs more than these queries do.
    """
    async with conn.transaction(readonly=True):
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL jit = off")
        yield


async def find_claims(
    conn: Connection,
    filters: ClaimFilters,
    q: str | None,
    order: Order | None,
    cursor: str | None,
    limit: int,
) -> Page[ClaimHit]:
    """GET /v1/claims: newest first by ``order``, or, with ``q``, full-text hits best first."""
    if q is not None and order is not None:
        raise InvalidRequest(
            "with q, claims are ordered by rank; leave out sort",
            errors=[("/sort", "not allowed together with q")],
        )
    arguments = filters.arguments()
    joined, values = filters.joined()
    if q is None:
        by = order or "updated_at"
        at, after_id = after(cursor, by)
        async with _planned_per_call(conn):
            raw = await conn.fetchval(
                statement("claims_by_time", joined), *arguments, by, at, after_id, limit + 1, *values
            )
        at_of = (lambda c: c.created_at) if by == "created_at" else (lambda c: c.updated_at)
        page: Page[ClaimHit] = make_page(
            _hits.decode(raw), limit, lambda c: [by, at_of(c).isoformat(), str(c.id)]
        )
        return page

    rank, after_id = after(cursor, "rank")
    async with _planned_per_call(conn):
        row = await conn.fetchrow(
            statement("claims_by_rank", joined), *arguments, q, rank, after_id, limit + 1, *values
        )
    assert row is not None
    found = [
        msgspec.structs.replace(claim, search=hit)
        for claim, hit in zip(_hits.decode(row[0]), _search_hits.decode(row[1]), strict=True)
    ]
    hits: Page[ClaimHit] = make_page(
        found, limit, lambda c: ["rank", c.search.rank if c.search else 0.0, str(c.id)]
    )
    return hits


# With ?agreement=, this many of the best matches are judged before the page is cut to limit.
AGREEMENT_POOL = 200
_target_quantities = msgspec.json.Decoder(tuple[list[Quantity], list[Quantity]] | None)


async def similar(
    conn: Connection,
    claim_id: UUID | None,
    text: str | None,
    language: str | None,
    threshold: float,
    limit: int,
    agreement: Agreement | None = None,
) -> Page[SimilarClaim]:
    """Claims of other articles close to a stored claim, or close to a text not stored, each with
    whether its numbers agree with the claim's (api/quantities); ``agreement`` keeps one kind."""
    own: Sequence[Comparable] | None = None
    anchors: list[dict[str, Any]] = []
    if text is not None:
        read = quantities.extract(text, language)
        own, anchors = read, [{"key": q.key, "value": q.value} for q in read if q.key]
    async with conn.transaction(readonly=True):
        await conn.execute("SET LOCAL jit = off")
        await conn.execute(Q["set_similarity_threshold"], str(threshold))
        row = await conn.fetchrow(
            Q["similar_claims"],
            claim_id,
            text,
            language,
            threshold,
            AGREEMENT_POOL if agreement else limit,
            anchors,
        )
    if row is None:
        raise NotFound(f"claim {claim_id} does not exist")
    if own is None:
        stored = _target_quantities.decode(row[2])
        own = comparable(*stored) if stored else []
    items: list[SimilarClaim] = []
    for claim, closeness in zip(_claims.decode(row[0]), _closeness.decode(row[1]), strict=True):
        verdict = quantities.agreement(own, comparable(claim.quantities, claim.quote_quantities))
        if agreement is not None and verdict != agreement:
            continue
        items.append(SimilarClaim(**msgspec.structs.asdict(claim), match=closeness, agreement=verdict))
        if len(items) == limit:
            break
    return Page(items=items, next_cursor=None)
