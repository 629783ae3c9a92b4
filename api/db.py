"""The connection pool and the loader for the named SQL blocks kept in each feature's queries.sql."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from api.errors import ServiceUnavailable
from api.metrics import instruments as metrics
from api.settings import Settings, asyncpg_dsn

log = logging.getLogger("claimtrack.db")

Connection = asyncpg.Connection
Pool = asyncpg.Pool

_BLOCK = re.compile(r"^--\s*name:\s*(?P<name>[a-z_][a-z0-9_]*)\s*$", re.M)


class Queries(Mapping[str, str]):
    """The named blocks of one .sql file: ``-- name: claim_by_id`` followed by its statement."""

    def __init__(self, path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        marks = list(_BLOCK.finditer(text))
        if not marks:
            raise ValueError(f"{path} holds no '-- name:' blocks")
        self._sql: dict[str, str] = {}
        for mark, following in zip(marks, [*marks[1:], None], strict=True):
            end = following.start() if following else len(text)
            name = mark.group("name")
            if name in self._sql:
                raise ValueError(f"{path}: query {name} is defined twice")
            self._sql[name] = text[mark.end() : end].strip().rstrip(";")
        self.path = path

    def __getitem__(self, name: str) -> str:
        return self._sql[name]

    def __iter__(self) -> Any:
        return iter(self._sql)

    def __len__(self) -> int:
        return len(self._sql)


def load_queries(module_file: str) -> Queries:
    """The queries.sql beside a feature's module."""
    return Queries(Path(module_file).with_name("queries.sql"))


_json_encoder = msgspec.json.Encoder()


def _encode_json(value: Any) -> str:
    return _json_encoder.encode(value).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Documents come back as text and are decoded straight into the output Structs.
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, schema="pg_catalog", encoder=_encode_json, decoder=lambda text: text, format="text"
        )


async def _no_reset(conn: asyncpg.Connection) -> None:
    if conn.is_in_transaction():  # never expected: every transaction is a context manager
        await conn.execute("ROLLBACK")


def server_settings(settings: Settings) -> dict[str, str]:
    """The session settings every pooled connection starts with (sent in the startup packet).

    PgBouncer accepts only the startup parameters it tracks per client and sets again on each
    server connection it lends (TimeZone and application_name among them); it refuses a
    connection that sends any other. Behind it the two timeouts are the server's to set
    (``ALTER ROLE ... SET``, docs/operations.md); asyncpg's own command timeout still applies.
    """
    values = {"timezone": "UTC", "application_name": "claimtrack"}
    if not settings.pgbouncer:
        values["statement_timeout"] = str(settings.statement_timeout_ms)
        values["idle_in_transaction_session_timeout"] = str(max(settings.statement_timeout_ms * 3, 30_000))
    return values


async def create_pool(
    settings: Settings, database_url: str, *, lazy: bool = False, connect_timeout: float | None = None
) -> asyncpg.Pool:
    """The process's pool; ``lazy`` opens no connection until the first request needs one."""
    pool = await asyncpg.create_pool(
        asyncpg_dsn(database_url),
        min_size=0 if lazy else settings.pool_min_size,
        max_size=settings.pool_max_size,
        timeout=settings.connect_timeout if connect_timeout is None else connect_timeout,
        command_timeout=settings.statement_timeout_ms / 1000 + 1,
        init=_init_connection,
        # No RESET ALL etc. on release: nothing sets session state (SET LOCAL only, and LISTEN
        # uses connections of its own), and the reset would cost a round trip per request.
        reset=_no_reset,
        # PgBouncer (before 1.21) lends a server connection per transaction, so a statement
        # prepared on one is unknown on the next: without a cache asyncpg prepares unnamed
        # statements and sends them again with every execution (one more round trip per query).
        statement_cache_size=0 if settings.pgbouncer else 100,
        server_settings=server_settings(settings),
    )
    assert pool is not None
    return pool


async def listen(
    settings: Settings,
    channel: str,
    on_notice: Callable[[], None],
    *,
    on_listening: Callable[[], None] | None = None,
    on_lost: Callable[[], None] | None = None,
    heartbeat: float | None = None,
) -> None:
    """Call ``on_notice`` for every NOTIFY on ``channel``. Runs until cancelled.

    After each (re)connection ``on_listening`` is called (``on_notice`` when not given), since
    anything may have happened while nobody listened; ``on_lost`` is called as soon as the
    connection is known to be gone, before reconnecting. With ``heartbeat``, a connection
    that stops answering (a hung server or a dead network path, which closes nothing) counts
    as lost after at most twice that many seconds.
    """
    while True:
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(
                # Never through PgBouncer: a LISTEN lasts the session, not a transaction.
                asyncpg_dsn(settings.direct_database_url),
                timeout=settings.connect_timeout,
                # Operators (and tests) find the listening connections by this name.
                server_settings={"application_name": f"claimtrack listen {channel}"},
            )
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _, lost=lost: lost.set())
            await conn.add_listener(channel, lambda *_: on_notice())
            (on_listening or on_notice)()
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), heartbeat)
                except TimeoutError:
                    await asyncio.wait_for(conn.fetchval("SELECT 1"), heartbeat)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.debug("listener on %s: %s", channel, type(exc).__name__)
        finally:
            if on_lost is not None:
                on_lost()
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close(timeout=settings.connect_timeout)
        await asyncio.sleep(2)


@asynccontextmanager
async def connection(pool: asyncpg.Pool, acquire_timeout: float) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for one request; 503 when none is had within ``acquire_timeout``."""
    metrics.POOL_WAITING.inc()
    try:
        conn = await pool.acquire(timeout=acquire_timeout)
    except (TimeoutError, OSError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError) as exc:
        raise ServiceUnavailable() from exc
    finally:
        metrics.POOL_WAITING.dec()
    metrics.pool_sampled(pool.get_size(), pool.get_idle_size())
    try:
        yield conn
    finally:
        try:
            await pool.release(conn)
        except Exception as exc:
            # Resetting a connection the server dropped fails (asyncpg then terminates it and
            # the pool opens a new one). That is no concern of the request: raised here it
            # would replace the request's own outcome, a committed write's 2xx or the 503 of
            # the error that broke the connection, with a 500.
            log.debug("connection discarded on release: %s", type(exc).__name__)
        metrics.pool_sampled(pool.get_size(), pool.get_idle_size())
