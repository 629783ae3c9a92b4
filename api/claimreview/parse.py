"""Reading other fact-checkers' ClaimReview JSON-LD: lenient in shape, strict in types.

Accepted: one ClaimReview, a list of them, a ``@graph``, or a schema.org DataFeed whose
``dataFeedElement`` items are ClaimReviews or DataFeedItems wrapping one (or a list) in
``item``. Nodes whose ``@type`` names something else (an Organization in a ``@graph``) are
passed over; a node without ``@type`` is read as a ClaimReview.

Lenient where publishers differ: ``author`` may be a name, an object or a list (the first is
taken); ``reviewRating`` an object or a list; numbers may be JSON numbers or numeric strings, a
``ratingValue`` in words ("False") becomes the rating's text; ``inLanguage`` a tag or a Language
object, and a tag that is not BCP 47 is dropped; long texts are cut to what a source holds.
Strict where it would be garbage to store: a review needs a ``url`` (http or https: it is the
source's url); values of the wrong JSON type, numbers (numeric strings too) beyond MAX_INTEGER,
unreadable dates and U+0000 are refused, each with a JSON Pointer to it, and then nothing of the
request is stored. The document as a whole was held to the limits of every body by api.body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from api.errors import InvalidRequest
from api.urls import CredentialsInURL, InvalidURL, normalise_url, not_allowed
from schemas.common import MAX_INTEGER

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
MAX_ERRORS = 50
TEXT_LIMITS = {"claim_reviewed": 5_000, "title": 1_000, "publisher": 500, "rating_text": 500}


@dataclass(frozen=True, slots=True)
class Review:
    pointer: str
    url: str
    claim_reviewed: str | None
    title: str | None
    publisher: str | None
    published_at: datetime | None
    language: str | None
    rating: dict[str, Any] | None


class TooManyReviews(Exception):
    pass


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self.refused: list[tuple[str, str]] = []  # well-formed but not allowed: a 422, not a 400

    def add(self, pointer: str, message: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append((pointer, message))

    def refuse(self, pointer: str, message: str) -> None:
        if len(self.refused) < MAX_ERRORS:
            self.refused.append((pointer, message))


def _types(node: dict[str, Any]) -> list[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)]


def nodes(document: Any, limit: int) -> Iterator[tuple[str, Any]]:
    """(pointer, node) for every review candidate, however the document nests them."""
    count = 0

    def walk(value: Any, pointer: str, depth: int) -> Iterator[tuple[str, Any]]:
        nonlocal count
        if isinstance(value, list) and depth < 4:
            for i, item in enumerate(value):
                yield from walk(item, f"{pointer}/{i}", depth + 1)
            return
        if isinstance(value, dict) and depth < 4:
            types = _types(value)
            if "@graph" in value:
                yield from walk(value["@graph"], f"{pointer}/@graph", depth + 1)
                return
            if "DataFeed" in types or ("dataFeedElement" in value and "ClaimReview" not in types):
                yield from walk(value.get("dataFeedElement", []), f"{pointer}/dataFeedElement", depth + 1)
                return
            if "DataFeedItem" in types or ("item" in value and "ClaimReview" not in types):
                yield from walk(value.get("item"), f"{pointer}/item", depth + 1)
                return
            if types and "ClaimReview" not in types:
                return  # another kind of node: passed over
        count += 1
        if count > limit:
            raise TooManyReviews()
        yield pointer, value

    yield from walk(document, "", 0)


def _text(value: Any, pointer: str, errors: _Errors, limit: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return _text(value[0], f"{pointer}/0", errors, limit) if value else None
    if isinstance(value, dict):  # {"@value": ...}, or a named thing
        inner = value.get("@value", value.get("name"))
        key = "@value" if "@value" in value else "name"
        return _text(inner, f"{pointer}/{key}", errors, limit)
    if not isinstance(value, str):
        errors.add(pointer, "must be a string")
        return None
    if "\x00" in value:
        errors.add(pointer, "must not contain the character U+0000")
        return None
    return " ".join(value.split())[:limit] or None


def _number(value: Any, pointer: str, errors: _Errors) -> int | float | str | None:
    """A number; a numeric string as its number; other strings as they are (a rating in words)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors.add(pointer, "must be a number")
        return None
    if isinstance(value, str):
        if "\x00" in value:
            errors.add(pointer, "must not contain the character U+0000")
            return None
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return value.strip()[: TEXT_LIMITS["rating_text"]]
        value = number
    if value != value or value in (float("inf"), float("-inf")):
        errors.add(pointer, "must be a finite number")
        return None
    if not -MAX_INTEGER <= value <= MAX_INTEGER:  # the limit of every body, for numeric strings too
        errors.add(pointer, f"must be a number between -{MAX_INTEGER} and {MAX_INTEGER}")
        return None
    return int(value) if float(value).is_integer() else value


def _rating(value: Any, pointer: str, errors: _Errors) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return _rating(value[0], f"{pointer}/0", errors) if value else None
    if not isinstance(value, dict):
        errors.add(pointer, "must be a Rating object")
        return None
    fields = (("value", "ratingValue"), ("best", "bestRating"), ("worst", "worstRating"))
    rating: dict[str, Any] = {
        key: _number(value.get(name), f"{pointer}/{name}", errors) for key, name in fields
    }
    text = _text(value.get("alternateName"), f"{pointer}/alternateName", errors, TEXT_LIMITS["rating_text"])
    text = text or _text(value.get("name"), f"{pointer}/name", errors, TEXT_LIMITS["rating_text"])
    for key in ("value", "best", "worst"):
        number = rating[key]
        if isinstance(number, str):
            text = text or number
            rating[key] = None
    rating["text"] = text
    return rating if any(v is not None for v in rating.values()) else None


def _date(value: Any, pointer: str, errors: _Errors) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(pointer, "must be an ISO 8601 date or date-time")
        return None
    raw = value.strip()
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        errors.add(pointer, "must be an ISO 8601 date or date-time")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _language(value: Any, pointer: str, errors: _Errors) -> str | None:
    if isinstance(value, dict):  # a schema.org Language: its tag is the alternateName
        value = value.get("alternateName") or value.get("name")
    tag = _text(value, pointer, errors, 35)
    return tag if tag and _LANGUAGE.match(tag) else None


def _url(value: Any, pointer: str, errors: _Errors) -> str | None:
    text = _text(value, pointer, errors, 2_048)
    if text is None:
        if value is None:
            errors.add(pointer, "a review needs its url")
        return None
    try:
        return normalise_url(text)
    except CredentialsInURL as exc:
        errors.refuse(pointer, str(exc))
        return None
    except InvalidURL as exc:
        errors.add(pointer, str(exc))
        return None


def review(node: Any, pointer: str, errors: _Errors) -> Review | None:
    if not isinstance(node, dict):
        errors.add(pointer or "/", "must be a ClaimReview object")
        return None
    at = pointer
    title_key = "headline" if "headline" in node else "name"
    author_key = "author" if "author" in node else "publisher"
    url = _url(node.get("url"), f"{at}/url", errors)
    found = Review(
        pointer=pointer,
        url=url or "",
        claim_reviewed=_text(
            node.get("claimReviewed"), f"{at}/claimReviewed", errors, TEXT_LIMITS["claim_reviewed"]
        ),
        title=_text(node.get(title_key), f"{at}/{title_key}", errors, TEXT_LIMITS["title"]),
        publisher=_text(node.get(author_key), f"{at}/{author_key}", errors, TEXT_LIMITS["publisher"]),
        published_at=_date(node.get("datePublished"), f"{at}/datePublished", errors),
        language=_language(node.get("inLanguage"), f"{at}/inLanguage", errors),
        rating=_rating(node.get("reviewRating"), f"{at}/reviewRating", errors),
    )
    return found if url else None


def reviews(document: Any, limit: int) -> list[Review]:
    """Every review in the document; InvalidRequest listing all problems when any is garbage,
    ``url-not-allowed`` for urls with credentials, TooManyReviews past ``limit``."""
    errors = _Errors()
    found: list[Review] = []
    for pointer, node in nodes(document, limit):
        parsed = review(node, pointer, errors)
        if parsed is not None:
            found.append(parsed)
    if errors.items:
        raise InvalidRequest("the ClaimReview document has values of the wrong type", errors=errors.items)
    if errors.refused:
        raise not_allowed("a review's url must not carry a user name or password", errors.refused)
    if not found:
        raise InvalidRequest(
            "the document holds no ClaimReview", errors=[("", "expected a ClaimReview, a list or a DataFeed")]
        )
    return found
