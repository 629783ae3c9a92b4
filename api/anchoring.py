"""Placing a claim's quote in its article's body.

Offsets are Unicode code points, which is what Python's str indexes, end exclusive
(W3C TextPositionSelector); prefix and suffix form the TextQuoteSelector.

A placement starts and ends between user-perceived characters (extended grapheme clusters,
UAX #29, as the ``regex`` package's ``\\X`` finds them): "cafe" is not in "cafe" + U+0301 (an
accented e), and no span may split an emoji ZWJ sequence or a letter from its combining mark.
Quotes are compared under NFC, so a composed quote finds its words in a decomposed body and
the other way round; the body is kept as sent, and a placed claim's quote is the body's own
words (``body[start:end]``), which is what the database checks.

Placement runs for every claim on every body change (``replace``), so it stays cheap: whether
an offset is a boundary is decided from the few code points around it, and only for candidate
matches; a body already in NFC (nearly every one) is searched as it is.
"""

from __future__ import annotations

import functools
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

import regex

CONTEXT = 32

# One extended grapheme cluster. Matched from any offset, \X ends at the next boundary after
# it, judged with the context before it (regional indicator pairs, ZWJ sequences): so
# ``_CLUSTER.match(text, i - 1).end() == i`` says whether i is a boundary without segmenting
# the text from its start. tests/unit/test_anchoring.py checks this against whole segmentation.
_CLUSTER = regex.compile(r"\X")
_NON_ASCII = regex.compile(r"[^\x00-\x7f]+")


@dataclass(frozen=True, slots=True)
class Placement:
    start: int
    end: int
    prefix: str
    suffix: str


class PlacementError(Exception):
    problem: str = ""

    def __init__(self, detail: str, candidates: list[tuple[int, int]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.candidates = candidates or []


class QuoteNotFound(PlacementError):
    problem = "quote-not-found"


class QuoteAmbiguous(PlacementError):
    problem = "quote-ambiguous"


class SpanMismatch(PlacementError):
    problem = "span-mismatch"


def is_boundary(text: str, offset: int) -> bool:
    """Whether ``offset`` lies between two grapheme clusters of ``text`` (or at an end)."""
    if offset <= 0 or offset >= len(text):
        return True
    before, at = text[offset - 1], text[offset]
    if before < "\x7f" and at < "\x7f":  # two ASCII characters: only CR LF is one cluster
        return not (before == "\r" and at == "\n")
    match = _CLUSTER.match(text, offset - 1)
    return match is not None and match.end() == offset


def _cluster_around(text: str, offset: int) -> tuple[int, int]:
    """(start, end) of the grapheme cluster ``offset`` falls inside."""
    start = offset - 1
    while start > 0 and not is_boundary(text, start):
        start -= 1
    match = _CLUSTER.match(text, start)
    return start, match.end() if match is not None else offset


def _on_boundaries(text: str, start: int, end: int) -> bool:
    return is_boundary(text, start) and is_boundary(text, end)


def occurrences(body: str, quote: str) -> list[int]:
    """Every start offset of quote in body, overlapping ones included."""
    found: list[int] = []
    at = body.find(quote)
    while at != -1:
        found.append(at)
        at = body.find(quote, at + 1)
    return found


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True, slots=True)
class _NfcView:
    """A body in NFC, with the way back to the body's offsets.

    NFC changes only some clusters (a letter and its combining marks become one code point);
    ``changed`` lists them as (start in the NFC text, end there, start in the body, end there).
    Offsets between them map one to one; an offset inside a changed cluster has no counterpart.
    """

    text: str
    nfc_starts: list[int]
    changed: list[tuple[int, int, int, int]]

    def to_body(self, offset: int) -> int | None:
        i = bisect_right(self.nfc_starts, offset) - 1
        if i < 0:
            return offset
        nfc_start, nfc_end, body_start, body_end = self.changed[i]
        if offset == nfc_start:
            return body_start
        if offset < nfc_end:
            return None
        return offset - nfc_end + body_end


@functools.lru_cache(maxsize=4)
def _nfc_view(body: str) -> _NfcView | None:
    """The NFC view of a body, None when it is in NFC already (as nearly every body is).

    Cached: an article's claims are placed one after the other in the same body. ASCII
    characters never combine with what precedes them, so the body is normalised piece by piece:
    each run of other characters with the one character before it, and within a piece that
    changes, cluster by cluster.
    """
    if nfc(body) == body:
        return None
    parts: list[str] = []
    changed: list[tuple[int, int, int, int]] = []
    copied = 0  # body offset up to which parts hold the body
    length = 0  # length of the NFC text in parts

    def keep(upto: int) -> None:
        nonlocal copied, length
        parts.append(body[copied:upto])
        length += upto - copied
        copied = upto

    for run in _NON_ASCII.finditer(body):
        start = max(run.start() - 1, copied)
        piece = body[start : run.end()]
        if nfc(piece) == piece:
            continue
        keep(start)
        clusters = [m.group() for m in _CLUSTER.finditer(piece)]
        whole = nfc(piece)
        if "".join(nfc(c) for c in clusters) != whole:  # composition across clusters: keep it whole
            clusters = [piece]
        for cluster in clusters:
            normal = nfc(cluster) if len(clusters) > 1 else whole
            if normal != cluster:
                changed.append((length, length + len(normal), copied, copied + len(cluster)))
            parts.append(normal)
            length += len(normal)
            copied += len(cluster)
    keep(len(body))
    return _NfcView("".join(parts), [c[0] for c in changed], changed)


def placement_at(body: str, start: int, end: int) -> Placement:
    return Placement(start, end, body[max(0, start - CONTEXT) : start], body[end : end + CONTEXT])


def _split_cluster_reason(body: str, name: str, offset: int) -> str:
    start, end = _cluster_around(body, offset)
    shown = " + ".join(f"U+{ord(ch):04X}" for ch in body[start:end])
    return (
        f"{name} {offset} falls inside the character {body[start:end]!r} ({shown}) at [{start}:{end}]: "
        "a span starts and ends between whole characters (grapheme clusters)"
    )


def place_by_span(body: str, quote: str | None, start: int, end: int) -> tuple[str, Placement]:
    """A span given by the client; with no quote the span's text becomes the quote.

    The quote is compared under NFC; what is placed is the body's own words, ``body[start:end]``.
    """
    if end <= start:
        raise SpanMismatch("span.end must be greater than span.start")
    if end > len(body):
        raise SpanMismatch(f"span ends at {end}, after the end of the body ({len(body)} code points)")
    text = body[start:end]
    if quote is not None and text != quote and nfc(text) != nfc(quote):
        raise SpanMismatch(f"body[{start}:{end}] is {text!r}, not the quote")
    for name, offset in (("span.start", start), ("span.end", end)):
        if not is_boundary(body, offset):
            raise SpanMismatch(_split_cluster_reason(body, name, offset))
    return text, placement_at(body, start, end)


def _candidates(body: str, quote: str) -> tuple[list[tuple[int, int]], int]:
    """(start, end) in the body of every occurrence of the quote under NFC that starts and ends
    on grapheme-cluster boundaries, and how many occurrences split a cluster."""
    wanted = nfc(quote)
    view = _nfc_view(body)
    if view is None:
        spans = [(s, s + len(wanted)) for s in occurrences(body, wanted)]
    else:
        spans = []
        for s in occurrences(view.text, wanted):
            start, end = view.to_body(s), view.to_body(s + len(wanted))
            if start is not None and end is not None:
                spans.append((start, end))
            else:
                spans.append((-1, -1))  # inside a cluster NFC changed: never a placement
    whole = [(s, e) for s, e in spans if s >= 0 and _on_boundaries(body, s, e)]
    return whole, len(spans) - len(whole)


def _context_score(body: str, start: int, end: int, prefix: str | None, suffix: str | None) -> int:
    """How many of prefix/suffix match around the span (under NFC); -1 when one given does not."""
    score = 0
    # Under NFC a context may take fewer code points than in the body: compare a window of the
    # body long enough for a letter with several combining marks per character.
    if prefix:
        if body.endswith(prefix, 0, start) or nfc(body[max(0, start - 4 * len(prefix)) : start]).endswith(
            nfc(prefix)
        ):
            score += 1
        else:
            return -1
    if suffix:
        if body.startswith(suffix, end) or nfc(body[end : end + 4 * len(suffix)]).startswith(nfc(suffix)):
            score += 1
        else:
            return -1
    return score


def find_quote(body: str, quote: str, prefix: str | None = None, suffix: str | None = None) -> Placement:
    spans, split = _candidates(body, quote)
    if not spans:
        if split or quote in body:  # found as sent, but not as whole characters
            raise QuoteNotFound(
                "the quote occurs in the article body only as part of larger characters (it would split "
                "a letter from its accent or an emoji sequence); quote whole characters"
            )
        raise QuoteNotFound("the quote does not occur in the article body")
    if len(spans) == 1:
        return placement_at(body, *spans[0])
    matching = [(s, e) for s, e in spans if _context_score(body, s, e, prefix, suffix) > 0]
    if len(matching) == 1:
        return placement_at(body, *matching[0])
    raise QuoteAmbiguous(
        f"the quote occurs {len(spans)} times; give prefix/suffix or span to choose", matching or spans
    )


def place_quote(
    body: str, quote: str, prefix: str | None = None, suffix: str | None = None
) -> tuple[str, Placement]:
    """(the body's words, placement) for a quote found in the body: the words equal the quote
    under NFC, and are what the claim stores."""
    where = find_quote(body, quote, prefix, suffix)
    return body[where.start : where.end], where


def replace(
    body: str, quote: str, old_start: int | None, old_end: int | None, prefix: str, suffix: str
) -> Placement | None:
    """Place a stored claim again in a new body; None when it cannot be placed (orphaned).

    The stored quote is the old body's words and stays the claim's quote, so it is looked for
    as it is, on whole characters.
    """
    if (
        old_start is not None
        and old_end is not None
        and body[old_start:old_end] == quote
        and _on_boundaries(body, old_start, old_end)
    ):
        return placement_at(body, old_start, old_end)
    end_of = len(quote)
    starts = [s for s in occurrences(body, quote) if _on_boundaries(body, s, s + end_of)]
    if not starts:
        return None
    if len(starts) == 1:
        return placement_at(body, starts[0], starts[0] + end_of)

    # Several: the one whose stored context still matches best, nearest the old place on ties.
    # endswith/startswith with bounds compare in place: no copy of the body per candidate.
    def rank(s: int) -> tuple[int, int]:
        end = s + end_of
        score = (2 if prefix and body.endswith(prefix, 0, s) else 0) + (
            2 if suffix and body.startswith(suffix, end) else 0
        )
        score += 1 if prefix and body.endswith(prefix[-8:], 0, s) else 0
        score += 1 if suffix and body.startswith(suffix[:8], end) else 0
        distance = abs(s - old_start) if old_start is not None else s
        return (-score, distance)

    best = min(starts, key=rank)
    return placement_at(body, best, best + end_of)
