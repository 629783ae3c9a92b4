"""What a published ClaimReview must hold, checked offline on every export the tests fetch.

Two checks:

- Google's fact check documentation
  (https://developers.google.com/search/docs/appearance/structured-data/factcheck), written
  down as ``REQUIRED`` and ``RECOMMENDED``: the properties without which Google rejects the
  markup, and those it recommends. A rating's numbers are "for numeric ratings": a rating with
  any of ratingValue, bestRating, worstRating has all three, worst < best, value between them.
- schema.org's types: the document is expanded as JSON-LD (pyld) with the schema.org context
  built here — nothing is downloaded — and every node's types, every property's domain and
  every value's range are looked up in ``VOCABULARY``, the part of schema.org a ClaimReview
  uses, copied from schema.org's vocabulary definitions.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pyld import jsonld

SCHEMA = "https://schema.org/"

# Google: property -> required / recommended, per type (a tuple of names: one of them).
REQUIRED: dict[str, tuple[str | tuple[str, ...], ...]] = {
    "ClaimReview": ("claimReviewed", "reviewRating", "url"),
    "Rating": ("alternateName",),
}
RECOMMENDED: dict[str, tuple[str | tuple[str, ...], ...]] = {
    "ClaimReview": ("author", "datePublished", "itemReviewed"),
    "ClaimReview.author": ("name", "url"),  # the fact check's publisher
    "Claim": ("author", "datePublished", ("appearance", "firstAppearance")),
    "Claim.author": ("name",),  # who made the claim
}

# schema.org, the classes and properties of a ClaimReview: class -> superclasses, property ->
# (domains, ranges). Data types: Text, URL, Number, Date, DateTime.
CLASSES: dict[str, tuple[str, ...]] = {
    "Thing": (),
    "CreativeWork": ("Thing",),
    "Review": ("CreativeWork",),
    "ClaimReview": ("Review",),
    "Claim": ("CreativeWork",),
    "Article": ("CreativeWork",),
    "NewsArticle": ("Article",),
    "ReportageNewsArticle": ("NewsArticle",),
    "SocialMediaPosting": ("Article",),
    "BlogPosting": ("SocialMediaPosting",),
    "DiscussionForumPosting": ("SocialMediaPosting",),
    "Report": ("Article",),
    "WebPage": ("CreativeWork",),
    "WebSite": ("CreativeWork",),
    "MediaObject": ("CreativeWork",),
    "VideoObject": ("MediaObject",),
    "AudioObject": ("MediaObject",),
    "ImageObject": ("MediaObject",),
    "Message": ("CreativeWork",),
    "Book": ("CreativeWork",),
    "Intangible": ("Thing",),
    "Rating": ("Intangible",),
    "Language": ("Intangible",),
    "Organization": ("Thing",),
    "Person": ("Thing",),
}
PROPERTIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "name": (("Thing",), ("Text",)),
    "alternateName": (("Thing",), ("Text",)),
    "url": (("Thing",), ("URL",)),
    "sameAs": (("Thing",), ("URL",)),
    "headline": (("CreativeWork",), ("Text",)),
    "author": (("CreativeWork", "Rating"), ("Organization", "Person")),
    "publisher": (("CreativeWork",), ("Organization", "Person")),
    "datePublished": (("CreativeWork",), ("Date", "DateTime")),
    "dateModified": (("CreativeWork",), ("Date", "DateTime")),
    "inLanguage": (("CreativeWork",), ("Language", "Text")),
    "claimReviewed": (("ClaimReview",), ("Text",)),
    "itemReviewed": (("Review",), ("Thing",)),
    "reviewRating": (("Review",), ("Rating",)),
    "appearance": (("Claim",), ("CreativeWork",)),
    "firstAppearance": (("Claim",), ("CreativeWork",)),
    "ratingValue": (("Rating",), ("Number", "Text")),
    "bestRating": (("Rating",), ("Number", "Text")),
    "worstRating": (("Rating",), ("Number", "Text")),
    "ratingExplanation": (("Rating",), ("Text",)),
}
DATA_TYPES = frozenset({"Text", "URL", "Number", "Date", "DateTime"})

# schema.org's context as far as these terms go: the vocabulary, and urls as IRIs.
CONTEXT = {
    "@vocab": SCHEMA,
    "schema": SCHEMA,
    "url": {"@id": "schema:url", "@type": "@id"},
    "sameAs": {"@id": "schema:sameAs", "@type": "@id"},
}
_CONTEXT_URLS = frozenset(
    {"https://schema.org", "https://schema.org/", "http://schema.org", "http://schema.org/"}
)
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


def _load(url: str, options: Any = None) -> dict[str, Any]:
    if url not in _CONTEXT_URLS:
        raise AssertionError(f"the document names a context other than schema.org's: {url}")
    return {"contextUrl": None, "documentUrl": url, "document": {"@context": CONTEXT}}


def _ancestors(kind: str) -> set[str]:
    found = {kind}
    for parent in CLASSES.get(kind, ()):
        found |= _ancestors(parent)
    return found


def _term(iri: str) -> str | None:
    return iri[len(SCHEMA) :] if iri.startswith(SCHEMA) else None


def _literal_fits(value: Any, ranges: tuple[str, ...]) -> bool:
    if "Number" in ranges and isinstance(value, int | float) and not isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    if "Date" in ranges and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        date.fromisoformat(value)
        return True
    if "DateTime" in ranges and "T" in value:
        return datetime.fromisoformat(value).tzinfo is not None
    if "URL" in ranges:
        return bool(_URL.match(value))
    return "Text" in ranges


def _check_node(node: dict[str, Any], at: str, problems: list[str]) -> set[str]:
    """The node's types (with their superclasses); problems found on the way are appended."""
    kinds: set[str] = set()
    for iri in node.get("@type", []):
        kind = _term(iri)
        if kind not in CLASSES:
            problems.append(f"{at}: @type {iri} is not a schema.org class of a ClaimReview")
            continue
        kinds |= _ancestors(kind)
    for key, values in node.items():
        if key.startswith("@"):
            continue
        name = _term(key)
        if name not in PROPERTIES:
            problems.append(f"{at}: {key} is not a schema.org property of a ClaimReview")
            continue
        domains, ranges = PROPERTIES[name]
        if kinds and not kinds & set(domains):
            problems.append(f"{at}/{name}: not a property of {sorted(kinds)} (domain {domains})")
        for i, value in enumerate(values):
            where = f"{at}/{name}/{i}"
            if "@value" in value:
                if not _literal_fits(value["@value"], ranges):
                    problems.append(f"{where}: {value['@value']!r} is not of {ranges}")
            elif set(value) == {"@id"}:
                if "URL" not in ranges or not _URL.match(value["@id"]):
                    problems.append(f"{where}: {value['@id']!r} is not an absolute URL where {ranges} is due")
            else:
                types = _check_node(value, where, problems)
                classes = set(ranges) - DATA_TYPES
                if not types:
                    problems.append(f"{where}: a node without @type where {ranges} is due")
                elif not types & classes:
                    problems.append(f"{where}: {sorted(types)} is not one of {ranges}")
    return kinds


def schema_org_problems(document: dict[str, Any]) -> list[str]:
    """Where the document's types break schema.org's definitions (empty: none)."""
    if document.get("@context") not in _CONTEXT_URLS:
        return [f"@context must be schema.org's, not {document.get('@context')!r}"]
    problems: list[str] = []
    for i, node in enumerate(jsonld.expand(document, {"documentLoader": _load})):
        _check_node(node, f"/{i}", problems)
    return problems


def _present(node: Any, names: str | tuple[str, ...]) -> bool:
    options = (names,) if isinstance(names, str) else names
    return isinstance(node, dict) and any(node.get(n) not in (None, "", [], {}) for n in options)


def _missing(node: Any, rules: tuple[str | tuple[str, ...], ...], at: str, how: str) -> list[str]:
    return [
        f"{at}: {how} {'/'.join((n,) if isinstance(n, str) else n)} is missing"
        for n in rules
        if not _present(node, n)
    ]


def google_problems(review: dict[str, Any], at: str = "") -> list[str]:
    """What Google would reject (required) or flag (recommended) in one ClaimReview."""
    problems = _missing(review, REQUIRED["ClaimReview"], at, "required")
    problems += _missing(review, RECOMMENDED["ClaimReview"], at, "recommended")
    if review.get("@type") != "ClaimReview":
        problems.append(f"{at}: @type must be ClaimReview")
    url = review.get("url")
    if url is not None and not (isinstance(url, str) and _URL.match(url)):
        problems.append(f"{at}/url: {url!r} is not an absolute http(s) URL")
    rating = review.get("reviewRating")
    if isinstance(rating, dict):
        problems += _missing(rating, REQUIRED["Rating"], f"{at}/reviewRating", "required")
        numbers = [rating.get(k) for k in ("worstRating", "ratingValue", "bestRating")]
        if any(n is not None for n in numbers):
            if any(not isinstance(n, int | float) for n in numbers):
                problems.append(
                    f"{at}/reviewRating: a numeric rating needs ratingValue, bestRating, worstRating"
                )
            elif not (numbers[0] <= numbers[1] <= numbers[2] and numbers[0] < numbers[2]):
                problems.append(f"{at}/reviewRating: ratingValue must lie from worstRating to bestRating")
    author = review.get("author")
    if author is not None:
        problems += _missing(author, RECOMMENDED["ClaimReview.author"], f"{at}/author", "recommended")
        problems += _party_problems(author, f"{at}/author")
    claim = review.get("itemReviewed")
    if isinstance(claim, dict):
        problems += _missing(claim, RECOMMENDED["Claim"], f"{at}/itemReviewed", "recommended")
        claimant = claim.get("author")
        if claimant is not None:
            problems += _missing(
                claimant, RECOMMENDED["Claim.author"], f"{at}/itemReviewed/author", "recommended"
            )
            problems += _party_problems(claimant, f"{at}/itemReviewed/author")
    return problems


def _party_problems(party: Any, at: str) -> list[str]:
    if not isinstance(party, dict) or party.get("@type") not in ("Person", "Organization"):
        return [f"{at}: must be a Person or an Organization"]
    return []


def export_problems(document: dict[str, Any]) -> list[str]:
    """Every problem of an exported document: one ClaimReview or an @graph of them."""
    reviews = document.get("@graph", [document]) if isinstance(document, dict) else []
    at = "/@graph/{}" if "@graph" in document else ""
    problems = schema_org_problems(document)
    for i, review in enumerate(reviews):
        problems += google_problems(review, at.format(i))
    return problems
