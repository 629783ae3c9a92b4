"""Carrying a claim across a change of its article's body, as a careful editor would.

Three steps, for each claim (docs/architecture.md, "Re-anchoring"):

1. exact at its old span;
2. the exact quote elsewhere, chosen by prefix and suffix, then by nearness to the old place
   (``anchoring.replace``); then the same with typography and whitespace set aside (quotation
   marks, dashes, line wraps), where the words are still the same;
3. approximate: the quote's best matches allowing at most min(256, len(quote) / 2) edits
   (edlib's infix alignment, Myers' bit-parallel algorithm), snapped to word boundaries and
   scored as hypothes.is scores its anchors: quote, prefix and suffix similarity and closeness
   to the old place, weighed 50 : 20 : 20 : 2. The best is accepted when its words are close
   enough to the quote and its score reaches the threshold, or when its words alone are nearly
   the quote's (a paragraph moved and corrected has no context left); else it is orphaned.

``anchored`` means the quote's words are unchanged (typography aside); ``reworded`` that the
claim was placed approximately, its quote now holding the new words.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import edlib
from rapidfuzz.distance import Levenshtein

from api.anchoring import CONTEXT, Placement, is_boundary, occurrences, placement_at, replace

Outcome = Literal["anchored", "reworded", "orphaned"]

QUOTE_WEIGHT, PREFIX_WEIGHT, SUFFIX_WEIGHT, POSITION_WEIGHT = 50, 20, 20, 2
_TOTAL_WEIGHT = QUOTE_WEIGHT + PREFIX_WEIGHT + SUFFIX_WEIGHT + POSITION_WEIGHT

# Below this similarity of the quote alone a match is another sentence, whatever its context.
MIN_QUOTE_SIMILARITY = 0.6
# At or above it the words alone say it is the same sentence: a paragraph that moved and had a
# word changed keeps none of its context, so its score would fall short of the threshold.
WORDS_ALONE_SIMILARITY = 0.9
# The least score (quote, prefix, suffix and position, 50 : 20 : 20 : 2) of an approximate
# match between these two (CLAIMTRACK_REANCHOR_THRESHOLD). Measured on the edit set
# (tests/reanchor_cases.py): the same sentence reworded in place scores 0.90 and more, the
# nearest wrong sentence 0.32; 0.75 leaves a wide margin both ways.
DEFAULT_THRESHOLD = 0.75

# How far around the old place the approximate search looks first, beyond the quote's length.
_NEAR = 2_000


@dataclass(frozen=True, slots=True)
class Reanchored:
    outcome: Outcome
    placement: Placement | None
    quote: str  # the words at the new place: the old quote unless reworded or retypeset
    score: float | None = None  # the approximate match's score (step 3 only)


# ---- typography set aside -------------------------------------------------------------------

_QUOTES = "\"'«»‹›„“”‟‚‘’‛「」『』"
_DASHES = "‐‑‒–—―−"
_TYPOGRAPHY = str.maketrans({**dict.fromkeys(_QUOTES, '"'), **dict.fromkeys(_DASHES, "-")})
# Words, runs of white space, and soft hyphens (a line-break hint, not a character of the words).
_TOKENS = re.compile(r"[^\s\u00ad]+|\s+|\u00ad+")


def folded(text: str) -> tuple[str, list[int]]:
    """``text`` with quotation marks, dashes and runs of white space made uniform, and for each
    of its characters the offset in ``text`` where it came from."""
    out: list[str] = []
    origin: list[int] = []
    typeset = text.translate(_TYPOGRAPHY)  # one for one: offsets are unchanged
    for token in _TOKENS.finditer(typeset):
        first = token.group()[0]
        if first == "\u00ad":
            continue
        if first.isspace():
            out.append(" ")
            origin.append(token.start())
        else:
            out.append(token.group())
            origin.extend(range(token.start(), token.end()))
    return "".join(out), origin


# The same new body is folded once for all of an article's claims.
_folded_body = functools.lru_cache(maxsize=4)(folded)


def same_words(a: str, b: str) -> bool:
    return folded(a)[0].strip() == folded(b)[0].strip()


# ---- word boundaries ------------------------------------------------------------------------


def _wordish(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or unicodedata.combining(ch) != 0


def snap(body: str, start: int, end: int, quote: str) -> tuple[int, int]:
    """A match widened to whole words where the quote begins and ends with a word, and trimmed
    of white space the quote does not have at its ends."""
    if quote and _wordish(quote[0]):
        while 0 < start < len(body) and _wordish(body[start - 1]) and _wordish(body[start]):
            start -= 1
    if quote and _wordish(quote[-1]):
        while 0 < end < len(body) and _wordish(body[end - 1]) and _wordish(body[end]):
            end += 1
    # Whole characters as a reader sees them: a combining mark or the rest of an emoji
    # sequence belongs to the character before it.
    while start > 0 and not is_boundary(body, start):
        start -= 1
    while end < len(body) and not is_boundary(body, end):
        end += 1
    if quote and not quote[0].isspace():
        while start < end and body[start].isspace():
            start += 1
    if quote and not quote[-1].isspace():
        while end > start and body[end - 1].isspace():
            end -= 1
    return start, end


# ---- scoring --------------------------------------------------------------------------------


def _similarity(expected: str, actual: str) -> float:
    if not expected and not actual:
        return 1.0
    if not expected or not actual:
        return 0.0
    return float(Levenshtein.normalized_similarity(expected, actual))


def score(
    body: str, start: int, end: int, quote: str, prefix: str, suffix: str, hint: int | None
) -> tuple[float, float]:
    """(score 0..1, quote similarity 0..1) of the words body[start:end] as the claim's place."""
    words = body[start:end]
    quote_score = _similarity(quote, words)
    prefix_score = _similarity(prefix, body[max(0, start - len(prefix)) : start]) if prefix else 0.5
    suffix_score = _similarity(suffix, body[end : end + len(suffix)]) if suffix else 0.5
    position_score = 1 - abs(start - hint) / max(len(body), 1) if hint is not None else 0.5
    total = (
        QUOTE_WEIGHT * quote_score
        + PREFIX_WEIGHT * prefix_score
        + SUFFIX_WEIGHT * suffix_score
        + POSITION_WEIGHT * position_score
    ) / _TOTAL_WEIGHT
    return total, quote_score


def _approximate_matches(body: str, quote: str, offset: int = 0) -> list[tuple[int, int]]:
    """Start and end (exclusive) of the quote's best infix alignments in ``body``."""
    k = min(256, len(quote) // 2)
    if k == 0 or not body:
        return []
    found = edlib.align(quote, body, mode="HW", task="locations", k=k)
    if found["editDistance"] < 0:
        return []
    seen: dict[int, int] = {}
    for s, e in found["locations"]:
        seen.setdefault(s + offset, e + 1 + offset)  # edlib's ends are inclusive
    return list(seen.items())


def reanchor(
    body: str,
    quote: str,
    old_start: int | None,
    old_end: int | None,
    prefix: str,
    suffix: str,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> Reanchored:
    """Where the claim goes in the new ``body``; pure, so the same edit always gives the same."""
    exact = replace(body, quote, old_start, old_end, prefix, suffix)
    if exact is not None:
        return Reanchored("anchored", exact, quote)

    hint = old_start
    typeset = _same_words_elsewhere(body, quote, prefix, suffix, hint)
    if typeset is not None:
        return Reanchored("anchored", typeset, body[typeset.start : typeset.end])

    def accepted(best: tuple[float, float, int, int] | None) -> bool:
        return (
            best is not None
            and best[1] >= MIN_QUOTE_SIMILARITY
            and (best[0] >= threshold or best[1] >= WORDS_ALONE_SIMILARITY)
        )

    # Near the old place first (the usual correction), the whole body only when that fails.
    best: tuple[float, float, int, int] | None = None
    if hint is not None:
        lo = max(0, hint - len(quote) - _NEAR)
        hi = min(len(body), hint + 2 * len(quote) + _NEAR)
        best = _best(body, _approximate_matches(body[lo:hi], quote, lo), quote, prefix, suffix, hint)
    if not accepted(best) and (hint is None or lo > 0 or hi < len(body)):
        anywhere = _best(body, _approximate_matches(body, quote), quote, prefix, suffix, hint)
        if best is None or (anywhere is not None and anywhere[:1] > best[:1]):
            best = anywhere
    if best is None or not accepted(best):
        return Reanchored("orphaned", None, quote, best[0] if best else None)
    total, _, s, e = best
    return Reanchored("reworded", placement_at(body, s, e), body[s:e], round(total, 4))


def _best(
    body: str, candidates: list[tuple[int, int]], quote: str, prefix: str, suffix: str, hint: int | None
) -> tuple[float, float, int, int] | None:
    """(score, quote similarity, start, end) of the best candidate, snapped to words."""
    best: tuple[float, float, int, int] | None = None
    for s, e in candidates:
        s, e = snap(body, s, e, quote)
        if e <= s:
            continue
        total, quote_score = score(body, s, e, quote, prefix, suffix, hint)
        if best is None or (total, -s) > (best[0], -best[2]):
            best = (total, quote_score, s, e)
    return best


def _same_words_elsewhere(
    body: str, quote: str, prefix: str, suffix: str, hint: int | None
) -> Placement | None:
    """The quote's words where only typography or white space differ, placed as in step 2."""
    folded_quote = folded(quote)[0].strip()
    if not folded_quote:
        return None
    folded_body, origin = _folded_body(body)
    starts = occurrences(folded_body, folded_quote)
    if not starts:
        return None

    def span(fs: int) -> tuple[int, int]:
        fe = fs + len(folded_quote)
        return origin[fs], (origin[fe - 1] + 1)

    def rank(fs: int) -> tuple[float, int]:
        s, e = span(fs)
        total, _ = score(body, s, e, quote, prefix[-CONTEXT:], suffix[:CONTEXT], hint)
        return (-total, abs(s - hint) if hint is not None else s)

    s, e = span(min(starts, key=rank))
    return placement_at(body, s, e)


# ---- numbers --------------------------------------------------------------------------------

# Groups of thousands apart by a point, a comma or any white space, a line break included: a
# figure wrapped across lines is the same figure (typography is no change of words).
_NUMBER = re.compile(r"\d+(?:[.,\s]\d{3})*(?:[.,]\d+)?")


def numbers(text: str) -> list[str]:
    """The figures a text names, spelled without separators, in order."""
    return [re.sub(r"[^\d]", "", n) for n in _NUMBER.findall(text)]


def numbers_changed(old_quote: str, new_quote: str) -> bool:
    return numbers(old_quote) != numbers(new_quote)
