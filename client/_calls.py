"""Every endpoint of the API as a function building its Call (client._endpoints makes them methods)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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
from schemas.articles import Article, ArticleCreate, ArticlePatch
from schemas.claims import Claim, ClaimCreate, ClaimPatch
from schemas.common import Page, Status
from schemas.imports import ArticleRecord, ImportResult
from schemas.keys import ApiKey, CreatedKey, KeyCreate
from schemas.sources import LinkIn, Source, SourceCreate, SourcePatch
from schemas.verifications import Verification, VerificationCreate, VerificationResult

ArticleRef = Article | UUID | str
ClaimRef = Claim | UUID | str
SourceRef = Source | UUID | str


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
    """The article with this url (any spelling) or external_id, or None."""
    params = query(url=url, external_id=external_id, limit=1)
    page = decode(Page[Article])

    def parse(response: httpx.Response) -> Article | None:
        return first_item(page(response))

    return Call("GET", "/v1/articles", parse, params=params)


def get_article(article: ArticleRef) -> Call[Article]:
    return Call("GET", f"/v1/articles/{ref(article)}", decode(Article))


def update_article(article: ArticleRef, data: ArticlePatch, *, version: int | None = None) -> Call[Article]:
    """Change fields; If-Match is the article's version (or ``version``) when given."""
    headers = write_headers(version_of(article, version))
    return Call("PATCH", f"/v1/articles/{ref(article)}", decode(Article), body=data, headers=headers)


def delete_article(article: ArticleRef, *, version: int | None = None) -> Call[None]:
    headers = write_headers(version_of(article, version))
    return Call("DELETE", f"/v1/articles/{ref(article)}", no_content, headers=headers)


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
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[Page[Claim]]:
    """Claims across all articles, most recently changed first."""
    params = query(
        status=status,
        article_id=article_id,
        language=language,
        tag=tag,
        q=q,
        updated_since=updated_since,
        limit=limit,
        cursor=cursor,
    )
    return Call("GET", "/v1/claims", decode(Page[Claim]), params=params)


def get_claim(claim: ClaimRef) -> Call[Claim]:
    return Call("GET", f"/v1/claims/{ref(claim)}", decode(Claim))


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
    return Call("DELETE", f"/v1/keys/{name}", no_content)


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
