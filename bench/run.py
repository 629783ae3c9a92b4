"""`python -m bench`: the API against the limit, what PostgreSQL alone needs to give the same bytes.

For each data size: a database of its own (made by bench.generate the first time), a fresh
API key, `claimtrack serve` with its own defaults, then for each scenario and connection count a
warm-up and a measured wrk run, and afterwards pgbench with the limit statement and with the
statements the API runs. At the largest size the earlier commit ("before") is served too, from
a worktree of its own against a copy of the same data in its schema, alternating with this
checkout ("after") and with this checkout without its access log, round after round. The
smaller sizes only run claims of one article at 1 connection, for the p50-by-size goal.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.cli import serve_workers
from api.settings import asyncpg_dsn
from bench import checkouts, database, http, pgbench, profile, report
from bench.check import VERIFY_NOTE, check_limit, check_statements
from bench.checkouts import Checkout

RESULTS = Path(__file__).with_name("results")
ID_SAMPLE = 10_000  # articles and claims the load picks from

# The servers a run can start: this checkout as a newcomer's `make serve` starts it, the same
# without its access log (the one setting the bench ever changes, for that comparison only),
# and the earlier commit with the settings this checkout picks by itself.
AFTER, AFTER_NO_ACCESS_LOG, BEFORE = "after", "after, access log off", "before"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    method: str
    path: str
    body: str | None
    ids: str | None  # "article" or "claim": the kind of id put in place of {id}
    scripts: dict[str, str]  # pgbench scripts: "limit" and/or "api" (the API's own statements)


def scenarios() -> dict[str, Scenario]:
    verify_body = json.dumps({"status": "in_review", "note": VERIFY_NOTE})
    return {
        "article_claims": Scenario(
            "article_claims",
            "GET",
            "/v1/articles/{id}/claims",
            None,
            "article",
            {"limit": pgbench.limit_article_claims_script(), "api": pgbench.article_claims_script()},
        ),
        "list_claims": Scenario(
            "list_claims",
            "GET",
            "/v1/claims?status=verified&limit=50",
            None,
            None,
            {"api": pgbench.list_claims_script()},
        ),
        "verify": Scenario(
            "verify",
            "POST",
            "/v1/claims/{id}/verifications",
            verify_body,
            "claim",
            {"api": pgbench.verify_script()},
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


def _say(text: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {text}", flush=True)


def _load() -> float:
    return os.getloadavg()[0]


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
        description="Measure the API (wrk) against the limit (pgbench), and against an earlier commit;"
        " see bench/README.md.",
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
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds of before, after, after without access log (default 2)"
    )
    parser.add_argument(
        "--before",
        default=checkouts.BEFORE,
        help=f"the commit to compare with (default {checkouts.BEFORE}); 'none' to skip the comparison",
    )
    parser.add_argument(
        "--before-dir",
        type=Path,
        default=checkouts.BEFORE_DIR,
        help="where its worktree and venv are kept (default bench/.before)",
    )
    parser.add_argument("--recreate", action="store_true", help="drop and fill the bench databases again")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--profile", action="store_true", help="also sample the API's workers with py-spy and EXPLAIN its SQL"
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="where results go (default bench/results)"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


@dataclass(slots=True)
class Target:
    """One server setup: the checkout, its database, its key and the settings it is started with."""

    label: str
    checkout: Checkout
    database_url: str
    settings: dict[str, str]
    key_name: str = ""
    token: str = ""


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.scenarios = scenarios()
        self.runs: list[dict[str, Any]] = []  # one per measured wrk run
        self.pgbench: list[dict[str, Any]] = []  # one per measured pgbench run
        self.servers: list[dict[str, Any]] = []  # one per server started: workers, their memory
        self.checks: dict[str, str] = {}
        self.first_ids = ("", "")  # an article and a claim of the sample, for the requests sent once

    @contextmanager
    def serve(self, target: Target, size: int) -> Iterator[http.Server]:
        log = self.workdir / f"serve-{target.checkout.name}-{size}.log"
        with http.serve(target.checkout, target.database_url, log, target.settings) as server:
            self._smoke(server, target)
            if target.label == AFTER and str(size) not in self.checks:
                compared = check_limit(target.database_url, server.base_url, target.token)
                self.checks[str(size)] = (
                    f"the limit statement's bytes = the endpoint's body for {compared} articles"
                )
            record: dict[str, Any] = {"server": target.label, "claims": size, "settings": target.settings}
            record["workers"] = len(server.worker_pids())
            try:
                yield server
            finally:
                # Read before the server stops: the workers' memory after everything they served.
                record["worker_rss_mb"] = server.worker_rss_mb()
                self.servers.append(record)

    def _smoke(self, server: http.Server, target: Target) -> None:
        """Each request the load sends, once: a bench that measures 401s or 404s measures nothing."""
        article, claim = self.first_ids
        for name, want in (("article_claims", 200), ("list_claims", 200), ("verify", 201)):
            s = self.scenarios[name]
            path = s.path.replace("{id}", article if s.ids == "article" else claim)
            status, body = http.request(
                server.base_url, s.method, path, target.token, s.body.encode() if s.body else None
            )
            if status != want:
                raise SystemExit(
                    f"{target.label}: {s.method} {path} answered {status}, not {want}: {body[:500]!r}"
                )

    def measure_api(
        self, size: int, server: http.Server, target: Target, name: str, connections: int, round_: int
    ) -> None:
        """A warm-up and a measured wrk run."""
        scenario, args = self.scenarios[name], self.args
        ids = self.workdir / f"{scenario.ids}_ids.txt" if scenario.ids else None

        def load(seconds: int) -> pgbench.Measurement:
            return http.run_wrk(
                server.base_url,
                target.token,
                connections,
                seconds,
                ids,
                scenario.method,
                scenario.path,
                scenario.body,
            )

        _say(f"API ({target.label}): {name}, {connections} connection(s), {size:,} claims")
        if args.warmup:
            load(args.warmup)
        load_at_start = _load()
        # CPU time per request, of the workers and of the database's processes serving their
        # pool: less moved by other work on the machine than the throughput.
        workers = server.worker_cpu()
        backends = http.cpu_seconds(database.backend_pids(target.database_url))
        measured = load(args.duration)
        api = measured.as_dict()
        if measured.requests:
            workers_after = server.worker_cpu()
            backends_after = http.cpu_seconds(database.backend_pids(target.database_url))
            used = sum(t - workers.get(pid, 0.0) for pid, t in workers_after.items())
            api["worker_cpu_ms"] = round(1000 * used / measured.requests, 4)
            # A backend the pool opened during the run used all of its time in the run.
            used = sum(t - backends.get(pid, 0.0) for pid, t in backends_after.items())
            api["database_cpu_ms"] = round(1000 * used / measured.requests, 4)
        _say(
            f"  {measured.per_second:.0f}/s p50 {measured.p50_ms:.2f} ms p99 {measured.p99_ms:.2f} ms,"
            f" {measured.errors} errors; CPU per request: workers {api.get('worker_cpu_ms', 0):.3f} ms,"
            f" database {api.get('database_cpu_ms', 0):.3f} ms (load {load_at_start:.2f})"
        )
        self.runs.append(
            {
                "scenario": name,
                "claims": size,
                "connections": connections,
                "server": target.label,
                "round": round_,
                "api": api,
                "load": [round(load_at_start, 2), round(_load(), 2)],
            }
        )

    def measure_pgbench(
        self, size: int, database_url: str, defines: dict[str, str], plan: list[tuple[str, str, int]]
    ) -> None:
        """pgbench runs (scenario, script, clients), once no API holds pooled connections."""
        args = self.args
        for name, which, clients in plan:
            scenario = self.scenarios[name]
            values = {**defines, "id_count": defines[f"{scenario.ids}_count"] if scenario.ids else "1"}
            # list_claims passes its status filter as a parameter, as the API does.
            values["status"] = "verified" if name == "list_claims" else "in_review"

            def load(
                seconds: int,
                script: str = scenario.scripts[which],
                label: str = f"{name}-{which}",
                clients: int = clients,
                values: dict[str, str] = values,
            ) -> pgbench.Measurement:
                dsn = asyncpg_dsn(database_url)
                return pgbench.run(dsn, script, clients, seconds, values, self.workdir, label)

            _say(f"pgbench ({which}): {name}, {clients} connection(s), {size:,} claims")
            if args.warmup:
                load(args.warmup)
            load_at_start = _load()
            measured = load(args.duration)
            _say(
                f"  {measured.per_second:.0f}/s p50 {measured.p50_ms:.2f} ms p99 {measured.p99_ms:.2f} ms,"
                f" {measured.errors} errors (load {load_at_start:.2f})"
            )
            self.pgbench.append(
                {
                    "scenario": name,
                    "statement": which,
                    "claims": size,
                    "connections": clients,
                    "pgbench": measured.as_dict(),
                    "load": [round(load_at_start, 2), round(_load(), 2)],
                }
            )


def _key_name(label: str) -> str:
    """A key name of its own for each server: "after" and "after, no access log" are made in
    the same second on a quick machine."""
    slug = "-".join(re.findall(r"[a-z0-9]+", label.lower()))
    return f"bench-{slug}-{datetime.now(UTC):%Y%m%dT%H%M%S}"


def run_size(
    bench: Bench, size: int, main: bool, after: Checkout, before: Checkout | None, extras: dict[str, Any]
) -> None:
    args = bench.args
    db = database.prepare(
        args.database_url,
        args.database_name,
        size,
        args.claims_per_article,
        args.sources_per_claim,
        migrations=after.migrations_fingerprint(),
        load_revision=checkouts.head_revision(before) if before is not None else None,
        recreate=args.recreate,
        seed=args.seed,
        say=_say,
    )
    if db.generated_seconds is not None:
        _say(f"  loaded in {db.generated_seconds:.0f} s")
        extras.setdefault("generated_seconds", {})[str(db.claims)] = round(db.generated_seconds, 1)
    targets = [Target(AFTER, after, db.url, {})]
    if main:
        # The one setting changed, for the access log's cost alone.
        targets.append(Target(AFTER_NO_ACCESS_LOG, after, db.url, {"ACCESS_LOG": "0"}))
    if main and before is not None and db.before_url is not None:
        # The settings this checkout picks by itself, given to the earlier commit, whose own
        # default was one worker: the comparison is of the code, not of a default.
        workers = str(serve_workers(0))
        targets.append(Target(BEFORE, before, db.before_url, {"WORKERS": workers}))
    _, _, article_id, claim_id = database.sample_ids(db.url, ID_SAMPLE, ID_SAMPLE, bench.workdir)
    bench.first_ids = (str(article_id), str(claim_id))
    for target in targets:
        # The earlier commit's key is made by its own CLI, which knows its schema.
        target.key_name = _key_name(target.label)
        target.token = http.create_key(target.checkout, target.database_url, target.key_name)
    try:
        after_target = targets[0]
        asyncio.run(check_statements(db.url, article_id, claim_id, after_target.key_name))
        if main:
            run_main(bench, size, targets, extras)
        else:
            with bench.serve(after_target, size) as server:
                bench.measure_api(size, server, after_target, "article_claims", 1, 0)
        defines = {
            "article_count": str(database.count(db.url, "article")),
            "claim_count": str(database.count(db.url, "claim")),
            "note": VERIFY_NOTE,
            "actor": after_target.key_name,
            "limit": "51",
            "order": "updated_at",
        }
        if main:
            plan = [("article_claims", which, c) for which in ("limit", "api") for c in args.connections]
            plan += [("list_claims", "api", 1), ("list_claims", "api", 16), ("verify", "api", 16)]
        else:
            plan = [("article_claims", "limit", 1), ("article_claims", "api", 1)]
        bench.measure_pgbench(size, db.url, defines, plan)
        if main and args.profile:
            extras["explain"] = profile.explain(
                db.url, article_id, claim_id, after_target.key_name, VERIFY_NOTE
            )
    finally:
        for target in targets:
            http.revoke_key(target.checkout, target.database_url, target.key_name)


def run_main(bench: Bench, size: int, targets: list[Target], extras: dict[str, Any]) -> None:
    """Round after round: before, after, after without access log, each measured the same way;
    the other scenarios once, on this checkout, in the last round."""
    args = bench.args
    by_label = {t.label: t for t in targets}
    order = [label for label in (BEFORE, AFTER, AFTER_NO_ACCESS_LOG) if label in by_label]
    compared = {
        BEFORE: [("article_claims", 16), ("verify", 16)],
        AFTER: [("article_claims", 16), ("verify", 16)],
        AFTER_NO_ACCESS_LOG: [("article_claims", 16)],
    }
    for round_ in range(args.rounds):
        for label in order:
            target = by_label[label]
            plan = list(compared[label])
            if label == AFTER and round_ == args.rounds - 1:
                plan += [("article_claims", c) for c in args.connections if c != 16]
                plan += [("list_claims", 1), ("list_claims", 16)]
            with bench.serve(target, size) as server:
                for name, connections in plan:
                    bench.measure_api(size, server, target, name, connections, round_)
                if label == AFTER and round_ == args.rounds - 1 and args.profile:
                    _say("profiling the workers (py-spy) under claims of one article, 16 connections")
                    scenario = bench.scenarios["article_claims"]
                    ids = bench.workdir / "article_ids.txt"
                    summary = profile.record(
                        server.worker_pids(),
                        args.duration,
                        bench.workdir,
                        functools.partial(
                            http.run_wrk,
                            server.base_url,
                            target.token,
                            16,
                            args.duration,
                            ids,
                            scenario.method,
                            scenario.path,
                        ),
                    )
                    extras["profile"] = summary.read_text()


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
    after = checkouts.current()
    before = None if args.before == "none" else checkouts.before(args.before, args.before_dir.resolve(), _say)
    extras: dict[str, Any] = {}
    failure: BaseException | None = None
    with tempfile.TemporaryDirectory(prefix="claimtrack-bench-") as tmp:
        bench = Bench(args, Path(tmp))
        try:
            for size in args.sizes:
                run_size(bench, size, size == args.sizes[-1], after, before, extras)
        except (Exception, KeyboardInterrupt) as exc:
            # What was measured before the failure is still written, marked as incomplete.
            failure = exc
            if not bench.runs:
                raise
    loads = [value for run in bench.runs + bench.pgbench for value in run["load"]]
    results: dict[str, Any] = {
        "started_at": started.isoformat(),
        "seconds": round(time.perf_counter() - began),
        "commit": after.commit,
        "before_commit": before.commit if before else None,
        "machine": {
            **_machine(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "load_during": [min(loads), max(loads)] if loads else None,
        },
        "settings": {
            "sizes": args.sizes,
            "claims_per_article": args.claims_per_article,
            "sources_per_claim": args.sources_per_claim,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
        },
        "sizes": args.sizes,
        "main_size": args.sizes[-1],
        "checks": bench.checks,
        "servers": bench.servers,
        "runs": bench.runs,
        "pgbench": bench.pgbench,
        **{k: v for k, v in extras.items() if k == "generated_seconds"},
    }
    if failure is not None:
        results["incomplete"] = f"{type(failure).__name__}: {failure}"
    results["summary"] = report.summarise(results)
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
