"""The scheduled source checker: each API process checks due sources in small batches.

A batch is taken with ``FOR UPDATE SKIP LOCKED`` and leased at once (its next check is moved
out), so processes never check the same source at the same time and no transaction stays open
while pages are fetched. Each outcome is then stored on its own (service.record).
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from api.settings import Settings
from api.sourcecheck.fetch import fetch, make_client
from api.sourcecheck.service import Q, record

log = logging.getLogger("claimtrack.sourcecheck")


def lease_seconds(settings: Settings) -> float:
    """How long a taken batch stays away from other workers: well past the slowest fetch."""
    return settings.source_check_total_seconds * 4 + 60


async def check_due(pool: asyncpg.Pool, settings: Settings) -> int:
    """Check one batch of due sources; returns how many were checked."""
    async with pool.acquire() as conn, conn.transaction():
        due = await conn.fetch(
            Q["claim_due_sources"], settings.source_check_batch_size, lease_seconds(settings)
        )
    if not due:
        return 0
    async with make_client(settings) as client:
        fetched = await asyncio.gather(*(fetch(client, row["url"], settings) for row in due))
    for row, result in zip(due, fetched, strict=True):
        async with pool.acquire() as conn:
            await record(conn, row["id"], result, settings, None)
        if result.failure:
            log.info("source check failed", extra={"source_id": str(row["id"]), "error": result.error})
    return len(due)


async def run(pool: asyncpg.Pool, settings: Settings) -> None:
    """Check due sources until cancelled; sleep the poll interval whenever none is due."""
    while True:
        try:
            checked = await check_due(pool, settings)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("source checker: %s", type(exc).__name__)
            checked = 0
        if not checked:
            await asyncio.sleep(settings.source_check_poll_seconds)
