"""What the sync and async clients share: a request as data, its parsing, and the retry rules.

Every endpoint is written once, as a function returning a ``Call``: the request to make and
how to read its answer. ``endpoint`` and ``paged`` turn such functions into methods that
return the value on ``Client`` and an awaitable (or async iterator) on ``AsyncClient``; the
two classes only differ in how they send, wait and stream.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload
from uuid import UUID

import httpx
import msgspec

from client.errors import error_for, retry_after
from schemas.common import Page

T = TypeVar("T")
P = ParamSpec("P")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_encoder = msgspec.json.Encoder()
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request and the reading of its answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, Any] | None = None
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # The operation has the same effect when repeated (e.g. create-or-find by url).
    idempotent: bool = False

    @property
    def retry_safe(self) -> bool:
        """Whether sending it twice cannot do twice: reads, idempotent writes, and writes carrying
        an Idempotency-Key."""
        return self.idempotent or self.method in SAFE_METHODS or "Idempotency-Key" in self.headers


def decode(returns: type[T]) -> Callable[[httpx.Response], T]:
    """A parser decoding the JSON body into ``returns`` (a Struct of ``schemas``), strictly."""
    decoder = _decoders.get(returns)
    if decoder is None:
        decoder = _decoders[returns] = msgspec.json.Decoder(returns)
    found = decoder

    def parse(response: httpx.Response) -> T:
        result: T = found.decode(response.content)
        return result

    return parse


def no_content(response: httpx.Response) -> None:
    return None


def etag_version(response: httpx.Response) -> int:
    """The version an ETag names (after a 204 unlink, the claim's new version)."""
    return int(response.headers["etag"].strip('W/"'))


def first_item(page: Page[T]) -> T | None:
    return page.items[0] if page.items else None


def query(**params: Any) -> dict[str, str | list[str]]:
    """Query parameters as the API reads them; None (or an empty list) means "not given", and a
    list or tuple repeats the parameter once per value."""
    result: dict[str, str | list[str]] = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            if value:
                result[name] = [str(v) for v in value]
        elif isinstance(value, datetime | date):
            result[name] = value.isoformat()
        else:
            result[name] = str(value)
    return result


def write_headers(version: int | None, idempotency_key: str | None = None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


class Versioned(Protocol):
    @property
    def id(self) -> UUID: ...

    @property
    def version(self) -> int: ...


def ref(value: Versioned | UUID | str) -> str:
    """The id in a path: a resource's own, or an id as given."""
    if isinstance(value, UUID | str):
        return str(UUID(str(value)))
    return str(value.id)


def version_of(value: Versioned | UUID | str, version: int | None) -> int | None:
    """The version for If-Match: given explicitly, else the version of the object passed."""
    if version is not None or isinstance(value, UUID | str):
        return version
    return value.version


def request_of(http: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
    content = None
    headers = dict(call.headers)
    if call.body is not None:
        content = call.body if isinstance(call.body, bytes) else _encoder.encode(call.body)
        headers["Content-Type"] = "application/json"
    return http.build_request(call.method, call.path, params=call.params, content=content, headers=headers)


def result_of(call: Call[T], response: httpx.Response) -> T:
    if response.is_success:
        return call.parse(response)
    raise error_for(response)


def client_headers(api_key: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
    headers = {"Accept": "application/json, application/problem+json", "User-Agent": "claimtrack-client"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    headers.update(extra or {})
    return headers


# Raised before a byte of the request left: safe to send again whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True, slots=True)
class Retry:
    """Exponential backoff with jitter on 429, 503 and connection errors.

    429 is always retried (the server refused before doing anything); 503 and errors after
    the request was sent only when the call is safe to repeat (``Call.retry_safe``). A
    Retry-After header is honoured, up to ``max_delay``.
    """

    attempts: int = 4
    backoff: float = 0.5
    max_delay: float = 30.0

    def _delay(self, attempt: int, hinted: float | None) -> float:
        if hinted is not None:
            return min(hinted, self.max_delay)
        return min(self.backoff * 2**attempt, self.max_delay) * (0.5 + random.random() / 2)

    def after_response(self, call: Call[Any], attempt: int, response: httpx.Response) -> float | None:
        """Seconds to wait before sending again, or None to keep this answer."""
        if attempt + 1 >= self.attempts:
            return None
        if response.status_code == 429 or (response.status_code == 503 and call.retry_safe):
            return self._delay(attempt, retry_after(response.headers))
        return None

    def after_error(self, call: Call[Any], attempt: int, error: httpx.TransportError) -> float | None:
        if attempt + 1 >= self.attempts:
            return None
        if isinstance(error, _NOT_SENT) or call.retry_safe:
            return self._delay(attempt, None)
        return None


class SyncSender:
    """Marker base of ``Client``: endpoints on it return their values."""

    def _send(self, call: Call[T]) -> T:
        raise NotImplementedError

    def _iterate(self, build: Callable[..., Call[Page[T]]], args: Any, kwargs: Any) -> Iterator[T]:
        cursor = kwargs.pop("cursor", None)
        while True:
            page = self._send(build(*args, **kwargs, cursor=cursor))
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


class AsyncSender:
    """Marker base of ``AsyncClient``: endpoints on it return awaitables."""

    async def _send(self, call: Call[T]) -> T:
        raise NotImplementedError

    async def _iterate(self, build: Callable[..., Call[Page[T]]], args: Any, kwargs: Any) -> AsyncIterator[T]:
        cursor = kwargs.pop("cursor", None)
        while True:
            page = await self._send(build(*args, **kwargs, cursor=cursor))
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


class endpoint(Generic[P, T]):
    """A method made from a Call-building function: ``T`` on Client, ``Awaitable[T]`` on AsyncClient."""

    def __init__(self, build: Callable[P, Call[T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> endpoint[P, T]: ...
    @overload
    def __get__(self, instance: SyncSender, owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(self, instance: AsyncSender, owner: type[Any]) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        if instance is None:
            return self
        build = self.build

        def method(*args: Any, **kwargs: Any) -> Any:
            return instance._send(build(*args, **kwargs))

        method.__doc__ = build.__doc__
        method.__name__ = build.__name__
        return method


class paged(Generic[P, T]):
    """Every item of a listing, page after page: an iterator on Client, an async one on AsyncClient."""

    def __init__(self, build: Callable[P, Call[Page[T]]]) -> None:
        self.build = build
        self.__doc__ = f"Every item, following next_cursor: {build.__doc__ or ''}"

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> paged[P, T]: ...
    @overload
    def __get__(self, instance: SyncSender, owner: type[Any]) -> Callable[P, Iterator[T]]: ...
    @overload
    def __get__(self, instance: AsyncSender, owner: type[Any]) -> Callable[P, AsyncIterator[T]]: ...
    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        if instance is None:
            return self
        build = self.build

        def method(*args: Any, **kwargs: Any) -> Any:
            return instance._iterate(build, args, kwargs)

        method.__doc__ = self.__doc__
        return method
