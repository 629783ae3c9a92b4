"""The code the bench serves: this checkout ("after"), and a second checkout of an earlier
commit ("before", default 77658e8) in a git worktree with a virtual environment of its own,
made from that commit's pyproject.toml and kept between runs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The checkout this bench belongs to: the API it serves as "after" is this one's.
CHECKOUT = Path(__file__).resolve().parent.parent
# The last commit before the claim documents were stored (migration 0006, documents built by
# views on every read) and before the serving defaults changed.
BEFORE = "77658e8"
BEFORE_DIR = CHECKOUT / "bench" / ".before"  # ignored by git (bench/.gitignore)


@dataclass(frozen=True, slots=True)
class Checkout:
    name: str  # "after" or "before"
    root: Path
    python: Path  # the interpreter of its environment
    commit: str  # abbreviated, "+changes" when the working tree differs from it

    def claimtrack(self) -> list[str]:
        script = self.python.with_name("claimtrack")
        return [str(script)] if script.exists() else [str(self.python), "-m", "api"]

    def migrations_fingerprint(self) -> str:
        """A hash of the migration scripts: a bench database made by others is made again."""
        digest = hashlib.sha256()
        for path in sorted((self.root / "migrations" / "versions").glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()[:16]


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {root}: {done.stderr.strip()}")
    return done.stdout.strip()


def describe(root: Path) -> str:
    """The commit checked out, marked when the code the bench serves has uncommitted changes."""
    commit = _git(root, "rev-parse", "--short", "HEAD")
    changed = _git(root, "status", "--porcelain", "--", "api", "schemas", "migrations", "pyproject.toml")
    return commit + ("+changes" if changed else "")


def current() -> Checkout:
    return Checkout("after", CHECKOUT, Path(sys.executable), describe(CHECKOUT))


def before(revision: str, directory: Path, say: Callable[[str], None]) -> Checkout:
    """A worktree of ``revision`` at ``directory`` and a venv with that commit's dependencies,
    made or brought up to date as needed."""
    sha = _git(CHECKOUT, "rev-parse", "--verify", f"{revision}^{{commit}}")
    if not (directory / ".git").exists():
        say(f"checking out {revision} into {directory}")
        _git(CHECKOUT, "worktree", "prune")
        _git(CHECKOUT, "worktree", "add", "--detach", str(directory), sha)
    elif _git(directory, "rev-parse", "HEAD") != sha:
        say(f"moving {directory} to {revision}")
        _git(directory, "checkout", "--detach", "--force", sha)
    venv = directory / ".venv"
    python = venv / "bin" / "python"
    stamp = venv / ".bench-installed"
    wanted = hashlib.sha256((directory / "pyproject.toml").read_bytes()).hexdigest()
    if not python.exists() or not stamp.exists() or stamp.read_text().strip() != wanted:
        say(f"installing {revision}'s dependencies into {venv} (once)")
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
        done = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-e",
                str(directory),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"pip install of {revision} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
            )
        stamp.write_text(wanted + "\n")
    return Checkout("before", directory, python, _git(directory, "rev-parse", "--short", "HEAD"))


def environment(checkout: Checkout, database_url: str, **settings: str) -> dict[str, str]:
    """The environment a newcomer's shell gives `claimtrack`: none of the CLAIMTRACK_ settings
    of the shell the bench runs in, only those given; its own code first on the path."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLAIMTRACK_")
        and k not in {"DATABASE_URL", "PYTHONPATH", "PROMETHEUS_MULTIPROC_DIR", "VIRTUAL_ENV"}
    }
    return {**keep, "PYTHONPATH": str(checkout.root), "DATABASE_URL": database_url, **settings}


def head_revision(checkout: Checkout) -> str:
    """The last migration revision of the checkout's scripts, asked of its own code."""
    done = subprocess.run(
        [str(checkout.python), "-c", "from api.migrate import current_head; print(current_head())"],
        env=environment(checkout, ""),
        cwd=checkout.root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"cannot read {checkout.root}'s last migration: {done.stderr.strip()[-2000:]}")
    return done.stdout.strip().splitlines()[-1]
