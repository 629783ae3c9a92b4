from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, MediaType, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from api.auth import scopes_of
from api.body import StrictBody
from api.claims import service
from api.db import Connection
from api.http import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CursorParam,
    Limit,
    actor_of,
    decode_cursor,
    etag,
    if_match,
    problems,
)
from schemas.claims import Claim, ClaimCreate, ClaimPatch
from schemas.common import NO_NUL, Page
from schemas.sources import LinkIn
from schemas.verifications import Verification, VerificationCreate, VerificationResult


class ClaimController(Controller):
    path = "/v1"
    tags = ["claims"]

    @get(
        "/articles/{article_id:str}/claims",
        operation_id="listArticleClaims",
        summary="The article's claims with their sources, in text order, orphaned claims last",
        description="All claims in one page unless `limit` is given.",
        responses=problems(400, 401, 403, 404),
    )
    async def list_article_claims(
        self,
        article_id: FromPath[UUID],
        db: NamedDependency[Connection],
        limit: Annotated[int | None, QueryParameter(ge=1, le=MAX_LIMIT)] = None,
        cursor: CursorParam = None,
    ) -> Response[Page[Claim]]:
        if limit is None and cursor is None:
            return Response(await service.all_of_article(db, article_id), media_type=MediaType.JSON)  # type: ignore[arg-type]
        page = await service.of_article(db, article_id, decode_cursor(cursor, service.TextOrderKeyset), limit)
        return Response(page)

    @post(
        "/articles/{article_id:str}/claims",
        operation_id="createClaim",
        summary="Create one claim, placing its quote in the article's body",
        dto=StrictBody[ClaimCreate],
        return_dto=None,
        responses=problems(400, 401, 403, 404, 413, 422),
    )
    async def create_claim(
        self,
        request: Request[Any, Any, Any],
        article_id: FromPath[UUID],
        data: JSONBody[ClaimCreate],
        db: NamedDependency[Connection],
    ) -> Response[Claim]:
        claim = await service.create(db, article_id, data, actor_of(request))
        return Response(
            claim, status_code=201, headers={**etag(claim.version), "Location": f"/v1/claims/{claim.id}"}
        )

    @get(
        "/claims/{claim_id:str}",
        operation_id="getClaim",
        summary="Get one claim",
        responses=problems(400, 401, 403, 404),
    )
    async def get_claim(self, claim_id: FromPath[UUID], db: NamedDependency[Connection]) -> Response[Claim]:
        claim = await service.get(db, claim_id)
        return Response(claim, headers=etag(claim.version))

    @patch(
        "/claims/{claim_id:str}",
        operation_id="updateClaim",
        summary="Change a claim's text, quote or span, claimant, language, date, tags or review_url",
        description=(
            "A change of `text` or `quote` adds a `reworded` entry to the claim's history, with the "
            "words before and after and the status unchanged. Changing `text`, `quote` or `span` of a "
            "claim whose status is neither `unverified` nor `in_review` changes what its verdict is "
            "about, and needs the `verify` scope as well (else 403)."
        ),
        dto=StrictBody[ClaimPatch],
        return_dto=None,
        responses=problems(400, 401, 403, 404, 412, 413, 422),
    )
    async def update_claim(
        self,
        request: Request[Any, Any, Any],
        claim_id: FromPath[UUID],
        data: JSONBody[ClaimPatch],
        db: NamedDependency[Connection],
    ) -> Response[Claim]:
        claim = await service.update(
            db,
            claim_id,
            data,
            if_match(request),
            actor_of(request),
            may_change_verdict_subject="verify" in scopes_of(request),
        )
        return Response(claim, headers=etag(claim.version))

    @delete(
        "/claims/{claim_id:str}",
        operation_id="deleteClaim",
        summary="Delete a claim with its links and history",
        responses=problems(400, 401, 403, 404, 412),
    )
    async def delete_claim(
        self, request: Request[Any, Any, Any], claim_id: FromPath[UUID], db: NamedDependency[Connection]
    ) -> None:
        await service.delete(
            db, claim_id, if_match(request), may_erase_history="verify" in scopes_of(request)
        )

    @post(
        "/claims/{claim_id:str}/verifications",
        operation_id="createVerification",
        opt={"scope": "verify"},
        summary="Submit a verification update: new status, note, rating text and evidence links",
        dto=StrictBody[VerificationCreate],
        return_dto=None,
        responses=problems(400, 401, 403, 404, 412, 413, 422),
    )
    async def create_verification(
        self,
        request: Request[Any, Any, Any],
        claim_id: FromPath[UUID],
        data: JSONBody[VerificationCreate],
        db: NamedDependency[Connection],
    ) -> Response[VerificationResult]:
        result = await service.verify(db, claim_id, data, if_match(request), actor_of(request))
        return Response(result, status_code=201, headers=etag(result.claim.version))

    @get(
        "/claims/{claim_id:str}/verifications",
        operation_id="listVerifications",
        summary="A claim's verification history, oldest first",
        responses=problems(400, 401, 403, 404),
    )
    async def list_verifications(
        self,
        claim_id: FromPath[UUID],
        db: NamedDependency[Connection],
        actor: Annotated[str | None, QueryParameter(min_length=1, max_length=200, pattern=NO_NUL)] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[Verification]:
        return await service.history(db, claim_id, actor, decode_cursor(cursor, tuple[int]), limit)

    @post(
        "/claims/{claim_id:str}/sources",
        operation_id="linkSource",
        summary="Link a source to a claim, or change an existing link's relation and excerpt",
        description="201 when the link is new; 200 when an existing link changed or was already equal.",
        dto=StrictBody[LinkIn],
        return_dto=None,
        responses={
            200: ResponseSpec(
                data_container=Claim, description="The link existed; it was changed or already equal"
            ),
            **problems(400, 401, 403, 404, 412, 413, 422),
        },
    )
    async def link_source(
        self,
        request: Request[Any, Any, Any],
        claim_id: FromPath[UUID],
        data: JSONBody[LinkIn],
        db: NamedDependency[Connection],
    ) -> Response[Claim]:
        claim, created = await service.link(db, claim_id, data, if_match(request), actor_of(request))
        return Response(claim, status_code=201 if created else 200, headers=etag(claim.version))

    @delete(
        "/claims/{claim_id:str}/sources/{source_id:str}",
        operation_id="unlinkSource",
        summary="Remove a source from a claim",
        responses=problems(400, 401, 403, 404, 412, 422),
        status_code=200,
    )
    async def unlink_source(
        self,
        request: Request[Any, Any, Any],
        claim_id: FromPath[UUID],
        source_id: FromPath[UUID],
        db: NamedDependency[Connection],
    ) -> Response[None]:
        version = await service.unlink(db, claim_id, source_id, if_match(request), actor_of(request))
        return Response(None, status_code=204, headers=etag(version))
