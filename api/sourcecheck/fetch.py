"""Fetching a source's page for a check, safely: pinned to vetted addresses, bounded in every way.

Every connection goes through the outbound guard (api/outbound/): the host name is resolved by
the transport itself, every address it resolves to is vetted, and the connection is made to one
of those very addresses, so DNS cannot answer differently between the check and the connect.
Redirects are followed by hand, one hop at a time, and every hop goes through the same
transport; a redirect to a private address is refused before any connection to it is opened.

Limits: a timeout for each connect and read, a deadline for the whole fetch, a cap on the bytes
read (the body is streamed and reading stops at the cap; compressed bodies are inflated
incrementally, never past the cap), a cap on redirects, no proxies from the environment.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from dataclasses import dataclass
from typing import Literal

import httpx

from api.outbound.addresses import BlockedAddress
from api.outbound.transport import UnknownHost, pinned_client
from api.settings import Settings

USER_AGENT = "claimtrack-source-check/1.0"
REDIRECTS = frozenset({301, 302, 303, 307, 308})

Failure = Literal["unresolvable", "timeout", "failed", "refused"]


def user_agent(settings: Settings) -> str:
    contact = settings.source_check_contact.strip()
    return f"{USER_AGENT} (+{contact})" if contact else USER_AGENT


def make_client(settings: Settings) -> httpx.AsyncClient:
    """The checker's client; open one per batch or per request and close it after."""
    timeout = httpx.Timeout(settings.source_check_timeout)
    return pinned_client(
        settings.outbound_networks,
        timeout=timeout,
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
    # wbits 47 = 32 + 15: zlib reads the gzip or zlib header itself and takes the largest window,
    # so one inflater serves gzip and deflate (a zlib stream in HTTP, RFC 9110 8.4.1.2) alike.
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
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError, zlib.error) as exc:
        # UnicodeError: a host name IDNA 2003 took (the stored URL) or a redirect named that
        # IDNA 2008, which the HTTP client speaks, refuses ("xn--jba" is "¬").
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
