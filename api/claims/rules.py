"""The rules of the contract for a claim's verdict and links: transitions, evidence, ratings,
and how a list of links names its sources. Pure functions.

Each check takes ``at``, the JSON Pointer of the claim or update it checks (``""`` for a request
body of its own, ``/articles/3/claims/0`` in an import batch), so the same rule says the same
thing with the right pointers wherever it is applied.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable

from api.errors import InvalidRequest, RuleBroken

# ClaimReview-compatible ratings: status -> (ratingValue, default alternateName). A status not
# listed has no rating.
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


def check_transition(current: str, target: str, at: str = "") -> None:
    if target == "unverified":
        raise RuleBroken(
            "invalid-transition",
            f"a claim cannot go back to unverified (it is {current}); use in_review to reopen it",
            errors=[(f"{at}/status", "unverified is only the status of a new claim")],
        )


def missing_links(status: str, relations: Iterable[str]) -> list[str]:
    present = set(relations)
    return [r for r in REQUIRED_RELATIONS.get(status, ()) if r not in present]


def check_links(status: str, relations: Iterable[str], at: str = "") -> None:
    """422 evidence-required unless the links in force carry the status."""
    missing = missing_links(status, relations)
    if missing:
        needed = " and ".join(f"one '{r}'" for r in missing)
        raise RuleBroken(
            "evidence-required",
            f"{status} needs at least {needed} link among the claim's sources",
            errors=[(f"{at}/sources", f"add a source with relation {' and '.join(missing)}")],
        )


def check_evidence(status: str, relations: Iterable[str], note: str | None, at: str = "") -> None:
    """422 evidence-required unless the links in force and the note carry the status."""
    check_links(status, relations, at)
    if status in NEEDS_NOTE and not (note and note.strip()):
        raise RuleBroken(
            "evidence-required",
            f"{status} needs a note that says why",
            errors=[(f"{at}/note", "a non-empty note is required for this status")],
        )


def check_links_keep_status(status: str, relations: Iterable[str]) -> None:
    """An unlink or relink may not leave the current status without its evidence."""
    missing = missing_links(status, relations)
    if missing:
        raise RuleBroken(
            "evidence-required",
            f"the claim is {status}; it must keep at least one '{missing[0]}' link",
        )


def check_names_one_source(source_id: object | None, source: object | None, at: str) -> None:
    """A link names its source by ``source_id`` or sends it whole as ``source``: one of them."""
    if (source_id is None) == (source is None):
        raise InvalidRequest(
            "a link names its source by source_id or by source, not both",
            errors=[(at, "give exactly one of source_id and source")],
        )


def check_linked_once(source: Hashable, linked: Collection[Hashable], at: str) -> None:
    """A claim links a source at most once, so a list of links names each source once."""
    if source in linked:
        raise InvalidRequest(
            "the same source is linked twice", errors=[(at, "this source is already in the list")]
        )
