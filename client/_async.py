from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import TypeVar

import httpx
import msgspec

from client._core import AsyncSender, Call, Retry, client_headers, request_of, result_of
from client._endpoints import Endpoints
from client.errors import error_for
from schemas.imports import ArticleRecord

T = TypeVar("T")
_record = msgspec.json.Decoder(ArticleRecord)


class AsyncClient(Endpoints, AsyncSender):
    """The claimtrack API for asyncio: the same methods as Client, awaited.

    >>> async with AsyncClient("https://claims.example.org", api_key="ct_...") as api:
    ...     async for claim in api.iter_claims(status="verified"):
    ...         print(claim.text)
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        retry: Retry | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        self.retry = retry or Retry()
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers=client_headers(api_key, headers),
            timeout=timeout,
            transport=transport,
            limits=limits or httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    async def _send(self, call: Call[T]) -> T:
        request = request_of(self.http, call)
        attempt = 0
        while True:
            try:
                response = await self.http.send(request)
            except httpx.TransportError as exc:
                delay = self.retry.after_error(call, attempt, exc)
                if delay is None:
                    raise
            else:
                delay = self.retry.after_response(call, attempt, response)
                if delay is None:
                    return result_of(call, response)
            await asyncio.sleep(delay)
            attempt += 1

    async def export_lines(self) -> AsyncIterator[bytes]:
        """Every article as an NDJSON line (bytes, newline excluded), streamed: GET /v1/export."""
        timeout = httpx.Timeout(None, connect=10.0)
        async with self.http.stream("GET", "/v1/export", timeout=timeout) as response:
            if not response.is_success:
                await response.aread()
                raise error_for(response)
            async for line in response.aiter_lines():
                if line:
                    yield line.encode()

    async def iter_export(self) -> AsyncIterator[ArticleRecord]:
        """Every article with its claims, sources and history, as import records."""
        async for line in self.export_lines():
            yield _record.decode(line)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()
