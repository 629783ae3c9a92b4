"""Claims: placing quotes, links to sources, and the verification history."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import msgspec

from api import anchoring, quantities, reanchoring
from api.body import given
from api.claims import rules
from api.db import Connection, load_queries
from api.errors import Forbidden, NotFound, RuleBroken
from api.events.outbox import Outbox
from api.http import IfMatch, locked, make_page
from api.sources import service as sources
from api.urls import normalised
from schemas.articles import RevisionSummary
from schemas.claims import Claim, ClaimCreate, ClaimPatch
from schemas.common import Page
from schemas.sources import LinkIn
from schemas.verifications import Verification, VerificationCreate, VerificationResult

Q = load_queries(__file__)

_claim = msgspec.json.Decoder(Claim)
_claims = msgspec.json.Decoder(list[Claim])
_verification = msgspec.json.Decoder(Verification)
_verifications = msgspec.json.Decoder(list[Verification])

# The claims of an article page by their text order: (orphaned, span start, span end, id); an
# orphaned claim has no span, and its keyset's 0s stand for none (see of_article).
TextOrderKeyset = tuple[bool, int, int, UUID]


# ---- placing quotes -------------------------------------------------------------------------


def _placement_problem(exc: anchoring.PlacementError, pointer: str) -> RuleBroken:
    extra: dict[str, Any] = {}
    if exc.candidates:
        extra["candidates"] = [{"start": s, "end": e} for s, e in exc.candidates]
    return RuleBroken(exc.problem, exc.detail, errors=[(pointer, exc.detail)], **extra)


def place(
    body: str,
    quote: str | None,
    span: tuple[int, int] | None,
    prefix: str | None,
    suffix: str | None,
    pointer: str,
) -> tuple[str, anchoring.Placement]:
    """(quote, placement) by the contract's rules: span wins over prefix/suffix."""
    try:
        if span is not None:
            return anchoring.place_by_span(body, quote, span[0], span[1])
        assert quote is not None
        return anchoring.place_quote(body, quote, prefix, suffix)
    except anchoring.PlacementError as exc:
        raise _placement_problem(exc, pointer + ("/span" if span is not None else "/quote")) from None


# ---- links ----------------------------------------------------------------------------------


async def resolve_links(
    conn: Connection,
    links: list[LinkIn],
    actor: str | None,
    pointer: str,
    outbox: Outbox,
    *,
    listed: bool = True,
) -> list[dict[str, Any]]:
    """Each link as {source_id, relation, excerpt}; sources sent by url are found or created.
    ``listed``: the links are a list at ``pointer`` (else one link is the body at ``pointer``)."""
    resolved: list[dict[str, Any]] = []
    by_id: dict[UUID, str] = {}
    for i, link in enumerate(links):
        at = f"{pointer}/{i}" if listed else pointer
        rules.check_names_one_source(link.source_id, link.source, at)
        if link.source is not None:
            source_id, created = await sources.find_or_create(conn, link.source, actor, f"{at}/source/url")
            if created:
                outbox.source_created(source_id)
        else:
            assert link.source_id is not None
            source_id = link.source_id
            by_id[source_id] = f"{at}/source_id"
        rules.check_linked_once(source_id, [r["source_id"] for r in resolved], at)
        resolved.append({"source_id": source_id, "relation": link.relation, "excerpt": link.excerpt})
    if by_id:
        found = {r["id"] for r in await conn.fetch(sources.Q["source_ids_existing"], list(by_id))}
        missing = [sid for sid in by_id if sid not in found]
        if missing:
            raise NotFound(
                f"source {missing[0]} does not exist",
                errors=[(by_id[sid], "no such source") for sid in missing],
            )
    return resolved


# ---- reading --------------------------------------------------------------------------------


async def get(conn: Connection, claim_id: UUID) -> Claim:
    doc = await conn.fetchval(Q["claim_document"], claim_id)
    if doc is None:
        raise NotFound(f"claim {claim_id} does not exist")
    return _claim.decode(doc)


async def all_of_article(conn: Connection, article_id: UUID) -> bytes:
    """The hot path: all of an article's claims as one page, their stored documents passed
    through as PostgreSQL joined them (they spell everything as the API does), one round trip."""
    items: bytes | None = await conn.fetchval(Q["article_claims"], article_id, None, None, None, None, None)
    if items is None:
        raise NotFound(f"article {article_id} does not exist")
    return b'{"items":' + items + b',"next_cursor":null}'


async def of_article(conn: Connection, article_id: UUID, cursor: Any, limit: int | None) -> Page[Claim]:
    orphaned, start, end, after_id = cursor if cursor else (None, None, None, None)
    if orphaned:
        start = end = None  # the keyset's 0s stand for no span: claim_text_order places it
    row = await conn.fetchrow(
        Q["article_claims"], article_id, orphaned, start, end, after_id, limit + 1 if limit else None
    )
    if row is None:
        raise NotFound(f"article {article_id} does not exist")
    items = _claims.decode(row[0])
    return make_page(
        items,
        limit,
        lambda c: [c.span is None, c.span.start if c.span else 0, c.span.end if c.span else 0, str(c.id)],
    )


# ---- writing --------------------------------------------------------------------------------


async def create_many(
    conn: Connection,
    article_id: UUID,
    body: str,
    language: str,
    items: list[ClaimCreate],
    actor: str | None,
    pointer: str,
    outbox: Outbox,
    revision: int = 1,
) -> list[UUID]:
    """Insert claims (and their links) of one article; call inside a transaction, then ``emit_created``."""
    rows: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        at = f"{pointer}/{i}" if pointer != "" else ""
        span = (item.span.start, item.span.end) if item.span else None
        quote, where = place(body, item.quote, span, item.prefix, item.suffix, at)
        claim_id = uuid.uuid4()
        rows.append(
            {
                "id": str(claim_id),
                "text": item.text,
                "quote": quote,
                "span_start": where.start,
                "span_end": where.end,
                "prefix": where.prefix,
                "suffix": where.suffix,
                "language": item.language or language,
                "claimant": item.claimant,
                "claimant_type": item.claimant_type,
                "claim_date": item.claim_date.isoformat() if item.claim_date else None,
                "tags": item.tags,
                "review_url": normalised(item.review_url, f"{at}/review_url") if item.review_url else None,
                **quantities.stored(item.text, quote, item.language or language),
            }
        )
        for link in await resolve_links(conn, item.sources, actor, f"{at}/sources", outbox):
            links.append({**link, "claim_id": claim_id})
    if rows:
        await conn.execute(Q["insert_claims"], article_id, rows, actor, revision)
    if links:
        await conn.execute(Q["insert_links_for_claims"], article_id, links, actor)
    return [UUID(r["id"]) for r in rows]


async def emit_created(conn: Connection, claim_ids: list[UUID], outbox: Outbox) -> list[Claim]:
    """The new claims, after the outbox's events: claim.created for each and claim_source.created
    for each of its links, written from the stored documents (``emit_claims_created``)."""
    await outbox.flush(conn)
    if not claim_ids:
        return []
    return _claims.decode(await conn.fetchval(Q["emit_claims_created"], claim_ids))


async def create(conn: Connection, article_id: UUID, data: ClaimCreate, actor: str | None) -> Claim:
    outbox = Outbox()
    async with conn.transaction():
        article = await conn.fetchrow(Q["article_for_claims"], article_id)
        if article is None:
            raise NotFound(f"article {article_id} does not exist")
        claim_ids = await create_many(
            conn,
            article_id,
            article["body"],
            article["language"],
            [data],
            actor,
            "",
            outbox,
            article["revision"],
        )
        [claim] = await emit_created(conn, claim_ids, outbox)
        await outbox.flush(conn)
    return claim


async def _locked(conn: Connection, claim_id: UUID, expected: IfMatch | None) -> Any:
    return await locked(conn, Q["claim_for_update"], claim_id, expected, "claim")


# Statuses under which a claim's words may change without the verify scope: no verdict yet.
_OPEN_STATUSES = frozenset({"unverified", "in_review"})
# The fields of a claim PATCH that place the claim in its article's body.
_PLACING = frozenset({"quote", "span", "prefix", "suffix"})


async def update(
    conn: Connection,
    claim_id: UUID,
    data: ClaimPatch,
    expected: IfMatch | None,
    actor: str | None,
    *,
    may_change_verdict_subject: bool,
) -> Claim:
    """A PATCH of a claim. New words are recorded in its history (a ``reworded`` entry); new
    words or a new place for a claim with a verdict need ``may_change_verdict_subject``."""
    async with conn.transaction():
        row = await _locked(conn, claim_id, expected)
        changes = given(data)
        if "review_url" in changes:
            url = changes["review_url"]
            changes["review_url"] = normalised(url, "/review_url") if url else None
        # quote, span, prefix and suffix are not written as sent: they place the claim anew.
        new = {**row, **{k: v for k, v in changes.items() if k not in _PLACING}}
        if _PLACING & changes.keys():
            span = (changes["span"].start, changes["span"].end) if "span" in changes else None
            quote = changes.get("quote", None if span is not None else row["quote"])
            new["quote"], where = place(
                row["body"], quote, span, changes.get("prefix"), changes.get("suffix"), ""
            )
            new.update(span_start=where.start, span_end=where.end, prefix=where.prefix, suffix=where.suffix)
        subject_changed = any(new[k] != row[k] for k in ("text", "quote", "span_start", "span_end"))
        if subject_changed or "span" in changes:
            # A desk placed or worded the claim itself: its words are where it says, in the
            # article's current body.
            new.update(anchor_status="anchored", revision=row["article_revision"])
        if new == dict(row):
            return await get(conn, claim_id)
        if row["status"] not in _OPEN_STATUSES and not may_change_verdict_subject and subject_changed:
            raise Forbidden(
                f"the claim is {row['status']}: changing its text, quote or span changes what the "
                "verdict is about and needs the verify scope"
            )
        await conn.execute(
            Q["update_claim"],
            claim_id,
            new["text"],
            new["quote"],
            new["span_start"],
            new["span_end"],
            new["prefix"],
            new["suffix"],
            new["language"],
            new["claimant"],
            new["claim_date"],
            new["tags"],
            new["review_url"],
            actor,
            new["anchor_status"],
            new["revision"],
            *quantities.of_claim(new["text"], new["quote"], new["language"]),
            new["claimant_type"],
        )
        outbox = Outbox()
        if (new["text"], new["quote"]) != (row["text"], row["quote"]):
            [entry] = await record_rewordings(conn, [(claim_id, row, new["text"], new["quote"])], actor)
            outbox.add("verification.created", claim_id, entry)
        claim = await get(conn, claim_id)
        outbox.add("claim.updated", claim_id, claim)
        await outbox.flush(conn)
        return claim


async def record_rewordings(
    conn: Connection, changes: list[tuple[UUID, Any, str, str]], actor: str | None
) -> list[msgspec.Raw]:
    """The history entries of changes of claims' words, each (claim id, its row before, new
    text, new quote); call after the claims' update. Answers the entries as the API returns them."""
    wordings = [
        {
            "id": claim_id,
            "wording": {
                "text_before": old["text"],
                "text_after": text,
                "quote_before": old["quote"],
                "quote_after": quote,
            },
        }
        for claim_id, old, text, quote in changes
    ]
    entries = {
        r[0]: msgspec.Raw(r[1].encode()) for r in await conn.fetch(Q["record_rewordings"], wordings, actor)
    }
    return [entries[claim_id] for claim_id, _, _, _ in changes]


async def delete(
    conn: Connection, claim_id: UUID, expected: IfMatch | None, *, may_erase_history: bool
) -> None:
    async with conn.transaction():
        row = await _locked(conn, claim_id, expected)
        if not may_erase_history and await conn.fetchval(Q["claim_has_history"], claim_id):
            raise Forbidden("the claim has a verification history; deleting it needs the verify scope too")
        await conn.execute(Q["delete_claim"], claim_id)
        outbox = Outbox()
        outbox.add("claim.deleted", claim_id, {"id": claim_id, "article_id": row["article_id"]})
        await outbox.flush(conn)


async def link(
    conn: Connection, claim_id: UUID, data: LinkIn, expected: IfMatch | None, actor: str | None
) -> tuple[Claim, bool]:
    """Link a source (created=True), or change an existing link's relation and excerpt."""
    outbox = Outbox()
    async with conn.transaction():
        row = await _locked(conn, claim_id, expected)
        [wanted] = await resolve_links(conn, [data], actor, "", outbox, listed=False)
        current = await _links(conn, claim_id)
        existing = current.get(wanted["source_id"])
        if existing is not None and (existing["relation"], existing["excerpt"]) == (
            wanted["relation"],
            wanted["excerpt"],
        ):
            return await get(conn, claim_id), False
        relations = [r["relation"] for sid, r in current.items() if sid != wanted["source_id"]]
        rules.check_links_keep_status(row["status"], [*relations, wanted["relation"]])
        await conn.execute(Q["upsert_links"], claim_id, row["article_id"], [wanted], actor)
        await conn.execute(Q["bump_claim"], claim_id, actor)
        await outbox.flush(conn)  # a source made on the way comes first in the feed
        # The claim as it is now, with the link's events and claim.updated.
        doc = await conn.fetchval(
            Q["finish_verification"], claim_id, None, [wanted["source_id"]], [existing is None]
        )
        return _claim.decode(doc), existing is None


async def unlink(
    conn: Connection, claim_id: UUID, source_id: UUID, expected: IfMatch | None, actor: str | None
) -> int:
    """Remove a link; returns the claim's new version."""
    async with conn.transaction():
        row = await _locked(conn, claim_id, expected)
        if await conn.fetchval(Q["delete_link"], claim_id, source_id) is None:
            raise NotFound(f"source {source_id} is not linked to claim {claim_id}")
        remaining = [r["relation"] for r in (await _links(conn, claim_id)).values()]
        rules.check_links_keep_status(row["status"], remaining)
        await conn.execute(Q["bump_claim"], claim_id, actor)
        claim = await get(conn, claim_id)
        outbox = Outbox()
        outbox.add("claim_source.deleted", claim_id, {"claim_id": claim_id, "source_id": source_id})
        outbox.add("claim.updated", claim_id, claim)
        await outbox.flush(conn)
        return claim.version


async def _links(conn: Connection, claim_id: UUID) -> dict[UUID, dict[str, Any]]:
    """A claim's links by source id; read after its lock is held, so they are current."""
    return {r["source_id"]: dict(r) for r in await conn.fetch(Q["claim_links"], claim_id)}


async def verify(
    conn: Connection, claim_id: UUID, data: VerificationCreate, expected: IfMatch | None, actor: str | None
) -> VerificationResult:
    """One verification update: links, the history row and the claim change, in one transaction.

    Round trips: BEGIN, the claim locked, (with links sent: their sources, the claim's links and
    the changed ones written), the new status with its history row, the claim document with the
    events, COMMIT. The evidence rules are checked on the links in force as the history row
    recorded them; an update they refuse is rolled back whole.
    """
    outbox = Outbox()
    async with conn.transaction():
        row = await _locked(conn, claim_id, expected)
        rules.check_transition(row["status"], data.status)
        changed: dict[UUID, bool] = {}  # source id -> whether the link is new
        if data.sources:
            new_links = await resolve_links(conn, data.sources, actor, "/sources", outbox)
            current = await _links(conn, claim_id)
            for link in new_links:
                old = current.get(link["source_id"])
                if old is None or (old["relation"], old["excerpt"]) != (link["relation"], link["excerpt"]):
                    changed[link["source_id"]] = old is None
            if changed:
                await conn.execute(
                    Q["upsert_links"],
                    claim_id,
                    row["article_id"],
                    [link for link in new_links if link["source_id"] in changed],
                    actor,
                )
        value, text = rules.rating_for(data.status, data.rating_text)
        review_url = normalised(data.review_url, "/review_url") if data.review_url else None
        recorded: str = await conn.fetchval(
            Q["record_verification"],
            claim_id,
            data.status,
            value,
            text,
            review_url,
            actor,
            row["status"],
            data.note,
        )
        verification = _verification.decode(recorded)
        rules.check_evidence(data.status, [e.relation for e in verification.evidence], data.note)
        await outbox.flush(conn)  # sources made on the way come first in the feed
        doc = await conn.fetchval(
            Q["finish_verification"],
            claim_id,
            msgspec.Raw(recorded.encode()),
            list(changed),
            list(changed.values()),
        )
    return VerificationResult(verification=verification, claim=_claim.decode(doc))


async def history(
    conn: Connection, claim_id: UUID, actor: str | None, cursor: Any, limit: int
) -> Page[Verification]:
    after = cursor[0] if cursor else None
    raw = await conn.fetchrow(Q["list_verifications"], claim_id, after, actor, limit + 1)
    if raw is None:
        raise NotFound(f"claim {claim_id} does not exist")
    return make_page(_verifications.decode(raw[0]), limit, lambda v: [v.claim_version])


async def reanchor_all(
    conn: Connection,
    article_id: UUID,
    body: str,
    revision: int,
    actor: str | None,
    outbox: Outbox,
    threshold: float,
) -> RevisionSummary:
    """Carry every claim of an article to its new body (revision ``revision``); call inside the
    article's transaction. Returns what it did, for the revision's summary.

    A claim keeps its place, follows its words, is placed approximately (``reworded``: its quote
    takes the new words, and its history a ``reworded`` entry) or is orphaned. A verdict whose
    quoted numbers changed does not stand silently: the claim goes back to ``in_review``.
    """
    counts = {"anchored": 0, "reworded": 0, "orphaned": 0}
    moved: list[dict[str, Any]] = []
    reworded: list[tuple[UUID, Any, str, str]] = []
    moves: list[dict[str, Any]] = []
    renumbered: list[Any] = []
    for row in await conn.fetch(Q["article_claims_for_update"], article_id):
        found = reanchoring.reanchor(
            body,
            row["quote"],
            row["span_start"],
            row["span_end"],
            row["prefix"],
            row["suffix"],
            threshold=threshold,
        )
        counts[found.outcome] += 1
        where = found.placement
        if where is None:
            new = {
                "span_start": None,
                "span_end": None,
                "prefix": row["prefix"],
                "suffix": row["suffix"],
                "quote": row["quote"],
                "anchor_status": "orphaned",
                "revision": row["revision"],
                "quote_quantities": None,
            }
        else:
            # Reworded stays until a desk looks again (a PATCH of the claim, or a verdict).
            sticky = "reworded" if row["anchor_status"] == "reworded" else "anchored"
            new = {
                "span_start": where.start,
                "span_end": where.end,
                "prefix": where.prefix,
                "suffix": where.suffix,
                "quote": found.quote,
                "anchor_status": "reworded" if found.outcome == "reworded" else sticky,
                "revision": revision,
                # New words: their quantities; null keeps the stored ones.
                "quote_quantities": quantities.of_quote(found.quote, row["language"])
                if found.quote != row["quote"]
                else None,
            }
        old = {k: row[k] for k in ("span_start", "span_end", "prefix", "suffix", "quote", "anchor_status")}
        if {k: new[k] for k in old} == old:
            continue
        moved.append({"id": str(row["id"]), **new})
        if (new["quote"], new["anchor_status"]) == (row["quote"], row["anchor_status"]):
            continue  # moved with the text around it: claim.updated says where it is now
        moves.append(
            {
                "claim_id": row["id"],
                "article_id": article_id,
                "revision": revision,
                "anchor_status": new["anchor_status"],
                "span_before": _span(row["span_start"], row["span_end"]),
                "span_after": _span(new["span_start"], new["span_end"]),
                "quote_before": row["quote"],
                "quote_after": new["quote"],
            }
        )
        if found.quote != row["quote"] and where is not None:
            reworded.append((row["id"], row, row["text"], found.quote))
            if row["status"] not in _OPEN_STATUSES and reanchoring.numbers_changed(row["quote"], found.quote):
                renumbered.append((row, found.quote, new["anchor_status"]))
    if moved:
        await conn.execute(Q["replace_claims"], moved, actor)
        for move in moves:
            outbox.add("claim.reanchored", move["claim_id"], move)
        for (claim_id, _, _, _), entry in zip(
            reworded, await record_rewordings(conn, reworded, actor), strict=True
        ):
            outbox.add("verification.created", claim_id, entry)
        for row, quote, anchor_status in renumbered:
            entry = await _reopen(conn, row, quote, revision, actor, anchor_status)
            outbox.add("verification.created", row["id"], entry)
        # The claims' documents as stored, straight into the feed after the events before them.
        await outbox.flush(conn)
        await conn.execute(Q["emit_claims_updated"], [m["id"] for m in moved])
    return RevisionSummary(**counts)


def _span(start: int | None, end: int | None) -> dict[str, int] | None:
    return None if start is None or end is None else {"start": start, "end": end}


async def _reopen(
    conn: Connection, row: Any, quote: str, revision: int, actor: str | None, anchor_status: str
) -> msgspec.Raw:
    """A verdict whose quoted figures changed goes back to review, with a note saying why."""
    before, after = reanchoring.numbers(row["quote"]), reanchoring.numbers(quote)
    note = (
        f"The quoted figures changed in revision {revision} ({', '.join(before) or 'none'} -> "
        f"{', '.join(after) or 'none'}); the verdict {row['status']} needs checking again."
    )
    value, text = rules.rating_for("in_review", None)
    recorded: str = await conn.fetchval(
        Q["record_verification"], row["id"], "in_review", value, text, None, actor, row["status"], note
    )
    await conn.execute(Q["keep_anchor_status"], row["id"], anchor_status)
    return msgspec.Raw(recorded.encode())
