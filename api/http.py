"""Small pieces every controller shares: If-Match, ETag, cursors, Location and the actor."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request
from litestar.params import ParameterKwarg, QueryParameter
from litestar.types import Scope

from api.db import Connection
from api.errors import InvalidRequest, NotFound, PreconditionFailed

# One element of the If-Match list and the comma after it: an entity tag, weak or strong, or a
# bare version number as people type it by hand; empty elements are allowed (RFC 9110 5.6.1).
_IF_MATCH_ELEMENT = re.compile(
    r'[ \t]*(?:(?P<weak>W/)?"(?P<tag>[\x21\x23-\x7e\x80-\xff]*)"|(?P<bare>\d{1,9}))?[ \t]*(?:,|$)'
)
_VERSION = re.compile(r"\d{1,9}")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# The paging parameters every list endpoint takes.
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Items per page, at most 500")]
CursorParam = Annotated[
    str | None, QueryParameter(max_length=512, description="The next_cursor of the previous page")
]
_CONSTRAINTS = ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern", "description")


def header(scope: Scope, name: bytes) -> bytes | None:
    """A request header's first value, from the ASGI scope (for pure ASGI middleware);
    ``name`` in lower case."""
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value)
    return None


def query_parameter(alias: Any) -> ParameterKwarg:
    """The constraints and description of a schemas alias (``Annotated[..., msgspec.Meta(...)]``)
    for a query parameter: a value taken in a body and in a query string is defined once."""
    meta = next(m for m in alias.__metadata__ if isinstance(m, msgspec.Meta))
    return QueryParameter(**{n: getattr(meta, n) for n in _CONSTRAINTS if getattr(meta, n) is not None})


# A cursor carries a keyset: the sort values of the last item of the page before. Most listings
# page by a time (created, added, checked) and the id that breaks its ties.
TimeKeyset = tuple[datetime, UUID]


@dataclass(frozen=True, slots=True)
class IfMatch:
    """The versions an If-Match header accepts: those its strong entity tags name.

    RFC 9110 13.1.1: If-Match compares strongly, so a weak tag (``W/"3"``) never matches; it
    is remembered only to say so when nothing matched.
    """

    versions: frozenset[int]
    weak: bool = False


def if_match(request: Request[Any, Any, Any]) -> IfMatch | None:
    """What the client says the resource must be at; None without If-Match, or for ``*``
    (every resource these routes change exists, else they answer 404)."""
    fields = request.headers.getall("if-match", [])
    if not fields:
        return None
    raw = ", ".join(fields)
    if raw.strip() == "*":
        return None
    versions: set[int] = set()
    weak = False
    at = 0
    while at < len(raw):
        element = _IF_MATCH_ELEMENT.match(raw, at)
        if element is None or element.end() == at:
            raise PreconditionFailed(
                'If-Match must be "*" or a list of entity tags as the ETag gives them, e.g. "3"'
            )
        tag = element["tag"] if element["tag"] is not None else element["bare"]
        if element["weak"]:
            weak = True
        elif tag is not None and _VERSION.fullmatch(tag):
            versions.add(int(tag))
        at = element.end()
    return IfMatch(frozenset(versions), weak)


def check_version(expected: IfMatch | None, current: int) -> None:
    """412 unless If-Match accepts ``current``; called after the row is locked."""
    if expected is None or current in expected.versions:
        return
    if expected.versions:
        named = " or ".join(str(v) for v in sorted(expected.versions))
        detail = f"the resource is at version {current}, not {named}"
    elif expected.weak:
        detail = (
            f'If-Match compares strongly and a weak tag (W/"…") never matches; the resource is at '
            f'version {current}, ETag "{current}"'
        )
    else:
        detail = f"the resource is at version {current}; If-Match names no version"
    raise PreconditionFailed(detail, current_version=current)


async def locked(conn: Connection, query: str, key: UUID, expected: IfMatch | None, what: str) -> Any:
    """The row ``query`` locks for a change (``SELECT … FOR UPDATE`` by ``key``): 404 naming
    ``what`` when there is none, 412 unless If-Match accepts its version. Call in the change's
    transaction; the version is checked under the lock, so no other change can come between."""
    row = await conn.fetchrow(query, key)
    if row is None:
        raise NotFound(f"{what} {key} does not exist")
    check_version(expected, row["version"])
    return row


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
    412: (
        "If-Match names no current version: a stale version, or only weak tags, which never match "
        "(precondition-failed)"
    ),
    413: "The request body is too large (payload-too-large)",
    415: "The body is not application/json or application/*+json in UTF-8 (unsupported-media-type)",
    422: (
        "A rule is broken: evidence-required, invalid-transition, quote-not-found, quote-ambiguous, "
        "span-mismatch"
    ),
    429: "Too many requests for this key (too-many-requests)",
    503: "The database is unavailable; retry after Retry-After seconds (service-unavailable)",
}


def problems(*codes: int) -> dict[int, Any]:
    """OpenAPI documentation of the problem+json answers an operation can give.

    An operation that takes a body (413) can also refuse its media type (415), and any can
    find the database unavailable (503).
    """
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
        for code in sorted({*codes, *((415,) if 413 in codes else ()), 503})
    }
