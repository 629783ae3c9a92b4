"""Who is calling: API keys checked by one guard on the whole app.

Every route needs a key unless its handler says ``opt={"public": True}`` or it is part of the
OpenAPI pages under /schema. The scope a route needs is ``read`` for GET and HEAD and
``write`` for other methods, unless the handler names another with ``opt={"scope": ...}``.

Keys are cached in each process, so the hot path makes no extra round trip. A revocation
empties every process's cache through PostgreSQL ``NOTIFY``; it takes effect as soon as each
process has the notice (milliseconds; README promises half a second). The cache is trusted only
while its process listens: from a lost listening connection until it listens again, every
request reads its key from the database. ``last_used_at`` is collected in memory and flushed
in batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api import db
from api.db import listen
from api.errors import Forbidden, TooManyRequests, Unauthorized
from api.keys import service as keys
from api.settings import Settings

log = logging.getLogger("claimtrack.auth")

PUBLIC_PREFIXES = ("/schema",)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHANNEL = "claimtrack_api_keys"
# The listening connection is asked for an answer after this long without a notice; one that
# gives none within as long is taken as lost.
HEARTBEAT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Caller:
    key_id: UUID
    name: str
    scopes: frozenset[str]


class KeyCache:
    """Keys by token hash, trusted only while the process listens for revocations.

    ``generation`` counts invalidations. A lookup notes it before reading the key and keeps its
    answer only if no invalidation came meanwhile: a lookup that read the row before a
    revocation committed may finish after that revocation's notice has emptied the cache, and
    must not put the key back.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[bytes, tuple[Caller | None, float]] = {}
        self.generation = 0
        self.listening = False
        self.used: dict[UUID, datetime] = {}

    def get(self, digest: bytes) -> tuple[bool, Caller | None]:
        entry = self._entries.get(digest) if self.listening else None
        if entry is None or entry[1] < time.monotonic():
            return False, None
        return True, entry[0]

    def put(self, digest: bytes, caller: Caller | None, generation: int) -> None:
        if generation != self.generation or not self.listening:
            return
        if len(self._entries) > 10_000:
            # A bound, not an eviction policy: the entries are a few hundred bytes each and a
            # flood of guessed tokens must not grow the process. Emptied all at once, the keys
            # in use cost one lookup each again; nothing has to be kept in order per request.
            self._entries.clear()
        # Unknown tokens are remembered briefly so that guessing costs no database work.
        self._entries[digest] = (caller, time.monotonic() + (self.ttl if caller else min(self.ttl, 5.0)))

    def invalidate(self) -> None:
        """A revocation somewhere: forget every key, and every lookup still in flight."""
        self.generation += 1
        self._entries.clear()

    def listening_started(self) -> None:
        # Anything may have been revoked while nobody listened.
        self.invalidate()
        self.listening = True

    def listening_lost(self) -> None:
        self.listening = False
        self.invalidate()


def _unauthorized(detail: str, error: str | None) -> Unauthorized:
    challenge = 'Bearer realm="claimtrack"' + (f', error="{error}"' if error else "")
    return Unauthorized(detail, headers={"WWW-Authenticate": challenge})


async def _lookup(state: Any, digest: bytes) -> Caller | None:
    settings: Settings = state.settings
    async with db.connection(state.pool, settings.pool_acquire_timeout) as conn:
        row = await conn.fetchrow(keys.Q["key_by_hash"], digest)
    if row is None or row["revoked_at"] is not None or not hmac.compare_digest(row["token_hash"], digest):
        return None
    return Caller(key_id=row["id"], name=row["name"], scopes=frozenset(row["scopes"]))


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
    header = connection.headers.get("authorization")
    if not header:
        raise _unauthorized("an API key is required: Authorization: Bearer <token>", None)
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        raise _unauthorized("use Authorization: Bearer <token>", "invalid_request")
    state = connection.app.state
    cache: KeyCache = state.key_cache
    digest = keys.token_hash(token)
    found, caller = cache.get(digest)
    if not found:
        generation = cache.generation
        caller = await _lookup(state, digest)
        cache.put(digest, caller, generation)
    if caller is None:
        raise _unauthorized("the API key is not valid or has been revoked", "invalid_token")
    cache.used[caller.key_id] = datetime.now(UTC)
    return caller


def required_scope(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> str | None:
    """The scope a request needs, or None for a public route."""
    method = connection.scope.get("method", "GET")
    # OPTIONS answers only which methods exist; browsers send CORS preflights without keys.
    if (
        handler.opt.get("public")
        or method == "OPTIONS"
        or connection.scope["path"].startswith(PUBLIC_PREFIXES)
    ):
        return None
    scope = handler.opt.get("scope")
    if scope:
        return str(scope)
    return "read" if method in READ_METHODS else "write"


async def authorize(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The app-wide guard: 401, 403 or 429 unless the request may go on.

    The idempotency layer runs it before it stores anything; the guard then has nothing left
    to do (and the request is counted once against the rate limit).
    """
    state = connection.scope.setdefault("state", {})
    if state.get("authorized"):
        return
    needed = required_scope(connection, handler)
    if needed is not None:
        caller = await authenticate(connection)
        if needed not in caller.scopes:
            raise Forbidden(
                f"this route needs the {needed} scope; the key has {', '.join(sorted(caller.scopes))}"
            )
        state["actor"] = caller.name
        state["scopes"] = caller.scopes
        state["key_id"] = caller.key_id
        settings: Settings = connection.app.state.settings
        if settings.rate_limit_per_minute > 0:
            await _count_request(connection, caller, settings)
    state["authorized"] = True


async def _count_request(
    connection: ASGIConnection[Any, Any, Any, Any], caller: Caller, settings: Settings
) -> None:
    async with db.connection(connection.app.state.pool, settings.pool_acquire_timeout) as conn:
        row = await conn.fetchrow(keys.Q["count_request"], caller.key_id)
    if row["requests"] > settings.rate_limit_per_minute:
        raise TooManyRequests(
            f"more than {settings.rate_limit_per_minute} requests a minute for this key",
            headers={"Retry-After": str(max(1, row["retry_after"]))},
        )


def scopes_of(connection: ASGIConnection[Any, Any, Any, Any]) -> frozenset[str]:
    value = connection.scope.get("state", {}).get("scopes")
    return value if isinstance(value, frozenset) else frozenset()


def key_id_of(scope: Any) -> UUID | None:
    """The id of the API key an authorized request was made with (None on a public route)."""
    value = scope.get("state", {}).get("key_id")
    return value if isinstance(value, UUID) else None


async def _flush_usage(state: Any) -> None:
    cache: KeyCache = state.key_cache
    if not cache.used:
        return
    used, cache.used = cache.used, {}
    try:
        async with state.pool.acquire(timeout=5) as conn:
            await conn.execute(keys.Q["touch_keys"], list(used), list(used.values()))
            await conn.execute(keys.Q["forget_old_windows"])
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        for key_id, at in used.items():  # keep them for the next flush
            cache.used.setdefault(key_id, at)


async def _flush_loop(state: Any, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        await _flush_usage(state)


@contextlib.asynccontextmanager
async def key_tasks(state: Any, settings: Settings) -> Any:
    """Run the revocation listener and the last-used flusher for the app's lifetime."""
    cache: KeyCache = state.key_cache
    tasks = [
        # Revocations anywhere drop this process's cached keys at once.
        asyncio.create_task(
            listen(
                settings,
                CHANNEL,
                cache.invalidate,
                on_listening=cache.listening_started,
                on_lost=cache.listening_lost,
                heartbeat=HEARTBEAT_SECONDS,
            )
        ),
        asyncio.create_task(_flush_loop(state, settings.key_usage_flush_seconds)),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await _flush_usage(state)
