"""Alembic environment: plain DDL migrations run over asyncpg.

The database comes from ``sqlalchemy.url`` when the caller set it (api.migrate does), else from
DATABASE_URL, so ``DATABASE_URL=... alembic upgrade head`` works from the repository root.
"""

import asyncio
import logging
import os

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from api.logging import configure_logging
from api.settings import sqlalchemy_url

config = context.config

# Run from the alembic command line (api.migrate passes no file): log like the service does.
if config.config_file_name is not None and not logging.getLogger().handlers:
    configure_logging("INFO")

# The schema is written as SQL in the revisions; there is no model to autogenerate from.
target_metadata = None


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "")
    if not url:
        raise SystemExit("no database: set DATABASE_URL (or sqlalchemy.url in the alembic config)")
    return sqlalchemy_url(url)


def run_migrations_offline() -> None:
    """Emit the SQL instead of running it (``alembic upgrade head --sql``)."""
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(_database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
