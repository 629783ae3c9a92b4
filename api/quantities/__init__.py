"""Quantities in claims: extraction (``extract``) and comparison across claims (``agreement``)."""

from api.quantities.agreement import Agreement, agreement
from api.quantities.extract import Quantity, extract, figures, primary, unit_key

__all__ = ["Agreement", "Quantity", "agreement", "extract", "figures", "primary", "unit_key"]
