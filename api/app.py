"""The composition root: settings, pool, routes, error table, OpenAPI, middleware."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Litestar, Router, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.response import Response
from litestar.types import Scope

from api.articles.controller import ArticleController
from api.auth import KeyCache, authorize, key_tasks
from api.body import MediaTypeMiddleware
from api.candidates.controller import CandidateController
from api.claimreview.controller import ClaimReviewController
from api.claims.controller import ClaimController
from api.db import Connection, connection, create_pool
from api.docs import openapi_config, static_router
from api.errors import EXCEPTION_HANDLERS, ServiceUnavailable
from api.events.controller import EventController
from api.idempotency import IdempotencyMiddleware, forget_expired
from api.imports.controller import ImportController
from api.keys.controller import KeyController
from api.logging import RequestIdMiddleware
from api.metrics.controller import metrics_route
from api.metrics.requests import RequestMetrics
from api.replicas.monitor import ReplicaSet
from api.replicas.routing import (
    READ_METHODS,
    ConsistencyMiddleware,
    WrittenPositions,
    note_commit_position,
    read_connection,
)
from api.review.controller import review_router
from api.search.controller import SearchController
from api.settings import Settings
from api.sourcecheck import worker as source_checks
from api.sourcecheck.controller import SourceCheckController
from api.sources.controller import SourceController
from api.webhooks import worker as webhooks
from api.webhooks.controller import WebhookController

log = logging.getLogger("claimtrack")


async def provide_db(state: State, scope: Scope) -> AsyncIterator[Connection]:
    """The request's connection: reads may go to a replica (api.replicas.routing), the rest and
    routes marked ``opt={"primary": True}`` to the primary, where a write notes its position."""
    method = scope["method"]  # type: ignore[typeddict-item]
    if method in READ_METHODS and not scope["route_handler"].opt.get("primary"):
        async with read_connection(state, scope) as conn:
            yield conn
        return
    settings: Settings = state.settings
    pool = state.pool
    if pool is None:
        raise ServiceUnavailable()
    async with connection(pool, settings.pool_acquire_timeout) as conn:
        yield conn
        if method not in READ_METHODS:
            await note_commit_position(conn, scope)


@get(
    "/health",
    operation_id="health",
    opt={"public": True},
    summary="The process is alive (touches no database)",
    tags=["operations"],
)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/ready",
    operation_id="ready",
    opt={"public": True},
    summary="The database is reachable and migrations are at head; 503 while shutting down",
    tags=["operations"],
)
async def ready(state: State) -> Response[dict[str, Any]]:
    headers = {"Retry-After": "2", "Cache-Control": "no-store"}
    if state.shutting_down:
        return Response({"status": "shutting_down"}, status_code=503, headers=headers)
    settings: Settings = state.settings
    try:
        async with connection(state.pool, settings.pool_acquire_timeout) as conn:
            current = await conn.fetchval(
                "SELECT version_num FROM alembic_version", timeout=settings.connect_timeout
            )
    except (ServiceUnavailable, asyncpg.PostgresError, OSError, TimeoutError) as exc:
        return Response(
            {"status": "unavailable", "database": type(exc).__name__}, status_code=503, headers=headers
        )
    # Replicas are reported, never required: without them the primary serves every read.
    replicas = {"replicas": state.replicas.describe()} if state.replicas is not None else {}
    if current != state.migration_head:
        return Response(
            {
                "status": "migrations_pending",
                "database_revision": current,
                "expected": state.migration_head,
                **replicas,
            },
            status_code=503,
            headers=headers,
        )
    return Response(
        {"status": "ready", "revision": current, **replicas}, headers={"Cache-Control": "no-store"}
    )


async def every(seconds: float, job: Callable[..., Awaitable[None]], *args: Any) -> None:
    """Run a housekeeping job periodically; a failed run is logged and tried again next time."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await job(*args)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("%s failed: %s", getattr(job, "__name__", "job"), type(exc).__name__)


async def _open_pool(settings: Settings) -> asyncpg.Pool:
    try:
        return await create_pool(settings, settings.database_url)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        # Start anyway and connect lazily: /ready says 503 until the database answers.
        log.warning("database not reachable at start (%s); connecting lazily", type(exc).__name__)
        return await create_pool(settings, settings.database_url, lazy=True)


async def _start_background(state: State, settings: Settings) -> list[asyncio.Task[None]]:
    """This process's share of the background work (the replicas are opened and looked at first)."""
    background = [asyncio.create_task(every(600, forget_expired, state.pool))]
    if settings.replica_urls:
        state.replicas = await ReplicaSet.open(settings)
        await state.replicas.check(state.pool)
        background.append(asyncio.create_task(state.replicas.run(state.pool)))
    if settings.webhook_delivery:
        background.append(asyncio.create_task(webhooks.run(state.pool, settings)))
    if settings.source_checks:
        background.append(asyncio.create_task(source_checks.run(state.pool, settings)))
    return background


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Open the pool and start the background work; at shutdown, the other way round.

    Reads what create_app put in ``app.state`` (the settings) and fills in the rest.
    """
    from api.migrate import current_head

    settings: Settings = app.state.settings
    app.state.migration_head = current_head()
    app.state.shutting_down = False
    app.state.pool = await _open_pool(settings)
    # What exists now lives as long as the process: keep the collector from scanning it
    # again and again (full collections of it paused every request in flight), and let
    # young garbage pile up a little longer before a collection.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    background = await _start_background(app.state, settings)
    try:
        async with key_tasks(app.state, settings):
            yield
    finally:
        app.state.shutting_down = True
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if app.state.replicas is not None:
            await app.state.replicas.close()
        await app.state.pool.close()


def create_app(settings: Settings | None = None) -> Litestar:
    """The app: routes, guard, middleware and error table, with the settings in ``app.state``
    for ``lifespan`` to open the pool and start the background work from."""
    settings = settings or Settings.from_env()
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set; start the API with `claimtrack serve`")
    settings.outbound_networks  # noqa: B018 (a malformed allow-list stops the start, not a request)

    app = Litestar(
        route_handlers=[
            health,
            ready,
            metrics_route(public=settings.metrics_public),
            # Everything under /v1 needs a key; the OpenAPI document says so for these alone.
            Router(
                path="/",
                security=[{"apiKey": []}],
                route_handlers=[
                    ArticleController,
                    CandidateController,
                    ClaimController,
                    SourceController,
                    KeyController,
                    ImportController,
                    SourceCheckController,
                    ClaimReviewController,
                    EventController,
                    WebhookController,
                    SearchController,
                ],
            ),
            static_router(),
            review_router(),
        ],
        guards=[authorize],
        # In this order: a body of the wrong media type is refused before Idempotency-Key
        # handling could store the refusal.
        middleware=[MediaTypeMiddleware, IdempotencyMiddleware],
        dependencies={"db": Provide(provide_db)},
        exception_handlers=dict(EXCEPTION_HANDLERS),
        lifespan=[lifespan],
        state=State(
            {
                "settings": settings,
                "pool": None,
                "shutting_down": False,
                "key_cache": KeyCache(settings.key_cache_seconds),
                "replicas": None,
                "written": WrittenPositions(settings.consistency_key_seconds),
            }
        ),
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi_config(),
        cors_config=CORSConfig(allow_origins=list(settings.cors_allow_origins))
        if settings.cors_allow_origins
        else None,
        debug=False,
        logging_config=None,
    )
    # Wrapped around the whole app so 404s and 405s get a request id, an access line and metrics too.
    app.asgi_handler = RequestIdMiddleware(
        ConsistencyMiddleware(app.asgi_handler, app.state),
        access_log=settings.access_log,
        observers=[RequestMetrics()],
    )
    return app
