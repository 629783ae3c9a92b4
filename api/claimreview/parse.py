"""Reading other fact-checkers' ClaimReview JSON-LD: lenient in shape, strict in types, item by item.

Shapes. One ClaimReview, a list, a ``@graph``, a schema.org DataFeed (``dataFeedElement``, each
a ClaimReview or a DataFeedItem wrapping one or a list in ``item``), an ItemList, at any depth
the body allows. A node whose ``@type`` (or ``type``) names something else — a MediaReview, an
Organization — is searched for ClaimReviews inside it and, holding none, reported as passed
over; a node without a type, where a review may stand, is read as a ClaimReview.

Items. Each ClaimReview is an item of its own: a value of the wrong type, an unreadable date or
a url that is not an absolute http(s) URL fails that item, with JSON Pointers to the values,
and the others are imported. What is guessed is said in the item's ``notes``: a date-time
without a time zone (read as UTC), an author known by its url only (its host is the publisher),
an author list whose Organization is not first, a rating whose number and label disagree.

Lenient where publishers differ: ``author`` may be a name, an object or a list; ``reviewRating``
an object or a list; numbers JSON numbers or numeric strings, a ``ratingValue`` in words
("False") becomes the rating's label; ``inLanguage`` a tag or a Language object (a tag that is
not BCP 47 is dropped); ``appearance`` a url, a CreativeWork or a list; long texts are cut to
what a source holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from urllib.parse import urlsplit

from api.errors import InvalidRequest
from api.urls import CredentialsInURL, InvalidURL, normalise_url
from schemas.common import LANGUAGE_PATTERN, MAX_DEPTH, MAX_INTEGER
from schemas.sources import Appearance, ClaimAsReviewed, Party, PublishedRating, PublishedReview

_LANGUAGE = re.compile(LANGUAGE_PATTERN)
MAX_ERRORS = 50
TEXT_LIMITS = {
    "claim_reviewed": 5_000,
    "title": 1_000,
    "publisher": 500,
    "rating_text": 500,
    "explanation": 5_000,
    "fragment": 500,
}
MAX_LINKS = 20  # appearances of a claim, sameAs urls of a party
# Where reviews are listed: an untyped node inside one of these is read as a ClaimReview.
_CONTAINERS = ("@graph", "dataFeedElement", "itemListElement", "item")
# CreativeWork and the subtypes reviews give for where a claim appeared; others are CreativeWork.
APPEARANCE_TYPES = frozenset(
    {
        "CreativeWork",
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "BlogPosting",
        "SocialMediaPosting",
        "DiscussionForumPosting",
        "WebPage",
        "WebSite",
        "Report",
        "MediaObject",
        "VideoObject",
        "AudioObject",
        "ImageObject",
        "Message",
        "Book",
        "Claim",
    }
)


class TooManyReviews(Exception):
    pass


@dataclass(slots=True)
class Item:
    """What one node of the document became: a review, a node passed over, or a failure."""

    pointer: str
    node: Any = field(default=None, repr=False)  # the node itself, read by ``review``
    review: Review | None = None
    outcome: Literal["created", "updated", "unchanged"] = "unchanged"  # set when stored
    skipped: str | None = None  # why it was passed over
    errors: list[tuple[str, str]] = field(default_factory=list)  # wrong values: the item fails (400)
    refused: list[tuple[str, str]] = field(default_factory=list)  # urls with credentials: fails (422)
    notes: list[tuple[str, str]] = field(default_factory=list)  # what was guessed or doubtful

    def error(self, pointer: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((pointer, message))

    def note(self, pointer: str, message: str) -> None:
        if len(self.notes) < MAX_ERRORS:
            self.notes.append((pointer, message))


@dataclass(frozen=True, slots=True)
class Review:
    page: str  # the normalised url of the page holding the review: the source's url
    stored: PublishedReview


def _token(key: object) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _types(node: dict[str, Any]) -> list[str]:
    value = node["@type"] if "@type" in node else node.get("type")
    values = value if isinstance(value, list) else [value]
    return [re.split(r"[/#:]", v)[-1] for v in values if isinstance(v, str)]


def _is_review(types: list[str]) -> bool:
    return "ClaimReview" in types


def nodes(document: Any, limit: int) -> Iterator[Item]:
    """An Item for every node where a review may stand, however deep the document nests them;
    its ``review`` is filled in by ``read``. TooManyReviews past ``limit`` items."""
    count = 0

    def counted(item: Item) -> Item:
        nonlocal count
        count += 1
        if count > limit:
            raise TooManyReviews()
        return item

    def inside(value: Any, pointer: str, depth: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """Typed ClaimReviews anywhere inside a node of another type."""
        if depth > MAX_DEPTH:
            return
        children = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in children:
            if isinstance(child, dict) and _is_review(_types(child)):
                yield f"{pointer}/{_token(key)}", child
            elif isinstance(child, dict | list):
                yield from inside(child, f"{pointer}/{_token(key)}", depth + 1)

    def walk(value: Any, pointer: str, depth: int) -> Iterator[Item]:
        if depth > MAX_DEPTH:  # the body's own limit keeps documents shallower than this
            return
        if isinstance(value, list):
            for i, child in enumerate(value):
                yield from walk(child, f"{pointer}/{i}", depth + 1)
            return
        if not isinstance(value, dict):
            item = counted(Item(pointer=pointer))
            item.error(pointer or "/", "must be a ClaimReview object")
            yield item
            return
        types = _types(value)
        if _is_review(types):
            yield counted(Item(pointer=pointer, node=value))
            return
        container = next((key for key in _CONTAINERS if key in value), None)
        if container is not None:
            yield from walk(value[container], f"{pointer}/{container}", depth + 1)
            return
        if not types:  # an untyped node where a review stands: read as one
            yield counted(Item(pointer=pointer, node=value))
            return
        found = list(inside(value, pointer, depth + 1))
        for at, node in found:
            yield counted(Item(pointer=at, node=node))
        if not found:
            yield counted(Item(pointer=pointer, skipped=f"@type {types[0]} is not ClaimReview: passed over"))

    yield from walk(document, "", 0)


def _text(value: Any, pointer: str, item: Item, limit: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return _text(value[0], f"{pointer}/0", item, limit) if value else None
    if isinstance(value, dict):  # {"@value": ...}, or a named thing
        inner = value.get("@value", value.get("name"))
        key = "@value" if "@value" in value else "name"
        return _text(inner, f"{pointer}/{key}", item, limit)
    if not isinstance(value, str):
        item.error(pointer, "must be a string")
        return None
    if "\x00" in value:
        item.error(pointer, "must not contain the character U+0000")
        return None
    return value.strip()[:limit] or None


def _number(value: Any, pointer: str, item: Item) -> int | float | str | None:
    """A number; a numeric string as its number; other strings as they are (a rating in words)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        item.error(pointer, "must be a number")
        return None
    if isinstance(value, str):
        if "\x00" in value:
            item.error(pointer, "must not contain the character U+0000")
            return None
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return " ".join(value.split())[: TEXT_LIMITS["rating_text"]]
        value = number
    if value != value or value in (float("inf"), float("-inf")):
        item.error(pointer, "must be a finite number")
        return None
    if not -MAX_INTEGER <= value <= MAX_INTEGER:  # the limit of every body, for numeric strings too
        item.error(pointer, f"must be a number between -{MAX_INTEGER} and {MAX_INTEGER}")
        return None
    return int(value) if float(value).is_integer() else value


# Words of rating labels that say true or false outright; labels with a word of degree
# ("mostly", "half", "teilweise") are not judged. A negation turns true into false.
_TRUE = frozenset(
    {"true", "correct", "accurate", "right", "richtig", "stimmt", "wahr", "zutreffend", "правда", "верно"}
    | {"vrai", "verdadero", "cierto"}
)
_FALSE = frozenset(
    {"false", "fake", "wrong", "incorrect", "untrue", "falsch", "unwahr", "ложь", "ложно", "фейк"}
    | {"неправда", "неверно", "faux", "falso"}
)
_DEGREE = frozenset(
    {"mostly", "half", "partly", "partially", "mixed", "mixture", "largely", "teilweise", "überwiegend"}
    | {"halb", "größtenteils", "weitgehend", "частично", "наполовину", "преимущественно", "partie"}
    | {"plutôt", "parcialmente"}
)
_NEGATION = frozenset(("not", "nicht", "kein", "keine", "не", "no", "pas"))


def label_truth(label: str) -> bool | None:
    """True or False when a rating's label says so outright, else None."""
    words = re.findall(r"\w+", label.lower())
    if not words or _DEGREE & set(words):
        return None
    says_true, says_false = bool(_TRUE & set(words)), bool(_FALSE & set(words))
    if _NEGATION & set(words):
        says_true, says_false = False, says_true or says_false
    if says_true == says_false:
        return None
    return says_true


def _rating(value: Any, pointer: str, item: Item) -> PublishedRating | None:
    if value is None:
        return None
    if isinstance(value, list):
        return _rating(value[0], f"{pointer}/0", item) if value else None
    if not isinstance(value, dict):
        item.error(pointer, "must be a Rating object")
        return None
    fields = (("value", "ratingValue"), ("best", "bestRating"), ("worst", "worstRating"))
    limit = TEXT_LIMITS["rating_text"]
    text = _text(value.get("alternateName"), f"{pointer}/alternateName", item, limit)
    text = text or _text(value.get("name"), f"{pointer}/name", item, limit)
    numbers: dict[str, int | float | None] = {}
    for key, name in fields:
        number = _number(value.get(name), f"{pointer}/{name}", item)
        if isinstance(number, str):  # a rating in words: its label
            text = text or number
            number = None
        numbers[key] = number
    explanation = _text(
        value.get("ratingExplanation"), f"{pointer}/ratingExplanation", item, TEXT_LIMITS["explanation"]
    )
    rating = PublishedRating(
        value=numbers["value"],
        best=numbers["best"],
        worst=numbers["worst"],
        text=text,
        explanation=explanation,
    )
    if all(v is None for v in (rating.value, rating.best, rating.worst, rating.text, rating.explanation)):
        return None
    _check_agreement(rating, pointer, item)
    return rating


def _check_agreement(rating: PublishedRating, pointer: str, item: Item) -> None:
    """A note when the number and the label of a rating disagree ("1 of 6", labelled "True")."""
    if rating.value is None or rating.text is None:
        return
    best = rating.best if rating.best is not None else 5  # schema.org's defaults
    worst = rating.worst if rating.worst is not None else 1
    truth = label_truth(rating.text)
    if truth is None or best == worst:
        return
    position = (rating.value - worst) / (best - worst)  # 0: the worst end of the scale, 1: the best
    if (truth and position < 0.5) or (not truth and position > 0.5):
        end = "worse" if truth else "better"
        item.note(
            pointer,
            f"ratingValue {rating.value} on a scale from {worst} to {best} is in the {end} half, "
            f"but the label {rating.text!r} says {'true' if truth else 'false'}: stored as given",
        )


def _moment(value: Any, pointer: str, item: Item) -> tuple[str | None, datetime | None]:
    """(the date as kept: a day, or a date-time with its offset; the instant it stands for)."""
    if value is None:
        return None, None
    if not isinstance(value, str):
        item.error(pointer, "must be an ISO 8601 date or date-time")
        return None, None
    raw = value.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return day.isoformat(), datetime.combine(day, time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        item.error(pointer, "must be an ISO 8601 date or date-time")
        return None, None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
        item.note(pointer, f"{raw!r} has no time zone: read as UTC ({parsed.isoformat()})")
    return parsed.isoformat(), parsed


def _language(value: Any, pointer: str, item: Item) -> str | None:
    if isinstance(value, dict):  # a schema.org Language: its tag is the alternateName
        value = value.get("alternateName") or value.get("name")
    tag = _text(value, pointer, item, 35)
    return tag if tag and _LANGUAGE.match(tag) else None


def _link(value: Any, pointer: str, item: Item) -> str | None:
    """An absolute http(s) URL, normalised; a url with credentials is refused (422)."""
    text = _text(value, pointer, item, 2_048)
    if text is None:
        return None
    try:
        return normalise_url(text)
    except CredentialsInURL as exc:
        item.refused.append((pointer, str(exc)))
    except InvalidURL as exc:
        item.error(pointer, str(exc))
    return None


def _links(value: Any, pointer: str, item: Item) -> list[str]:
    values = value if isinstance(value, list) else [value]
    at = [f"{pointer}/{i}" for i in range(len(values))] if isinstance(value, list) else [pointer]
    urls = [_link(v, p, item) for v, p in zip(values[:MAX_LINKS], at, strict=False) if v is not None]
    return [url for url in urls if url]


def _party_type(node: dict[str, Any]) -> str | None:
    return next((t for t in _types(node) if t in ("Person", "Organization")), None)


def _party(value: Any, pointer: str, item: Item) -> Party | None:
    """A Person or an Organization: a name, an object, or a list of them (see ``_choose``)."""
    if value is None:
        return None
    if isinstance(value, list):
        if not value:
            return None
        index = _choose(value)
        if index > 0:
            item.note(
                f"{pointer}/{index}",
                f"the author list names {_kind(value[0])} first: the Organization is taken as the publisher",
            )
        return _party(value[index], f"{pointer}/{index}", item)
    if isinstance(value, str):
        name = _text(value, pointer, item, TEXT_LIMITS["publisher"])
        return Party(type=None, name=name, url=None, same_as=[]) if name else None
    if not isinstance(value, dict):
        item.error(pointer, "must be a Person, an Organization or a name")
        return None
    kind = _party_type(value)
    name = _text(value.get("name"), f"{pointer}/name", item, TEXT_LIMITS["publisher"])
    url = _link(value.get("url"), f"{pointer}/url", item) if value.get("url") is not None else None
    same_as = _links(value["sameAs"], f"{pointer}/sameAs", item) if value.get("sameAs") is not None else []
    if name is None and url is None and not same_as:
        return None
    return Party(type=kind, name=name, url=url, same_as=same_as)  # type: ignore[arg-type]


def _kind(value: Any) -> str:
    kind = _party_type(value) if isinstance(value, dict) else None
    return f"a {kind}" if kind else "another author"


def _choose(authors: list[Any]) -> int:
    """The author that published a review: the first Organization, else the first entry."""
    for i, author in enumerate(authors):
        if isinstance(author, dict) and _party_type(author) == "Organization":
            return i
    return 0


def _appearance(value: Any, pointer: str, item: Item) -> Appearance | None:
    if isinstance(value, str):
        url = _link(value, pointer, item)
        return Appearance(type="CreativeWork", url=url, headline=None, date_published=None, publisher=None)
    if not isinstance(value, dict):
        item.error(pointer, "must be a url or a CreativeWork")
        return None
    kind = next((t for t in _types(value) if t in APPEARANCE_TYPES), "CreativeWork")
    url = _link(value.get("url"), f"{pointer}/url", item) if value.get("url") is not None else None
    title_key = "headline" if "headline" in value else "name"
    headline = _text(value.get(title_key), f"{pointer}/{title_key}", item, TEXT_LIMITS["title"])
    published, _ = _moment(value.get("datePublished"), f"{pointer}/datePublished", item)
    by_key = "publisher" if "publisher" in value else "author"
    publisher = _party(value.get(by_key), f"{pointer}/{by_key}", item)
    if url is None and headline is None:
        return None
    return Appearance(type=kind, url=url, headline=headline, date_published=published, publisher=publisher)


def _appearances(value: Any, pointer: str, item: Item) -> list[Appearance]:
    if value is None:
        return []
    if not isinstance(value, list):
        found = _appearance(value, pointer, item)
        return [found] if found else []
    found_all = (_appearance(v, f"{pointer}/{i}", item) for i, v in enumerate(value[:MAX_LINKS]))
    return [found for found in found_all if found]


def _claim(value: Any, pointer: str, item: Item) -> ClaimAsReviewed:
    if isinstance(value, list):
        value = value[0] if value else None
        pointer = f"{pointer}/0"
    if value is not None and not isinstance(value, dict):
        item.error(pointer, "must be a Claim object")
        value = None
    node: dict[str, Any] = value or {}
    author_key = "author" if "author" in node else "creator"
    first = node.get("firstAppearance")
    if isinstance(first, list):
        first = first[0] if first else None
    return ClaimAsReviewed(
        author=_party(node.get(author_key), f"{pointer}/{author_key}", item),
        date_published=_moment(node.get("datePublished"), f"{pointer}/datePublished", item)[0],
        appearances=_appearances(node.get("appearance"), f"{pointer}/appearance", item),
        first_appearance=None if first is None else _appearance(first, f"{pointer}/firstAppearance", item),
    )


def _page(value: Any, pointer: str, item: Item) -> tuple[str, str | None] | None:
    """(the page's normalised url, the review's fragment on it)."""
    if value is None:
        item.error(pointer, "a review needs its url")
        return None
    text = _text(value, pointer, item, 2_048)
    if text is None:
        if not item.errors:
            item.error(pointer, "a review needs its url")
        return None
    page = _link(text, pointer, item)
    if page is None:
        return None
    fragment = urlsplit(text.strip()).fragment.strip()
    return page, fragment[: TEXT_LIMITS["fragment"]] or None


def _note_publisher(author: Party | None, pointer: str, item: Item) -> None:
    """Note that an author without a name is published as the host of its url (the source's
    publisher is read from the stored review, see service._publisher_of)."""
    if author is not None and not author.name and author.url:
        host = urlsplit(author.url).hostname or author.url
        item.note(pointer, f"the author has no name: the host of its url, {host}, is the publisher")


def review(node: dict[str, Any], item: Item) -> None:
    """Fill in ``item.review``, or the item's errors."""
    at = item.pointer
    page = _page(node.get("url"), f"{at}/url", item)
    title_key = "headline" if "headline" in node else "name"
    author_key = "author" if "author" in node else "publisher"
    author = _party(node.get(author_key), f"{at}/{author_key}", item)
    published, _ = _moment(node.get("datePublished"), f"{at}/datePublished", item)
    stored = PublishedReview(
        fragment=page[1] if page else None,
        claim_reviewed=_text(
            node.get("claimReviewed"), f"{at}/claimReviewed", item, TEXT_LIMITS["claim_reviewed"]
        ),
        title=_text(node.get(title_key), f"{at}/{title_key}", item, TEXT_LIMITS["title"]),
        author=author,
        date_published=published,
        date_modified=_moment(node.get("dateModified"), f"{at}/dateModified", item)[0],
        language=_language(node.get("inLanguage"), f"{at}/inLanguage", item),
        rating=_rating(node.get("reviewRating"), f"{at}/reviewRating", item),
        claim=_claim(node.get("itemReviewed"), f"{at}/itemReviewed", item),
    )
    _note_publisher(author, f"{at}/{author_key}", item)
    if page is not None and not item.errors and not item.refused:
        item.review = Review(page=page[0], stored=stored)


def read(document: Any, limit: int) -> list[Item]:
    """Every item of the document, each a review, a node passed over or a failure; InvalidRequest
    when the document holds nothing a review could be read from; TooManyReviews past ``limit``."""
    items = list(nodes(document, limit))
    for item in items:
        if item.skipped is None and not item.errors:
            review(item.node, item)
    if not any(item.skipped is None for item in items):
        passed = [(item.pointer or "/", item.skipped or "") for item in items][:MAX_ERRORS]
        raise InvalidRequest(
            "the document holds no ClaimReview",
            errors=passed or [("", "expected a ClaimReview, a list, a @graph or a DataFeed")],
        )
    return items
