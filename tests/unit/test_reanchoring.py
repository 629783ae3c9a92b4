"""Re-anchoring against the edit set (tests/reanchor_cases.py): every outcome as expected, and
no claim ever attached to the wrong sentence."""

from __future__ import annotations

import pytest

from api import anchoring
from api.reanchoring import (
    numbers,
    numbers_changed,
    reanchor,
    same_words,
    snap,
)
from tests.reanchor_cases import ARTICLES, Claim, Edit, Expect

CASES = [
    pytest.param(body, claims, edit, id=edit.name) for _, body, claims, edits in ARTICLES for edit in edits
]


def _place(body: str, claim: Claim) -> anchoring.Placement:
    starts = anchoring.occurrences(body, claim.quote)
    assert len(starts) > claim.occurrence, f"{claim.quote!r} occurs {len(starts)} times"
    start = starts[claim.occurrence]
    return anchoring.placement_at(body, start, start + len(claim.quote))


def _expected_span(new_body: str, expect: Expect, quote: str) -> tuple[int, int]:
    words = expect.words if expect.words is not None else quote
    starts = anchoring.occurrences(new_body, words)
    assert len(starts) > expect.occurrence, f"the case expects {words!r} in the new body"
    start = starts[expect.occurrence]
    return start, start + len(words)


def test_the_edit_set_is_large_enough() -> None:
    assert len(CASES) >= 40
    outcomes = {e.outcome for _, _, _, edits in ARTICLES for edit in edits for e in edit.expect.values()}
    assert outcomes == {"anchored", "reworded", "orphaned"}


@pytest.mark.parametrize(("body", "claims", "edit"), CASES)
def test_each_claim_lands_where_an_editor_would_put_it(
    body: str, claims: dict[str, Claim], edit: Edit
) -> None:
    new_body = edit.change(body)
    assert new_body != body, "the edit changes nothing"
    wrong: list[str] = []
    for name, claim in claims.items():
        old = _place(body, claim)
        expect = edit.expect.get(name, Expect("anchored", None, claim.occurrence))
        got = reanchor(new_body, claim.quote, old.start, old.end, old.prefix, old.suffix)
        if expect.outcome == "orphaned":
            if got.outcome != "orphaned":
                assert got.placement is not None
                wrong.append(f"{name}: expected orphaned, got {got.outcome} at {got.quote!r}")
            continue
        start, end = _expected_span(new_body, expect, claim.quote)
        place = (got.placement.start, got.placement.end) if got.placement else None
        if got.outcome != expect.outcome or place != (start, end):
            wrong.append(
                f"{name}: expected {expect.outcome} at {new_body[start:end]!r}, "
                f"got {got.outcome} at {got.quote!r} {place}"
            )
            continue
        assert got.quote == new_body[start:end]
        assert got.placement is not None
        assert got.placement.prefix == new_body[max(0, start - anchoring.CONTEXT) : start]
    assert not wrong, "\n".join(wrong)


def test_words_snap_to_word_boundaries() -> None:
    body = "Die Straßenbahnen fahren öfter."
    # An alignment that starts and ends inside words is widened to the whole words.
    assert snap(body, 6, 20, "Straßenbahn fähr") == (4, 24)
    # A combining mark stays with its letter, and an emoji sequence stays whole.
    body = "cafe\u0301 noir"
    assert snap(body, 0, 4, "cafe") == (0, 5)
    family = "\U0001f469\u200d\U0001f467"  # woman, zero-width joiner, girl: one character
    body = f"Foto {family} hier"
    assert snap(body, 5, 6, "x") == (5, 5 + len(family))
    # White space the quote does not have is left outside.
    assert snap("a  word  b", 1, 8, "word") == (3, 7)


def test_typography_is_not_a_change_of_words() -> None:
    assert same_words("„Terroristen“ und – wie er sagte", '"Terroristen" und — wie\ner  sagte')
    assert not same_words("164 Tote", "225 Tote")


def test_numbers_compared_without_separators() -> None:
    assert numbers("Seine 3.600 Mann und 20 000 weitere, 1,5 %") == ["3600", "20000", "15"]
    assert numbers_changed("Mindestens 164 Tote", "Mindestens 225 Tote")
    assert not numbers_changed("über 12 000 Menschen", "über 12\u00a0000 Menschen")


def test_a_stricter_threshold_orphans_what_a_looser_one_rewords() -> None:
    body, claims, _ = ARTICLES[0][1], ARTICLES[0][2], None
    claim = claims["troops"]
    old = _place(body, claim)
    new_body = body.replace("sogenannte Friedenstruppe wird", "Friedenstruppe ist")
    loose = reanchor(new_body, claim.quote, old.start, old.end, old.prefix, old.suffix, threshold=0.5)
    strict = reanchor(new_body, claim.quote, old.start, old.end, old.prefix, old.suffix, threshold=0.99)
    assert loose.outcome == "reworded" and strict.outcome == "orphaned"
