"""The metrics, one object each, shared by every app in the process.

With several uvicorn workers, ``PROMETHEUS_MULTIPROC_DIR`` names a folder where each worker
writes its values (``claimtrack serve`` sets one up); a scrape, answered by any one worker,
adds up all of them. It must be set before this module is imported, so it is read here once.
"""

from __future__ import annotations

import os

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# The *_created series (when each label set was first seen) only add bytes to every scrape.
disable_created_metrics()

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None

REQUESTS = Counter(
    "claimtrack_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
DURATION = Histogram(
    "claimtrack_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
# "livesum": the running workers' values are added up (controller.py forgets exited ones).
POOL_SIZE = Gauge(
    "claimtrack_db_pool_connections", "Connections the pool holds open.", multiprocess_mode="livesum"
)
POOL_IN_USE = Gauge(
    "claimtrack_db_pool_in_use", "Pooled connections handed out.", multiprocess_mode="livesum"
)
POOL_WAITING = Gauge(
    "claimtrack_db_pool_waiting",
    "Requests waiting for a pooled connection (a connection being opened included).",
    multiprocess_mode="livesum",
)
DB_ERRORS = Counter(
    "claimtrack_db_errors",
    "Requests answered 503 because the database failed or timed out, by error.",
    ["error"],
)

DB_READS = Counter(
    "claimtrack_db_reads",
    "Reads (GET, HEAD) answered, by the server that answered them: primary or replica.",
    ["served_by"],
)
REPLICA_SKIPPED = Counter(
    "claimtrack_replica_skipped",
    "Reads that a replica could have answered sent to the primary, by why: none_up (no replica up and "
    "current), behind (not yet at the read's consistency token), unreachable (no connection or answer "
    "in time), failed (broke during the read, which the primary then answered).",
    ["reason"],
)


def pool_sampled(size: int, idle: int) -> None:
    POOL_SIZE.set(size)
    POOL_IN_USE.set(size - idle)


def database_error(exc: BaseException) -> None:
    """Count a request answered 503 because of ``exc`` (or of the error it was raised from)."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    DB_ERRORS.labels(type(cause).__name__).inc()
