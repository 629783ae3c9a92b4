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
    "of_quote",
    "primary",
    "stored",
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


Json = list[dict[str, Any]]


def of_claim(text: str, quote: str, language: str | None) -> tuple[Json, Json]:
    """A claim's stored ``quantities`` (spans within its text) and ``quote_quantities`` (spans
    within its quote), as JSON values, both read by the claim's language."""
    return [q.as_json() for q in extract(text, language)], of_quote(quote, language)


def of_quote(quote: str, language: str | None) -> Json:
    return [q.as_json() for q in extract(quote, language)]


def stored(text: str, quote: str, language: str | None) -> dict[str, Json]:
    """The two columns, by name, for a row written as JSON."""
    quantities, quote_quantities = of_claim(text, quote, language)
    return {"quantities": quantities, "quote_quantities": quote_quantities}
