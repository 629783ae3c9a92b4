"""Databases of a test's own: created empty and migrated to head, dropped after.

For tests that must not share the session database: one whose rows are compared whole (backups),
one filled with random input (fuzzing), one on a server that is stopped on purpose.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from tests.conftest import _run, _run_in_thread, _with_database


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def migrated_database(server_url: str, purpose: str) -> Iterator[str]:
    """A new database on ``server_url``'s server, at the migrations' head; yields its URL."""
    from api.migrate import upgrade

    name = f"claimtrack_test_{purpose}_{uuid.uuid4().hex[:8]}"
    _run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        url = _with_database(server_url, name)
        _run_in_thread(upgrade, url)
        yield url
    finally:
        _run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
