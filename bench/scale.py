"""``python -m bench.scale``: what a replica and PgBouncer cost or gain (bench/README.md, "Scale").

It starts its own PostgreSQL 15 primary, a streaming replica and PgBouncer (tests/cluster.py:
temporary directories, free loopback ports), fills one database through the API, and drives
``claimtrack serve`` with wrk in three set-ups:

- ``direct``: the API's pools on the primary (the default deployment);
- ``pgbouncer``: through PgBouncer in transaction mode (CLAIMTRACK_PGBOUNCER=1);
- ``replica``: reads on the replica (CLAIMTRACK_REPLICA_URLS), writes on the primary.

For each: claims of one article (``GET /v1/articles/{id}/claims``), and verification updates
(``POST /v1/claims/{id}/verifications``). It also times the round trip that reads a write's
consistency token. On one machine of two cores the servers share the cores with wrk and the
API: the numbers show what each set-up costs per request, not how far it scales.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.cluster import missing_tools, running_cluster, running_pgbouncer
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("SCALE_PATHS")) do paths[#paths + 1] = line end
local method = os.getenv("SCALE_METHOD")
local body = os.getenv("SCALE_BODY")
local headers = {["Authorization"] = os.getenv("SCALE_AUTH"), ["Content-Type"] = "application/json"}
math.randomseed(os.time())
request = function()
  return wrk.format(method, paths[math.random(#paths)], headers, method == "POST" and body or nil)
end
"""


def _sentences(n: int) -> list[str]:
    return [f"Satz {i}: Die Zahl der Linien stieg auf {i * 7 + 3}." for i in range(n)]


async def fill(api: str, token: str, articles: int, claims: int) -> tuple[list[str], list[str]]:
    """Articles with their claims, created through the API; returns their ids."""
    article_ids: list[str] = []
    claim_ids: list[str] = []
    sentences = _sentences(claims)
    body = " ".join(sentences)
    async with httpx.AsyncClient(
        base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        for n in range(articles):
            response = await http.post(
                "/v1/articles",
                json={
                    "title": f"Artikel {n}",
                    "language": "de",
                    "body": body,
                    "claims": [{"text": s, "quote": s} for s in sentences],
                },
            )
            response.raise_for_status()
            article_ids.append(response.json()["id"])
            listed = await http.get(f"/v1/articles/{article_ids[-1]}/claims")
            claim_ids += [c["id"] for c in listed.json()["items"]]
    return article_ids, claim_ids


async def create_token(database_url: str) -> str:
    from api.keys import service as keys
    from schemas.keys import KeyCreate

    conn = await asyncpg.connect(database_url)
    try:
        scopes = ["read", "write", "verify", "admin"]
        created = await keys.create(conn, KeyCreate(name=f"scale-{time.time_ns()}", scopes=scopes), "bench")  # type: ignore[arg-type]
    finally:
        await conn.close()
    return created.token


async def token_round_trip(database_url: str, n: int = 2000) -> float:
    """Microseconds for the statement that reads a write's consistency token."""
    from api.replicas.monitor import Q

    conn = await asyncpg.connect(database_url)
    try:
        await conn.fetchval(Q["commit_position"])
        started = time.perf_counter()
        for _ in range(n):
            await conn.fetchval(Q["commit_position"])
        return (time.perf_counter() - started) / n * 1e6
    finally:
        await conn.close()


class Api:
    """``claimtrack serve`` in a process group of its own, stopped on leaving."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "CLAIMTRACK_ACCESS_LOG": "0",
            "CLAIMTRACK_SOURCE_CHECKS": "0",
            "CLAIMTRACK_WEBHOOK_DELIVERY": "0",
            "CLAIMTRACK_LOG_LEVEL": "WARNING",
            **env,
        }
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--port", str(self.port), "--workers", str(workers)],
            env=environment,
            cwd=ROOT,
            start_new_session=True,
        )

    def __enter__(self) -> Api:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("claimtrack serve exited")
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("claimtrack serve did not get ready")

    def __exit__(self, *_: Any) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def wrk(
    url: str, token: str, method: str, paths: list[str], seconds: int, connections: int
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="claimtrack-scale-") as folder:
        script = Path(folder) / "scale.lua"
        script.write_text(WRK_SCRIPT)
        listing = Path(folder) / "paths.txt"
        listing.write_text("\n".join(paths) + "\n")
        env = {
            **os.environ,
            "SCALE_PATHS": str(listing),
            "SCALE_METHOD": method,
            "SCALE_BODY": json.dumps({"status": "in_review", "note": "bench"}),
            "SCALE_AUTH": f"Bearer {token}",
        }
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
        # A short warm-up (pools filled, statements prepared), then the measured run.
        subprocess.run([*command[:3], "-d2s", *command[4:]], env=env, capture_output=True, check=True)
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if failed:
        raise RuntimeError(f"{failed.group(1)} requests failed:\n{out}")
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
    }


def _line(what: str, run: dict[str, float]) -> str:
    return (
        f"{what} {run['requests_per_second']:7.0f}/s p50 {run['p50_ms']:6.2f} ms p99 {run['p99_ms']:6.2f} ms"
    )


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def served_by(url: str, token: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}).text
    return {
        m.group(1): float(m.group(2))
        for m in re.finditer(r'claimtrack_db_reads_total\{served_by="(\w+)"\} ([\d.e+]+)', text)
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--claims", type=int, default=20, help="claims per article")
    parser.add_argument("--seconds", type=int, default=10, help="each measured run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    reason = missing_tools(pgbouncer=True)
    if reason is not None:
        print(reason, file=sys.stderr)
        return 2
    from api.migrate import upgrade

    results: dict[str, Any] = {"setups": {}}
    with running_cluster() as cluster:
        asyncio.run(_create_database(cluster.primary.url()))
        primary = cluster.primary.url("scale")
        replica = cluster.replica.url("scale")
        upgrade(primary)
        token = asyncio.run(create_token(primary))
        results["token_round_trip_us"] = round(asyncio.run(token_round_trip(primary)), 1)
        with Api({"DATABASE_URL": primary}, 1) as api:
            articles, claims = asyncio.run(fill(api.url, token, args.articles, args.claims))
        with running_pgbouncer(cluster.primary.port, "scale", pool_size=10) as bouncer:
            setups = {
                "direct": {"DATABASE_URL": primary},
                "pgbouncer": {
                    "DATABASE_URL": bouncer.url(),
                    "CLAIMTRACK_PGBOUNCER": "1",
                    "CLAIMTRACK_LISTEN_DATABASE_URL": primary,
                },
                "replica": {"DATABASE_URL": primary, "CLAIMTRACK_REPLICA_URLS": replica},
            }
            for name, env in setups.items():
                with Api(env, args.workers) as api:
                    before = served_by(api.url, token)
                    reads = wrk(
                        api.url,
                        token,
                        "GET",
                        [f"/v1/articles/{a}/claims" for a in articles],
                        args.seconds,
                        args.connections,
                    )
                    after = served_by(api.url, token)
                    writes = wrk(
                        api.url,
                        token,
                        "POST",
                        [f"/v1/claims/{c}/verifications" for c in claims],
                        args.seconds,
                        args.connections,
                    )
                reads["replica_share"] = round(
                    (after.get("replica", 0) - before.get("replica", 0))
                    / max(1.0, sum(after.values()) - sum(before.values())),
                    3,
                )
                results["setups"][name] = {"claims_of_one_article": reads, "verification_update": writes}
                print(
                    f"{name:10} {_line('reads', reads)} (replica {reads['replica_share']:.0%})  "
                    f"{_line('writes', writes)}",
                    flush=True,
                )
    results.update(
        articles=args.articles,
        claims_per_article=args.claims,
        connections=args.connections,
        workers=args.workers,
        seconds=args.seconds,
        cores=os.cpu_count(),
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale-latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"consistency token: {results['token_round_trip_us']} µs per write (one more round trip after commit)"
    )
    return 0


async def _create_database(server: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute("CREATE DATABASE scale")
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
