"""The Python client, sync and async, against the real API; retries against a stub on loopback."""

from __future__ import annotations

import http.server
import itertools
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import msgspec
import pytest

from client import (
    AsyncClient,
    Client,
    Conflict,
    EvidenceRequired,
    Forbidden,
    InvalidRequest,
    InvalidTransition,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    QuoteAmbiguous,
    QuoteNotFound,
    RateLimited,
    Retry,
    ServiceUnavailable,
    SpanMismatch,
    Unauthorized,
)
from schemas.articles import ArticleCreate, ArticlePatch
from schemas.claims import ClaimCreate, ClaimPatch, SpanIn
from schemas.keys import KeyCreate
from schemas.sources import LinkIn, SourceCreate, SourcePatch
from schemas.verifications import VerificationCreate
from tests.conftest import LiveServer, _run, create_key
from tests.integration.helpers import BODY, example_url, token, wait_until

ALL_SCOPES = ["read", "write", "verify", "admin"]


@pytest.fixture(scope="module")
async def api_token(database_url: str) -> str:
    return await create_key(database_url, f"client-{token()}", ALL_SCOPES)


@pytest.fixture(scope="module")
def api(live_server: LiveServer, api_token: str) -> Iterator[Client]:
    with Client(live_server.url, api_token, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def aapi(live_server: LiveServer, api_token: str) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(live_server.url, api_token, timeout=30) as client:
        yield client


def new_article(**fields: Any) -> ArticleCreate:
    values: dict[str, Any] = {
        "url": example_url("articles"),
        "external_id": f"cms-{token()}",
        "title": "Straßenbahn fährt öfter",
        "language": "de",
        "body": BODY,
    }
    values.update(fields)
    return ArticleCreate(**values)


def test_sync_client_articles_and_claims(api: Client) -> None:
    created = api.create_article(
        new_article(claims=[ClaimCreate(text="Trams run more often", quote="Straßenbahn")])
    )
    assert created.version == 1
    assert api.get_article(created.id) == created
    assert api.find_article(url=created.url) == created
    assert api.find_article(external_id=created.external_id) == created
    assert api.find_article(external_id=f"missing-{token()}") is None
    assert [a.id for a in api.list_articles(external_id=created.external_id).items] == [created.id]

    changed = api.update_article(created, ArticlePatch(title="Neuer Titel"))
    assert (changed.title, changed.version) == ("Neuer Titel", 2)

    [first] = api.list_article_claims(created).items
    second = api.create_claim(created.id, ClaimCreate(text="Zwölf neue Linien", quote="12 neue Linien"))
    assert [c.id for c in api.iter_article_claims(created, limit=1)] == [first.id, second.id]
    assert api.get_claim(second.id) == second

    patched = api.update_claim(second, ClaimPatch(tags=["verkehr"], claimant="Die Stadt"))
    assert (patched.tags, patched.claimant, patched.version) == (["verkehr"], "Die Stadt", 2)
    page = api.list_claims(article_id=created.id, limit=1)
    assert len(page.items) == 1 and page.next_cursor is not None
    assert {c.id for c in api.iter_claims(article_id=created.id, limit=1)} == {first.id, second.id}
    assert [c.id for c in api.iter_claims(article_id=created.id, tag="verkehr")] == [second.id]

    api.delete_claim(patched)
    with pytest.raises(NotFound):
        api.get_claim(patched.id)
    api.delete_article(changed)
    with pytest.raises(NotFound):
        api.get_article(changed.id)


def test_sync_client_sources_links_and_verifications(api: Client) -> None:
    article = api.create_article(new_article(claims=[ClaimCreate(text="Mehr Trams", quote="Straßenbahn")]))
    [claim] = api.list_article_claims(article).items
    source = api.create_source(SourceCreate(url=example_url("sources"), title="Fahrplan", kind="document"))
    assert api.create_source(SourceCreate(url=source.url)) == source  # found by its url
    assert api.find_source(source.url) == source
    assert api.get_source(source.id) == source
    renamed = api.update_source(source, SourcePatch(publisher="Stadtwerke"))
    assert (renamed.publisher, renamed.version) == ("Stadtwerke", 2)
    assert [s.id for s in api.list_sources(url=source.url).items] == [source.id]
    assert source.id in {s.id for s in itertools.islice(api.iter_sources(limit=1), 3)}

    linked = api.link_source(claim, LinkIn(source_id=source.id, relation="context"))
    assert [link.source.id for link in linked.sources] == [source.id]
    assert [c.id for c in api.iter_source_claims(source)] == [claim.id]

    refuting = SourceCreate(url=example_url("sources"), title="Gegendarstellung")
    result = api.submit_verification(
        linked, VerificationCreate(status="false", sources=[LinkIn(source=refuting, relation="refutes")])
    )
    assert (result.claim.status, result.claim.version, result.verification.previous_status) == (
        "false",
        linked.version + 1,
        "unverified",
    )
    history = list(api.iter_verifications(claim.id, limit=1))
    assert [v.id for v in history] == [result.verification.id]
    assert api.list_verifications(claim.id).items == history

    version = api.unlink_source(result.claim, source)
    assert version == result.claim.version + 1
    assert api.get_claim(claim.id).version == version
    api.delete_source(api.get_source(source.id))
    with pytest.raises(NotFound):
        api.get_source(source.id)


def test_keys_through_the_client(api: Client, live_server: LiveServer) -> None:
    name = f"reader-{token()}"
    created = api.create_key(KeyCreate(name=name, scopes=["read"]))
    assert created.key.scopes == ["read"]
    assert name in {k.name for k in api.iter_keys(limit=2)}
    assert [k.name for k in api.list_keys(limit=500).items].count(name) == 1
    with Client(live_server.url, created.token) as reader:
        assert reader.list_claims(limit=1).items is not None
        with pytest.raises(Forbidden) as refused:
            reader.create_source(SourceCreate(url=example_url("sources")))
        assert refused.value.status == 403 and refused.value.type == "/problems/forbidden"
        api.revoke_key(name)

        def turned_away() -> bool:
            try:
                reader.list_claims(limit=1)
            except Unauthorized:
                return True
            return False

        # A fresh process would refuse at once; this one drops its cache on the notification.
        _run(wait_until(turned_away, what="the revoked key is refused"))


def test_problems_become_typed_exceptions(api: Client, live_server: LiveServer) -> None:
    article = api.create_article(new_article(body=BODY + " Straßenbahn."))
    with pytest.raises(Conflict) as conflict:
        api.create_article(new_article(url=article.url))
    assert conflict.value.existing_id == article.id

    with pytest.raises(QuoteNotFound):
        api.create_claim(article, ClaimCreate(text="x", quote="U-Bahn"))
    with pytest.raises(QuoteAmbiguous) as ambiguous:
        api.create_claim(article, ClaimCreate(text="x", quote="Straßenbahn"))
    assert len(ambiguous.value.candidates) == 2
    assert ambiguous.value.candidates[0].end - ambiguous.value.candidates[0].start == len("Straßenbahn")
    with pytest.raises(SpanMismatch):
        api.create_claim(article, ClaimCreate(text="x", quote="Stadt", span=SpanIn(start=0, end=3)))

    claim = api.create_claim(article, ClaimCreate(text="x", quote="Straßenbahn", suffix=" fahre"))
    with pytest.raises(EvidenceRequired) as evidence:
        api.submit_verification(claim, VerificationCreate(status="verified"))
    assert evidence.value.status == 422 and evidence.value.errors
    with pytest.raises(InvalidTransition):
        api.submit_verification(claim, VerificationCreate(status="unverified"))

    with pytest.raises(InvalidRequest) as invalid:
        api.list_claims(limit=10_000)
    assert invalid.value.errors and invalid.value.detail
    with pytest.raises(NotFound):
        api.get_claim(uuid.uuid4())
    with pytest.raises(PayloadTooLarge):
        api.create_article(new_article(body="x" * (5 * 1024 * 1024)))
    with Client(live_server.url, "ct_not-a-key") as stranger, pytest.raises(Unauthorized):
        stranger.list_claims()


def test_if_match_comes_from_the_objects_version(api: Client) -> None:
    article = api.create_article(new_article())
    claim = api.create_claim(article, ClaimCreate(text="x", quote="Straßenbahn"))
    newer = api.update_claim(claim, ClaimPatch(tags=["eins"]))  # If-Match: "1"
    with pytest.raises(PreconditionFailed) as stale:
        api.update_claim(claim, ClaimPatch(tags=["zwei"]))  # still version 1
    assert stale.value.current_version == newer.version == 2
    with pytest.raises(PreconditionFailed):
        api.update_claim(claim.id, ClaimPatch(tags=["zwei"]), version=1)
    assert api.update_claim(claim.id, ClaimPatch(tags=["zwei"]), version=2).version == 3
    assert api.update_claim(str(claim.id), ClaimPatch(tags=["drei"])).version == 4  # no If-Match
    with pytest.raises(PreconditionFailed):
        api.delete_article(article, version=article.version + 5)
    with pytest.raises(PreconditionFailed):
        api.submit_verification(newer, VerificationCreate(status="in_review"))


async def test_async_client_covers_the_same_endpoints(aapi: AsyncClient) -> None:
    article = await aapi.create_article(
        new_article(
            claims=[ClaimCreate(text="Trams", quote="Straßenbahn"), ClaimCreate(text="x", quote="Мэр")]
        )
    )
    assert await aapi.find_article(url=article.url) == article
    claims = [c async for c in aapi.iter_article_claims(article, limit=1)]
    assert len(claims) == 2
    source = await aapi.create_source(SourceCreate(url=example_url("sources")))
    result = await aapi.submit_verification(
        claims[0],
        VerificationCreate(status="verified", sources=[LinkIn(source_id=source.id, relation="supports")]),
    )
    assert result.claim.rating is not None and result.claim.rating.value == 5
    assert [c.id async for c in aapi.iter_claims(article_id=article.id, status="verified")] == [claims[0].id]
    assert [v.status async for v in aapi.iter_verifications(claims[0])] == ["verified"]
    assert [c.id async for c in aapi.iter_source_claims(source)] == [claims[0].id]
    with pytest.raises(PreconditionFailed):
        await aapi.update_claim(claims[0], ClaimPatch(text="stale"))
    updated = await aapi.update_claim(result.claim, ClaimPatch(text="Straßenbahnen fahren öfter"))
    assert updated.version == result.claim.version + 1
    with pytest.raises(EvidenceRequired):
        await aapi.unlink_source(updated, source)
    await aapi.delete_article(await aapi.get_article(article.id))
    with pytest.raises(NotFound):
        await aapi.get_claim(updated.id)


# ---- retries, against a stub server on loopback ---------------------------------------------


class Stub:
    """An HTTP server answering each request with the next of a list of (status, headers, body)."""

    def __init__(self, answers: list[tuple[int, dict[str, str], bytes]]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                stub.requests.append((self.command, self.path, dict(self.headers)))
                status, headers, body = stub.answers[min(len(stub.requests), len(stub.answers)) - 1]
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Stub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def problem(status: int, name: str, retry_after: str | None = "0") -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/problem+json"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    body = msgspec.json.encode({"type": f"/problems/{name}", "title": name, "status": status, "detail": ""})
    return status, headers, body


@pytest.fixture(scope="module")
def stored_claim(api: Client) -> bytes:
    article = api.create_article(new_article(claims=[ClaimCreate(text="x", quote="Straßenbahn")]))
    return msgspec.json.encode(api.list_article_claims(article).items[0])


FAST = Retry(attempts=4, backoff=0.01)


def test_get_is_retried_on_503_then_succeeds(stored_claim: bytes) -> None:
    ok = (200, {"Content-Type": "application/json"}, stored_claim)
    with Stub([problem(503, "service-unavailable"), problem(503, "service-unavailable"), ok]) as stub:
        with Client(stub.url, "ct_key", retry=FAST) as client:
            claim = client.get_claim(uuid.uuid4())
        assert msgspec.json.encode(claim) == stored_claim
        assert len(stub.requests) == 3
        assert all(headers["Authorization"] == "Bearer ct_key" for _, _, headers in stub.requests)


def test_429_is_retried_honouring_retry_after_and_gives_up_after_the_attempts() -> None:
    with Stub([problem(429, "too-many-requests", retry_after="0")]) as stub:
        with (
            Client(stub.url, retry=Retry(attempts=3, backoff=5.0)) as client,
            pytest.raises(RateLimited) as limited,
        ):
            client.create_source(SourceCreate(url=example_url("sources")))
        assert len(stub.requests) == 3  # Retry-After: 0 wins over the 5 s backoff
        assert limited.value.retry_after == 0.0


def test_a_post_is_retried_on_503_only_with_an_idempotency_key(stored_claim: bytes) -> None:
    data = ClaimCreate(text="x", quote="Straßenbahn")
    with Stub([problem(503, "service-unavailable")]) as stub:
        with Client(stub.url, retry=FAST) as client, pytest.raises(ServiceUnavailable):
            client.create_claim(uuid.uuid4(), data)
        assert len(stub.requests) == 1

    ok = (201, {"Content-Type": "application/json"}, stored_claim)
    with Stub([problem(503, "service-unavailable"), ok]) as stub:
        with Client(stub.url, retry=FAST) as client:
            client.create_claim(uuid.uuid4(), data, idempotency_key="claim-1")
        assert [headers["Idempotency-Key"] for _, _, headers in stub.requests] == ["claim-1", "claim-1"]


async def test_async_client_retries_too(stored_claim: bytes) -> None:
    ok = (200, {"Content-Type": "application/json"}, stored_claim)
    with Stub([problem(503, "service-unavailable"), ok]) as stub:
        async with AsyncClient(stub.url, retry=FAST) as client:
            claim = await client.get_claim(uuid.uuid4())
        assert msgspec.json.encode(claim) == stored_claim
        assert len(stub.requests) == 2


def test_connection_errors_are_retried_then_raised() -> None:
    with Stub([]) as stub:
        url = stub.url
    attempts: list[int] = []

    class Counting(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            attempts.append(1)
            return super().handle_request(request)

    with Client(url, retry=FAST, transport=Counting()) as client, pytest.raises(httpx.ConnectError):
        client.list_claims()
    assert len(attempts) == FAST.attempts
