"""The Python client's change feed, webhooks, search, revisions and keys, against the real API;
their retries against the stub of test_client.py."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import msgspec
import pytest

from client import (
    AsyncClient,
    Client,
    FileCursor,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ServiceUnavailable,
    UrlNotAllowed,
)
from schemas.articles import ArticlePatch
from schemas.claims import ClaimCreate, ClaimPatch
from schemas.events import Event
from schemas.keys import KeyCreate
from schemas.sources import LinkIn, SourceCreate
from schemas.webhooks import WebhookCreate, WebhookPatch
from tests.conftest import LiveServer, _run
from tests.integration.helpers import BODY, example_url, token, wait_until
from tests.integration.pyclient import test_client as base

# The module-scoped clients and the stub of test_client.py.
api_token = base.api_token
api = base.api
aapi = base.aapi
stored_claim = base.stored_claim
new_article = base.new_article
Stub = base.Stub
problem = base.problem
FAST = base.FAST


def _of_article(events: list[Event], article_id: uuid.UUID) -> list[Event]:
    return [e for e in events if e.data.get("article_id") == str(article_id)]


# ---- the rule: get_* raises NotFound, find_* returns None ------------------------------------


def test_get_raises_not_found_and_find_returns_none(api: Client) -> None:
    missing = uuid.uuid4()
    assert api.find_article(external_id=f"missing-{token()}") is None
    assert api.find_article(url=example_url("articles")) is None
    assert api.find_source(example_url("sources")) is None
    for get in (api.get_article, api.get_claim, api.get_source, api.get_webhook):
        with pytest.raises(NotFound):
            get(missing)
    article = api.create_article(new_article())
    with pytest.raises(NotFound):
        api.get_revision(article, 2)


# ---- the change feed ------------------------------------------------------------------------


def test_the_feed_resumes_from_the_stored_cursor_missing_nothing(api: Client, tmp_path: Path) -> None:
    store = FileCursor(tmp_path / "feed" / "claims.cursor")
    assert store.load() is None
    assert list(api.events(store=store, start="now")) == []  # a cursor after everything so far
    started_at = store.load()
    assert started_at is not None

    article = api.create_article(new_article(claims=[ClaimCreate(text="Trams", quote="Straßenbahn")]))
    claim = api.list_article_claims(article).items[0]
    for n in range(5):
        claim = api.update_claim(claim, ClaimPatch(tags=[f"runde-{n}"]))

    def all_listed() -> list[Event] | None:
        events = _of_article(list(api.events(cursor=started_at, types=["claim.*"])), article.id)
        return events if len(events) == 6 else None  # claim.created and five claim.updated

    expected = [e.id for e in _run(wait_until(all_listed, what="the six claim events are in the feed"))]

    # A reader reads two pages of two and stops at the third event, in the middle of a page.
    first = api.events(store=store, types=["claim.*"], page_size=2)
    seen: list[uuid.UUID] = []
    for event in first:
        seen.append(event.id)
        if len(seen) == 3:
            break
    assert seen == expected[:3]
    # The cursor kept is the one before the page being read: the page is read again on resuming.
    assert store.load() == first.cursor
    assert first.cursor is not None and first.cursor != started_at

    second = api.events(store=store, types=["claim.*"], page_size=2)
    again = [e.id for e in second]
    assert again == expected[2:]  # the third once more (drop it by id), then the rest, nothing missed
    assert store.load() == second.cursor
    assert [e.id for e in api.events(store=store, types=["claim.*"])] == []


async def test_the_async_feed_follows_new_events(aapi: AsyncClient) -> None:
    article = await aapi.create_article(new_article(claims=[ClaimCreate(text="Trams", quote="Straßenbahn")]))
    [claim] = (await aapi.list_article_claims(article)).items
    feed = aapi.events(types=["claim.updated"], start="now", follow=True, poll_interval=0.05)

    async def read_until_the_change() -> Event:
        async for event in feed:
            if event.data.get("id") == str(claim.id):
                return event
        raise AssertionError("a followed feed does not end")

    reading = asyncio.create_task(read_until_the_change())
    await wait_until(lambda: feed.cursor, what="the feed took its starting cursor")
    changed = await aapi.update_claim(claim, ClaimPatch(claimant="Die Stadt"))
    event = await asyncio.wait_for(reading, 30)
    assert event.type == "claim.updated"
    assert event.data["version"] == changed.version and event.data["claimant"] == "Die Stadt"


# ---- webhooks -------------------------------------------------------------------------------


def test_webhooks_through_the_client(api: Client) -> None:
    created = api.create_webhook(
        WebhookCreate(url=example_url("hooks"), event_types=["claim.updated"], description="Desk")
    )
    hook = created.webhook
    try:
        assert created.secret.startswith("whsec_")
        assert api.get_webhook(hook.id) == hook
        assert hook.id in {w.id for w in api.iter_webhooks(limit=1)}
        changed = api.update_webhook(hook, WebhookPatch(description="Faktencheck"))
        assert (changed.description, changed.version) == ("Faktencheck", hook.version + 1)
        with pytest.raises(PreconditionFailed):
            api.update_webhook(hook, WebhookPatch(enabled=False))  # still the first version
        rotated = api.rotate_webhook_secret(hook)
        assert rotated.secret.startswith("whsec_") and rotated.secret != created.secret
        assert rotated.previous_secret_expires_at is not None

        # A change the webhook wants makes a delivery (this server sends none: it stays pending).
        article = api.create_article(new_article(claims=[ClaimCreate(text="Trams", quote="Straßenbahn")]))
        [claim] = api.list_article_claims(article).items
        api.update_claim(claim, ClaimPatch(tags=["verkehr"]))
        deliveries = _run(
            wait_until(lambda: api.list_deliveries(hook, status="pending").items, what="a pending delivery")
        )
        assert {d.event_type for d in deliveries} == {"claim.updated"}
        assert [d.id for d in api.iter_deliveries(hook, limit=1)] == [d.id for d in deliveries]

        with pytest.raises(UrlNotAllowed) as refused:
            api.create_webhook(WebhookCreate(url="http://127.0.0.1:9/hook"))
        assert refused.value.errors[0].field == "/url"
    finally:
        api.delete_webhook(hook)
    with pytest.raises(NotFound):
        api.get_webhook(hook.id)


# ---- search, similar and match --------------------------------------------------------------


def test_search_filters_similar_and_match(api: Client) -> None:
    word = f"Seilbahn{token()}"
    body = f"Die Stadt baut eine {word}. Mindestens 164 Tote bei Protesten in Kasachstan."
    first = api.create_article(new_article(body=body))
    dead = api.create_claim(
        first,
        ClaimCreate(text="Mindestens 164 Tote bei Protesten in Kasachstan.", quote="Mindestens 164 Tote"),
    )
    cable = api.create_claim(first, ClaimCreate(text=f"Eine {word} wird gebaut.", quote=word))
    second = api.create_article(new_article(body="In Kasachstan starben 164 Menschen bei Protesten."))
    other = api.create_claim(
        second, ClaimCreate(text="Bei Protesten in Kasachstan starben 164 Menschen.", quote="164 Menschen")
    )

    [hit] = api.list_claims(q=word).items
    assert hit.id == cable.id and hit.search is not None
    assert f"<mark>{word.lower()}</mark>" in hit.search.snippet.lower()

    source = api.create_source(SourceCreate(url=example_url("sources")))
    api.link_source(dead, LinkIn(source_id=source.id, relation="context"))
    found = api.list_claims(source_id=source.id, source_health=["unchecked", "ok"], sort="created_at")
    assert [c.id for c in found.items] == [dead.id]
    assert api.list_claims(source_id=source.id, source_health=["dead"]).items == []

    similar = api.similar_claims(dead, language="de")
    assert other.id in [c.id for c in similar.items]
    assert all(c.article_id != first.id for c in similar.items)
    matched = api.match_claim("Bei den Protesten in Kasachstan gab es mindestens 164 Tote.", language="de")
    assert {dead.id, other.id} <= {c.id for c in matched.items}
    assert all(0 < c.match.score <= 1 for c in matched.items)

    # A new body without the figure orphans the claim; the filter finds it.
    api.update_article(api.get_article(first.id), ArticlePatch(body=f"Die Stadt baut eine {word}."))
    orphaned = api.list_claims(article_id=first.id, anchor_status="orphaned").items
    assert [c.id for c in orphaned] == [dead.id]


# ---- revisions and keys ---------------------------------------------------------------------


def test_revisions_through_the_client(api: Client) -> None:
    article = api.create_article(new_article(claims=[ClaimCreate(text="Trams", quote="Straßenbahn")]))
    changed = api.update_article(article, ArticlePatch(body=BODY.replace("ab März", "ab April")))
    assert changed.revision == 2
    revisions = api.list_revisions(article).items
    assert [r.revision for r in revisions] == [2, 1]
    assert [r.revision for r in api.iter_revisions(article, limit=1)] == [2, 1]
    assert revisions[0].summary.anchored == 1 and revisions[0].article_version == changed.version
    first = api.get_revision(article, 1)
    assert first.body == BODY and first.length == len(BODY)
    assert api.get_revision(article.id, 2).body == changed.body


async def test_async_client_keys_revisions_and_search(aapi: AsyncClient, live_server: LiveServer) -> None:
    name = f"desk-{token()}"
    created = await aapi.create_key(KeyCreate(name=name, scopes=["read"]))
    assert name in [k.name async for k in aapi.iter_keys(limit=2)]
    async with AsyncClient(live_server.url, created.token) as reader:
        assert (await reader.list_claims(limit=1)).items is not None
        with pytest.raises(Forbidden):
            await reader.list_webhooks()
    await aapi.revoke_key(name)
    assert next(k for k in (await aapi.list_keys(limit=500)).items if k.name == name).revoked_at is not None

    article = await aapi.create_article(new_article())
    await aapi.update_article(article, ArticlePatch(body=BODY + " Neu."))
    assert [r.revision async for r in aapi.iter_revisions(article, limit=1)] == [2, 1]
    assert (await aapi.get_revision(article, 1)).body == BODY
    claim = await aapi.create_claim(article, ClaimCreate(text="Zwölf neue Linien", quote="12 neue Linien"))
    assert claim.id in [
        c.id for c in (await aapi.match_claim("12 neue Linien bis 2030", language="de")).items
    ]
    assert (await aapi.similar_claims(claim)).items is not None


# ---- retries of the new calls ---------------------------------------------------------------


def test_match_and_the_feed_are_retried_on_503(stored_claim: bytes) -> None:
    claim = msgspec.json.decode(stored_claim)
    page = msgspec.json.encode({"items": [{**claim, "match": {"score": 0.5}}], "next_cursor": None})
    ok = (200, {"Content-Type": "application/json"}, page)
    with Stub([problem(503, "service-unavailable"), ok]) as stub:
        with Client(stub.url, retry=FAST) as client:
            matched = client.match_claim("164 Tote")  # a POST that only reads: safe to repeat
        assert [m.match.score for m in matched.items] == [0.5]
        assert [method for method, _, _ in stub.requests] == ["POST", "POST"]

    feed_page = msgspec.json.encode({"items": [], "next_cursor": "c1"})
    with Stub(
        [problem(503, "service-unavailable"), (200, {"Content-Type": "application/json"}, feed_page)]
    ) as stub:
        with Client(stub.url, retry=FAST) as client:
            feed = client.events()
            assert list(feed) == [] and feed.cursor == "c1"
        assert len(stub.requests) == 2

    # A webhook is not created twice by a retry: without an Idempotency-Key a 503 is final.
    with Stub([problem(503, "service-unavailable")]) as stub:
        with Client(stub.url, retry=FAST) as client, pytest.raises(ServiceUnavailable):
            client.create_webhook(WebhookCreate(url=example_url("hooks")))
        assert len(stub.requests) == 1
