from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import Stream

from api.body import StrictBody
from api.db import Connection
from api.http import actor_of, problems
from api.imports import export, store
from api.settings import Settings
from schemas.imports import MAX_IMPORT_ARTICLES, ImportBatch, ImportResult

NDJSON = "application/x-ndjson"


class ImportController(Controller):
    path = "/v1"
    tags = ["import"]

    @post(
        "/import",
        operation_id="importArticles",
        opt={"scope": "admin"},
        summary="Store a batch of article records as they were: ids, versions, timestamps, actors, history",
        description=(
            f"At most {MAX_IMPORT_ARTICLES} articles, in one transaction. Each is reported: `created`, "
            "`skipped` (an article with its id, url or external_id is stored; `id` names it) or "
            "`failed` (its `problem`; nothing of it is stored). Sources are found by normalised url, "
            "new ones keep the record's id. Omitted ids, versions, times and actors are filled in as "
            "the public endpoints would, the importing key being the actor."
        ),
        dto=StrictBody[ImportBatch],
        return_dto=None,
        status_code=200,
        responses=problems(400, 401, 403, 409, 413, 422),
    )
    async def import_articles(
        self, request: Request[Any, Any, Any], data: JSONBody[ImportBatch], db: NamedDependency[Connection]
    ) -> ImportResult:
        return await store.import_batch(db, data, actor_of(request))

    @get(
        "/export",
        operation_id="exportArticles",
        opt={"scope": "admin"},
        summary="Every article with its claims, sources and history, one JSON record a line",
        description="NDJSON, ordered by article id; each line imports unchanged through POST /v1/import.",
        media_type=NDJSON,
        responses=problems(401, 403),
    )
    async def export_articles(self, state: State) -> Stream:
        settings: Settings = state.settings
        return Stream(
            export.export_lines(state.pool, settings.pool_acquire_timeout),
            media_type=NDJSON,
            headers={"Cache-Control": "no-store"},
        )
