"""The review pages at /review/: static HTML, JS and CSS, public; their data calls need a key.

One page serves the article list (/review/), an article (/review/articles/{id}) and the desk's
queue of claims waiting for a look (/review/queue); the script reads the path. Every response
under /review carries a strict Content-Security-Policy (scripts and styles only from files
served here, no inline code), so a claim or a source title holding markup can never run as
script even if it slipped past the page's text-only rendering.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from litestar import MediaType, Response, Router, get
from litestar.datastructures import CacheControlHeader, MutableScopeHeaders
from litestar.params import FromPath
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE = STATIC_DIR / "index.html"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# Revalidated on every load (answered 304 when unchanged), so a deploy is seen at once.
_REVALIDATE = CacheControlHeader(no_cache=True)


def security_headers(app: ASGIApp) -> ASGIApp:
    """Add the security headers to every response under /review, the static files' included."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


@cache
def _page_html() -> bytes:
    return PAGE.read_bytes()


def _page() -> Response[bytes]:
    return Response(_page_html(), media_type=MediaType.HTML)


@get("/", name="review-articles", sync_to_thread=False)
def review_index() -> Response[bytes]:
    """The list of articles."""
    return _page()


@get("/articles/{article_id:str}", name="review-article", sync_to_thread=False)
def review_article(article_id: FromPath[str]) -> Response[bytes]:
    """One article; the script reads the id from the path and loads the article with the key."""
    return _page()


@get("/queue", name="review-queue", sync_to_thread=False)
def review_queue() -> Response[bytes]:
    """Claims across articles by status, waiting longest first; the filters are in the query."""
    return _page()


def review_router() -> Router:
    """Everything under /review: the pages and their assets at /review/static/<file>."""
    assets = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        name="review-static",
        cache_control=_REVALIDATE,
        include_in_schema=False,
    )
    return Router(
        path="/review",
        route_handlers=[review_index, review_article, review_queue, assets],
        opt={"public": True},
        include_in_schema=False,
        middleware=[security_headers],
        cache_control=_REVALIDATE,
    )
