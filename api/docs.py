"""The OpenAPI document and the interactive page at /schema."""

from __future__ import annotations

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

DESCRIPTION = """\
The factual claims of news articles, the sources behind each claim and each claim's
verification status, with an append-only history of who decided what, when, on which evidence.
Errors are application/problem+json; every article, claim and source response carries
`ETag: "<version>"`, and changes honour `If-Match`.
"""


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="claimtrack",
        version="1.0.0",
        description=DESCRIPTION,
        path="/schema",
        render_plugins=[SwaggerRenderPlugin(path="/")],
        components=Components(
            security_schemes={
                "apiKey": SecurityScheme(
                    type="http", scheme="bearer", description="An API key: Bearer <token>"
                )
            }
        ),
    )
