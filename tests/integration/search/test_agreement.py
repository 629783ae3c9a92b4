"""Quantities stored with claims, and numbers compared across claims (/similar, /match)."""

from __future__ import annotations

import asyncpg
import httpx

from tests.integration.helpers import create_article, create_claim

BODY = (
    "Bei den Protesten in Kasachstan gab es mindestens 164 Tote. "
    "Nach Angaben der Behörden wurden über 150 Tote bei den Protesten in Kasachstan gezählt. "
    "Eine Agentur meldete genau 150 Tote bei den Protesten in Kasachstan. "
    "Über 2.200 Menschen wurden bei den Protesten in Kasachstan verletzt."
)


async def test_a_claim_stores_its_quantities_and_a_patch_reads_them_again(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    article = await create_article(client, body=BODY, title="Kasachstan")
    claim = await create_claim(
        client,
        article["id"],
        text="Bei den Protesten starben mindestens 164 Menschen.",
        quote="über 150 Tote bei den Protesten",
    )
    assert claim["quantities"] == [
        {
            "value": 164,
            "low": 164,
            "high": None,
            "qualifier": "at_least",
            "unit": "Menschen",
            "key": "killed",
            "text": "mindestens 164 Menschen",
            "span": {"start": 26, "end": 49},
        }
    ]
    assert claim["text"][26:49] == "mindestens 164 Menschen"
    [in_quote] = claim["quote_quantities"]
    assert (in_quote["qualifier"], in_quote["low"], in_quote["high"], in_quote["key"]) == (
        "more_than",
        150,
        None,
        "killed",
    )
    assert claim["quote"][in_quote["span"]["start"] : in_quote["span"]["end"]] == "über 150 Tote"
    assert (await client.get(f"/v1/claims/{claim['id']}")).json()["quantities"] == claim["quantities"]

    async def indexed() -> set[tuple[str, float]]:
        rows = await db.fetch("SELECT key, value FROM claim_quantity_values WHERE claim_id = $1", claim["id"])
        return {(r["key"], r["value"]) for r in rows}

    # What /similar looks claims up by: each thing counted with its value, text and quote.
    assert await indexed() == {("killed", 164.0), ("killed", 150.0)}

    patched = await client.patch(
        f"/v1/claims/{claim['id']}", json={"text": "Zwischen 150 und 200 Menschen starben."}
    )
    assert patched.status_code == 200, patched.text
    [range_] = patched.json()["quantities"]
    assert (range_["qualifier"], range_["low"], range_["high"], range_["key"]) == (
        "range",
        150,
        200,
        "killed",
    )
    row = await db.fetchrow(
        "SELECT quantities::text, quote_quantities::text FROM claims WHERE id = $1", claim["id"]
    )
    assert '"qualifier": "range"' in row["quantities"] and '"more_than"' in row["quote_quantities"]
    assert await indexed() == {("killed", 150.0)}
    # A verdict changes no words: the index rows stay as they are.
    await client.post(f"/v1/claims/{claim['id']}/verifications", json={"status": "in_review"})
    assert await indexed() == {("killed", 150.0)}


async def test_164_agrees_with_over_150_and_contradicts_exactly_150(client: httpx.AsyncClient) -> None:
    first = await create_article(client, body=BODY, title="Kasachstan")
    at_least = await create_claim(
        client,
        first["id"],
        text="Mindestens 164 Tote bei den Protesten in Kasachstan.",
        quote="mindestens 164 Tote",
    )
    second = await create_article(client, body=BODY, title="Kasachstan, später")
    over = await create_claim(
        client,
        second["id"],
        text="Über 150 Tote bei den Protesten in Kasachstan.",
        quote="über 150 Tote bei den Protesten in Kasachstan",
    )
    exactly = await create_claim(
        client,
        second["id"],
        text="Genau 150 Tote bei den Protesten in Kasachstan.",
        quote="genau 150 Tote bei den Protesten in Kasachstan",
    )
    injured = await create_claim(
        client,
        second["id"],
        text="Über 2.200 Verletzte bei den Protesten in Kasachstan.",
        quote="Über 2.200 Menschen wurden bei den Protesten in Kasachstan verletzt",
    )

    response = await client.get(f"/v1/claims/{at_least['id']}/similar", params={"limit": 100})
    assert response.status_code == 200, response.text
    found = {c["id"]: c["agreement"] for c in response.json()["items"]}
    # Different numbers about the same thing: found, and judged.
    assert found[over["id"]] == "consistent"
    assert found[exactly["id"]] == "conflicting"
    # The injured are another thing: found by their words, if at all, never compared.
    assert found.get(injured["id"], "unrelated") == "unrelated"

    # Other tests' claims may be among the matches too: only this test's are looked at.
    mine = {over["id"], exactly["id"], injured["id"]}
    for wanted, expected in (("conflicting", {exactly["id"]}), ("consistent", {over["id"]})):
        page = await client.get(
            f"/v1/claims/{at_least['id']}/similar", params={"agreement": wanted, "limit": 100}
        )
        assert {c["agreement"] for c in page.json()["items"]} <= {wanted}
        assert {c["id"] for c in page.json()["items"]} & mine == expected

    # A text not stored is read the same way.
    german = await client.post(
        "/v1/claims/match",
        json={"text": "Genau 150 Tote bei den Protesten in Kasachstan", "language": "de", "limit": 100},
    )
    judged = {c["id"]: c["agreement"] for c in german.json()["items"]}
    assert judged[at_least["id"]] == "conflicting"
    assert judged[over["id"]] == "conflicting"  # über 150 leaves 150 itself out
    assert judged[exactly["id"]] == "consistent"


async def test_a_quote_carried_to_new_words_has_their_quantities(client: httpx.AsyncClient) -> None:
    article = await create_article(client, body=BODY, title="Kasachstan")
    claim = await create_claim(
        client,
        article["id"],
        text="Die Behörden zählten über 150 Tote.",
        quote="Nach Angaben der Behörden wurden über 150 Tote bei den Protesten in Kasachstan gezählt.",
    )
    assert [q["low"] for q in claim["quote_quantities"]] == [150]
    edited = await client.patch(
        f"/v1/articles/{article['id']}", json={"body": BODY.replace("über 150 Tote", "über 160 Tote")}
    )
    assert edited.status_code == 200, edited.text
    moved = (await client.get(f"/v1/claims/{claim['id']}")).json()
    assert moved["anchor_status"] == "reworded", moved
    assert "über 160 Tote" in moved["quote"]
    assert [(q["qualifier"], q["low"]) for q in moved["quote_quantities"]] == [("more_than", 160)]
    assert [q["low"] for q in moved["quantities"]] == [150]  # the text is the desk's, unchanged


async def test_a_claim_naming_a_number_no_double_holds_is_stored(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # 400 nines are no double: the extractor made them inf, stored as null where a number must
    # be, and creating the claim answered 500. Such a figure is no quantity at all.
    huge = "9" * 400
    article = await create_article(client, body=f"Es starben {huge} oder 5 Menschen.", title="Zahlen")
    claim = await create_claim(
        client, article["id"], text=f"Es starben {huge} oder 5 Menschen.", quote="Menschen"
    )
    assert [q["value"] for q in claim["quantities"]] == [5]
    stored = await db.fetchval("SELECT count(*) FROM claims WHERE article_id = $1::uuid", article["id"])
    assert stored == 1
    listed = await client.get(f"/v1/articles/{article['id']}/claims")
    assert listed.status_code == 200 and [c["id"] for c in listed.json()["items"]] == [claim["id"]]


async def test_every_listing_shows_quantities_even_when_there_are_none(client: httpx.AsyncClient) -> None:
    article = await create_article(client, body=BODY, title="Kasachstan")
    claim = await create_claim(
        client, article["id"], text="Es gab Proteste in Kasachstan.", quote="Nach Angaben der Behörden"
    )
    assert (claim["quantities"], claim["quote_quantities"]) == ([], [])
    page = await client.get("/v1/claims", params={"article_id": article["id"]})
    assert page.status_code == 200, page.text
    [listed] = page.json()["items"]
    assert (listed["quantities"], listed["quote_quantities"]) == ([], [])
