from __future__ import annotations

import pytest

from api.anchoring import (
    CONTEXT,
    Placement,
    QuoteAmbiguous,
    QuoteNotFound,
    SpanMismatch,
    find_quote,
    occurrences,
    place_by_span,
    placement_at,
    replace,
)

TEXT = "Мэр сказал: трамвай 🚋 ходит. Die Straßenbahn fährt. Мэр сказал: трамвай 🚋 ходит."


def test_occurrences_include_overlapping_ones() -> None:
    assert occurrences("aaaa", "aa") == [0, 1, 2]
    assert occurrences("abc", "x") == []


def test_a_single_occurrence_is_placed_in_code_points() -> None:
    placement = find_quote(TEXT, "Straßenbahn")
    start = TEXT.index("Straßenbahn")
    assert (placement.start, placement.end) == (start, start + 11)
    assert placement.prefix == TEXT[start - CONTEXT : start]
    assert placement.suffix == TEXT[start + 11 : start + 11 + CONTEXT]
    assert len(placement.prefix) == CONTEXT


def test_an_emoji_is_one_code_point() -> None:
    assert find_quote("🚋🚋 x", "x") == Placement(3, 4, "🚋🚋 ", "")


def test_context_is_cut_at_the_ends_of_the_body() -> None:
    assert placement_at("abc", 0, 3) == Placement(0, 3, "", "")


def test_a_missing_quote() -> None:
    with pytest.raises(QuoteNotFound) as caught:
        find_quote(TEXT, "Bus")
    assert caught.value.problem == "quote-not-found"


def test_repeats_are_ambiguous_with_every_candidate() -> None:
    with pytest.raises(QuoteAmbiguous) as caught:
        find_quote(TEXT, "трамвай")
    first = TEXT.index("трамвай")
    second = TEXT.index("трамвай", first + 1)
    assert caught.value.candidates == [(first, first + 7), (second, second + 7)]
    assert caught.value.problem == "quote-ambiguous"


def test_prefix_or_suffix_choose_among_repeats() -> None:
    second = TEXT.index("Мэр", 1)
    assert find_quote(TEXT, "Мэр", prefix="fährt. ").start == second
    assert find_quote("x A y A z", "A", suffix=" z").start == 6
    assert find_quote("x A y A z", "A", prefix="x ", suffix=" y").start == 2


def test_context_that_matches_no_candidate_stays_ambiguous() -> None:
    with pytest.raises(QuoteAmbiguous) as caught:
        find_quote("x A y A z", "A", prefix="q ")
    assert caught.value.candidates == [(2, 3), (6, 7)]
    with pytest.raises(QuoteAmbiguous):
        find_quote("x A y x A y", "A", prefix="x ", suffix=" y")


def test_a_span_must_hold_the_quote() -> None:
    start = TEXT.index("🚋")
    assert place_by_span(TEXT, "🚋 ходит", start, start + 7)[0] == "🚋 ходит"
    assert place_by_span(TEXT, None, start, start + 1) == ("🚋", placement_at(TEXT, start, start + 1))
    for quote, span in (
        ("🚋", (start, start + 2)),
        (None, (5, 5)),
        (None, (5, 4)),
        (None, (0, len(TEXT) + 1)),
    ):
        with pytest.raises(SpanMismatch):
            place_by_span(TEXT, quote, *span)


def test_replace_keeps_the_old_span_when_the_quote_is_still_there() -> None:
    body = "A sagt Ja. A sagt Ja."
    assert replace(body, "sagt", 13, 17, "", "") == placement_at(body, 13, 17)


def test_replace_finds_a_moved_quote() -> None:
    assert replace("Neu: Preise steigen.", "Preise", 0, 6, "", " steigen") == placement_at(
        "Neu: Preise steigen.", 5, 11
    )


def test_replace_uses_the_selector_among_repeats() -> None:
    body = "C sagt: Nein. A sagt: Ja. B sagt: Vielleicht."
    placed = replace(body, "sagt", 3, 7, "Ja. B ", ": Vielleicht.")
    assert placed is not None and placed.start == body.index("B sagt") + 2


def test_replace_prefers_the_nearest_place_when_the_selector_cannot_choose() -> None:
    body = "x sagt y sagt z sagt"
    placed = replace(body, "sagt", 8, 12, "", "")
    assert placed is not None and placed.start == 9


def test_replace_orphans_a_vanished_quote() -> None:
    assert replace("Ganz anderer Text.", "Preise", 0, 6, "", "") is None
    assert replace("Ganz anderer Text.", "Preise", None, None, "", "") is None
