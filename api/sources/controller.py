from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from api.body import StrictBody
from api.db import Connection
from api.http import (
    DEFAULT_LIMIT,
    CursorParam,
    Limit,
    TimeKeyset,
    actor_of,
    decode_cursor,
    etag,
    if_match,
    problems,
)
from api.sources import service
from schemas.claims import Claim
from schemas.common import NO_NUL, Page
from schemas.sources import Source, SourceCreate, SourcePatch


class SourceController(Controller):
    path = "/v1/sources"
    tags = ["sources"]

    @post(
        "/",
        operation_id="createSource",
        summary="Create a source, or find it by its normalised url",
        description="201 with the new source, or 200 with the existing one when its normalised url is known.",
        dto=StrictBody[SourceCreate],
        return_dto=None,
        responses={
            200: ResponseSpec(
                data_container=Source, description="The source with this normalised url exists"
            ),
            **problems(400, 401, 403, 413, 422),
        },
    )
    async def create_source(
        self, request: Request[Any, Any, Any], data: JSONBody[SourceCreate], db: NamedDependency[Connection]
    ) -> Response[Source]:
        source, created = await service.create(db, data, actor_of(request))
        headers = etag(source.version)
        if created:
            headers["Location"] = f"/v1/sources/{source.id}"
        return Response(source, status_code=201 if created else 200, headers=headers)

    @get(
        "/",
        operation_id="listSources",
        summary="List sources, newest first; ?url= finds one by any spelling of its url",
        responses=problems(400, 401, 403, 422),
    )
    async def list_sources(
        self,
        db: NamedDependency[Connection],
        url: Annotated[str | None, QueryParameter(max_length=2048, pattern=NO_NUL)] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[Source]:
        return await service.list_page(db, url, decode_cursor(cursor, TimeKeyset), limit)

    @get(
        "/{source_id:str}",
        operation_id="getSource",
        summary="Get one source",
        responses=problems(400, 401, 403, 404),
    )
    async def get_source(
        self, source_id: FromPath[UUID], db: NamedDependency[Connection]
    ) -> Response[Source]:
        source = await service.get(db, source_id)
        return Response(source, headers=etag(source.version))

    @patch(
        "/{source_id:str}",
        operation_id="updateSource",
        summary="Change a source's fields",
        dto=StrictBody[SourcePatch],
        return_dto=None,
        responses=problems(400, 401, 403, 404, 409, 412, 413, 422),
    )
    async def update_source(
        self,
        request: Request[Any, Any, Any],
        source_id: FromPath[UUID],
        data: JSONBody[SourcePatch],
        db: NamedDependency[Connection],
    ) -> Response[Source]:
        source = await service.update(db, source_id, data, if_match(request), actor_of(request))
        return Response(source, headers=etag(source.version))

    @delete(
        "/{source_id:str}",
        operation_id="deleteSource",
        summary="Delete a source; 409 while a claim still links it",
        responses=problems(400, 401, 403, 404, 409, 412),
    )
    async def delete_source(
        self, request: Request[Any, Any, Any], source_id: FromPath[UUID], db: NamedDependency[Connection]
    ) -> None:
        await service.delete(db, source_id, if_match(request))

    @get(
        "/{source_id:str}/claims",
        operation_id="listSourceClaims",
        summary="The claims citing a source",
        responses=problems(400, 401, 403, 404),
    )
    async def list_source_claims(
        self,
        source_id: FromPath[UUID],
        db: NamedDependency[Connection],
        limit: Limit = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[Claim]:
        return await service.citing_claims(db, source_id, decode_cursor(cursor, TimeKeyset), limit)
