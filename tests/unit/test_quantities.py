"""Reading quantities from claim text, and comparing them (api/quantities)."""

from __future__ import annotations

import pytest

from api.quantities import agreement, extract
from api.quantities.agreement import comparable
from schemas.common import MAX_INTEGER


def only(text: str, language: str | None) -> dict[str, object]:
    found = extract(text, language)
    assert len(found) == 1, found
    return found[0].as_json()


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("3.600 Mann", "de", 3600),
        ("3,600 troops", "en", 3600),
        ("3 600 военных", "ru", 3600),
        ("3\u00a0600 Mann", "de", 3600),
        ("3\u202f600 Mann", "de", 3600),
        ("3\u2009600 Mann", "de", 3600),
        ("1,5 Prozent", "de", 1.5),
        ("1,5 %", "ru", 1.5),
        ("1.5 percent", "en", 1.5),
        ("3.600,5 Euro", "de", 3600.5),
        ("2 Millionen Euro", "de", 2_000_000),
        ("2 million dollars", "en", 2_000_000),
        ("2 млн рублей", "ru", 2_000_000),
        ("2,5 тыс. военных", "ru", 2500),
        ("zwölf Soldaten", "de", 12),
        ("seven soldiers", "en", 7),
        ("двенадцать солдат", "ru", 12),
    ],
)
def test_numbers_are_read_by_the_language_s_separators_and_words(
    text: str, language: str, value: float
) -> None:
    assert only(text, language)["value"] == value


def test_english_reads_a_point_as_decimal_and_german_as_grouping() -> None:
    assert only("3.600 troops", "en")["value"] == 3.6
    assert only("3.600 Soldaten", "de")["value"] == 3600


def test_an_unknown_language_guesses_separators_from_their_shape() -> None:
    assert [q.value for q in extract("3.600 et 3,600 et 1,5 et 1.234,5", "fr")] == [3600, 3600, 1.5, 1234.5]
    # Without rules for the language, nothing says what is counted except % and currency.
    assert only("3.600 soldats", None)["unit"] is None
    assert only("12 %", None)["unit"] == "%"


@pytest.mark.parametrize(
    ("text", "language", "qualifier", "low", "high"),
    [
        ("mindestens 164 Tote", "de", "at_least", 164, None),
        ("über 150 Tote", "de", "more_than", 150, None),
        ("mehr als 150 Tote", "de", "more_than", 150, None),
        ("rund 2.500 Soldaten", "de", "about", 2250, 2750),
        ("etwa 100 Tote", "de", "about", 90, 110),
        ("bis zu 300 Fahrzeuge", "de", "at_most", None, 300),
        ("150 bis 200 Tote", "de", "range", 150, 200),
        ("150–200 Tote", "de", "range", 150, 200),
        ("at least 164 dead", "en", "at_least", 164, None),
        ("over 150 dead", "en", "more_than", 150, None),
        ("more than 150 dead", "en", "more_than", 150, None),
        ("about 100 dead", "en", "about", 90, 110),
        ("up to 300 vehicles", "en", "at_most", None, 300),
        ("не менее 164 погибших", "ru", "at_least", 164, None),
        ("более 150 погибших", "ru", "more_than", 150, None),
        ("около 100 погибших", "ru", "about", 90, 110),
        ("до 300 единиц", "ru", "at_most", None, 300),
        ("от 150 до 200 погибших", "ru", "range", 150, 200),
    ],
)
def test_qualifiers_give_the_interval_the_words_allow(
    text: str, language: str, qualifier: str, low: float | None, high: float | None
) -> None:
    q = only(text, language)
    assert (q["qualifier"], q["low"], q["high"]) == (qualifier, low, high)


def test_a_quantity_says_what_it_counts_and_where_it_stands() -> None:
    text = "Bei den Protesten wurden über 150 Menschen getötet."
    q = only(text, "de")
    assert q["unit"] == "Menschen"
    assert q["key"] == "killed"  # the participle says what the people are counted as
    assert q["text"] == "über 150 Menschen"
    span = q["span"]
    assert isinstance(span, dict)
    assert text[span["start"] : span["end"]] == "über 150 Menschen"


def test_dates_years_and_times_are_not_quantities() -> None:
    assert extract("Am 8. Januar 2022 um 12:30 Uhr, im Jahr 2002, von 1992", "de") == []
    assert extract("on January 8, 2022 at 7 p.m.", "en") == []
    assert extract("8 января 2022 г.", "ru") == []
    assert extract("COVID-19 and G7", "en") == []


def test_overlapping_intervals_agree_and_disjoint_ones_conflict() -> None:
    at_least_164 = extract("mindestens 164 Tote", "de")
    over_150 = extract("über 150 Tote", "de")
    exactly_150 = extract("genau 150 Tote", "de")
    assert agreement(at_least_164, over_150) == "consistent"
    assert agreement(extract("164 Tote", "de"), exactly_150) == "conflicting"
    # "über 150" leaves 150 itself out.
    assert agreement(over_150, exactly_150) == "conflicting"
    assert agreement(extract("2200 Verletzte", "de"), at_least_164) == "unrelated"
    assert agreement([], at_least_164) == "unrelated"


def test_the_quote_counts_only_for_what_the_text_does_not_count() -> None:
    text = extract("164 Tote", "de")
    quote = extract("über 150 Tote und 2200 Verletzte", "de")
    both = comparable(text, quote)
    assert [q.key for q in both] == ["killed", "injured"]


def test_a_figure_no_double_holds_is_not_a_quantity() -> None:
    # float("9" * 400) is inf: stored, it became null where a number must be, and a 500.
    assert extract(f"Es starben {'9' * 400} Menschen.", "de") == []
    assert extract(f"Es starben {'9' * 300} Billionen Billionen Menschen.", "de") == []


def test_an_integer_past_what_json_holds_exactly_stays_a_float() -> None:
    # 20 nines read as a double are 1e20: as an int they were 100000000000000000000, digits the
    # text never had, past the integers JSON readers hold exactly (schemas.common MAX_INTEGER).
    found = only("Es starben 99999999999999999999 Menschen.", "de")
    assert found["value"] == 1e20 and isinstance(found["value"], float)
    assert only(f"Es starben {MAX_INTEGER} Menschen.", "de")["value"] == MAX_INTEGER


def test_what_is_counted_stays_within_the_sentence() -> None:
    [q] = extract("The count was 1,234. There were more.", "en")
    assert (q.unit, q.key) == (None, None)
