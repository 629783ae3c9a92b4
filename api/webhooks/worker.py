"""Sending webhook deliveries: at least once, in order per claim, never by two workers at once.

Every API process runs one sender. It wakes on a NOTIFY from the event trigger (or every
poll interval), locks a batch of due deliveries with ``FOR UPDATE SKIP LOCKED`` — a delivery
whose earlier ones about the same thing are still pending is not due — sends them with httpx,
and records the outcome in the same transaction that holds the locks. Deliveries live in
PostgreSQL, so a restart loses none.

A webhook URL is chosen by an admin, so it must not become a way into the API's own network:
deliveries go through the outbound guard (api/outbound/), which resolves the host on every new
connection, refuses loopback, private, link-local and other non-public addresses unless
``CLAIMTRACK_OUTBOUND_ALLOW`` names them, and connects only to the address it vetted. A refusal
is recorded as such. Any other failure to get an HTTP answer is recorded as one generic error,
so the delivery log cannot tell a closed port from one that speaks something else (a port
scanner); the exception's name goes to the log only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import msgspec

from api.db import listen
from api.outbound.addresses import BlockedAddress
from api.outbound.transport import UnknownHost, pinned_client
from api.settings import Settings
from api.webhooks.service import Q
from api.webhooks.signing import headers

log = logging.getLogger("claimtrack.webhooks")

CHANNEL = "claimtrack_deliveries"
USER_AGENT = "claimtrack-webhooks/1.0"
NO_ANSWER = "could not connect or got no valid HTTP response"


def backoff(attempt: int, settings: Settings) -> float:
    """Seconds before the next try after ``attempt`` failed tries: doubling, capped."""
    return float(min(settings.webhook_backoff_max, settings.webhook_backoff_base * 2 ** max(0, attempt - 1)))


def _body(row: Any) -> bytes:
    data = msgspec.json.decode(row["data"])
    event = {"id": row["event_id"], "type": row["type"], "occurred_at": row["occurred_at"], "data": data}
    return msgspec.json.encode(event)


async def _send(http: httpx.AsyncClient, row: Any) -> tuple[int | None, str | None]:
    body = _body(row)
    in_force = [row["secret"]]
    if (
        row["previous_secret"]
        and row["previous_secret_expires_at"]
        and row["previous_secret_expires_at"] > datetime.now(UTC)
    ):
        in_force.append(row["previous_secret"])
    sent_headers = headers(in_force, str(row["event_id"]), int(time.time()), body)
    try:
        response = await http.post(row["url"], content=body, headers=sent_headers)
    except BlockedAddress as exc:
        return None, str(exc)
    except UnknownHost as exc:
        return None, str(exc)[:500]
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        log.info(
            "webhook delivery: no answer", extra={"delivery_id": str(row["id"]), "error": type(exc).__name__}
        )
        return None, NO_ANSWER
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


async def deliver_due(pool: asyncpg.Pool, http: httpx.AsyncClient, settings: Settings) -> int:
    """Send one batch of due deliveries; returns how many were attempted."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(Q["due_deliveries"], settings.webhook_batch_size)
        if not rows:
            return 0
        outcomes = await asyncio.gather(*(_send(http, row) for row in rows))
        for row, (status, error) in zip(rows, outcomes, strict=True):
            if error is None:
                await conn.execute(Q["delivery_succeeded"], row["id"], status)
            else:
                await conn.execute(
                    Q["delivery_failed"],
                    row["id"],
                    status,
                    error,
                    backoff(row["attempts"] + 1, settings),
                    settings.webhook_max_attempts,
                )
                log.info("webhook delivery failed", extra={"delivery_id": str(row["id"]), "error": error})
    return len(rows)


async def run(pool: asyncpg.Pool, settings: Settings) -> None:
    wake = asyncio.Event()
    listener = asyncio.create_task(listen(settings, CHANNEL, wake.set))
    timeout = httpx.Timeout(settings.webhook_timeout, connect=min(5.0, settings.webhook_timeout))
    try:
        async with pinned_client(
            settings.outbound_networks, timeout=timeout, headers={"user-agent": USER_AGENT}
        ) as http:
            while True:
                try:
                    sent = await deliver_due(pool, http, settings)
                except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("webhook sender: %s", type(exc).__name__)
                    sent = 0
                if sent:
                    continue
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), settings.webhook_poll_seconds)
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
