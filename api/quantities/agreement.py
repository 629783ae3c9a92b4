"""Whether two claims agree on their numbers: their intervals about the same thing overlap.

Two quantities are about the same thing when their ``key`` is equal (what they count,
normalised: "Tote", "getötet" and "killed" are all ``killed``). For each key both claims
name, the claims agree when some interval of one overlaps some interval of the other; they
conflict when none does. A claim pair with no key in common is ``unrelated``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Protocol

from schemas.search import Agreement


class Comparable(Protocol):
    @property
    def low(self) -> float | None: ...
    @property
    def high(self) -> float | None: ...
    @property
    def qualifier(self) -> str: ...
    @property
    def key(self) -> str | None: ...


def _bounds(q: Comparable) -> tuple[float, bool, float, bool]:
    """(low, low is open, high, high is open); "über 150" is (150, ∞)."""
    low = -math.inf if q.low is None else float(q.low)
    high = math.inf if q.high is None else float(q.high)
    return low, q.qualifier == "more_than", high, q.qualifier == "less_than"


def overlaps(a: Comparable, b: Comparable) -> bool:
    a_low, a_low_open, a_high, a_high_open = _bounds(a)
    b_low, b_low_open, b_high, b_high_open = _bounds(b)
    if a_low != b_low:
        low, low_open = (a_low, a_low_open) if a_low > b_low else (b_low, b_low_open)
    else:
        low, low_open = a_low, a_low_open or b_low_open
    if a_high != b_high:
        high, high_open = (a_high, a_high_open) if a_high < b_high else (b_high, b_high_open)
    else:
        high, high_open = a_high, a_high_open or b_high_open
    # Equal within the float arithmetic of "about" bounds (164 x 0.9) counts as touching.
    if math.isclose(low, high, rel_tol=1e-9):
        return not low_open and not high_open
    return low < high


def comparable(
    quantities: Sequence[Comparable], quote_quantities: Sequence[Comparable] = ()
) -> list[Comparable]:
    """A claim's quantities to compare: its text's, and its quote's about anything else."""
    keys = {q.key for q in quantities if q.key}
    return [*quantities, *(q for q in quote_quantities if q.key and q.key not in keys)]


def _by_key(quantities: Iterable[Comparable]) -> dict[str, list[Comparable]]:
    out: dict[str, list[Comparable]] = {}
    for q in quantities:
        if q.key:
            out.setdefault(q.key, []).append(q)
    return out


def agreement(a: Iterable[Comparable], b: Iterable[Comparable]) -> Agreement:
    by_key_a, by_key_b = _by_key(a), _by_key(b)
    shared = by_key_a.keys() & by_key_b.keys()
    if not shared:
        return "unrelated"
    for key in shared:
        if not any(overlaps(x, y) for x in by_key_a[key] for y in by_key_b[key]):
            return "conflicting"
    return "consistent"
