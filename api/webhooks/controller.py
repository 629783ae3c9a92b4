from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
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
from api.webhooks import service
from schemas.common import Page
from schemas.webhooks import Delivery, Webhook, WebhookCreate, WebhookPatch, WebhookSecret

NO_STORE = {"Cache-Control": "no-store"}


class WebhookController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]
    opt = {"scope": "admin"}

    @post(
        "/",
        operation_id="createWebhook",
        summary="Subscribe a URL to events; the signing secret is in this response only",
        dto=StrictBody[WebhookCreate],
        return_dto=None,
        responses=problems(400, 401, 403, 413, 422),
    )
    async def create_webhook(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[WebhookCreate],
        db: NamedDependency[Connection],
    ) -> Response[WebhookSecret]:
        created = await service.create(db, data, actor_of(request), state.settings.outbound_networks)
        headers = {
            **NO_STORE,
            **etag(created.webhook.version),
            "Location": f"/v1/webhooks/{created.webhook.id}",
        }
        return Response(created, status_code=201, headers=headers)

    @get("/", operation_id="listWebhooks", summary="List webhooks", responses=problems(400, 401, 403))
    async def list_webhooks(
        self, db: NamedDependency[Connection], limit: Limit = DEFAULT_LIMIT, cursor: CursorParam = None
    ) -> Page[Webhook]:
        return await service.list_page(db, decode_cursor(cursor, TimeKeyset), limit)

    @get(
        "/{webhook_id:str}",
        operation_id="getWebhook",
        summary="Get one webhook",
        responses=problems(400, 401, 403, 404),
    )
    async def get_webhook(
        self, webhook_id: FromPath[UUID], db: NamedDependency[Connection]
    ) -> Response[Webhook]:
        webhook = await service.get(db, webhook_id)
        return Response(webhook, headers=etag(webhook.version))

    @patch(
        "/{webhook_id:str}",
        operation_id="updateWebhook",
        summary="Change a webhook's url, event types or description; enabled=true re-enables it",
        dto=StrictBody[WebhookPatch],
        return_dto=None,
        responses=problems(400, 401, 403, 404, 412, 413, 422),
    )
    async def update_webhook(
        self,
        request: Request[Any, Any, Any],
        state: State,
        webhook_id: FromPath[UUID],
        data: JSONBody[WebhookPatch],
        db: NamedDependency[Connection],
    ) -> Response[Webhook]:
        webhook = await service.update(
            db, webhook_id, data, if_match(request), state.settings.outbound_networks
        )
        return Response(webhook, headers=etag(webhook.version))

    @delete(
        "/{webhook_id:str}",
        operation_id="deleteWebhook",
        summary="Delete a webhook and its deliveries",
        responses=problems(400, 401, 403, 404),
    )
    async def delete_webhook(self, webhook_id: FromPath[UUID], db: NamedDependency[Connection]) -> None:
        await service.delete(db, webhook_id)

    @post(
        "/{webhook_id:str}/rotate-secret",
        operation_id="rotateWebhookSecret",
        summary="Replace the signing secret; the previous one still signs for a grace period",
        status_code=200,
        responses=problems(400, 401, 403, 404),
    )
    async def rotate_secret(
        self, state: State, webhook_id: FromPath[UUID], db: NamedDependency[Connection]
    ) -> Response[WebhookSecret]:
        rotated = await service.rotate(db, webhook_id, state.settings.webhook_secret_grace_seconds)
        return Response(rotated, headers=NO_STORE)

    @get(
        "/{webhook_id:str}/deliveries",
        operation_id="listWebhookDeliveries",
        summary="A webhook's deliveries, newest first, with their attempts and last error",
        responses=problems(400, 401, 403, 404),
    )
    async def list_deliveries(
        self,
        webhook_id: FromPath[UUID],
        db: NamedDependency[Connection],
        status: Annotated[Literal["pending", "succeeded", "failed"] | None, QueryParameter()] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[Delivery]:
        return await service.deliveries(db, webhook_id, status, decode_cursor(cursor, TimeKeyset), limit)
