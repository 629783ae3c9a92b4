from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from api.body import StrictBody
from api.db import Connection
from api.http import problems
from api.search import service
from schemas.common import Page
from schemas.search import DEFAULT_MATCHES, MAX_MATCHES, Agreement, MatchRequest, SimilarClaim

LanguageFilter = Annotated[
    str | None,
    QueryParameter(
        max_length=35,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        description="Only claims in this language; a primary tag such as de also finds de-AT",
    ),
]
AgreementFilter = Annotated[
    Agreement | None,
    QueryParameter(description="Only matches whose numbers agree this way: conflicting finds contradictions"),
]
MatchLimit = Annotated[
    int, QueryParameter(ge=1, le=MAX_MATCHES, description="Matches to return, at most 100")
]


class SearchController(Controller):
    path = "/v1/claims"
    tags = ["search"]

    @get(
        "/{claim_id:str}/similar",
        operation_id="listSimilarClaims",
        summary="Claims of other articles that say the same, best match first, with their status and rating",
        description="Close by trigram similarity of the normalised texts, among the claims naming the "
        "same numbers (3.600, 3,600 and 3 600 are one number) or counting the same thing (a quantity "
        "key in common; then compared without their numbers). The least score is the "
        "CLAIMTRACK_SIMILARITY_THRESHOLD setting. Each match says whether its numbers agree.",
        responses=problems(400, 401, 403, 404),
    )
    async def list_similar_claims(
        self,
        claim_id: FromPath[UUID],
        db: NamedDependency[Connection],
        state: State,
        language: LanguageFilter = None,
        limit: MatchLimit = DEFAULT_MATCHES,
        agreement: AgreementFilter = None,
    ) -> Page[SimilarClaim]:
        return await service.similar(
            db, claim_id, None, language, state.settings.similarity_threshold, limit, agreement
        )

    @post(
        "/match",
        operation_id="matchClaim",
        summary="Stored claims that say the same as a claim not stored yet, best match first",
        description="Scored like /v1/claims/{claim_id}/similar; reads only.",
        dto=StrictBody[MatchRequest],
        return_dto=None,
        status_code=200,
        opt={"scope": "read"},
        responses=problems(400, 401, 403, 413),
    )
    async def match_claim(
        self, data: JSONBody[MatchRequest], db: NamedDependency[Connection], state: State
    ) -> Page[SimilarClaim]:
        return await service.similar(
            db, None, data.text, data.language, state.settings.similarity_threshold, data.limit
        )
