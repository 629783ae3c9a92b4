"""Changing what a verdict is about: the verify scope, and a history entry with the words."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import LiveServer, create_key
from tests.integration.events.test_events import read_all
from tests.integration.helpers import (
    BODY,
    article_with_claim,
    assert_problem,
    create_source,
    verify,
)


@pytest.fixture(scope="module")
async def writer(live_server: LiveServer, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A key that may write but not verify."""
    token = await create_key(database_url, "writer", ["read", "write"])
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30, headers=headers) as http:
        yield http


async def verified_claim(client: httpx.AsyncClient) -> dict[str, Any]:
    _, claim = await article_with_claim(client, text="Die Straßenbahn fährt öfter.", quote="Straßenbahn")
    source = await create_source(client)
    response = await verify(
        client,
        claim["id"],
        "verified",
        sources=[{"source_id": source["id"], "relation": "supports"}],
    )
    result: dict[str, Any] = response.json()["claim"]
    return result


async def history(client: httpx.AsyncClient, claim_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/claims/{claim_id}/verifications")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.mark.parametrize(
    "change",
    [
        {"text": "Die Straßenbahn fährt seltener."},
        {"quote": "Bürgermeister"},
        {"span": {"start": BODY.index("Montag"), "end": BODY.index("Montag") + len("Montag")}},
    ],
    ids=["text", "quote", "span"],
)
async def test_a_write_key_cannot_change_what_a_verdict_is_about(
    client: httpx.AsyncClient, writer: httpx.AsyncClient, db: asyncpg.Connection, change: dict[str, Any]
) -> None:
    claim = await verified_claim(client)
    response = await writer.patch(f"/v1/claims/{claim['id']}", json=change)
    body = assert_problem(response, 403, "forbidden")
    assert "verify scope" in body["detail"]
    row = await db.fetchrow("SELECT text, quote, span_start, version FROM claims WHERE id = $1", claim["id"])
    assert (row["text"], row["quote"], row["span_start"], row["version"]) == (
        claim["text"],
        claim["quote"],
        claim["span"]["start"],
        claim["version"],
    )
    assert [e["kind"] for e in await history(client, claim["id"])] == ["verdict"]


async def test_a_write_key_may_still_tag_a_verified_claim_and_reword_an_open_one(
    client: httpx.AsyncClient, writer: httpx.AsyncClient
) -> None:
    claim = await verified_claim(client)
    response = await writer.patch(f"/v1/claims/{claim['id']}", json={"tags": ["verkehr"]})
    assert response.status_code == 200, response.text
    assert [e["kind"] for e in await history(client, claim["id"])] == ["verdict"]

    _, open_claim = await article_with_claim(client, text="Vorher", quote="Straßenbahn")
    response = await writer.patch(f"/v1/claims/{open_claim['id']}", json={"text": "Nachher"})
    assert response.status_code == 200, response.text
    [entry] = await history(client, open_claim["id"])
    assert entry["kind"] == "reworded"
    assert entry["status"] == entry["previous_status"] == "unverified"
    assert entry["wording"] == {
        "text_before": "Vorher",
        "text_after": "Nachher",
        "quote_before": "Straßenbahn",
        "quote_after": "Straßenbahn",
    }
    assert entry["actor"] == "writer"
    assert entry["claim_version"] == response.json()["version"]


async def test_rewording_a_verified_claim_keeps_its_verdict_and_records_both_wordings(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    claim = await verified_claim(client)
    _, cursor = await read_all(client, None)
    response = await client.patch(
        f"/v1/claims/{claim['id']}", json={"text": "Die Tram fährt öfter.", "quote": "Bürgermeister"}
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["status"] == "verified" and updated["rating"] == claim["rating"]

    verdict, reworded = await history(client, claim["id"])
    assert verdict["kind"] == "verdict" and verdict["wording"] is None
    assert reworded["kind"] == "reworded"
    assert reworded["status"] == reworded["previous_status"] == "verified"
    assert reworded["rating"] == claim["rating"]
    assert reworded["evidence"] == verdict["evidence"]
    assert reworded["wording"] == {
        "text_before": "Die Straßenbahn fährt öfter.",
        "text_after": "Die Tram fährt öfter.",
        "quote_before": "Straßenbahn",
        "quote_after": "Bürgermeister",
    }
    assert reworded["claim_version"] == updated["version"]
    stored = await db.fetchrow(
        "SELECT kind, status, previous_status, wording IS NOT NULL AS has_wording FROM verifications"
        " WHERE id = $1",
        reworded["id"],
    )
    assert dict(stored) == {
        "kind": "reworded",
        "status": "verified",
        "previous_status": "verified",
        "has_wording": True,
    }

    events, _ = await read_all(client, cursor)
    mine = [
        (e["type"], e["data"].get("kind"))
        for e in events
        if e["data"].get("claim_id", e["data"].get("id")) == claim["id"]
    ]
    assert mine == [("verification.created", "reworded"), ("claim.updated", None)]


async def test_an_unchanged_text_sent_again_is_no_rewording(
    client: httpx.AsyncClient, writer: httpx.AsyncClient
) -> None:
    claim = await verified_claim(client)
    response = await writer.patch(f"/v1/claims/{claim['id']}", json={"text": claim["text"]})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == claim["version"]
    assert len(await history(client, claim["id"])) == 1
