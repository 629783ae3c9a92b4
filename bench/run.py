"""`python -m bench`: the API against what PostgreSQL itself can do with the same SQL.

For each data size: a database of its own (made by bench.generate the first time), a fresh
API key, `claimtrack serve` as in production, then for each scenario and connection count a
warm-up and a measured wrk run against the API, and the same for pgbench with the statements
the API runs. The largest size runs every scenario; the smaller ones only claims of one
article at 1 connection, for the p50-by-size goal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.settings import asyncpg_dsn
from bench import database, http, pgbench, profile, report
from bench.check import VERIFY_NOTE, check_statements

RESULTS = Path(__file__).with_name("results")
ID_SAMPLE = 10_000  # articles and claims the load picks from


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    method: str
    path: str
    body: str | None
    ids: str | None  # "article" or "claim": the kind of id put in place of {id}
    script: str  # the pgbench script


def scenarios() -> dict[str, Scenario]:
    verify_body = json.dumps({"status": "in_review", "note": VERIFY_NOTE})
    return {
        "article_claims": Scenario(
            "article_claims",
            "GET",
            "/v1/articles/{id}/claims",
            None,
            "article",
            pgbench.article_claims_script(),
        ),
        "list_claims": Scenario(
            "list_claims",
            "GET",
            "/v1/claims?status=verified&limit=50",
            None,
            None,
            pgbench.list_claims_script(),
        ),
        "verify": Scenario(
            "verify", "POST", "/v1/claims/{id}/verifications", verify_body, "claim", pgbench.verify_script()
        ),
    }


def _machine() -> dict[str, Any]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    pg = subprocess.run(["pgbench", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    cores = os.cpu_count() or 0
    return {
        "cpus": cores,
        "cpu_model": cpu,
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "pgbench": pg,
        "summary": f"{cores} cores, {memory:.0f} GiB",
    }


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


def _say(text: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {text}", flush=True)


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes are claim counts separated by commas, got {text!r}"
        ) from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("give at least one positive size")
    return sizes


def _counts(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()})


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure the API (wrk) against pgbench running the same SQL; see bench/README.md.",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or database.DEFAULT_SERVER,
        help="the PostgreSQL server to use (its database part is ignored); default DATABASE_URL",
    )
    parser.add_argument("--database-name", default="claimtrack_bench", help="prefix of the bench's databases")
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=[10_000, 1_000_000],
        help="claims per database (default 10000,1000000)",
    )
    parser.add_argument("--claims-per-article", type=int, default=20)
    parser.add_argument("--sources-per-claim", type=int, default=2)
    parser.add_argument("--connections", type=_counts, default=[1, 16, 64], help="for claims of one article")
    parser.add_argument("--duration", type=int, default=12, help="seconds of each measured run (default 12)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before each measured run")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes (default 2)")
    parser.add_argument("--recreate", action="store_true", help="drop and fill the bench databases again")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--profile", action="store_true", help="also sample the API's workers with py-spy and EXPLAIN its SQL"
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="where results go (default bench/results)"
    )
    return parser.parse_args(argv)


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.scenarios = scenarios()
        self.runs: list[dict[str, Any]] = []

    def measure_api(self, size: int, server: http.Server, token: str, name: str, connections: int) -> None:
        """A warm-up and a measured wrk run; pgbench follows once the API has been stopped."""
        scenario, args = self.scenarios[name], self.args
        ids = self.workdir / f"{scenario.ids}_ids.txt" if scenario.ids else None

        def load(seconds: int) -> pgbench.Measurement:
            return http.run_wrk(
                server.base_url,
                token,
                connections,
                seconds,
                ids,
                scenario.method,
                scenario.path,
                scenario.body,
            )

        _say(f"API: {name}, {connections} connection(s), {size:,} claims")
        if args.warmup:
            load(args.warmup)
        measured = load(args.duration)
        _say(
            f"  {measured.per_second:.0f}/s p50 {measured.p50_ms:.2f} ms p99 {measured.p99_ms:.2f} ms,"
            f" {measured.errors} errors"
        )
        self.runs.append(
            {"scenario": name, "claims": size, "connections": connections, "api": measured.as_dict()}
        )

    def measure_pgbench(self, size: int, database_url: str, defines: dict[str, str]) -> None:
        """The same scenarios through pgbench; the API's pooled connections are closed by now."""
        args = self.args
        for run in self.runs:
            if run["claims"] != size or "pgbench" in run:
                continue
            scenario, connections = self.scenarios[run["scenario"]], run["connections"]
            values = {**defines, "id_count": defines[f"{scenario.ids}_count"] if scenario.ids else "1"}
            # list_claims passes its status filter as a parameter, as the API does.
            values["status"] = "verified" if scenario.name == "list_claims" else "in_review"

            def load(
                seconds: int,
                scenario: Scenario = scenario,
                clients: int = connections,
                values: dict[str, str] = values,
            ) -> pgbench.Measurement:
                return pgbench.run(
                    asyncpg_dsn(database_url),
                    scenario.script,
                    clients,
                    seconds,
                    values,
                    self.workdir,
                    scenario.name,
                )

            _say(f"pgbench: {scenario.name}, {connections} connection(s), {size:,} claims")
            if args.warmup:
                load(args.warmup)
            measured = load(args.duration)
            ratio = run["api"]["per_second"] / measured.per_second if measured.per_second else float("nan")
            _say(
                f"  {measured.per_second:.0f}/s p50 {measured.p50_ms:.2f} ms p99 {measured.p99_ms:.2f} ms,"
                f" {measured.errors} errors; API ÷ pgbench {ratio:.2f}"
            )
            run["pgbench"] = measured.as_dict()
            run["ratio"] = round(ratio, 3)


def _smoke(server: http.Server, token: str, scenarios: dict[str, Scenario], article: str, claim: str) -> None:
    """Each request the load sends, once: a bench that measures 401s or 404s measures nothing."""
    for scenario, want in (("article_claims", 200), ("list_claims", 200), ("verify", 201)):
        s = scenarios[scenario]
        path = s.path.replace("{id}", article if s.ids == "article" else claim)
        status, body = http.request(
            server.base_url, s.method, path, token, s.body.encode() if s.body else None
        )
        if status != want:
            raise SystemExit(f"{s.method} {path} answered {status}, not {want}: {body[:500]!r}")


def run_size(bench: Bench, size: int, main: bool, extras: dict[str, Any]) -> None:
    args = bench.args
    db = database.prepare(
        args.database_url,
        args.database_name,
        size,
        args.claims_per_article,
        args.sources_per_claim,
        recreate=args.recreate,
        seed=args.seed,
        say=_say,
    )
    if db.generated_seconds is not None:
        _say(f"  loaded in {db.generated_seconds:.0f} s")
        extras.setdefault("generated_seconds", {})[str(db.claims)] = round(db.generated_seconds, 1)
    _, _, article_id, claim_id = database.sample_ids(db.url, ID_SAMPLE, ID_SAMPLE, bench.workdir)
    key_name = f"bench-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    token = http.create_key(db.url, key_name)
    try:
        asyncio.run(check_statements(db.url, article_id, claim_id, key_name))
        log = bench.workdir / f"serve-{size}.log"
        with http.serve(db.url, args.workers, log) as server:
            _smoke(server, token, bench.scenarios, str(article_id), str(claim_id))
            plan: list[tuple[str, int]] = [("article_claims", 1)]
            if main:
                plan = [("article_claims", c) for c in args.connections]
                plan += [("list_claims", 1), ("list_claims", 16), ("verify", 16)]
            for name, connections in plan:
                bench.measure_api(size, server, token, name, connections)
            if main and args.profile:
                _say("profiling the workers (py-spy) under claims of one article, 16 connections")
                scenario = bench.scenarios["article_claims"]
                ids = bench.workdir / "article_ids.txt"
                summary = profile.record(
                    server.worker_pids(),
                    args.duration,
                    bench.workdir,
                    lambda: http.run_wrk(
                        server.base_url, token, 16, args.duration, ids, scenario.method, scenario.path
                    ),
                )
                extras["profile"] = summary.read_text()
        defines = {
            "article_count": str(database.count(db.url, "article")),
            "claim_count": str(database.count(db.url, "claim")),
            "note": VERIFY_NOTE,
            "actor": key_name,
            "limit": "51",
            "order": "updated_at",
        }
        bench.measure_pgbench(size, db.url, defines)
        if main and args.profile:
            extras["explain"] = profile.explain(db.url, article_id, claim_id, key_name, VERIFY_NOTE)
    finally:
        http.revoke_key(db.url, key_name)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    http.require_wrk()
    if shutil.which("pgbench") is None:
        raise SystemExit(
            "pgbench is not installed; on Debian or Ubuntu: apt-get install -y postgresql-client"
        )
    started = datetime.now(UTC)
    stamp = f"{started:%Y%m%dT%H%M%SZ}"
    began = time.perf_counter()
    load_before = os.getloadavg()
    extras: dict[str, Any] = {}
    failure: BaseException | None = None
    with tempfile.TemporaryDirectory(prefix="claimtrack-bench-") as tmp:
        bench = Bench(args, Path(tmp))
        try:
            for size in args.sizes:
                run_size(bench, size, size == args.sizes[-1], extras)
        except (Exception, KeyboardInterrupt) as exc:
            # What was measured before the failure is still written, marked as incomplete.
            failure = exc
            if not bench.runs:
                raise
    results: dict[str, Any] = {
        "started_at": started.isoformat(),
        "seconds": round(time.perf_counter() - began),
        "commit": _commit(),
        "machine": {**_machine(), "load_before": load_before, "load_after": os.getloadavg()},
        "settings": {
            "sizes": args.sizes,
            "claims_per_article": args.claims_per_article,
            "sources_per_claim": args.sources_per_claim,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "api_workers": args.workers,
        },
        "sizes": args.sizes,
        "main_size": args.sizes[-1],
        "runs": bench.runs,
        **{k: v for k, v in extras.items() if k == "generated_seconds"},
    }
    if failure is not None:
        results["incomplete"] = f"{type(failure).__name__}: {failure}"
    results["goals"] = report.judge(results)
    json_path, chart = report.write(results, args.output, stamp)
    if "profile" in extras or "explain" in extras:
        (args.output / f"{stamp}-profile.txt").write_text(
            extras.get("profile", "") + "\n\n" + extras.get("explain", ""), encoding="utf-8"
        )
    print()
    print(report.table(results))
    print(f"\nresults: {json_path}\nchart:   {chart}")
    if "profile" in extras:
        print(f"profile: {args.output / f'{stamp}-profile.txt'}")
    if failure is not None:
        raise failure
    return 0


if __name__ == "__main__":
    sys.exit(main())
