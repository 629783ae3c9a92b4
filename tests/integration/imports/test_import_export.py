"""`claimtrack import` and `export` through the real API: bad lines reported, good ones stored,
and export → import into an empty database → export giving the same records."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest

from client import Client
from schemas.articles import ArticleCreate, ArticlePatch
from schemas.claims import ClaimCreate, ClaimPatch
from schemas.imports import ArticleRecord
from schemas.sources import LinkIn, SourceCreate
from schemas.verifications import VerificationCreate
from tests.conftest import ROOT, LiveServer, create_key, new_database, settings_for
from tests.integration.helpers import (
    BODY,
    article_with_claim,
    assert_problem,
    create_source,
    example_url,
    token,
)

ALL_SCOPES = ["read", "write", "verify", "admin"]
_record = msgspec.json.Decoder(ArticleRecord)


@pytest.fixture(scope="module")
async def importer(database_url: str) -> str:
    return await create_key(database_url, f"importer-{token()}", ALL_SCOPES)


async def claimtrack(*argv: str) -> tuple[int, str]:
    """The command as a user runs it; its exit status and what it wrote to stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api", *argv, cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, err.decode()


def write_lines(path: Path, lines: list[Any]) -> Path:
    text = [line if isinstance(line, str) else msgspec.json.encode(line).decode() for line in lines]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


async def test_import_stores_good_lines_and_reports_each_bad_one(
    live_server: LiveServer, importer: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    u = token()
    source_url = f"https://Example.org/import-sources/{u}/?utm_source=x"
    supports = {"source": {"url": source_url, "title": "Fahrplan"}, "relation": "supports"}
    good = {
        "url": f"https://example.org/import/{u}",
        "external_id": f"import-{u}",
        "title": "Straßenbahn fährt öfter",
        "language": "de",
        "body": BODY,
        "claims": [
            {
                "text": "Trams run more often",
                "quote": "Straßenbahn",
                "tags": ["verkehr"],
                "sources": [supports],
            },
            {
                "text": "Zwölf neue Linien",
                "quote": "12 neue Linien",
                "status": "verified",
                "sources": [supports],
                "history": [
                    {
                        "status": "verified",
                        "previous_status": "unverified",
                        "claim_version": 1,
                        "actor": "archive-desk",
                        "created_at": "2022-01-09T08:00:00Z",
                    }
                ],
            },
        ],
    }
    options = ("--api-url", live_server.url, "--api-key", importer, "--quiet")
    without_identity = {"title": f"Ohne Kennung {u}", "language": "en", "body": "The mayor said so."}
    path = write_lines(
        tmp_path / "articles.ndjson",
        [
            good,  # 1
            "",  # 2: blank lines are passed over
            "{not json",  # 3
            {"title": "no body", "language": "de"},  # 4
            {**good, "url": None, "external_id": f"q-{u}", "claims": [{"text": "x", "quote": "U-Bahn"}]},  # 5
            {
                **good,
                "url": None,
                "external_id": f"e-{u}",
                "claims": [{"text": "x", "quote": "Straßenbahn", "status": "false"}],
            },  # 6
            without_identity,  # 7
        ],
    )
    status, err = await claimtrack("import", str(path), *options)
    assert status == 1, err
    assert "line 3: invalid-request" in err
    assert "line 4: invalid-request" in err and "body" in err
    assert "line 5: quote-not-found" in err and "/claims/0/quote" in err
    assert "line 6: evidence-required" in err and "/claims/0/sources" in err
    assert "line 1:" not in err and "line 7:" not in err
    assert "created 2 articles (2 claims, 1 history entries), skipped 0 already stored, 4 failed" in err

    article = await db.fetchrow("SELECT * FROM articles WHERE external_id = $1", f"import-{u}")
    assert article["url"] == good["url"] and article["version"] == 1
    assert article["created_by"] == article["updated_by"] != "archive-desk"  # the importing key
    claims = await db.fetch("SELECT * FROM claims WHERE article_id = $1 ORDER BY span_start", article["id"])
    assert [(c["quote"], c["status"], c["rating_text"]) for c in claims] == [
        ("Straßenbahn", "unverified", None),
        ("12 neue Linien", "verified", "True"),
    ]
    start = BODY.index("12 neue Linien")
    assert (claims[1]["span_start"], claims[1]["span_end"]) == (start, start + len("12 neue Linien"))
    history = await db.fetchrow("SELECT * FROM verifications WHERE claim_id = $1", claims[1]["id"])
    assert history["actor"] == "archive-desk"
    assert history["created_at"].isoformat() == "2022-01-09T08:00:00+00:00"
    sources = await db.fetch(
        "SELECT id FROM sources WHERE url = $1", f"https://example.org/import-sources/{u}"
    )
    assert len(sources) == 1
    links = await db.fetchval("SELECT count(*) FROM claim_sources WHERE source_id = $1", sources[0]["id"])
    assert links == 2
    assert await db.fetchval("SELECT count(*) FROM articles WHERE title = $1", without_identity["title"]) == 1

    # Again, and as a JSON list: nothing is stored twice.
    status, err = await claimtrack("import", str(path), *options)
    assert "created 0 articles (0 claims, 0 history entries), skipped 2 already stored" in err
    assert status == 1
    listed = tmp_path / "articles.json"
    listed.write_bytes(msgspec.json.encode([good, without_identity]))
    status, err = await claimtrack("import", str(listed), *options)
    assert status == 0, err
    assert await db.fetchval("SELECT count(*) FROM articles WHERE title = $1", without_identity["title"]) == 1
    assert await db.fetchval("SELECT count(*) FROM claims WHERE article_id = $1", article["id"]) == 2


async def test_import_endpoint_answers_problems_for_bad_input(
    client: httpx.AsyncClient, live_server: LiveServer, database_url: str
) -> None:
    response = await client.post(
        "/v1/import", json={"articles": [{"title": "x", "language": "de", "body": "b", "x": 1}]}
    )
    body = assert_problem(response, 400, "invalid-request")
    assert body["errors"][0]["field"] == "/articles/0/x"
    assert_problem(await client.post("/v1/import", json={"articles": []}), 400, "invalid-request")
    assert_problem(await client.post("/v1/import", content=b"[1,"), 400, "invalid-request")

    record: dict[str, Any] = {
        "title": "t",
        "language": "de",
        "body": "abc abc",
        "external_id": f"p-{token()}",
    }
    bad = [
        {**record, "claims": [{"text": "x", "quote": "abc"}]},  # twice in the body
        {**record, "claims": [{"text": "x", "quote": "abc", "span": {"start": 1, "end": 4}}]},
        {
            **record,
            "claims": [
                {
                    "text": "x",
                    "quote": "abc",
                    "span": {"start": 0, "end": 3},
                    "rating": None,
                    "status": "in_review",
                    "history": [{"status": "unverified", "previous_status": "in_review", "claim_version": 1}],
                }
            ],
        },
        {
            **record,
            "claims": [
                {
                    "text": "x",
                    "quote": "abc",
                    "span": {"start": 0, "end": 3},
                    "sources": [{"source_id": str(uuid.uuid4()), "relation": "context"}],
                }
            ],
        },
    ]
    response = await client.post("/v1/import", json={"articles": bad})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["failed"] == 4 and result["created"] == 0
    problems = [a["problem"] for a in result["articles"]]
    assert [p["type"] for p in problems] == [
        "/problems/quote-ambiguous",
        "/problems/span-mismatch",
        "/problems/invalid-transition",
        "/problems/not-found",
    ]
    assert problems[0]["candidates"] == [{"start": 0, "end": 3}, {"start": 4, "end": 7}]
    assert problems[1]["errors"][0]["field"] == "/articles/1/claims/0/span"

    writer = await create_key(database_url, f"writer-{token()}", ["read", "write"])
    async with httpx.AsyncClient(
        base_url=live_server.url, headers={"Authorization": f"Bearer {writer}"}
    ) as http:
        assert_problem(await http.post("/v1/import", json={"articles": [record]}), 403, "forbidden")
        assert_problem(await http.get("/v1/export"), 403, "forbidden")


async def test_the_import_refuses_a_claim_in_the_words_of_the_single_claim_api(
    client: httpx.AsyncClient,
) -> None:
    """One rule, said once: evidence, transitions and links refused alike in a batch, pointing
    into it."""
    _, claim = await article_with_claim(client)
    source = await create_source(client)
    by_id = {"source_id": source["id"], "relation": "context"}
    both = {**by_id, "source": {"url": source["url"]}}
    cases: list[tuple[dict[str, Any], dict[str, Any], str]] = [
        ({"status": "false"}, {"status": "false"}, ""),
        (
            {"status": "unverified"},
            {"history": [{"status": "unverified", "previous_status": "unverified", "claim_version": 1}]},
            "/history/0",
        ),
        ({"status": "in_review", "sources": [both]}, {"sources": [both]}, ""),
        ({"status": "in_review", "sources": [by_id, by_id]}, {"sources": [by_id, by_id]}, ""),
    ]
    answers = [
        await client.post(f"/v1/claims/{claim['id']}/verifications", json=update) for update, _, _ in cases
    ]
    records = [
        {"title": "t", "language": "de", "body": BODY, "claims": [{"text": "x", "quote": "Straßenbahn", **c}]}
        for _, c, _ in cases
    ]
    response = await client.post("/v1/import", json={"articles": records})
    assert response.status_code == 200, response.text
    for i, (answer, outcome, (_, _, within)) in enumerate(
        zip(answers, response.json()["articles"], cases, strict=True)
    ):
        expected = answer.json()
        assert answer.status_code == expected["status"] in (400, 422), answer.text
        problem = outcome["problem"]
        assert (problem["type"], problem["detail"]) == (expected["type"], expected["detail"])
        assert problem["errors"] == [
            {**e, "field": f"/articles/{i}/claims/0{within}{e['field']}"} for e in expected["errors"]
        ]


# ---- the round trip -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def empty_server(server_url: str) -> Iterator[tuple[LiveServer, str]]:
    """A second, empty database with the API served on it."""
    with new_database(server_url, "import") as url:
        server = LiveServer(settings_for(url)).start()
        try:
            yield server, url
        finally:
            server.stop()


def seed_history(api: Client) -> None:
    """An article whose claims have it all: links with excerpts, a verdict history, an orphan."""
    body = BODY + " Die Buslinie 7 wird eingestellt."
    article = api.create_article(
        ArticleCreate(
            url=example_url("roundtrip"),
            external_id=f"rt-{token()}",
            title="Rundreise",
            language="de",
            outlet="Example Zeitung",
            published_at=None,
            body=body,
            claims=[
                ClaimCreate(text="Trams", quote="Straßenbahn", claimant="Bürgermeister", tags=["verkehr"]),
                ClaimCreate(text="Трамвай", quote="трамвай", language="ru"),
                ClaimCreate(text="Bus 7", quote="Die Buslinie 7 wird eingestellt."),
            ],
        )
    )
    trams, tram_ru, bus = api.list_article_claims(article).items
    statement = SourceCreate(url=example_url("sources"), title="Pressemitteilung", kind="official_statement")
    api.submit_verification(trams, VerificationCreate(status="in_review", note="looking"))
    api.submit_verification(
        api.get_claim(trams.id),
        VerificationCreate(
            status="verified",
            rating_text="Stimmt",
            review_url=example_url("checks"),
            sources=[LinkIn(source=statement, relation="supports", excerpt="ab März öfter")],
        ),
    )
    denial = api.create_source(SourceCreate(url=example_url("sources"), title="Dementi"))
    api.link_source(tram_ru, LinkIn(source_id=denial.id, relation="refutes", excerpt="nein"))
    api.submit_verification(api.get_claim(tram_ru.id), VerificationCreate(status="false"))
    api.update_claim(bus, ClaimPatch(tags=["bus"]))
    # New words: a reworded entry in the history, exported and imported like a verdict.
    api.update_claim(api.get_claim(bus.id), ClaimPatch(text="Bus 7 fällt weg"))
    # A new body without the bus sentence leaves that claim orphaned.
    api.update_article(api.get_article(article.id), ArticlePatch(body=BODY))


async def test_export_import_into_an_empty_database_gives_the_same_records(
    live_server: LiveServer,
    importer: str,
    empty_server: tuple[LiveServer, str],
    tmp_path: Path,
) -> None:
    with Client(live_server.url, importer) as api:
        await asyncio.to_thread(seed_history, api)
    exported = tmp_path / "export.ndjson"
    options = ("--api-url", live_server.url, "--api-key", importer)
    status, err = await claimtrack("export", *options, "-o", str(exported))
    assert status == 0, err
    first = [_record.decode(line) for line in exported.read_bytes().splitlines()]
    assert any(c.anchor_status == "orphaned" for a in first for c in a.claims)
    assert any(len(c.history) == 2 and c.sources and c.sources[0].excerpt for a in first for c in a.claims)
    assert any(h.kind == "reworded" and h.wording for a in first for c in a.claims for h in c.history)

    server, url = empty_server
    admin = await create_key(url, "restorer", ALL_SCOPES)
    status, err = await claimtrack("import", str(exported), "--api-url", server.url, "--api-key", admin)
    assert status == 0, err
    assert f"created {len(first)} articles" in err
    with Client(server.url, admin) as api:
        second = await asyncio.to_thread(lambda: list(api.iter_export()))

    assert len(second) == len(first)
    for before, after in zip(first, second, strict=True):
        for name in ArticleRecord.__struct_fields__:
            if name != "claims":
                assert getattr(after, name) == getattr(before, name), (before.id, name)
        assert len(after.claims) == len(before.claims), before.id
        for old, new in zip(before.claims, after.claims, strict=True):
            for name in old.__struct_fields__:
                assert getattr(new, name) == getattr(old, name), (old.id, name)
    assert exported.read_bytes().splitlines() == [line async for line in _lines(server.url, admin)]


async def _lines(url: str, key: str) -> Any:
    from client import AsyncClient

    async with AsyncClient(url, key) as api:
        async for line in api.export_lines():
            yield line


async def test_imported_articles_reach_the_change_feed(client: httpx.AsyncClient) -> None:
    from tests.integration.events.test_events import read_all

    _, cursor = await read_all(client, None)
    record = {
        "external_id": f"import-{token()}",
        "title": "Importiert",
        "language": "de",
        "body": BODY,
        "claims": [
            {"text": "Trams", "quote": "Straßenbahn"},
            {"text": "Mayor", "quote": "Der Bürgermeister"},
        ],
    }
    response = await client.post("/v1/import", json={"articles": [record]})
    assert response.status_code == 200, response.text
    events, _ = await read_all(client, cursor)
    types = [e["type"] for e in events]
    assert types == ["article.created", "claim.created", "claim.created"]
    # The article as the API answers it, as a POST /v1/articles puts it in the feed.
    [imported] = response.json()["articles"]
    article = await client.get(f"/v1/articles/{imported['id']}")
    assert events[0]["data"] == article.json()
    assert events[0]["data"]["external_id"] == record["external_id"]
    assert [e["data"]["quote"] for e in events[1:]] == ["Der Bürgermeister", "Straßenbahn"]
