from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from api.candidates import service
from api.candidates.rules import DEFAULT_MIN_SCORE
from api.db import Connection
from api.http import problems
from schemas.candidates import CandidateList

MinScore = Annotated[
    float,
    QueryParameter(
        ge=0, le=1, description=f"Only candidates scoring at least this; {DEFAULT_MIN_SCORE} by default"
    ),
]
Uncovered = Annotated[
    bool, QueryParameter(description="Only candidates that no claim of the article overlaps yet")
]


class CandidateController(Controller):
    path = "/v1/articles"
    tags = ["candidates"]

    @get(
        "/{article_id:str}/candidates",
        operation_id="listCandidates",
        summary="Sentences and clauses of the article's body worth checking, in text order",
        description="Each candidate gives its span and exact quote, a score from 0 to 1, the reasons "
        "(number, first_time, superlative, comparison, attribution, quotation, causal, prediction; "
        "by the article's language, Cyrillic passages by the Russian rules), its quantities, the "
        "claims already covering it, and the request that makes it a claim.",
        responses=problems(400, 401, 403, 404),
    )
    async def list_candidates(
        self,
        article_id: FromPath[UUID],
        db: NamedDependency[Connection],
        min_score: MinScore = DEFAULT_MIN_SCORE,
        uncovered: Uncovered = False,
    ) -> CandidateList:
        return await service.of_article(db, article_id, min_score, uncovered)
