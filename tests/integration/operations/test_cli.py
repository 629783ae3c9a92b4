"""The `claimtrack` commands as a person runs them: quiet unless -v, logs a person reads on a
terminal and JSON lines elsewhere, and a first key with every scope."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, new_database

ALEMBIC = "alembic.runtime.migration"


def claimtrack(database_url: str, *arguments: str, terminal: bool = False) -> tuple[int, str, str]:
    """Run `python -m api …` (what the claimtrack script runs); stderr a terminal if asked."""
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("CLAIMTRACK_LOG_FORMAT", None)
    command = [sys.executable, "-m", "api", *arguments]
    if not terminal:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    process.stdout.close()
    return process.wait(60), out, b"".join(chunks).decode().replace("\r\n", "\n")


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    with new_database(server_url, "cli", migrate=False) as url:
        yield url


def test_commands_print_their_own_output_and_no_logs(empty_database: str) -> None:
    code, out, err = claimtrack(empty_database, "migrate")
    assert (code, err) == (0, "")  # the migrations ran, and said nothing
    code, out, err = claimtrack(empty_database, "keys", "create", "--name", "first", "--all-scopes")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "created key first with scopes read, write, verify, admin"
    assert lines[-1].startswith("ct_")
    code, out, err = claimtrack(empty_database, "keys", "list")
    assert code == 0 and err == "" and out.startswith("first\tread,write,verify,admin\t")


def test_verbose_logs_json_lines_when_stderr_is_no_terminal(empty_database: str) -> None:
    code, _, err = claimtrack(empty_database, "migrate", "-v")
    assert code == 0
    entries = [json.loads(line) for line in err.splitlines()]
    assert entries and all(e["logger"] == ALEMBIC and e["level"] == "INFO" for e in entries)
    assert entries[0]["msg"].startswith("Running upgrade  -> 0001")
    # Alembic's own preamble (its dialect, transactional DDL) is left out.
    assert not any(e["msg"].startswith(("Context impl", "Will assume")) for e in entries)


def test_verbose_logs_lines_to_read_on_a_terminal(empty_database: str) -> None:
    code, _, err = claimtrack(empty_database, "-v", "migrate", terminal=True)
    assert code == 0, err
    lines = err.splitlines()
    assert lines and all(f" INFO    {ALEMBIC}: Running upgrade " in line for line in lines), err
    assert "{" not in err


def test_a_key_needs_scopes_and_says_which(empty_database: str, tmp_path: Path) -> None:
    code, _, err = claimtrack(empty_database, "keys", "create", "--name", "nothing")
    assert code == 2 and "--scope" in err and "--all-scopes" in err
    code, _, err = claimtrack(
        empty_database, "keys", "create", "--name", "x", "--all-scopes", "--scope", "read"
    )
    assert code == 2 and "not allowed with" in err
