"""Sources, found by their normalised url, and the links between claims and sources."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from tests.integration.helpers import (
    article_with_claim,
    assert_problem,
    claim_row,
    create_source,
    etag_of,
    link,
    link_rows,
    source_count,
    walk,
)


async def test_create_is_201_then_the_same_normalised_url_is_200_with_that_source(
    client: httpx.AsyncClient, db: asyncpg.Connection, unique: str
) -> None:
    response = await client.post(
        "/v1/sources",
        json={"url": f"https://example.org/press/{unique}/?b=2&a=1&utm_source=x", "publisher": "Stadt"},
    )
    assert response.status_code == 201, response.text
    source = response.json()
    assert response.headers["location"] == f"/v1/sources/{source['id']}"
    assert etag_of(response) == 1
    url = f"https://example.org/press/{unique}?a=1&b=2"
    assert (source["url"], source["kind"], source["version"], source["title"]) == (url, "other", 1, None)

    again = await client.post(
        "/v1/sources", json={"url": f"HTTPS://EXAMPLE.ORG:443/press/{unique}?a=1&b=2#x", "title": "ignored"}
    )
    assert again.status_code == 200, again.text
    assert "location" not in again.headers
    assert etag_of(again) == 1
    assert again.json() == source
    assert await source_count(db, url) == 1
    row = await db.fetchrow("SELECT title, publisher, kind FROM sources WHERE url = $1", url)
    assert tuple(row) == (None, "Stadt", "other")


async def test_found_by_any_spelling_of_its_url(client: httpx.AsyncClient, unique: str) -> None:
    source = await create_source(client, url=f"https://example.org/doc/{unique}")
    for spelling in (f"https://example.org/doc/{unique}/", f"HTTPS://Example.org/doc/{unique}?gclid=1"):
        response = await client.get("/v1/sources", params={"url": spelling})
        assert response.status_code == 200
        assert [s["id"] for s in response.json()["items"]] == [source["id"]]
    response = await client.get("/v1/sources", params={"url": f"https://example.org/doc/{unique}/other"})
    assert response.json() == {"items": [], "next_cursor": None}


async def test_list_pages_neither_skip_nor_repeat(client: httpx.AsyncClient) -> None:
    mine = [(await create_source(client))["id"] for _ in range(4)]
    everything = [s["id"] for s in (await client.get("/v1/sources", params={"limit": 500})).json()["items"]]
    assert everything[:4] == list(reversed(mine))
    first = (await client.get("/v1/sources", params={"limit": 3})).json()
    second = (await client.get("/v1/sources", params={"limit": 3, "cursor": first["next_cursor"]})).json()
    assert [s["id"] for s in first["items"] + second["items"]] == everything[:6]


async def test_get_patch_and_unknown(client: httpx.AsyncClient, db: asyncpg.Connection, unique: str) -> None:
    source = await create_source(client)
    response = await client.get(f"/v1/sources/{source['id']}")
    assert (response.status_code, etag_of(response)) == (200, 1)

    patched = await client.patch(
        f"/v1/sources/{source['id']}",
        json={
            "title": "Neu",
            "kind": "official_statement",
            "archived_url": f"https://Example.org/arch/{unique}/",
        },
        headers={"If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text
    assert etag_of(patched) == 2
    body = patched.json()
    assert (body["title"], body["kind"], body["archived_url"]) == (
        "Neu",
        "official_statement",
        f"https://example.org/arch/{unique}",
    )
    stale = await client.patch(
        f"/v1/sources/{source['id']}", json={"title": "weg"}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412, "precondition-failed")
    row = await db.fetchrow("SELECT title, version FROM sources WHERE id = $1", uuid.UUID(source["id"]))
    assert tuple(row) == ("Neu", 2)

    assert_problem(await client.get(f"/v1/sources/{uuid.uuid4()}"), 404, "not-found")
    assert_problem(await client.patch(f"/v1/sources/{uuid.uuid4()}", json={"title": "x"}), 404, "not-found")
    assert_problem(await client.delete(f"/v1/sources/{uuid.uuid4()}"), 404, "not-found")
    assert_problem(await client.get(f"/v1/sources/{uuid.uuid4()}/claims"), 404, "not-found")


async def test_patch_to_another_sources_url_is_409(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    first = await create_source(client)
    second = await create_source(client)
    response = await client.patch(f"/v1/sources/{second['id']}", json={"url": first["url"] + "/"})
    assert assert_problem(response, 409, "conflict")["existing_id"] == first["id"]
    assert (
        await db.fetchval("SELECT url FROM sources WHERE id = $1", uuid.UUID(second["id"])) == second["url"]
    )


async def test_delete_is_409_while_linked_and_204_after_unlink(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    source = await create_source(client)
    _, claim = await article_with_claim(client, sources=[{"source_id": source["id"], "relation": "context"}])

    response = await client.delete(f"/v1/sources/{source['id']}")
    assert assert_problem(response, 409, "conflict")["existing_id"] == source["id"]
    assert await db.fetchval("SELECT count(*) FROM sources WHERE id = $1", uuid.UUID(source["id"])) == 1

    assert (await client.delete(f"/v1/claims/{claim['id']}/sources/{source['id']}")).status_code == 204
    assert_problem(
        await client.delete(f"/v1/sources/{source['id']}", headers={"If-Match": '"5"'}),
        412,
        "precondition-failed",
    )
    response = await client.delete(f"/v1/sources/{source['id']}", headers={"If-Match": '"1"'})
    assert response.status_code == 204
    assert await db.fetchval("SELECT count(*) FROM sources WHERE id = $1", uuid.UUID(source["id"])) == 0


async def test_claims_citing_a_source_in_pages(client: httpx.AsyncClient) -> None:
    source = await create_source(client)
    claims = []
    for _ in range(3):
        _, claim = await article_with_claim(
            client, sources=[{"source_id": source["id"], "relation": "supports"}]
        )
        claims.append(claim["id"])
    await article_with_claim(client)  # not citing it

    everything = (await client.get(f"/v1/sources/{source['id']}/claims")).json()
    assert [c["id"] for c in everything["items"]] == claims
    pages = await walk(client, f"/v1/sources/{source['id']}/claims", limit=2)
    assert [c["id"] for p in pages for c in p] == claims
    assert len(pages[0]) == 2


async def test_link_relink_and_unlink(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    source = await create_source(client)
    _, claim = await article_with_claim(client)
    claim_id = claim["id"]

    # A new link: 201, the claim with the source embedded, one version up.
    response = await link(client, claim_id, source["id"], "context", excerpt="ab März")
    assert response.status_code == 201, response.text
    assert etag_of(response) == 2
    embedded = response.json()["sources"]
    assert [(s["source"]["id"], s["relation"], s["excerpt"]) for s in embedded] == [
        (source["id"], "context", "ab März")
    ]
    assert embedded[0]["source"] == source
    assert await link_rows(db, claim_id) == {source["id"]: ("context", "ab März")}

    # The same link again: 200 and nothing changed.
    response = await link(client, claim_id, source["id"], "context", excerpt="ab März")
    assert (response.status_code, etag_of(response)) == (200, 2)
    assert (await claim_row(db, claim_id))["version"] == 2

    # A relink changes relation and excerpt: 200, one version up.
    response = await link(client, claim_id, source["id"], "supports")
    assert (response.status_code, etag_of(response)) == (200, 3)
    assert [(s["relation"], s["excerpt"]) for s in response.json()["sources"]] == [("supports", None)]
    assert await link_rows(db, claim_id) == {source["id"]: ("supports", None)}

    # Unlink: 204 with the new version as ETag.
    response = await client.delete(f"/v1/claims/{claim_id}/sources/{source['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert etag_of(response) == 4
    assert await link_rows(db, claim_id) == {}
    assert (await claim_row(db, claim_id))["version"] == 4

    # Unlinking again: the link is gone.
    assert_problem(await client.delete(f"/v1/claims/{claim_id}/sources/{source['id']}"), 404, "not-found")
    assert (await claim_row(db, claim_id))["version"] == 4


async def test_link_by_url_finds_or_creates_the_source(
    client: httpx.AsyncClient, db: asyncpg.Connection, unique: str
) -> None:
    _, claim = await article_with_claim(client)
    url = f"https://example.org/statement/{unique}"
    response = await client.post(
        f"/v1/claims/{claim['id']}/sources",
        json={"source": {"url": url + "/#top", "kind": "official_statement"}, "relation": "origin"},
    )
    assert response.status_code == 201, response.text
    source = response.json()["sources"][0]["source"]
    assert (source["url"], source["kind"]) == (url, "official_statement")
    assert await source_count(db, url) == 1

    _, other = await article_with_claim(client)
    response = await client.post(
        f"/v1/claims/{other['id']}/sources",
        json={
            "source": {"url": f"HTTPS://EXAMPLE.ORG/statement/{unique}?utm_source=x"},
            "relation": "context",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["sources"][0]["source"]["id"] == source["id"]
    assert await source_count(db, url) == 1


async def test_link_failures_change_nothing(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    source = await create_source(client)
    _, claim = await article_with_claim(client)

    assert_problem(await link(client, claim["id"], str(uuid.uuid4()), "supports"), 404, "not-found")
    assert_problem(await link(client, str(uuid.uuid4()), source["id"], "supports"), 404, "not-found")
    stale = await client.post(
        f"/v1/claims/{claim['id']}/sources",
        json={"source_id": source["id"], "relation": "supports"},
        headers={"If-Match": '"9"'},
    )
    assert_problem(stale, 412, "precondition-failed")
    both = await client.post(
        f"/v1/claims/{claim['id']}/sources",
        json={"source_id": source["id"], "source": {"url": source["url"]}, "relation": "supports"},
    )
    assert_problem(both, 400, "invalid-request")
    assert_problem(await link(client, claim["id"], source["id"], "proves"), 400, "invalid-request")
    assert await link_rows(db, claim["id"]) == {}
    assert (await claim_row(db, claim["id"]))["version"] == 1

    linked = await client.post(
        f"/v1/claims/{claim['id']}/sources",
        json={"source_id": source["id"], "relation": "supports"},
        headers={"If-Match": '"1"'},
    )
    assert linked.status_code == 201
    stale_unlink = await client.delete(
        f"/v1/claims/{claim['id']}/sources/{source['id']}", headers={"If-Match": '"1"'}
    )
    assert_problem(stale_unlink, 412, "precondition-failed")
    assert await link_rows(db, claim["id"]) == {source["id"]: ("supports", None)}
    assert (await claim_row(db, claim["id"]))["version"] == 2
