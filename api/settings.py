"""Settings, read once from environment variables.

Every knob of the service is declared here once, by ``setting(...)``: its environment variable,
default and meaning. ``Settings.from_env`` reads each by the parser of its type, and
``python -m api.settings`` prints the README's configuration table from the same declarations
(tests/unit/test_settings.py keeps the README equal to it).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from api.outbound.addresses import IPNetwork, parse_networks

T = TypeVar("T")


def setting(
    env: str,
    default: T,
    help: str,
    *,
    aliases: tuple[str, ...] = (),
    parse: Callable[[str], T] | None = None,
    shown: str | None = None,
) -> T:
    """A field of ``Settings`` read from the variable ``env``, documented by ``help``.

    ``aliases``: former names, still read (a scalar takes the first name set; a list, the
    entries of all, each once). ``parse``: what a set value becomes, instead of the parser of
    the field's type. ``shown``: the default as the configuration table says it.
    """
    metadata = {"env": env, "help": help, "aliases": aliases, "parse": parse, "shown": shown}
    field: T = dataclasses.field(default=default, metadata=metadata)
    return field


def _list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _bool(name: str, raw: str, default: bool) -> bool:
    # These words, in these spellings; any other value leaves the setting at its default.
    if raw in ("1", "true", "yes"):
        return True
    if raw in ("0", "false", "no"):
        return False
    return default


def _number(kind: Callable[[str], T], noun: str) -> Callable[[str, str, T], T]:
    def parse(name: str, raw: str, default: T) -> T:
        if raw == "":
            return default
        try:
            return kind(raw)
        except ValueError as exc:
            raise SystemExit(f"setting {name} must be {noun}, got {raw!r}") from exc

    return parse


# How a set variable becomes a setting of each type: (variable, its value, default) -> setting.
_PARSERS: dict[object, Callable[[str, str, Any], Any]] = {
    str: lambda name, raw, default: raw,
    Path: lambda name, raw, default: Path(raw),
    int: _number(int, "an integer"),
    float: _number(float, "a number"),
    bool: _bool,
    tuple[str, ...]: lambda name, raw, default: _list(raw),
}


def _log_format(raw: str) -> str:
    value = raw.strip().lower() or "auto"
    if value not in ("auto", "json", "text"):
        raise SystemExit(f"setting CLAIMTRACK_LOG_FORMAT must be auto, json or text, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = setting(
        "DATABASE_URL",
        "",
        "`postgresql://…`; unset: embedded PostgreSQL in `CLAIMTRACK_DATA_DIR`",
    )
    data_dir: Path = setting(  # noqa: RUF009 (a Path is immutable)
        "CLAIMTRACK_DATA_DIR", Path(".claimtrack"), "where the embedded server keeps its data"
    )
    host: str = setting("CLAIMTRACK_HOST", "127.0.0.1", "the address `serve` listens on")
    port: int = setting("CLAIMTRACK_PORT", 8000, "the port `serve` listens on")
    # 0: one worker process per core this process may run on (api.cli.serve_workers).
    workers: int = setting("CLAIMTRACK_WORKERS", 0, "worker processes", shown="`0` (one per core)")
    max_body_bytes: int = setting("CLAIMTRACK_MAX_BODY_BYTES", 4 * 1024 * 1024, "larger bodies get 413")
    pool_min_size: int = setting("CLAIMTRACK_POOL_MIN_SIZE", 2, "connections per process, at the least")
    pool_max_size: int = setting("CLAIMTRACK_POOL_MAX_SIZE", 10, "connections per process, at the most")
    pool_acquire_timeout: float = setting(
        "CLAIMTRACK_POOL_ACQUIRE_TIMEOUT", 5.0, "seconds a request waits for a connection before 503"
    )
    connect_timeout: float = setting(
        "CLAIMTRACK_CONNECT_TIMEOUT", 5.0, "seconds to open a database connection"
    )
    statement_timeout_ms: int = setting(
        "CLAIMTRACK_STATEMENT_TIMEOUT_MS", 10_000, "PostgreSQL `statement_timeout`"
    )
    log_level: str = setting(
        "CLAIMTRACK_LOG_LEVEL",
        "INFO",
        "the server's log level (the other commands log warnings only, unless `-v`)",
        parse=str.upper,
    )
    log_format: str = setting(
        "CLAIMTRACK_LOG_FORMAT",
        "auto",
        "logs on stderr as lines to read (`text`) or JSON lines (`json`); `auto`: text on a terminal, "
        "JSON otherwise",
        parse=_log_format,
    )
    access_log: bool = setting("CLAIMTRACK_ACCESS_LOG", True, "one access line per request")
    cors_allow_origins: tuple[str, ...] = setting(
        "CLAIMTRACK_CORS_ALLOW_ORIGINS", (), "comma-separated origins; CORS is closed without it"
    )
    # Requests a minute per API key, counted in PostgreSQL so all workers share it.
    rate_limit_per_minute: int = setting(
        "CLAIMTRACK_RATE_LIMIT_PER_MINUTE",
        0,
        "requests per key and minute, shared by all workers; 429 + `Retry-After` above",
        shown="`0` (off)",
    )
    key_cache_seconds: float = setting(
        "CLAIMTRACK_KEY_CACHE_SECONDS",
        30.0,
        "how long a key stays cached (a revocation takes effect within 0.5 s regardless)",
    )
    key_usage_flush_seconds: float = setting(
        "CLAIMTRACK_KEY_USAGE_FLUSH_SECONDS", 30.0, "how often `last_used_at` is written"
    )
    # Claims matched across articles score at least this (pg_trgm similarity of the normalised
    # texts times the agreement of their numbers, 0 to 1).
    similarity_threshold: float = setting(
        "CLAIMTRACK_SIMILARITY_THRESHOLD", 0.3, "minimum score of `/similar` and `/match` hits"
    )
    reanchor_threshold: float = setting(
        "CLAIMTRACK_REANCHOR_THRESHOLD",
        0.75,
        "the least score of an approximate match when a new body re-places a claim (`api/reanchoring.py`)",
    )
    # Webhook deliveries: each API process sends; retries back off from base to max seconds.
    webhook_delivery: bool = setting(
        "CLAIMTRACK_WEBHOOK_DELIVERY", True, "whether this process sends webhook deliveries"
    )
    webhook_timeout: float = setting("CLAIMTRACK_WEBHOOK_TIMEOUT", 10.0, "seconds per delivery attempt")
    webhook_max_attempts: int = setting("CLAIMTRACK_WEBHOOK_MAX_ATTEMPTS", 16, "attempts per delivery")
    webhook_backoff_base: float = setting(
        "CLAIMTRACK_WEBHOOK_BACKOFF_BASE", 5.0, "seconds before the first retry; retries double from there"
    )
    webhook_backoff_max: float = setting(
        "CLAIMTRACK_WEBHOOK_BACKOFF_MAX", 3600.0, "the longest wait between retries"
    )
    webhook_poll_seconds: float = setting("CLAIMTRACK_WEBHOOK_POLL_SECONDS", 2.0, "sender wake-up")
    webhook_batch_size: int = setting("CLAIMTRACK_WEBHOOK_BATCH_SIZE", 10, "deliveries per batch")
    webhook_secret_grace_seconds: float = setting(
        "CLAIMTRACK_WEBHOOK_SECRET_GRACE_SECONDS",
        86_400.0,
        "how long a rotated secret still signs deliveries besides the new one",
    )
    idempotency_ttl_seconds: int = setting(
        "CLAIMTRACK_IDEMPOTENCY_TTL_SECONDS", 86_400, "how long idempotency keys are kept"
    )
    # Source checks: the background checker re-fetches every source each interval (sooner after a
    # failure); a source is dead after a 404/410, an unknown host or dead_after failures in a row.
    source_checks: bool = setting(
        "CLAIMTRACK_SOURCE_CHECKS", True, "whether this process runs the scheduled source checker"
    )
    source_check_interval_seconds: float = setting(
        "CLAIMTRACK_SOURCE_CHECK_INTERVAL_SECONDS", 86_400.0, "how often a source is re-checked"
    )
    source_check_retry_seconds: float = setting(
        "CLAIMTRACK_SOURCE_CHECK_RETRY_SECONDS", 900.0, "retry delay per failure so far"
    )
    source_check_poll_seconds: float = setting(
        "CLAIMTRACK_SOURCE_CHECK_POLL_SECONDS", 30.0, "checker wake-up"
    )
    source_check_batch_size: int = setting("CLAIMTRACK_SOURCE_CHECK_BATCH_SIZE", 8, "sources per batch")
    source_check_timeout: float = setting(
        "CLAIMTRACK_SOURCE_CHECK_TIMEOUT", 10.0, "seconds a fetch waits to connect, or for each read"
    )
    source_check_total_seconds: float = setting(
        "CLAIMTRACK_SOURCE_CHECK_TOTAL_SECONDS", 30.0, "seconds one fetch may take, redirects included"
    )
    source_check_max_bytes: int = setting(
        "CLAIMTRACK_SOURCE_CHECK_MAX_BYTES", 2 * 1024 * 1024, "bytes one fetch reads at the most"
    )
    source_check_max_redirects: int = setting(
        "CLAIMTRACK_SOURCE_CHECK_MAX_REDIRECTS", 5, "redirects one fetch follows"
    )
    source_check_dead_after: int = setting(
        "CLAIMTRACK_SOURCE_CHECK_DEAD_AFTER",
        3,
        "failures in a row (other than 404/410/unknown host) before `dead`",
    )
    # Named in the checker's User-Agent so that site owners can reach the newsroom.
    source_check_contact: str = setting(
        "CLAIMTRACK_SOURCE_CHECK_CONTACT", "", "contact (URL or mail) in the checker's user agent"
    )
    outbound_allow: tuple[str, ...] = setting(
        "CLAIMTRACK_OUTBOUND_ALLOW",
        (),
        "IPs/CIDRs the source checker and the webhook sender may reach although they are private or loopback",
        aliases=("CLAIMTRACK_SOURCE_CHECK_ALLOW",),
    )
    # The publishing organisation named as author of exported ClaimReview.
    publisher_name: str = setting(
        "CLAIMTRACK_PUBLISHER_NAME",
        "",
        "the `author` of exported ClaimReview (with `CLAIMTRACK_PUBLISHER_URL` needed to export: "
        "422 `not-publishable` without)",
    )
    publisher_url: str = setting(
        "CLAIMTRACK_PUBLISHER_URL", "", "the url of the `author` of exported ClaimReview"
    )
    publisher_same_as: tuple[str, ...] = setting(
        "CLAIMTRACK_PUBLISHER_SAME_AS", (), "the author's profiles elsewhere, comma-separated"
    )
    review_url_template: str = setting(
        "CLAIMTRACK_REVIEW_URL_TEMPLATE",
        "",
        "where a claim's ClaimReview is published when it has no `review_url`; `{claim_id}`, "
        "`{article_id}`, `{external_id}` are filled in",
    )
    article_url_template: str = setting(
        "CLAIMTRACK_ARTICLE_URL_TEMPLATE",
        "",
        "where an article without a url is read; `{article_id}`, `{external_id}` are filled in",
    )
    claimreview_import_max: int = setting(
        "CLAIMTRACK_CLAIMREVIEW_IMPORT_MAX", 100, "items (reviews and nodes passed over) per import request"
    )
    metrics_public: bool = setting(
        "CLAIMTRACK_METRICS_PUBLIC", False, "serve `/metrics` without a key (else it needs the admin scope)"
    )
    # database_url stays the primary.
    replica_urls: tuple[str, ...] = setting(
        "CLAIMTRACK_REPLICA_URLS", (), "streaming replicas that may serve reads, comma-separated"
    )
    replica_max_lag_seconds: float = setting(
        "CLAIMTRACK_REPLICA_MAX_LAG_SECONDS", 5.0, "a replica further behind is skipped until it catches up"
    )
    replica_check_seconds: float = setting(
        "CLAIMTRACK_REPLICA_CHECK_SECONDS",
        1.0,
        "how often each process looks at the replicas (and retries one that is down)",
    )
    replica_timeout: float = setting(
        "CLAIMTRACK_REPLICA_TIMEOUT",
        0.5,
        "the longest a read waits for a replica (a connection, or its position) before the primary serves it",
    )
    # Lets a key's reads see its writes without sending Consistency-Token back.
    consistency_key_seconds: float = setting(
        "CLAIMTRACK_CONSISTENCY_KEY_SECONDS",
        10.0,
        "how long a process remembers an API key's last write for its reads (`0`: off)",
    )
    # No server-side prepared statements, no session state.
    pgbouncer: bool = setting("CLAIMTRACK_PGBOUNCER", False, "`1` behind PgBouncer in transaction mode")
    # LISTEN (and migrations) need a connection of their own to the primary, not through PgBouncer.
    listen_database_url: str = setting(
        "CLAIMTRACK_LISTEN_DATABASE_URL",
        "",
        "the primary without PgBouncer, for LISTEN, migrations and `claimtrack keys`",
        shown="`DATABASE_URL`",
    )

    @classmethod
    def from_env(cls) -> Settings:
        types = get_type_hints(cls)
        return cls(**{field.name: _from_env(field, types[field.name]) for field in dataclasses.fields(cls)})

    @property
    def direct_database_url(self) -> str:
        """The primary without a pooler in between: for LISTEN and migrations."""
        return self.listen_database_url or self.database_url

    @property
    def outbound_networks(self) -> tuple[IPNetwork, ...]:
        """``outbound_allow`` parsed; a malformed entry stops the process (checked at start)."""
        return parse_networks(self.outbound_allow)


def _from_env(field: dataclasses.Field[Any], kind: object) -> Any:
    names = (field.metadata["env"], *field.metadata["aliases"])
    if kind == tuple[str, ...] and len(names) > 1:
        # A list read under several names: the entries of each, in order, each once.
        return tuple(dict.fromkeys(entry for name in names for entry in _list(os.environ.get(name, ""))))
    name = next((name for name in names if name in os.environ), None)
    if name is None:
        return field.default
    raw = os.environ[name]
    parse = field.metadata["parse"]
    return parse(raw) if parse is not None else _PARSERS[kind](name, raw, field.default)


# Variables read outside Settings, listed in the same table: (name, default, meaning).
OTHER_VARIABLES = (
    (
        "PROMETHEUS_MULTIPROC_DIR",
        "a temporary folder when `CLAIMTRACK_WORKERS` > 1",
        "where worker processes share their metrics (`serve` empties it at start)",
    ),
)


def _shown(field: dataclasses.Field[Any]) -> str:
    if field.metadata["shown"] is not None:
        return str(field.metadata["shown"])
    value = field.default
    if isinstance(value, bool):
        return "`1`" if value else "`0`"
    if value in ("", ()):
        return "—"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def markdown_table() -> str:
    """The README's table of environment variables."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for field in dataclasses.fields(Settings):
        meaning = field.metadata["help"]
        former = ", ".join(f"`{alias}`" for alias in field.metadata["aliases"])
        if former:
            meaning += f" (former name {former}, still read)"
        rows.append(f"| `{field.metadata['env']}` | {_shown(field)} | {meaning} |")
    rows.extend(f"| `{name}` | {default} | {meaning} |" for name, default, meaning in OTHER_VARIABLES)
    return "\n".join(rows) + "\n"


def asyncpg_dsn(url: str) -> str:
    """asyncpg wants ``postgresql://``; alembic's SQLAlchemy engine wants ``+asyncpg``."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


if __name__ == "__main__":
    print(markdown_table(), end="")
