"""One real PostgreSQL database per test run, and the real API served over HTTP on loopback.

The database lives on DATABASE_URL's server when it is set (CI: the local service), else on an
embedded PostgreSQL; it is created for the run and dropped after. The app runs under uvicorn
in a thread with its own event loop and its own pool, exactly as in production; tests talk
to it with httpx and look at rows through a connection of their own.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import uvicorn

from api.cli import KEEP_ALIVE_SECONDS
from api.settings import Settings, asyncpg_dsn

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLE = ROOT / "api" / "demo" / "kasachstan-ovks-2022-01-08.de.txt"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(asyncpg_dsn(url))
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _run_in_thread(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` in a thread of its own (free of any running event loop); its result, or its error."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn(*args))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def _run(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, on a loop of its own in another thread."""
    return _run_in_thread(asyncio.run, coro)


@pytest.fixture(scope="session")
def server_url() -> str:
    """A URL to some database on the server the tests use (not the test database itself)."""
    configured = os.environ.get("DATABASE_URL", "")
    if configured:
        return asyncpg_dsn(configured)
    from api.embedded import ensure_embedded_database

    return ensure_embedded_database(ROOT / ".claimtrack" / "test-server", dbname="postgres")


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def new_database(server_url: str, purpose: str = "", *, migrate: bool = True) -> Iterator[str]:
    """A database of its own on ``server_url``'s server (at the migrations' head unless told
    otherwise), dropped afterwards; yields its URL."""
    from api.migrate import upgrade

    name = f"claimtrack_test_{purpose + '_' if purpose else ''}{uuid.uuid4().hex[:12]}"
    _run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        url = _with_database(server_url, name)
        if migrate:
            _run_in_thread(upgrade, url)
        yield url
    finally:
        _run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    with new_database(server_url) as url:
        yield url


def settings_for(database_url: str, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": database_url,
        "pool_min_size": 1,
        "pool_max_size": 20,
        "access_log": False,
        # Webhook tests run servers of their own that send; the shared one does not.
        "webhook_delivery": False,
        # Nor does it check sources: the tests' sources are on example.org, never to be fetched.
        "source_checks": False,
    }
    base.update(overrides)
    return Settings(**base)


class ThreadedServer:
    """An ASGI app under uvicorn in a background thread, on a free loopback port; also a
    context manager (start on enter, stop on exit)."""

    def __init__(self, app: Any, **config: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        # Idle connections are kept longer than clients keep them (httpx: 5 s), as claimtrack
        # serve does: a client must never send on a connection the server is closing.
        options = {
            "log_config": None,
            "access_log": False,
            "ws": "none",
            "timeout_keep_alive": KEEP_ALIVE_SECONDS,
            **config,
        }
        self.server = uvicorn.Server(uvicorn.Config(app, **options))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Any:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.sock.close()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()


class LiveServer(ThreadedServer):
    """The app under uvicorn in a background thread, on a free loopback port."""

    def __init__(self, settings: Settings) -> None:
        from api.app import create_app

        super().__init__(create_app(settings), lifespan="on", timeout_graceful_shutdown=10)

    def start(self) -> LiveServer:
        super().start()
        return self


@pytest.fixture(scope="session")
def live_server(database_url: str) -> Iterator[LiveServer]:
    server = LiveServer(settings_for(database_url)).start()
    yield server
    server.stop()


async def create_key(database_url: str, name: str, scopes: list[str]) -> str:
    """A real API key, made the way `claimtrack keys create` makes one; returns its token."""
    from api.keys import service as keys
    from schemas.keys import KeyCreate

    conn = await asyncpg.connect(database_url)
    try:
        created = await keys.create(conn, KeyCreate(name=name, scopes=scopes), "tests")  # type: ignore[arg-type]
    finally:
        await conn.close()
    return created.token


@pytest.fixture(scope="session")
async def review_desk_key(database_url: str) -> str:
    """The review pages' key, "review-desk" (read, write, verify): made once, as key names are
    unique, for every browser test module (they reuse tests/integration/review/test_review.py's fixtures)."""
    return await create_key(database_url, "review-desk", ["read", "write", "verify"])


@pytest.fixture(scope="session")
async def client(live_server: LiveServer, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose key has every scope; its name, "desk", is the actor of its changes."""
    token = await create_key(database_url, "desk", ["read", "write", "verify", "admin"])
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30, headers=headers) as http:
        yield http


@pytest.fixture(scope="session")
async def anonymous(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client without a key."""
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        yield http


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the tests' own, to look at rows after a request."""
    conn = await asyncpg.connect(database_url, server_settings={"timezone": "UTC"})
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
def seed_body() -> str:
    return SEED_ARTICLE.read_text(encoding="utf-8")


@pytest.fixture
def unique() -> str:
    """A short random token, for urls and ids that must not collide between tests."""
    return uuid.uuid4().hex[:10]
