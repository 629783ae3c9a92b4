"""``Idempotency-Key`` on POST requests (IETF draft "The Idempotency-Key HTTP Header Field").

A retry with the same key and body gets the stored response again (``Idempotent-Replayed:
true``); the same key with another body is 422; while the first request runs, 409. Keys are
scoped to the API key (by its id, however the Authorization header spells the token), kept in
PostgreSQL so every worker process agrees, and expire after a setting (24 hours).

The request is authorized first (the app's guard: 401, 403, 429), so a caller without a valid
key writes nothing. Answers that say nothing about the request itself are not stored, so a
retry runs again: 5xx, and 401, 403, 415 and 429 (the key, its scopes, the Content-Type or
the rate limit at that moment; none of them is part of the fingerprint).
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

import asyncpg
import msgspec
from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import authorize, key_id_of
from api.db import load_queries
from api.errors import (
    PROBLEM_MEDIA_TYPE,
    RETRY_AFTER_SECONDS,
    ApplicationError,
    Conflict,
    InvalidRequest,
    PayloadTooLarge,
    RuleBroken,
    ServiceUnavailable,
    problem_of,
)
from api.http import header
from api.settings import Settings

Q = load_queries(__file__)
log = logging.getLogger("claimtrack.idempotency")

HEADER = b"idempotency-key"
_VALID = re.compile(rb"[\x21-\x7e]{1,255}")
# A first request still "running" after this long is taken to have died with its process.
ABANDONED_AFTER_SECONDS = 60.0
# A replay carries these headers of the first answer; Cache-Control keeps "no-store" on answers
# that hold a secret (a new key's token, a webhook's signing secret).
_KEPT_HEADERS = {b"content-type", b"location", b"etag", b"cache-control"}
_NOT_STORED = frozenset({401, 403, 415, 429})


async def _problem(send: Send, exc: ApplicationError) -> None:
    """Answer with ``exc`` as the error handlers would; the middleware runs outside them."""
    body = msgspec.json.encode(problem_of(exc))
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    headers += [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in exc.headers.items()
    ]
    start: Any = {"type": "http.response.start", "status": exc.status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        key = header(scope, HEADER)
        if key is None:  # an ordinary POST
            await self.app(scope, receive, send)
            return
        # 401, 403 or 429 are raised here, before anything is read or stored.
        await authorize(ASGIConnection(scope), scope["route_handler"])
        owner = key_id_of(scope)
        if owner is None:  # a public route: nobody to keep answers for
            await self.app(scope, receive, send)
            return
        # The draft defines the value as a Structured Field string, so it arrives quoted
        # ("8e03…"); many clients send it bare. Both spellings name the same key.
        name = key.strip(b'"')
        if not _VALID.fullmatch(name):
            await _problem(send, InvalidRequest("Idempotency-Key must be 1-255 visible characters"))
            return
        settings: Settings = scope["app"].state.settings
        body = await self._read_body(receive, settings.max_body_bytes)
        if body is None:
            await _problem(send, PayloadTooLarge())
            return
        fingerprint = hashlib.sha256(
            b"\0".join([scope["path"].encode(), scope.get("query_string", b""), body])
        ).digest()
        try:
            await self._handle(scope, send, body, owner.bytes, name.decode(), fingerprint, settings)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("idempotency store unavailable: %s", type(exc).__name__)
            await _problem(send, ServiceUnavailable("try again shortly"))

    async def _read_body(self, receive: Receive, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def _handle(
        self,
        scope: Scope,
        send: Send,
        body: bytes,
        owner: bytes,
        key: str,
        fingerprint: bytes,
        settings: Settings,
    ) -> None:
        pool: asyncpg.Pool = scope["app"].state.pool
        async with pool.acquire(timeout=settings.pool_acquire_timeout) as conn:
            taken = await conn.fetchval(
                Q["claim_key"],
                owner,
                key,
                fingerprint,
                settings.idempotency_ttl_seconds,
                ABANDONED_AFTER_SECONDS,
            )
            stored = None if taken else await conn.fetchrow(Q["lookup_key"], owner, key)
        if stored is not None:
            await self._answer_stored(send, stored, fingerprint)
            return

        # The answer is stored before the client sees it, so a retry sent the moment the
        # first answer arrives finds it stored rather than still running.
        messages: list[Message] = []

        async def replay_body() -> Any:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            messages.append(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            async with pool.acquire(timeout=settings.pool_acquire_timeout) as conn:
                await conn.execute(Q["release_key"], owner, key)
            raise
        start: Any = next((m for m in messages if m["type"] == "http.response.start"), None)
        status = start["status"] if start else 500
        async with pool.acquire(timeout=settings.pool_acquire_timeout) as conn:
            if status >= 500 or status in _NOT_STORED:
                await conn.execute(Q["release_key"], owner, key)
            else:
                headers = [
                    [k.decode("latin-1"), v.decode("latin-1")]
                    for k, v in start["headers"]
                    if k.lower() in _KEPT_HEADERS
                ]
                content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
                await conn.execute(Q["store_response"], owner, key, status, headers, content)
        for message in messages:
            await send(message)

    async def _answer_stored(self, send: Send, stored: Any, fingerprint: bytes) -> None:
        if stored["fingerprint"] != fingerprint:
            await _problem(
                send,
                RuleBroken(
                    "idempotency-key-reused",
                    "this Idempotency-Key was used for a different request; use a new key for a new request",
                ),
            )
            return
        if stored["state"] != "done":
            await _problem(
                send,
                Conflict(
                    "a request with this Idempotency-Key is still being processed",
                    headers={"Retry-After": RETRY_AFTER_SECONDS},
                ),
            )
            return
        headers = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in msgspec.json.decode(stored["headers"])
        ]
        content = bytes(stored["body"])
        headers += [(b"content-length", str(len(content)).encode()), (b"idempotent-replayed", b"true")]
        start: Any = {"type": "http.response.start", "status": stored["status"], "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": content, "more_body": False})


async def forget_expired(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(Q["forget_expired"])
