from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from tests.integration.helpers import (
    BODY,
    article_with_claim,
    assert_problem,
    claim_row,
    create_article,
    create_claim,
    create_source,
    etag_of,
    history_count,
    verify,
    walk,
)


async def test_create_returns_201_with_location_etag_and_the_placed_claim(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    article = await create_article(client)
    response = await client.post(
        f"/v1/articles/{article['id']}/claims",
        json={
            "text": "Trams will run more often from March.",
            "quote": "Straßenbahn",
            "claimant": "Bürgermeister",
            "claim_date": "2022-01-03",
            "tags": ["verkehr", "stadt"],
            "review_url": "https://Example.org/checks/tram/?utm_medium=x",
        },
    )
    assert response.status_code == 201, response.text
    claim = response.json()
    assert response.headers["location"] == f"/v1/claims/{claim['id']}"
    assert etag_of(response) == 1
    start = BODY.index("Straßenbahn")
    assert claim["span"] == {"start": start, "end": start + len("Straßenbahn")}
    assert claim["selector"] == {
        "exact": "Straßenbahn",
        "prefix": BODY[start - 32 : start],
        "suffix": BODY[start + 11 : start + 11 + 32],
    }
    assert claim["anchor_status"] == "anchored"
    assert claim["language"] == "de"  # the article's
    assert (claim["status"], claim["rating"], claim["version"], claim["sources"]) == (
        "unverified",
        None,
        1,
        [],
    )
    assert claim["review_url"] == "https://example.org/checks/tram"
    assert (claim["claimant"], claim["claim_date"], claim["tags"]) == (
        "Bürgermeister",
        "2022-01-03",
        ["verkehr", "stadt"],
    )

    row = await claim_row(db, claim["id"])
    assert (row["span_start"], row["span_end"], row["quote"], row["status"]) == (
        start,
        start + 11,
        "Straßenbahn",
        "unverified",
    )
    assert str(row["article_id"]) == article["id"]

    again = await client.get(response.headers["location"])
    assert again.status_code == 200
    assert etag_of(again) == 1
    assert again.json() == claim


async def test_create_with_sources_embeds_them(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    source = await create_source(client)
    article = await create_article(client)
    claim = await create_claim(
        client,
        article["id"],
        language="en",
        sources=[
            {"source_id": source["id"], "relation": "origin", "excerpt": "ab März"},
            {"source": {"url": "https://example.org/new-source/" + uuid.uuid4().hex}, "relation": "context"},
        ],
    )
    assert claim["language"] == "en"
    by_relation = {s["relation"]: s for s in claim["sources"]}
    assert (by_relation["origin"]["source"]["id"], by_relation["origin"]["excerpt"]) == (
        source["id"],
        "ab März",
    )
    assert (by_relation["context"]["source"]["kind"], by_relation["context"]["excerpt"]) == ("other", None)
    assert len(await db.fetch("SELECT 1 FROM claim_sources WHERE claim_id = $1", uuid.UUID(claim["id"]))) == 2


async def test_create_on_a_missing_article_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/v1/articles/{uuid.uuid4()}/claims", json={"text": "t", "quote": "q"})
    assert_problem(response, 404, "not-found")


async def test_get_unknown_is_404_and_malformed_is_400(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(f"/v1/claims/{uuid.uuid4()}"), 404, "not-found")
    assert_problem(await client.get("/v1/claims/1234"), 400, "invalid-request")
    assert_problem(await client.get(f"/v1/articles/{uuid.uuid4()}/claims"), 404, "not-found")


async def test_article_claims_in_text_order_with_orphans_last_and_pages(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    article = await create_article(
        client,
        body="eins zwei drei vier fünf",
        claims=[
            {"text": "c", "quote": "drei"},
            {"text": "a", "quote": "eins zwei"},
            {"text": "b", "quote": "eins"},
            {"text": "o", "quote": "fünf"},
        ],
    )
    # A new body without "fünf" orphans that claim.
    patched = await client.patch(f"/v1/articles/{article['id']}", json={"body": "eins zwei drei vier"})
    assert patched.status_code == 200

    response = await client.get(f"/v1/articles/{article['id']}/claims")
    assert response.status_code == 200
    page = response.json()
    assert page["next_cursor"] is None
    assert [(c["quote"], c["span"]) for c in page["items"]] == [
        ("eins", {"start": 0, "end": 4}),
        ("eins zwei", {"start": 0, "end": 9}),
        ("drei", {"start": 10, "end": 14}),
        ("fünf", None),
    ]

    pages = await walk(client, f"/v1/articles/{article['id']}/claims", limit=1)
    assert [[c["id"] for c in p] for p in pages if p] == [[c["id"]] for c in page["items"]]


async def test_a_page_ending_on_an_orphaned_claim_leads_to_the_orphaned_claims_after_it(
    client: httpx.AsyncClient,
) -> None:
    """The keyset of an orphaned claim has no span: compared as NULLs it would be unknown, and
    the orphaned claims after the first would never be listed."""
    article = await create_article(
        client,
        body="eins zwei drei vier fünf",
        claims=[{"text": word, "quote": word} for word in ("eins", "zwei", "drei", "vier")],
    )
    patched = await client.patch(f"/v1/articles/{article['id']}", json={"body": "eins fünf"})
    assert patched.status_code == 200
    listed = (await client.get(f"/v1/articles/{article['id']}/claims")).json()["items"]
    orphans = sorted(c["id"] for c in listed if c["anchor_status"] == "orphaned")
    assert [c["id"] for c in listed] == [listed[0]["id"], *orphans] and len(orphans) == 3

    for limit in (1, 2):
        pages = await walk(client, f"/v1/articles/{article['id']}/claims", limit=limit)
        assert [c["id"] for p in pages for c in p] == [c["id"] for c in listed]


async def test_list_claims_filters(client: httpx.AsyncClient, unique: str) -> None:
    article = await create_article(client)
    tagged = await create_claim(
        client, article["id"], text=f"Tram {unique} Linien", quote="12 neue Linien", tags=[f"t-{unique}"]
    )
    russian = await create_claim(client, article["id"], text="Трамвай", quote="трамвай", language="ru")
    await verify(client, russian["id"], "in_review")

    async def ids(**params: str) -> list[str]:
        response = await client.get("/v1/claims", params={"article_id": article["id"], **params})
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert await ids() == [russian["id"], tagged["id"]]  # most recently changed first
    assert await ids(status="in_review") == [russian["id"]]
    assert await ids(status="verified") == []
    assert await ids(language="ru") == [russian["id"]]
    assert await ids(tag=f"t-{unique}") == [tagged["id"]]
    assert await ids(q=unique) == [tagged["id"]]
    assert await ids(q=f"nothing{unique}") == []
    since = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert await ids(updated_since=since) == []
    everything = await ids(updated_since="2000-01-01T00:00:00Z")
    assert everything == [russian["id"], tagged["id"]]

    pages = await walk(client, "/v1/claims", article_id=article["id"], limit=1)
    assert [c["id"] for p in pages for c in p] == [russian["id"], tagged["id"]]


async def test_patch_changes_fields_once_and_honours_if_match(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    response = await client.patch(
        f"/v1/claims/{claim['id']}",
        json={"text": "Neu formuliert", "claimant": None, "tags": ["a"], "claim_date": "2022-02-01"},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert etag_of(response) == 2
    changed = response.json()
    assert (changed["text"], changed["tags"], changed["claim_date"], changed["version"]) == (
        "Neu formuliert",
        ["a"],
        "2022-02-01",
        2,
    )

    stale = await client.patch(
        f"/v1/claims/{claim['id']}", json={"text": "verloren"}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412, "precondition-failed")
    row = await claim_row(db, claim["id"])
    assert (row["text"], row["version"]) == ("Neu formuliert", 2)


async def test_patch_cannot_change_the_status(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    _, claim = await article_with_claim(client)
    response = await client.patch(f"/v1/claims/{claim['id']}", json={"status": "verified"})
    problem = assert_problem(response, 400, "invalid-request")
    assert problem["errors"][0]["field"] == "/status"
    row = await claim_row(db, claim["id"])
    assert (row["status"], row["version"]) == ("unverified", 1)


async def test_patch_unknown_claim_is_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.patch(f"/v1/claims/{uuid.uuid4()}", json={"text": "x"}), 404, "not-found")
    assert_problem(await client.delete(f"/v1/claims/{uuid.uuid4()}"), 404, "not-found")


async def test_delete_removes_links_and_history_but_not_sources(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    source = await create_source(client)
    _, claim = await article_with_claim(client, sources=[{"source_id": source["id"], "relation": "supports"}])
    await verify(client, claim["id"], "verified")

    stale = await client.delete(f"/v1/claims/{claim['id']}", headers={"If-Match": '"1"'})
    assert_problem(stale, 412, "precondition-failed")
    assert await history_count(db, claim["id"]) == 1

    response = await client.delete(f"/v1/claims/{claim['id']}", headers={"If-Match": '"2"'})
    assert response.status_code == 204
    assert await db.fetchval("SELECT count(*) FROM claims WHERE id = $1", uuid.UUID(claim["id"])) == 0
    assert (
        await db.fetchval("SELECT count(*) FROM claim_sources WHERE claim_id = $1", uuid.UUID(claim["id"]))
        == 0
    )
    assert await history_count(db, claim["id"]) == 0
    assert (await client.get(f"/v1/sources/{source['id']}")).status_code == 200
    assert_problem(await client.get(f"/v1/claims/{claim['id']}"), 404, "not-found")


async def test_claims_created_together_page_without_skips_or_repeats(client: httpx.AsyncClient) -> None:
    source = await create_source(client)
    quotes = ["Der Bürgermeister", "Montag", "Straßenbahn", "März", "трамвай", "🚋", "2030"]
    link_to = [{"source_id": source["id"], "relation": "context"}]
    article = await create_article(
        client, claims=[{"text": q, "quote": q, "sources": link_to} for q in quotes]
    )  # one transaction: every claim has the same updated_at, the id breaks the tie
    listed = await walk(client, "/v1/claims", article_id=article["id"], limit=2)
    assert [len(p) for p in listed] == [2, 2, 2, 1]
    ids = [c["id"] for p in listed for c in p]
    assert len(set(ids)) == len(quotes)

    in_text = (await client.get(f"/v1/articles/{article['id']}/claims")).json()["items"]
    assert [c["quote"] for c in in_text] == sorted(quotes, key=BODY.index)
    assert all([s["source"]["id"] for s in c["sources"]] == [source["id"]] for c in in_text)
    assert set(ids) == {c["id"] for c in in_text}
    paged = await walk(client, f"/v1/articles/{article['id']}/claims", limit=3)
    assert [c["id"] for p in paged for c in p] == [c["id"] for c in in_text]

    citing = await walk(client, f"/v1/sources/{source['id']}/claims", limit=2)
    assert sorted(c["id"] for p in citing for c in p) == sorted(ids)
