"""Revisions of an article's body, and claims carried across a correction of the seed article."""

from __future__ import annotations

import hashlib
from typing import Any

import asyncpg
import httpx

from tests.integration.events.test_events import read_all
from tests.integration.helpers import assert_problem, create_article, create_source, verify

TROOPS = "Seine 3.600 Mann starke sogenannte Friedenstruppe wird von der UNO anerkannt."
DEAD = "Mindestens 164 Tote bei Protesten in Kasachstan"
WECHAT = "erstmals auch die chinesische App WeChat"
TERROR = "Tokajew bezeichnete die Demonstranten als „Terroristen“ und „Banditen“."
WECHAT_SENTENCE = (
    "Die Regierung hat auch versucht, die Demonstrationen durch die Verhängung des Ausnahmezustands und "
    "die Sperrung von sozialen Netzwerken und Chat-Apps, darunter Facebook, WhatsApp, Telegram und "
    "erstmals auch die chinesische App WeChat, zu unterdrücken."
)


def corrected(body: str) -> str:
    """The seed as corrected days later: the toll updated, quotation marks retypeset, the WeChat
    sentence rewritten, and a correction note on top."""
    return "Korrektur: Die Zahl der Toten wurde aktualisiert.\n\n" + (
        body.replace("Mindestens 164 Tote", "Mindestens 225 Tote")
        .replace("„Terroristen“ und „Banditen“", '"Terroristen" und "Banditen"')
        .replace(WECHAT_SENTENCE, "Landesweit blieb das Internet mehrere Tage lang abgeschaltet.")
    )


async def seed_article(client: httpx.AsyncClient, seed_body: str) -> tuple[dict[str, Any], dict[str, Any]]:
    article = await create_article(
        client,
        body=seed_body,
        language="de",
        claims=[
            {"text": "3,600 peacekeepers, UN-recognised", "quote": TROOPS},
            {"text": "At least 164 dead", "quote": DEAD},
            {"text": "WeChat blocked for the first time", "quote": WECHAT},
            {"text": "Protesters called terrorists", "quote": TERROR},
        ],
    )
    claims = (await client.get(f"/v1/articles/{article['id']}/claims")).json()["items"]
    return article, {c["text"]: c for c in claims}


async def test_a_correction_keeps_the_old_body_and_says_what_became_of_each_claim(
    client: httpx.AsyncClient, db: asyncpg.Connection, seed_body: str
) -> None:
    article, claims = await seed_article(client, seed_body)
    assert article["revision"] == 1
    assert {c["revision"] for c in claims.values()} == {1}
    dead = claims["At least 164 dead"]
    source = await create_source(client)
    await verify(
        client, dead["id"], "verified", sources=[{"source_id": source["id"], "relation": "supports"}]
    )
    _, cursor = await read_all(client, None)

    new_body = corrected(seed_body)
    response = await client.patch(f"/v1/articles/{article['id']}", json={"body": new_body})
    assert response.status_code == 200, response.text
    assert response.json()["revision"] == 2

    after = {c["text"]: c for c in (await client.get(f"/v1/articles/{article['id']}/claims")).json()["items"]}
    # Moved by the note on top, words unchanged: anchored, placed in revision 2.
    troops = after["3,600 peacekeepers, UN-recognised"]
    assert troops["anchor_status"] == "anchored" and troops["quote"] == TROOPS
    assert new_body[troops["span"]["start"] : troops["span"]["end"]] == TROOPS
    assert troops["revision"] == 2
    # Quotation marks retypeset: the same words, the quote follows the new characters.
    terror = after["Protesters called terrorists"]
    assert terror["anchor_status"] == "anchored"
    assert terror["quote"] == 'Tokajew bezeichnete die Demonstranten als "Terroristen" und "Banditen".'
    # The toll corrected: reworded, and the verdict on 164 no longer stands.
    moved = after["At least 164 dead"]
    assert moved["anchor_status"] == "reworded"
    assert moved["quote"] == "Mindestens 225 Tote bei Protesten in Kasachstan"
    assert new_body[moved["span"]["start"] : moved["span"]["end"]] == moved["quote"]
    assert moved["status"] == "in_review" and moved["rating"] is None
    # Rewritten beyond recognition: orphaned, its old words kept.
    wechat = after["WeChat blocked for the first time"]
    assert wechat["anchor_status"] == "orphaned" and wechat["span"] is None and wechat["quote"] == WECHAT
    assert wechat["revision"] == 1

    history = (await client.get(f"/v1/claims/{dead['id']}/verifications")).json()["items"]
    assert [(h["kind"], h["status"], h["previous_status"]) for h in history] == [
        ("verdict", "verified", "unverified"),
        ("reworded", "verified", "verified"),
        ("verdict", "in_review", "verified"),
    ]
    assert history[1]["wording"]["quote_before"] == DEAD
    assert history[1]["wording"]["quote_after"] == moved["quote"]
    assert "164 -> 225" in history[2]["note"]

    listed = (await client.get("/v1/claims", params={"anchor_status": "reworded"})).json()["items"]
    assert dead["id"] in [c["id"] for c in listed]
    assert all(c["anchor_status"] == "reworded" for c in listed)
    # Every field is listed, those equal to a default too.
    assert all(c["revision"] == 2 and "claimant_type" in c for c in listed)

    events, _ = await read_all(client, cursor, type="claim.reanchored")
    reanchored = {e["data"]["claim_id"]: e["data"] for e in events}
    assert reanchored[dead["id"]]["quote_before"] == DEAD
    assert reanchored[dead["id"]]["quote_after"] == moved["quote"]
    assert reanchored[dead["id"]]["anchor_status"] == "reworded"
    assert reanchored[wechat["id"]]["span_after"] is None

    # The revisions, newest first, each with what it did to the claims.
    page = (await client.get(f"/v1/articles/{article['id']}/revisions")).json()
    assert [r["revision"] for r in page["items"]] == [2, 1]
    second, first = page["items"]
    assert second["summary"] == {"anchored": 2, "reworded": 1, "orphaned": 1}
    assert first["summary"] == {"anchored": 4, "reworded": 0, "orphaned": 0}
    assert second["article_version"] == response.json()["version"] and first["article_version"] == 1
    assert second["length"] == len(new_body)
    assert second["sha256"] == hashlib.sha256(new_body.encode()).hexdigest()
    assert "body" not in second
    old = (await client.get(f"/v1/articles/{article['id']}/revisions/1")).json()
    assert old["body"] == seed_body and old["revision"] == 1
    assert_problem(await client.get(f"/v1/articles/{article['id']}/revisions/3"), 404, "not-found")

    # A verdict is a desk's look at the new words: the claim is anchored again.
    response = await verify(client, dead["id"], "verified", sources=[])
    assert response.json()["claim"]["anchor_status"] == "anchored"

    # Deleting the article takes its revisions along.
    await client.delete(f"/v1/articles/{article['id']}")
    assert (
        await db.fetchval("SELECT count(*) FROM article_revisions WHERE article_id = $1", article["id"]) == 0
    )


async def test_revisions_page_and_unknown_article(client: httpx.AsyncClient) -> None:
    article = await create_article(client, body="Eins. Zwei.")
    for n in range(3):
        response = await client.patch(f"/v1/articles/{article['id']}", json={"body": f"Eins. Zwei. {n}"})
        assert response.status_code == 200, response.text
    # A change of the title alone is no new revision.
    response = await client.patch(f"/v1/articles/{article['id']}", json={"title": "Neu"})
    assert response.json()["revision"] == 4
    first = (await client.get(f"/v1/articles/{article['id']}/revisions", params={"limit": 3})).json()
    assert [r["revision"] for r in first["items"]] == [4, 3, 2]
    rest = (
        await client.get(
            f"/v1/articles/{article['id']}/revisions", params={"limit": 3, "cursor": first["next_cursor"]}
        )
    ).json()
    assert [r["revision"] for r in rest["items"]] == [1] and rest["next_cursor"] is None
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(await client.get(f"/v1/articles/{missing}/revisions"), 404, "not-found")
    assert_problem(await client.get(f"/v1/articles/{missing}/revisions/1"), 404, "not-found")
