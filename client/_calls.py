"""Every endpoint of the API as a function building its Call (client._endpoints makes them methods)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from urllib.parse import quote
from uuid import UUID

import httpx
import msgspec

from client._core import (
    Call,
    decode,
    etag_version,
    first_item,
    no_content,
    query,
    ref,
    version_of,
    write_headers,
)
from schemas.articles import Article, ArticleCreate, ArticlePatch, ArticleRevision, ArticleRevisionWithBody
from schemas.claims import Claim, ClaimCreate, ClaimPatch
from schemas.common import AnchorStatus, Page, Status
from schemas.events import EventPage
from schemas.imports import ArticleRecord, ImportResult
from schemas.keys import ApiKey, CreatedKey, KeyCreate
from schemas.search import Agreement, ClaimHit, MatchRequest, SimilarClaim
from schemas.sources import LinkIn, Source, SourceCreate, SourceHealth, SourcePatch
from schemas.verifications import Verification, VerificationCreate, VerificationResult
from schemas.webhooks import Delivery, Webhook, WebhookCreate, WebhookPatch, WebhookSecret

ArticleRef = Article | UUID | str
ClaimRef = Claim | UUID | str
SourceRef = Source | UUID | str
WebhookRef = Webhook | UUID | str

# The rule for looking things up: ``get_*`` takes an id and raises NotFound when there is no
# such resource; ``find_*`` looks by another identity (a url, an external_id) and returns None
# when nothing matches, since "not there yet" is an answer there, not an error.


# ---- articles -------------------------------------------------------------------------------


def create_article(data: ArticleCreate, *, idempotency_key: str | None = None) -> Call[Article]:
    """Create an article, with the claims it carries, in one transaction."""
    return Call(
        "POST", "/v1/articles", decode(Article), body=data, headers=write_headers(None, idempotency_key)
    )


def list_articles(
    *,
    url: str | None = None,
    external_id: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[Page[Article]]:
    """A page of articles, newest first."""
    params = query(url=url, external_id=external_id, limit=limit, cursor=cursor)
    return Call("GET", "/v1/articles", decode(Page[Article]), params=params)


def find_article(*, url: str | None = None, external_id: str | None = None) -> Call[Article | None]:
    """The article with this url (any spelling) or external_id; None when there is none."""
    params = query(url=url, external_id=external_id, limit=1)
    page = decode(Page[Article])

    def parse(response: httpx.Response) -> Article | None:
        return first_item(page(response))

    return Call("GET", "/v1/articles", parse, params=params)


def get_article(article: ArticleRef) -> Call[Article]:
    """One article by id; NotFound when there is none."""
    return Call("GET", f"/v1/articles/{ref(article)}", decode(Article))


def update_article(article: ArticleRef, data: ArticlePatch, *, version: int | None = None) -> Call[Article]:
    """Change fields; If-Match is the article's version (or ``version``) when given."""
    headers = write_headers(version_of(article, version))
    return Call("PATCH", f"/v1/articles/{ref(article)}", decode(Article), body=data, headers=headers)


def delete_article(article: ArticleRef, *, version: int | None = None) -> Call[None]:
    headers = write_headers(version_of(article, version))
    return Call("DELETE", f"/v1/articles/{ref(article)}", no_content, headers=headers)


def list_revisions(
    article: ArticleRef, *, limit: int | None = None, cursor: str | None = None
) -> Call[Page[ArticleRevision]]:
    """Every body the article has had, newest first, with what each did to its claims."""
    params = query(limit=limit, cursor=cursor)
    return Call("GET", f"/v1/articles/{ref(article)}/revisions", decode(Page[ArticleRevision]), params=params)


def get_revision(article: ArticleRef, revision: int) -> Call[ArticleRevisionWithBody]:
    """One revision with its body (1 is the body the article was created with); NotFound for another n."""
    path = f"/v1/articles/{ref(article)}/revisions/{int(revision)}"
    return Call("GET", path, decode(ArticleRevisionWithBody))


# ---- claims ---------------------------------------------------------------------------------


def list_article_claims(
    article: ArticleRef, *, limit: int | None = None, cursor: str | None = None
) -> Call[Page[Claim]]:
    """The article's claims in text order (all in one page unless ``limit``)."""
    params = query(limit=limit, cursor=cursor)
    return Call("GET", f"/v1/articles/{ref(article)}/claims", decode(Page[Claim]), params=params)


def create_claim(
    article: ArticleRef, data: ClaimCreate, *, idempotency_key: str | None = None
) -> Call[Claim]:
    headers = write_headers(None, idempotency_key)
    return Call("POST", f"/v1/articles/{ref(article)}/claims", decode(Claim), body=data, headers=headers)


def list_claims(
    *,
    status: Status | None = None,
    article_id: UUID | str | None = None,
    language: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    updated_since: datetime | None = None,
    created_since: datetime | None = None,
    claimant: str | None = None,
    outlet: str | None = None,
    source_id: UUID | str | None = None,
    source_url: str | None = None,
    source_health: Sequence[SourceHealth] | None = None,
    anchor_status: AnchorStatus | None = None,
    sort: Literal["updated_at", "created_at"] | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[Page[ClaimHit]]:
    """Claims across all articles, most recently changed first (``sort="created_at"``: newest
    first); with ``q``, full-text hits best first, each with ``search`` (rank and snippet)."""
    params = query(
        status=status,
        article_id=article_id,
        language=language,
        tag=tag,
        q=q,
        updated_since=updated_since,
        created_since=created_since,
        claimant=claimant,
        outlet=outlet,
        source_id=source_id,
        source_url=source_url,
        source_health=list(source_health) if source_health else None,
        anchor_status=anchor_status,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return Call("GET", "/v1/claims", decode(Page[ClaimHit]), params=params)


def get_claim(claim: ClaimRef) -> Call[Claim]:
    """One claim by id; NotFound when there is none."""
    return Call("GET", f"/v1/claims/{ref(claim)}", decode(Claim))


def similar_claims(
    claim: ClaimRef,
    *,
    language: str | None = None,
    agreement: Agreement | None = None,
    limit: int | None = None,
) -> Call[Page[SimilarClaim]]:
    """Claims of other articles that say the same, best match first, each with ``match.score``,
    ``agreement`` of their numbers and their status and rating, so a verdict can be reused."""
    params = query(language=language, agreement=agreement, limit=limit)
    return Call("GET", f"/v1/claims/{ref(claim)}/similar", decode(Page[SimilarClaim]), params=params)


def match_claim(
    text: str, *, language: str | None = None, limit: int | None = None
) -> Call[Page[SimilarClaim]]:
    """Stored claims that say the same as a claim not stored yet (reads only: safe to repeat)."""
    body = (
        MatchRequest(text=text, language=language)
        if limit is None
        else MatchRequest(text=text, language=language, limit=limit)
    )
    return Call("POST", "/v1/claims/match", decode(Page[SimilarClaim]), body=body, idempotent=True)


def update_claim(claim: ClaimRef, data: ClaimPatch, *, version: int | None = None) -> Call[Claim]:
    """Change text, quote or span, claimant, ...; If-Match is the claim's version (or ``version``)."""
    headers = write_headers(version_of(claim, version))
    return Call("PATCH", f"/v1/claims/{ref(claim)}", decode(Claim), body=data, headers=headers)


def delete_claim(claim: ClaimRef, *, version: int | None = None) -> Call[None]:
    headers = write_headers(version_of(claim, version))
    return Call("DELETE", f"/v1/claims/{ref(claim)}", no_content, headers=headers)


# ---- verifications and links ----------------------------------------------------------------


def submit_verification(
    claim: ClaimRef,
    data: VerificationCreate,
    *,
    version: int | None = None,
    idempotency_key: str | None = None,
) -> Call[VerificationResult]:
    """A verification update: status, note, rating text and evidence links, in one go."""
    headers = write_headers(version_of(claim, version), idempotency_key)
    path = f"/v1/claims/{ref(claim)}/verifications"
    return Call("POST", path, decode(VerificationResult), body=data, headers=headers)


def list_verifications(
    claim: ClaimRef, *, actor: str | None = None, limit: int | None = None, cursor: str | None = None
) -> Call[Page[Verification]]:
    """The claim's history, oldest first."""
    params = query(actor=actor, limit=limit, cursor=cursor)
    return Call("GET", f"/v1/claims/{ref(claim)}/verifications", decode(Page[Verification]), params=params)


def link_source(claim: ClaimRef, data: LinkIn, *, version: int | None = None) -> Call[Claim]:
    """Link a source (or change a link's relation and excerpt); answers with the claim."""
    headers = write_headers(version_of(claim, version))
    return Call("POST", f"/v1/claims/{ref(claim)}/sources", decode(Claim), body=data, headers=headers)


def unlink_source(claim: ClaimRef, source: SourceRef, *, version: int | None = None) -> Call[int]:
    """Remove a link; returns the claim's new version."""
    headers = write_headers(version_of(claim, version))
    path = f"/v1/claims/{ref(claim)}/sources/{ref(source)}"
    return Call("DELETE", path, etag_version, headers=headers)


# ---- sources --------------------------------------------------------------------------------


def create_source(data: SourceCreate) -> Call[Source]:
    """Create a source, or get the one stored under the same normalised url (safe to repeat)."""
    return Call("POST", "/v1/sources", decode(Source), body=data, idempotent=True)


def list_sources(
    *, url: str | None = None, limit: int | None = None, cursor: str | None = None
) -> Call[Page[Source]]:
    params = query(url=url, limit=limit, cursor=cursor)
    return Call("GET", "/v1/sources", decode(Page[Source]), params=params)


def find_source(url: str) -> Call[Source | None]:
    """The source stored under this url (any spelling), or None."""
    page = decode(Page[Source])

    def parse(response: httpx.Response) -> Source | None:
        return first_item(page(response))

    return Call("GET", "/v1/sources", parse, params=query(url=url, limit=1))


def get_source(source: SourceRef) -> Call[Source]:
    """One source by id; NotFound when there is none."""
    return Call("GET", f"/v1/sources/{ref(source)}", decode(Source))


def update_source(source: SourceRef, data: SourcePatch, *, version: int | None = None) -> Call[Source]:
    headers = write_headers(version_of(source, version))
    return Call("PATCH", f"/v1/sources/{ref(source)}", decode(Source), body=data, headers=headers)


def delete_source(source: SourceRef, *, version: int | None = None) -> Call[None]:
    headers = write_headers(version_of(source, version))
    return Call("DELETE", f"/v1/sources/{ref(source)}", no_content, headers=headers)


def list_source_claims(
    source: SourceRef, *, limit: int | None = None, cursor: str | None = None
) -> Call[Page[Claim]]:
    """The claims citing the source."""
    params = query(limit=limit, cursor=cursor)
    return Call("GET", f"/v1/sources/{ref(source)}/claims", decode(Page[Claim]), params=params)


# ---- keys (admin scope) ---------------------------------------------------------------------


def create_key(data: KeyCreate) -> Call[CreatedKey]:
    """Create an API key; the token is in this answer only."""
    return Call("POST", "/v1/keys", decode(CreatedKey), body=data)


def list_keys(*, limit: int | None = None, cursor: str | None = None) -> Call[Page[ApiKey]]:
    return Call("GET", "/v1/keys", decode(Page[ApiKey]), params=query(limit=limit, cursor=cursor))


def revoke_key(name: str) -> Call[None]:
    """Revoke a key by name: every API process refuses it within half a second."""
    return Call("DELETE", f"/v1/keys/{quote(name, safe='')}", no_content)


# ---- the change feed ------------------------------------------------------------------------


def list_events(
    *,
    type: Sequence[str] | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    start: Literal["now"] | None = None,
) -> Call[EventPage]:
    """One page of the change feed after ``cursor`` (from the beginning without one); its
    ``next_cursor`` is never None. ``start="now"``: no events, a cursor after all so far.
    ``type`` keeps some types: ``["claim.*", "verification.created"]``. Client.events() follows it."""
    params = query(type=list(type) if type else None, cursor=cursor, limit=limit, start=start)
    return Call("GET", "/v1/events", decode(EventPage), params=params)


# ---- webhooks (admin scope) -----------------------------------------------------------------


def create_webhook(data: WebhookCreate, *, idempotency_key: str | None = None) -> Call[WebhookSecret]:
    """Subscribe a URL to events; the signing ``secret`` is in this answer only."""
    headers = write_headers(None, idempotency_key)
    return Call("POST", "/v1/webhooks", decode(WebhookSecret), body=data, headers=headers)


def list_webhooks(*, limit: int | None = None, cursor: str | None = None) -> Call[Page[Webhook]]:
    return Call("GET", "/v1/webhooks", decode(Page[Webhook]), params=query(limit=limit, cursor=cursor))


def get_webhook(webhook: WebhookRef) -> Call[Webhook]:
    """One webhook by id; NotFound when there is none."""
    return Call("GET", f"/v1/webhooks/{ref(webhook)}", decode(Webhook))


def update_webhook(webhook: WebhookRef, data: WebhookPatch, *, version: int | None = None) -> Call[Webhook]:
    """Change url, event types or description; ``enabled=True`` resumes a disabled webhook."""
    headers = write_headers(version_of(webhook, version))
    return Call("PATCH", f"/v1/webhooks/{ref(webhook)}", decode(Webhook), body=data, headers=headers)


def delete_webhook(webhook: WebhookRef) -> Call[None]:
    """Delete a webhook and its deliveries."""
    return Call("DELETE", f"/v1/webhooks/{ref(webhook)}", no_content)


def rotate_webhook_secret(webhook: WebhookRef) -> Call[WebhookSecret]:
    """A new signing secret; the previous one still signs until ``previous_secret_expires_at``."""
    return Call("POST", f"/v1/webhooks/{ref(webhook)}/rotate-secret", decode(WebhookSecret))


def list_deliveries(
    webhook: WebhookRef,
    *,
    status: Literal["pending", "succeeded", "failed"] | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[Page[Delivery]]:
    """A webhook's deliveries, newest first, with their attempts and last error."""
    params = query(status=status, limit=limit, cursor=cursor)
    return Call("GET", f"/v1/webhooks/{ref(webhook)}/deliveries", decode(Page[Delivery]), params=params)


# ---- import (admin scope) -------------------------------------------------------------------


def import_articles(
    records: Sequence[ArticleRecord | msgspec.Raw], *, idempotency_key: str | None = None
) -> Call[ImportResult]:
    """Store records as they were (ids, versions, times, actors, history); existing ones are skipped.

    Records may be ``msgspec.Raw`` JSON, sent as they are. Importing again stores nothing new
    (the records come back ``skipped``), so the call is retried on 503 and lost connections.
    """
    body = {"articles": list(records)}
    headers = write_headers(None, idempotency_key)
    return Call("POST", "/v1/import", decode(ImportResult), body=body, headers=headers, idempotent=True)
