"""API keys: random tokens shown once, stored only as their SHA-256, revocable by name."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import msgspec

from api.db import Connection, load_queries
from api.errors import Conflict, NotFound
from api.http import make_page
from schemas.common import Page
from schemas.keys import ApiKey, CreatedKey, KeyCreate

Q = load_queries(__file__)

TOKEN_PREFIX = "ct_"
TOKEN_BYTES = 32
ALL_SCOPES = ["read", "write", "verify", "admin"]


def new_token() -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).decode().rstrip("=")


def token_hash(token: str) -> bytes:
    # Tokens carry 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).digest()


def _key(row: Any) -> ApiKey:
    return msgspec.convert(dict(row), ApiKey)


async def create(conn: Connection, data: KeyCreate, created_by: str | None) -> CreatedKey:
    token = new_token()
    scopes = [s for s in ALL_SCOPES if s in data.scopes]
    row = await conn.fetchrow(
        Q["insert_key"], data.name, token[: len(TOKEN_PREFIX) + 6], token_hash(token), scopes, created_by
    )
    if row is None:
        existing = await conn.fetchval(Q["key_id_by_name"], data.name)
        raise Conflict(f"a key named {data.name} exists", existing_id=str(existing))
    return CreatedKey(key=_key(row), token=token)


async def list_page(conn: Connection, after_name: str | None, limit: int) -> Page[ApiKey]:
    rows = await conn.fetch(Q["list_keys"], after_name, limit + 1)
    return make_page([_key(r) for r in rows], limit, lambda k: [k.name])


async def revoke(conn: Connection, name: str) -> None:
    if await conn.fetchrow(Q["revoke_key"], name) is None:
        raise NotFound(f"no key named {name}")


async def count(conn: Connection) -> int:
    return int(await conn.fetchval(Q["count_keys"]))
