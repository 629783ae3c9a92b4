"""Source checks: fetch a source's page, judge its health, keep the check as history.

Health moves by these rules (``judge``):

- a page fetched with a 2xx status is ``ok`` when its main text (api/sourcecheck/text.py) is the
  one first seen, ``changed`` when it differs. The first text seen is the baseline; it stays
  until someone accepts the change (``POST /v1/sources/{id}/check?accept_change=true``), so a
  change is not forgotten by the next check. A page that changes back is ``ok`` again.
- 404 or 410, or a host name that does not exist, is ``dead`` at once.
- Other failures (timeouts, refused connections, other statuses, redirect loops) count: after
  ``source_check_dead_after`` of them in a row the source is ``dead``; until then it keeps its
  health. A fetch that succeeds resets the count.
- A fetch the checker refuses to make (a private address, see api/outbound/addresses.py) changes nothing
  but is kept in the history, so the refusal can be seen.

The fetch runs outside any transaction and without a pooled connection; the outcome is then
stored in one short transaction with the source row locked. A change of health raises the
source's version and emits ``source.updated`` and ``source.health_changed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from api.db import Connection, connection, load_queries
from api.errors import NotFound
from api.events.outbox import Outbox
from api.http import make_page
from api.settings import Settings
from api.sourcecheck import text
from api.sourcecheck.fetch import Fetched, fetch, make_client
from api.sources import service as sources
from schemas.common import Page
from schemas.sourcechecks import HealthChange, SourceCheck, SourceCheckResult

Q = load_queries(__file__)

_check = msgspec.json.Decoder(SourceCheck)
_checks = msgspec.json.Decoder(list[SourceCheck])


@dataclass(frozen=True, slots=True)
class Judgement:
    outcome: str
    health: str
    baseline: str | None
    failures: int
    content_hash: str | None = None
    title: str | None = None
    error: str | None = None


def judge(
    fetched: Fetched,
    health: str,
    baseline: str | None,
    failures: int,
    dead_after: int,
    accept_change: bool = False,
) -> Judgement:
    """The outcome of a fetch and the source's health after it (see the module's rules)."""

    def failed(outcome: str, error: str | None, *, dead: bool = False) -> Judgement:
        count = failures + 1
        after = "dead" if dead or count >= dead_after else health
        return Judgement(outcome, after, baseline, count, error=error)

    if fetched.failure == "refused":
        return Judgement("refused", health, baseline, failures, error=fetched.error)
    if fetched.failure is not None:
        return failed(fetched.failure, fetched.error, dead=fetched.permanent)
    status = fetched.status_code or 0
    if status in (404, 410):
        return failed("gone", f"HTTP {status}", dead=True)
    if not 200 <= status < 300:
        return failed("failed", f"HTTP {status}")
    content_hash, title = text.extract(fetched.body, fetched.content_type)
    if baseline is None or accept_change or content_hash == baseline:
        return Judgement("ok", "ok", content_hash, 0, content_hash, title)
    return Judgement("changed", "changed", baseline, 0, content_hash, title)


def next_check_in(judgement: Judgement, settings: Settings) -> float:
    """Seconds until the scheduled check: the interval, sooner while failures are counting up."""
    if judgement.failures and judgement.health != "dead" and judgement.outcome != "refused":
        return min(
            settings.source_check_interval_seconds, settings.source_check_retry_seconds * judgement.failures
        )
    return settings.source_check_interval_seconds


async def record(
    conn: Connection,
    source_id: UUID,
    fetched: Fetched,
    settings: Settings,
    actor: str | None,
    accept_change: bool = False,
) -> SourceCheckResult | None:
    """Store a fetch's outcome; None when the source was deleted meanwhile."""
    async with conn.transaction():
        row = await conn.fetchrow(Q["source_health_for_update"], source_id)
        if row is None:
            return None
        judgement = judge(
            fetched,
            row["health"],
            row["content_hash"],
            row["consecutive_failures"],
            settings.source_check_dead_after,
            accept_change,
        )
        doc = await conn.fetchval(
            Q["insert_check"],
            source_id,
            judgement.outcome,
            judgement.health,
            row["health"],
            fetched.status_code,
            fetched.final_url,
            fetched.redirects,
            (fetched.content_type or "")[:200] or None,
            judgement.content_hash,
            judgement.title,
            fetched.bytes_read,
            fetched.truncated,
            (judgement.error or "")[:500] or None,
            fetched.duration_ms,
            actor,
        )
        await conn.execute(
            Q["record_health"],
            source_id,
            judgement.health,
            judgement.baseline,
            judgement.failures,
            next_check_in(judgement, settings),
        )
        check = _check.decode(doc)
        source = await sources.get(conn, source_id)
        if judgement.health != row["health"]:
            outbox = Outbox()
            outbox.add("source.updated", source_id, source)
            outbox.add(
                "source.health_changed",
                source_id,
                HealthChange(source=source, previous_health=row["health"], check=check),
            )
            await outbox.flush(conn)
    return SourceCheckResult(check=check, source=source)


async def check_now(
    pool: asyncpg.Pool, settings: Settings, source_id: UUID, actor: str | None, accept_change: bool
) -> SourceCheckResult:
    """POST /v1/sources/{id}/check: fetch now and answer with the check and the source.

    No pooled connection is held while the page is fetched.
    """
    async with connection(pool, settings.pool_acquire_timeout) as conn:
        url = await conn.fetchval(Q["source_url"], source_id)
    if url is None:
        raise NotFound(f"source {source_id} does not exist")
    async with make_client(settings) as client:
        fetched = await fetch(client, url, settings)
    async with connection(pool, settings.pool_acquire_timeout) as conn:
        result = await record(conn, source_id, fetched, settings, actor, accept_change)
    if result is None:
        raise NotFound(f"source {source_id} was deleted during the check")
    return result


async def history(conn: Connection, source_id: UUID, cursor: Any, limit: int) -> Page[SourceCheck]:
    after_time, after_id = cursor if cursor else (None, None)
    raw = await conn.fetchrow(Q["list_checks"], source_id, after_time, after_id, limit + 1)
    if raw is None:
        raise NotFound(f"source {source_id} does not exist")
    return make_page(_checks.decode(raw[0]), limit, lambda c: [c.checked_at.isoformat(), str(c.id)])
