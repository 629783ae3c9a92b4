"""An httpx transport that connects only to vetted addresses, pinned against DNS rebinding.

The transport resolves host names itself, in an httpcore network backend: every address a name
resolves to is vetted (api/outbound/addresses.py) and the connection is made to one of those
very addresses, so there is no window between the check and the connect in which DNS could
answer differently. This happens for every new connection — every attempt that is not carried
by a connection already open to a vetted address — so a name whose DNS answer changes is judged
again. httpcore still sends the URL's host name in the Host header and as TLS SNI and verifies
the certificate against it, so https works unchanged. No proxies from the environment, no unix
sockets. Both outbound fetchers use it: the source checker (api/sourcecheck/fetch.py) and the
webhook sender (api/webhooks/worker.py).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from api.outbound.addresses import IPNetwork, check_all

# getaddrinfo's answers that mean "this name does not exist" (as opposed to "try again").
_NO_SUCH_HOST = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


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
        raise httpcore.ConnectError("outbound requests do not use unix sockets")

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


def pinned_client(allow: Iterable[IPNetwork], **options: Any) -> httpx.AsyncClient:
    """A client whose every connection goes through the pinned transport: no proxy from the
    environment, and no redirect followed by httpx itself (a caller that follows redirects does
    so by hand, hop by hop, through this same client)."""
    return httpx.AsyncClient(
        transport=PinnedTransport(allow), trust_env=False, follow_redirects=False, **options
    )
