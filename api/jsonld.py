"""JSON-LD responses that stay inert when pasted into an HTML page.

A newsroom publishes a ClaimReview by pasting it into ``<script type="application/ld+json">``.
The HTML parser ends that element at the first ``</script>`` whatever the JSON means, so a claim
holding ``</script><script>alert(2)</script>`` would run as script on the newsroom's page. Every
``<``, ``>`` and ``&`` is therefore sent as its JSON escape (``\\u003c``, ``\\u003e``, ``\\u0026``),
as are U+2028 and U+2029 (line terminators to older JavaScript parsers): the same document to any
JSON reader, no markup to an HTML one. Go's ``json.HTMLEscape`` does the same.

Every route answering ``application/ld+json`` uses ``JsonLdResponse`` (a test walks the route
table), so its documents go through ``encode_json_ld``.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar import Response
from litestar.serialization import default_serializer
from litestar.types import Serializer

JSON_LD = "application/ld+json"

T = TypeVar("T")

# Outside strings JSON has none of these bytes, so replacing them escapes only string content.
_ESCAPES = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


def encode_json_ld(document: Any, enc_hook: Serializer = default_serializer) -> bytes:
    """The document as JSON with nothing an HTML parser reads as markup."""
    encoded = msgspec.json.encode(document, enc_hook=enc_hook)
    for raw, escaped in _ESCAPES:
        encoded = encoded.replace(raw, escaped)
    return encoded


class JsonLdResponse(Response[T]):
    """A handler's JSON-LD answer, encoded by ``encode_json_ld``: ``response_class=JsonLdResponse``."""

    def render(self, content: Any, media_type: str, enc_hook: Serializer = default_serializer) -> bytes:
        if isinstance(content, bytes):
            return content
        return encode_json_ld(content, enc_hook)
