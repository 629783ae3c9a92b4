"""Fifty clients at once on one claim, one article URL, one source: nothing lost, nothing doubled, no 5xx.

test_concurrency.py covers twenty clients sending one kind of update; here every client has its
own connection and the kinds of change are mixed, because all of them share one version.
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.helpers import (
    article_with_claim,
    assert_problem,
    claim_row,
    create_article,
    create_claim,
    create_source,
    etag_of,
    example_url,
    history_count,
)

N = 50


@pytest.fixture(scope="module")
async def clients(client: httpx.AsyncClient) -> AsyncIterator[list[httpx.AsyncClient]]:
    """N clients, one connection each (HTTP/1.1 never multiplexes), with the session client's key."""
    # One TLS context for all: each client would build its own (40 ms) for plain loopback HTTP.
    tls = ssl.create_default_context()
    opened = [
        httpx.AsyncClient(
            base_url=client.base_url,
            headers=client.headers,
            timeout=30,
            verify=tls,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        for _ in range(N)
    ]
    yield opened
    await asyncio.gather(*(c.aclose() for c in opened))


def _no_server_error(responses: list[httpx.Response]) -> None:
    failed = [
        (r.request.method, r.request.url.path, r.status_code, r.text)
        for r in responses
        if r.status_code >= 500
    ]
    assert not failed, failed


def _change(
    i: int, claim_id: str, headers: dict[str, str], round_: int = 0
) -> tuple[str, str, dict[str, Any], dict[str, str]]:
    """The i-th client's change to the claim: a PATCH, a verification update or a new link, in turn.

    Each is a real change in every round (a PATCH to the tags the claim has already is not).
    """
    path = f"/v1/claims/{claim_id}"
    kind = i % 3
    if kind == 0:
        return "PATCH", path, {"tags": [f"client-{i}-{round_}"]}, headers
    if kind == 1:
        return "POST", path + "/verifications", {"status": "in_review", "note": f"client {i}"}, headers
    link = {"source": {"url": example_url("contention", f"{claim_id}-{i}-{round_}")}, "relation": "context"}
    return "POST", path + "/sources", link, headers


async def test_the_same_if_match_from_50_clients_has_one_winner_per_version(
    clients: list[httpx.AsyncClient], client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    rounds = 3
    won_by: Counter[int] = Counter()
    for version in range(1, rounds + 1):
        changes = [_change(i, claim["id"], {"If-Match": f'"{version}"'}, version) for i in range(N)]
        responses = await asyncio.gather(
            *(
                c.request(m, p, json=body, headers=h)
                for c, (m, p, body, h) in zip(clients, changes, strict=True)
            )
        )
        _no_server_error(responses)
        won = [r for r in responses if r.status_code in (200, 201)]
        assert len(won) == 1, Counter(r.status_code for r in responses)
        assert etag_of(won[0]) == version + 1
        won_by[responses.index(won[0]) % 3] += 1
        for lost in (r for r in responses if r is not won[0]):
            body = assert_problem(lost, 412, "precondition-failed")
            assert body["current_version"] == version + 1, body

    row = await claim_row(db, claim["id"])
    assert row["version"] == 1 + rounds
    # Each round's one winner changed the claim once; the 412s stored nothing.
    assert await history_count(db, claim["id"]) == won_by[1]
    assert await db.fetchval("SELECT count(*) FROM claim_sources WHERE claim_id = $1", row["id"]) == won_by[2]


async def test_50_clients_reading_then_writing_with_if_match_never_share_a_version(
    clients: list[httpx.AsyncClient], client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Read the ETag, send the change with it, retry on 412: each version is won exactly once."""
    _, claim = await article_with_claim(client)
    path = f"/v1/claims/{claim['id']}"
    winners: dict[int, list[str]] = {}
    statuses: Counter[int] = Counter()

    async def contend(i: int, http: httpx.AsyncClient) -> None:
        for attempt in range(3):
            seen = etag_of(await http.get(path))
            tag = f"c{i}-a{attempt}"
            response = await http.patch(path, json={"tags": [tag]}, headers={"If-Match": f'"{seen}"'})
            statuses[response.status_code] += 1
            if response.status_code == 200:
                assert etag_of(response) == seen + 1
                winners.setdefault(seen, []).append(tag)
            else:
                assert_problem(response, 412, "precondition-failed")

    await asyncio.gather(*(contend(i, c) for i, c in enumerate(clients)))

    assert set(statuses) <= {200, 412}, statuses
    assert all(len(tags) == 1 for tags in winners.values()), winners
    row = await claim_row(db, claim["id"])
    assert sorted(winners) == list(range(1, row["version"]))
    assert row["tags"] == winners[row["version"] - 1]


async def test_50_mixed_changes_without_if_match_are_serialised_and_all_kept(
    clients: list[httpx.AsyncClient], client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    _, claim = await article_with_claim(client)
    changes = [_change(i, claim["id"], {}) for i in range(N)]
    responses = await asyncio.gather(
        *(c.request(m, p, json=body, headers=h) for c, (m, p, body, h) in zip(clients, changes, strict=True))
    )
    _no_server_error(responses)
    expected = {0: 200, 1: 201, 2: 201}
    assert [r.status_code for r in responses] == [expected[i % 3] for i in range(N)], [
        r.text for r in responses if r.status_code >= 300
    ]
    # Every change raised the version by exactly one, and each saw a different one.
    assert sorted(etag_of(r) for r in responses) == list(range(2, N + 2))

    row = await claim_row(db, claim["id"])
    assert row["version"] == 1 + N
    verifications = await db.fetch(
        "SELECT claim_version, note, evidence FROM verifications WHERE claim_id = $1 ORDER BY claim_version",
        row["id"],
    )
    assert sorted(v["note"] for v in verifications) == sorted(f"client {i}" for i in range(1, N, 3))
    links = await db.fetch("SELECT source_id FROM claim_sources WHERE claim_id = $1", row["id"])
    assert len(links) == len(range(2, N, 3))
    # The history is complete: each entry names the claim version it made and the links in
    # force at that moment, which can only grow here.
    history = (await client.get(f"/v1/claims/{claim['id']}/verifications")).json()["items"]
    assert [v["claim_version"] for v in history] == [v["claim_version"] for v in verifications]
    for before, after in itertools.pairwise(history):
        assert {e["source_id"] for e in before["evidence"]} <= {e["source_id"] for e in after["evidence"]}


async def test_the_same_source_linked_by_20_clients_is_one_link(
    clients: list[httpx.AsyncClient], client: httpx.AsyncClient, db: asyncpg.Connection, unique: str
) -> None:
    _, claim = await article_with_claim(client)
    url = example_url("linked-once", unique)
    # Sent by url in three spellings: finding or creating the source races too.
    spellings = [url, url + "/", url.replace("https://example.org", "HTTPS://Example.org:443")]
    link = {"relation": "supports", "excerpt": "Die Linie fährt ab März."}
    responses = await asyncio.gather(
        *(
            c.post(f"/v1/claims/{claim['id']}/sources", json={"source": {"url": spellings[i % 3]}, **link})
            for i, c in enumerate(clients[:20])
        )
    )
    _no_server_error(responses)
    assert Counter(r.status_code for r in responses) == {201: 1, 200: 19}
    assert {etag_of(r) for r in responses} == {2}
    assert all(len(r.json()["sources"]) == 1 for r in responses)

    rows = await db.fetch("SELECT source_id FROM claim_sources WHERE claim_id = $1", uuid.UUID(claim["id"]))
    assert len(rows) == 1
    assert await db.fetchval("SELECT count(*) FROM sources WHERE url = $1", url) == 1
    assert (await claim_row(db, claim["id"]))["version"] == 2


async def test_the_same_article_url_created_by_20_clients_is_one_article(
    clients: list[httpx.AsyncClient], db: asyncpg.Connection, unique: str
) -> None:
    url = example_url("article-once", unique)
    spellings = [url, url + "?utm_source=feed", url.replace("https://example.org", "https://EXAMPLE.org")]
    responses = await asyncio.gather(
        *(
            c.post(
                "/v1/articles",
                json={"url": spellings[i % 3], "title": "Einmal", "language": "de", "body": f"Text {i}."},
            )
            for i, c in enumerate(clients[:20])
        )
    )
    _no_server_error(responses)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 19}
    created = next(r for r in responses if r.status_code == 201).json()
    for response in responses:
        if response.status_code == 409:
            assert assert_problem(response, 409, "conflict")["existing_id"] == created["id"]
    assert await db.fetchval("SELECT count(*) FROM articles WHERE url = $1", url) == 1


ORPHANS = {
    "claims without an article": "SELECT count(*) FROM claims c WHERE NOT EXISTS "
    "(SELECT 1 FROM articles a WHERE a.id = c.article_id)",
    "links without a claim": "SELECT count(*) FROM claim_sources l WHERE NOT EXISTS "
    "(SELECT 1 FROM claims c WHERE c.id = l.claim_id)",
    "history without a claim": "SELECT count(*) FROM verifications v WHERE NOT EXISTS "
    "(SELECT 1 FROM claims c WHERE c.id = v.claim_id)",
}


async def _assert_no_orphans(db: asyncpg.Connection) -> None:
    found = {name: await db.fetchval(sql) for name, sql in ORPHANS.items()}
    assert found == dict.fromkeys(ORPHANS, 0)


async def test_deleting_a_claim_while_it_is_updated_answers_404_or_412_and_leaves_nothing(
    clients: list[httpx.AsyncClient], client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    allowed = {
        "DELETE": {204, 404, 412},
        "PATCH": {200, 404, 412},
        "POST": {201, 404, 412},
        "GET": {200, 404},
    }
    for _ in range(3):
        source = await create_source(client)
        _, claim = await article_with_claim(
            client, sources=[{"source_id": source["id"], "relation": "context"}]
        )
        claim_id = claim["id"]
        requests: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]] = []
        for i in range(N):
            # Half the writers name the version they read: the delete makes them 404 or 412.
            headers = {"If-Match": '"1"'} if i % 2 else {}
            if i in (0, 25):
                requests.append(("DELETE", f"/v1/claims/{claim_id}", None, headers))
            elif i % 5 == 4:
                requests.append(("GET", f"/v1/claims/{claim_id}", None, {}))
            else:
                requests.append(_change(i, claim_id, headers))
        responses = await asyncio.gather(
            *(
                c.request(m, p, json=body, headers=h)
                for c, (m, p, body, h) in zip(clients, requests, strict=True)
            )
        )
        _no_server_error(responses)
        for (method, _, _, _), response in zip(requests, responses, strict=True):
            assert response.status_code in allowed[method], (method, response.status_code, response.text)
            if response.status_code == 404:
                assert_problem(response, 404, "not-found")
            elif response.status_code == 412:
                assert_problem(response, 412, "precondition-failed")
        deletes = [r.status_code for (m, *_), r in zip(requests, responses, strict=True) if m == "DELETE"]
        assert deletes.count(204) == 1, deletes

        key = uuid.UUID(claim_id)
        assert await db.fetchval("SELECT count(*) FROM claims WHERE id = $1", key) == 0
        assert await db.fetchval("SELECT count(*) FROM claim_sources WHERE claim_id = $1", key) == 0
        assert await db.fetchval("SELECT count(*) FROM verifications WHERE claim_id = $1", key) == 0
        assert (await client.get(f"/v1/claims/{claim_id}")).status_code == 404
    await _assert_no_orphans(db)


async def test_deleting_an_article_while_claims_are_added_and_its_body_changes_leaves_no_orphan(
    clients: list[httpx.AsyncClient], client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    for _ in range(3):
        article = await create_article(client)
        await create_claim(client, article["id"])
        path = f"/v1/articles/{article['id']}"
        requests: list[tuple[str, str, dict[str, Any] | None]] = []
        for i in range(N):
            if i == 10:
                requests.append(("DELETE", path, None))
            elif i % 4 == 0:
                body = article["body"] + f" Nachtrag {i}."
                requests.append(("PATCH", path, {"body": body}))
            else:
                requests.append(
                    ("POST", path + "/claims", {"text": f"Behauptung {i}", "quote": "Straßenbahn"})
                )
        responses = await asyncio.gather(
            *(c.request(m, p, json=body) for c, (m, p, body) in zip(clients, requests, strict=True))
        )
        _no_server_error(responses)
        allowed = {"DELETE": {204}, "PATCH": {200, 404}, "POST": {201, 404}}
        for (method, _, _), response in zip(requests, responses, strict=True):
            assert response.status_code in allowed[method], (method, response.status_code, response.text)
        key = uuid.UUID(article["id"])
        assert await db.fetchval("SELECT count(*) FROM articles WHERE id = $1", key) == 0
        assert await db.fetchval("SELECT count(*) FROM claims WHERE article_id = $1", key) == 0
    await _assert_no_orphans(db)
