"""Fetching a source's page for a check, safely: pinned to vetted addresses, bounded in every way.

The checker resolves host names itself, in an httpcore network backend: every address a name
resolves to is vetted (api/sourcecheck/addresses.py) and the connection is made to one of those
very addresses, so there is no window between the check and the connect in which DNS could
answer differently (DNS rebinding). httpcore still sends the URL's host name in the Host header
and as TLS SNI and verifies the certificate against it, so https works unchanged. Redirects are
followed by hand, one hop at a time, and every hop goes through the same backend; a redirect to a
private address is refused before any connection to it is opened.

Limits: a timeout for each connect and read, a deadline for the whole fetch, a cap on the bytes
read (the body is streamed and reading stops at the cap; compressed bodies are inflated
incrementally, never past the cap), a cap on redirects, no proxies from the environment.
"""

from __future__ import annotations

import asyncio
import socket
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import httpcore
import httpx

from api.settings import Settings
from api.sourcecheck.addresses import BlockedAddress, IPNetwork, check_all, parse_networks

USER_AGENT = "claimtrack-source-check/1.0"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# getaddrinfo's answers that mean "this name does not exist" (as opposed to "try again").
_NO_SUCH_HOST = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}

Failure = Literal["unresolvable", "timeout", "failed", "refused"]


class UnknownHost(Exception):
    def __init__(self, host: str, error: socket.gaierror) -> None:
        super().__init__(f"cannot resolve {host}: {error.strerror or error}")
        self.permanent = error.errno in _NO_SUCH_HOST


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, vets every address, then connects to a vetted address itself."""

    def __init__(self, allow: Iterable[IPNetwork] = ()) -> None:
        self.allow = tuple(allow)
        self._inner = httpcore.AnyIOBackend()

    async def resolve(self, host: str, port: int, seconds: float | None) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(seconds):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        except socket.gaierror as exc:
            raise UnknownHost(host, exc) from None
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took too long") from None
        # Keep getaddrinfo's order (it prefers what the host can reach), without repeats.
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = check_all(host, await self.resolve(host, port, timeout), self.allow)
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the source checker does not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with its connection pool built on the pinned backend."""

    def __init__(self, allow: Iterable[IPNetwork] = (), limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits(max_connections=20, max_keepalive_connections=10)
        super().__init__(trust_env=False, limits=limits)
        # httpx does not take a network backend, so its pool is replaced by an equal one that
        # uses ours (the same arguments httpx passes when no proxy is configured).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=PinnedBackend(allow),
        )


def user_agent(settings: Settings) -> str:
    contact = settings.source_check_contact.strip()
    return f"{USER_AGENT} (+{contact})" if contact else USER_AGENT


def make_client(settings: Settings) -> httpx.AsyncClient:
    """The checker's client; open one per batch or per request and close it after."""
    timeout = httpx.Timeout(settings.source_check_timeout)
    return httpx.AsyncClient(
        transport=PinnedTransport(parse_networks(settings.source_check_allow)),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={
            "User-Agent": user_agent(settings),
            "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.8",
            # Asked for plainly so that the cap on bytes read is a cap on the page; a server that
            # compresses anyway is inflated incrementally (see _read_capped).
            "Accept-Encoding": "identity",
        },
    )


@dataclass(slots=True)
class Fetched:
    """What one fetch found: a response (status_code set) or a failure (failure set)."""

    url: str
    final_url: str | None = None
    status_code: int | None = None
    content_type: str | None = None
    body: bytes = b""
    bytes_read: int = 0
    truncated: bool = False
    redirects: int = 0
    failure: Failure | None = None
    permanent: bool = False  # a failure that will not heal: the host name does not exist
    error: str | None = None
    duration_ms: int = 0


async def _read_capped(response: httpx.Response, cap: int) -> tuple[bytes, int, bool]:
    """(body, bytes read from the wire, truncated): at most ``cap`` bytes of the page."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    inflater = zlib.decompressobj(wbits=47) if encoding in ("gzip", "x-gzip", "deflate") else None
    body = bytearray()
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        piece = inflater.decompress(chunk, cap + 1 - len(body)) if inflater else chunk
        body += piece
        if len(body) > cap or read > cap:
            return bytes(body[:cap]), read, True
    return bytes(body), read, False


async def fetch(client: httpx.AsyncClient, url: str, settings: Settings) -> Fetched:
    """GET ``url`` following redirects by hand; never raises for anything the remote side does."""
    result = Fetched(url=url)
    started = time.monotonic()
    try:
        async with asyncio.timeout(settings.source_check_total_seconds):
            await _follow(client, url, settings, result)
    except BlockedAddress as exc:
        result.failure, result.error = "refused", str(exc)
    except UnknownHost as exc:
        result.failure, result.error, result.permanent = "unresolvable", str(exc), exc.permanent
    except (TimeoutError, httpx.TimeoutException) as exc:
        result.failure, result.error = "timeout", f"timed out ({type(exc).__name__})"
    except (httpx.HTTPError, httpx.InvalidURL, zlib.error) as exc:
        result.failure, result.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


async def _follow(client: httpx.AsyncClient, url: str, settings: Settings, result: Fetched) -> None:
    current = httpx.URL(url)
    seen = {str(current)}
    while True:
        if current.scheme not in ("http", "https"):
            result.failure, result.error = "refused", f"will not follow a redirect to {current.scheme}:"
            return
        async with client.stream("GET", current) as response:
            location = response.headers.get("location")
            if response.status_code in REDIRECTS and location:
                following = current.join(location)
                if str(following) in seen:
                    result.failure, result.error = "failed", f"redirect loop at {following}"
                    return
                if result.redirects >= settings.source_check_max_redirects:
                    result.failure = "failed"
                    result.error = f"more than {settings.source_check_max_redirects} redirects"
                    return
                result.redirects += 1
                seen.add(str(following))
                current = following
                continue
            result.final_url = str(current)
            result.status_code = response.status_code
            result.content_type = response.headers.get("content-type")
            result.body, result.bytes_read, result.truncated = await _read_capped(
                response, settings.source_check_max_bytes
            )
            return
