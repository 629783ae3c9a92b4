"""ClaimReview: verdicts out as schema.org JSON-LD, other fact-checkers' reviews in."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest

from api.demo.load import load
from schemas.common import MAX_DEPTH, MAX_INTEGER
from tests.conftest import LiveServer, create_key, new_database, settings_for
from tests.integration.claimreview.claimreview_checks import export_problems, schema_org_problems
from tests.integration.helpers import assert_problem, create_article, create_claim, example_url, token
from tests.integration.sources.test_source_checks import events_of, serve

JSON_LD = "application/ld+json"
BODY = (
    "Tokajew sagte, ausländische Terroristen hätten die Unruhen in Almaty angeführt. "
    "Das Gesundheitsministerium meldete 164 Tote. Die OVKS schickte 2030 Soldaten."
)


SAME_AS = ("https://social.example/@faktencheck",)


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[LiveServer]:
    running = serve(database_url, publisher_same_as=SAME_AS)
    yield running
    running.stop()


async def check_export(response: httpx.Response) -> None:
    """Every ClaimReview the tests are served is checked against Google's required and
    recommended properties and schema.org's types (tests/integration/claimreview/claimreview_checks.py)."""
    if response.request.method == "GET" and response.request.url.path.endswith("/claimreview"):
        await response.aread()
        if response.status_code == 200:
            problems = export_problems(response.json())
            assert not problems, f"{response.request.url.path} serves an invalid ClaimReview: {problems}"


@pytest.fixture(scope="module")
async def http(server: LiveServer, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    key = await create_key(database_url, "claimreview-desk", ["read", "write", "verify"])
    async with httpx.AsyncClient(
        base_url=server.url,
        timeout=30,
        headers={"Authorization": f"Bearer {key}"},
        event_hooks={"response": [check_export]},
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
        claimant_type="person",
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
            "url": "https://faktencheck.example.org/",
            "sameAs": ["https://social.example/@faktencheck"],
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
    assert review["reviewRating"]["alternateName"] == "Richtig"  # the German label of verified


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
    # A verdict without a number is a textual rating: no scale without a value on it.
    assert rating == {"@type": "Rating", "alternateName": "Nicht überprüfbar"}


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


HOSTILE = "</script><script>alert(2)</script>"


async def test_an_exported_claimreview_is_inert_inside_a_script_element(http: httpx.AsyncClient) -> None:
    """Pasted into <script type="application/ld+json">, no value may end the element: every <, >
    and & is a JSON escape, and the document still reads as the same strings."""
    body = f"Der Sprecher schrieb {HOSTILE} & mehr. Ende."
    article = await create_article(
        http, body=body, title="Tom & Jerry <i>live</i>", outlet="Zeitung & Co <b>", url=example_url("html")
    )
    claim = await create_claim(
        http, article["id"], text=f"Er schrieb {HOSTILE} & mehr.", quote=HOSTILE, claimant="Tom & <Jerry>"
    )
    review_url = f"https://faktencheck.example.org/check?b={token()}&a=1"
    response = await http.post(
        f"/v1/claims/{claim['id']}/verifications",
        json={
            "status": "false",
            "sources": [{"source": {"url": example_url("beleg")}, "relation": "refutes"}],
            "rating_text": "Falsch </script><script>alert(3)</script>",
            "review_url": review_url,
        },
    )
    assert response.status_code == 201, response.text
    stored_review_url = response.json()["claim"]["review_url"]

    for path in (f"/v1/claims/{claim['id']}/claimreview", f"/v1/articles/{article['id']}/claimreview"):
        response = await http.get(path)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(JSON_LD)
        raw = response.content
        assert not {b"<", b">", b"&"} & {bytes([c]) for c in raw}, raw
        assert b"\\u003c/script\\u003e" in raw and b"\\u0026" in raw
        document = msgspec.json.decode(raw)
        review = document if "claimReviewed" in document else document["@graph"][0]
        assert review["claimReviewed"] == f"Er schrieb {HOSTILE} & mehr."
        assert review["url"] == stored_review_url and "&" in stored_review_url
        assert review["reviewRating"]["alternateName"] == "Falsch </script><script>alert(3)</script>"
        assert review["itemReviewed"]["author"]["name"] == "Tom & <Jerry>"
        appearance = review["itemReviewed"]["appearance"]
        assert appearance["headline"] == "Tom & Jerry <i>live</i>"
        assert appearance["publisher"]["name"] == "Zeitung & Co <b>"


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
    [organization, item] = (await http.post("/v1/claimreview/import", json=graph)).json()["items"]
    assert organization["outcome"] == "skipped" and organization["pointer"] == "/@graph/0"
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


# ---- ClaimReview as fact-checkers publish it ------------------------------------------------

FIXTURES = Path(__file__).with_name("fixtures") / "claimreview"


def fixture(name: str) -> tuple[Any, str]:
    """A ClaimReview document in one of the shapes publishers use (names changed), with a fresh
    token in its urls so that each test imports it anew; (document, token)."""
    fresh = token()
    return json.loads((FIXTURES / name).read_text().replace("{token}", fresh)), fresh


async def imported(http: httpx.AsyncClient, document: Any) -> list[dict[str, Any]]:
    response = await http.post("/v1/claimreview/import", json=document)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_google_feed_imports_its_claimreviews_and_reports_what_it_passes_over(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """DataFeed → DataFeedItem → item (a list) → review: the MediaReview and the Organization at
    that depth are not stored as fact checks, and the review without a scheme fails alone."""
    feed, fresh = fixture("feed.json")
    review, media, organization, schemeless = await imported(http, feed)

    assert review["pointer"] == "/dataFeedElement/0/item/0" and review["outcome"] == "created"
    assert review["source"]["url"] == f"https://faktenlupe.example/{fresh}/eingreiftruppe"
    assert review["source"]["review_rating"]["text"] == "Irreführend"

    assert media["pointer"] == "/dataFeedElement/0/item/1"
    assert (media["outcome"], media["source"]) == ("skipped", None)
    assert "MediaReview" in media["notes"][0]["message"]
    assert organization["outcome"] == "skipped" and "Organization" in organization["notes"][0]["message"]

    assert schemeless["pointer"] == "/dataFeedElement/1/item/0" and schemeless["outcome"] == "failed"
    problem = schemeless["problem"]
    assert problem["type"] == "/problems/invalid-request" and problem["status"] == 400
    assert problem["errors"] == [
        {
            "field": "/dataFeedElement/1/item/0/url",
            "message": "must be an absolute URL starting with http:// or https://",
        }
    ]
    stored = await db.fetch("SELECT url, kind FROM sources WHERE url LIKE $1", f"%{fresh}%")
    assert [(r["url"], r["kind"]) for r in stored] == [(review["source"]["url"], "fact_check")]


async def test_a_document_of_which_nothing_can_be_stored_is_refused_whole(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    fresh = token()
    document = [
        {"@type": "ClaimReview", "url": f"www.other.example/{fresh}/a", "claimReviewed": "x"},
        {"@type": "ClaimReview", "url": f"https://other.example/{fresh}/b", "datePublished": "gestern"},
        {"@type": "MediaReview", "url": f"https://other.example/{fresh}/c"},
    ]
    body = assert_problem(await http.post("/v1/claimreview/import", json=document), 400, "invalid-request")
    assert [e["field"] for e in body["errors"]] == ["/0/url", "/1/datePublished"]
    assert await db.fetchval("SELECT count(*) FROM sources WHERE url LIKE $1", f"%{fresh}%") == 0


async def test_several_reviews_on_one_page_stay_distinct(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    graph, fresh = fixture("graph.json")
    page, organization, first, second = await imported(http, graph)
    assert [page["outcome"], organization["outcome"]] == ["skipped", "skipped"]
    assert [first["outcome"], second["outcome"]] == ["created", "created"]
    assert [first["fragment"], second["fragment"]] == ["behauptung-1", "behauptung-2"]
    source = second["source"]
    assert first["source"]["id"] == source["id"]
    assert source["url"] == f"https://checkwerk.example/{fresh}/ovks"
    assert source["version"] == 1  # one page, written once
    one, two = source["reviews"]
    assert (one["fragment"], one["claim_reviewed"], one["date_published"]) == (
        "behauptung-1",
        "Die OVKS schickte 2030 Soldaten nach Kasachstan.",
        "2022-01-11",
    )
    assert one["rating"] == {
        "value": None,
        "best": None,
        "worst": None,
        "text": "Richtig",
        "explanation": None,
    }
    assert one["claim"]["author"] == {"type": "Person", "name": "K. Tokajew", "url": None, "same_as": []}
    assert (two["fragment"], two["rating"]["text"], two["date_published"]) == (
        "behauptung-2",
        "Unbelegt",
        "2022-01-12",
    )
    assert two["claim"]["author"]["type"] == "Organization"  # "type" read as "@type"
    assert (one["title"], two["title"]) == (
        "Stimmt die Zahl der Soldaten?",
        "UNO-Anerkennung der OVKS-Truppe?",
    )
    # The page shows its first review as its own.
    assert (source["claim_reviewed"], source["review_rating"]["text"]) == (one["claim_reviewed"], "Richtig")

    again = await imported(http, graph)
    assert [i["outcome"] for i in again] == ["skipped", "skipped", "unchanged", "unchanged"]
    assert again[3]["source"] == source
    assert [t for t, _ in await events_of(db, source["id"])] == ["source.created"]

    changed = json.loads(json.dumps(graph))
    changed["@graph"][3]["reviewRating"] = {"@type": "Rating", "alternateName": "Falsch"}
    *_, unchanged_first, updated_second = await imported(http, changed)
    assert (unchanged_first["outcome"], updated_second["outcome"]) == ("unchanged", "updated")
    reviews = updated_second["source"]["reviews"]
    assert [r["rating"]["text"] for r in reviews] == ["Richtig", "Falsch"]
    assert [t for t, _ in await events_of(db, source["id"])] == ["source.created", "source.updated"]


async def test_an_articles_export_imported_and_exported_again_is_byte_identical(
    http: httpx.AsyncClient,
) -> None:
    """Our own export puts each claim's review on the article's page as #claim-<id>: importing
    it keeps the reviews apart (it was "created", then "updated" the same review), and the page's
    reviews come out as the very same bytes."""
    article = await create_article(http, body=BODY, url=example_url("artikel"))
    terror = await create_claim(
        http, article["id"], text="Ausländische Terroristen führten die Unruhen an.",
        quote="ausländische Terroristen", claimant="Tokajew", claimant_type="person", claim_date="2022-01-07",
    )  # fmt: skip
    troops = await create_claim(
        http, article["id"], text="Die OVKS schickte 2030 Soldaten.", quote="2030 Soldaten"
    )
    origin = {"source": {"url": example_url("tweet"), "title": "Tokajew im Fernsehen"}, "relation": "origin"}
    refuting = {"source": {"url": example_url("beleg")}, "relation": "refutes"}
    for claim_id, verdict in (
        (terror["id"], {"status": "false", "sources": [refuting, origin], "rating_text": "Falsch"}),
        (troops["id"], {"status": "unverifiable", "note": "Keine Quelle nennt die Zahl."}),
    ):
        response = await http.post(f"/v1/claims/{claim_id}/verifications", json=verdict)
        assert response.status_code == 201, response.text

    exported = await http.get(f"/v1/articles/{article['id']}/claimreview")
    assert exported.status_code == 200, exported.text
    items = await imported(http, exported.json())
    assert [i["outcome"] for i in items] == ["created", "created"]
    assert items[0]["source"]["id"] == items[1]["source"]["id"]
    assert items[1]["source"]["url"] == article["url"]
    assert [i["fragment"] for i in items] == [f"claim-{terror['id']}", f"claim-{troops['id']}"]

    again = await http.get(f"/v1/sources/{items[0]['source']['id']}/claimreview")
    assert again.status_code == 200, again.text
    assert again.headers["content-type"] == exported.headers["content-type"]
    assert again.content == exported.content
    assert [i["outcome"] for i in await imported(http, again.json())] == ["unchanged", "unchanged"]


async def test_an_export_spread_over_pages_comes_back_page_by_page(http: httpx.AsyncClient) -> None:
    article, _ = await reviewed_article(http)  # one review on the article's page, one on its own page
    whole = (await http.get(f"/v1/articles/{article['id']}/claimreview")).json()
    items = await imported(http, whole)
    assert [i["outcome"] for i in items] == ["created", "created"]
    by_page: dict[str, list[dict[str, Any]]] = {}
    for review, item in zip(whole["@graph"], items, strict=True):
        by_page.setdefault(item["source"]["id"], []).append(review)
    assert len(by_page) == 2
    for page_id, reviews in by_page.items():
        served = await http.get(f"/v1/sources/{page_id}/claimreview")
        assert served.content == msgspec.json.encode({"@context": "https://schema.org", "@graph": reviews})


async def test_a_source_without_imported_reviews_has_no_claimreview(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/sources", json={"url": example_url("quelle")})
    assert response.status_code == 201, response.text
    body = assert_problem(
        await http.get(f"/v1/sources/{response.json()['id']}/claimreview"), 404, "not-found"
    )
    assert "no imported ClaimReview" in body["detail"]
    assert_problem(await http.get(f"/v1/sources/{uuid.uuid4()}/claimreview"), 404, "not-found")


async def test_what_a_review_says_is_kept(http: httpx.AsyncClient) -> None:
    document, fresh = fixture("single.json")
    [item] = await imported(http, document)
    assert item["outcome"] == "created" and item["notes"] == []
    source = item["source"]
    assert (source["title"], source["publisher"], source["language"]) == (
        "Faktencheck: 164 Tote in Kasachstan?",
        "Faktenfinder Nord",
        "de",
    )
    assert source["published_at"].startswith("2022-01-12T08:15:00")
    [review] = source["reviews"]
    assert review == {
        "fragment": None,
        "claim_reviewed": "Bei den Unruhen in Kasachstan starben 164 Menschen.",
        "title": "Faktencheck: 164 Tote in Kasachstan?",
        "author": {
            "type": "Organization",
            "name": "Faktenfinder Nord",
            "url": "https://faktenfinder-nord.example/",
            "same_as": ["https://social.example/@faktenfinder_nord"],
        },
        "date_published": "2022-01-12T09:15:00+01:00",
        "date_modified": "2022-01-13",
        "language": "de",
        "rating": {
            "value": 3,
            "best": 5,
            "worst": 1,
            "text": "Umstritten",
            "explanation": "Das Informationsministerium zog die Zahl als technischen Fehler zurück.",
        },
        "claim": {
            "author": {
                "type": "Organization",
                "name": "Gesundheitsministerium Kasachstan",
                "url": None,
                "same_as": ["https://ministerium.example/"],
            },
            "date_published": "2022-01-09",
            "appearances": [
                {
                    "type": "CreativeWork",
                    "url": "https://zeitung-ost.example/2022/01/09/unruhen",
                    "headline": None,
                    "date_published": None,
                    "publisher": None,
                },
                {
                    "type": "NewsArticle",
                    "url": "https://wochenblatt.example/kasachstan",
                    "headline": "164 Tote bei Protesten",
                    "date_published": "2022-01-10",
                    "publisher": {"type": "Organization", "name": "Wochenblatt", "url": None, "same_as": []},
                },
            ],
            "first_appearance": {
                "type": "SocialMediaPosting",
                "url": "https://social.example/@ministerium/1001",
                "headline": None,
                "date_published": "2022-01-09",
                "publisher": None,
            },
        },
    }
    assert fresh in source["url"]


async def test_what_an_import_guesses_it_says(http: httpx.AsyncClient) -> None:
    document, _ = fixture("list.json")
    naive, contradictory = await imported(http, document)

    # A date-time without a time zone is read as UTC, and the item says so.
    assert naive["source"]["published_at"].startswith("2021-01-05T05:00:00")
    assert naive["source"]["reviews"][0]["date_published"] == "2021-01-05T05:00:00+00:00"
    # The Organization of an author list publishes the review, though a Person comes first.
    assert naive["source"]["publisher"] == "Prüfstelle Ost"
    assert naive["notes"] == [
        {
            "field": "/0/author/1",
            "message": "the author list names a Person first: the Organization is taken as the publisher",
        },
        {
            "field": "/0/datePublished",
            "message": "'2021-01-05 05:00' has no time zone: read as UTC (2021-01-05T05:00:00+00:00)",
        },
    ]
    assert naive["source"]["review_rating"] == {"value": 4, "best": 5, "worst": 1, "text": None}

    # An author known by its url only: its host publishes; a number and a label that disagree.
    assert contradictory["source"]["publisher"] == "verificalab.example"
    assert contradictory["source"]["review_rating"] == {"value": 1, "best": 6, "worst": 1, "text": "True"}
    assert contradictory["notes"] == [
        {
            "field": "/1/reviewRating",
            "message": "ratingValue 1 on a scale from 1 to 6 is in the worse half, but the label 'True' "
            "says true: stored as given",
        },
        {
            "field": "/1/author",
            "message": "the author has no name: the host of its url, verificalab.example, is the publisher",
        },
    ]


# ---- export: only what validates --------------------------------------------------------------


@pytest.fixture(scope="module")
def unconfigured(database_url: str) -> Iterator[LiveServer]:
    """A server that knows no publisher and no url templates."""
    running = serve(database_url, publisher_name="", publisher_url="")
    yield running
    running.stop()


TEMPLATES = {
    "review_url_template": "https://faktencheck.example.org/pruefungen/{claim_id}",
    "article_url_template": "https://zeitung.example/artikel/{external_id}",
}


@pytest.fixture(scope="module")
def configured(database_url: str) -> Iterator[LiveServer]:
    """A server that says where reviews and articles without a url of their own are published."""
    running = serve(database_url, publisher_same_as=SAME_AS, **TEMPLATES)
    yield running
    running.stop()


async def client_of(server: LiveServer, database_url: str) -> httpx.AsyncClient:
    key = await create_key(database_url, f"claimreview-{token()}", ["read", "write", "verify"])
    return httpx.AsyncClient(
        base_url=server.url,
        timeout=30,
        headers={"Authorization": f"Bearer {key}"},
        event_hooks={"response": [check_export]},
    )


async def verified(http: httpx.AsyncClient, claim_id: str, **fields: Any) -> None:
    source = {"source": {"url": example_url("beleg")}, "relation": "supports"}
    response = await http.post(
        f"/v1/claims/{claim_id}/verifications", json={"status": "verified", "sources": [source], **fields}
    )
    assert response.status_code == 201, response.text


async def test_a_claimreview_without_a_url_is_not_publishable_until_configured(
    http: httpx.AsyncClient, configured: LiveServer, database_url: str
) -> None:
    article = await create_article(http, url=None, body=BODY)
    claim = await create_claim(
        http, article["id"], text="Die OVKS schickte 2030 Soldaten.", quote="2030 Soldaten"
    )
    await verified(http, claim["id"])
    for path in (f"/v1/claims/{claim['id']}/claimreview", f"/v1/articles/{article['id']}/claimreview"):
        body = assert_problem(await http.get(path), 422, "not-publishable")
        [error] = body["errors"]
        assert error["field"] in ("/url", "/@graph/0/url")
        assert "CLAIMTRACK_REVIEW_URL_TEMPLATE" in error["message"]

    async with await client_of(configured, database_url) as desk:
        review = (await desk.get(f"/v1/claims/{claim['id']}/claimreview")).json()
    assert review["url"] == f"https://faktencheck.example.org/pruefungen/{claim['id']}"
    appearance = review["itemReviewed"]["appearance"]
    assert appearance["url"] == f"https://zeitung.example/artikel/{article['external_id']}"


async def test_without_a_publisher_nothing_is_published(
    http: httpx.AsyncClient, unconfigured: LiveServer, database_url: str
) -> None:
    _, [terror, _, _] = await reviewed_article(http)
    async with await client_of(unconfigured, database_url) as desk:
        body = assert_problem(
            await desk.get(f"/v1/claims/{terror['id']}/claimreview"), 422, "not-publishable"
        )
    assert [e["field"] for e in body["errors"]] == ["/author/name", "/author/url"]
    assert "CLAIMTRACK_PUBLISHER_NAME" in body["errors"][0]["message"]


async def test_the_demo_is_publishable_once_configured(server_url: str) -> None:
    """The demo article has no url and its claims no review_url: not publishable until a review
    url template says where the reviews are; then every review is complete."""
    with new_database(server_url, "claimreview_demo") as url:  # the demo's own test expects to load it
        loaded = await load(settings_for(url, pool_min_size=1, pool_max_size=2), url)
        path = f"/v1/articles/{loaded.article_id}/claimreview"
        plain = serve(url, publisher_same_as=SAME_AS)
        try:
            async with await client_of(plain, url) as desk:
                body = assert_problem(await desk.get(path), 422, "not-publishable")
        finally:
            plain.stop()
        assert body["errors"] and {e["field"].rsplit("/", 1)[-1] for e in body["errors"]} == {"url"}

        configured = serve(url, publisher_same_as=SAME_AS, **TEMPLATES)
        try:
            async with await client_of(configured, url) as desk:
                response = await desk.get(path)  # checked by check_export, as every export
        finally:
            configured.stop()
    assert response.status_code == 200, response.text
    graph = response.json()["@graph"]
    assert graph and all(r["url"].startswith("https://faktencheck.example.org/pruefungen/") for r in graph)
    authors = {r["itemReviewed"]["author"]["name"]: r["itemReviewed"]["author"]["@type"] for r in graph}
    assert authors["CSTO_ОДКБ (@CSTO_ODKB)"] == "Organization"  # the demo says so
    assert authors["zeitung.example"] == "Organization"  # no claimant, no outlet: the article's host


async def test_the_recommended_properties_are_given(http: httpx.AsyncClient) -> None:
    article = await create_article(http, url=None, outlet=None, body=BODY)
    said = await create_claim(
        http, article["id"], text="Ein Sprecher sagte, 164 Menschen starben.", quote="164 Tote",
        claimant="Oleg Beispiel", claimant_type="person", review_url=example_url("check"),
    )  # fmt: skip
    unsaid = await create_claim(
        http, article["id"], text="Die OVKS schickte 2030 Soldaten.", quote="2030 Soldaten",
        claimant="CSTO_ОДКБ (@CSTO_ODKB)", review_url=example_url("check"),
    )  # fmt: skip
    # The article has no url: where the claims appeared is their origin.
    origin = {
        "source": {"url": example_url("tweet"), "title": "OVKS-Konto", "publisher": "CSTO"},
        "relation": "origin",
    }
    for claim in (said, unsaid):
        response = await http.post(f"/v1/claims/{claim['id']}/sources", json=origin)
        assert response.status_code == 201, response.text
    await verified(http, said["id"])
    await verified(http, unsaid["id"], rating_text="Stimmt")

    person = (await http.get(f"/v1/claims/{said['id']}/claimreview")).json()
    assert person["itemReviewed"]["author"] == {"@type": "Person", "name": "Oleg Beispiel"}
    assert person["reviewRating"]["alternateName"] == "Richtig"
    assert person["author"]["url"] == "https://faktencheck.example.org/" and person["author"][
        "sameAs"
    ] == list(SAME_AS)

    organization = (await http.get(f"/v1/claims/{unsaid['id']}/claimreview")).json()
    claim = organization["itemReviewed"]
    assert claim["author"] == {
        "@type": "Organization",
        "name": "CSTO_ОДКБ (@CSTO_ODKB)",
    }  # not said: Organization
    assert claim["firstAppearance"] == {
        "@type": "CreativeWork",
        "url": origin["source"]["url"],
        "headline": "OVKS-Konto",
        "publisher": {"@type": "Organization", "name": "CSTO"},
    }
    assert "appearance" not in claim  # the article has no url, and no template is set here
    assert organization["reviewRating"]["alternateName"] == "Stimmt"  # the desk's own words win

    # A claim says what its claimant is, and may change its mind.
    response = await http.patch(f"/v1/claims/{said['id']}", json={"claimant_type": "organization"})
    assert response.status_code == 200, response.text
    assert response.json()["claimant_type"] == "organization"
    review = (await http.get(f"/v1/claims/{said['id']}/claimreview")).json()
    assert review["itemReviewed"]["author"]["@type"] == "Organization"
    response = await http.patch(f"/v1/claims/{said['id']}", json={"claimant_type": "robot"})
    assert_problem(response, 400, "invalid-request")

    # Without a claimant, the outlet made the claim; labels follow the review's language.
    for language, label in (("en", "True"), ("ru", "Правда"), ("de-AT", "Richtig")):
        own = await create_article(http, body=BODY, language=language)
        claim = await create_claim(http, own["id"], text="164 Tote.", quote="164 Tote")
        await verified(http, claim["id"])
        review = (await http.get(f"/v1/claims/{claim['id']}/claimreview")).json()
        assert review["itemReviewed"]["author"] == {"@type": "Organization", "name": "Example Zeitung"}
        assert (review["inLanguage"], review["reviewRating"]["alternateName"]) == (language, label)


def test_the_checks_catch_what_google_and_schema_org_refuse() -> None:
    """The checks every export goes through are not empty words: the old export's shapes fail."""
    old = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": "x",
        "itemReviewed": {"@type": "Claim", "author": {"@type": "Person"}},
        "reviewRating": {
            "@type": "Rating",
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "Unverifiable",
        },
        "author": {"@type": "Organization", "name": "claimtrack"},
        "inLanguage": "de",
    }
    assert export_problems(old) == [
        ": required url is missing",
        ": recommended datePublished is missing",
        "/reviewRating: a numeric rating needs ratingValue, bestRating, worstRating",
        "/author: recommended url is missing",
        "/itemReviewed: recommended datePublished is missing",
        "/itemReviewed: recommended appearance/firstAppearance is missing",
        "/itemReviewed/author: recommended name is missing",
    ]
    wrong_types = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://x.example/a",
        "claimReviewed": "x",
        "reviewRating": {"@type": "Person", "alternateName": "x"},
        "itemReviewed": {"@type": "Claim", "appearance": "not a url", "claimant": "y"},
        "datePublished": "yesterday",
    }
    problems = schema_org_problems(wrong_types)
    assert any("reviewRating" in p and "Person" in p for p in problems), problems
    assert any("claimant" in p for p in problems), problems
    assert any("datePublished" in p for p in problems), problems


async def test_reviews_of_one_page_imported_at_once_are_all_kept(http: httpx.AsyncClient) -> None:
    """Concurrent imports of the same new page: one creates the source, the others merge into it
    under its row lock; no review overwrites another."""
    page = f"https://other.example/zugleich/{token()}"
    documents = [other_review(f"{page}#pruefung-{i}", claimReviewed=f"Behauptung {i}") for i in range(4)]
    responses = await asyncio.gather(*(http.post("/v1/claimreview/import", json=d) for d in documents))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert [r.json()["items"][0]["outcome"] for r in responses] == ["created"] * 4
    [source] = (await http.get("/v1/sources", params={"url": page})).json()["items"]
    assert sorted(r["fragment"] for r in source["reviews"]) == [f"pruefung-{i}" for i in range(4)]
    assert source["version"] == 4
