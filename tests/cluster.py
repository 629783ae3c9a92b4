"""PostgreSQL primary, streaming replica and PgBouncer, started here for a test or a bench run.

Everything runs from the binaries on the machine (PostgreSQL 15 in /usr/lib/postgresql/15/bin,
Debian's ``pgbouncer``), in temporary directories, on free ports of 127.0.0.1, and is stopped
and removed on leaving. PostgreSQL and PgBouncer refuse to run as root: as root, they run as
the ``postgres`` user (``runuser``), which owns the temporary directories.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.ports import free_port

PG_BIN = Path(os.environ.get("CLAIMTRACK_PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVICE_USER = "postgres"


def missing_tools(*, pgbouncer: bool = False) -> str | None:
    """Why this machine cannot run the cluster, or None when it can."""
    for tool in ("initdb", "pg_ctl", "pg_basebackup", "postgres"):
        if not (PG_BIN / tool).is_file():
            return f"{PG_BIN / tool} is missing (PostgreSQL 15 server binaries)"
    if pgbouncer and shutil.which("pgbouncer") is None:
        return "pgbouncer is missing (apt-get install -y pgbouncer)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            return f"running as root without a {SERVICE_USER} user to run PostgreSQL as"
    return None


def _as_service_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVICE_USER, "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], log: Path | None = None) -> None:
    result = subprocess.run(_as_service_user(command), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}\n{tail}")


def _own(*paths: Path) -> None:
    """As root: hand the paths to the user the servers run as."""
    if os.geteuid() == 0:
        entry = pwd.getpwnam(SERVICE_USER)
        for path in paths:
            os.chown(path, entry.pw_uid, entry.pw_gid)


def _workspace(prefix: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    _own(root)
    return root


class Server:
    """One PostgreSQL server (data directory, port, log) controlled with pg_ctl."""

    def __init__(self, data: Path, port: int, log: Path) -> None:
        self.data = data
        self.port = port
        self.log = log

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start"],
            self.log,
        )

    def stop(self, mode: str = "fast") -> None:
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"], self.log)

    def pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        try:
            return int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def running(self) -> bool:
        return self.pid() is not None


# Quick to start and to throw away: no fsync (a test's data need not survive a crash of the
# machine), small memory, the socket in the server's own folder.
_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
max_connections = 100
shared_buffers = 64MB
fsync = off
full_page_writes = off
wal_level = replica
max_wal_senders = 5
wal_keep_size = 256MB
hot_standby = on
log_min_messages = warning
"""


class Cluster:
    """A primary and one streaming replica made from it with ``pg_basebackup -R``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.primary = Server(root / "primary", free_port(), root / "primary.log")
        self.replica = Server(root / "replica", free_port(), root / "replica.log")

    def start(self) -> Cluster:
        _run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.primary.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        self._configure(self.primary)
        self.primary.start()
        _run(
            [
                str(PG_BIN / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.primary.port),
                "-U",
                "postgres",
                "-D",
                str(self.replica.data),
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",
                "--no-sync",
            ]
        )
        self._configure(self.replica)
        self.replica.start()
        return self

    def _configure(self, server: Server) -> None:
        conf = server.data / "postgresql.conf"
        with conf.open("a") as file:
            file.write(_SETTINGS.format(port=server.port, socket_dir=server.data))

    def stop(self) -> None:
        for server in (self.replica, self.primary):
            pid = server.pid()
            if pid is None:
                continue
            with contextlib.suppress(Exception):
                # A frozen server (a test's SIGSTOP) must be woken to stop.
                os.kill(pid, signal.SIGCONT)
                server.stop("immediate")


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    root = _workspace("claimtrack-cluster-")
    cluster = Cluster(root)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


class PgBouncer:
    """PgBouncer in transaction mode in front of one database of a server."""

    def __init__(self, root: Path, server_port: int, database: str, pool_size: int) -> None:
        self.root = root
        self.port = free_port()
        self.database = database
        self.config = root / "pgbouncer.ini"
        self.log = root / "pgbouncer.log"
        (root / "users.txt").write_text('"postgres" ""\n')
        self.config.write_text(
            "[databases]\n"
            f"{database} = host=127.0.0.1 port={server_port} dbname={database}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {root / 'users.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {pool_size}\n"
            "max_client_conn = 500\n"
            # The server's reset is pointless in transaction mode (nothing is left over).
            "server_reset_query =\n"
            f"logfile = {self.log}\n"
            f"pidfile = {root / 'pgbouncer.pid'}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def start(self) -> PgBouncer:
        self.process = subprocess.Popen(
            _as_service_user(["pgbouncer", str(self.config)]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
                raise RuntimeError(f"pgbouncer did not start:\n{log}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def running_pgbouncer(server_port: int, database: str, *, pool_size: int = 4) -> Iterator[PgBouncer]:
    root = _workspace("claimtrack-pgbouncer-")
    bouncer = PgBouncer(root, server_port, database, pool_size)
    _own(root / "users.txt", bouncer.config)
    try:
        yield bouncer.start()
    finally:
        bouncer.stop()
        shutil.rmtree(root, ignore_errors=True)
