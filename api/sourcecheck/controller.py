from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from api.db import Connection
from api.http import DEFAULT_LIMIT, CursorParam, Limit, TimeKeyset, actor_of, decode_cursor, etag, problems
from api.sourcecheck import service
from schemas.common import Page
from schemas.sourcechecks import SourceCheck, SourceCheckResult


class SourceCheckController(Controller):
    path = "/v1/sources"
    tags = ["sources"]

    @post(
        "/{source_id:str}/check",
        operation_id="checkSource",
        summary="Fetch a source's page now and record its health: ok, changed or dead",
        description="Answers when the check is done (within the CLAIMTRACK_SOURCE_CHECK_TOTAL_SECONDS "
        "setting), with the check as stored and the source after it. `accept_change=true` takes the "
        "page's current text as the new baseline, so a changed source that was reviewed is ok again. "
        "Addresses that are not public (loopback, private, link-local, metadata services) are never "
        "fetched: such a check is recorded with the outcome `refused`.",
        status_code=201,
        responses=problems(400, 401, 403, 404),
    )
    async def check_source(
        self,
        request: Request[Any, Any, Any],
        state: State,
        source_id: FromPath[UUID],
        accept_change: Annotated[
            bool, QueryParameter(description="Take the page's current text as the new baseline")
        ] = False,
    ) -> Response[SourceCheckResult]:
        result = await service.check_now(
            state.pool, state.settings, source_id, actor_of(request), accept_change
        )
        return Response(result, status_code=201, headers=etag(result.source.version))

    @get(
        "/{source_id:str}/checks",
        operation_id="listSourceChecks",
        summary="A source's checks, newest first",
        responses=problems(400, 401, 403, 404),
    )
    async def list_source_checks(
        self,
        source_id: FromPath[UUID],
        db: NamedDependency[Connection],
        limit: Limit = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[SourceCheck]:
        return await service.history(db, source_id, decode_cursor(cursor, TimeKeyset), limit)
