"""The OpenAPI document and the interactive page at /schema, which works with no internet.

Litestar's Swagger page loads its scripts, stylesheet and favicon from a CDN by default; here
they come from api/static/swagger/ (vendored by api/static/refresh-swagger.sh), served by
``static_router()`` under ``ASSETS_PATH``, outside the OpenAPI document and without API key.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

DESCRIPTION = """\
The factual claims of news articles, the sources behind each claim and each claim's
verification status, with an append-only history of who decided what, when, on which evidence.
Errors are application/problem+json; every article, claim and source response carries
`ETag: "<version>"`, and changes honour `If-Match`.
"""

SWAGGER_DIR = Path(__file__).resolve().parent / "static" / "swagger"
ASSETS_PATH = "/schema-assets"
SWAGGER = f"{ASSETS_PATH}/swagger"

# The assets keep their names across Swagger UI versions, so browsers may keep them a day, not forever.
_ASSET_CACHE = CacheControlHeader(public=True, max_age=86_400)


def static_router() -> Router:
    """The vendored Swagger UI files, at /schema-assets/swagger/<file>."""
    return create_static_files_router(
        path=SWAGGER,
        directories=[SWAGGER_DIR],
        name="schema-assets",
        cache_control=_ASSET_CACHE,
        include_in_schema=False,
        # Like the page itself, public: a browser fetching the page's scripts sends no API key.
        opt={"public": True},
    )


def swagger_plugin() -> SwaggerRenderPlugin:
    # The first render plugin is also served at the root, /schema.
    return SwaggerRenderPlugin(
        path="/swagger",
        js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        css_url=f"{SWAGGER}/swagger-ui.css",
        standalone_preset_js_url=f"{SWAGGER}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{SWAGGER}/favicon-32x32.png'>",
    )


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="claimtrack",
        version="1.0.0",
        description=DESCRIPTION,
        path="/schema",
        render_plugins=[swagger_plugin()],
        components=Components(
            security_schemes={
                "apiKey": SecurityScheme(
                    type="http", scheme="bearer", description="An API key: Bearer <token>"
                )
            }
        ),
    )
