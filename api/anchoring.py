"""Placing a claim's quote in its article's body.

Offsets are Unicode code points, which is what Python's str indexes, end exclusive
(W3C TextPositionSelector); prefix and suffix form the TextQuoteSelector.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTEXT = 32


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


def occurrences(body: str, quote: str) -> list[int]:
    """Every start offset of quote in body, overlapping ones included."""
    found: list[int] = []
    at = body.find(quote)
    while at != -1:
        found.append(at)
        at = body.find(quote, at + 1)
    return found


def placement_at(body: str, start: int, end: int) -> Placement:
    return Placement(start, end, body[max(0, start - CONTEXT) : start], body[end : end + CONTEXT])


def place_by_span(body: str, quote: str | None, start: int, end: int) -> tuple[str, Placement]:
    """A span given by the client; with no quote the span's text becomes the quote."""
    if end <= start:
        raise SpanMismatch("span.end must be greater than span.start")
    if end > len(body):
        raise SpanMismatch(f"span ends at {end}, after the end of the body ({len(body)} code points)")
    text = body[start:end]
    if quote is not None and text != quote:
        raise SpanMismatch(f"body[{start}:{end}] is {text!r}, not the quote")
    return text, placement_at(body, start, end)


def _context_score(body: str, start: int, end: int, prefix: str | None, suffix: str | None) -> int:
    score = 0
    if prefix:
        if body[:start].endswith(prefix):
            score += 1
        else:
            return -1
    if suffix:
        if body[end:].startswith(suffix):
            score += 1
        else:
            return -1
    return score


def find_quote(body: str, quote: str, prefix: str | None = None, suffix: str | None = None) -> Placement:
    starts = occurrences(body, quote)
    if not starts:
        raise QuoteNotFound("the quote does not occur in the article body")
    if len(starts) == 1:
        return placement_at(body, starts[0], starts[0] + len(quote))
    matching = [s for s in starts if _context_score(body, s, s + len(quote), prefix, suffix) > 0]
    if len(matching) == 1:
        return placement_at(body, matching[0], matching[0] + len(quote))
    shown = matching or starts
    raise QuoteAmbiguous(
        f"the quote occurs {len(starts)} times; give prefix/suffix or span to choose",
        [(s, s + len(quote)) for s in shown],
    )


def replace(
    body: str, quote: str, old_start: int | None, old_end: int | None, prefix: str, suffix: str
) -> Placement | None:
    """Place a stored claim again in a new body; None when it cannot be placed (orphaned)."""
    if old_start is not None and old_end is not None and body[old_start:old_end] == quote:
        return placement_at(body, old_start, old_end)
    starts = occurrences(body, quote)
    if not starts:
        return None
    if len(starts) == 1:
        return placement_at(body, starts[0], starts[0] + len(quote))

    # Several: the one whose stored context still matches best, nearest the old place on ties.
    def rank(s: int) -> tuple[int, int]:
        before = body[:s]
        after = body[s + len(quote) :]
        score = (2 if prefix and before.endswith(prefix) else 0) + (
            2 if suffix and after.startswith(suffix) else 0
        )
        score += 1 if prefix and prefix[-8:] and before.endswith(prefix[-8:]) else 0
        score += 1 if suffix and suffix[:8] and after.startswith(suffix[:8]) else 0
        distance = abs(s - old_start) if old_start is not None else s
        return (-score, distance)

    best = min(starts, key=rank)
    return placement_at(body, best, best + len(quote))
