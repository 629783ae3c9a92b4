"""Small pieces every controller shares: If-Match, ETag, cursors, Location and the actor."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any

import msgspec
from litestar import Request
from litestar.params import QueryParameter

from api.errors import InvalidRequest, PreconditionFailed

_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# The paging parameters every list endpoint takes.
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Items per page, at most 500")]
Cursor = Annotated[
    str | None, QueryParameter(max_length=512, description="The next_cursor of the previous page")
]


def if_match(request: Request[Any, Any, Any]) -> int | None:
    """The version the client says it has, or None when it sent no If-Match (or ``*``)."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    match = _IF_MATCH.match(raw)
    if match is None:
        raise PreconditionFailed('If-Match must be a version as the ETag gives it, e.g. "3"')
    return int(match.group(1))


def check_version(expected: int | None, current: int) -> None:
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"the resource is at version {current}, not {expected}", current_version=current
        )


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(values)).decode().rstrip("=")


def decode_cursor(raw: str | None, types: Any) -> Any:
    """The keyset values of a cursor this API made, validated against the expected types."""
    if raw is None:
        return None
    try:
        padded = raw + "=" * (-len(raw) % 4)
        return msgspec.json.decode(base64.urlsafe_b64decode(padded.encode()), type=types)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidRequest(
            "the cursor is not one this API gave out", errors=[("/cursor", "invalid cursor")]
        ) from None


def actor_of(request: Request[Any, Any, Any]) -> str | None:
    """The name of the API key that made the request (None when no key was used)."""
    value = request.scope.get("state", {}).get("actor")
    return value if isinstance(value, str) else None


def make_page(items: list[Any], limit: int | None, key: Any) -> Any:
    """A page of at most ``limit`` items from ``limit + 1`` fetched; ``key`` gives an item's cursor values."""
    from schemas.common import Page

    if limit is not None and len(items) > limit:
        items = items[:limit]
        return Page(items=items, next_cursor=encode_cursor(key(items[-1])))
    return Page(items=items, next_cursor=None)


_DESCRIPTIONS = {
    400: "Invalid request: not JSON, not matching the schema, a malformed id or URL (invalid-request)",
    401: "No valid API key (unauthorized)",
    403: "The API key lacks the scope (forbidden)",
    404: "Not found (not-found)",
    409: "Conflict with an existing resource; existing_id names it (conflict)",
    412: "If-Match names a version that is not the current one (precondition-failed)",
    413: "The request body is too large (payload-too-large)",
    422: (
        "A rule is broken: evidence-required, invalid-transition, quote-not-found, quote-ambiguous, "
        "span-mismatch"
    ),
    429: "Too many requests for this key (too-many-requests)",
    503: "The database is unavailable; retry after Retry-After seconds (service-unavailable)",
}


def problems(*codes: int) -> dict[int, Any]:
    """OpenAPI documentation of the problem+json answers an operation can give."""
    from litestar.openapi.datastructures import ResponseSpec

    from api.errors import PROBLEM_MEDIA_TYPE
    from schemas.common import Problem

    return {
        code: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=_DESCRIPTIONS[code],
            generate_examples=False,
        )
        for code in sorted({*codes, 503})
    }
