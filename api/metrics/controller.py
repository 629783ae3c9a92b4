"""GET /metrics in Prometheus's text format.

It needs a key with the ``admin`` scope, unless CLAIMTRACK_METRICS_PUBLIC=1 makes it public
(for a scraper on a private network that cannot send a key).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
from litestar import get
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.db import load_queries
from api.http import problems
from api.metrics.instruments import MULTIPROCESS_DIR, pool_sampled
from api.settings import Settings
from api.webhooks.service import Q as WEBHOOK_QUERIES

Q = load_queries(__file__)

# A scrape must not queue behind requests for long, nor wait on a database that hangs.
SCRAPE_TIMEOUT = 2.0
# Prometheus's classic text format, which generate_latest writes; Litestar adds the charset.
CONTENT_TYPE = "text/plain; version=0.0.4"


class Backlogs(Collector):
    """What this scrape read from the database: queues shared by every worker, so read once."""

    def __init__(self, database_up: bool, webhooks: int | None, source_checks: int | None) -> None:
        self.database_up = database_up
        self.webhooks = webhooks
        self.source_checks = source_checks

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "claimtrack_database_up",
            "1 if this scrape could read the backlogs from the database, else 0.",
            value=1 if self.database_up else 0,
        )
        if self.webhooks is not None:
            yield GaugeMetricFamily(
                "claimtrack_webhook_backlog", "Webhook deliveries pending.", value=self.webhooks
            )
        if self.source_checks is not None:
            yield GaugeMetricFamily(
                "claimtrack_source_check_backlog",
                "Sources whose link check is due.",
                value=self.source_checks,
            )


async def read_backlogs(pool: asyncpg.Pool, seconds: float) -> Backlogs:
    try:
        async with pool.acquire(timeout=seconds) as conn:
            webhooks = await conn.fetchval(WEBHOOK_QUERIES["pending_backlog"], timeout=seconds)
            try:
                source_checks = await conn.fetchval(Q["source_check_backlog"], timeout=seconds)
            except (asyncpg.UndefinedColumnError, asyncpg.UndefinedTableError):
                source_checks = None
    except (
        OSError,
        TimeoutError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,
    ):
        return Backlogs(False, None, None)
    return Backlogs(True, webhooks, source_checks)


class ReplicaHealth(Collector):
    """Each replica's state and lag as this process sees them (every process looks for itself)."""

    STATES = ("up", "lagging", "down", "unknown")

    def __init__(self, replicas: list[dict[str, Any]]) -> None:
        self.replicas = replicas

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = GaugeMetricFamily(
            "claimtrack_replica_state",
            "1 for the state each replica is in (up, lagging, down, unknown), 0 for the others.",
            labels=["replica", "state"],
        )
        seconds = GaugeMetricFamily(
            "claimtrack_replica_lag_seconds",
            "How long ago the primary first held WAL that the replica has not replayed (0: current).",
            labels=["replica"],
        )
        size = GaugeMetricFamily(
            "claimtrack_replica_lag_bytes",
            "WAL the primary has flushed and the replica has not replayed yet.",
            labels=["replica"],
        )
        for replica in self.replicas:
            for name in self.STATES:
                state.add_metric([replica["name"], name], 1 if replica["state"] == name else 0)
            if replica["lag_seconds"] is not None:
                seconds.add_metric([replica["name"]], replica["lag_seconds"])
            if replica["lag_bytes"] is not None:
                size.add_metric([replica["name"]], replica["lag_bytes"])
        yield from (state, seconds, size)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_exited_workers(folder: str) -> None:
    """Drop the live gauges of workers that are gone: uvicorn ends a worker with a signal, so
    the worker itself never gets to, and a crashed one's pool would be added in for good."""
    from prometheus_client import multiprocess

    for path in Path(folder).glob("gauge_live*_*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _running(int(pid)):
            multiprocess.mark_process_dead(int(pid), folder)


def exposition(backlogs: Backlogs, replicas: list[dict[str, Any]] | None = None) -> bytes:
    """Every metric of this process, or of all workers in multiprocess mode, then the backlogs
    and the replicas."""
    if MULTIPROCESS_DIR is not None:
        from prometheus_client import multiprocess

        forget_exited_workers(MULTIPROCESS_DIR)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=MULTIPROCESS_DIR)
    else:
        registry = REGISTRY
    own = CollectorRegistry(auto_describe=False)
    own.register(backlogs)
    if replicas:
        own.register(ReplicaHealth(replicas))
    return generate_latest(registry) + generate_latest(own)


def metrics_route(*, public: bool) -> HTTPRouteHandler:
    """The handler, public or needing the admin scope (the app-wide guard reads ``opt``)."""

    async def metrics(state: State) -> Response[bytes]:
        settings: Settings = state.settings
        pool: asyncpg.Pool | None = state.pool
        if pool is None:
            backlogs = Backlogs(False, None, None)
        else:
            pool_sampled(pool.get_size(), pool.get_idle_size())
            backlogs = await read_backlogs(pool, min(settings.pool_acquire_timeout, SCRAPE_TIMEOUT))
        replicas = state.replicas.describe() if state.replicas is not None else None
        return Response(
            exposition(backlogs, replicas), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"}
        )

    opt: dict[str, Any] = {"public": True} if public else {"scope": "admin"}
    return get(
        "/metrics",
        operation_id="metrics",
        opt=opt,
        summary="Prometheus metrics: requests, latency, the connection pool, database errors, backlogs",
        description="Public when CLAIMTRACK_METRICS_PUBLIC=1; otherwise a key with the admin scope.",
        tags=["operations"],
        media_type=CONTENT_TYPE,
        responses=None if public else problems(401, 403),
        security=None if public else [{"apiKey": []}],
    )(metrics)
