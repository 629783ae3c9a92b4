from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from api.claims.rules import (
    check_evidence,
    check_linked_once,
    check_links,
    check_links_keep_status,
    check_names_one_source,
    check_transition,
    missing_links,
    rating_for,
)
from api.errors import ApplicationError, InvalidRequest, RuleBroken

STATUSES = ["unverified", "in_review", "verified", "misleading", "disputed", "false", "unverifiable"]


def refusal(check: Callable[..., None], *args: Any) -> ApplicationError | None:
    """What ``check`` refuses ``args`` with; None when it lets them pass."""
    try:
        check(*args)
    except ApplicationError as exc:
        return exc
    return None


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
@pytest.mark.parametrize("target", STATUSES)
def test_unverified_is_the_one_target_refused(current: str, target: str) -> None:
    refused = refusal(check_transition, current, target)
    if target != "unverified":
        assert refused is None
        return
    assert isinstance(refused, RuleBroken)
    assert (refused.status, refused.problem) == (422, "invalid-transition")
    assert [e.field for e in refused.errors or []] == ["/status"]


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
    assert missing_links(status, relations) == []
    assert refusal(check_evidence, status, relations, note) is None
    assert refusal(check_links_keep_status, status, relations) is None


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
    refused = refusal(check_links_keep_status, "verified", ["context"])
    assert isinstance(refused, RuleBroken) and refused.problem == "evidence-required"
    # A note-based status does not rest on links.
    assert refusal(check_links_keep_status, "misleading", []) is None


def test_each_rule_points_below_the_claim_it_checks() -> None:
    """The same rule for a request of its own and for a claim inside an import batch."""
    at = "/articles/3/claims/1"
    cases = [
        (lambda: check_transition("false", "unverified", at), "invalid-transition", f"{at}/status"),
        (lambda: check_evidence("verified", ["context"], None, at), "evidence-required", f"{at}/sources"),
        (lambda: check_evidence("misleading", [], " ", at), "evidence-required", f"{at}/note"),
        (lambda: check_links("disputed", ["refutes"], at), "evidence-required", f"{at}/sources"),
    ]
    for check, problem, field in cases:
        with pytest.raises(RuleBroken) as caught:
            check()
        assert caught.value.problem == problem
        assert [e.field for e in caught.value.errors or []] == [field]
    with pytest.raises(RuleBroken) as caught:
        check_transition("false", "unverified")
    assert [e.field for e in caught.value.errors or []] == ["/status"]


def test_a_link_names_one_source_and_a_source_is_linked_once() -> None:
    source_id, source = uuid.uuid4(), {"url": "https://example.org"}
    for given in ((None, None), (source_id, source)):
        refused = refusal(check_names_one_source, *given, "/sources/2")
        assert isinstance(refused, InvalidRequest)
        assert [(e.field, e.message) for e in refused.errors or []] == [
            ("/sources/2", "give exactly one of source_id and source")
        ]
    assert refusal(check_names_one_source, source_id, None, "/sources/2") is None
    assert refusal(check_names_one_source, None, source, "") is None

    assert refusal(check_linked_once, source_id, [uuid.uuid4()], "/sources/1") is None
    refused = refusal(check_linked_once, source_id, [uuid.uuid4(), source_id], "/sources/1")
    assert isinstance(refused, InvalidRequest)
    assert refused.detail == "the same source is linked twice"
    assert [e.field for e in refused.errors or []] == ["/sources/1"]
