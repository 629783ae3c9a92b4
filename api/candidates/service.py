"""GET /v1/articles/{id}/candidates: the body's sentences worth checking, with the claims covering them."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from uuid import UUID

import msgspec

from api.candidates import rules
from api.db import Connection, load_queries
from api.errors import NotFound
from api.quantities import as_schema
from schemas.candidates import Candidate, CandidateClaim, CandidateList, CandidateRequest
from schemas.claims import Span

Q = load_queries(__file__)
_spans = msgspec.json.Decoder(list[tuple[UUID, int, int]])

# Bodies longer than this are read in a worker thread, so that other requests on this
# process's event loop are not held up meanwhile (about 80 ms for 20,000 characters).
_THREAD_FROM = 4000
# The candidates of recently asked articles, by (id, version): a body does not change without
# a new version, and the review page asks again on every visit.
_CACHE_SIZE = 64
_cache: OrderedDict[tuple[UUID, int], list[rules.Found]] = OrderedDict()


async def _found(article_id: UUID, version: int, body: str, language: str) -> list[rules.Found]:
    key = (article_id, version)
    cached = _cache.get(key)
    if cached is not None:
        _cache.move_to_end(key)
        return cached
    if len(body) >= _THREAD_FROM:
        found = await asyncio.to_thread(rules.find, body, language)
    else:
        found = rules.find(body, language)
    _cache[key] = found
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return found


async def of_article(conn: Connection, article_id: UUID, min_score: float, uncovered: bool) -> CandidateList:
    row = await conn.fetchrow(Q["article_and_claim_spans"], article_id)
    if row is None:
        raise NotFound(f"article {article_id} does not exist")
    claims = _spans.decode(row["spans"])
    items: list[Candidate] = []
    for found in await _found(article_id, row["version"], row["body"], row["language"]):
        if found.score < min_score:
            continue
        covered_by = [claim_id for claim_id, start, end in claims if start < found.end and found.start < end]
        if uncovered and covered_by:
            continue
        span = Span(start=found.start, end=found.end)
        items.append(
            Candidate(
                span=span,
                quote=found.quote,
                score=found.score,
                reasons=list(found.reasons),  # type: ignore[arg-type]
                quantities=[as_schema(q) for q in found.quantities],
                covered_by=covered_by,
                request=CandidateRequest(
                    method="POST",
                    path=f"/v1/articles/{article_id}/claims",
                    body=CandidateClaim(text=found.quote, quote=found.quote, span=span),
                ),
            )
        )
    return CandidateList(items=items)
