"""The words a published ClaimReview gives each verdict (``reviewRating.alternateName``), per language.

A claim's rating text is the contract's English default ("True", "Unverifiable") unless the desk
gave its own ``rating_text``; the export shows the desk's words, else the label of the review's
language below (its primary subtag: ``de-AT`` reads ``de``), else the English one.
"""

from __future__ import annotations

from api.claims.rules import RATINGS

LABELS: dict[str, dict[str, str]] = {
    "en": {status: text for status, (_, text) in RATINGS.items()},
    "de": {
        "verified": "Richtig",
        "misleading": "Irreführend",
        "disputed": "Umstritten",
        "false": "Falsch",
        "unverifiable": "Nicht überprüfbar",
    },
    "ru": {
        "verified": "Правда",
        "misleading": "Вводит в заблуждение",
        "disputed": "Спорно",
        "false": "Ложь",
        "unverifiable": "Невозможно проверить",
    },
    "fr": {
        "verified": "Vrai",
        "misleading": "Trompeur",
        "disputed": "Contesté",
        "false": "Faux",
        "unverifiable": "Invérifiable",
    },
    "es": {
        "verified": "Verdadero",
        "misleading": "Engañoso",
        "disputed": "En disputa",
        "false": "Falso",
        "unverifiable": "Inverificable",
    },
}


def label(status: str, rating_text: str, language: str) -> str:
    """The alternateName of a verdict: the desk's own rating_text, else the language's label."""
    default = RATINGS[status][1]
    if rating_text != default:
        return rating_text
    labels = LABELS.get(language.split("-", 1)[0].lower(), LABELS["en"])
    return labels[status]
