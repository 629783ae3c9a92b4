from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from api.articles import service
from api.auth import scopes_of
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
from schemas.articles import Article, ArticleCreate, ArticlePatch, ArticleRevision, ArticleRevisionWithBody
from schemas.common import NO_NUL, Page


class ArticleController(Controller):
    path = "/v1/articles"
    tags = ["articles"]

    @post(
        "/",
        operation_id="createArticle",
        summary="Create an article, optionally with its claims in the same transaction",
        dto=StrictBody[ArticleCreate],
        return_dto=None,
        responses=problems(400, 401, 403, 404, 409, 413, 422),
    )
    async def create_article(
        self, request: Request[Any, Any, Any], data: JSONBody[ArticleCreate], db: NamedDependency[Connection]
    ) -> Response[Article]:
        article = await service.create(db, data, actor_of(request))
        return Response(
            article,
            status_code=201,
            headers={**etag(article.version), "Location": f"/v1/articles/{article.id}"},
        )

    @get(
        "/",
        operation_id="listArticles",
        summary="List articles, newest first; ?url= or ?external_id= find one by its newsroom identity",
        responses=problems(400, 401, 403, 422),
    )
    async def list_articles(
        self,
        db: NamedDependency[Connection],
        url: Annotated[str | None, QueryParameter(min_length=1, max_length=2048, pattern=NO_NUL)] = None,
        external_id: Annotated[
            str | None, QueryParameter(min_length=1, max_length=200, pattern=NO_NUL)
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[Article]:
        return await service.list_page(db, url, external_id, decode_cursor(cursor, TimeKeyset), limit)

    @get(
        "/{article_id:str}",
        operation_id="getArticle",
        summary="Get one article",
        responses=problems(400, 401, 403, 404),
    )
    async def get_article(
        self, article_id: FromPath[UUID], db: NamedDependency[Connection]
    ) -> Response[Article]:
        article = await service.get(db, article_id)
        return Response(article, headers=etag(article.version))

    @patch(
        "/{article_id:str}",
        operation_id="updateArticle",
        summary="Change an article's fields; a new body is a new revision and places every claim again",
        description=(
            "Each claim is carried to the new body: at its old span, else where its quote occurs "
            "(chosen by its context), else approximately (`anchor_status: reworded`, the quote "
            "taking the new words, a `reworded` history entry), else it is `orphaned`."
        ),
        dto=StrictBody[ArticlePatch],
        return_dto=None,
        responses=problems(400, 401, 403, 404, 409, 412, 413, 422),
    )
    async def update_article(
        self,
        request: Request[Any, Any, Any],
        article_id: FromPath[UUID],
        data: JSONBody[ArticlePatch],
        db: NamedDependency[Connection],
        state: State,
    ) -> Response[Article]:
        article = await service.update(
            db,
            article_id,
            data,
            if_match(request),
            actor_of(request),
            reanchor_threshold=state.settings.reanchor_threshold,
        )
        return Response(article, headers=etag(article.version))

    @delete(
        "/{article_id:str}",
        operation_id="deleteArticle",
        summary="Delete an article with its claims, links and history",
        responses=problems(400, 401, 403, 404, 412),
    )
    async def delete_article(
        self, request: Request[Any, Any, Any], article_id: FromPath[UUID], db: NamedDependency[Connection]
    ) -> None:
        await service.delete(
            db, article_id, if_match(request), may_erase_history="verify" in scopes_of(request)
        )

    @get(
        "/{article_id:str}/revisions",
        operation_id="listArticleRevisions",
        summary="Every body the article has had, newest first, with what each did to its claims",
        responses=problems(400, 401, 403, 404),
    )
    async def list_revisions(
        self,
        article_id: FromPath[UUID],
        db: NamedDependency[Connection],
        limit: Limit = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> Page[ArticleRevision]:
        return await service.revisions(db, article_id, decode_cursor(cursor, tuple[int]), limit)

    @get(
        "/{article_id:str}/revisions/{revision:int}",
        operation_id="getArticleRevision",
        summary="One revision of the article, with its body",
        responses=problems(400, 401, 403, 404),
    )
    async def get_revision(
        self, article_id: FromPath[UUID], revision: FromPath[int], db: NamedDependency[Connection]
    ) -> ArticleRevisionWithBody:
        return await service.revision(db, article_id, revision)
