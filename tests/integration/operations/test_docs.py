"""The page at /schema renders from files the app serves itself: nothing is fetched from another host."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from api.docs import SWAGGER, SWAGGER_DIR

PAGES = ["/schema", "/schema/", "/schema/swagger"]


class _References(HTMLParser):
    """Every URL an HTML page makes the browser fetch or link to: src, href and the like."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "srcset", "action", "poster", "data"} and value is not None:
                self.urls.append((tag, value))


def references(html: str) -> list[tuple[str, str]]:
    parser = _References()
    parser.feed(html)
    parser.close()
    return parser.urls


@pytest.mark.parametrize("path", PAGES)
async def test_schema_page_loads_nothing_from_other_hosts(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "SwaggerUIBundle(" in html

    urls = references(html)
    tags = {tag for tag, _ in urls}
    assert {"script", "link"} <= tags, urls
    page = str(response.url)
    own = urlsplit(page).netloc
    for tag, url in urls:
        target = urlsplit(urljoin(page, url))
        assert target.scheme in {"http", "https"}, f"<{tag}> refers to {url!r}"
        assert target.netloc == own, f"<{tag}> loads {url!r} from another host"
    assert "cdn.jsdelivr.net" not in html
    assert "unpkg.com" not in html


async def test_every_asset_of_the_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema")
    urls = [url for _, url in references(response.text)]
    expected = {
        f"{SWAGGER}/swagger-ui-bundle.js": "javascript",
        f"{SWAGGER}/swagger-ui-standalone-preset.js": "javascript",
        f"{SWAGGER}/swagger-ui.css": "text/css",
        f"{SWAGGER}/favicon-32x32.png": "image/png",
    }
    assert set(expected) <= set(urls), urls
    for url in urls:
        asset = await client.get(urljoin(str(response.url), url))
        assert asset.status_code == 200, url
        assert asset.content, url
    for url, kind in expected.items():
        asset = await client.get(url)
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
        assert asset.content == (SWAGGER_DIR / url.rsplit("/", 1)[1]).read_bytes()
        assert "max-age" in asset.headers.get("cache-control", "")


async def test_vendored_assets_fetch_nothing_themselves(client: httpx.AsyncClient) -> None:
    # The stylesheet may hold only data: URLs: an @import or a font from a CDN would break offline use.
    css = (await client.get(f"{SWAGGER}/swagger-ui.css")).text
    assert "@import" not in css
    for part in css.split("url(")[1:]:
        assert part.lstrip("\"'").startswith("data:"), part[:80]


async def test_assets_carry_their_licence(client: httpx.AsyncClient) -> None:
    for name in ("LICENSE", "NOTICE", "README.md"):
        response = await client.get(f"{SWAGGER}/{name}")
        assert response.status_code == 200, name
    readme = (SWAGGER_DIR / "README.md").read_text(encoding="utf-8")
    assert "refresh-swagger.sh" in readme


@pytest.mark.parametrize(
    "path",
    [
        f"{SWAGGER}/nope.js",
        f"{SWAGGER}/../docs.py",
        f"{SWAGGER}/%2e%2e/%2e%2e/docs.py",
        f"{SWAGGER}/..%2f..%2fdocs.py",
    ],
)
async def test_only_the_vendored_files_are_served(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert "def openapi_config" not in response.text


async def test_assets_are_not_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert not [path for path in document["paths"] if path.startswith(("/schema", "/static"))]


async def test_page_and_assets_need_no_api_key(live_server: Any) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as anonymous:
        for path in ("/schema", "/schema/openapi.json", f"{SWAGGER}/swagger-ui-bundle.js"):
            response = await anonymous.get(path)
            assert response.status_code == 200, path
            assert "authorization" not in response.request.headers
