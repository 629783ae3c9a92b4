"""Storing a batch of import records: all of it in one transaction, a handful of statements.

Records that failed their checks (api/imports/prepare.py) are reported with their problem; the
others are stored. Articles already stored (same id, url or external_id) are skipped, which makes
an import safe to run again.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from uuid import UUID

import asyncpg

from api import quantities
from api.db import Connection, load_queries
from api.errors import ApplicationError, Conflict, InvalidRequest, NotFound, RuleBroken, problem_of
from api.imports.prepare import Prepared, prepare
from schemas.imports import ImportBatch, ImportedArticle, ImportResult

Q = load_queries(__file__)

_RETRIES = 3  # deadlocks between concurrent batches sharing sources are retried


class _Outcomes:
    def __init__(self) -> None:
        self.by_index: dict[int, ImportedArticle] = {}

    def fail(self, index: int, exc: ApplicationError) -> None:
        self.by_index[index] = ImportedArticle(index=index, status="failed", problem=problem_of(exc))

    def skip(self, index: int, existing: UUID | None) -> None:
        self.by_index[index] = ImportedArticle(index=index, status="skipped", id=existing)


async def _screen(conn: Connection, batch: list[Prepared], outcomes: _Outcomes) -> list[Prepared]:
    """Drop records that exist already or clash with stored rows, before the transaction."""
    articles = [p.article for p in batch]
    rows = await conn.fetch(
        Q["existing_articles"],
        [a["id"] for a in articles],
        [a["url"] for a in articles if a["url"]],
        [a["external_id"] for a in articles if a["external_id"]],
    )
    taken: dict[Any, UUID] = {}
    for row in rows:
        for key in (row["id"], ("url", row["url"]), ("external_id", row["external_id"])):
            taken[key] = row["id"]
    claim_ids = {c["id"] for p in batch for c in p.claims}
    verification_ids = {v["id"] for p in batch for v in p.verifications}
    clashing_claims = {r["id"] for r in await conn.fetch(Q["existing_claim_ids"], list(claim_ids))}
    clashing_history = {
        r["id"] for r in await conn.fetch(Q["existing_verification_ids"], list(verification_ids))
    }
    named = {sid for p in batch for sid in p.named_sources}
    defined = {s["id"] for p in batch for s in p.sources.values() if s["id"] is not None}
    stored_sources = {r["id"] for r in await conn.fetch(Q["existing_source_ids"], list(named - defined))}

    kept: list[Prepared] = []
    for p in batch:
        a = p.article
        keys: list[Any] = [a["id"]]
        keys += [("url", a["url"])] if a["url"] else []
        keys += [("external_id", a["external_id"])] if a["external_id"] else []
        existing = next((taken[k] for k in keys if k in taken), None)
        if existing is not None:
            outcomes.skip(p.index, existing)
            continue
        clash = next((c["id"] for c in p.claims if c["id"] in clashing_claims), None) or next(
            (v["id"] for v in p.verifications if v["id"] in clashing_history), None
        )
        if clash is not None:
            outcomes.fail(
                p.index, Conflict("a claim or history id of this article is taken", existing_id=str(clash))
            )
            continue
        missing = sorted(str(s) for s in p.named_sources - defined - stored_sources)
        if missing:
            outcomes.fail(p.index, NotFound(f"source {missing[0]} does not exist"))
            continue
        # Later records of the same batch with this identity are duplicates of this one.
        for k in keys:
            taken[k] = a["id"]
        kept.append(p)
    return kept


async def _store_sources(conn: Connection, batch: list[Prepared]) -> dict[Any, UUID]:
    """Every source of the batch found or created by url; keys are urls and the records' own ids."""
    wanted: dict[str, dict[str, Any]] = {}
    for p in batch:
        for url, source in p.sources.items():
            wanted.setdefault(url, source)
    if not wanted:
        return {}
    rows = [{**s, "id": s["id"] or uuid.uuid4()} for s in wanted.values()]
    await conn.execute(Q["insert_sources"], rows)
    found = {r["url"]: r["id"] for r in await conn.fetch(Q["source_ids_by_url"], list(wanted))}
    retry = [{**s, "id": uuid.uuid4()} for s in rows if s["url"] not in found]
    if retry:  # their ids belong to other urls here
        await conn.execute(Q["insert_sources"], retry)
        found = {r["url"]: r["id"] for r in await conn.fetch(Q["source_ids_by_url"], list(wanted))}
    ids: dict[Any, UUID] = dict(found)
    for url, source in wanted.items():
        if source["id"] is not None:
            ids[source["id"]] = found[url]
    return ids


async def _store(conn: Connection, batch: list[Prepared], outcomes: _Outcomes) -> list[Prepared]:
    # Worked out before the transaction: other batches wait for its sources meanwhile.
    figures = {
        c["id"]: quantities.stored(c["text"], c["quote"], c["language"]) for p in batch for c in p.claims
    }
    async with conn.transaction():
        # The claims' documents are written once, below, not after each statement (migration 0015).
        await conn.execute(Q["defer_documents"])
        inserted = set(await _column(conn, Q["insert_articles"], [p.article for p in batch]))
        stored = [p for p in batch if p.article["id"] in inserted]
        for p in batch:
            if p.article["id"] not in inserted:
                outcomes.skip(p.index, None)
        source_ids = await _store_sources(conn, stored)
        rows = [{**c, **figures[c["id"]]} for p in stored for c in p.claims]
        if rows:
            await conn.execute(Q["insert_claims"], rows)
        links = [
            {**link, "source_id": source_ids.get(link["source"], link["source"])}
            for p in stored
            for link in p.links
        ]
        if links:
            await conn.execute(
                Q["insert_links"], [{k: v for k, v in x.items() if k != "source"} for x in links]
            )
        history = [
            {
                **v,
                "evidence": [
                    {**e, "source_id": source_ids.get(e["source_id"], e["source_id"])} for e in v["evidence"]
                ],
            }
            for p in stored
            for v in p.verifications
        ]
        if history:
            await conn.execute(Q["insert_verifications"], history)
        revisions = [r for p in stored for r in p.revisions]
        if revisions:
            await conn.execute(Q["insert_revisions"], revisions)
        await conn.execute(
            Q["write_documents"],
            [r["id"] for r in rows],
            list({link["source_id"] for link in links}),
        )
        if stored:
            await conn.execute(Q["emit_imported"], [p.article["id"] for p in stored])
    return stored


async def _column(conn: Connection, sql: str, rows: list[dict[str, Any]]) -> list[Any]:
    return [r[0] for r in await conn.fetch(sql, rows)]


def _database_problem(exc: asyncpg.IntegrityConstraintViolationError) -> ApplicationError:
    constraint = getattr(exc, "constraint_name", None) or ""
    if constraint == "claims_span_in_body":
        return RuleBroken("span-mismatch", "a claim's span does not hold its quote in the article body")
    if isinstance(exc, asyncpg.UniqueViolationError):
        return Conflict(
            f"the batch clashes with stored rows ({constraint or 'a unique key'}); import it again"
        )
    return InvalidRequest(f"the batch breaks the rule {constraint or type(exc).__name__}")


async def import_batch(conn: Connection, data: ImportBatch, actor: str | None) -> ImportResult:
    outcomes = _Outcomes()
    prepared: list[Prepared] = []
    for index, record in enumerate(data.articles):
        try:
            prepared.append(prepare(index, record, actor))
        except ApplicationError as exc:
            outcomes.fail(index, exc)
    stored: list[Prepared] = []
    for attempt in range(_RETRIES):
        try:
            kept = await _screen(conn, prepared, outcomes) if prepared else []
            stored = await _store(conn, kept, outcomes) if kept else []
            break
        except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
            if attempt == _RETRIES - 1:
                raise Conflict("the batch met concurrent imports of the same rows; import it again") from None
            await asyncio.sleep(0.05 * (attempt + 1))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise _database_problem(exc) from None
    for p in stored:
        outcomes.by_index[p.index] = ImportedArticle(
            index=p.index, status="created", id=p.article["id"], claims=len(p.claims)
        )
    articles = [outcomes.by_index[i] for i in range(len(data.articles))]
    return ImportResult(
        created=len(stored),
        skipped=sum(a.status == "skipped" for a in articles),
        failed=sum(a.status == "failed" for a in articles),
        claims=sum(len(p.claims) for p in stored),
        verifications=sum(len(p.verifications) for p in stored),
        articles=articles,
    )
