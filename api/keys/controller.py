from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.body import StrictBody
from api.db import Connection
from api.http import DEFAULT_LIMIT, CursorParam, Limit, actor_of, decode_cursor, problems
from api.keys import service
from schemas.common import Page
from schemas.keys import ApiKey, CreatedKey, KeyCreate


class KeyController(Controller):
    path = "/v1/keys"
    tags = ["keys"]
    opt = {"scope": "admin"}

    @post(
        "/",
        operation_id="createKey",
        summary="Create an API key; its token is in this response only",
        dto=StrictBody[KeyCreate],
        return_dto=None,
        responses=problems(400, 401, 403, 409, 413),
    )
    async def create_key(
        self, request: Request[Any, Any, Any], data: JSONBody[KeyCreate], db: NamedDependency[Connection]
    ) -> Response[CreatedKey]:
        created = await service.create(db, data, actor_of(request))
        return Response(
            created,
            status_code=201,
            headers={"Location": f"/v1/keys/{created.key.name}", "Cache-Control": "no-store"},
        )

    @get(
        "/",
        operation_id="listKeys",
        summary="List API keys (never their tokens)",
        responses=problems(400, 401, 403),
    )
    async def list_keys(
        self, db: NamedDependency[Connection], limit: Limit = DEFAULT_LIMIT, cursor: CursorParam = None
    ) -> Page[ApiKey]:
        after = decode_cursor(cursor, tuple[str])
        return await service.list_page(db, after[0] if after else None, limit)

    @delete(
        "/{name:str}",
        operation_id="revokeKey",
        summary="Revoke an API key by name; every worker stops accepting it at once",
        responses=problems(400, 401, 403, 404),
    )
    async def revoke_key(self, name: FromPath[str], db: NamedDependency[Connection]) -> None:
        await service.revoke(db, name)
