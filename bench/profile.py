"""Where the time goes: py-spy on the API's workers under load, EXPLAIN ANALYZE of its statements."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import asyncpg

from api.settings import asyncpg_dsn
from bench import pgbench

# Leaf frames are charged to the first of these found in their file's path.
PACKAGES = (
    ("asyncpg", "asyncpg"),
    ("msgspec", "msgspec"),
    ("litestar", "litestar"),
    ("uvicorn", "uvicorn"),
    ("httptools", "httptools"),
    ("asyncio", "asyncio"),
    ("api/", "api (claimtrack)"),
    ("schemas/", "schemas (claimtrack)"),
)


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pids: list[int], seconds: int, out_dir: Path, load: Callable[[], object]) -> Path:
    """Sample the workers while ``load`` runs; a summary of where their CPU time went."""
    spy = py_spy()
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install py-spy")
    raws = [out_dir / f"py-spy-{pid}.txt" for pid in pids]
    samplers = [
        subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250", "--nonblocking",
             "--format", "raw", "--output", str(raw)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid, raw in zip(pids, raws, strict=True)
    ]  # fmt: skip
    try:
        load()
    finally:
        for sampler in samplers:
            sampler.wait(timeout=seconds + 30)
    summary = out_dir / "profile.txt"
    summary.write_text(summarise([r for r in raws if r.exists()]), encoding="utf-8")
    return summary


def _frame_package(frame: str) -> str:
    for needle, name in PACKAGES:
        if needle in frame:
            return name
    return "other (stdlib, interpreter)"


def summarise(raws: list[Path], top: int = 30) -> str:
    """Self time by package and by function, inclusive time by function, from py-spy raw stacks."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for raw in raws:
        for line in raw.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            samples = int(count_text)
            frames = stack.split(";")
            total += samples
            self_time[frames[-1]] += samples
            packages[_frame_package(frames[-1])] += samples
            for frame in set(frames):
                inclusive[frame] += samples
    if not total:
        return "no samples (py-spy needs ptrace: run as root or with CAP_SYS_PTRACE)\n"

    def table(counter: Counter[str], n: int) -> str:
        return "".join(f"{100 * c / total:6.1f}%  {name}\n" for name, c in counter.most_common(n))

    return (
        f"{total} samples from {len(raws)} worker(s); CPU time only"
        " (a worker waiting in epoll is not sampled)\n\n"
        f"self time by package\n{table(packages, 20)}\n"
        f"self time by function\n{table(self_time, top)}\n"
        f"inclusive time by function\n{table(inclusive, top)}"
    )


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


async def _explain(url: str, article_id: UUID, claim_id: UUID, actor: str, note: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    out: list[str] = []
    try:
        values = {
            ":order": _literal("updated_at"),
            ":limit": "51",
            ":actor": _literal(actor),
            ":note": _literal(note),
        }
        requests = (
            (
                "the limit for GET /v1/articles/{id}/claims",
                pgbench.LIMIT_ARTICLE_CLAIMS,
                article_id,
                "verified",
            ),
            ("GET /v1/articles/{id}/claims", pgbench.ARTICLE_CLAIMS, article_id, "verified"),
            ("GET /v1/claims?status=verified&limit=50", pgbench.LIST_CLAIMS, None, "verified"),
            ("POST /v1/claims/{id}/verifications", pgbench.VERIFY, claim_id, "in_review"),
        )
        for title, statements, id_, status in requests:
            given = {**values, ":id": _literal(id_), ":status": _literal(status), "NULL": "NULL"}
            # Each request's statements in one transaction, rolled back: the writes leave nothing.
            transaction = conn.transaction()
            await transaction.start()
            try:
                executed = [s for s in statements if s.arguments or s.query.upper().startswith("SET ")]
                # Once without EXPLAIN first, undone: a fresh session's first call of a trigger
                # function or a text search dictionary costs milliseconds the API's sessions,
                # long warm, never pay. This run also gives the values a statement takes from
                # an earlier one's row (pgbench's \gset: the locked claim's status, the history
                # row the events carry), so each statement is explained as the request runs it.
                await conn.execute("SAVEPOINT warm")
                runnable = []
                for s in executed:
                    if not s.arguments:
                        runnable.append(s.query)
                        await conn.execute(s.query)
                        continue
                    sql = pgbench.statement(s, [given.get(a, a) for a in s.arguments])
                    runnable.append(sql)
                    row = await conn.fetchrow(sql)
                    if s.gset and row is not None:
                        given.update({f":{s.gset}{k}": _literal(v) for k, v in row.items()})
                await conn.execute("ROLLBACK TO SAVEPOINT warm")
                for s, sql in zip(executed, runnable, strict=True):
                    if not s.arguments:
                        await conn.execute(sql)
                        continue
                    rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    label = s.query if pgbench.sql(s) != s.query else " ".join(s.query.split())
                    out.append(f"-- {title}: {label}\n" + "\n".join(r[0] for r in rows) + "\n")
            finally:
                await transaction.rollback()
    finally:
        await conn.close()
    return "\n".join(out)


def explain(url: str, article_id: UUID, claim_id: UUID, actor: str, note: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement of the benchmarked requests, with the values
    the API would send (as literals, so each is planned for them); writes are rolled back."""
    return asyncio.run(_explain(url, article_id, claim_id, actor, note))
