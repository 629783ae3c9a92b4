"""The change feed: every change, in commit-safe order, never skipping a late commit."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from tests.integration.helpers import assert_problem, create_article, example_url


async def read_all(
    client: httpx.AsyncClient, cursor: str | None, **params: Any
) -> tuple[list[dict[str, Any]], str]:
    """Follow the feed from cursor to its current end."""
    events: list[dict[str, Any]] = []
    while True:
        query = {"limit": 500, **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/events", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["next_cursor"]
        events += page["items"]
        if not page["items"]:
            return events, page["next_cursor"]
        cursor = page["next_cursor"]


async def test_a_workflow_writes_every_change_as_an_event(client: httpx.AsyncClient) -> None:
    _, cursor = await read_all(client, None)
    article = await create_article(
        client,
        body="Die Stadt verspricht 12 neue Linien bis 2030. Der Bürgermeister sagte das am Montag.",
        claims=[{"text": "12 new lines", "quote": "12 neue Linien"}],
    )
    claim = (await client.get(f"/v1/articles/{article['id']}/claims")).json()["items"][0]
    source_url = example_url("sources")
    linked = await client.post(
        f"/v1/claims/{claim['id']}/sources", json={"source": {"url": source_url}, "relation": "supports"}
    )
    assert linked.status_code == 201
    source_id = linked.json()["sources"][0]["source"]["id"]
    verdict = await client.post(f"/v1/claims/{claim['id']}/verifications", json={"status": "verified"})
    assert verdict.status_code == 201
    await client.patch(f"/v1/articles/{article['id']}", json={"title": "Neuer Titel"})
    await client.delete(f"/v1/articles/{article['id']}")
    await client.delete(f"/v1/sources/{source_id}")

    events, _ = await read_all(client, cursor)
    mine = [
        e
        for e in events
        if e["data"].get("id") in (article["id"], claim["id"], source_id)
        or e["data"].get("claim_id") == claim["id"]
    ]
    assert [e["type"] for e in mine] == [
        "article.created",
        "claim.created",
        "source.created",
        "claim_source.created",
        "claim.updated",
        "verification.created",
        "claim.updated",
        "article.updated",
        "claim.deleted",
        "article.deleted",
        "source.deleted",
    ]
    by_type = {e["type"]: e for e in mine}
    assert by_type["article.updated"]["data"]["title"] == "Neuer Titel"
    assert by_type["verification.created"]["data"]["status"] == "verified"
    assert by_type["claim_source.created"]["data"]["source"]["url"] == source_url
    assert by_type["claim.deleted"]["data"] == {"id": claim["id"], "article_id": article["id"]}
    assert len({e["id"] for e in events}) == len(events)
    for e in mine:
        assert set(e) == {"id", "type", "occurred_at", "data"}


async def test_a_late_commit_is_not_skipped(
    client: httpx.AsyncClient, database_url: str, db: asyncpg.Connection
) -> None:
    """A transaction that began first but commits last still reaches a reader who polls on."""
    _, cursor = await read_all(client, None)
    slow = await asyncpg.connect(database_url)
    try:
        transaction = slow.transaction()
        await transaction.start()
        late_id = uuid.uuid4()
        await slow.execute(
            "INSERT INTO events (type, order_key, data) VALUES ('source.updated', $1, $2::jsonb)",
            late_id,
            f'{{"id": "{late_id}"}}',
        )
        article = await create_article(client)  # commits while the slow transaction is open
        seen, cursor = await read_all(client, cursor)
        assert not any(e["data"].get("id") == article["id"] for e in seen), "read past an open transaction"
        await transaction.commit()
        seen, cursor = await read_all(client, cursor)
        ids = [e["data"].get("id") for e in seen]
        assert str(late_id) in ids and article["id"] in ids
        assert ids.index(str(late_id)) < ids.index(article["id"])
    finally:
        await slow.close()


async def test_type_filter_and_bad_input(client: httpx.AsyncClient) -> None:
    _, cursor = await read_all(client, None)
    await create_article(client, claims=[{"text": "t", "quote": "Der Bürgermeister"}])
    claims_only, _ = await read_all(client, cursor, type="claim.*")
    assert claims_only and {e["type"] for e in claims_only} == {"claim.created"}
    exact, _ = await read_all(client, cursor, type=["article.created", "claim.created"])
    assert {e["type"] for e in exact} == {"article.created", "claim.created"}
    assert_problem(await client.get("/v1/events", params={"type": "DROP TABLE"}), 400, "invalid-request")
    assert_problem(await client.get("/v1/events", params={"cursor": "garbage!"}), 400, "invalid-request")


async def test_start_now_skips_the_past(client: httpx.AsyncClient) -> None:
    await create_article(client)
    response = await client.get("/v1/events", params={"start": "now"})
    assert response.status_code == 200
    assert response.json()["items"] == []
    cursor = response.json()["next_cursor"]
    article = await create_article(client)
    events, _ = await read_all(client, cursor)
    assert [e["data"]["id"] for e in events] == [article["id"]]
    assert_problem(await client.get("/v1/events", params={"start": "then"}), 400, "invalid-request")
