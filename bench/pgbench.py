"""pgbench scripts: the limit (the cheapest statement that gives the bytes the API sends), the
very SQL the API runs, and a runner that measures them.

The statements come from the features' queries.sql files, read by ``api.db.Queries`` as the
services read them, with ``$1``.. replaced by pgbench variables. pgbench sends every
variable as a text parameter and cannot send a NULL one (a NULL variable goes out as the
string 'NULL'), so a parameter the API sends as NULL is written as the literal ``NULL``; its
cast stays in the SQL, so types resolve as before.

Each script picks its id at random from ``bench_ids`` (a helper table the bench fills with
the same ids the HTTP load picks from) inside its first statement, where the API passes the id
as ``$1``: ``(SELECT id FROM bench_ids WHERE kind = 'article' AND n = :n)``, one primary-key
lookup in a table of 20,000 rows (a few microseconds), and no round trip the API does not make.
"""

from __future__ import annotations

import functools
import math
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from api import db
from api.db import Queries
from api.search import service as search

_PARAMETER = re.compile(r"\$(\d+)\b")
API_DIR = Path(db.__file__).parent


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a request, its $1.. as pgbench sees them, and the \\gset prefix when a
    later statement needs its row. ``query`` is ``feature.name`` for a block of
    api/<feature>/queries.sql, or else the SQL itself (BEGIN, COMMIT, SET LOCAL ...);
    ``composed`` gives the SQL when the service builds it from blocks."""

    query: str
    arguments: tuple[str, ...] = ()
    gset: str | None = None
    composed: Callable[[], str] | None = None


def _nulls(n: int) -> tuple[str, ...]:
    return ("NULL",) * n


# The limit for GET /v1/articles/{id}/claims: the least PostgreSQL can do to give the bytes of
# the "items" array the API sends, the article's stored documents joined in their order (one
# range scan of claim_documents_text_order_idx by article; its ORDER BY is claim_text_order's
# order spelled out, which needs no function call per row). bench.check compares them with the endpoint's
# body. This is what the API is measured against: nothing heavier may stand in for it.
LIMIT_ARTICLE_CLAIMS_SQL = """\
SELECT string_agg(doc::text, ',' ORDER BY span_start IS NULL, span_start, span_end, id)
FROM claim_documents WHERE article_id = $1"""
LIMIT_ARTICLE_CLAIMS = (Statement(LIMIT_ARTICLE_CLAIMS_SQL, (":id",)),)

# What each benchmarked request runs, in order; bench.check runs the real service functions
# and stops the bench when they run anything else, or pass NULL where these do not.
# GET /v1/articles/{id}/claims: api.claims.service.all_of_article (no cursor, no limit).
ARTICLE_CLAIMS = (Statement("claims.article_claims", (":id", *_nulls(5))),)
# GET /v1/claims?status=verified&limit=50: api.search.service.find_claims, newest first, one
# row more than the page to know whether another follows.
LIST_CLAIMS = (
    Statement("BEGIN READ ONLY"),
    Statement("SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL jit = off"),
    Statement(
        "search.claims_by_time",
        (":status", *_nulls(6), ":order", *_nulls(2), ":limit"),
        composed=lambda: search.statement("claims_by_time"),
    ),
    Statement("COMMIT"),
)
# POST /v1/claims/{id}/verifications {"status": "in_review", "note": ...}, no links sent:
# api.claims.service.verify, its events (verification.created, claim.updated) included.
# The claim's id comes from the locked row (:c_id) after the first statement, which picks it.
VERIFY = (
    Statement("BEGIN"),
    Statement("claims.claim_for_update", (":id",), "c_"),
    Statement(
        "claims.record_verification",
        (":c_id", ":status", *_nulls(3), ":actor", ":c_status", ":note"),
        "v_",
    ),
    # No links changed: empty arrays of source ids and of "is new".
    Statement("claims.finish_verification", (":c_id", ":v_verification_document", "'{}'", "'{}'")),
    Statement("COMMIT"),
)
_BLOCK = re.compile(r"[a-z_]+\.[a-z_0-9]+")


@functools.cache
def queries(feature: str) -> Queries:
    return Queries(API_DIR / feature / "queries.sql")


def sql(s: Statement) -> str:
    """The SQL the service sends for this statement."""
    if s.composed is not None:
        return s.composed()
    if _BLOCK.fullmatch(s.query):
        feature, _, name = s.query.partition(".")
        return queries(feature)[name]
    return s.query


_COMMENT_OR_STRING = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)


def without_comments(text: str) -> str:
    """The SQL without its comments, which pgbench would scan for :variables too."""
    kept = _COMMENT_OR_STRING.sub(lambda m: m[0] if m[0].startswith("'") else "", text)
    return "\n".join(line for line in kept.splitlines() if line.strip())


def statement(s: Statement, arguments: Sequence[str] | None = None) -> str:
    """The statement with its parameters replaced by ``arguments`` (default: the pgbench
    variables it lists); fails when the query's parameters changed."""
    arguments = s.arguments if arguments is None else arguments
    text = without_comments(sql(s))
    used = {int(n) for n in _PARAMETER.findall(text)}
    if used != set(range(1, len(arguments) + 1)):
        raise RuntimeError(
            f"query {s.query} takes parameters {sorted(used)}, the bench passes {len(arguments)}: "
            "update bench/pgbench.py to match the queries.sql"
        )
    return _PARAMETER.sub(lambda m: arguments[int(m[1]) - 1], text)


def pick(kind: str) -> str:
    """The SQL that draws an id of ``kind`` at random from bench_ids, in place of ``$1``."""
    return f"(SELECT id FROM bench_ids WHERE kind = '{kind}' AND n = :n)"


def script(statements: Sequence[Statement], kind: str | None = None) -> str:
    """A pgbench script; with ``kind``, the argument ``:id`` is an id of that kind drawn at
    random from bench_ids within the statement that takes it."""
    parts = ["\\set n random(1, :id_count)\n"] if kind else []
    for s in statements:
        arguments = [pick(kind) if kind and a == ":id" else a for a in s.arguments]
        text = statement(s, arguments)
        parts.append(text + (f"\n\\gset {s.gset}\n" if s.gset else ";\n"))
    return "".join(parts)


def limit_article_claims_script() -> str:
    return script(LIMIT_ARTICLE_CLAIMS, "article")


def article_claims_script() -> str:
    return script(ARTICLE_CLAIMS, "article")


def list_claims_script() -> str:
    return script(LIST_CLAIMS)


def verify_script() -> str:
    return script(VERIFY, "claim")


@dataclass(frozen=True, slots=True)
class Measurement:
    """One load run: throughput, latency percentiles in milliseconds, failed requests."""

    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "errors": self.errors,
        }


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of values sorted ascending."""
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values), max(1, math.ceil(fraction * len(sorted_values))))
    return sorted_values[rank - 1]


def run(
    dsn: str,
    script: str,
    clients: int,
    seconds: int,
    defines: dict[str, str],
    workdir: Path,
    name: str,
    threads: int = 2,
) -> Measurement:
    """Run pgbench -M prepared with one script; latencies come from its per-transaction log."""
    script_path = workdir / f"{name}.sql"
    script_path.write_text(script, encoding="utf-8")
    prefix = workdir / f"pgbench-{name}-{clients}-{time.monotonic_ns()}"
    command = ["pgbench", "--no-vacuum", "--protocol=prepared", f"--client={clients}"]
    command += [f"--jobs={min(clients, threads)}", f"--time={seconds}", f"--file={script_path}"]
    command += ["--log", f"--log-prefix={prefix}"]
    for key, value in defines.items():
        command += ["--define", f"{key}={value}"]
    done = subprocess.run([*command, dsn], capture_output=True, text=True, check=False)
    out = done.stdout + done.stderr
    aborted = len(re.findall(r"^client \d+ aborted", out, re.M))
    failed = re.search(r"number of failed transactions: (\d+)", out)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if tps is None:
        raise RuntimeError(f"pgbench failed ({done.returncode}):\n{out[-3000:]}")
    latencies: list[float] = []
    for log in workdir.glob(f"{prefix.name}.*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[2].isdigit():
                latencies.append(int(fields[2]) / 1000)
        log.unlink()
    latencies.sort()
    return Measurement(
        requests=len(latencies),
        seconds=float(seconds),
        per_second=float(tps.group(1)),
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        errors=aborted + (int(failed.group(1)) if failed else 0),
    )
