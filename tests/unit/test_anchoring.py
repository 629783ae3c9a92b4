from __future__ import annotations

import random
import time
import unicodedata

import pytest
import regex

from api.anchoring import (
    CONTEXT,
    Placement,
    QuoteAmbiguous,
    QuoteNotFound,
    SpanMismatch,
    find_quote,
    is_boundary,
    occurrences,
    place_by_span,
    place_quote,
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


# ---- whole characters (grapheme clusters) and NFC -------------------------------------------

DECOMPOSED = "Das Cafe\u0301 am Markt"  # "Café" with e + U+0301 COMBINING ACUTE ACCENT
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man ZWJ woman ZWJ girl: one character
TRICKY = [
    "a", " ", "\r", "\n", "e", "\u0301", "\u0327", "\u200d", "\U0001f1e9", "\U0001f1ea", "\U0001f468",
    "\U0001f3fd", "\ufe0f", "\u0915", "\u094d", "\u0937", "\u0600", "\u1100", "\u1161", "\u11a8",
    "\uac00", "\u0e33", "\u0903", "\u00a9", "\u00e9", "Я",
]  # fmt: skip


def clusters_of(text: str) -> set[int]:
    """Every grapheme-cluster boundary of ``text``, by segmenting it whole."""
    return {0, len(text)} | {m.end() for m in regex.finditer(r"\X", text)}


def test_the_local_boundary_check_agrees_with_segmenting_the_whole_text() -> None:
    rng = random.Random(7)
    for _ in range(5_000):
        text = "".join(rng.choice(TRICKY) for _ in range(rng.randint(1, 16)))
        whole = clusters_of(text)
        assert [i for i in range(len(text) + 1) if is_boundary(text, i)] == sorted(whole), ascii(text)


def test_a_quote_is_not_found_inside_a_letter_and_its_accent() -> None:
    with pytest.raises(QuoteNotFound) as caught:
        find_quote(DECOMPOSED, "Cafe")
    assert "larger characters" in caught.value.detail
    with pytest.raises(QuoteNotFound):
        find_quote(f"Heute {FAMILY} im Park", "\U0001f468")  # the man alone, out of the family


def test_composed_and_decomposed_quotes_place_alike_and_keep_the_bodys_words() -> None:
    composed = unicodedata.normalize("NFC", DECOMPOSED)
    start = DECOMPOSED.index("Cafe")
    # A composed quote in a decomposed body: the body's own words, 5 code points, are placed.
    assert place_quote(DECOMPOSED, "Café") == ("Cafe\u0301", placement_at(DECOMPOSED, start, start + 5))
    # And the other way round.
    assert place_quote(composed, "Cafe\u0301") == ("Café", placement_at(composed, start, start + 4))
    # Offsets after the decomposed letter are the body's, not NFC's.
    assert find_quote(DECOMPOSED, "am Markt").start == DECOMPOSED.index("am Markt")
    assert find_quote(DECOMPOSED, "Café am").end == start + 8


def test_repeats_in_both_forms_are_candidates_in_the_bodys_offsets() -> None:
    body = "Café hier, Cafe\u0301 dort"
    with pytest.raises(QuoteAmbiguous) as caught:
        find_quote(body, "Café")
    assert caught.value.candidates == [(0, 4), (11, 16)]
    assert find_quote(body, "Café", suffix=" dort") == placement_at(body, 11, 16)
    assert find_quote(body, "Café", prefix="hier, ") == placement_at(body, 11, 16)
    assert find_quote(body, "Café", suffix=" hier") == placement_at(body, 0, 4)


def test_whole_characters_are_found_among_the_parts_of_others() -> None:
    body = f"{FAMILY} und \U0001f468 allein"
    assert find_quote(body, "\U0001f468") == placement_at(body, 10, 11)
    assert find_quote(body, FAMILY) == placement_at(body, 0, 5)


@pytest.mark.parametrize(
    ("body", "start", "end"),
    [
        (DECOMPOSED, 4, 8),  # "Cafe" without its accent
        (DECOMPOSED, 8, 12),  # the accent alone, and what follows
        (f"x{FAMILY}y", 1, 2),  # the man of the family
        (f"x{FAMILY}y", 3, 7),  # the family without the man
        ("\U0001f1e9\U0001f1ea\U0001f1eb\U0001f1f7", 1, 3),  # between two flags' halves
        ("a\r\nb", 0, 2),  # CR without its LF
    ],
)
def test_a_span_that_splits_a_character_is_a_mismatch_with_the_reason(
    body: str, start: int, end: int
) -> None:
    with pytest.raises(SpanMismatch) as caught:
        place_by_span(body, None, start, end)
    assert "inside the character" in caught.value.detail and "grapheme" in caught.value.detail


def test_a_span_compares_its_quote_under_nfc_and_keeps_the_bodys_words() -> None:
    start = DECOMPOSED.index("Cafe")
    assert place_by_span(DECOMPOSED, "Café", start, start + 5) == (
        "Cafe\u0301",
        placement_at(DECOMPOSED, start, start + 5),
    )
    with pytest.raises(SpanMismatch):
        place_by_span(DECOMPOSED, "Cafe", start, start + 5)


def test_replace_never_places_inside_a_character() -> None:
    # The old span now holds "Cafe" as the start of "Café": not the quote any more.
    assert replace("Cafe\u0301 zu", "Cafe", 0, 4, "", "") is None
    body = "Cafe\u0301 und Cafe zu"
    assert replace(body, "Cafe", 0, 4, "", "") == placement_at(body, 10, 14)


def test_nfc_view_of_a_mixed_body_maps_back_to_its_words() -> None:
    rng = random.Random(11)
    pieces = ["Cafe\u0301", "Café", " ", "Ёж", "Е\u0308ж", "x", FAMILY, "\u1100\u1161", "e\u0327\u0301", ". "]
    for _ in range(300):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        boundaries = sorted(clusters_of(body))
        a, b = sorted(rng.sample(boundaries, 2)) if len(boundaries) > 1 else (0, len(body))
        if a == b:
            continue
        quote = unicodedata.normalize("NFC", body[a:b])
        try:
            placed = find_quote(body, quote)
        except QuoteAmbiguous as exc:
            assert (a, b) in exc.candidates, (body, quote)
            spans = exc.candidates
        else:
            spans = [(placed.start, placed.end)]
        for start, end in spans:
            assert unicodedata.normalize("NFC", body[start:end]) == quote
            assert is_boundary(body, start) and is_boundary(body, end)


def _news_body(size: int) -> str:
    sentence = "Der Stadtrat beschloss am Montag {n} neue Linien für Straßenbahn und Bus, sagte Мэр {n}. "
    parts: list[str] = []
    n = 0
    while sum(map(len, parts)) < size:
        parts.append(sentence.format(n=n))
        n += 1
    return "".join(parts)[:size]


def test_placing_200_claims_again_in_a_50000_character_body_is_fast() -> None:
    body = _news_body(50_000)
    claims = []
    for i in range(200):
        quote = f"beschloss am Montag {i * 2} neue Linien"
        where = find_quote(body, quote)
        claims.append((quote, where))
    new_body = "Vorab eine Meldung. " + body.replace("Bus,", "Bus und Bahn,")

    def place_all() -> int:
        placed = 0
        for quote, where in claims:
            placed += replace(new_body, quote, where.start, where.end, where.prefix, where.suffix) is not None
        return placed

    timings = []
    for _ in range(5):
        started = time.perf_counter()
        assert place_all() == 200
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.050, timings  # typically a few milliseconds


def test_finding_200_quotes_in_a_decomposed_50000_character_body_is_fast() -> None:
    body = unicodedata.normalize("NFD", _news_body(50_000))
    quotes = [
        unicodedata.normalize("NFC", f"am Montag {i * 2} neue Linien für Straßenbahn") for i in range(200)
    ]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        for quote in quotes:
            found, _ = place_quote(body, quote)
            assert unicodedata.normalize("NFC", found) == quote
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.050, timings
