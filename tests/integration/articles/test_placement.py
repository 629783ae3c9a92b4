"""Placing quotes in article bodies: offsets in code points, ambiguity, and new bodies."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.helpers import (
    BODY,
    article_with_claim,
    assert_problem,
    claim_row,
    create_article,
    create_claim,
)

LEAD = "Seit Tagen treffen auf Bitten"


async def claim_count(db: asyncpg.Connection, article_id: str) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM claims WHERE article_id = $1", uuid.UUID(article_id))
    return count


@pytest.fixture
async def seed_article(client: httpx.AsyncClient, seed_body: str) -> dict[str, Any]:
    return await create_article(client, body=seed_body, title="Armenische Truppen treffen in Kasachstan ein")


async def test_the_repeated_lead_is_ambiguous_with_both_candidates(
    client: httpx.AsyncClient, db: asyncpg.Connection, seed_article: dict[str, Any], seed_body: str
) -> None:
    first = seed_body.index(LEAD)
    second = seed_body.index(LEAD, first + 1)
    response = await client.post(
        f"/v1/articles/{seed_article['id']}/claims", json={"text": "OVKS-Truppen in Almaty", "quote": LEAD}
    )
    problem = assert_problem(response, 422, "quote-ambiguous")
    assert problem["candidates"] == [
        {"start": first, "end": first + len(LEAD)},
        {"start": second, "end": second + len(LEAD)},
    ]
    assert problem["errors"][0]["field"] == "/quote"
    assert await claim_count(db, seed_article["id"]) == 0


async def test_prefix_chooses_among_repeated_quotes(
    client: httpx.AsyncClient, db: asyncpg.Connection, seed_article: dict[str, Any], seed_body: str
) -> None:
    second = seed_body.index(LEAD, 1)
    claim = await create_claim(client, seed_article["id"], text="t", quote=LEAD, prefix="Almaty – ")
    assert claim["span"] == {"start": second, "end": second + len(LEAD)}
    assert claim["selector"]["prefix"] == seed_body[second - 32 : second]
    assert (await claim_row(db, claim["id"]))["span_start"] == second


async def test_span_chooses_among_repeated_quotes_and_wins_over_prefix(
    client: httpx.AsyncClient, db: asyncpg.Connection, seed_article: dict[str, Any]
) -> None:
    claim = await create_claim(
        client,
        seed_article["id"],
        text="t",
        quote=LEAD,
        span={"start": 0, "end": len(LEAD)},
        prefix="Almaty – ",
    )
    assert claim["span"] == {"start": 0, "end": len(LEAD)}
    assert claim["selector"]["prefix"] == ""
    assert (await claim_row(db, claim["id"]))["span_start"] == 0


async def test_context_matching_neither_place_stays_ambiguous(
    client: httpx.AsyncClient, db: asyncpg.Connection, seed_article: dict[str, Any]
) -> None:
    response = await client.post(
        f"/v1/articles/{seed_article['id']}/claims", json={"text": "t", "quote": LEAD, "suffix": "nirgends"}
    )
    assert len(assert_problem(response, 422, "quote-ambiguous")["candidates"]) == 2
    assert await claim_count(db, seed_article["id"]) == 0


async def test_a_missing_quote_is_422(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    article = await create_article(client)
    response = await client.post(
        f"/v1/articles/{article['id']}/claims", json={"text": "t", "quote": "U-Bahn"}
    )
    assert assert_problem(response, 422, "quote-not-found")["errors"][0]["field"] == "/quote"
    assert await claim_count(db, article["id"]) == 0


@pytest.mark.parametrize(
    "span",
    [
        {"start": 4, "end": 15},  # somewhere else in the body
        {"start": 4, "end": 4},  # empty
        {"start": len(BODY) - 2, "end": len(BODY) + 9},  # past the end
    ],
)
async def test_a_span_that_does_not_hold_the_quote_is_422(
    client: httpx.AsyncClient, db: asyncpg.Connection, span: dict[str, int]
) -> None:
    article = await create_article(client)
    response = await client.post(
        f"/v1/articles/{article['id']}/claims", json={"text": "t", "quote": "Straßenbahn", "span": span}
    )
    assert assert_problem(response, 422, "span-mismatch")["errors"][0]["field"] == "/span"
    assert await claim_count(db, article["id"]) == 0


@pytest.mark.parametrize(
    "quote",
    [
        "Straßenbahn fahre ab März öfter",  # German: ß, ä, ö
        "Мэр заявил, что трамвай",  # Russian
        "Stadt 🚋 verspricht",  # an emoji outside the BMP: one code point, two UTF-16 units
        "verspricht 12 neue Linien",  # after the emoji
    ],
)
async def test_offsets_are_code_points(client: httpx.AsyncClient, db: asyncpg.Connection, quote: str) -> None:
    article = await create_article(client)
    start = BODY.index(quote)
    claim = await create_claim(client, article["id"], quote=quote)
    assert claim["span"] == {"start": start, "end": start + len(quote)}
    assert claim["quote"] == quote

    # The same offsets, given explicitly, hold the same quote.
    by_span = await create_claim(
        client, article["id"], quote=quote, span={"start": start, "end": start + len(quote)}
    )
    assert by_span["span"] == claim["span"]

    # PostgreSQL counts code points too: the stored span cuts the quote out of the stored body.
    cut = await db.fetchval(
        "SELECT substr(a.body, c.span_start + 1, c.span_end - c.span_start) "
        "FROM claims c JOIN articles a ON a.id = c.article_id WHERE c.id = $1",
        uuid.UUID(claim["id"]),
    )
    assert cut == quote


async def test_emoji_offsets_count_one_per_code_point(client: httpx.AsyncClient) -> None:
    article = await create_article(client, body="🚋🚋 Tram 🎉 kommt", language="en")
    claim = await create_claim(client, article["id"], quote="kommt")
    assert claim["span"] == {"start": 10, "end": 15}  # UTF-16 would say 13, UTF-8 bytes 19
    claim = await create_claim(client, article["id"], quote="🎉")
    assert claim["span"] == {"start": 8, "end": 9}


async def test_patch_span_alone_takes_the_text_there_as_the_quote(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    article = await create_article(client)
    claim = await create_claim(client, article["id"])
    start = BODY.index("Мэр")
    response = await client.patch(
        f"/v1/claims/{claim['id']}", json={"span": {"start": start, "end": start + 10}}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["quote"], response.json()["version"]) == ("Мэр заявил", 2)
    row = await claim_row(db, claim["id"])
    assert (row["quote"], row["span_start"], row["span_end"]) == ("Мэр заявил", start, start + 10)


async def test_patch_quote_follows_the_same_rules(
    client: httpx.AsyncClient, db: asyncpg.Connection, seed_body: str
) -> None:
    article = await create_article(client, body=seed_body)
    claim = await create_claim(client, article["id"], quote="164 Tote")

    ambiguous = await client.patch(f"/v1/claims/{claim['id']}", json={"quote": LEAD})
    assert len(assert_problem(ambiguous, 422, "quote-ambiguous")["candidates"]) == 2
    missing = await client.patch(f"/v1/claims/{claim['id']}", json={"quote": "Bischkek"})
    assert_problem(missing, 422, "quote-not-found")
    mismatch = await client.patch(
        f"/v1/claims/{claim['id']}", json={"quote": LEAD, "span": {"start": 1, "end": 30}}
    )
    assert_problem(mismatch, 422, "span-mismatch")
    row = await claim_row(db, claim["id"])
    assert (row["quote"], row["version"]) == ("164 Tote", 1)

    second = seed_body.index(LEAD, 1)
    chosen = await client.patch(f"/v1/claims/{claim['id']}", json={"quote": LEAD, "prefix": "Almaty – "})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["span"] == {"start": second, "end": second + len(LEAD)}
    assert (await claim_row(db, claim["id"]))["version"] == 2


async def test_a_new_body_moves_one_claim_and_orphans_another(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    article = await create_article(client, body="Erstens: Preise steigen. Zweitens: Löhne sinken.")
    moved = await create_claim(client, article["id"], quote="Löhne sinken")
    orphaned = await create_claim(client, article["id"], quote="Preise steigen")
    kept = await create_claim(client, article["id"], quote="Erstens")

    new_body = "Erstens: Mieten steigen. Auch 🎉 neu: Zweitens: Löhne sinken."
    response = await client.patch(
        f"/v1/articles/{article['id']}", json={"body": new_body}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2

    claims = {c["id"]: c for c in (await client.get(f"/v1/articles/{article['id']}/claims")).json()["items"]}
    start = new_body.index("Löhne sinken")
    assert claims[moved["id"]]["span"] == {"start": start, "end": start + len("Löhne sinken")}
    assert claims[moved["id"]]["anchor_status"] == "anchored"
    assert claims[moved["id"]]["version"] == 2
    assert claims[orphaned["id"]]["span"] is None
    assert claims[orphaned["id"]]["anchor_status"] == "orphaned"
    assert claims[orphaned["id"]]["quote"] == "Preise steigen"
    assert claims[orphaned["id"]]["version"] == 2
    assert claims[kept["id"]]["span"] == {"start": 0, "end": 7}
    assert list(claims)[-1] == orphaned["id"]  # orphaned claims last

    rows = {
        str(r["id"]): r
        for r in await db.fetch(
            "SELECT id, span_start, span_end, anchor_status, version FROM claims WHERE article_id = $1",
            uuid.UUID(article["id"]),
        )
    }
    assert (rows[moved["id"]]["span_start"], rows[moved["id"]]["version"]) == (start, 2)
    assert (rows[orphaned["id"]]["span_start"], rows[orphaned["id"]]["anchor_status"]) == (None, "orphaned")

    # An orphaned claim is placed again by a PATCH.
    placed = await client.patch(f"/v1/claims/{orphaned['id']}", json={"quote": "Mieten steigen"})
    assert placed.status_code == 200, placed.text
    assert placed.json()["anchor_status"] == "anchored"
    assert placed.json()["span"] == {"start": 9, "end": 23}
    assert (await claim_row(db, orphaned["id"]))["anchor_status"] == "anchored"


async def test_a_new_body_uses_the_selector_to_choose_among_repeats(client: httpx.AsyncClient) -> None:
    article = await create_article(client, body="A sagt: Ja. B sagt: Nein.")
    claim = await create_claim(client, article["id"], quote="sagt", prefix="B ")
    assert claim["span"] == {"start": 14, "end": 18}
    new_body = "Vorweg. C sagt: Vielleicht. A sagt: Ja. B sagt: Nein."
    assert (await client.patch(f"/v1/articles/{article['id']}", json={"body": new_body})).status_code == 200
    placed = (await client.get(f"/v1/claims/{claim['id']}")).json()
    start = new_body.index("B sagt") + 2
    assert placed["span"] == {"start": start, "end": start + 4}


# Whole characters and NFC: "Café" with its e and U+0301 COMBINING ACUTE ACCENT (decomposed),
# a family emoji of three people joined by ZWJ (one character of five code points).
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
DECOMPOSED_BODY = f"Im Cafe\u0301 am Markt feiert die Familie {FAMILY} heute. Das Café schließt um acht."


async def test_quotes_are_placed_on_whole_characters_compared_under_nfc(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    article = await create_article(client, body=DECOMPOSED_BODY)
    claims_url = f"/v1/articles/{article['id']}/claims"

    # "Cafe" is only the start of "Café": it is not in the text.
    response = await client.post(claims_url, json={"text": "t", "quote": "Cafe"})
    assert assert_problem(response, 422, "quote-not-found")["errors"][0]["field"] == "/quote"
    # Nor is one person of the family.
    response = await client.post(claims_url, json={"text": "t", "quote": "\U0001f468"})
    assert_problem(response, 422, "quote-not-found")
    assert await claim_count(db, article["id"]) == 0

    # A composed "Café am Markt" finds the decomposed words; the claim quotes the body as sent.
    start = DECOMPOSED_BODY.index("Cafe\u0301 am Markt")
    claim = await create_claim(client, article["id"], quote="Café am Markt", prefix="Im ")
    assert claim["span"] == {"start": start, "end": start + 14}
    assert claim["quote"] == "Cafe\u0301 am Markt"
    row = await claim_row(db, claim["id"])
    assert (row["quote"], row["span_start"], row["span_end"]) == ("Cafe\u0301 am Markt", start, start + 14)
    body = await db.fetchval("SELECT body FROM articles WHERE id = $1", uuid.UUID(article["id"]))
    assert body == DECOMPOSED_BODY  # kept as sent, not normalised

    # "Café" occurs in both forms: two candidates, each in the body's own offsets.
    response = await client.post(claims_url, json={"text": "t", "quote": "Cafe\u0301"})
    composed = DECOMPOSED_BODY.index("Café")
    assert assert_problem(response, 422, "quote-ambiguous")["candidates"] == [
        {"start": start, "end": start + 5},
        {"start": composed, "end": composed + 4},
    ]
    # The whole family is one character, placed whole.
    family = DECOMPOSED_BODY.index(FAMILY)
    claim = await create_claim(client, article["id"], quote=FAMILY)
    assert claim["span"] == {"start": family, "end": family + 5}


@pytest.mark.parametrize(
    ("quote", "start", "end"),
    [
        (None, "Cafe", 4),  # "Cafe" without its accent
        ("\U0001f468", FAMILY, 1),  # the man out of the family
        (None, FAMILY, 3),  # half the family
    ],
)
async def test_a_span_that_splits_a_character_is_a_span_mismatch_saying_why(
    client: httpx.AsyncClient, db: asyncpg.Connection, quote: str | None, start: str, end: int
) -> None:
    article = await create_article(client, body=DECOMPOSED_BODY)
    at = DECOMPOSED_BODY.index(start)
    span = {"start": at, "end": at + end}
    payload: dict[str, Any] = {"text": "t", "quote": quote or DECOMPOSED_BODY[at : at + end], "span": span}
    response = await client.post(f"/v1/articles/{article['id']}/claims", json=payload)
    problem = assert_problem(response, 422, "span-mismatch")
    assert problem["errors"][0]["field"] == "/span"
    assert "inside the character" in problem["detail"] and "grapheme" in problem["detail"]
    assert await claim_count(db, article["id"]) == 0

    # PATCH with a span alone follows the same rule.
    claim = await create_claim(client, article["id"], quote="Markt")
    response = await client.patch(f"/v1/claims/{claim['id']}", json={"span": span})
    assert_problem(response, 422, "span-mismatch")
    assert (await claim_row(db, claim["id"]))["quote"] == "Markt"


async def test_the_database_refuses_a_span_that_does_not_hold_its_quote(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """The rule holds in PostgreSQL too (deferred constraint triggers), whichever way a row is
    written: a claim alone, a body alone, or an article and its claims in one transaction."""
    article, claim = await article_with_claim(client, quote="Straßenbahn")
    start = BODY.index("Straßenbahn")

    async def refused(*statements: tuple[str, tuple[Any, ...]]) -> None:
        with pytest.raises(asyncpg.CheckViolationError, match="quote"):
            async with db.transaction():
                for sql, args in statements:
                    await db.execute(sql, *args)

    await refused(("UPDATE claims SET span_start = span_start + 1 WHERE id = $1", (claim["id"],)))
    await refused(("UPDATE articles SET body = 'Etwas ganz anderes' WHERE id = $1", (article["id"],)))
    other = uuid.uuid4()
    await refused(
        ("INSERT INTO articles (id, title, language, body) VALUES ($1, 't', 'de', 'Ein Text')", (other,)),
        (
            "INSERT INTO claims (article_id, text, quote, span_start, span_end, language)"
            " VALUES ($1, 't', 'Text', 0, 4, 'de')",
            (other,),
        ),
    )
    # A new body with the claim placed again in the same transaction is fine.
    async with db.transaction():
        await db.execute("UPDATE articles SET body = 'Vorweg. ' || body WHERE id = $1", article["id"])
        await db.execute(
            "UPDATE claims SET span_start = $2, span_end = $3 WHERE id = $1",
            claim["id"],
            start + 8,
            start + 8 + len("Straßenbahn"),
        )
    assert await db.fetchval("SELECT span_start FROM claims WHERE id = $1", claim["id"]) == start + 8
    # Written behind the API's back (no revision recorded): not left for other tests to export.
    await db.execute("DELETE FROM articles WHERE id = $1", article["id"])
