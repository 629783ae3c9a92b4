"""Numbers in a sentence, read as the interval their words allow and what they count.

``extract("Mindestens 164 Tote bei Protesten", "de")`` gives one ``Quantity``: value 164,
interval [164, ∞), qualifier ``at_least``, unit "Tote", key "killed". ``figures`` finds every
figure, dates included, for the ``number`` reason of candidates; quantities leave dates out.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import snowballstemmer

from api.quantities import words
from schemas.common import MAX_INTEGER

Qualifier = Literal["exact", "about", "at_least", "more_than", "at_most", "less_than", "range"]
# "about" allows ±10 %; "fast 6000" is [5400, 6000], "gut 150" [150, 165].
ABOUT = 0.1

_SPACES = "\u00a0\u202f\u2009\u2007 "
# One figure: digit groups of three after 1-3 digits (with a separator: space, no-break or thin
# space, point, comma, apostrophe) or plain digits, each with an optional decimal part.
_FIGURE = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[" + _SPACES + r".,'’]\d{3})+(?![\d])(?:[.,]\d+(?![.,]?\d))?"
    r"|\d+(?:[.,]\d+)?)(?![\w])"
)
_WORD = re.compile(r"[\w$€£%][\w.\-’']*|[$€£%]")
_STEMMERS = {"de": "german", "en": "english", "ru": "russian"}


def primary(language: str | None) -> str | None:
    """The language's rules to use: de, en, ru, or None for every other language."""
    if not language:
        return None
    code = language.split("-", 1)[0].lower()
    return code if code in words.QUALIFIERS else None


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float
    low: float | None
    high: float | None
    qualifier: Qualifier
    unit: str | None
    key: str | None
    text: str
    start: int
    end: int

    def as_json(self) -> dict[str, object]:
        return {
            "value": _plain(self.value),
            "low": _plain(self.low),
            "high": _plain(self.high),
            "qualifier": self.qualifier,
            "unit": self.unit,
            "key": self.key,
            "text": self.text,
            "span": {"start": self.start, "end": self.end},
        }


def _plain(number: float | None) -> float | int | None:
    """Whole numbers as integers, the rest rounded to what a text can say. An integer past
    MAX_INTEGER stays a float: as an int it would claim digits the float never had (1e20 is not
    99999999999999999999), and JSON readers hold integers exactly only up to it."""
    if number is None:
        return None
    if float(number).is_integer() and -MAX_INTEGER <= number <= MAX_INTEGER:
        return int(number)
    return round(number, 6)


@dataclass(frozen=True, slots=True)
class _Figure:
    value: float
    start: int
    end: int
    is_word: bool = False


def _parse(raw: str, lang: str | None) -> float:
    """A figure's digits by the language's separators; a space or apostrophe always groups."""
    digits = raw
    for space in _SPACES + "'’":
        digits = digits.replace(space, "")
    grouped = re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?", digits) is not None
    if lang in ("de", "ru"):
        decimal, group = ",", "."
    elif lang == "en":
        decimal, group = ".", ","
    elif "." in digits and "," in digits:
        # Unknown language: the mark that comes last is the decimal one.
        decimal = "." if digits.rfind(".") > digits.rfind(",") else ","
        group = "," if decimal == "." else "."
    else:
        # One kind of mark before groups of three is grouping ("20.000", "3,600").
        mark = "." if "." in digits else ","
        decimal, group = ("_", mark) if grouped and digits.count(mark) >= 1 else (mark, "_")
    if lang == "en" and "." in digits and "," not in digits:
        group = "_"  # "3.600" in English is three point six
    if lang in ("de", "ru") and "." in digits and "," not in digits and not grouped:
        decimal = "."  # "1.5" where the groups do not fit: a decimal point
    if lang == "en" and "," in digits and "." not in digits and not grouped:
        decimal = ","  # "1,5" in English text
    cleaned = digits.replace(group, "").replace(decimal, ".")
    try:
        return float(cleaned)
    except ValueError:
        return float(re.sub(r"[^\d]", "", digits) or 0)


def _scan_figures(text: str, lang: str | None) -> list[_Figure]:
    found: list[_Figure] = []
    for m in _FIGURE.finditer(text):
        start, end = m.span()
        # "COVID-19", "Su-25", "G7": part of a name.
        if start >= 2 and text[start - 1] in "-‐" and text[start - 2].isalpha():
            continue
        if text[start - 1 : start] in ("/", "@", "#", "_"):
            continue
        if start >= 2 and text[start - 1] == ":" and text[start - 2].isdigit():
            continue  # the minutes of a clock time
        value = _parse(m.group(0), lang)
        if not math.isfinite(value):
            continue  # more digits than a double holds: no number to compare, nor to store
        found.append(_Figure(value, start, end))
    if lang is not None:
        table = words.NUMBER_WORDS[lang]
        pattern = _word_pattern(lang, "numbers", table)
        for m in pattern.finditer(text):
            found.append(_Figure(float(table[m.group(0).lower()]), m.start(), m.end(), is_word=True))
    found.sort(key=lambda f: f.start)
    return found


_PATTERNS: dict[tuple[str, str], re.Pattern[str]] = {}


def _word_pattern(lang: str, name: str, table: Iterable[str]) -> re.Pattern[str]:
    key = (lang, name)
    pattern = _PATTERNS.get(key)
    if pattern is None:
        alternatives = sorted(table, key=len, reverse=True)
        body = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in alternatives)
        pattern = re.compile(rf"(?<![\w])(?:{body})(?![\w])", re.IGNORECASE)
        _PATTERNS[key] = pattern
    return pattern


def _next_words(text: str, at: int, count: int) -> list[tuple[str, int, int]]:
    """Up to ``count`` words after ``at`` within the sentence (stops at . ; : ! ? and dashes)."""
    out: list[tuple[str, int, int]] = []
    position = at
    while len(out) < count:
        m = _WORD.search(text, position)
        if m is None:
            break
        between = text[position : m.start()]
        if any(stop in between for stop in ".;:!?–—\n") and out:
            break
        if any(stop in between for stop in ".;!?–—\n"):
            break  # the sentence ended: "… 1,234. There were …"
        word = m.group(0)
        # A trailing full stop ends the sentence unless it belongs to an abbreviation.
        if word.endswith(".") and len(word) > 5:
            word = word[:-1]
        out.append((word, m.start(), m.start() + len(word)))
        position = m.start() + len(word)
    return out


def _previous_words(text: str, at: int, count: int) -> list[str]:
    before = text[max(0, at - 60) : at]
    return [w.lower() for w in re.findall(r"[\w.]+", before)[-count:]]


def _scale_after(text: str, end: int, lang: str | None) -> tuple[float, int]:
    """The multiplier of a scale word right after a figure, and where the words end."""
    tables = [words.SCALES[lang]] if lang else []
    following = _next_words(text, end, 1)
    if not following or not tables:
        return 1.0, end
    word, _, word_end = following[0]
    if text[end:word_end].count(" ") > 2:
        return 1.0, end
    for table in tables:
        for candidate in (word.lower(), word.lower() + "."):
            if candidate in table and text[word_end - len(word) : word_end].lower().startswith(word.lower()):
                # "тыс." and "Mio." carry their point
                stop = word_end + 1 if candidate.endswith(".") and not word.endswith(".") else word_end
                return table[candidate], stop if text[word_end : word_end + 1] == "." else word_end
    return 1.0, end


def _percent_after(text: str, end: int) -> int | None:
    rest = text[end : end + 16].lower()
    stripped = rest.lstrip(_SPACES)
    for word in words.PERCENT_WORDS:
        if stripped.startswith(word):
            after = end + (len(rest) - len(stripped)) + len(word)
            if word == "%" or not text[after : after + 1].isalpha() or word.startswith("процент"):
                while after < len(text) and text[after].isalpha():
                    after += 1
                return after
    return None


def _currency_around(text: str, start: int, end: int) -> tuple[str | None, str | None, int, int]:
    """A currency written before ("$5") or after ("5 Euro") a figure: (unit, key, start, end)."""
    before = text[max(0, start - 6) : start]
    m = re.search(rf"(US\$|[$€£])[{_SPACES}]*$", before)
    if m is not None:
        symbol = m.group(1)
        return symbol, words.CURRENCIES[symbol.lower()], start - (len(before) - m.start(1)), end
    following = _next_words(text, end, 1)
    if following:
        word, _, word_end = following[0]
        if word.lower() in words.CURRENCIES and text[end : word_end - len(word)].strip(_SPACES) == "":
            return word, words.CURRENCIES[word.lower()], start, word_end
    return None, None, start, end


@functools.lru_cache(maxsize=8192)
def _stem(word: str, lang: str | None) -> str:
    lowered = word.lower().replace("ё", "е")
    algorithm = _STEMMERS.get(lang or "")
    if algorithm is None:
        return lowered
    return str(_stemmer(algorithm).stemWord(lowered))


@functools.cache
def _stemmer(algorithm: str) -> Any:
    return snowballstemmer.stemmer(algorithm)


@functools.lru_cache(maxsize=8192)
def concept(word: str, lang: str | None) -> str | None:
    """The concept a word counts ("killed" for Tote, getötet, погибших), if it is one of them."""
    lowered = word.lower().replace("ё", "е")
    for name, entries in words.CONCEPTS.items():
        for entry in entries:
            only = words.CONCEPT_LANGUAGES.get(entry)
            if only is not None and only != lang:
                continue
            cyrillic = "а" <= entry[0] <= "я"
            if lowered == entry or ((cyrillic or len(entry) >= 6) and lowered.startswith(entry)):
                return name
    return None


def unit_key(unit: str, lang: str | None) -> str:
    """What a unit counts, normalised so that its forms compare: the concept, else the stem."""
    lowered = unit.lower()
    if lowered == "%":
        return "%"
    if lowered in words.CURRENCIES:
        return words.CURRENCIES[lowered]
    return concept(unit, lang) or _stem(unit, lang)


def _unit_after(text: str, start: int, end: int, lang: str | None) -> tuple[str | None, str | None, int]:
    """The word after a figure that says what it counts, and its key (see ``unit_key``).

    German: the next capitalised noun, passing up to two adjectives ("2.500 ausländische
    Soldaten"). English and Russian: the next word, passing known adjectives. A count of
    people takes the key of a participle next to it ("150 Menschen getötet", "погибли 164
    человека": killed). Returns the unit, its key and where the unit ends.
    """
    if lang is None:
        return None, None, end
    stop = words.STOPWORDS[lang]
    following = _next_words(text, end, 5)
    unit: str | None = None
    unit_end = end
    index = 0
    for index, (raw_word, word_start, raw_end) in enumerate(following[:3]):
        word = raw_word.rstrip(".")
        word_end = raw_end - (len(raw_word) - len(word))
        lowered = word.lower()
        if not word:
            break
        gap = text[following[index - 1][2] if index else end : word_start]
        if lowered in stop or not word[0].isalpha() or any(mark in gap for mark in ',;:()"„“«»'):
            break
        if lang == "de":
            if word[0].isupper():
                unit, unit_end = word, word_end
                break
            continue
        modifiers = words.MODIFIERS.get(lang, frozenset())
        endings = words.MODIFIER_ENDINGS.get(lang, ())
        is_modifier = lowered in modifiers or (len(lowered) > 4 and lowered.endswith(endings))
        if is_modifier and index + 1 < len(following) and following[index + 1][0].lower() not in stop:
            continue
        unit, unit_end = word, word_end
        break
    nearby = [w for w, _, _ in following[index + 1 : index + 4]] if unit else [w for w, _, _ in following[:3]]
    nearby += [w for w in _previous_words(text, start, 2)]
    if unit is None:
        # "150 were killed": no word names it, but the participle says what is counted.
        for word in nearby:
            found = concept(word, lang)
            if found is not None and found not in words.GENERIC_CONCEPTS:
                return None, found, end
        return None, None, end
    key = unit_key(unit, lang)
    if key in words.GENERIC_CONCEPTS:
        for word in nearby:
            found = concept(word, lang)
            if found is not None and found not in words.GENERIC_CONCEPTS:
                return unit, found, unit_end
    return unit, key, unit_end


_MONTHS = tuple(month for table in words.MONTHS.values() for month in table)
_MONTH_WORDS = frozenset(month.rstrip(".") for month in _MONTHS)


def _is_date(text: str, figure: _Figure, lang: str | None) -> bool:
    """A day of a month, a year, or a clock time: a figure, but not a quantity."""
    after = text[figure.end : figure.end + 20].lower().lstrip(". " + _SPACES[:-1])
    if after.startswith(_MONTHS) and figure.value <= 31:
        return True
    if text[figure.end : figure.end + 1] == ":" and text[figure.end + 1 : figure.end + 2].isdigit():
        return True
    if re.match(r"(?:a\.m\.|p\.m\.|am\b|pm\b|uhr\b|час)", after):
        return True
    previous = _previous_words(text, figure.start, 2)
    if previous and previous[-1].rstrip(".") in _MONTH_WORDS and figure.value <= 31:
        return True
    is_year = figure.value.is_integer() and 1000 <= figure.value <= 2100 and not figure.is_word
    raw = text[figure.start : figure.end]
    if is_year and raw.isdigit():
        if after.startswith(words.YEAR_UNITS):
            return True
        if previous and previous[-1] in words.YEAR_BEFORE:
            return True
        if previous and previous[-1].rstrip(".") in _MONTH_WORDS:
            return True
    return False


def figures(text: str, language: str | None) -> list[tuple[int, int]]:
    """Every figure in ``text`` as (start, end), dates and years included."""
    return [(f.start, f.end) for f in _scan_figures(text, primary(language))]


def _qualifier_before(text: str, start: int, lang: str | None) -> tuple[str | None, int]:
    if lang is None:
        return None, start
    before = text[max(0, start - 40) : start]
    pattern = _PATTERNS.get((lang, "qualifier_tail"))
    if pattern is None:
        alternatives = sorted(words.QUALIFIERS[lang], key=len, reverse=True)
        body = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in alternatives)
        pattern = re.compile(rf"(?<![\w])({body})[{_SPACES}]*(?:[$€£]|US\$)?[{_SPACES}]*$", re.IGNORECASE)
        _PATTERNS[(lang, "qualifier_tail")] = pattern
    m = pattern.search(before)
    if m is None:
        return None, start
    phrase = re.sub(r"\s+", " ", m.group(1).lower())
    return words.QUALIFIERS[lang][phrase], start - (len(before) - m.start(1))


def _trailing_qualifier(text: str, end: int, lang: str | None) -> tuple[str | None, int]:
    if lang is None:
        return None, end
    for phrase, qualifier in words.TRAILING_QUALIFIERS[lang].items():
        m = re.match(rf"[{_SPACES}]*{re.escape(phrase)}(?![\w])", text[end : end + 24], re.IGNORECASE)
        if m:
            return qualifier, end + m.end()
    return None, end


def _range_after(text: str, figure: _Figure, following: list[_Figure], lang: str | None) -> _Figure | None:
    """The second figure of "150 bis 200", "150-200" (any dash), "between 150 and 200"."""
    if not following:
        return None
    other = following[0]
    between = text[figure.end : other.start]
    if re.fullmatch(rf"[{_SPACES}]*[-–—][{_SPACES}]*", between):
        return other
    if lang is None:
        return None
    joiners = "|".join(words.RANGE_JOINERS[lang])
    m = re.fullmatch(rf"[{_SPACES}]*(?:{joiners})[{_SPACES}]*", between, re.IGNORECASE)
    if m is None:
        return None
    word = between.strip(_SPACES).lower()
    if word in ("und", "and", "и"):
        # "and" makes a range only after "zwischen"/"between"/"между".
        opener = _previous_words(text, figure.start, 1)
        if not opener or opener[-1] not in words.RANGE_OPENERS[lang]:
            return None
    return other


def extract(text: str, language: str | None) -> list[Quantity]:
    """The quantities ``text`` names, in text order; dates and years are not quantities."""
    lang = primary(language)
    found = _scan_figures(text, lang)
    out: list[Quantity] = []
    index = 0
    while index < len(found):
        figure = found[index]
        index += 1
        if out and figure.start < out[-1].end:
            continue
        if _is_date(text, figure, lang):
            continue
        qualifier, start = _qualifier_before(text, figure.start, lang)
        second = _range_after(text, figure, found[index:], lang)
        last = second or figure
        scale, end = _scale_after(text, last.end, lang)
        first_scale = scale
        if second is not None:
            own_scale, _ = _scale_after(text, figure.end, lang)
            first_scale = own_scale if own_scale != 1.0 else scale
            index += 1
            if lang is not None:
                opener = _previous_words(text, figure.start, 1)
                if opener and opener[-1] in words.RANGE_OPENERS[lang]:
                    start = (
                        figure.start - len(text[: figure.start]) + len(text[: figure.start].rstrip(_SPACES))
                    )
                    start -= len(opener[-1])
        unit: str | None = None
        key: str | None = None
        percent_end = _percent_after(text, end)
        if percent_end is not None:
            unit, key, end = "%", "%", percent_end
        else:
            currency, currency_key, currency_start, currency_end = _currency_around(text, start, end)
            if currency is None and start != figure.start:
                currency, currency_key, currency_start, currency_end = _currency_around(
                    text, figure.start, end
                )
            if currency is not None:
                unit, key = currency, currency_key
                start, end = min(start, currency_start), max(end, currency_end)
            else:
                unit, key, unit_end = _unit_after(text, start, end, lang)
                if unit is None:
                    # "164 or more deaths": the unit after the trailing qualifier
                    early, early_end = _trailing_qualifier(text, end, lang)
                    if early is not None:
                        unit, key, unit_end = _unit_after(text, start, early_end, lang)
                        if unit is not None and qualifier is None:
                            qualifier = early
                end = unit_end
        if (
            unit is None
            and key is None
            and second is None
            and qualifier is None
            and first_scale == 1.0
            and re.fullmatch(r"1\d{3}|20\d{2}|2100", text[figure.start : figure.end])
        ):
            continue  # a year: "von 1992 begründet", "in 2019"
        trailing, trailing_end = _trailing_qualifier(text, end, lang)
        value = figure.value * first_scale
        if not math.isfinite(value) or (second is not None and not math.isfinite(second.value * scale)):
            continue  # scaled past what a double holds ("1e300 Billionen")
        if second is not None:
            bottom, top = sorted((value, second.value * scale))
            out.append(Quantity(value, bottom, top, "range", unit, key, text[start:end], start, end))
            continue
        if qualifier is None and trailing is not None:
            qualifier, end = trailing, trailing_end
        low, high, named = _interval(value, qualifier)
        if figure.is_word and unit is None:
            continue  # "one of them": a number word counts only with what it counts
        out.append(Quantity(value, low, high, named, unit, key, text[start:end], start, end))
    return out


def _interval(value: float, qualifier: str | None) -> tuple[float | None, float | None, Qualifier]:
    """The interval a qualifier allows around ``value``; None is unbounded."""
    if qualifier in (None, "exact"):
        return value, value, "exact"
    if qualifier == "at_least":
        return value, None, "at_least"
    if qualifier == "more_than":
        return value, None, "more_than"
    if qualifier == "at_most":
        return None, value, "at_most"
    if qualifier == "less_than":
        return None, value, "less_than"
    if qualifier == "about_below":
        return value * (1 - ABOUT), value, "about"
    if qualifier == "about_above":
        return value, value * (1 + ABOUT), "about"
    return value * (1 - ABOUT), value * (1 + ABOUT), "about"
