from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.body import Document, LooseBody
from api.claimreview import service
from api.db import Connection
from api.http import actor_of, problems
from schemas.claimreview import ClaimReview, ClaimReviewGraph, ClaimReviewImportResult
from schemas.common import MAX_DEPTH, MAX_INTEGER

JSON_LD = "application/ld+json"


class ClaimReviewController(Controller):
    path = "/v1"
    tags = ["claimreview"]

    @get(
        "/claims/{claim_id:str}/claimreview",
        operation_id="getClaimReview",
        summary="The claim's verdict as schema.org ClaimReview (JSON-LD)",
        description="Only for a claim with a verdict (a rating); before one is given, 404.",
        media_type=JSON_LD,
        responses=problems(400, 401, 403, 404),
    )
    async def get_claim_review(
        self, claim_id: FromPath[UUID], db: NamedDependency[Connection], state: State
    ) -> ClaimReview:
        return await service.of_claim(db, claim_id, state.settings)

    @get(
        "/articles/{article_id:str}/claimreview",
        operation_id="getArticleClaimReviews",
        summary="The article's verdicts as one JSON-LD document: a ClaimReview per reviewed claim in @graph",
        description="Claims in text order; claims without a verdict are left out, so @graph may be empty.",
        media_type=JSON_LD,
        responses=problems(400, 401, 403, 404),
    )
    async def get_article_claim_reviews(
        self, article_id: FromPath[UUID], db: NamedDependency[Connection], state: State
    ) -> ClaimReviewGraph:
        return await service.of_article(db, article_id, state.settings)

    @post(
        "/claimreview/import",
        operation_id="importClaimReviews",
        summary="Store other fact-checkers' ClaimReviews as fact_check sources; answer with matching claims",
        description="Accepts one ClaimReview, a list, a @graph or a schema.org DataFeed (dataFeedElement "
        "items, each a ClaimReview or a DataFeedItem wrapping one in `item`), at most "
        "CLAIMTRACK_CLAIMREVIEW_IMPORT_MAX reviews (413 beyond). Each review is stored under its url "
        "(normalised): `created`, `updated` (its rating or wording changed) or `unchanged`; importing the "
        "same review again changes nothing. `matches` are the stored claims that say what it reviewed "
        "(as POST /v1/claims/match finds them, in the review's inLanguage). All or nothing: a value of "
        "the wrong type anywhere is a 400 naming it, and nothing is stored. Like every body, the document "
        f"nests at most {MAX_DEPTH} arrays and objects deep and holds no integer beyond ±{MAX_INTEGER}.",
        dto=LooseBody,
        return_dto=None,
        status_code=200,
        responses=problems(400, 401, 403, 413, 422),
    )
    async def import_claim_reviews(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[Document],
        db: NamedDependency[Connection],
        state: State,
    ) -> ClaimReviewImportResult:
        return await service.import_reviews(db, data, actor_of(request), state.settings)
