"""The quality sets (tests/quality/) held to their goals: candidates recall ≥ 0.9 and precision
≥ 0.6 at the default min_score, every quantity and every agreement pair right."""

from __future__ import annotations

from tests.quality import measure


def test_candidates_recall_and_precision_over_all_sets() -> None:
    measured = measure.all_candidates()
    total = measured["all"]
    assert total.recall >= 0.9, {name: (c.recall, c.misses) for name, c in measured.items()}
    assert total.precision >= 0.6, {name: (c.precision, c.wrongly_found) for name, c in measured.items()}
    # Each language on its own, too: the labelled English and Russian sets, the seed article.
    for name in ("en", "ru"):
        assert measured[name].found + measured[name].missed >= 10
        assert measured[name].recall >= 0.9, measured[name].misses
        assert measured[name].precision >= 0.6, measured[name].wrongly_found
    assert measured["de (seed article)"].precision >= 0.6


def test_every_quantity_expression_is_read_right() -> None:
    checked, wrong = measure.quantity_results()
    assert checked >= 60
    assert wrong == []


def test_every_agreement_pair_is_judged_right() -> None:
    pairs, wrong = measure.agreement_results()
    assert pairs >= 20
    assert wrong == []
