"""The replicas a process reads from, and how far behind the primary each one is.

Each API process looks at every replica every ``replica_check_seconds``: is it reachable, is
it still in recovery, how far has it replayed the primary's WAL. A replica that cannot be
reached, or is no replica any more, is ``down``; one further behind than
``replica_max_lag_seconds`` is ``lagging``; both are skipped until a later look finds them
well again. Lag is measured against the primary: the process notes the primary's flushed
position at every look, and a replica's lag is how long ago the primary first held WAL the
replica has not replayed yet (0 while it has replayed all the primary had). It is 0 on an
idle primary, and it grows when replay is paused or the replica lost its primary.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import asyncpg

from api.db import create_pool, load_queries
from api.settings import Settings

Q = load_queries(__file__)
log = logging.getLogger("claimtrack.replicas")

State = Literal["unknown", "up", "lagging", "down"]

# What a broken, stopped, hung or conflicting replica raises; all of them send the read to the
# primary. A query cancelled by a conflict with recovery is a SerializationError (40001).
FAULTS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.OperatorInterventionError,
    asyncpg.SerializationError,
    asyncpg.ReadOnlySQLTransactionError,
)

# Primary positions kept to measure lag with: at one look a second, ten minutes.
_SAMPLES = 600


def parse_lsn(text: str) -> int:
    """A WAL position as PostgreSQL prints it (``16/B374D848``) as a number; ValueError if not one."""
    high, sep, low = text.partition("/")
    if not sep or not (1 <= len(high) <= 8 and 1 <= len(low) <= 8):
        raise ValueError(f"not a WAL position: {text!r}")
    return (int(high, 16) << 32) | int(low, 16)


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def display_name(url: str) -> str:
    """host:port/database of a connection URL, never its password: for logs, /ready, /metrics."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{host}{parts.path or '/'}"


@dataclass(slots=True)
class Replica:
    name: str
    pool: asyncpg.Pool
    state: State = "unknown"
    replayed: int = 0
    lag_seconds: float | None = None
    lag_bytes: int | None = None
    error: str | None = None
    # A request found it broken: the connections its pool holds are replaced at the next look.
    broken: bool = False

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": self.state,
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
            "lag_bytes": self.lag_bytes,
            "replayed": format_lsn(self.replayed) if self.replayed else None,
            **({"error": self.error} if self.error else {}),
        }


class ReplicaSet:
    """The configured replicas with their pools and health, shared by the requests of one process."""

    def __init__(self, settings: Settings, replicas: list[Replica]) -> None:
        self.settings = settings
        self.replicas = replicas
        self._samples: collections.deque[tuple[float, int]] = collections.deque(maxlen=_SAMPLES)
        self._turn = itertools.count()

    @classmethod
    async def open(cls, settings: Settings) -> ReplicaSet:
        """Pools that connect on demand: a replica down at start costs nothing until it is back."""
        replicas = [
            Replica(
                name=display_name(url),
                pool=await create_pool(settings, url, lazy=True, connect_timeout=settings.replica_timeout),
            )
            for url in settings.replica_urls
        ]
        return cls(settings, replicas)

    async def close(self) -> None:
        for replica in self.replicas:
            replica.pool.terminate()

    def describe(self) -> list[dict[str, object]]:
        return [replica.describe() for replica in self.replicas]

    # -- choosing -------------------------------------------------------------------------

    def candidate(self, required: int) -> Replica | None:
        """A replica that is up, preferring those known to have replayed ``required``; taken in
        turns so that the reads are spread. None when no replica is up."""
        up = [r for r in self.replicas if r.state == "up"]
        if not up:
            return None
        current = [r for r in up if r.replayed >= required]
        if current:
            return current[next(self._turn) % len(current)]
        return max(up, key=lambda r: r.replayed)

    def failed(self, replica: Replica, exc: BaseException) -> None:
        """A request found the replica broken: skip it until the next look finds it well."""
        if replica.state != "down":
            log.warning("replica %s is down: %s", replica.name, type(exc).__name__)
        replica.state = "down"
        replica.error = type(exc).__name__
        replica.replayed = 0
        replica.broken = True

    # -- looking --------------------------------------------------------------------------

    async def run(self, primary: asyncpg.Pool) -> None:
        """Look at the primary and every replica each ``replica_check_seconds``, until cancelled."""
        while True:
            await self.check(primary)
            await asyncio.sleep(self.settings.replica_check_seconds)

    async def check(self, primary: asyncpg.Pool) -> None:
        timeout = self.settings.replica_timeout
        try:
            async with primary.acquire(timeout=timeout) as conn:
                position = parse_lsn(await conn.fetchval(Q["primary_position"], timeout=timeout))
            self._samples.append((time.monotonic(), position))
        except (*FAULTS, asyncpg.PostgresError) as exc:
            # Without the primary, lag cannot be measured: the replicas keep their last one.
            log.debug("primary position unknown: %s", type(exc).__name__)
        await asyncio.gather(*(self._check(replica) for replica in self.replicas))

    async def _check(self, replica: Replica) -> None:
        timeout = self.settings.replica_timeout
        if replica.broken:
            # Connections the pool still holds may be half-dead: new ones are opened on demand.
            replica.broken = False
            await replica.pool.expire_connections()
        try:
            async with replica.pool.acquire(timeout=timeout) as conn:
                row = await conn.fetchrow(Q["replica_position"], timeout=timeout)
        except (*FAULTS, asyncpg.PostgresError) as exc:
            self._mark(replica, "down", type(exc).__name__)
            await replica.pool.expire_connections()
            return
        if not row["in_recovery"] or row["replayed"] is None:
            self._mark(replica, "down", "not in recovery")
            return
        replica.replayed = max(replica.replayed, parse_lsn(row["replayed"]))
        if self._samples:
            replica.lag_seconds = self.lag_seconds(replica.replayed, time.monotonic())
            replica.lag_bytes = max(0, self._samples[-1][1] - replica.replayed)
        lagging = (
            replica.lag_seconds is not None and replica.lag_seconds > self.settings.replica_max_lag_seconds
        )
        self._mark(replica, "lagging" if lagging else "up", None)

    def lag_seconds(self, replayed: int, now: float) -> float:
        """How long ago the primary first held WAL past ``replayed`` (0: nothing is missing)."""
        for at, position in self._samples:
            if position > replayed:
                return now - at
        return 0.0

    def _mark(self, replica: Replica, state: State, error: str | None) -> None:
        if replica.state != state and (state != "up" or replica.state != "unknown"):
            log.warning(
                "replica %s is %s%s",
                replica.name,
                state,
                f" ({error})" if error else "",
                extra={"replica": replica.name, "state": state},
            )
        if state == "down":
            # A replica rebuilt from a new base backup may start behind where this one was.
            replica.replayed = 0
        replica.state = state
        replica.error = error
