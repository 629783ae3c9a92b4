"""Checking import records: each record's rows, ready to store, or the problem that refuses it.

Pure: nothing here reads or writes the database. A record is checked as the public endpoints
would check it (placement, ratings, evidence, history), so that a bad article is reported with
its problem while the others are stored.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgspec

from api import anchoring
from api.claims import rules
from api.claims import service as claims
from api.errors import InvalidRequest
from api.urls import InvalidURL, normalise_url, normalised
from schemas.imports import ArticleRecord, ClaimRecord, LinkRecord


@dataclass
class Prepared:
    """One article's rows, checked and ready to insert."""

    index: int
    article: dict[str, Any]
    claims: list[dict[str, Any]] = field(default_factory=list)
    # claim_id, article_id, relation, excerpt, added_by, added_at; "source" is a url or a UUID
    links: list[dict[str, Any]] = field(default_factory=list)
    verifications: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # by normalised url
    named_sources: set[UUID] = field(default_factory=set)  # linked by source_id only


@functools.lru_cache(maxsize=65_536)
def _normalise_cached(url: str) -> str | None:
    try:
        return normalise_url(url)
    except InvalidURL:
        return None


def _url(url: str, pointer: str) -> str:
    """The normalised url; an import names the same sources over and over, so they are cached."""
    return _normalise_cached(url) or normalised(url, pointer)


def _actor(value: Any, default: str | None) -> str | None:
    return default if value is msgspec.UNSET else value


def _invalid(pointer: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, errors=[(pointer, message)])


def prepare(index: int, record: ArticleRecord, actor: str | None) -> Prepared:
    """The rows of the batch's record ``index``, or an ApplicationError pointing into the batch."""
    base = f"/articles/{index}"
    article_id = record.id or uuid.uuid4()
    prepared = Prepared(
        index=index,
        article={
            "id": article_id,
            "url": _url(record.url, f"{base}/url") if record.url else None,
            "external_id": record.external_id,
            "title": record.title,
            "language": record.language,
            "outlet": record.outlet,
            "published_at": record.published_at,
            "body": record.body,
            "version": record.version or 1,
            "revision": _revisions(record, base)[-1]["revision"]
            if record.revisions
            else (record.revision or 1),
            "created_by": _actor(record.created_by, actor),
            "updated_by": _actor(record.updated_by, actor),
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        },
    )
    seen: set[UUID] = set()
    for i, claim in enumerate(record.claims):
        at = f"{base}/claims/{i}"
        if claim.article_id is not None and claim.article_id != record.id:
            raise _invalid(f"{at}/article_id", "a claim's article_id must be its article's id")
        claim_id = claim.id or uuid.uuid4()
        if claim_id in seen:
            raise _invalid(f"{at}/id", "this claim id occurs twice")
        seen.add(claim_id)
        _prepare_claim(prepared, claim, claim_id, record, actor, at)
    if record.revisions:
        prepared.revisions = [
            {**r, "article_id": article_id, "actor": _actor(r["actor"], actor)}
            for r in _revisions(record, base)
        ]
    else:
        placed = sum(c["span_start"] is not None for c in prepared.claims)
        prepared.revisions = [
            {
                "article_id": article_id,
                "revision": prepared.article["revision"],
                "article_version": prepared.article["version"],
                "created_at": record.updated_at,
                "actor": prepared.article["updated_by"],
                "body": record.body,
                "anchored": placed,
                "reworded": 0,
                "orphaned": len(prepared.claims) - placed,
            }
        ]
    return prepared


def _revisions(record: ArticleRecord, base: str) -> list[dict[str, Any]]:
    """The record's revisions checked: numbered once each, the last one its body."""
    rows: list[dict[str, Any]] = []
    numbers: set[int] = set()
    for i, r in enumerate(record.revisions):
        at = f"{base}/revisions/{i}"
        if r.revision in numbers:
            raise _invalid(f"{at}/revision", "two revisions have this number")
        if rows and r.revision < rows[-1]["revision"]:
            raise _invalid(f"{at}/revision", "revisions are listed oldest first")
        numbers.add(r.revision)
        if r.length is not None and r.length != len(r.body):
            raise _invalid(f"{at}/length", f"the body has {len(r.body)} code points")
        if r.sha256 is not None and r.sha256 != hashlib.sha256(r.body.encode()).hexdigest():
            raise _invalid(f"{at}/sha256", "this is not the SHA-256 of the body")
        summary = r.summary
        rows.append(
            {
                "revision": r.revision,
                "article_version": r.article_version,
                "created_at": r.created_at,
                "actor": r.actor,
                "body": r.body,
                "anchored": summary.anchored if summary else 0,
                "reworded": summary.reworded if summary else 0,
                "orphaned": summary.orphaned if summary else 0,
            }
        )
    last = rows[-1]
    if last["body"] != record.body:
        raise _invalid(f"{base}/revisions/{len(rows) - 1}/body", "the last revision is the article's body")
    if record.revision is not None and record.revision != last["revision"]:
        raise _invalid(f"{base}/revision", "the article's revision is its last revision's number")
    return rows


def _placement(claim: ClaimRecord, body: str, at: str) -> dict[str, Any]:
    selector = claim.selector
    if selector is not None and selector.exact != claim.quote:
        raise _invalid(f"{at}/selector/exact", "selector.exact must equal the quote")
    if claim.anchor_status == "orphaned":
        if claim.span is not None:
            raise _invalid(f"{at}/span", "an orphaned claim has no span")
        prefix = selector.prefix if selector else claim.prefix or ""
        suffix = selector.suffix if selector else claim.suffix or ""
        for name, value in (("prefix", prefix), ("suffix", suffix)):
            if len(value) > anchoring.CONTEXT:
                raise _invalid(f"{at}/selector/{name}", f"at most {anchoring.CONTEXT} code points are stored")
        return {
            "quote": claim.quote,
            "span_start": None,
            "span_end": None,
            "prefix": prefix,
            "suffix": suffix,
        }
    span = (claim.span.start, claim.span.end) if claim.span else None
    before = claim.prefix if claim.prefix is not None else selector.prefix if selector else None
    after = claim.suffix if claim.suffix is not None else selector.suffix if selector else None
    quote, where = claims.place(body, claim.quote, span, before, after, at)
    return {
        "quote": quote,
        "span_start": where.start,
        "span_end": where.end,
        "prefix": where.prefix,
        "suffix": where.suffix,
    }


def _prepare_claim(
    prepared: Prepared, claim: ClaimRecord, claim_id: UUID, record: ArticleRecord, actor: str | None, at: str
) -> None:
    article_id = prepared.article["id"]
    rating: tuple[int | None, str | None]
    if claim.rating is None:
        rating = rules.rating_for(claim.status, None)
    elif claim.status in rules.RATINGS:
        rating = (claim.rating.value, claim.rating.text)
    else:
        raise _invalid(f"{at}/rating", f"a claim that is {claim.status} has no rating")

    relations: list[str] = []
    linked: set[Any] = set()
    for j, link in enumerate(claim.sources):
        key = _prepare_link(prepared, link, f"{at}/sources/{j}", actor)
        rules.check_linked_once(key, linked, f"{at}/sources/{j}")
        linked.add(key)
        relations.append(link.relation)
        prepared.links.append(
            {
                "claim_id": claim_id,
                "article_id": article_id,
                "source": key,
                "relation": link.relation,
                "excerpt": link.excerpt,
                "added_by": _actor(link.added_by, actor),
                "added_at": link.added_at,
            }
        )
    # A record's claim carries no note (its history's entries do), so only its links are checked.
    rules.check_links(claim.status, relations, at)

    versions: set[int] = set()
    for k, entry in enumerate(claim.history):
        vat = f"{at}/history/{k}"
        if entry.claim_id is not None and entry.claim_id != claim.id:
            raise _invalid(f"{vat}/claim_id", "a history entry's claim_id must be its claim's id")
        if entry.kind == "verdict":
            rules.check_transition(entry.previous_status, entry.status, vat)
        if entry.kind == "reworded" and (entry.wording is None or entry.status != entry.previous_status):
            raise _invalid(f"{vat}/wording", "a reworded entry has its wording and keeps the status it found")
        if entry.kind == "verdict" and entry.wording is not None:
            raise _invalid(f"{vat}/wording", "only a reworded entry has a wording")
        if entry.claim_version in versions:
            raise _invalid(f"{vat}/claim_version", "two history entries have this claim_version")
        if claim.version is not None and entry.claim_version > claim.version:
            raise _invalid(f"{vat}/claim_version", "a history entry is newer than the claim's version")
        versions.add(entry.claim_version)
        prepared.verifications.append(
            {
                "id": entry.id or uuid.uuid4(),
                "claim_id": claim_id,
                "article_id": article_id,
                "status": entry.status,
                "previous_status": entry.previous_status,
                "rating_value": entry.rating.value if entry.rating else None,
                "rating_text": entry.rating.text if entry.rating else None,
                "note": entry.note,
                "evidence": [
                    {"source_id": e.source_id, "relation": e.relation, "excerpt": e.excerpt}
                    for e in entry.evidence
                ],
                "kind": entry.kind,
                "wording": entry.wording,
                "actor": _actor(entry.actor, actor),
                "claim_version": entry.claim_version,
                "created_at": entry.created_at,
            }
        )

    placed = _placement(claim, record.body, at)
    prepared.claims.append(
        {
            "id": claim_id,
            "article_id": article_id,
            "text": claim.text,
            **placed,
            "anchor_status": "orphaned"
            if placed["span_start"] is None
            else ("reworded" if claim.anchor_status == "reworded" else "anchored"),
            "revision": claim.revision or prepared.article["revision"],
            "language": claim.language or record.language,
            "claimant": claim.claimant,
            "claimant_type": claim.claimant_type,
            "claim_date": claim.claim_date,
            "tags": claim.tags,
            "status": claim.status,
            "rating_value": rating[0],
            "rating_text": rating[1],
            "review_url": _url(claim.review_url, f"{at}/review_url") if claim.review_url else None,
            "version": claim.version or max(versions, default=1),
            "created_by": _actor(claim.created_by, actor),
            "updated_by": _actor(claim.updated_by, actor),
            "created_at": claim.created_at,
            "updated_at": claim.updated_at,
        }
    )


def _prepare_link(prepared: Prepared, link: LinkRecord, at: str, actor: str | None) -> str | UUID:
    """The link's source key: the normalised url of a source sent whole, or the id it names."""
    rules.check_names_one_source(link.source_id, link.source, at)
    if link.source is None:
        assert link.source_id is not None
        prepared.named_sources.add(link.source_id)
        return link.source_id
    source = link.source
    url = _url(source.url, f"{at}/source/url")
    prepared.sources.setdefault(
        url,
        {
            "id": source.id,
            "url": url,
            "title": source.title,
            "publisher": source.publisher,
            "kind": source.kind,
            "language": source.language,
            "published_at": source.published_at,
            "archived_url": _url(source.archived_url, f"{at}/source/archived_url")
            if source.archived_url
            else None,
            "version": source.version or 1,
            "created_by": _actor(source.created_by, actor),
            "updated_by": _actor(source.updated_by, actor),
            "created_at": source.created_at,
            "updated_at": source.updated_at,
            "health": source.health,
            "checked_at": source.checked_at,
            "review_rating": source.review_rating,
            "claim_reviewed": source.claim_reviewed,
            "reviews": source.reviews,
        },
    )
    return url
