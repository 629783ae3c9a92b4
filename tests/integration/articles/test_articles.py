from __future__ import annotations

import uuid

import asyncpg
import httpx

from tests.integration.helpers import (
    BODY,
    assert_problem,
    create_article,
    create_source,
    etag_of,
    example_url,
    history_count,
    verify,
)


async def test_create_returns_201_with_location_etag_and_the_normalised_url(
    client: httpx.AsyncClient, db: asyncpg.Connection, unique: str
) -> None:
    response = await client.post(
        "/v1/articles",
        json={
            "url": f"HTTPS://Example.ORG:443/news/{unique}/?utm_source=feed&b=2&a=1#top",
            "external_id": f"cms-{unique}",
            "title": "Straßenbahn",
            "language": "de",
            "body": BODY,
        },
    )
    assert response.status_code == 201, response.text
    article = response.json()
    assert response.headers["location"] == f"/v1/articles/{article['id']}"
    assert etag_of(response) == 1
    assert article["url"] == f"https://example.org/news/{unique}?a=1&b=2"
    assert article["external_id"] == f"cms-{unique}"
    assert article["version"] == 1
    assert article["outlet"] is None and article["published_at"] is None
    assert article["created_at"].endswith("Z") or article["created_at"].endswith("+00:00")

    row = await db.fetchrow("SELECT * FROM articles WHERE id = $1", uuid.UUID(article["id"]))
    assert row["url"] == article["url"]
    assert row["body"] == BODY
    assert row["version"] == 1

    again = await client.get(response.headers["location"])
    assert again.status_code == 200
    assert etag_of(again) == 1
    assert again.json() == article


async def test_create_with_claims_stores_them_in_the_same_transaction(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    source = {"url": example_url("sources"), "title": "Fahrplan"}
    article = await create_article(
        client,
        claims=[
            {"text": "Die Straßenbahn fährt öfter.", "quote": "Straßenbahn"},
            {
                "text": "Zwölf neue Linien.",
                "quote": "12 neue Linien",
                "tags": ["verkehr"],
                "sources": [{"source": source, "relation": "supports"}],
            },
        ],
    )
    article_id = uuid.UUID(article["id"])
    rows = await db.fetch(
        "SELECT quote, span_start, language FROM claims WHERE article_id = $1 ORDER BY span_start", article_id
    )
    assert [(r["quote"], r["span_start"], r["language"]) for r in rows] == [
        ("Straßenbahn", BODY.index("Straßenbahn"), "de"),
        ("12 neue Linien", BODY.index("12 neue Linien"), "de"),
    ]
    # Every row the POST wrote carries the id of the one transaction that wrote them (xmin):
    # the article, its first revision, its claims and the link. (The source made for the link
    # is left out: a source checker running in the same database may write its row since.)
    writers = await db.fetch(
        """
        SELECT 'article' AS row, xmin::text FROM articles WHERE id = $1
        UNION ALL SELECT 'revision', xmin::text FROM article_revisions WHERE article_id = $1
        UNION ALL SELECT 'claim', xmin::text FROM claims WHERE article_id = $1
        UNION ALL SELECT 'link', xmin::text FROM claim_sources WHERE article_id = $1
        """,
        article_id,
    )
    assert sorted(r["row"] for r in writers) == ["article", "claim", "claim", "link", "revision"]
    assert len({r["xmin"] for r in writers}) == 1, writers


async def test_create_with_a_misplaced_claim_stores_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection, unique: str
) -> None:
    response = await client.post(
        "/v1/articles",
        json={
            "external_id": f"cms-{unique}",
            "title": "t",
            "language": "de",
            "body": BODY,
            "claims": [
                {"text": "ok", "quote": "Straßenbahn"},
                {"text": "missing", "quote": "U-Bahn"},
            ],
        },
    )
    problem = assert_problem(response, 422, "quote-not-found")
    assert problem["errors"][0]["field"] == "/claims/1/quote"
    assert await db.fetchval("SELECT count(*) FROM articles WHERE external_id = $1", f"cms-{unique}") == 0


async def test_duplicate_url_or_external_id_is_409_with_the_existing_id(
    client: httpx.AsyncClient, db: asyncpg.Connection, unique: str
) -> None:
    article = await create_article(
        client, url=f"https://example.org/dup/{unique}", external_id=f"cms-{unique}"
    )
    by_url = await client.post(
        "/v1/articles",
        json={"url": f"https://EXAMPLE.org/dup/{unique}/#x", "title": "t", "language": "de", "body": "b"},
    )
    assert assert_problem(by_url, 409, "conflict")["existing_id"] == article["id"]
    by_external_id = await client.post(
        "/v1/articles",
        json={"external_id": f"cms-{unique}", "title": "t", "language": "de", "body": "b"},
    )
    assert assert_problem(by_external_id, 409, "conflict")["existing_id"] == article["id"]
    count = await db.fetchval(
        "SELECT count(*) FROM articles WHERE url = $1 OR external_id = $2",
        f"https://example.org/dup/{unique}",
        f"cms-{unique}",
    )
    assert count == 1


async def test_found_by_any_spelling_of_its_url_and_by_external_id(
    client: httpx.AsyncClient, unique: str
) -> None:
    article = await create_article(client, url=f"https://example.org/find/{unique}?x=1")
    for spelling in (
        f"https://example.org/find/{unique}?x=1",
        f"HTTPS://EXAMPLE.ORG:443/find/{unique}/?x=1&utm_campaign=c#frag",
        f"https://example.org./find/{unique}?fbclid=abc&x=1",
    ):
        response = await client.get("/v1/articles", params={"url": spelling})
        assert response.status_code == 200
        assert [a["id"] for a in response.json()["items"]] == [article["id"]], spelling
    response = await client.get("/v1/articles", params={"external_id": article["external_id"]})
    assert [a["id"] for a in response.json()["items"]] == [article["id"]]


async def test_a_filter_matching_nothing_is_an_empty_page(client: httpx.AsyncClient, unique: str) -> None:
    for params in ({"url": example_url("nothing", unique)}, {"external_id": f"none-{unique}"}):
        response = await client.get("/v1/articles", params=params)
        assert response.status_code == 200
        assert response.json() == {"items": [], "next_cursor": None}


async def test_pages_neither_skip_nor_repeat(client: httpx.AsyncClient) -> None:
    mine = [(await create_article(client))["id"] for _ in range(5)]
    everything = (await client.get("/v1/articles", params={"limit": 500})).json()["items"]
    newest = [a["id"] for a in everything[:5]]
    assert newest == list(reversed(mine))

    seen: list[str] = []
    cursor = None
    while len(seen) < 7 and (cursor or not seen):
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/articles", params=params)).json()
        assert len(page["items"]) <= 2
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen))
    assert seen == [a["id"] for a in everything[: len(seen)]]


async def test_get_unknown_is_404_and_malformed_id_is_400(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(f"/v1/articles/{uuid.uuid4()}"), 404, "not-found")
    assert_problem(await client.get("/v1/articles/not-a-uuid"), 400, "invalid-request")
    assert_problem(await client.patch(f"/v1/articles/{uuid.uuid4()}", json={"title": "x"}), 404, "not-found")
    assert_problem(await client.delete(f"/v1/articles/{uuid.uuid4()}"), 404, "not-found")


async def test_patch_changes_fields_and_raises_the_version_once(
    client: httpx.AsyncClient, db: asyncpg.Connection, unique: str
) -> None:
    article = await create_article(client)
    response = await client.patch(
        f"/v1/articles/{article['id']}",
        json={"title": "Neuer Titel", "outlet": None, "url": f"https://example.org/moved/{unique}/"},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert etag_of(response) == 2
    changed = response.json()
    assert (changed["title"], changed["outlet"], changed["version"]) == ("Neuer Titel", None, 2)
    assert changed["url"] == f"https://example.org/moved/{unique}"
    row = await db.fetchrow(
        "SELECT title, outlet, url, version FROM articles WHERE id = $1", uuid.UUID(article["id"])
    )
    assert tuple(row) == ("Neuer Titel", None, f"https://example.org/moved/{unique}", 2)

    # The same values again change nothing, so the version stays.
    same = await client.patch(f"/v1/articles/{article['id']}", json={"title": "Neuer Titel"})
    assert same.status_code == 200
    assert etag_of(same) == 2


async def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    article = await create_article(client)
    await client.patch(f"/v1/articles/{article['id']}", json={"title": "zwei"})
    response = await client.patch(
        f"/v1/articles/{article['id']}",
        json={"title": "verloren", "body": "neu"},
        headers={"If-Match": '"1"'},
    )
    assert_problem(response, 412, "precondition-failed")
    row = await db.fetchrow(
        "SELECT title, body, version FROM articles WHERE id = $1", uuid.UUID(article["id"])
    )
    assert tuple(row) == ("zwei", BODY, 2)


async def test_patch_to_another_articles_url_is_409(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    first = await create_article(client)
    second = await create_article(client)
    response = await client.patch(
        f"/v1/articles/{second['id']}",
        json={"url": first["url"].replace("https://example.org", "HTTPS://EXAMPLE.ORG:443")},
    )
    assert assert_problem(response, 409, "conflict")["existing_id"] == first["id"]
    response = await client.patch(f"/v1/articles/{second['id']}", json={"external_id": first["external_id"]})
    assert assert_problem(response, 409, "conflict")["existing_id"] == first["id"]
    row = await db.fetchrow("SELECT url, version FROM articles WHERE id = $1", uuid.UUID(second["id"]))
    assert tuple(row) == (second["url"], 1)


async def test_delete_removes_claims_links_and_history_but_not_sources(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    source = await create_source(client)
    article = await create_article(client)
    claim = (
        await client.post(
            f"/v1/articles/{article['id']}/claims",
            json={
                "text": "t",
                "quote": "Straßenbahn",
                "sources": [{"source_id": source["id"], "relation": "supports"}],
            },
        )
    ).json()
    await verify(client, claim["id"], "verified")
    assert await history_count(db, claim["id"]) == 1

    stale = await client.delete(f"/v1/articles/{article['id']}", headers={"If-Match": '"7"'})
    assert_problem(stale, 412, "precondition-failed")
    assert await db.fetchval("SELECT count(*) FROM articles WHERE id = $1", uuid.UUID(article["id"])) == 1

    response = await client.delete(f"/v1/articles/{article['id']}", headers={"If-Match": '"1"'})
    assert response.status_code == 204
    assert response.content == b""
    article_id = uuid.UUID(article["id"])
    assert await db.fetchval("SELECT count(*) FROM articles WHERE id = $1", article_id) == 0
    assert await db.fetchval("SELECT count(*) FROM claims WHERE article_id = $1", article_id) == 0
    assert await db.fetchval("SELECT count(*) FROM claim_sources WHERE article_id = $1", article_id) == 0
    assert await history_count(db, claim["id"]) == 0
    assert await db.fetchval("SELECT count(*) FROM sources WHERE id = $1", uuid.UUID(source["id"])) == 1
    assert_problem(await client.get(f"/v1/articles/{article['id']}"), 404, "not-found")
    assert_problem(await client.get(f"/v1/claims/{claim['id']}"), 404, "not-found")
