"""Webhook subscriptions, managed by admins; their secrets are shown once.

A webhook's URL is refused (422 ``url-not-allowed``) when its host spells a loopback, private,
link-local or otherwise non-public address outright, unless ``CLAIMTRACK_OUTBOUND_ALLOW`` names
it. Host names are judged again by the sender on every connection (api/webhooks/worker.py), since
what a name resolves to can change after it was registered.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from api.body import given
from api.db import Connection, load_queries
from api.errors import NotFound
from api.http import IfMatch, locked, make_page
from api.outbound.addresses import BlockedAddress, IPNetwork, check_host
from api.urls import normalised, not_allowed
from api.webhooks.signing import new_secret
from schemas.common import Page
from schemas.webhooks import Delivery, Webhook, WebhookCreate, WebhookPatch, WebhookSecret

Q = load_queries(__file__)
_deliveries = msgspec.json.Decoder(list[Delivery])


def _webhook(row: Any) -> Webhook:
    return msgspec.convert(dict(row), Webhook)


def _url(url: str, allow: Iterable[IPNetwork]) -> str:
    """The normalised URL, unless its host is plainly an address the sender may not reach."""
    url = normalised(url, "/url")
    try:
        check_host(urlsplit(url).hostname or "", allow)
    except BlockedAddress as exc:
        raise not_allowed("webhooks are not sent to this address", [("/url", str(exc))]) from None
    return url


async def get(conn: Connection, webhook_id: UUID) -> Webhook:
    row = await conn.fetchrow(Q["webhook"], webhook_id)
    if row is None:
        raise NotFound(f"webhook {webhook_id} does not exist")
    return _webhook(row)


async def create(
    conn: Connection, data: WebhookCreate, actor: str | None, allow: Iterable[IPNetwork]
) -> WebhookSecret:
    url = _url(data.url, allow)
    secret = new_secret()
    webhook_id = await conn.fetchval(
        Q["insert_webhook"], url, data.event_types, data.description, secret, actor
    )
    return WebhookSecret(webhook=await get(conn, webhook_id), secret=secret)


async def list_page(conn: Connection, cursor: Any, limit: int) -> Page[Webhook]:
    after_time, after_id = cursor if cursor else (None, None)
    rows = await conn.fetch(Q["list_webhooks"], after_time, after_id, limit + 1)
    return make_page([_webhook(r) for r in rows], limit, lambda w: [w.created_at.isoformat(), str(w.id)])


async def update(
    conn: Connection,
    webhook_id: UUID,
    data: WebhookPatch,
    expected: IfMatch | None,
    allow: Iterable[IPNetwork],
) -> Webhook:
    changes = given(data)
    if "url" in changes:
        changes["url"] = _url(changes["url"], allow)
    async with conn.transaction():
        row = await locked(conn, Q["webhook_for_update"], webhook_id, expected, "webhook")
        new = {**row, **changes}
        if new != dict(row):
            await conn.execute(
                Q["update_webhook"],
                webhook_id,
                new["url"],
                new["event_types"],
                new["description"],
                new["enabled"],
            )
        return await get(conn, webhook_id)


async def rotate(conn: Connection, webhook_id: UUID, grace_seconds: float) -> WebhookSecret:
    secret = new_secret()
    expires = await conn.fetchval(Q["rotate_secret"], webhook_id, secret, grace_seconds)
    if expires is None:
        raise NotFound(f"webhook {webhook_id} does not exist")
    return WebhookSecret(
        webhook=await get(conn, webhook_id), secret=secret, previous_secret_expires_at=expires
    )


async def delete(conn: Connection, webhook_id: UUID) -> None:
    if await conn.fetchval(Q["delete_webhook"], webhook_id) is None:
        raise NotFound(f"webhook {webhook_id} does not exist")


async def deliveries(
    conn: Connection, webhook_id: UUID, status: str | None, cursor: Any, limit: int
) -> Page[Delivery]:
    after_time, after_id = cursor if cursor else (None, None)
    raw = await conn.fetchrow(Q["list_deliveries"], webhook_id, status, after_time, after_id, limit + 1)
    if raw is None:
        raise NotFound(f"webhook {webhook_id} does not exist")
    return make_page(_deliveries.decode(raw[0]), limit, lambda d: [d.created_at.isoformat(), str(d.id)])
