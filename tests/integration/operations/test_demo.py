"""`claimtrack demo`: the seed article with its claims, real sources and verification history."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from api.demo import data
from api.demo.load import ACTOR, Loaded, load
from api.settings import Settings
from api.urls import normalise_url

# The seed list of real documents (shared/seed/sources.md), plus the one page that reports the
# 164 dead as the government's figure (see api/demo/data.py).
SEED_SOURCES = {
    "https://t.co/ZitOQbh0jk",
    "https://europediplomatic.com/2022/01/06/kazakhstan-csto-troops-to-quell-protests/",
    "https://d1softballnews.com/moscow-quickly-withdraw-its-troops/",
    "https://it.marketscreener.com/notizie/ultimo/Il-presidente-del-Kazakistan-l-ordine-e-stato-ristabilito--37505588",
    "http://jenimedia.com/2022/01/09/kazakhstan-claims-country-stabilized-as-capital-police-search-door-to-door-for-violators-of-public-order-the-washington-post/",
    "https://omscroll.com/2022/02/22/whats-going-on-in-kazakhstan/",
}
JENIMEDIA = (
    "http://jenimedia.com/2022/01/09/kazakhstan-claims-country-stabilized-as-capital-police-search-door-to-door-"
    "for-violators-of-public-order-the-washington-post/"
)
DEAD_164 = "Mindestens 164 Tote bei Protesten in Kasachstan"


def _settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, pool_min_size=1, pool_max_size=2)


@pytest.fixture(scope="module")
async def loaded(database_url: str) -> Loaded:
    return await load(_settings(database_url), database_url)


async def _get(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _claims(client: httpx.AsyncClient, article_id: object) -> list[dict[str, Any]]:
    page = await _get(client, f"/v1/articles/{article_id}/claims")
    assert page["next_cursor"] is None
    items: list[dict[str, Any]] = page["items"]
    return items


async def test_loads_the_article_once(client: httpx.AsyncClient, loaded: Loaded) -> None:
    assert loaded.created
    page = await _get(client, "/v1/articles", external_id=data.EXTERNAL_ID)
    [article] = page["items"]
    assert article["id"] == str(loaded.article_id)
    # Its day, so the review page lists it under 8 January 2022; where it appeared is not known.
    assert article["published_at"] == "2022-01-08T12:00:00Z"
    assert article["url"] is None and article["outlet"] is None
    assert article["language"] == "de"
    assert article["body"] == data.body()
    assert article["created_by"] == ACTOR


async def test_claims_are_anchored_with_their_exact_quotes(client: httpx.AsyncClient, loaded: Loaded) -> None:
    body = data.body()
    claims = await _claims(client, loaded.article_id)
    assert len(claims) == len(data.CLAIMS) >= 8
    for claim in claims:
        assert claim["anchor_status"] == "anchored"
        span = claim["span"]
        assert body[span["start"] : span["end"]] == claim["quote"] == claim["selector"]["exact"]
        assert claim["created_by"] == ACTOR
    quotes = {c["quote"] for c in claims}
    for expected in (
        "Seine 3.600 Mann starke sogenannte Friedenstruppe wird von der UNO anerkannt.",
        "erstmals auch die chinesische App WeChat",
        DEAD_164,
        "über 150 Menschen getötet",
        "Armenien hat derzeit den Vorsitz in der Organisation inne.",
        "Insgesamt verfügt das Bündnis über eine 20.000 Mann starke schnelle Eingreiftruppe.",
    ):
        assert expected in quotes
    # The lead paragraph appears twice; its claims are placed in the copy after "Almaty – ".
    lead = [c for c in claims if c["quote"].startswith("Seit Tagen treffen auf Bitten")]
    assert len(lead) == 1
    assert lead[0]["span"]["start"] == body.index("Almaty – ") + len("Almaty – ")
    assert lead[0]["span"]["start"] > body.index(lead[0]["quote"])


async def test_164_dead_is_disputed_on_both_reports(client: httpx.AsyncClient, loaded: Loaded) -> None:
    claims = await _claims(client, loaded.article_id)
    [dead] = [c for c in claims if c["quote"] == DEAD_164]
    assert dead["status"] == "disputed"
    assert dead["rating"] == {"value": 3, "best": 5, "worst": 1, "text": "Umstritten"}
    relations = {link["source"]["url"]: link["relation"] for link in dead["sources"]}
    assert relations == {
        normalise_url(JENIMEDIA): "supports",
        normalise_url("https://d1softballnews.com/moscow-quickly-withdraw-its-troops/"): "refutes",
    }
    history = (await _get(client, f"/v1/claims/{dead['id']}/verifications"))["items"]
    assert [(v["previous_status"], v["status"]) for v in history] == [
        ("unverified", "in_review"),
        ("in_review", "disputed"),
    ]
    assert all(v["actor"] == ACTOR and v["note"] for v in history)
    assert {e["relation"] for e in history[-1]["evidence"]} == {"supports", "refutes"}


async def test_statuses_follow_the_evidence(client: httpx.AsyncClient, loaded: Loaded) -> None:
    claims = await _claims(client, loaded.article_id)
    statuses = {c["status"] for c in claims}
    assert {"verified", "in_review", "unverifiable", "disputed", "unverified"} <= statuses
    for claim in claims:
        relations = {link["relation"] for link in claim["sources"]}
        if claim["status"] == "verified":
            assert "supports" in relations
            assert claim["rating"]["value"] == 5
        if claim["status"] == "unverifiable":
            assert claim["rating"] == {"value": None, "best": 5, "worst": 1, "text": "Unverifiable"}
        if claim["status"] in ("unverified", "in_review"):
            assert claim["rating"] is None
        if claim["status"] != "unverified":
            history = (await _get(client, f"/v1/claims/{claim['id']}/verifications"))["items"]
            assert history and history[-1]["note"]
    [wechat] = [c for c in claims if "WeChat" in c["quote"]]
    assert wechat["status"] == "unverifiable"
    [shoot] = [c for c in claims if "ohne Vorwarnung" in c["quote"]]
    assert shoot["status"] == "verified"


async def test_sources_are_the_real_seed_documents(client: httpx.AsyncClient, loaded: Loaded) -> None:
    claims = await _claims(client, loaded.article_id)
    linked = {link["source"]["url"] for claim in claims for link in claim["sources"]}
    assert linked == {normalise_url(u) for u in SEED_SOURCES}
    assert {normalise_url(s.url) for s in data.SOURCES.values()} == linked
    for claim in claims:
        for link in claim["sources"]:
            assert link["added_by"] == ACTOR
            excerpt = link["excerpt"]
            assert excerpt is None or excerpt.strip()


async def test_a_second_run_changes_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection, database_url: str, loaded: Loaded
) -> None:
    async def snapshot() -> tuple[Any, ...]:
        counts = await db.fetchrow(
            """SELECT (SELECT count(*) FROM articles) AS articles, (SELECT count(*) FROM claims) AS claims,
                      (SELECT count(*) FROM sources) AS sources,
                      (SELECT count(*) FROM claim_sources) AS links,
                      (SELECT count(*) FROM verifications) AS verifications"""
        )
        article = await _get(client, f"/v1/articles/{loaded.article_id}")
        return dict(counts), article, await _claims(client, loaded.article_id)

    before = await snapshot()
    again = await load(_settings(database_url), database_url)
    assert again == Loaded(loaded.article_id, created=False)
    assert await snapshot() == before
