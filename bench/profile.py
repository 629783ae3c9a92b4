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

from api.claims import service as claims
from api.settings import asyncpg_dsn

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


async def _explain(url: str, article_id: UUID, claim_id: UUID, actor: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    out: list[str] = []

    async def explain(name: str, arguments: str, warm: int) -> None:
        await conn.execute(f"PREPARE bench_{name} AS {claims.Q[name]}")
        # After five executions PostgreSQL may switch to the generic plan, as the API's do.
        for _ in range(warm):
            await conn.execute(f"EXECUTE bench_{name}({arguments})")
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_{name}({arguments})")
        out.append(f"-- {name}({arguments})\n" + "\n".join(r[0] for r in rows) + "\n")

    try:
        await explain("article_claims", f"'{article_id}', NULL, NULL, NULL, NULL, NULL", 6)
        await explain("list_claims", "'verified', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 51", 6)
        async with conn.transaction():
            row = await conn.fetchrow(claims.Q["claim_for_update"], claim_id)
            await explain("claim_links", f"'{claim_id}'", 6)
            await explain("set_claim_status", f"'{claim_id}', 'in_review', NULL, NULL, NULL, '{actor}'", 0)
            await explain(
                "insert_verification",
                f"'{claim_id}', '{row['article_id']}', 'in_review', '{row['status']}', NULL, NULL,"
                f" 'explain', '[]', '{actor}', {row['version'] + 1}",
                0,
            )
            await explain("claim_document", f"'{claim_id}'", 6)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        await conn.close()
    return "\n".join(out)


class _Rollback(Exception):
    pass


def explain(url: str, article_id: UUID, claim_id: UUID, actor: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement the benchmarked requests run (writes rolled back)."""
    return asyncio.run(_explain(url, article_id, claim_id, actor))
