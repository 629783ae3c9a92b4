"""Which sentences and clauses of a text are worth checking, and why.

Pure: no database. ``find(body, language)`` segments the body into sentences with sentencex
(it knows abbreviations such as "z. B.", "Nr.", "Dr." and figures such as "3.600"), splits a
sentence further at a spaced dash or a semicolon into clauses (a dateline such as "Almaty - " or an
embedded tweet's byline stands apart from the statement), and scores each part by the reasons
it shows (``markers``). The article's language picks the rules; a part written in Cyrillic
uses the Russian ones whatever the article's language (quoted posts), and a language without
rules gets the language-free reasons only (``number``, ``quotation``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sentencex

from api.candidates import markers
from api.quantities import Quantity, extract, figures, primary

# Default least score of GET /v1/articles/{id}/candidates (README, "Candidates").
DEFAULT_MIN_SCORE = 0.3
# Damping of the score: an opinion ("I think", "sollte"), a question, a fragment of fewer
# than four words, a byline or embed (a link, an @handle).
OPINION = 0.4
QUESTION = 0.3
FRAGMENT = 0.5
BYLINE = 0.5

_CLAUSE_BREAK = re.compile(r"(?<![\d\s])\s+[–—-]\s+(?!\d)|;\s+")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-zÄÖÜäöüß]")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    quote: str
    score: float
    reasons: tuple[str, ...]
    quantities: tuple[Quantity, ...]


def sentences(body: str, language: str | None) -> list[tuple[int, int]]:
    """The sentences of ``body`` as (start, end) code point offsets, without outer whitespace.

    A segment starting with a lower-case letter continues the one before: the segmenter ends a
    sentence after abbreviations it does not know ("164 чел. в т. ч.").
    """
    code = (language or "en").split("-", 1)[0].lower() or "en"
    spans: list[tuple[int, int]] = []
    for boundary in sentencex.get_sentence_boundaries(code, body):
        if boundary["is_paragraph_break"]:
            continue
        start, end = _trimmed(body, boundary["start_index"], boundary["end_index"])
        if start >= end:
            continue
        if spans and body[start].islower() and "\n" not in body[spans[-1][1] : start]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _trimmed(body: str, start: int, end: int) -> tuple[int, int]:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return start, end


def clauses(body: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence split at spaced dashes and semicolons; parts of fewer than three words join
    no other part and are dropped (a dateline, a signature)."""
    parts: list[tuple[int, int]] = []
    position = start
    for m in _CLAUSE_BREAK.finditer(body, start, end):
        parts.append(_trimmed(body, position, m.start()))
        position = m.end()
    parts.append(_trimmed(body, position, end))
    if len(parts) == 1:
        return parts
    return [(s, e) for s, e in parts if len(_WORDS.findall(body[s:e])) >= 3]


def rules_language(text: str, language: str | None) -> str | None:
    """The rules for one part: Russian for Cyrillic script, else the article's language."""
    cyrillic = len(_CYRILLIC.findall(text))
    if cyrillic and cyrillic >= len(_LATIN.findall(text)):
        return "ru"
    return primary(language)


def assess(text: str, language: str | None) -> tuple[float, tuple[str, ...], list[Quantity]]:
    """The score of one sentence or clause, its reasons (in ``markers.REASONS`` order) and its
    quantities (spans within ``text``)."""
    lang = rules_language(text, language)
    quantities = extract(text, lang)
    found: dict[str, float] = {}
    if quantities:
        found["number"] = markers.WEIGHTS["number"]
    elif any(text[s:e].isdigit() or text[s].isdigit() for s, e in figures(text, lang)):
        found["number"] = markers.DATE_ONLY_WEIGHT
    if markers.QUOTATION.search(text):
        found["quotation"] = markers.WEIGHTS["quotation"]
    patterns = markers.COMPILED.get(lang or "", {})
    for reason, pattern in patterns.items():
        if reason != "opinion" and pattern.search(text):
            found[reason] = markers.WEIGHTS[reason]
    if not found:
        return 0.0, (), quantities
    remaining = 1.0
    for weight in found.values():
        remaining *= 1 - weight
    score = 1 - remaining
    unquoted = markers.QUOTATION.sub(" ", text)
    opinion = patterns.get("opinion")
    if opinion is not None and opinion.search(unquoted):
        score *= OPINION
    if text.rstrip('"“”»« ').endswith("?"):
        score *= QUESTION
    if len(_WORDS.findall(text)) < 4:
        score *= FRAGMENT
    if markers.BYLINE.search(text):
        score *= BYLINE
    reasons = tuple(reason for reason in markers.REASONS if reason in found)
    return round(score, 3), reasons, quantities


def find(body: str, language: str | None) -> list[Found]:
    """Every sentence or clause of ``body`` with at least one reason, in text order."""
    out: list[Found] = []
    for sentence_start, sentence_end in sentences(body, language):
        for start, end in clauses(body, sentence_start, sentence_end):
            quote = body[start:end]
            score, reasons, quantities = assess(quote, language)
            if reasons:
                out.append(Found(start, end, quote, score, reasons, tuple(quantities)))
    return out
