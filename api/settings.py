"""Settings, read once from environment variables.

Every knob of the service is here, with its environment variable and default, so the
README's configuration table and the code cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from api.outbound.addresses import IPNetwork, parse_networks


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"setting {name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SystemExit(f"setting {name} must be a number, got {raw!r}") from exc


def _log_format(raw: str) -> str:
    value = raw.strip().lower() or "auto"
    if value not in ("auto", "json", "text"):
        raise SystemExit(f"setting CLAIMTRACK_LOG_FORMAT must be auto, json or text, got {raw!r}")
    return value


def _list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class Settings:
    # An empty database_url means "run the embedded PostgreSQL in data_dir".
    database_url: str = ""
    data_dir: Path = Path(".claimtrack")
    host: str = "127.0.0.1"
    port: int = 8000
    # 0: one worker process per core this process may run on (serve_workers()).
    workers: int = 0
    max_body_bytes: int = 4 * 1024 * 1024
    pool_min_size: int = 2
    pool_max_size: int = 10
    # Seconds a request may wait for a pooled connection before it is answered 503.
    pool_acquire_timeout: float = 5.0
    connect_timeout: float = 5.0
    statement_timeout_ms: int = 10_000
    log_level: str = "INFO"
    # "auto": lines a person reads on a terminal, JSON lines otherwise; or "json", "text".
    log_format: str = "auto"
    access_log: bool = True
    cors_allow_origins: tuple[str, ...] = field(default_factory=tuple)
    # Claims matched across articles score at least this (pg_trgm similarity of the normalised
    # texts times the agreement of their numbers, 0 to 1).
    similarity_threshold: float = 0.3
    # Requests a minute per API key, counted in PostgreSQL so all workers share it; 0 is off.
    rate_limit_per_minute: int = 0
    # How long a process trusts a cached key; revocations also reach every process at once.
    key_cache_seconds: float = 30.0
    key_usage_flush_seconds: float = 30.0
    # Webhook deliveries: each API process sends; retries back off from base to max seconds.
    webhook_delivery: bool = True
    webhook_timeout: float = 10.0
    webhook_max_attempts: int = 16
    webhook_backoff_base: float = 5.0
    webhook_backoff_max: float = 3600.0
    webhook_poll_seconds: float = 2.0
    webhook_batch_size: int = 10
    webhook_secret_grace_seconds: float = 86_400.0
    # How long an Idempotency-Key and its stored response are kept.
    idempotency_ttl_seconds: int = 86_400
    # GET /metrics without a key (for a scraper on a private network); else the admin scope.
    metrics_public: bool = False
    # Source checks: the background checker re-fetches every source each interval (sooner after a
    # failure); a source is dead after a 404/410, an unknown host or dead_after failures in a row.
    source_checks: bool = True
    source_check_interval_seconds: float = 86_400.0
    # The least score of an approximate match when a new body re-places a claim (api/reanchoring.py).
    reanchor_threshold: float = 0.75
    source_check_retry_seconds: float = 900.0
    source_check_poll_seconds: float = 30.0
    source_check_batch_size: int = 8
    source_check_timeout: float = 10.0
    source_check_total_seconds: float = 30.0
    source_check_max_bytes: int = 2 * 1024 * 1024
    source_check_max_redirects: int = 5
    source_check_dead_after: int = 3
    # Named in the checker's User-Agent so that site owners can reach the newsroom (URL or mail).
    source_check_contact: str = ""
    # Addresses or networks (CIDR) that the API's own requests — source checks and webhook
    # deliveries — may reach although they are private, loopback or otherwise not public.
    outbound_allow: tuple[str, ...] = field(default_factory=tuple)
    # The publishing organisation named as author of exported ClaimReview: without a name and a
    # url no ClaimReview is published (422 not-publishable); same_as: its profiles elsewhere.
    publisher_name: str = ""
    publisher_url: str = ""
    publisher_same_as: tuple[str, ...] = field(default_factory=tuple)
    # Where a claim's ClaimReview is published when the claim has no review_url, and where an
    # article without a url is read; {claim_id}, {article_id} and {external_id} are filled in.
    review_url_template: str = ""
    article_url_template: str = ""
    # ClaimReview import: reviews accepted in one request.
    claimreview_import_max: int = 100
    # Streaming replicas that serve reads (GET); database_url stays the primary.
    replica_urls: tuple[str, ...] = field(default_factory=tuple)
    # A replica further behind the primary than this is skipped until it catches up.
    replica_max_lag_seconds: float = 5.0
    # How often each process looks at every replica's position (and retries a replica that is down).
    replica_check_seconds: float = 1.0
    # The longest a read waits for a replica (a connection, or its position) before the primary serves it.
    replica_timeout: float = 0.5
    # How long a process remembers an API key's last write, so that the key's reads see it
    # without sending Consistency-Token back; 0 remembers nothing.
    consistency_key_seconds: float = 10.0
    # Behind PgBouncer in transaction mode: no server-side prepared statements, no session state.
    pgbouncer: bool = False
    # LISTEN (and migrations) need a connection of their own to the primary, not through PgBouncer.
    listen_database_url: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("DATABASE_URL", ""),
            data_dir=Path(os.environ.get("CLAIMTRACK_DATA_DIR", ".claimtrack")),
            host=os.environ.get("CLAIMTRACK_HOST", "127.0.0.1"),
            port=_int("CLAIMTRACK_PORT", 8000),
            workers=_int("CLAIMTRACK_WORKERS", 0),
            max_body_bytes=_int("CLAIMTRACK_MAX_BODY_BYTES", 4 * 1024 * 1024),
            pool_min_size=_int("CLAIMTRACK_POOL_MIN_SIZE", 2),
            pool_max_size=_int("CLAIMTRACK_POOL_MAX_SIZE", 10),
            pool_acquire_timeout=_float("CLAIMTRACK_POOL_ACQUIRE_TIMEOUT", 5.0),
            connect_timeout=_float("CLAIMTRACK_CONNECT_TIMEOUT", 5.0),
            statement_timeout_ms=_int("CLAIMTRACK_STATEMENT_TIMEOUT_MS", 10_000),
            log_level=os.environ.get("CLAIMTRACK_LOG_LEVEL", "INFO").upper(),
            log_format=_log_format(os.environ.get("CLAIMTRACK_LOG_FORMAT", "auto")),
            access_log=os.environ.get("CLAIMTRACK_ACCESS_LOG", "1") not in ("0", "false", "no"),
            cors_allow_origins=_list("CLAIMTRACK_CORS_ALLOW_ORIGINS"),
            similarity_threshold=_float("CLAIMTRACK_SIMILARITY_THRESHOLD", 0.3),
            rate_limit_per_minute=_int("CLAIMTRACK_RATE_LIMIT_PER_MINUTE", 0),
            key_cache_seconds=_float("CLAIMTRACK_KEY_CACHE_SECONDS", 30.0),
            key_usage_flush_seconds=_float("CLAIMTRACK_KEY_USAGE_FLUSH_SECONDS", 30.0),
            webhook_delivery=os.environ.get("CLAIMTRACK_WEBHOOK_DELIVERY", "1") not in ("0", "false", "no"),
            webhook_timeout=_float("CLAIMTRACK_WEBHOOK_TIMEOUT", 10.0),
            webhook_max_attempts=_int("CLAIMTRACK_WEBHOOK_MAX_ATTEMPTS", 16),
            webhook_backoff_base=_float("CLAIMTRACK_WEBHOOK_BACKOFF_BASE", 5.0),
            webhook_backoff_max=_float("CLAIMTRACK_WEBHOOK_BACKOFF_MAX", 3600.0),
            webhook_poll_seconds=_float("CLAIMTRACK_WEBHOOK_POLL_SECONDS", 2.0),
            webhook_batch_size=_int("CLAIMTRACK_WEBHOOK_BATCH_SIZE", 10),
            webhook_secret_grace_seconds=_float("CLAIMTRACK_WEBHOOK_SECRET_GRACE_SECONDS", 86_400.0),
            idempotency_ttl_seconds=_int("CLAIMTRACK_IDEMPOTENCY_TTL_SECONDS", 86_400),
            metrics_public=os.environ.get("CLAIMTRACK_METRICS_PUBLIC", "0") in ("1", "true", "yes"),
            source_checks=os.environ.get("CLAIMTRACK_SOURCE_CHECKS", "1") not in ("0", "false", "no"),
            source_check_interval_seconds=_float("CLAIMTRACK_SOURCE_CHECK_INTERVAL_SECONDS", 86_400.0),
            reanchor_threshold=_float("CLAIMTRACK_REANCHOR_THRESHOLD", 0.75),
            source_check_retry_seconds=_float("CLAIMTRACK_SOURCE_CHECK_RETRY_SECONDS", 900.0),
            source_check_poll_seconds=_float("CLAIMTRACK_SOURCE_CHECK_POLL_SECONDS", 30.0),
            source_check_batch_size=_int("CLAIMTRACK_SOURCE_CHECK_BATCH_SIZE", 8),
            source_check_timeout=_float("CLAIMTRACK_SOURCE_CHECK_TIMEOUT", 10.0),
            source_check_total_seconds=_float("CLAIMTRACK_SOURCE_CHECK_TOTAL_SECONDS", 30.0),
            source_check_max_bytes=_int("CLAIMTRACK_SOURCE_CHECK_MAX_BYTES", 2 * 1024 * 1024),
            source_check_max_redirects=_int("CLAIMTRACK_SOURCE_CHECK_MAX_REDIRECTS", 5),
            source_check_dead_after=_int("CLAIMTRACK_SOURCE_CHECK_DEAD_AFTER", 3),
            source_check_contact=os.environ.get("CLAIMTRACK_SOURCE_CHECK_CONTACT", ""),
            # CLAIMTRACK_SOURCE_CHECK_ALLOW is the setting's former name, still honoured.
            outbound_allow=tuple(
                dict.fromkeys(_list("CLAIMTRACK_OUTBOUND_ALLOW") + _list("CLAIMTRACK_SOURCE_CHECK_ALLOW"))
            ),
            publisher_name=os.environ.get("CLAIMTRACK_PUBLISHER_NAME", ""),
            publisher_url=os.environ.get("CLAIMTRACK_PUBLISHER_URL", ""),
            publisher_same_as=_list("CLAIMTRACK_PUBLISHER_SAME_AS"),
            review_url_template=os.environ.get("CLAIMTRACK_REVIEW_URL_TEMPLATE", ""),
            article_url_template=os.environ.get("CLAIMTRACK_ARTICLE_URL_TEMPLATE", ""),
            claimreview_import_max=_int("CLAIMTRACK_CLAIMREVIEW_IMPORT_MAX", 100),
            replica_urls=_list("CLAIMTRACK_REPLICA_URLS"),
            replica_max_lag_seconds=_float("CLAIMTRACK_REPLICA_MAX_LAG_SECONDS", 5.0),
            replica_check_seconds=_float("CLAIMTRACK_REPLICA_CHECK_SECONDS", 1.0),
            replica_timeout=_float("CLAIMTRACK_REPLICA_TIMEOUT", 0.5),
            consistency_key_seconds=_float("CLAIMTRACK_CONSISTENCY_KEY_SECONDS", 10.0),
            pgbouncer=os.environ.get("CLAIMTRACK_PGBOUNCER", "0") in ("1", "true", "yes"),
            listen_database_url=os.environ.get("CLAIMTRACK_LISTEN_DATABASE_URL", ""),
        )

    @property
    def direct_database_url(self) -> str:
        """The primary without a pooler in between: for LISTEN and migrations."""
        return self.listen_database_url or self.database_url

    @property
    def outbound_networks(self) -> tuple[IPNetwork, ...]:
        """``outbound_allow`` parsed; a malformed entry stops the process (checked at start)."""
        return parse_networks(self.outbound_allow)


def asyncpg_dsn(url: str) -> str:
    """asyncpg wants ``postgresql://``; alembic's SQLAlchemy engine wants ``+asyncpg``."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url
