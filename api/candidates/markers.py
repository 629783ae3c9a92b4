"""The words that make a sentence worth checking, per language, as regular expressions.

Each reason is one pattern per language; ``number`` comes from the quantities module and
``quotation`` is language-free. Patterns are matched case-insensitively on word boundaries.
"""

from __future__ import annotations

import re
from typing import get_args

from schemas.candidates import Reason

# The reasons, in the order they are listed in a candidate (README, "Candidates"): the order of
# the Reason literal the API answers with.
REASONS: tuple[str, ...] = get_args(Reason)

# How much each reason alone says that a sentence is worth checking. A sentence's score is
# 1 - Π(1 - weight) over its reasons, times the damping below.
WEIGHTS = {
    "number": 0.5,
    "first_time": 0.45,
    "superlative": 0.35,
    "comparison": 0.3,
    "attribution": 0.35,
    "quotation": 0.3,
    "causal": 0.3,
    "prediction": 0.3,
}
# A figure that is only a date or a year ("im Jahr 2002", "January 8, 2022").
DATE_ONLY_WEIGHT = 0.35

_W = r"(?<![\w])"
_E = r"(?![\w])"


def _words(*alternatives: str) -> str:
    return _W + "(?:" + "|".join(alternatives) + ")" + _E


PATTERNS: dict[str, dict[str, str]] = {
    "de": {
        "first_time": _words(
            r"erstmal(?:s|ig\w*)", r"zum ersten mal", r"noch nie", r"nie zuvor", r"erstmals"
        ),
        "superlative": _words(
            r"(?:der|die|das|den|dem|des|am|ihre[nm]?|seine[nm]?)\s+(?:\w+\s+)?"
            r"(?!(?:ersten|letzten|nächsten|meisten)\b)\w{3,}(?:ste|sten|ster|stes)",
            r"größte\w*",
            r"höchste\w*",
            r"meisten",
            r"rekord\w*",
            r"beispiellos\w*",
        ),
        "comparison": _words(
            r"\w+er\s+als(?!\s+(?:als\s+)?\d)",
            r"im vergleich\w*",
            r"gegenüber dem vorjahr",
            r"verdoppelt\w*",
            r"verdreifacht\w*",
            r"halbiert\w*",
            r"gestiegen",
            r"gesunken",
            r"stieg\w*",
            r"sank\w*",
            r"zugenommen",
            r"abgenommen",
            r"doppelt so",
            r"halb so",
        ),
        "attribution": _words(
            r"zufolge",
            r"laut",
            r"nach angaben",
            r"nach informationen",
            r"berichte\w*",
            r"sagte\w*",
            r"erklärte\w*",
            r"teilte\w*",
            r"bezeichnete\w*",
            r"behauptete?\w*",
            r"meldete?\w*",
            r"bestätigte\w*",
            r"kündigte\w*",
            r"medienberichte\w*",
            r"auf bitten",
            r"auf anweisung",
            r"auf befehl",
            r"seien",
            r"habe",
        ),
        "causal": _words(
            r"wegen",
            r"weil",
            r"aufgrund",
            r"infolge",
            r"deshalb",
            r"daher",
            r"führte\w* zu\w*",
            r"dazu geführt",
            r"verursacht\w*",
            r"ausgelöst",
            r"als folge",
        ),
        "prediction": _words(
            r"voraussichtlich",
            r"prognos\w+",
            r"erwartet\w*",
            r"rechnet\w* mit",
            r"künftig\w*",
            r"werden\s+\w+\s+(?:werden|wird)",
            r"wird\s+(?:\w+\s+){0,6}\w+en\s*[.!]",
            r"soll(?:en)?\s+(?:\w+\s+){0,6}\w+en\s*[.!]",
            r"bis (?:zum jahr )?20\d\d",
        ),
        "opinion": _words(
            r"ich",
            r"meiner meinung",
            r"meines erachtens",
            r"wir finden",
            r"sollte\w*",
            r"müsste\w*",
            r"hoffentlich",
            r"leider",
            r"wunderbar\w*",
            r"schön\w*",
            r"herrlich\w*",
        ),
    },
    "en": {
        "first_time": _words(r"for the first time", r"first[- ]ever", r"never before", r"unprecedented"),
        "superlative": _words(
            r"(?:the|its|their|his|her)\s+(?:\w+\s+)?(?:most|least)\s+\w+",
            r"(?:largest|biggest|highest|lowest|deadliest|worst|best|greatest|smallest|longest|"
            r"strongest|fastest|oldest|youngest|richest|poorest|heaviest|worst-ever)",
            r"record(?:-\w+)?",
        ),
        "comparison": _words(
            r"\w+er than",
            r"(?:more|less|fewer) than(?!\s+\$?\d)",
            r"compared (?:with|to)",
            r"doubled",
            r"tripled",
            r"halved",
            r"rose",
            r"fell",
            r"increased",
            r"decreased",
            r"up from",
            r"down from",
            r"twice as",
            r"as many as",
        ),
        "attribution": _words(
            r"according to",
            r"said",
            r"says",
            r"told",
            r"reported(?:ly)?",
            r"claimed",
            r"claims",
            r"stated",
            r"announced",
            r"confirmed",
            r"alleged(?:ly)?",
            r"at the request of",
            r"on the orders? of",
        ),
        "causal": _words(
            r"because",
            r"due to",
            r"caused",
            r"causes",
            r"led to",
            r"leads to",
            r"as a result",
            r"resulted in",
            r"owing to",
            r"triggered",
        ),
        "prediction": _words(
            r"will",
            r"is expected to",
            r"are expected to",
            r"forecasts?",
            r"predicts?",
            r"projected",
            r"plans? to",
            r"(?:is|are) set to",
            r"by 20\d\d",
        ),
        "opinion": _words(
            r"i",
            r"i think",
            r"i believe",
            r"in my (?:view|opinion)",
            r"we (?:must|should)",
            r"should",
            r"hopefully",
            r"beautiful",
            r"wonderful",
            r"lovely",
            r"feel(?:s)?",
            r"seems?",
        ),
    },
    "ru": {
        "first_time": _words(r"впервые", r"в первый раз", r"никогда ранее", r"беспрецедентн\w*"),
        "superlative": _words(
            r"сам(?:ый|ая|ое|ые|ого|ой|ом|ых|ым|ыми)\s+\w+",
            r"крупнейш\w*",
            r"наибольш\w*",
            r"наименьш\w*",
            r"рекордн\w*",
            r"худш\w*",
            r"лучш\w*",
            r"\w+ейш(?:ий|ая|ее|ие|их|его|ей|им)",
        ),
        "comparison": _words(
            r"по сравнению",
            r"чем",
            r"вырос\w*",
            r"вырост\w*",
            r"снизил\w*",
            r"сократил\w*",
            r"увеличил\w*",
            r"в (?:два|три|\d+) раза",
            r"вдвое",
        ),
        "attribution": _words(
            r"по данным",
            r"по словам",
            r"по информации",
            r"по сведениям",
            r"заявил\w*",
            r"сообщил\w*",
            r"сообщает\w*",
            r"утверждает\w*",
            r"назвал\w*",
            r"подтвердил\w*",
            r"по просьбе",
            r"по приказу",
        ),
        "causal": _words(
            r"из-за",
            r"потому что",
            r"вследствие",
            r"в результате",
            r"привел\w* к",
            r"привело к",
            r"так как",
            r"поэтому",
            r"в связи с",
        ),
        "prediction": _words(
            r"будет",
            r"будут",
            r"ожидается",
            r"ожидают",
            r"прогноз\w*",
            r"планиру\w+",
            r"намерен\w*",
            r"займ[её]тся",
            r"к 20\d\d",
        ),
        "opinion": _words(
            r"мне кажется",
            r"я думаю",
            r"по-моему",
            r"на мой взгляд",
            r"я считаю",
            r"должны",
            r"надеюсь",
            r"прекрасн\w*",
            r"красив\w*",
        ),
    },
}

# Quotation marks around at least two characters: „…“ "…" «…» “…” ‚…‘.
QUOTATION = re.compile(r"[„“\"«‚‘][^„“\"«»”\n]{2,}?[“”\"»‘’]")
# Links and handles: bylines and embeds, not statements.
BYLINE = re.compile(r"https?://\S+|(?<![\w])@\w+")

COMPILED: dict[str, dict[str, re.Pattern[str]]] = {
    language: {name: re.compile(pattern, re.IGNORECASE) for name, pattern in table.items()}
    for language, table in PATTERNS.items()
}
