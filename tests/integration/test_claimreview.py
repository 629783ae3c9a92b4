"""ClaimReview: verdicts out as schema.org JSON-LD, other fact-checkers' reviews in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest

from schemas.common import MAX_DEPTH, MAX_INTEGER
from tests.conftest import LiveServer, create_key
from tests.integration.helpers import assert_problem, create_article, create_claim, example_url, token
from tests.integration.test_source_checks import events_of, serve

JSON_LD = "application/ld+json"
BODY = (
    "Tokajew sagte, ausländische Terroristen hätten die Unruhen in Almaty angeführt. "
    "Das Gesundheitsministerium meldete 164 Tote. Die OVKS schickte 2030 Soldaten."
)


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[LiveServer]:
    running = serve(database_url)
    yield running
    running.stop()


@pytest.fixture(scope="module")
async def http(server: LiveServer, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    key = await create_key(database_url, "claimreview-desk", ["read", "write", "verify"])
    async with httpx.AsyncClient(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {key}"}
    ) as client:
        yield client


async def reviewed_article(http: httpx.AsyncClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    article = await create_article(
        http, body=BODY, url=example_url("artikel"), title="Unruhen in Kasachstan", outlet="Example Zeitung"
    )
    terror = await create_claim(
        http,
        article["id"],
        text="Ausländische Terroristen führten die Unruhen an.",
        quote="ausländische Terroristen",
        claimant="Tokajew",
        claim_date="2022-01-07",
    )
    dead = await create_claim(
        http,
        article["id"],
        text="164 Menschen starben bei den Unruhen.",
        quote="164 Tote",
        claimant="Gesundheitsministerium",
    )
    troops = await create_claim(
        http, article["id"], text="Die OVKS schickte 2030 Soldaten.", quote="2030 Soldaten"
    )
    refuting = {"source": {"url": example_url("beleg")}, "relation": "refutes"}
    response = await http.post(
        f"/v1/claims/{terror['id']}/verifications",
        json={"status": "false", "sources": [refuting], "rating_text": "Falsch"},
    )
    assert response.status_code == 201, response.text
    response = await http.post(
        f"/v1/claims/{dead['id']}/verifications",
        json={
            "status": "verified",
            "sources": [{"source": {"url": example_url("beleg")}, "relation": "supports"}],
            "review_url": f"https://faktencheck.example.org/164-tote-{token()}",
        },
    )
    assert response.status_code == 201, response.text
    return article, [terror, dead, troops]


# ---- export ---------------------------------------------------------------------------------


async def test_a_verdict_is_a_claimreview_a_schema_org_consumer_reads(http: httpx.AsyncClient) -> None:
    article, [terror, _, _] = await reviewed_article(http)
    response = await http.get(f"/v1/claims/{terror['id']}/claimreview")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(JSON_LD)
    review = response.json()
    today = datetime.now(UTC).date().isoformat()
    assert review == {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"{article['url']}#claim-{terror['id']}",
        "claimReviewed": "Ausländische Terroristen führten die Unruhen an.",
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": "Tokajew"},
            "datePublished": "2022-01-07",
            "appearance": {
                "@type": "CreativeWork",
                "url": article["url"],
                "headline": "Unruhen in Kasachstan",
                "datePublished": "2022-01-08",
                "publisher": {"@type": "Organization", "name": "Example Zeitung"},
            },
        },
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 1,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "Falsch",
        },
        "author": {
            "@type": "Organization",
            "name": "Example Faktencheck",
            "url": "https://faktencheck.example.org",
        },
        "datePublished": today,
        "dateModified": today,
        "inLanguage": "de",
    }


async def test_the_review_url_is_the_claimreviews_url_and_organisations_are_organisations(
    http: httpx.AsyncClient,
) -> None:
    _, [_, dead, _] = await reviewed_article(http)
    review = (await http.get(f"/v1/claims/{dead['id']}/claimreview")).json()
    assert review["url"].startswith("https://faktencheck.example.org/164-tote-")
    assert review["itemReviewed"]["author"] == {"@type": "Organization", "name": "Gesundheitsministerium"}
    assert review["itemReviewed"]["datePublished"] == "2022-01-08"  # no claim_date: the article's date
    assert review["reviewRating"]["ratingValue"] == 5
    assert review["reviewRating"]["alternateName"] == "True"


async def test_a_claim_without_a_verdict_has_no_claimreview(http: httpx.AsyncClient) -> None:
    _, [_, _, troops] = await reviewed_article(http)
    body = assert_problem(await http.get(f"/v1/claims/{troops['id']}/claimreview"), 404, "not-found")
    assert "no verdict" in body["detail"]
    await http.post(f"/v1/claims/{troops['id']}/verifications", json={"status": "in_review", "note": "läuft"})
    assert_problem(await http.get(f"/v1/claims/{troops['id']}/claimreview"), 404, "not-found")
    assert_problem(await http.get(f"/v1/claims/{uuid.uuid4()}/claimreview"), 404, "not-found")
    assert_problem(await http.get("/v1/claims/nope/claimreview"), 400, "invalid-request")


async def test_an_unverifiable_claim_has_a_rating_without_a_value(http: httpx.AsyncClient) -> None:
    _, [_, _, troops] = await reviewed_article(http)
    response = await http.post(
        f"/v1/claims/{troops['id']}/verifications",
        json={"status": "unverifiable", "note": "Keine Quelle nennt die Zahl."},
    )
    assert response.status_code == 201, response.text
    rating = (await http.get(f"/v1/claims/{troops['id']}/claimreview")).json()["reviewRating"]
    assert rating == {"@type": "Rating", "bestRating": 5, "worstRating": 1, "alternateName": "Unverifiable"}


async def test_an_articles_verdicts_are_one_graph_in_text_order(http: httpx.AsyncClient) -> None:
    article, [terror, dead, _] = await reviewed_article(http)
    response = await http.get(f"/v1/articles/{article['id']}/claimreview")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(JSON_LD)
    document = response.json()
    assert document["@context"] == "https://schema.org"
    graph = document["@graph"]
    assert [r["claimReviewed"] for r in graph] == [terror["text"], dead["text"]]  # the unreviewed is left out
    assert all(r["@type"] == "ClaimReview" and "@context" not in r for r in graph)
    single = (await http.get(f"/v1/claims/{terror['id']}/claimreview")).json()
    assert graph[0] == {k: v for k, v in single.items() if k != "@context"}

    empty = await create_article(http)
    assert (await http.get(f"/v1/articles/{empty['id']}/claimreview")).json()["@graph"] == []
    assert_problem(await http.get(f"/v1/articles/{uuid.uuid4()}/claimreview"), 404, "not-found")


# ---- import ---------------------------------------------------------------------------------


def other_review(url: str, **fields: Any) -> dict[str, Any]:
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": "Bei den Unruhen in Kasachstan starben 164 Menschen.",
        "author": {"@type": "Organization", "name": "Anderer Faktencheck", "url": "https://other.example"},
        "datePublished": "2022-01-10",
        "inLanguage": "de",
        "headline": "Stimmt: 164 Tote",
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": "5",
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "Richtig",
        },
        "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "Gesundheitsministerium"}},
    }
    review.update(fields)
    return review


async def test_an_imported_review_is_a_fact_check_source_and_finds_the_claims_it_reviews(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, [_, dead, _] = await reviewed_article(http)
    url = f"https://Other.Example/checks/164-tote-{token()}/?utm_source=feed"
    response = await http.post("/v1/claimreview/import", json=other_review(url))
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert item["outcome"] == "created"
    source = item["source"]
    assert source["url"] == url.replace("Other.Example", "other.example").split("/?")[0]
    assert source["kind"] == "fact_check"
    assert source["title"] == "Stimmt: 164 Tote"
    assert source["publisher"] == "Anderer Faktencheck"
    assert source["language"] == "de"
    assert source["published_at"].startswith("2022-01-10T00:00:00")
    assert source["review_rating"] == {"value": 5, "best": 5, "worst": 1, "text": "Richtig"}
    assert source["claim_reviewed"] == "Bei den Unruhen in Kasachstan starben 164 Menschen."
    assert source["created_by"] == "claimreview-desk"
    assert dead["id"] in [m["id"] for m in item["matches"]]
    match = next(m for m in item["matches"] if m["id"] == dead["id"])
    assert match["status"] == "verified" and match["match"]["score"] > 0.3

    again = await http.post("/v1/claimreview/import", json=[other_review(url)])
    assert again.status_code == 200, again.text
    [same] = again.json()["items"]
    assert same["outcome"] == "unchanged"
    assert same["source"] == source  # importing the same review twice changes nothing
    assert [t for t, _ in await events_of(db, source["id"])] == ["source.created"]

    revised = other_review(url, reviewRating={"ratingValue": 2, "bestRating": 5, "worstRating": 1})
    [updated] = (await http.post("/v1/claimreview/import", json=revised)).json()["items"]
    assert updated["outcome"] == "updated"
    assert updated["source"]["version"] == source["version"] + 1
    assert updated["source"]["review_rating"] == {"value": 2, "best": 5, "worst": 1, "text": None}
    assert [t for t, _ in await events_of(db, source["id"])] == ["source.created", "source.updated"]
    assert await db.fetchval("SELECT count(*) FROM sources WHERE url = $1", source["url"]) == 1


async def test_a_data_feed_a_list_and_a_graph_are_read_alike(http: httpx.AsyncClient) -> None:
    urls = [f"https://other.example/feed/{token()}" for _ in range(4)]
    feed = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "dataFeedElement": [
            {"@type": "DataFeedItem", "dateCreated": "2022-01-10", "item": [other_review(urls[0])]},
            {"@type": "DataFeedItem", "item": other_review(urls[1], author="Dritter Faktencheck")},
            other_review(urls[2]),
        ],
    }
    items = (await http.post("/v1/claimreview/import", json=feed)).json()["items"]
    assert [i["source"]["url"] for i in items] == urls[:3]
    assert items[1]["source"]["publisher"] == "Dritter Faktencheck"

    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Organization", "name": "Anderer Faktencheck"},  # not a review: passed over
            other_review(urls[3], **{"@type": ["ClaimReview"]}),
        ],
    }
    [item] = (await http.post("/v1/claimreview/import", json=graph)).json()["items"]
    assert item["source"]["url"] == urls[3]


async def test_publishers_spellings_are_read_leniently(http: httpx.AsyncClient) -> None:
    url = f"https://other.example/lenient/{token()}"
    review = other_review(
        url,
        author=[{"@type": "Organization", "name": "Erster"}, {"name": "Zweiter"}],
        reviewRating=[{"ratingValue": "Falsch", "bestRating": "5", "worstRating": "1"}],
        inLanguage={"@type": "Language", "name": "German", "alternateName": "de"},
        datePublished="2022-01-10T08:30:00+01:00",
    )
    del review["@type"]
    [item] = (await http.post("/v1/claimreview/import", json=review)).json()["items"]
    source = item["source"]
    assert source["publisher"] == "Erster"
    assert source["review_rating"] == {"value": None, "best": 5, "worst": 1, "text": "Falsch"}
    assert source["language"] == "de"
    assert source["published_at"].startswith("2022-01-10T07:30:00")

    odd = other_review(f"https://other.example/lenient/{token()}", inLanguage="Deutsch", claimReviewed=None)
    [item] = (await http.post("/v1/claimreview/import", json=odd)).json()["items"]
    assert item["source"]["language"] is None  # not a language tag: left out, not refused
    assert item["matches"] == []  # nothing to match without claimReviewed


X = "https://other.example/x"


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        ({"@type": "ClaimReview", "claimReviewed": "x"}, "/url"),
        ({"url": "ftp://other.example/x"}, "/url"),
        ({"url": 5}, "/url"),
        ({"url": X, "claimReviewed": {"@value": 5}}, "/claimReviewed/@value"),
        ({"url": X, "claimReviewed": "a\u0000b"}, "/claimReviewed"),
        ({"url": X, "reviewRating": "5"}, "/reviewRating"),
        ({"url": X, "reviewRating": {"ratingValue": {"v": 1}}}, "/reviewRating/ratingValue"),
        ({"url": X, "reviewRating": {"bestRating": True}}, "/reviewRating/bestRating"),
        ({"url": X, "reviewRating": {"ratingValue": "nan"}}, "/reviewRating/ratingValue"),
        ({"url": X, "datePublished": "gestern"}, "/datePublished"),
        ({"url": X, "datePublished": 20220110}, "/datePublished"),
        ({"url": X, "author": 7}, "/author"),
        ([{"url": X}, "text"], "/1"),
        ({"@type": "DataFeed", "dataFeedElement": [{"item": {"url": None}}]}, "/dataFeedElement/0/item/url"),
    ],
)  # fmt: skip
async def test_garbage_is_a_400_naming_the_value_and_nothing_is_stored(
    http: httpx.AsyncClient, db: asyncpg.Connection, document: Any, pointer: str
) -> None:
    before = await db.fetchval("SELECT count(*) FROM sources WHERE kind = 'fact_check'")
    body = assert_problem(await http.post("/v1/claimreview/import", json=document), 400, "invalid-request")
    assert pointer in [e["field"] for e in body["errors"]], body
    assert await db.fetchval("SELECT count(*) FROM sources WHERE kind = 'fact_check'") == before


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"42", b'"review"', b"null", b"[]", b"{}", b'{"@type": "Organization", "name": "x"}',
     b'{"@graph": "x"}', b'{"dataFeedElement": 5}', b"[[[[[[[]]]]]]]", b'{"url": "https://x.example/\\u0000"}'],
)  # fmt: skip
async def test_no_document_produces_a_server_error(http: httpx.AsyncClient, raw: bytes) -> None:
    response = await http.post(
        "/v1/claimreview/import", content=raw, headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "invalid-request")


def _deep(depth: int, inner: bytes) -> bytes:
    return b"[" * depth + inner + b"]" * depth


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        # Deep enough to exhaust Python's recursion while decoding: it was a 500.
        (b'{"url": ' + _deep(1_000, b'"https://other.example/limits/U"') + b"}", ""),
        # Past the limit in a value the import passes over: still refused, with its place.
        (b'{"url": "https://other.example/limits/U", "about": ' + _deep(MAX_DEPTH + 1, b"1") + b"}",
         "/about" + "/0" * (MAX_DEPTH - 1)),
        # An integer no double holds: float() overflowed, a 500.
        (b'{"url": "https://other.example/limits/U", "reviewRating": {"ratingValue": ' + b"9" * 400 + b"}}",
         "/reviewRating/ratingValue"),
        (b'{"url": "https://other.example/limits/U", "reviewRating": {"ratingValue": 9007199254740992}}',
         "/reviewRating/ratingValue"),
        # A numeric string is a number too, held to the same limit.
        (b'{"url": "https://other.example/limits/U", "reviewRating": {"bestRating": "1e300"}}',
         "/reviewRating/bestRating"),
        (b'{"url": "https://other.example/limits/U", "reviewRating": {"worstRating": 1e400}}', ""),
    ],
)  # fmt: skip
async def test_a_document_past_the_limits_of_every_body_is_a_400_and_stores_nothing(
    http: httpx.AsyncClient, db: asyncpg.Connection, raw: bytes, pointer: str
) -> None:
    url = f"https://other.example/limits/{token()}"
    raw = raw.replace(b"/limits/U", url.removeprefix("https://other.example").encode())
    response = await http.post(
        "/v1/claimreview/import", content=raw, headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 400, "invalid-request")
    assert pointer in [e["field"] for e in body["errors"]], body
    assert await db.fetchval("SELECT count(*) FROM sources WHERE url = $1", url) == 0


async def test_a_document_at_the_limits_is_imported(http: httpx.AsyncClient) -> None:
    url = f"https://other.example/limits/{token()}"
    review = other_review(url, about=msgspec.json.decode(_deep(MAX_DEPTH - 1, b"1")))
    review["reviewRating"] = {"ratingValue": MAX_INTEGER, "bestRating": -MAX_INTEGER, "alternateName": "x"}
    response = await http.post("/v1/claimreview/import", json=review)
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert item["source"]["url"] == url
    assert item["source"]["review_rating"] == {
        "value": MAX_INTEGER,
        "best": -MAX_INTEGER,
        "worst": None,
        "text": "x",
    }


async def test_a_feed_larger_than_the_cap_is_refused_whole(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    prefix = f"https://other.example/gross/{token()}"
    feed = {"@type": "DataFeed", "dataFeedElement": [other_review(f"{prefix}/{i}") for i in range(101)]}
    body = assert_problem(await http.post("/v1/claimreview/import", json=feed), 413, "payload-too-large")
    assert "at most 100" in body["detail"]
    assert await db.fetchval("SELECT count(*) FROM sources WHERE url LIKE $1", prefix + "%") == 0


async def test_our_own_export_imports_as_a_review(http: httpx.AsyncClient) -> None:
    _, [terror, _, _] = await reviewed_article(http)
    exported = (await http.get(f"/v1/claims/{terror['id']}/claimreview")).json()
    exported["url"] = f"https://partner.example/check/{token()}"  # as a partner newsroom would publish it
    [item] = (await http.post("/v1/claimreview/import", json=exported)).json()["items"]
    assert item["outcome"] == "created"
    assert item["source"]["review_rating"] == {"value": 1, "best": 5, "worst": 1, "text": "Falsch"}
    assert item["source"]["publisher"] == "Example Faktencheck"
    assert terror["id"] in [m["id"] for m in item["matches"]]


async def test_importing_needs_the_write_scope(server: LiveServer, database_url: str) -> None:
    reader = await create_key(database_url, "review-reader", ["read"])
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {reader}"}) as ro:
        response = await ro.post("/v1/claimreview/import", json=other_review("https://other.example/ro"))
    assert_problem(response, 403, "forbidden")
