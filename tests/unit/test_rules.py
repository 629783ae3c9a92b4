from __future__ import annotations

import pytest

from api.claims.rules import (
    check_evidence,
    check_links_keep_status,
    check_transition,
    missing_links,
    rating_for,
)
from api.errors import RuleBroken

STATUSES = ["unverified", "in_review", "verified", "misleading", "disputed", "false", "unverifiable"]


@pytest.mark.parametrize(
    ("status", "rating"),
    [
        ("unverified", (None, None)),
        ("in_review", (None, None)),
        ("verified", (5, "True")),
        ("misleading", (2, "Misleading")),
        ("disputed", (3, "Disputed")),
        ("false", (1, "False")),
        ("unverifiable", (None, "Unverifiable")),
    ],
)
def test_ratings_per_status(status: str, rating: tuple[int | None, str | None]) -> None:
    assert rating_for(status, None) == rating


def test_rating_text_replaces_the_text_where_there_is_a_rating() -> None:
    assert rating_for("false", "Frei erfunden") == (1, "Frei erfunden")
    assert rating_for("unverifiable", "Offen") == (None, "Offen")
    assert rating_for("in_review", "Offen") == (None, None)


@pytest.mark.parametrize("current", STATUSES)
def test_unverified_is_never_a_target(current: str) -> None:
    with pytest.raises(RuleBroken) as caught:
        check_transition(current, "unverified")
    assert caught.value.problem == "invalid-transition"
    assert caught.value.status == 422


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES[1:])
def test_every_other_transition_is_allowed(current: str, target: str) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("status", "relations", "note"),
    [
        ("in_review", [], None),
        ("verified", ["supports"], None),
        ("verified", ["context", "supports"], None),
        ("false", ["refutes"], None),
        ("disputed", ["refutes", "supports"], None),
        ("misleading", [], "Kontext fehlt"),
        ("unverifiable", ["origin"], "keine Daten"),
    ],
)
def test_enough_evidence(status: str, relations: list[str], note: str | None) -> None:
    check_evidence(status, relations, note)
    check_links_keep_status(status, relations)


@pytest.mark.parametrize(
    ("status", "relations", "note", "field"),
    [
        ("verified", [], None, "/sources"),
        ("verified", ["refutes", "context", "origin"], "note", "/sources"),
        ("false", ["supports"], None, "/sources"),
        ("disputed", ["supports"], None, "/sources"),
        ("disputed", ["refutes", "refutes"], None, "/sources"),
        ("misleading", ["supports"], None, "/note"),
        ("misleading", [], "  \n", "/note"),
        ("unverifiable", [], "", "/note"),
    ],
)
def test_missing_evidence(status: str, relations: list[str], note: str | None, field: str) -> None:
    with pytest.raises(RuleBroken) as caught:
        check_evidence(status, relations, note)
    assert caught.value.problem == "evidence-required"
    assert caught.value.errors is not None and caught.value.errors[0].field == field


def test_missing_links_names_each_relation() -> None:
    assert missing_links("disputed", []) == ["supports", "refutes"]
    assert missing_links("disputed", iter(["refutes"])) == ["supports"]
    assert missing_links("misleading", []) == []


def test_links_may_not_leave_the_status_without_evidence() -> None:
    with pytest.raises(RuleBroken) as caught:
        check_links_keep_status("verified", ["context"])
    assert caught.value.problem == "evidence-required"
    check_links_keep_status("misleading", [])  # a note-based status does not rest on links
