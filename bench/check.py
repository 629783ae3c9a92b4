"""Keep the pgbench scripts in step with the services: run the real service functions once and
compare what they execute (the statements, their order, which parameters are NULL) with the
lists in bench.pgbench. A service that changes its statements stops the bench until those
lists follow. And check that the limit statement gives exactly the bytes the endpoint sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from api.claims import service as claims
from api.db import create_pool
from api.search import service as search
from api.settings import Settings, asyncpg_dsn
from bench import http, pgbench
from bench.pgbench import Statement
from schemas.verifications import VerificationCreate

VERIFY_NOTE = "bench: checked again"


def _names() -> dict[str, str]:
    """SQL -> how bench.pgbench names it: every feature's blocks, and the composed statements it uses."""
    names: dict[str, str] = {}
    for path in sorted(pgbench.API_DIR.glob("*/queries.sql")):
        feature = path.parent.name
        for name, sql in pgbench.queries(feature).items():
            names[sql] = f"{feature}.{name}"
    for statements in (pgbench.ARTICLE_CLAIMS, pgbench.LIST_CLAIMS, pgbench.VERIFY):
        for s in statements:
            names.setdefault(pgbench.sql(s), s.query)
    return names


def _plain(sql: str) -> str:
    return " ".join(sql.split())


class _Transaction:
    """asyncpg's transaction block, noted as the BEGIN and COMMIT (or ROLLBACK) it sends."""

    def __init__(self, recorder: _Recorder, inner: Any, readonly: bool) -> None:
        self._recorder, self._inner = recorder, inner
        self._begin = "BEGIN READ ONLY" if readonly else "BEGIN"

    async def __aenter__(self) -> Any:
        self._recorder.ran.append((self._begin, ()))
        return await self._inner.__aenter__()

    async def __aexit__(self, *exc: Any) -> Any:
        self._recorder.ran.append(("ROLLBACK" if exc[0] else "COMMIT", ()))
        return await self._inner.__aexit__(*exc)


class _Recorder:
    """A connection that notes each statement it runs, with its arguments."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._names = _names()
        self.ran: list[tuple[str, tuple[Any, ...]]] = []

    def _note(self, sql: str, args: tuple[Any, ...]) -> None:
        self.ran.append((self._names.get(sql, _plain(sql)), args))

    async def fetch(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._note(sql, args)
        return await self._conn.fetch(sql, *args, **kwargs)

    async def fetchrow(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._note(sql, args)
        return await self._conn.fetchrow(sql, *args, **kwargs)

    async def fetchval(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._note(sql, args)
        return await self._conn.fetchval(sql, *args, **kwargs)

    async def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._note(sql, args)
        return await self._conn.execute(sql, *args, **kwargs)

    def transaction(self, **kwargs: Any) -> _Transaction:
        if kwargs.keys() - {"readonly"}:
            raise RuntimeError(f"the bench does not know transactions with {sorted(kwargs)}")
        return _Transaction(self, self._conn.transaction(**kwargs), kwargs.get("readonly", False))

    def take(self) -> list[tuple[str, tuple[Any, ...]]]:
        ran, self.ran = self.ran, []
        return ran


def compare(what: str, ran: list[tuple[str, tuple[Any, ...]]], expected: Sequence[Statement]) -> None:
    names = [name for name, _ in ran]
    wanted = [s.query if pgbench.sql(s) != s.query else _plain(s.query) for s in expected]
    if names != wanted:
        raise RuntimeError(
            f"{what} now runs {names}; the bench's pgbench script runs {wanted}: "
            "update bench/pgbench.py to match the service"
        )
    for (name, args), s in zip(ran, expected, strict=True):
        for i, (arg, placeholder) in enumerate(zip(args, s.arguments, strict=False), start=1):
            if (arg is None) != (placeholder == "NULL"):
                raise RuntimeError(
                    f"{what}: the service passes ${i} = {arg!r} to {name}, the bench {placeholder}: "
                    "update bench/pgbench.py to match the service"
                )


async def check_statements(database_url: str, article_id: UUID, claim_id: UUID, actor: str) -> None:
    """Raise unless the pgbench scripts run what the services run for the requests the bench sends."""
    settings = Settings(database_url=database_url, pool_min_size=1, pool_max_size=1)
    pool = await create_pool(settings, database_url)
    try:
        async with pool.acquire() as conn:
            recorder = _Recorder(conn)
            await claims.all_of_article(recorder, article_id)  # type: ignore[arg-type]
            compare("api.claims.service.all_of_article", recorder.take(), pgbench.ARTICLE_CLAIMS)
            filters = search.ClaimFilters(status="verified")
            await search.find_claims(recorder, filters, None, None, None, 50)  # type: ignore[arg-type]
            compare("api.search.service.find_claims", recorder.take(), pgbench.LIST_CLAIMS)
            # Inside a transaction rolled back afterwards: the check leaves no history behind.
            outer = conn.transaction()
            await outer.start()
            try:
                data = VerificationCreate(status="in_review", note=VERIFY_NOTE)
                await claims.verify(recorder, claim_id, data, None, actor)  # type: ignore[arg-type]
            finally:
                await outer.rollback()
            compare("api.claims.service.verify", recorder.take(), pgbench.VERIFY)
    finally:
        await pool.close()


# Articles whose claims the endpoint and the limit statement are compared on: some with an
# orphaned claim (sorted last), the rest at random.
_CHECKED_ARTICLES = """
(SELECT b.id FROM bench_ids b
 WHERE b.kind = 'article'
   AND EXISTS (SELECT 1 FROM claims c WHERE c.article_id = b.id AND c.span_start IS NULL)
 ORDER BY b.n LIMIT 3)
UNION
(SELECT id FROM bench_ids WHERE kind = 'article' ORDER BY n LIMIT 7)
"""


async def _limit_bodies(database_url: str) -> dict[UUID, bytes]:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        bodies = {}
        for row in await conn.fetch(_CHECKED_ARTICLES):
            items = await conn.fetchval(pgbench.LIMIT_ARTICLE_CLAIMS_SQL, row["id"])
            bodies[row["id"]] = b'{"items":[' + (items or "").encode() + b'],"next_cursor":null}'
        return bodies
    finally:
        await conn.close()


def check_limit(database_url: str, base_url: str, token: str) -> int:
    """Raise unless GET /v1/articles/{id}/claims sends, for a few articles, exactly the limit
    statement's bytes in the endpoint's wrapper; the number of articles compared."""
    import asyncio

    bodies = asyncio.run(_limit_bodies(database_url))
    if not bodies:
        raise RuntimeError("no articles to compare the limit statement with the endpoint on")
    for article_id, wanted in bodies.items():
        status, body = http.request(base_url, "GET", f"/v1/articles/{article_id}/claims", token)
        if status != 200 or body != wanted:
            at = next((i for i, (a, b) in enumerate(zip(body, wanted, strict=False)) if a != b), None)
            raise RuntimeError(
                f"GET /v1/articles/{article_id}/claims ({status}, {len(body)} bytes) is not the limit "
                f"statement's result ({len(wanted)} bytes); first difference at byte {at}: "
                f"{body[at or 0 : (at or 0) + 80]!r} against {wanted[at or 0 : (at or 0) + 80]!r}. "
                "Update pgbench.LIMIT_ARTICLE_CLAIMS_SQL to give what the endpoint sends"
            )
    return len(bodies)
