"""Verification updates: transitions, evidence, ratings and the append-only history."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import LiveServer, create_key
from tests.integration.helpers import (
    article_with_claim,
    assert_problem,
    claim_row,
    create_source,
    etag_of,
    example_url,
    history_count,
    link,
    link_rows,
    source_count,
    verify,
    walk,
)


def by_url(url: str, relation: str, **fields: Any) -> dict[str, Any]:
    return {"source": {"url": url}, "relation": relation, **fields}


async def test_in_review_needs_no_evidence_and_has_no_rating(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    response = await verify(client, claim["id"], "in_review", note="Wir prüfen.")
    assert etag_of(response) == 2
    verification, updated = response.json()["verification"], response.json()["claim"]
    assert verification["claim_id"] == claim["id"]
    assert (verification["status"], verification["previous_status"], verification["rating"]) == (
        "in_review",
        "unverified",
        None,
    )
    assert (verification["note"], verification["evidence"], verification["claim_version"]) == (
        "Wir prüfen.",
        [],
        2,
    )
    assert (updated["status"], updated["rating"], updated["version"]) == ("in_review", None, 2)

    row = await claim_row(db, claim["id"])
    assert (row["status"], row["rating_value"], row["rating_text"], row["version"]) == (
        "in_review",
        None,
        None,
        2,
    )
    stored = await db.fetchrow("SELECT * FROM verifications WHERE id = $1", uuid.UUID(verification["id"]))
    assert (stored["status"], stored["previous_status"], stored["claim_version"]) == (
        "in_review",
        "unverified",
        2,
    )


async def test_verified_with_a_supporting_link_in_the_same_update(
    client: httpx.AsyncClient, db: asyncpg.Connection, unique: str
) -> None:
    _, claim = await article_with_claim(client)
    url = example_url("support", unique)
    response = await verify(
        client,
        claim["id"],
        "verified",
        note="Bestätigt",
        review_url=f"https://example.org/checks/{unique}/",
        sources=[by_url(url, "supports", excerpt="ab März öfter")],
    )
    verification, updated = response.json()["verification"], response.json()["claim"]
    source_id = updated["sources"][0]["source"]["id"]
    assert verification["evidence"] == [
        {"source_id": source_id, "relation": "supports", "excerpt": "ab März öfter"}
    ]
    assert verification["rating"] == {"value": 5, "best": 5, "worst": 1, "text": "True"}
    assert updated["rating"] == verification["rating"]
    assert updated["review_url"] == f"https://example.org/checks/{unique}"
    assert await link_rows(db, claim["id"]) == {source_id: ("supports", "ab März öfter")}
    assert await source_count(db, url) == 1


@pytest.mark.parametrize(
    ("status", "relations", "note", "rating"),
    [
        ("verified", ["supports"], None, {"value": 5, "best": 5, "worst": 1, "text": "True"}),
        ("misleading", [], "Der Kontext fehlt.", {"value": 2, "best": 5, "worst": 1, "text": "Misleading"}),
        ("disputed", ["supports", "refutes"], None, {"value": 3, "best": 5, "worst": 1, "text": "Disputed"}),
        ("false", ["refutes"], None, {"value": 1, "best": 5, "worst": 1, "text": "False"}),
        ("unverifiable", [], "Keine Quelle.", {"value": None, "best": 5, "worst": 1, "text": "Unverifiable"}),
    ],
)
async def test_each_status_with_its_evidence_gets_its_rating(
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    status: str,
    relations: list[str],
    note: str | None,
    rating: dict[str, Any],
) -> None:
    _, claim = await article_with_claim(client)
    sources = [by_url(example_url("evidence"), r) for r in relations]
    response = await verify(client, claim["id"], status, note=note, sources=sources)
    body = response.json()
    assert body["verification"]["rating"] == rating
    assert body["claim"]["rating"] == rating
    assert sorted(e["relation"] for e in body["verification"]["evidence"]) == sorted(relations)
    row = await claim_row(db, claim["id"])
    assert (row["status"], row["rating_value"], row["rating_text"]) == (
        status,
        rating["value"],
        rating["text"],
    )

    overridden = await verify(client, claim["id"], status, note=note, rating_text="Halb wahr")
    assert overridden.json()["claim"]["rating"] == {**rating, "text": "Halb wahr"}
    assert (await claim_row(db, claim["id"]))["rating_text"] == "Halb wahr"


@pytest.mark.parametrize(
    ("status", "relations", "note", "pointer"),
    [
        ("verified", [], None, "/sources"),
        ("verified", ["refutes", "context"], None, "/sources"),
        ("false", ["supports"], None, "/sources"),
        ("disputed", ["supports"], None, "/sources"),
        ("disputed", ["refutes"], None, "/sources"),
        ("misleading", [], None, "/note"),
        ("misleading", [], "   ", "/note"),
        ("unverifiable", ["supports"], "", "/note"),
    ],
)
async def test_missing_evidence_is_422_and_stores_nothing(
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    status: str,
    relations: list[str],
    note: str | None,
    pointer: str,
) -> None:
    _, claim = await article_with_claim(client)
    urls = [example_url("evidence") for _ in relations]
    response = await client.post(
        f"/v1/claims/{claim['id']}/verifications",
        json={
            "status": status,
            "note": note,
            "sources": [by_url(u, r) for u, r in zip(urls, relations, strict=True)],
        },
    )
    problem = assert_problem(response, 422, "evidence-required")
    assert problem["errors"][0]["field"] == pointer

    row = await claim_row(db, claim["id"])
    assert (row["status"], row["version"], row["rating_text"]) == ("unverified", 1, None)
    assert await history_count(db, claim["id"]) == 0
    assert await link_rows(db, claim["id"]) == {}
    for url in urls:
        assert await source_count(db, url) == 0


async def test_links_already_on_the_claim_count_as_evidence(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    source = await create_source(client)
    _, claim = await article_with_claim(client, sources=[{"source_id": source["id"], "relation": "refutes"}])
    response = await verify(client, claim["id"], "false")
    assert response.json()["verification"]["evidence"] == [
        {"source_id": source["id"], "relation": "refutes", "excerpt": None}
    ]
    # A relink sent in the update counts too: here it takes away the only 'refutes'.
    failed = await client.post(
        f"/v1/claims/{claim['id']}/verifications",
        json={"status": "false", "sources": [{"source_id": source["id"], "relation": "context"}]},
    )
    assert_problem(failed, 422, "evidence-required")
    assert await link_rows(db, claim["id"]) == {source["id"]: ("refutes", None)}
    assert (await claim_row(db, claim["id"]))["version"] == 2


async def test_unverified_is_never_a_target(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    _, claim = await article_with_claim(client)
    for _ in range(2):  # from unverified, and from in_review
        response = await client.post(f"/v1/claims/{claim['id']}/verifications", json={"status": "unverified"})
        assert assert_problem(response, 422, "invalid-transition")["errors"][0]["field"] == "/status"
        await verify(client, claim["id"], "in_review")
    row = await claim_row(db, claim["id"])
    assert (row["status"], row["version"]) == ("in_review", 3)
    assert await history_count(db, claim["id"]) == 2


async def test_any_status_may_follow_any_other_and_repeat(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(
        client, sources=[by_url(example_url("s"), "supports"), by_url(example_url("r"), "refutes")]
    )
    path = [
        "verified",
        "false",
        "disputed",
        "misleading",
        "misleading",
        "in_review",
        "unverifiable",
        "verified",
    ]
    for status in path:
        await verify(client, claim["id"], status, note="weil")
    row = await claim_row(db, claim["id"])
    assert (row["status"], row["version"]) == ("verified", 1 + len(path))
    assert await history_count(db, claim["id"]) == len(path)


async def test_a_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection, unique: str
) -> None:
    _, claim = await article_with_claim(client)
    await verify(client, claim["id"], "in_review")
    url = example_url("late", unique)
    response = await client.post(
        f"/v1/claims/{claim['id']}/verifications",
        json={"status": "verified", "sources": [by_url(url, "supports")]},
        headers={"If-Match": '"1"'},
    )
    body = assert_problem(response, 412, "precondition-failed")
    assert "2" in body["detail"]
    row = await claim_row(db, claim["id"])
    assert (row["status"], row["version"]) == ("in_review", 2)
    assert await history_count(db, claim["id"]) == 1
    assert await source_count(db, url) == 0

    current = await client.post(
        f"/v1/claims/{claim['id']}/verifications",
        json={"status": "verified", "sources": [by_url(url, "supports")]},
        headers={"If-Match": '"2"'},
    )
    assert current.status_code == 201
    assert etag_of(current) == 3


async def test_unknown_claim_is_404(client: httpx.AsyncClient) -> None:
    missing = uuid.uuid4()
    assert_problem(
        await client.post(f"/v1/claims/{missing}/verifications", json={"status": "in_review"}),
        404,
        "not-found",
    )
    assert_problem(await client.get(f"/v1/claims/{missing}/verifications"), 404, "not-found")


async def test_history_is_complete_ordered_and_paged(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    source = await create_source(client)
    _, claim = await article_with_claim(client)
    await verify(client, claim["id"], "in_review", note="eins")
    assert (await link(client, claim["id"], source["id"], "supports")).status_code == 201  # version 3
    await verify(client, claim["id"], "verified", note="zwei")
    await verify(client, claim["id"], "misleading", note="drei", rating_text="Irreführend")

    response = await client.get(f"/v1/claims/{claim['id']}/verifications")
    assert response.status_code == 200
    page = response.json()
    assert page["next_cursor"] is None
    history = page["items"]
    assert [(v["status"], v["previous_status"], v["note"], v["claim_version"]) for v in history] == [
        ("in_review", "unverified", "eins", 2),
        ("verified", "in_review", "zwei", 4),
        ("misleading", "verified", "drei", 5),
    ]
    assert history[0]["evidence"] == []
    assert history[1]["evidence"] == [{"source_id": source["id"], "relation": "supports", "excerpt": None}]
    assert history[2]["rating"] == {"value": 2, "best": 5, "worst": 1, "text": "Irreführend"}
    assert [v["created_at"] for v in history] == sorted(v["created_at"] for v in history)
    assert await history_count(db, claim["id"]) == 3

    pages = await walk(client, f"/v1/claims/{claim['id']}/verifications", limit=2)
    assert [len(p) for p in pages] == [2, 1]
    assert [v["id"] for p in pages for v in p] == [v["id"] for v in history]


async def test_history_filtered_by_actor(
    client: httpx.AsyncClient, database_url: str, live_server: LiveServer, unique: str
) -> None:
    _, claim = await article_with_claim(client)
    ours = (await verify(client, claim["id"], "in_review")).json()["verification"]
    # Another desk, with a key of its own.
    other = f"other-desk-{unique}"
    token = await create_key(database_url, other, ["verify"])
    async with httpx.AsyncClient(
        base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}
    ) as desk:
        second = await desk.post(
            f"/v1/claims/{claim['id']}/verifications", json={"status": "in_review", "note": "zweite Meinung"}
        )
        assert second.status_code == 201, second.text
    response = await client.get(f"/v1/claims/{claim['id']}/verifications", params={"actor": other})
    assert response.status_code == 200
    assert [(v["actor"], v["note"]) for v in response.json()["items"]] == [(other, "zweite Meinung")]

    everything = (await client.get(f"/v1/claims/{claim['id']}/verifications")).json()["items"]
    assert [v["actor"] for v in everything] == [ours["actor"], other]
    if ours["actor"] is not None:
        mine = (
            await client.get(f"/v1/claims/{claim['id']}/verifications", params={"actor": ours["actor"]})
        ).json()
        assert [v["id"] for v in mine["items"]] == [ours["id"]]

    nobody = await client.get(f"/v1/claims/{claim['id']}/verifications", params={"actor": f"nobody-{unique}"})
    assert nobody.json() == {"items": [], "next_cursor": None}


async def test_unlink_or_relink_may_not_take_the_evidence_away(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    supporting = await create_source(client)
    _, claim = await article_with_claim(
        client, sources=[{"source_id": supporting["id"], "relation": "supports"}]
    )
    await verify(client, claim["id"], "verified")  # version 2

    unlink = await client.delete(f"/v1/claims/{claim['id']}/sources/{supporting['id']}")
    assert_problem(unlink, 422, "evidence-required")
    relink = await link(client, claim["id"], supporting["id"], "context")
    assert_problem(relink, 422, "evidence-required")
    assert await link_rows(db, claim["id"]) == {supporting["id"]: ("supports", None)}
    assert (await claim_row(db, claim["id"]))["version"] == 2

    # With a second supporting source the first may go.
    second = await create_source(client)
    assert (await link(client, claim["id"], second["id"], "supports")).status_code == 201
    relinked = await link(client, claim["id"], supporting["id"], "context")
    assert (relinked.status_code, etag_of(relinked)) == (200, 4)
    response = await client.delete(f"/v1/claims/{claim['id']}/sources/{supporting['id']}")
    assert (response.status_code, etag_of(response)) == (204, 5)
    assert await link_rows(db, claim["id"]) == {second["id"]: ("supports", None)}
    assert (await claim_row(db, claim["id"]))["status"] == "verified"
