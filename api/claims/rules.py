"""The verification rules of the contract: transitions, evidence and ratings. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable

from api.errors import RuleBroken

# ClaimReview-compatible ratings: status -> (ratingValue, default alternateName).
RATINGS: dict[str, tuple[int | None, str]] = {
    "verified": (5, "True"),
    "misleading": (2, "Misleading"),
    "disputed": (3, "Disputed"),
    "false": (1, "False"),
    "unverifiable": (None, "Unverifiable"),
}

# Which link relations a status rests on; statuses not listed need none.
REQUIRED_RELATIONS: dict[str, tuple[str, ...]] = {
    "verified": ("supports",),
    "false": ("refutes",),
    "disputed": ("supports", "refutes"),
}
NEEDS_NOTE = frozenset({"misleading", "unverifiable"})


def rating_for(status: str, rating_text: str | None) -> tuple[int | None, str | None]:
    """(value, text) stored on the claim; (None, None) where a status has no rating."""
    if status not in RATINGS:
        return None, None
    value, text = RATINGS[status]
    return value, rating_text or text


def check_transition(current: str, target: str) -> None:
    if target == "unverified":
        raise RuleBroken(
            "invalid-transition",
            f"a claim cannot go back to unverified (it is {current}); use in_review to reopen it",
            errors=[("/status", "unverified is only the status of a new claim")],
        )


def missing_links(status: str, relations: Iterable[str]) -> list[str]:
    present = set(relations)
    return [r for r in REQUIRED_RELATIONS.get(status, ()) if r not in present]


def check_evidence(status: str, relations: Iterable[str], note: str | None) -> None:
    """422 evidence-required unless the links in force (and the note) carry the status."""
    missing = missing_links(status, relations)
    if missing:
        needed = " and ".join(f"one '{r}'" for r in missing)
        raise RuleBroken(
            "evidence-required",
            f"{status} needs at least {needed} link among the claim's sources",
            errors=[("/sources", f"add a source with relation {' and '.join(missing)}")],
        )
    if status in NEEDS_NOTE and not (note and note.strip()):
        raise RuleBroken(
            "evidence-required",
            f"{status} needs a note that says why",
            errors=[("/note", "a non-empty note is required for this status")],
        )


def check_links_keep_status(status: str, relations: Iterable[str]) -> None:
    """An unlink or relink may not leave the current status without its evidence."""
    missing = missing_links(status, relations)
    if missing:
        raise RuleBroken(
            "evidence-required",
            f"the claim is {status}; it must keep at least one '{missing[0]}' link",
        )
