"""The API as a newcomer's `make serve` runs it (`claimtrack serve` with its own defaults), its
API key, and wrk driving it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from bench.checkouts import Checkout, environment
from bench.pgbench import Measurement
from tests.ports import free_port

WRK_SCRIPT = Path(__file__).with_name("wrk.lua")
WRK_INSTALL = "wrk is not installed; on Debian or Ubuntu: apt-get install -y wrk"


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(WRK_INSTALL)
    return path


def create_key(checkout: Checkout, database_url: str, name: str) -> str:
    """A key with the read, write and verify scopes, made by the checkout's own CLI (which knows
    its schema); its token is the command's last line."""
    command = [*checkout.claimtrack(), "keys", "create", "--name", name]
    command += ["--scope", "read", "--scope", "write", "--scope", "verify"]
    done = subprocess.run(
        command, env=environment(checkout, database_url), capture_output=True, text=True, check=False
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"claimtrack keys create failed ({done.returncode}): {done.stderr.strip()}")
    return lines[-1].strip()


def revoke_key(checkout: Checkout, database_url: str, name: str) -> None:
    command = [*checkout.claimtrack(), "keys", "revoke", name]
    subprocess.run(
        command, env=environment(checkout, database_url), capture_output=True, text=True, check=False
    )


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@dataclass(frozen=True, slots=True)
class Server:
    base_url: str
    process: subprocess.Popen[bytes]

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children of the serving process)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            pids = [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []
        # uvicorn's workers are spawned by multiprocessing, beside its resource tracker.
        return [pid for pid in pids if b"spawn_main" in _cmdline(pid)]

    def worker_cpu(self) -> dict[int, float]:
        """Each worker's CPU time so far, in seconds."""
        return cpu_seconds(self.worker_pids())

    def worker_rss_mb(self) -> list[float]:
        """Each worker's resident memory (VmRSS), in MB."""
        sizes = []
        for pid in self.worker_pids():
            with suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(round(int(line.split()[1]) / 1024, 1))
        return sizes


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU time (user and system) each process has used so far; gone processes are left out."""
    used = {}
    for pid in pids:
        with suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    return used


@contextmanager
def serve(
    checkout: Checkout,
    database_url: str,
    log_path: Path,
    settings: dict[str, str] | None = None,
    ready_timeout: float = 90.0,
) -> Iterator[Server]:
    """`claimtrack serve` of the checkout on a free port, with the server's own defaults but for
    ``settings`` (CLAIMTRACK_ names without the prefix); stopped (all its processes) on exit.

    The one setting always given: the source checker is off. Every generated source is due for
    its first check at once, which no database in use is; the checker would spend the run
    fetching them beside the measured requests.
    """
    port = free_port()
    given = {"HOST": "127.0.0.1", "PORT": str(port), "SOURCE_CHECKS": "0", **(settings or {})}
    env = environment(checkout, database_url, **{f"CLAIMTRACK_{k}": v for k, v in given.items()})
    with log_path.open("ab") as log:
        # A session of its own, so that the server and its workers can be stopped as one group.
        process = subprocess.Popen(
            [*checkout.claimtrack(), "serve"],
            env=env,
            cwd=checkout.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        _wait_ready(server, ready_timeout, log_path)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: Server, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(server.base_url + "/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
    raise RuntimeError(f"the API did not become ready at {server.base_url}; its log ends:\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=40)
    # Whatever is left of the group this bench started (a worker that outlived its parent).
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        time.sleep(1)
    process.wait()


def request(
    base_url: str, method: str, path: str, token: str, body: bytes | None = None
) -> tuple[int, bytes]:
    """One request, for checking that what the load will send succeeds."""
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base_url + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def run_wrk(
    base_url: str,
    token: str,
    connections: int,
    seconds: int,
    ids_file: Path | None,
    method: str,
    path: str,
    body: str | None = None,
    threads: int = 2,
) -> Measurement:
    command = [require_wrk(), f"--threads={min(threads, connections)}", f"--connections={connections}"]
    command += [f"--duration={seconds}s", "--timeout=10s", "--latency", f"--script={WRK_SCRIPT}"]
    command += ["--header", f"Authorization: Bearer {token}", base_url, "--"]
    command += [str(ids_file) if ids_file else "-", method, path]
    if body is not None:
        command.append(body)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"^BENCH_RESULT (\{.*\})$", done.stdout, re.M)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    result = json.loads(found.group(1))
    elapsed = result["duration_us"] / 1e6
    errors = sum(v for k, v in result.items() if k.startswith("errors_"))
    return Measurement(
        requests=result["requests"],
        seconds=elapsed,
        per_second=result["requests"] / elapsed if elapsed else 0.0,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        errors=errors,
    )
