"""Every snippet of README.md and client/README.md runs, as a reader would run it.

The fenced blocks of a README are run in order against a server of their own, on a database of
their own: the `sh` blocks in one bash session (so the variables a block sets are there for the
next), each `python` block with this interpreter, in between. The API's address in them,
``http://127.0.0.1:8000``, is replaced by the test server's; ``$CLAIMTRACK_API_KEY`` holds a key
with every scope, as the one ``make serve`` prints on its first start; ``DATABASE_URL`` points
the `claimtrack` commands at the same database. curl fails on an HTTP error (``--fail-with-body``),
so a 412 or a 404 fails the run, not only a command that is not found.

A block that must not run here (`make serve`, docker-compose, apt-get, a fragment) is preceded by
``<!-- not run: why -->``; a block of output is ``text`` (or ``json``). Nothing else is skipped,
and an unmarked block that would install packages or start services fails instead of running.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from api.demo.load import load
from tests.conftest import ROOT, LiveServer, _run, create_key, new_database, settings_for

READMES = [ROOT / "README.md", ROOT / "client" / "README.md"]
RUNNABLE = {"sh", "python"}
# Fenced output and examples of documents, never run.
LANGUAGES = RUNNABLE | {"text", "json"}
# What a block must not do unmarked, here or on a CI machine: install, build, start services.
NEVER_RUN = re.compile(r"^\s*(?:sudo\s+)?(?:apt-get|apt|make|docker|docker-compose)\b|\bpip install\b", re.M)
PLACEHOLDER_URL = "http://127.0.0.1:8000"
_FENCE = re.compile(
    r"^(?P<indent> *)```(?P<language>[^\n`]*)\n(?P<code>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
_NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<reason>[^>]*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    readme: Path
    line: int
    language: str
    code: str
    not_run: str | None  # the reason, for a block marked not to run

    @property
    def where(self) -> str:
        return f"{self.readme.relative_to(ROOT)}:{self.line}"


def blocks(readme: Path) -> list[Block]:
    text = readme.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _NOT_RUN.search(before)
        indent = match.group("indent")
        code = textwrap.dedent(
            "\n".join(line.removeprefix(indent) for line in match.group("code").split("\n"))
        )
        found.append(
            Block(
                readme=readme,
                line=text.count("\n", 0, match.start()) + 1,
                language=match.group("language").strip(),
                code=code,
                not_run=marker.group("reason") if marker else None,
            )
        )
    return found


# ---------------------------------------------------------------- what the READMEs hold


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_block_says_its_language_and_runs_unless_marked(readme: Path) -> None:
    found = blocks(readme)
    assert found, f"{readme} has no code blocks"
    for block in found:
        assert block.language in LANGUAGES, f"{block.where}: a block in {block.language or 'no language'}"
        if block.not_run is not None:
            assert block.language in RUNNABLE and block.not_run, f"{block.where}: marked, but says no reason"
        elif block.language in RUNNABLE:
            refuse_to_run(block)
    # Every marker belongs to a block (a marker before prose would silently mean nothing).
    text = readme.read_text(encoding="utf-8")
    markers = re.findall(r"^<!--\s*not run:", text, re.M)
    assert len(markers) == sum(1 for b in found if b.not_run is not None)
    assert sum(1 for b in found if b.language in RUNNABLE and b.not_run is None) >= 2


def refuse_to_run(block: Block) -> None:
    """A block run unmarked holds nothing a reader fills in and installs or starts nothing."""
    for placeholder in ("ct_…", "ct_...", "=…", "<id>"):
        assert placeholder not in block.code, f"{block.where}: placeholder {placeholder!r}"
    found = NEVER_RUN.search(block.code)
    assert found is None, f"{block.where} runs {found.group().strip()!r}: mark it <!-- not run: why -->"


def script_of(readme: Path, server_url: str) -> str:
    """One bash script running the README's runnable blocks in order, announcing each on stderr."""
    lines = [
        "set -euo pipefail",
        # A reader sees an HTTP error; here it stops the run.
        'curl() { command curl --fail-with-body --show-error "$@"; }',
    ]
    for number, block in enumerate(blocks(readme), start=1):
        if block.not_run is not None or block.language not in RUNNABLE:
            continue
        refuse_to_run(block)
        code = block.code.replace(PLACEHOLDER_URL, server_url)
        lines.append(f"echo {shlex.quote(f'::block {number} {block.where}')} >&2")
        if block.language == "sh":
            lines.append(code)
        else:
            delimiter = "CLAIMTRACK_README_PYTHON"
            assert delimiter not in code
            lines.append(f"\"$README_PYTHON\" - <<'{delimiter}'\n{code}{delimiter}")
        lines.append("echo >&2")
    lines.append("echo '::done' >&2")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- running them


@dataclass
class Readers:
    server: LiveServer
    database_url: str
    token: str


@pytest.fixture(scope="module")
def readers(server_url: str) -> Iterator[Readers]:
    """A server on a database of its own, empty but for a key with every scope."""
    with new_database(server_url, "readme") as url:
        token = _run(create_key(url, "local-admin", ["read", "write", "verify", "admin"]))
        server = LiveServer(settings_for(url)).start()
        try:
            yield Readers(server, url, token)
        finally:
            server.stop()


def run_as_a_reader(readme: Path, readers: Readers, folder: Path) -> subprocess.CompletedProcess[str]:
    # The README says `.venv/bin/claimtrack`: this environment's, seen from the folder it runs in.
    (folder / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    env = {
        **os.environ,
        "DATABASE_URL": readers.database_url,
        "CLAIMTRACK_API_KEY": readers.token,
        "CLAIMTRACK_DATA_DIR": str(folder / ".claimtrack"),
        "README_PYTHON": sys.executable,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("CLAIMTRACK_API_URL", None)
    return subprocess.run(
        ["bash", "-c", script_of(readme, readers.server.url)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _explain(result: subprocess.CompletedProcess[str]) -> str:
    started = re.findall(r"^::block \d+ (\S+)$", result.stderr, re.M)
    where = started[-1] if started else "before the first block"
    return (
        f"the block at {where} failed (exit {result.returncode})\n"
        f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
    )


def test_the_readme_runs(readers: Readers, tmp_path: Path) -> None:
    result = run_as_a_reader(ROOT / "README.md", readers, tmp_path)
    assert result.returncode == 0 and "::done" in result.stderr, _explain(result)
    # What the reader was promised: the demo's disputed claim, and the claim added and verified.
    assert "demo article demo/kasachstan-ovks-2022-01-08" in result.stdout  # loaded, or there already
    assert '"status":"verified"' in result.stdout.replace(" ", "")
    assert "disputed Umstritten" in result.stdout


async def _history_rows(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM verifications")
        return count
    finally:
        await conn.close()


def test_the_readmes_python_example_changes_the_demo_once(readers: Readers, tmp_path: Path) -> None:
    """The main README's Python example says what it changes, and a second run changes nothing."""
    [example] = [
        b for b in blocks(ROOT / "README.md") if b.language == "python" and "submit_verification" in b.code
    ]
    code = example.code.replace(PLACEHOLDER_URL, readers.server.url)
    env = {**os.environ, "CLAIMTRACK_API_KEY": readers.token, "PYTHONPATH": str(ROOT)}

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    _run(load(settings_for(readers.database_url, pool_max_size=2), readers.database_url))
    run()  # in review now, whether by this run or by the README's run before
    rows = _run(_history_rows(readers.database_url))
    again = run()
    assert "nothing changed" in again
    assert _run(_history_rows(readers.database_url)) == rows


def test_the_client_readme_runs(readers: Readers, tmp_path: Path) -> None:
    _run(load(settings_for(readers.database_url, pool_max_size=2), readers.database_url))
    result = run_as_a_reader(ROOT / "client" / "README.md", readers, tmp_path)
    assert result.returncode == 0 and "::done" in result.stderr, _explain(result)
    assert "disputed:" in result.stdout
    assert (tmp_path / "feed.cursor").read_text().strip()  # the feed example kept its place
