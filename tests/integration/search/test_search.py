"""Finding claims: the filters of GET /v1/claims, full-text search by language, matching across articles."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import asyncpg
import httpx

from tests.integration.helpers import (
    assert_problem,
    create_article,
    create_claim,
    create_source,
    example_url,
    verify,
    wait_until,
    walk,
)

# Claims of the seed article (the quote as it stands in the body, the claim as phrased).
SEED_CLAIMS = {
    "tote": (
        "Mindestens 164 Tote bei Protesten in Kasachstan",
        "Bei Protesten in Kasachstan gab es 164 Tote.",
    ),
    "getoetet": (
        "über 150 Menschen getötet und mehr als als 2200 Menschen verletzt worden",
        "Über 150 Menschen wurden getötet und mehr als 2200 verletzt.",
    ),
    "festgenommen": (
        "fast 6000 Menschen festgenommen",
        "Fast 6000 Menschen wurden festgenommen, darunter viele Ausländer.",
    ),
    "terroristen": (
        "Tokajew bezeichnete die Demonstranten als „Terroristen“ und „Banditen“",
        "Tokajew nannte die Demonstranten Terroristen und Banditen.",
    ),
    "friedenstruppe": (
        "Seine 3.600 Mann starke sogenannte Friedenstruppe",
        "Die Friedenstruppe Armeniens ist 3.600 Mann stark.",
    ),
}
CLAIMANTS = {"tote": "Medienberichte", "getoetet": "Medienberichte", "terroristen": "Tokajew"}


async def seed_article(client: httpx.AsyncClient, seed_body: str, outlet: str) -> dict[str, Any]:
    """The seed article with its claims created one by one, in SEED_CLAIMS order; returns
    {"article": ..., name: claim, ...}."""
    article = await create_article(
        client, body=seed_body, title="Armenische Truppen treffen in Kasachstan ein", outlet=outlet
    )
    made: dict[str, Any] = {"article": article}
    for name, (quote, text) in SEED_CLAIMS.items():
        extra = {"claimant": CLAIMANTS[name]} if name in CLAIMANTS else {}
        made[name] = await create_claim(client, article["id"], text=text, quote=quote, **extra)
    return made


async def ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/v1/claims", params=params)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


async def hits(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/claims", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# ---- filters --------------------------------------------------------------------------------


async def test_filters_on_the_seed_article(client: httpx.AsyncClient, seed_body: str, unique: str) -> None:
    seed = await seed_article(client, seed_body, outlet=f"Rundschau {unique}")
    article_id = seed["article"]["id"]
    names = list(SEED_CLAIMS)
    newest_first = [seed[n]["id"] for n in reversed(names)]

    assert await ids(client, outlet=f"RUNDSCHAU {unique}") == newest_first
    assert await ids(client, outlet=f"Rundschau {unique}x") == []
    assert await ids(client, article_id=article_id, claimant="medienberichte") == [
        seed["getoetet"]["id"],
        seed["tote"]["id"],
    ]
    assert await ids(client, article_id=article_id, claimant="Tokajew") == [seed["terroristen"]["id"]]

    # A claim found by its source, named by id or by any spelling of its url.
    source = await create_source(client, url=example_url("agency", unique))
    linked = await client.post(
        f"/v1/claims/{seed['tote']['id']}/sources", json={"source_id": source["id"], "relation": "supports"}
    )
    assert linked.status_code == 201, linked.text
    assert await ids(client, source_id=source["id"]) == [seed["tote"]["id"]]
    spelled = f"HTTPS://Example.ORG:443/agency/{unique}/?utm_source=newsletter#top"
    assert await ids(client, source_url=spelled) == [seed["tote"]["id"]]
    assert await ids(client, source_url=f"https://example.org/agency/{unique}-other") == []
    assert_problem(
        await client.get("/v1/claims", params={"source_url": "ftp://example.org/x"}), 400, "invalid-request"
    )

    # Linking changed "tote": it is now the most recently changed, but not the most recently created.
    assert (await ids(client, article_id=article_id))[0] == seed["tote"]["id"]
    assert await ids(client, article_id=article_id, sort="created_at") == newest_first
    assert await ids(client, article_id=article_id, sort="updated_at") == [
        seed["tote"]["id"],
        *[i for i in newest_first if i != seed["tote"]["id"]],
    ]

    await verify(client, seed["terroristen"]["id"], "in_review")
    assert await ids(client, article_id=article_id, status="in_review") == [seed["terroristen"]["id"]]
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert await ids(client, article_id=article_id, created_since=future) == []
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    assert sorted(await ids(client, article_id=article_id, created_since=past)) == sorted(newest_first)
    assert await ids(client, article_id=article_id, language="de", tag="nothing") == []

    # Filters combine with AND, and paging keeps them.
    pages = await walk(client, "/v1/claims", outlet=f"rundschau {unique}", sort="created_at", limit=2)
    assert [c["id"] for p in pages for c in p] == newest_first
    assert [len(p) for p in pages] == [2, 2, 1]


async def test_language_filter_takes_a_primary_tag_for_its_variants(client: httpx.AsyncClient) -> None:
    article = await create_article(client)
    german = await create_claim(client, article["id"], text="Die Bahn fährt öfter.", quote="Straßenbahn")
    austrian = await create_claim(
        client, article["id"], text="Die Bim fährt öfter.", quote="Straßenbahn", language="de-AT"
    )
    assert await ids(client, article_id=article["id"], language="DE") == [austrian["id"], german["id"]]
    assert await ids(client, article_id=article["id"], language="de-at") == [austrian["id"]]
    assert_problem(await client.get("/v1/claims", params={"language": "d"}), 400, "invalid-request")


async def test_bad_sort_and_cursors_are_400(client: httpx.AsyncClient) -> None:
    for params in (
        {"sort": "rank"},
        {"sort": "updated_at", "q": "Tote"},
        {"cursor": "not-a-cursor"},
        {"created_since": "yesterday"},
        {"source_id": "42"},
        {"claimant": "a\u0000b"},
    ):
        assert_problem(await client.get("/v1/claims", params=params), 400, "invalid-request")

    article = await create_article(client)
    for _ in range(2):
        await create_claim(client, article["id"])
    by_time = (await client.get("/v1/claims", params={"article_id": article["id"], "limit": 1})).json()
    assert by_time["next_cursor"]
    # A cursor of one order is refused by another.
    mixed = await client.get(
        "/v1/claims",
        params={"article_id": article["id"], "sort": "created_at", "cursor": by_time["next_cursor"]},
    )
    body = assert_problem(mixed, 400, "invalid-request")
    assert body["errors"][0]["field"] == "/cursor"
    ranked = await client.get(
        "/v1/claims",
        params={"article_id": article["id"], "q": "Straßenbahn", "cursor": by_time["next_cursor"]},
    )
    assert_problem(ranked, 400, "invalid-request")


# ---- full-text search -----------------------------------------------------------------------


async def test_german_search_stems_by_the_claims_language(
    client: httpx.AsyncClient, seed_body: str, unique: str
) -> None:
    seed = await seed_article(client, seed_body, outlet=f"Kurier {unique}")
    article_id = seed["article"]["id"]

    async def found(q: str) -> list[str]:
        return [h["id"] for h in await hits(client, article_id=article_id, q=q)]

    # German stemming folds "töten" and "Tote" to "tot"; "getötet" keeps its own stem "getotet".
    assert await found("töten") == [seed["tote"]["id"]]
    assert await found("getötet") == [seed["getoetet"]["id"]]
    assert set(await found("Menschen")) == {seed["getoetet"]["id"], seed["festgenommen"]["id"]}
    # Web-search syntax: phrases, or, -word.
    assert await found('"164 Tote"') == [seed["tote"]["id"]]
    assert await found('"Tote 164"') == []
    assert set(await found("Terroristen or Friedenstruppe")) == {
        seed["terroristen"]["id"],
        seed["friedenstruppe"]["id"],
    }
    assert await found("Menschen -festgenommen") == [seed["getoetet"]["id"]]
    assert await found("der die und") == []  # only stop words

    [hit] = await hits(client, article_id=article_id, q="getötet")
    assert hit["search"]["rank"] > 0
    assert "<mark>getötet</mark>" in hit["search"]["snippet"]
    assert hit["text"] == SEED_CLAIMS["getoetet"][1]  # a whole claim, with its sources
    assert hit["sources"] == [] and hit["version"] == 1
    # Without q, no search field.
    assert all("search" not in c for c in await hits(client, article_id=article_id))


async def test_english_russian_and_unstemmed_languages(client: httpx.AsyncClient, unique: str) -> None:
    english_body = f"Police killed 12 protesters in {unique}. Officials kill the story. Nothing <b>else</b>."
    english = await create_article(client, body=english_body, language="en")
    killed = await create_claim(
        client, english["id"], text="Police killed 12 protesters.", quote="Police killed 12 protesters"
    )
    markup = await create_claim(
        client, english["id"], text="Nothing <b>else</b> was said.", quote="Nothing <b>else</b>"
    )

    russian_body = "В Алматы убиты 164 человека. Число убитых выросло. Полиция убила демонстранта."
    russian = await create_article(client, body=russian_body, language="ru")
    ubity = await create_claim(
        client, russian["id"], text="В Алматы убиты 164 человека.", quote="убиты 164 человека"
    )
    ubityh = await create_claim(
        client, russian["id"], text="Число убитых выросло.", quote="Число убитых выросло"
    )
    ubila = await create_claim(
        client, russian["id"], text="Полиция убила демонстранта.", quote="Полиция убила"
    )

    french = await create_article(client, body="Des manifestants ont été tués à Almaty.", language="fr")
    tues = await create_claim(client, french["id"], text="Des manifestants ont été tués.", quote="tués")

    assert [h["id"] for h in await hits(client, article_id=english["id"], q="kill")] == [killed["id"]]
    assert [h["id"] for h in await hits(client, article_id=english["id"], q="killing")] == [killed["id"]]
    # Russian stemming: "убиты" and "убитых" share the stem "убит"; "убила" stems to "уб".
    assert {h["id"] for h in await hits(client, article_id=russian["id"], q="убиты")} == {
        ubity["id"],
        ubityh["id"],
    }
    assert [h["id"] for h in await hits(client, article_id=russian["id"], q="убил")] == [ubila["id"]]
    # Other languages are searched word for word ('simple').
    assert await hits(client, article_id=french["id"], q="tué") == []
    assert [h["id"] for h in await hits(client, article_id=french["id"], q="tués")] == [tues["id"]]
    # Each claim is matched with its own language's reading of the query: for an English claim
    # "killed" is "kill", for a German one it stays "killed", so "Kill" in German is no hit.
    assert await hits(client, article_id=russian["id"], q="killed") == []
    german = await create_article(client, body="Die Band Kill spielte in Almaty.", language="de")
    band = await create_claim(client, german["id"], text="Die Band Kill spielte in Almaty.", quote="Kill")
    assert await hits(client, article_id=german["id"], q="killed") == []
    assert [h["id"] for h in await hits(client, article_id=german["id"], q="kill")] == [band["id"]]

    # Snippets are HTML: the claim's own markup comes back escaped.
    [hit] = await hits(client, article_id=english["id"], q="else")
    assert hit["id"] == markup["id"]
    assert "&lt;b&gt;<mark>else</mark>&lt;/b&gt;" in hit["search"]["snippet"]
    assert "<b>" not in hit["search"]["snippet"]


async def test_hits_are_ranked_and_paged_by_rank(client: httpx.AsyncClient, unique: str) -> None:
    word = f"w{unique}"
    body = f"{word} {word} eins. zwei {word}. drei vier. fünf."
    article = await create_article(client, body=body, language="de")
    # The word in the claim's text (weight A) twice, once, in the quote only (weight B), nowhere.
    twice = await create_claim(client, article["id"], text=f"{word} und {word}", quote=f"{word} {word} eins")
    once = await create_claim(client, article["id"], text=f"Nur {word}", quote="drei vier")
    quoted = await create_claim(client, article["id"], text="Etwas anderes", quote=f"zwei {word}")
    await create_claim(client, article["id"], text="Gar nichts", quote="fünf")

    found = await hits(client, q=word)
    assert [h["id"] for h in found] == [twice["id"], once["id"], quoted["id"]]
    ranks = [h["search"]["rank"] for h in found]
    assert ranks == sorted(ranks, reverse=True) and ranks[-1] < ranks[0]

    pages = await walk(client, "/v1/claims", q=word, limit=1)
    assert [[c["id"] for c in p] for p in pages if p] == [[h["id"]] for h in found]


async def test_keyset_pages_neither_skip_nor_repeat_while_claims_are_inserted(
    client: httpx.AsyncClient, unique: str
) -> None:
    tag = f"paging-{unique}"
    word = f"p{unique}"
    article = await create_article(client, body=f"Eins {word} zwei {word} drei.", language="de")
    existing = set()
    for i in range(24):
        claim = await create_claim(
            client,
            article["id"],
            text=f"Behauptung {i} {word}" + f" {word}" * (i % 3),
            quote=word,
            prefix="Eins ",
            tags=[tag],
        )
        existing.add(claim["id"])

    inserting = True
    added: set[str] = set()

    async def insert_meanwhile() -> None:
        while inserting:
            claim = await create_claim(
                client, article["id"], text=f"Neu {word}", quote=word, prefix="Eins ", tags=[tag]
            )
            added.add(claim["id"])
            await asyncio.sleep(0)

    def inserted_more_than(count: int) -> bool:
        return len(added) > count

    for params in ({"sort": "updated_at"}, {"sort": "created_at"}, {"q": word}):
        added.clear()
        inserter = asyncio.create_task(insert_meanwhile())
        seen: list[str] = []
        cursor = None
        while True:
            query: dict[str, str | int] = {"tag": tag, "limit": 5, **params}
            if cursor:
                query["cursor"] = cursor
            response = await client.get("/v1/claims", params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            seen.extend(c["id"] for c in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
            # Another claim lands before the next page is read.
            await wait_until(partial(inserted_more_than, len(added)), what="a claim was inserted")
        inserting = False
        await inserter
        inserting = True
        assert added, "no claim was inserted while paging"
        assert len(seen) == len(set(seen)), f"a claim came twice ({params})"
        assert existing <= set(seen), f"a claim was skipped ({params})"
        existing |= added


# ---- matching across articles ---------------------------------------------------------------

OTHER_BODY = (
    "Am Sonntag meldeten Agenturen 164 Tote bei Protesten in Kasachstan. "
    "Eine andere Zählung nannte 150 Tote bei Protesten in Kasachstan. "
    "Das Wetter war kalt."
)


async def test_similar_claims_of_other_articles_with_their_verdicts(
    client: httpx.AsyncClient, seed_body: str, unique: str
) -> None:
    seed = await seed_article(client, seed_body, outlet=f"Blatt {unique}")
    same_article_twin = await create_claim(
        client,
        seed["article"]["id"],
        text="Mindestens 164 Tote bei Protesten in Kasachstan.",
        quote="Mindestens 164 Tote",
    )
    other = await create_article(client, body=OTHER_BODY, title="Kasachstan", outlet="Agentur")
    same_number = await create_claim(
        client,
        other["id"],
        text="164 Tote bei Protesten in Kasachstan.",
        quote="164 Tote bei Protesten in Kasachstan",
    )
    other_number = await create_claim(
        client,
        other["id"],
        text="150 Tote bei Protesten in Kasachstan.",
        quote="150 Tote bei Protesten in Kasachstan",
    )
    unrelated = await create_claim(
        client, other["id"], text="Das Wetter war kalt.", quote="Das Wetter war kalt"
    )
    source = await create_source(client, url=example_url("agency", unique))
    await verify(
        client, same_number["id"], "verified", sources=[{"source_id": source["id"], "relation": "supports"}]
    )

    response = await client.get(f"/v1/claims/{seed['tote']['id']}/similar")
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next_cursor"] is None
    found = {c["id"]: c for c in page["items"]}
    assert same_number["id"] in found
    # Another number about the same thing is found too, as a contradiction.
    assert found[same_number["id"]]["agreement"] == "consistent"
    assert found[other_number["id"]]["agreement"] == "conflicting"
    assert unrelated["id"] not in found
    assert same_article_twin["id"] not in found and seed["tote"]["id"] not in found
    assert all(c["article_id"] != seed["article"]["id"] for c in page["items"])
    match = found[same_number["id"]]
    assert match["status"] == "verified"
    assert match["rating"] == {"value": 5, "best": 5, "worst": 1, "text": "True"}
    assert [s["source"]["id"] for s in match["sources"]] == [source["id"]]
    assert 0.3 <= match["match"]["score"] <= 1
    scores = [c["match"]["score"] for c in page["items"]]
    assert scores == sorted(scores, reverse=True)
    conflicting = await client.get(
        f"/v1/claims/{seed['tote']['id']}/similar", params={"agreement": "conflicting"}
    )
    contradictions = {c["id"]: c["agreement"] for c in conflicting.json()["items"]}
    assert other_number["id"] in contradictions and same_number["id"] not in contradictions
    assert set(contradictions.values()) == {"conflicting"}  # other tests' claims may be among them
    assert_problem(
        await client.get(f"/v1/claims/{seed['tote']['id']}/similar", params={"agreement": "maybe"}),
        400,
        "invalid-request",
    )

    # Seen from the other side, the twin in the seed article is found too.
    back = await client.get(
        f"/v1/claims/{same_number['id']}/similar", params={"limit": 100, "language": "de"}
    )
    assert back.status_code == 200, back.text
    assert {seed["tote"]["id"], same_article_twin["id"]} <= {c["id"] for c in back.json()["items"]}
    assert (await client.get(f"/v1/claims/{same_number['id']}/similar", params={"language": "ru"})).json()[
        "items"
    ] == []

    missing = await client.get("/v1/claims/00000000-0000-4000-8000-000000000000/similar")
    assert_problem(missing, 404, "not-found")
    assert_problem(await client.get("/v1/claims/not-a-uuid/similar"), 400, "invalid-request")
    assert_problem(
        await client.get(f"/v1/claims/{same_number['id']}/similar", params={"limit": 0}),
        400,
        "invalid-request",
    )


async def test_match_a_claim_not_stored_yet(client: httpx.AsyncClient, unique: str) -> None:
    other = await create_article(client, body=OTHER_BODY, title="Kasachstan")
    same_number = await create_claim(
        client,
        other["id"],
        text="164 Tote bei Protesten in Kasachstan.",
        quote="164 Tote bei Protesten in Kasachstan",
    )
    other_number = await create_claim(
        client,
        other["id"],
        text="150 Tote bei Protesten in Kasachstan.",
        quote="150 Tote bei Protesten in Kasachstan",
    )

    response = await client.post(
        "/v1/claims/match",
        json={"text": "Mindestens 164 Tote bei den Protesten in Kasachstan", "language": "de"},
    )
    assert response.status_code == 200, response.text
    found = {c["id"]: c["agreement"] for c in response.json()["items"]}
    # At least 164: 164 agrees, 150 contradicts it.
    assert found[same_number["id"]] == "consistent" and found[other_number["id"]] == "conflicting"
    # And the other way round: 150 finds the claim naming 150.
    spelled = await client.post(
        "/v1/claims/match", json={"text": "Es gab 150 Tote bei Protesten in Kasachstan"}
    )
    assert other_number["id"] in [c["id"] for c in spelled.json()["items"]]

    # One spelling per number, and claims naming no number are matched by their words alone.
    body = "Die Friedenstruppe ist 3.600 Mann stark. Die Regierung hat soziale Netzwerke gesperrt."
    third = await create_article(client, body=body, title="Kasachstan")
    troops = await create_claim(
        client, third["id"], text="Die Friedenstruppe ist 3.600 Mann stark.", quote="3.600 Mann"
    )
    blocked = await create_claim(
        client, third["id"], text="Die Regierung hat soziale Netzwerke gesperrt.", quote="soziale Netzwerke"
    )

    async def matched(text: str) -> list[str]:
        response = await client.post("/v1/claims/match", json={"text": text, "language": "de", "limit": 100})
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert troops["id"] in await matched("Die Friedenstruppe ist 3600 Mann stark")
    assert troops["id"] in await matched("Die Friedenstruppe ist 2600 Mann stark")  # conflicting
    assert blocked["id"] in await matched("Die Regierung sperrte soziale Netzwerke.")
    assert blocked["id"] not in await matched("Die Regierung sperrte 2 soziale Netzwerke.")

    for body, field in (
        ({"text": "x", "lang": "de"}, "/lang"),
        ({"language": "de"}, "/text"),
        ({"text": "164 Tote", "limit": "3"}, "/limit"),
        ({"text": "164 Tote", "limit": 101}, "/limit"),
        ({"text": ""}, "/text"),
    ):
        problem = assert_problem(await client.post("/v1/claims/match", json=body), 400, "invalid-request")
        assert problem["errors"][0]["field"] == field, problem


async def test_numbers_have_one_spelling_for_matching(db: asyncpg.Connection) -> None:
    async def numbers(text: str) -> list[str]:
        return list(await db.fetchval("SELECT claim_match_numbers($1)::text[]", text))

    assert await numbers("Seine 3.600 Mann") == ["3600"]
    assert await numbers("his 3,600 troops") == ["3600"]
    assert await numbers("его 3 600 солдат") == ["3600"]
    assert await numbers("20.000.000 Euro") == ["20000000"]
    assert await numbers("1,5 Prozent") == await numbers("1.5 per cent") == ["1.5"]
    assert await numbers("im Jahr 2019 150 Tote") == ["150", "2019"]  # a year and a count stay two numbers
    assert await numbers("Mindestens 164 Tote") == ["164"]
