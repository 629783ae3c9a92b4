"""The stored claim documents (migration 0007) are never stale.

After a scripted mix of every kind of write, concurrent ones included, every stored document
must equal the one rebuilt from the tables by ``claim_document``, and every claim has one.
Two races are also played out step by step with two connections: a new link against a change
of the linked source, in both orders.
"""

from __future__ import annotations

import asyncio
import random

import asyncpg
import httpx
import msgspec

from tests.integration.helpers import (
    BODY,
    create_article,
    create_claim,
    create_source,
    example_url,
    wait_until,
)

# Every claim without its document, document without its claim, or document that differs
# from the one built from the tables now.
STALE = """
    SELECT coalesce(b.id, d.id) AS id, d.doc::text AS stored, b.doc::text AS rebuilt
    FROM claim_documents_built b FULL JOIN claim_documents d ON d.id = b.id
    WHERE b.id IS NULL OR d.id IS NULL
       OR d.doc::text IS DISTINCT FROM b.doc::text
       OR (d.article_id, d.span_start, d.span_end) IS DISTINCT FROM (b.article_id, b.span_start, b.span_end)
"""


async def assert_fresh(db: asyncpg.Connection) -> None:
    stale = await db.fetch(STALE)
    assert stale == [], f"{len(stale)} stale documents, first: {dict(stale[0])}"


async def served_equals_rebuilt(client: httpx.AsyncClient, db: asyncpg.Connection, article_id: str) -> None:
    """What the hot path sends is the rebuilt documents, in text order."""
    served = (await client.get(f"/v1/articles/{article_id}/claims")).json()["items"]
    rebuilt = await db.fetchval(
        "SELECT json_agg(doc ORDER BY span_start IS NULL, span_start, span_end, id)"
        " FROM claim_documents_built WHERE article_id = $1",
        article_id,
    )
    assert served == msgspec.json.decode(rebuilt or "[]")


async def test_every_kind_of_write_keeps_the_documents_fresh(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    rng = random.Random(7)
    shared = await create_source(client, title="Agenturmeldung")
    article = await create_article(client)
    claims = [
        await create_claim(client, article["id"], text=f"Aussage {i}", quote=quote)
        for i, quote in enumerate(["Bürgermeister", "Straßenbahn", "трамвай", "12 neue Linien"])
    ]
    ids = [c["id"] for c in claims]

    # Links by id and by url, a verdict with its evidence, an edit of the claim's fields.
    await client.post(
        f"/v1/claims/{ids[0]}/sources", json={"source_id": shared["id"], "relation": "supports"}
    )
    await client.post(
        f"/v1/claims/{ids[1]}/sources",
        json={"source": {"url": example_url("s"), "title": "Neu"}, "relation": "context"},
    )
    response = await client.post(
        f"/v1/claims/{ids[2]}/verifications",
        json={"status": "verified", "sources": [{"source_id": shared["id"], "relation": "supports"}]},
    )
    assert response.status_code == 201, response.text
    await client.patch(f"/v1/claims/{ids[3]}", json={"tags": ["zahl"], "claimant": "Stadt"})
    await assert_fresh(db)

    # A change of the linked source (fields, then health as the checker records it).
    response = await client.patch(
        f"/v1/sources/{shared['id']}", json={"title": "Agenturmeldung (korrigiert)"}
    )
    assert response.status_code == 200, response.text
    await db.execute(
        "UPDATE sources SET health = 'dead', checked_at = now(), version = version + 1 WHERE id = $1",
        shared["id"],
    )
    await assert_fresh(db)
    served = (await client.get(f"/v1/claims/{ids[0]}")).json()
    assert served["sources"][0]["source"]["title"] == "Agenturmeldung (korrigiert)"
    assert served["sources"][0]["source"]["health"] == "dead"

    # The article's body changes: one claim moves, one is orphaned.
    new_body = "Vorweg ein Satz. " + BODY.replace("трамвай", "автобус")
    response = await client.patch(f"/v1/articles/{article['id']}", json={"body": new_body})
    assert response.status_code == 200, response.text
    await assert_fresh(db)
    moved = (await client.get(f"/v1/claims/{ids[0]}")).json()
    assert moved["span"]["start"] == new_body.index("Bürgermeister")
    assert (await client.get(f"/v1/claims/{ids[2]}")).json()["anchor_status"] == "orphaned"

    # An unlink, and a claim deleted.
    linked = (await client.get(f"/v1/claims/{ids[1]}")).json()["sources"][0]["source"]["id"]
    response = await client.delete(f"/v1/claims/{ids[1]}/sources/{linked}")
    assert response.status_code in (200, 204), response.text
    response = await client.delete(f"/v1/claims/{ids[3]}")
    assert response.status_code == 204, response.text
    assert await db.fetchval("SELECT count(*) FROM claim_documents WHERE id = $1", ids[3]) == 0
    await assert_fresh(db)
    await served_equals_rebuilt(client, db, article["id"])

    # Concurrent: verdicts, links, edits and changes of the sources they share, all at once.
    sources = [shared] + [await create_source(client) for _ in range(3)]
    articles = [await create_article(client) for _ in range(3)]
    many = [
        (await create_claim(client, a["id"], text=f"Satz {j}", quote=q))["id"]
        for a in articles
        for j, q in enumerate(["Bürgermeister", "Straßenbahn", "12 neue Linien"])
    ]

    async def one_write(n: int) -> None:
        claim_id = rng.choice(many)
        source = rng.choice(sources)
        kind = n % 5
        if kind == 0:
            await client.post(
                f"/v1/claims/{claim_id}/sources", json={"source_id": source["id"], "relation": "context"}
            )
        elif kind == 1:
            await client.post(
                f"/v1/claims/{claim_id}/verifications",
                json={
                    "status": "in_review",
                    "note": f"Runde {n}",
                    "sources": [{"source_id": source["id"], "relation": "context"}],
                },
            )
        elif kind == 2:
            await client.patch(f"/v1/sources/{source['id']}", json={"title": f"Titel {n}"})
        elif kind == 3:
            await client.patch(f"/v1/claims/{claim_id}", json={"tags": [f"t{n}"]})
        else:
            await client.delete(f"/v1/claims/{claim_id}/sources/{source['id']}")

    for _ in range(3):
        await asyncio.gather(*(one_write(n) for n in range(40)))
    await asyncio.gather(
        *(client.patch(f"/v1/articles/{a['id']}", json={"body": "Neu: " + BODY}) for a in articles),
        *(client.patch(f"/v1/sources/{s['id']}", json={"publisher": "Agentur"}) for s in sources),
    )
    await assert_fresh(db)
    for a in articles:
        await served_equals_rebuilt(client, db, a["id"])

    # A batch import writes its claims' documents once, at its end (migration 0015).
    response = await client.post(
        "/v1/import",
        json={
            "articles": [
                {
                    "title": "Importiert",
                    "language": "de",
                    "body": BODY,
                    "claims": [
                        {
                            "text": "Importierte Aussage",
                            "quote": "Bürgermeister",
                            "sources": [
                                {"source_id": shared["id"], "relation": "context"},
                                {"source": {"url": example_url("imported")}, "relation": "supports"},
                            ],
                        }
                    ],
                }
            ]
        },
    )
    assert response.status_code == 200, response.text
    imported = response.json()["articles"][0]["id"]
    assert await db.fetchval("SELECT count(*) FROM claim_documents WHERE article_id = $1", imported) == 1
    await assert_fresh(db)

    # Deleting an article takes its documents with it.
    await client.delete(f"/v1/articles/{articles[0]['id']}")
    assert (
        await db.fetchval("SELECT count(*) FROM claim_documents WHERE article_id = $1", articles[0]["id"])
        == 0
    )
    await assert_fresh(db)


async def _waiting_for_a_lock(db: asyncpg.Connection, pid: int) -> bool:
    return bool(
        await db.fetchval("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid)
    )


async def _waits_or_is_done(db: asyncpg.Connection, task: asyncio.Task[str], pid: int) -> bool:
    return task.done() or await _waiting_for_a_lock(db, pid)


async def test_a_new_link_and_a_change_of_its_source_never_leave_a_stale_document(
    client: httpx.AsyncClient, db: asyncpg.Connection, database_url: str
) -> None:
    """Both orders of the race that a snapshot alone would lose: the source's transaction cannot
    see a link not yet committed, and the link's cannot see a source change not yet committed."""
    article = await create_article(client)
    claim = await create_claim(client, article["id"])
    linker = await asyncpg.connect(database_url)
    changer = await asyncpg.connect(database_url)
    try:
        for linking_first in (True, False):
            source = await create_source(client, title="vorher")
            first, second = (linker, changer) if linking_first else (changer, linker)
            link_sql = (
                "INSERT INTO claim_sources (claim_id, article_id, source_id, relation)"
                " VALUES ($1, $2, $3, 'context')",
                claim["id"],
                article["id"],
                source["id"],
            )
            change_sql = ("UPDATE sources SET title = 'nachher' WHERE id = $1", source["id"])
            statements = {linker: link_sql, changer: change_sql}
            async with first.transaction():
                await first.execute(*statements[first])
                blocked = asyncio.create_task(second.execute(*statements[second]))
                pid = second.get_server_pid()

                await wait_until(
                    lambda task=blocked, pid=pid: _waits_or_is_done(db, task, pid),  # type: ignore[misc]
                    what="the second transaction waits for the first",
                )
                # A second statement that went through meanwhile is the race lost: it shows below.
            await asyncio.wait_for(blocked, 30)
            doc = (await client.get(f"/v1/claims/{claim['id']}")).json()
            [linked] = [s for s in doc["sources"] if s["source"]["id"] == source["id"]]
            assert linked["source"]["title"] == "nachher"
            await assert_fresh(db)
    finally:
        await linker.close()
        await changer.close()
