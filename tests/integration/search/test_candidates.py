"""GET /v1/articles/{id}/candidates: what a desk sees, and that a candidate posts as a claim unchanged."""

from __future__ import annotations

import uuid

import httpx

from tests.integration.helpers import assert_problem, create_article, create_claim

LEAD = "Seit Tagen treffen auf Bitten des kasachischen Staatschefs"
REASONS = {
    "number",
    "first_time",
    "superlative",
    "comparison",
    "attribution",
    "quotation",
    "causal",
    "prediction",
}


async def test_the_seed_article_s_candidates_in_text_order_with_their_reasons(
    client: httpx.AsyncClient, seed_body: str
) -> None:
    article = await create_article(client, body=seed_body)
    response = await client.get(f"/v1/articles/{article['id']}/candidates")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [c["span"]["start"] for c in items] == sorted(c["span"]["start"] for c in items)
    for c in items:
        assert seed_body[c["span"]["start"] : c["span"]["end"]] == c["quote"]
        assert 0.3 <= c["score"] <= 1
        assert c["reasons"] and set(c["reasons"]) <= REASONS
        assert c["covered_by"] == []
        assert c["request"] == {
            "method": "POST",
            "path": f"/v1/articles/{article['id']}/claims",
            "body": {"text": c["quote"], "quote": c["quote"], "span": c["span"]},
        }
    # The lead paragraph is printed twice: two candidates, each at its own span.
    lead = [c for c in items if c["quote"].startswith(LEAD)]
    assert [c["span"]["start"] for c in lead] == [0, seed_body.index("Almaty – ") + len("Almaty – ")]
    dead = next(c for c in items if c["quote"] == "Mindestens 164 Tote bei Protesten in Kasachstan")
    assert dead["reasons"] == ["number"]
    assert dead["quantities"] == [
        {
            "value": 164,
            "low": 164,
            "high": None,
            "qualifier": "at_least",
            "unit": "Tote",
            "key": "killed",
            "text": "Mindestens 164 Tote",
            "span": {"start": 0, "end": 19},
        }
    ]
    # The Russian tweet quoted in the German article is read by the Russian rules.
    tweet = next(c for c in items if c["quote"].startswith("Пашинян заявил"))
    assert "attribution" in tweet["reasons"]


async def test_a_candidate_posts_as_a_claim_unchanged_and_is_then_covered(
    client: httpx.AsyncClient, seed_body: str
) -> None:
    article = await create_article(client, body=seed_body)
    path = f"/v1/articles/{article['id']}/candidates"
    items = (await client.get(path)).json()["items"]
    second_lead = [c for c in items if c["quote"].startswith(LEAD)][1]
    request = second_lead["request"]
    created = await client.post(request["path"], json=request["body"])
    assert created.status_code == 201, created.text
    claim = created.json()
    assert claim["span"] == second_lead["span"] and claim["quote"] == second_lead["quote"]

    after = (await client.get(path)).json()["items"]
    covered = [c for c in after if c["quote"].startswith(LEAD)]
    assert [c["covered_by"] for c in covered] == [[], [claim["id"]]]
    uncovered = (await client.get(path, params={"uncovered": "true"})).json()["items"]
    assert [c["span"] for c in uncovered] == [c["span"] for c in after if not c["covered_by"]]
    assert second_lead["span"] not in [c["span"] for c in uncovered]


async def test_min_score_filters_and_a_claim_over_part_of_a_sentence_covers_it(
    client: httpx.AsyncClient, seed_body: str
) -> None:
    article = await create_article(client, body=seed_body)
    path = f"/v1/articles/{article['id']}/candidates"
    everything = (await client.get(path, params={"min_score": 0})).json()["items"]
    default = (await client.get(path)).json()["items"]
    strict = (await client.get(path, params={"min_score": 0.6})).json()["items"]
    assert len(everything) > len(default) > len(strict) > 0
    assert all(c["score"] >= 0.6 for c in strict)
    claim = await create_claim(
        client, article["id"], text="Über 150 Tote.", quote="über 150 Menschen getötet"
    )
    sentence = next(c for c in (await client.get(path)).json()["items"] if "über 150 Menschen" in c["quote"])
    assert sentence["covered_by"] == [claim["id"]]


async def test_bad_parameters_and_unknown_articles(client: httpx.AsyncClient) -> None:
    article = await create_article(client)
    path = f"/v1/articles/{article['id']}/candidates"
    for params in ({"min_score": "1.5"}, {"min_score": "x"}, {"uncovered": "perhaps"}):
        assert_problem(await client.get(path, params=params), 400, "invalid-request")
    assert_problem(await client.get(f"/v1/articles/{uuid.uuid4()}/candidates"), 404, "not-found")
    assert_problem(await client.get("/v1/articles/not-a-uuid/candidates"), 400, "invalid-request")


async def test_an_article_in_a_language_without_rules_gets_the_language_free_reasons(
    client: httpx.AsyncClient,
) -> None:
    body = "Selon le ministère, 150 personnes sont mortes pour la première fois « hier soir ». Il fait beau."
    article = await create_article(client, body=body, language="fr")
    items = (await client.get(f"/v1/articles/{article['id']}/candidates")).json()["items"]
    assert [(c["quote"], c["reasons"]) for c in items] == [
        (body.split(". ")[0] + ".", ["number", "quotation"])
    ]
