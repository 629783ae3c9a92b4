"""Time `claimtrack import` of a generated NDJSON file against the API served with 2 workers.

    python -m bench.import_bench --articles 10000 --claims-per-article 20

Makes a fresh database on DATABASE_URL's server (or the embedded one), migrates it, creates an
admin key, writes the file (articles with claims placed by span, a few orphaned, sources
shared between claims, a quarter of the claims verified with their history), starts the API
under uvicorn with ``--workers``, and times the import command as a user runs it. The import
is then run again to show that it stores nothing twice. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import msgspec

from api.settings import asyncpg_dsn
from bench.generate import _article_text, _slots
from bench.vocabulary import VOCABULARIES
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def write_file(path: Path, articles: int, claims: int, sources: int, seed: int) -> int:
    """The NDJSON file; returns the number of claims in it."""
    rng = random.Random(seed)
    source_urls = [f"https://sources.example.org/doc/{i}" for i in range(sources)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    total = 0
    encoder = msgspec.json.Encoder()
    with path.open("wb") as out:
        for n in range(articles):
            vocab = VOCABULARIES[n % len(VOCABULARIES)]
            body, placed = _article_text(rng, vocab, _slots(rng, vocab), claims)
            records = []
            for text, quote, s, e in placed:
                claim: dict[str, Any] = {"text": text, "quote": quote, "tags": [rng.choice(vocab.tags)]}
                if s < 0:
                    claim["anchor_status"] = "orphaned"
                else:
                    claim["span"] = {"start": s, "end": e}
                links = [
                    {"source": {"url": url}, "relation": "context"} for url in rng.sample(source_urls, 2)
                ]
                if rng.random() < 0.25:
                    links[0]["relation"] = "supports"
                    claim["status"] = "verified"
                    claim["history"] = [
                        {
                            "status": "verified",
                            "previous_status": "unverified",
                            "note": rng.choice(vocab.notes),
                            "evidence": [],
                            "claim_version": 1,
                        }
                    ]
                claim["sources"] = links
                records.append(claim)
            total += len(records)
            article = {
                "url": f"https://news.example.org/{vocab.language}/{n}",
                "external_id": f"bench-{n}",
                "title": rng.choice(vocab.titles),
                "language": vocab.language,
                "outlet": rng.choice(vocab.outlets)[0],
                "published_at": (start + timedelta(minutes=n)).isoformat(),
                "body": body,
                "claims": records,
            }
            out.write(encoder.encode(article) + b"\n")
    return total


def _database(server: str, name: str) -> str:
    parts = urlsplit(asyncpg_dsn(server))
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def _admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(server))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _admin_key(url: str) -> str:
    from api.keys import service
    from schemas.keys import KeyCreate

    conn = await asyncpg.connect(url)
    try:
        created = await service.create(conn, KeyCreate(name="bench-import", scopes=["admin"]), "bench")
    finally:
        await conn.close()
    return created.token


async def _counts(url: str) -> tuple[int, int, int, int]:
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM claims),"
            " (SELECT count(*) FROM claim_sources), (SELECT count(*) FROM verifications)"
        )
    finally:
        await conn.close()
    assert row is not None
    return row[0], row[1], row[2], row[3]


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the API exited while starting")
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the API did not become ready")


def _timed_import(path: Path, base: str, token: str, args: argparse.Namespace) -> tuple[float, int]:
    env = {**os.environ, "CLAIMTRACK_API_URL": base, "CLAIMTRACK_API_KEY": token}
    command = [sys.executable, "-m", "api", "import", str(path), "--concurrency", str(args.concurrency)]
    command += ["--batch-size", str(args.batch_size), "--quiet"]
    started = time.perf_counter()
    status = subprocess.run(command, env=env, cwd=ROOT, check=False).returncode
    return time.perf_counter() - started, status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--claims-per-article", type=int, default=20)
    parser.add_argument("--sources", type=int, default=20_000, help="distinct source urls the claims cite")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--app", default="api.app:create_app", help="the app factory uvicorn serves")
    args = parser.parse_args(argv)

    server_url = args.database_url
    if not server_url:
        from api.embedded import ensure_embedded_database

        server_url = ensure_embedded_database(ROOT / ".claimtrack" / "bench-server", dbname="postgres")
    name = f"claimtrack_import_bench_{uuid.uuid4().hex[:8]}"
    url = _database(server_url, name)
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    server: subprocess.Popen[bytes] | None = None
    try:
        from api.migrate import upgrade

        upgrade(url)
        token = asyncio.run(_admin_key(url))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "articles.ndjson"
            began = time.perf_counter()
            claims = write_file(path, args.articles, args.claims_per_article, args.sources, args.seed)
            size = path.stat().st_size / 1e6
            print(
                f"wrote {args.articles} articles, {claims} claims ({size:.0f} MB) "
                f"in {time.perf_counter() - began:.1f} s"
            )
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "CLAIMTRACK_ACCESS_LOG": "0",
                "CLAIMTRACK_LOG_LEVEL": "WARNING",
            }
            server = subprocess.Popen(
                [
                    *(sys.executable, "-m", "uvicorn", "--factory", args.app, "--port", str(port)),
                    *("--workers", str(args.workers), "--no-access-log", "--log-level", "warning"),
                ],
                env=env,
                cwd=ROOT,
            )
            _wait_ready(base, server)
            seconds, status = _timed_import(path, base, token, args)
            articles, stored_claims, links, history = asyncio.run(_counts(url))
            print(
                f"import: {articles} articles, {stored_claims} claims, {links} links, "
                f"{history} history entries in {seconds:.1f} s ({articles / seconds:,.0f} articles/s, "
                f"{stored_claims / seconds:,.0f} claims/s), exit status {status}"
            )
            again, status = _timed_import(path, base, token, args)
            print(f"import again: nothing new stored, {again:.1f} s, exit status {status}")
            if asyncio.run(_counts(url)) != (articles, stored_claims, links, history):
                print("the second import changed the database", file=sys.stderr)
                return 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
