"""The quality sets of candidates, quantities and agreement, measured.

    .venv/bin/python -m tests.quality.measure    # the table in README, "Measured quality"

``tests/unit/test_quality.py`` runs the same measurements in CI and holds them to their goals.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.candidates.rules import DEFAULT_MIN_SCORE, find
from api.demo import data as demo
from api.quantities import agreement, extract

HERE = Path(__file__).resolve().parent


def _load(name: str) -> Any:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


@dataclass
class Counts:
    """Recall over the statements that should be found, precision over the candidates given."""

    found: int = 0  # statements worth checking that a candidate covers
    missed: int = 0
    right: int = 0  # candidates that are worth checking
    wrong: int = 0
    misses: list[str] = field(default_factory=list)
    wrongly_found: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / (self.found + self.missed) if self.found + self.missed else 1.0

    @property
    def precision(self) -> float:
        return self.right / (self.right + self.wrong) if self.right + self.wrong else 1.0


def seed_candidates(min_score: float = DEFAULT_MIN_SCORE) -> Counts:
    """The seed article. Recall: each demo claim must overlap a candidate. Precision: each
    candidate must overlap a claim, repeat a claim's quote (the lead paragraph is printed
    twice) or be labelled worth checking in ``seed_labels``."""
    body = demo.body()
    given = [c for c in find(body, demo.LANGUAGE) if c.score >= min_score]
    counts = Counts()
    claims = []
    for claim in demo.CLAIMS:
        at = (
            body.index(claim.prefix + claim.quote) + len(claim.prefix)
            if claim.prefix
            else body.index(claim.quote)
        )
        claims.append((at, at + len(claim.quote), claim.quote))
    for start, end, quote in claims:
        if any(c.start < end and start < c.end for c in given):
            counts.found += 1
        else:
            counts.missed += 1
            counts.misses.append(quote)
    labels = {item["quote"]: item["worth"] for item in _load("candidates.json")["seed_labels"]}
    for c in given:
        covers = any(c.start < end and start < c.end for start, end, _ in claims)
        repeats = any(quote in c.quote for _, _, quote in claims)
        if covers or repeats or labels.get(c.quote) is True:
            counts.right += 1
        else:
            counts.wrong += 1
            counts.wrongly_found.append(c.quote)
    return counts


def labelled_candidates(language: str, min_score: float = DEFAULT_MIN_SCORE) -> Counts:
    """The hand-labelled sentences of one language: a sentence is found when any part of it
    is a candidate at ``min_score``."""
    counts = Counts()
    for item in _load("candidates.json")["sentences"]:
        if item["language"] != language:
            continue
        said = any(c.score >= min_score for c in find(item["text"], language))
        if item["worth"]:
            counts.found += said
            counts.missed += not said
            if not said:
                counts.misses.append(item["text"])
        if said:
            counts.right += item["worth"]
            counts.wrong += not item["worth"]
            if not item["worth"]:
                counts.wrongly_found.append(item["text"])
    return counts


def all_candidates(min_score: float = DEFAULT_MIN_SCORE) -> dict[str, Counts]:
    measured = {
        "de (seed article)": seed_candidates(min_score),
        "de (labelled)": labelled_candidates("de", min_score),
        "en": labelled_candidates("en", min_score),
        "ru": labelled_candidates("ru", min_score),
    }
    total = Counts()
    for counts in measured.values():
        total.found += counts.found
        total.missed += counts.missed
        total.right += counts.right
        total.wrong += counts.wrong
    measured["all"] = total
    return measured


def _same(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    for name, want in expected.items():
        have = got[name]
        if isinstance(want, (int, float)) and isinstance(have, (int, float)):
            if not math.isclose(want, have, rel_tol=1e-9):
                return False
        elif want != have:
            return False
    return True


def quantity_results() -> tuple[int, list[str]]:
    """(expressions checked, the cases that went wrong)."""
    wrong: list[str] = []
    checked = 0
    for case in _load("quantities.json"):
        got = [q.as_json() for q in extract(case["text"], case["language"])]
        expected = case["expect"]
        checked += max(1, len(expected))
        if len(got) != len(expected) or not all(_same(e, g) for e, g in zip(expected, got, strict=True)):
            wrong.append(f"{case['language']}: {case['text']!r} gave {got}")
    return checked, wrong


def agreement_results() -> tuple[int, list[str]]:
    wrong: list[str] = []
    pairs = _load("agreement.json")
    for pair in pairs:
        a = extract(pair["a"][1], pair["a"][0])
        b = extract(pair["b"][1], pair["b"][0])
        got = agreement(a, b)
        if got != pair["expect"]:
            wrong.append(f"{pair['a'][1]!r} vs {pair['b'][1]!r}: {got}, expected {pair['expect']}")
    return len(pairs), wrong


def main() -> None:
    print(f"Candidates at the default min_score {DEFAULT_MIN_SCORE}:")
    print("| set | statements found | missed | candidates right | wrong | recall | precision |")
    print("|---|---|---|---|---|---|---|")
    measured = all_candidates()
    for name, c in measured.items():
        print(
            f"| {name} | {c.found} | {c.missed} | {c.right} | {c.wrong} "
            f"| {c.recall:.2f} | {c.precision:.2f} |"
        )
    for name, counts in measured.items():
        for miss in counts.misses:
            print(f"  missed ({name}): {miss}")
        for wrong in counts.wrongly_found:
            print(f"  wrongly found ({name}): {wrong}")
    checked, wrong = quantity_results()
    print(f"Quantities: {checked - len(wrong)} of {checked} expressions right")
    for line in wrong:
        print("  ", line)
    pairs, wrong = agreement_results()
    print(f"Agreement: {pairs - len(wrong)} of {pairs} pairs right")
    for line in wrong:
        print("  ", line)


if __name__ == "__main__":
    main()
