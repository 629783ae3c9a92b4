"""JSON-LD that can be pasted into <script type="application/ld+json"> without ending it."""

from __future__ import annotations

import msgspec
from litestar.routes import HTTPRoute

from api.jsonld import JSON_LD, JsonLdResponse, encode_json_ld
from api.settings import Settings

HOSTILE = {
    "claimReviewed": "</script><script>alert(2)</script>",
    "name": "Tom & Jerry <!-- -->",
    "lines": "a\u2028b\u2029c",
    "nested": [{"x": "<>&"}, 5, None],
}


def test_markup_characters_are_json_escapes_and_the_document_is_unchanged() -> None:
    encoded = encode_json_ld(HOSTILE)
    for raw in (b"<", b">", b"&", "\u2028".encode(), "\u2029".encode()):
        assert raw not in encoded
    assert b"\\u003c/script\\u003e\\u003cscript\\u003e" in encoded
    assert msgspec.json.decode(encoded) == HOSTILE


def test_every_json_ld_route_answers_through_the_escaping_encoder() -> None:
    from api.app import create_app

    app = create_app(Settings(database_url="postgresql://collection.invalid/none"))
    json_ld = [
        handler
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if str(handler.media_type).startswith(JSON_LD)
    ]
    assert len(json_ld) >= 2
    for handler in json_ld:
        assert handler.resolve_response_class() is JsonLdResponse, handler
