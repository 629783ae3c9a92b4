"""Which server answers a request, and the consistency token that keeps reads after writes.

- A write (any method but GET, HEAD, OPTIONS) runs on the primary. When it succeeds, the
  primary's WAL position read after its commit goes back as ``Consistency-Token`` and is kept
  for the API key for ``consistency_key_seconds``.
- A read runs on a replica that has replayed at least the position it must see: the token it
  sent back, else the key's last write in this process, else nothing. A replica not known to
  be that far is asked once (one round trip); if it is behind, down or slow to answer within
  ``replica_timeout``, the primary answers. A replica that breaks during the read (stopped,
  restarted, a query cancelled by a conflict with recovery) is taken out and the read is run
  again on the primary, before anything was sent: the client sees no error.
- Routes that must see the primary's present say ``opt={"primary": True}`` (the change feed).
- Every read answers ``Served-By: primary | replica``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast
from uuid import UUID

import asyncpg
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from api.auth import READ_METHODS, key_id_of
from api.db import connection
from api.errors import InvalidRequest, ServiceUnavailable
from api.http import header
from api.metrics import instruments as metrics
from api.replicas.monitor import FAULTS, Q, Replica, ReplicaSet, format_lsn, parse_lsn
from api.settings import Settings

log = logging.getLogger("claimtrack.replicas")

TOKEN_HEADER = b"consistency-token"
SERVED_BY_HEADER = b"served-by"
_TOKEN = re.compile(r"[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")

# Keys of the request's scope["state"], shared by the dependency and the middleware.
SERVED_BY = "served_by"
WRITE_POSITION = "write_position"
RETRY_ON_PRIMARY = "retry_on_primary"
ON_PRIMARY = "on_primary"
_PER_ATTEMPT = frozenset({SERVED_BY, RETRY_ON_PRIMARY})
# The read counter's children, each taken once (labels() takes a lock on every call), on first
# use: in the process that counts with them.
_READS: dict[bytes, Any] = {}


def _count_read(served_by: bytes) -> None:
    child = _READS.get(served_by)
    if child is None:
        child = _READS[served_by] = metrics.DB_READS.labels(served_by.decode())
    child.inc()


class WrittenPositions:
    """The last write of each API key in this process, remembered for ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._by_key: dict[UUID, tuple[int, float]] = {}

    def note(self, key_id: UUID, position: int) -> None:
        if self.seconds <= 0:
            return
        now = time.monotonic()
        if len(self._by_key) > 10_000:
            self._by_key = {k: v for k, v in self._by_key.items() if v[1] > now}
        previous = self._by_key.get(key_id)
        self._by_key[key_id] = (max(position, previous[0]) if previous else position, now + self.seconds)

    def get(self, key_id: UUID) -> int:
        entry = self._by_key.get(key_id)
        if entry is None or entry[1] < time.monotonic():
            return 0
        return entry[0]


def required_position(scope: Scope, written: WrittenPositions) -> int:
    """The WAL position a read must see: the token sent, the key's last write, or 0."""
    required = 0
    raw = header(scope, TOKEN_HEADER)
    if raw is not None:
        text = raw.decode("latin-1").strip()
        if not _TOKEN.fullmatch(text):
            raise InvalidRequest(
                "Consistency-Token must be sent back as a write's response gave it",
                errors=[("/headers/consistency-token", "not a consistency token")],
            )
        required = parse_lsn(text)
    key_id = key_id_of(scope)
    if key_id is not None:
        required = max(required, written.get(key_id))
    return required


async def _replica_connection(
    replicas: ReplicaSet, required: int
) -> tuple[Replica, asyncpg.Connection] | None:
    """A connection to a replica that has replayed ``required``, within ``replica_timeout``."""
    replica = replicas.candidate(required)
    if replica is None:
        metrics.REPLICA_SKIPPED.labels("none_up").inc()
        return None
    deadline = time.monotonic() + replicas.settings.replica_timeout
    try:
        conn = await replica.pool.acquire(timeout=replicas.settings.replica_timeout)
    except FAULTS as exc:
        replicas.failed(replica, exc)
        metrics.REPLICA_SKIPPED.labels("unreachable").inc()
        return None
    if replica.replayed >= required:
        return replica, conn
    try:
        replayed = await conn.fetchval(
            Q["replayed_position"],
            timeout=max(0.01, deadline - time.monotonic()),
        )
    except FAULTS as exc:
        await _release(replica, conn)
        replicas.failed(replica, exc)
        metrics.REPLICA_SKIPPED.labels("unreachable").inc()
        return None
    position = parse_lsn(replayed) if replayed else 0
    replica.replayed = max(replica.replayed, position)
    if position < required:
        await _release(replica, conn)
        metrics.REPLICA_SKIPPED.labels("behind").inc()
        return None
    return replica, conn


async def _release(replica: Replica, conn: asyncpg.Connection) -> None:
    try:
        await replica.pool.release(conn)
    except Exception as exc:  # a broken connection is the pool's to replace, not the request's error
        log.debug("replica connection discarded on release: %s", type(exc).__name__)


@asynccontextmanager
async def read_connection(app_state: Any, scope: Scope) -> AsyncIterator[asyncpg.Connection]:
    """The connection a read runs on: a current replica's when there is one, else the primary's."""
    settings: Settings = app_state.settings
    state = scope.setdefault("state", {})
    required = required_position(scope, app_state.written)
    replicas: ReplicaSet | None = app_state.replicas
    chosen = None
    if replicas is not None and not state.get(ON_PRIMARY):
        chosen = await _replica_connection(replicas, required)
    if chosen is None:
        if app_state.pool is None:
            raise ServiceUnavailable()
        async with connection(app_state.pool, settings.pool_acquire_timeout) as conn:
            state[SERVED_BY] = b"primary"
            yield conn
        return
    replica, conn = chosen
    state[SERVED_BY] = b"replica"
    try:
        yield conn
    except FAULTS as exc:
        # Nothing has been sent yet: the middleware runs the read again on the primary.
        state[RETRY_ON_PRIMARY] = True
        replicas.failed(replica, exc)  # type: ignore[union-attr]
        if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
            log.warning("a read tried to write on a replica: %s", scope.get("path_template"))
        raise
    finally:
        await _release(replica, conn)


async def note_commit_position(conn: asyncpg.Connection, scope: Scope) -> None:
    """After a write's transaction: the primary's WAL position, for its Consistency-Token.

    One round trip on the connection the write used, after COMMIT. Read before the commit it
    would fall short of the commit record, and a replica that reached it could still miss the
    write. A failure here leaves the write's answer as it is (the middleware tries once more).
    """
    if conn.is_in_transaction():
        return
    try:
        position = await conn.fetchval(Q["commit_position"])
    except (*FAULTS, asyncpg.PostgresError) as exc:
        log.debug("commit position not read: %s", type(exc).__name__)
        return
    scope.setdefault("state", {})[WRITE_POSITION] = parse_lsn(position)


async def _position_now(app_state: Any) -> int | None:
    """The primary's position now, for a write that ran without the request's connection (or
    an idempotent replay of one): whatever it committed is behind it."""
    settings: Settings = app_state.settings
    pool = app_state.pool
    if pool is None:
        return None
    try:
        async with pool.acquire(timeout=settings.pool_acquire_timeout) as conn:
            return parse_lsn(await conn.fetchval(Q["commit_position"]))
    except (*FAULTS, asyncpg.PostgresError) as exc:
        log.warning("no Consistency-Token for a write: %s", type(exc).__name__)
        return None


class ConsistencyMiddleware:
    """Pure ASGI middleware around the whole app: tokens on writes, Served-By on reads, and a
    read run again on the primary when its replica failed under it."""

    def __init__(self, app: ASGIApp, app_state: Any) -> None:
        self.app = app
        self.app_state = app_state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif cast("HTTPScope", scope)["method"] in READ_METHODS:
            await self._read(scope, receive, send)
        else:
            await self._write(scope, receive, send)

    async def _read(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})
        if await self._attempt(scope, state, receive, send):
            return
        metrics.REPLICA_SKIPPED.labels("failed").inc()
        # Once more from the start, on the primary; what the guard found still holds.
        kept = {k: v for k, v in state.items() if not k.startswith("_ls") and k not in _PER_ATTEMPT}
        again = {**kept, ON_PRIMARY: True}
        request_sent = False

        async def receive_again() -> Any:
            nonlocal request_sent
            if not request_sent:
                request_sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return await receive()

        await self._attempt(cast("Scope", {**scope, "state": again}), again, receive_again, send)

    async def _attempt(self, scope: Scope, state: dict[str, Any], receive: Receive, send: Send) -> bool:
        """Run the read; False, with nothing sent, when its replica failed under it."""
        dropped = False

        async def send_read(message: Message) -> None:
            nonlocal dropped
            if message["type"] == "http.response.start":
                if state.get(RETRY_ON_PRIMARY):
                    dropped = True
                    return
                served_by = state.get(SERVED_BY, b"primary")
                _count_read(served_by)
                headers = [*message.get("headers", ()), (SERVED_BY_HEADER, served_by)]
                message = cast("Message", {**message, "headers": headers})
            elif dropped:
                return
            await send(message)

        await self.app(scope, receive, send_read)
        return not dropped

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})

        async def send_write(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                position = state.get(WRITE_POSITION)
                if position is None:
                    position = await _position_now(self.app_state)
                if position is not None:
                    key_id = key_id_of(scope)
                    if key_id is not None:
                        self.app_state.written.note(key_id, position)
                    headers = [*message.get("headers", ()), (TOKEN_HEADER, format_lsn(position).encode())]
                    message = cast("Message", {**message, "headers": headers})
            await send(message)

        await self.app(scope, receive, send_write)
