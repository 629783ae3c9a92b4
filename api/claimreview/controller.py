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
from api.jsonld import JSON_LD, JsonLdResponse
from schemas.claimreview import ClaimReview, ClaimReviewGraph, ClaimReviewImportResult
from schemas.common import MAX_DEPTH, MAX_INTEGER


class ClaimReviewController(Controller):
    path = "/v1"
    tags = ["claimreview"]

    @get(
        "/claims/{claim_id:str}/claimreview",
        operation_id="getClaimReview",
        summary="The claim's verdict as schema.org ClaimReview (JSON-LD)",
        description="Only for a claim with a verdict (a rating); before one is given, 404. A ClaimReview "
        "that would lack what Google requires (a url) or whose publisher is not configured is never "
        "served: 422 `not-publishable` lists what is missing and the setting that supplies it.",
        media_type=JSON_LD,
        response_class=JsonLdResponse,
        responses=problems(400, 401, 403, 404, 422),
    )
    async def get_claim_review(
        self, claim_id: FromPath[UUID], db: NamedDependency[Connection], state: State
    ) -> ClaimReview:
        return await service.of_claim(db, claim_id, state.settings)

    @get(
        "/articles/{article_id:str}/claimreview",
        operation_id="getArticleClaimReviews",
        summary="The article's verdicts as one JSON-LD document: a ClaimReview per reviewed claim in @graph",
        description="Claims in text order; claims without a verdict are left out, so @graph may be empty. "
        "When any of them cannot be published, 422 `not-publishable` lists what is missing for each.",
        media_type=JSON_LD,
        response_class=JsonLdResponse,
        responses=problems(400, 401, 403, 404, 422),
    )
    async def get_article_claim_reviews(
        self, article_id: FromPath[UUID], db: NamedDependency[Connection], state: State
    ) -> ClaimReviewGraph:
        return await service.of_article(db, article_id, state.settings)

    @get(
        "/sources/{source_id:str}/claimreview",
        operation_id="getSourceClaimReviews",
        summary="The reviews imported for a fact_check source's page, as ClaimReview JSON-LD again",
        description="What is kept of each review the page holds, in a @graph in the order first imported; "
        "a source without imported reviews is 404. Our own export imported and served here is the same "
        "document byte for byte. A review imported without claimReviewed or a rating label is 422 "
        "`not-publishable`.",
        media_type=JSON_LD,
        response_class=JsonLdResponse,
        responses=problems(400, 401, 403, 404, 422),
    )
    async def get_source_claim_reviews(
        self, source_id: FromPath[UUID], db: NamedDependency[Connection]
    ) -> ClaimReviewGraph:
        return await service.of_source(db, source_id)

    @post(
        "/claimreview/import",
        operation_id="importClaimReviews",
        summary="Store other fact-checkers' ClaimReviews as fact_check sources; answer with matching claims",
        description="Accepts one ClaimReview, a list, a @graph, a schema.org DataFeed (dataFeedElement "
        "items, each a ClaimReview or a DataFeedItem wrapping one or a list in `item`) or an ItemList, "
        "nested as deep as a body may be, at most CLAIMTRACK_CLAIMREVIEW_IMPORT_MAX items (413 beyond). "
        "Each review is kept in the fact_check source of its page (its url without the #fragment; the "
        "fragment tells the page's reviews apart). Each item says what became of its node (`pointer`): "
        "`created`, `updated` (its content changed), `unchanged`, `skipped` (not a ClaimReview, e.g. a "
        "MediaReview) or `failed` (its `problem` names the values at fault; the other reviews are "
        "stored), with `notes` on what was guessed. `matches` are the stored claims that say what it "
        "reviewed (as POST /v1/claims/match finds them, in the review's inLanguage). A document of which "
        "no review can be stored is a 400 naming every value at fault. Like every body, the document "
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
