"""Quantities in claims: extraction (``extract``) and comparison across claims (``agreement``)."""

from __future__ import annotations

from typing import Any

from api.quantities.agreement import Agreement, agreement, comparable
from api.quantities.extract import Quantity, extract, figures, primary, unit_key
from schemas.claims import Quantity as QuantityOut
from schemas.claims import Span

__all__ = [
    "Agreement",
    "Quantity",
    "agreement",
    "as_schema",
    "comparable",
    "extract",
    "figures",
    "of_claim",
    "primary",
    "unit_key",
]


def as_schema(q: Quantity) -> QuantityOut:
    return QuantityOut(
        value=q.value,
        low=q.low,
        high=q.high,
        qualifier=q.qualifier,
        unit=q.unit,
        key=q.key,
        text=q.text,
        span=Span(start=q.start, end=q.end),
    )


def of_claim(
    text: str, quote: str, language: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A claim's stored ``quantities`` (spans within its text) and ``quote_quantities`` (within
    its quote), as JSON values."""
    return [q.as_json() for q in extract(text, language)], [q.as_json() for q in extract(quote, language)]
