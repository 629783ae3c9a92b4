"""Constraint aliases, declared once and used by every input Struct.

Every string refuses U+0000 here, at the edge: PostgreSQL text cannot hold it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

import msgspec
from msgspec import Meta

NO_NUL = r"^[^\u0000]*$"

Text = Annotated[str, Meta(max_length=100_000, pattern=NO_NUL)]
Name = Annotated[str, Meta(min_length=1, max_length=500, pattern=NO_NUL)]
Title = Annotated[str, Meta(min_length=1, max_length=1_000, pattern=NO_NUL)]
ClaimText = Annotated[str, Meta(min_length=1, max_length=5_000, pattern=NO_NUL)]
Quote = Annotated[str, Meta(min_length=1, max_length=20_000, pattern=NO_NUL)]
Context = Annotated[str, Meta(max_length=1_000, pattern=NO_NUL)]
Note = Annotated[str, Meta(max_length=20_000, pattern=NO_NUL)]
Excerpt = Annotated[str, Meta(max_length=20_000, pattern=NO_NUL)]
Body = Annotated[str, Meta(min_length=1, max_length=2_000_000, pattern=NO_NUL)]
ExternalId = Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_NUL)]
Tag = Annotated[str, Meta(min_length=1, max_length=100, pattern=NO_NUL)]
Tags = Annotated[list[Tag], Meta(max_length=50)]
# http or https, then no space or control character; url_problem says which one failed.
URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^\u0000-\u0020\u007f]+$"
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):")
Url = Annotated[
    str,
    Meta(
        min_length=8,
        max_length=2_048,
        pattern=URL_PATTERN,
        description="An absolute http or https URL; stored and returned in its normalised form.",
    ),
]


def url_problem(text: str) -> str:
    """Why a string that URL_PATTERN refused is not an absolute http(s) URL, in a client's words."""
    if "\u0000" in text:
        return "must not contain the character U+0000"
    scheme = _SCHEME.match(text)
    if scheme is not None and scheme["scheme"].lower() not in ("http", "https"):
        return f"scheme not allowed: use http or https, not {scheme['scheme'].lower()}:"
    if scheme is None or not text[scheme.end() :].startswith("//"):
        return "must be an absolute URL starting with http:// or https://"
    return "must not contain spaces or control characters"


# A BCP 47 language tag as far as this API checks one: a primary tag and its subtags.
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
Language = Annotated[
    str,
    Meta(
        min_length=2,
        max_length=35,
        pattern=LANGUAGE_PATTERN,
        description="A BCP 47 language tag, e.g. de, en, ru, pt-BR.",
    ),
]
Offset = Annotated[int, Meta(ge=0, le=2_000_000)]
# RFC 3339 requires an offset; a time without one is ambiguous, so it is refused.
Timestamp = Annotated[datetime, Meta(tz=True, description="An RFC 3339 date-time with its UTC offset")]
# A PostgreSQL integer: the type of every version, revision and count column.
Version = Annotated[int, Meta(ge=1, le=2_147_483_647)]
Revision = Version
Count = Annotated[int, Meta(ge=0, le=2_147_483_647)]

# Limits every request body keeps, whatever its schema. The Structs here nest far less deep
# (tests/unit/test_json_limits.py holds every route's body to MAX_DEPTH) and bound the integers
# they use more narrowly; documents read leniently, which may hold anything, are checked against
# both by api.body.
MAX_DEPTH = 32  # arrays and objects inside one another
MAX_INTEGER = 2**53 - 1  # I-JSON (RFC 7493): the largest integer every JSON reader holds exactly
Integer = Annotated[int, Meta(ge=-MAX_INTEGER, le=MAX_INTEGER)]

Status = Literal["unverified", "in_review", "verified", "misleading", "disputed", "false", "unverifiable"]
Relation = Literal["supports", "refutes", "context", "origin"]
SourceKind = Literal[
    "official_statement", "news_report", "social_post", "document", "dataset", "fact_check", "other"
]
# anchored: the quote's words are where the span says; reworded: placed approximately after a
# change of the body, the quote holding the new words (a desk should look again); orphaned: not
# found in the body. Clients must accept values they do not know yet.
AnchorStatus = Literal["anchored", "reworded", "orphaned"]

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T], kw_only=True, frozen=True):
    items: list[T]
    next_cursor: str | None


class FieldError(msgspec.Struct, kw_only=True, frozen=True):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """RFC 9457 problem details, as every error is answered."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] | None = None
    existing_id: str | None = None
    candidates: list[dict[str, int]] | None = None
    # On 412: the version the resource is at, so a client can tell how far behind it is.
    current_version: int | None = None
