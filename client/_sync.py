from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import TypeVar

import httpx
import msgspec

from client._core import Call, Retry, SyncSender, client_headers, request_of, result_of
from client._endpoints import Endpoints
from client.errors import error_for
from schemas.imports import ArticleRecord

T = TypeVar("T")
_record = msgspec.json.Decoder(ArticleRecord)


class Client(Endpoints, SyncSender):
    """The claimtrack API, blocking.

    >>> with Client("https://claims.example.org", api_key="ct_...") as api:
    ...     for claim in api.iter_claims(status="verified"):
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
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retry = retry or Retry()
        self.http = httpx.Client(
            base_url=base_url, headers=client_headers(api_key, headers), timeout=timeout, transport=transport
        )

    def _send(self, call: Call[T]) -> T:
        request = request_of(self.http, call)
        attempt = 0
        while True:
            try:
                response = self.http.send(request)
            except httpx.TransportError as exc:
                delay = self.retry.after_error(call, attempt, exc)
                if delay is None:
                    raise
            else:
                delay = self.retry.after_response(call, attempt, response)
                if delay is None:
                    return result_of(call, response)
            time.sleep(delay)
            attempt += 1

    def export_lines(self) -> Iterator[bytes]:
        """Every article as an NDJSON line (bytes, newline excluded), streamed: GET /v1/export."""
        with self.http.stream("GET", "/v1/export", timeout=httpx.Timeout(None, connect=10.0)) as response:
            if not response.is_success:
                response.read()
                raise error_for(response)
            for line in response.iter_lines():
                if line:
                    yield line.encode()

    def iter_export(self) -> Iterator[ArticleRecord]:
        """Every article with its claims, sources and history, as import records."""
        for line in self.export_lines():
            yield _record.decode(line)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
