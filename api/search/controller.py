from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.body import StrictBody
from api.db import Connection
from api.http import DEFAULT_LIMIT, CursorParam, Limit, problems, query_parameter
from api.search import service
from schemas.common import LANGUAGE_PATTERN, NO_NUL, AnchorStatus, Page, Status
from schemas.search import DEFAULT_MATCHES, Agreement, ClaimHit, MatchLimit, MatchRequest, SimilarClaim
from schemas.sources import SourceHealth

QueryText = Annotated[str | None, QueryParameter(min_length=1, max_length=500, pattern=NO_NUL)]
LanguageFilter = Annotated[
    str | None,
    QueryParameter(
        max_length=35,
        pattern=LANGUAGE_PATTERN,
        description="Only claims in this language, a BCP 47 tag; a primary tag such as de also finds de-AT",
    ),
]
MatchLimitParam = Annotated[int, query_parameter(MatchLimit)]
AgreementFilter = Annotated[
    Agreement | None,
    QueryParameter(description="Only matches whose numbers agree this way: conflicting finds contradictions"),
]


class SearchController(Controller):
    path = "/v1/claims"
    tags = ["search"]

    @get(
        "/",
        operation_id="listClaims",
        summary="Query claims across all articles: filters, full-text search, newest first or best hit first",
        description="Without `q`, most recently changed first (`sort=created_at`: most recently created "
        'first). With `q` (web-search syntax: "a phrase", `or`, `-word`), hits stemmed by each '
        "claim's language (German, English, Russian; others unstemmed), best first, each with "
        "`search: {rank, snippet}`; `sort` is not allowed with `q`. Filters combine with AND.",
        responses=problems(400, 401, 403),
    )
    async def list_claims(
        self,
        db: NamedDependency[Connection],
        status: FromQuery[Status | None] = None,
        article_id: FromQuery[UUID | None] = None,
        language: LanguageFilter = None,
        tag: QueryText = None,
        q: QueryText = None,
        updated_since: FromQuery[datetime | None] = None,
        created_since: FromQuery[datetime | None] = None,
        source_id: FromQuery[UUID | None] = None,
        source_url: Annotated[
            str | None,
            QueryParameter(
                max_length=2048, pattern=NO_NUL, description="Claims citing the source with this url"
            ),
        ] = None,
        outlet: Annotated[
            str | None,
            QueryParameter(
                min_length=1, max_length=500, pattern=NO_NUL, description="The article's outlet, any case"
            ),
        ] = None,
        claimant: Annotated[
            str | None,
            QueryParameter(min_length=1, max_length=500, pattern=NO_NUL, description="Any case"),
        ] = None,
        source_health: Annotated[
            list[SourceHealth] | None,
            QueryParameter(
                description="Claims citing a source in this health (dead, changed, ...); repeatable"
            ),
        ] = None,
        anchor_status: Annotated[
            AnchorStatus | None,
            QueryParameter(
                description=(
                    "Where the claim stands in its article's current body: reworded claims were "
                    "placed approximately after an edit and wait for a desk's look"
                )
            ),
        ] = None,
        sort: FromQuery[Literal["updated_at", "created_at"] | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[ClaimHit]:
        filters = service.ClaimFilters(
            status=status,
            article_id=article_id,
            language=language,
            tag=tag,
            updated_since=updated_since,
            created_since=created_since,
            claimant=claimant,
            source_id=source_id,
            source_url=source_url,
            outlet=outlet,
            source_health=tuple(source_health) if source_health else None,
            anchor_status=anchor_status,
        )
        return await service.find_claims(db, filters, q, sort, cursor, limit)

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
        limit: MatchLimitParam = DEFAULT_MATCHES,
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
