"""What the operations tests share: `claimtrack serve` in a process of its own.

They take a database of their own from ``tests.conftest.new_database`` (created empty and
migrated to head) when they must not share the session database: one whose rows are compared
whole (backups), one filled with random input (fuzzing), one on a server that is stopped on
purpose.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from tests.conftest import ROOT
from tests.integration.helpers import wait_until
from tests.ports import free_port


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


class Serving:
    """`python -m api serve` (what the `claimtrack` script runs) in a process of its own.

    A context manager: the process is killed on leaving if it is still running.
    """

    def __init__(self, database_url: str, *arguments: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._folder = tempfile.TemporaryDirectory(prefix="claimtrack-serve-")
        self._log = Path(self._folder.name) / "serve.log"
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CLAIMTRACK_WEBHOOK_DELIVERY": "0",
            "CLAIMTRACK_SOURCE_CHECKS": "0",
            **(env or {}),
        }
        with self._log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api", "serve", "--port", str(self.port), *arguments],
                cwd=ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self._log.read_text()

    async def ready(self) -> None:
        """Wait until it answers /ready with 200; fails at once if the process ends."""
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as http:

            async def answers() -> bool:
                assert self.process.poll() is None, self.output()
                try:
                    return (await http.get("/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            try:
                await wait_until(answers, what="claimtrack serve answers /ready with 200")
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{self.output()}") from None

    def __enter__(self) -> Serving:
        return self

    def __exit__(self, *_: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._folder.cleanup()
