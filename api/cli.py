"""The ``claimtrack`` command.

Each subcommand is one entry of ``COMMANDS``: its help text, a function adding its arguments
to the parser, and a function running it that returns the exit status. A command needing the
database calls ``api.embedded.ensure_database``, which starts the embedded PostgreSQL when
DATABASE_URL is empty; import heavy modules inside the ``run`` function so ``claimtrack --help``
stays quick.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from api.embedded import ensure_database
from api.logging import add_verbosity, configure_logging, logging_config, resolve_format
from api.settings import Settings

if TYPE_CHECKING:
    import uvicorn

# Seconds uvicorn lets in-flight requests finish after SIGTERM before it closes connections.
GRACEFUL_SHUTDOWN_SECONDS = 20
# Seconds an idle connection stays open: longer than clients and load balancers keep theirs
# (httpx 5 s, most balancers 60 s), so that none sends a request on a connection being closed.
KEEP_ALIVE_SECONDS = 65


@dataclass(frozen=True, slots=True)
class Command:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Settings], int]


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (CLAIMTRACK_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (CLAIMTRACK_PORT, default 8000)")
    parser.add_argument(
        "--workers", type=int, help="worker processes (CLAIMTRACK_WORKERS, default: one per CPU core)"
    )
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For/-Proto from the addresses in FORWARDED_ALLOW_IPS (default 127.0.0.1)",
    )


def serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.migrate import upgrade

    url = ensure_database(settings)
    upgrade(url)
    if not settings.database_url:
        _announce_local_admin(url, args, settings)
    workers = serve_workers(args.workers if args.workers is not None else settings.workers)
    _prepare_metrics_folder(workers)
    config = uvicorn.Config(
        "api.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port if args.port is not None else settings.port,
        workers=workers,
        # The app writes its own JSON access lines (api.logging.RequestIdMiddleware).
        access_log=False,
        # A dict rather than None: uvicorn applies it again in every worker process it spawns.
        log_config=logging_config(args.log_level, resolve_format(settings.log_format)),
        log_level=args.log_level.lower(),
        proxy_headers=args.proxy_headers,
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    try:
        if workers > 1:
            _run_workers(config)
        else:
            uvicorn.Server(config).run()
    except SystemExit as exc:
        # A single server re-raises the SIGTERM it stopped on once in-flight requests are
        # answered and the pool is closed; that stop is the one asked for, so it exits 0
        # (as uvicorn's supervisor of several workers does) and service managers see success.
        if exc.code != 128 + signal.SIGTERM:
            raise
    return 0


def _run_workers(config: uvicorn.Config) -> None:
    """Several workers under uvicorn's supervisor, which here also lets go of the listening
    socket when it stops them: each worker closes its copy at once on SIGTERM, but the copy the
    supervisor holds would keep the port taking connections that nobody answers while the
    workers finish the requests in flight."""
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        def terminate_all(self) -> None:
            for sock in self.sockets:
                sock.close()
            super().terminate_all()

    Supervisor(config, sockets=[config.bind_socket()]).run()


def serve_workers(asked: int) -> int:
    """The worker processes to start: as asked, or (0) one per core this process may use.

    The API is asynchronous, so one process keeps a core busy; more processes than cores only
    add switching. The cores come from the scheduler's affinity (a container's CPU set), not
    the machine's count.
    """
    if asked > 0:
        return asked
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _prepare_metrics_folder(workers: int) -> None:
    """Give several workers a folder to share their metrics in (prometheus-client's multiprocess mode).

    An operator's PROMETHEUS_MULTIPROC_DIR is emptied of an earlier run's values; with several
    workers and none set, a temporary one is made and removed at exit.
    """
    import atexit
    import shutil
    import tempfile
    from pathlib import Path

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
    elif workers > 1:
        folder = tempfile.mkdtemp(prefix="claimtrack-metrics-")
        atexit.register(shutil.rmtree, folder, True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder


def _announce_local_admin(url: str, args: argparse.Namespace, settings: Settings) -> None:
    from api.keys.cli import LOCAL_ADMIN, ensure_local_admin

    token = ensure_local_admin(url)
    if token is None:
        return
    port = args.port if args.port is not None else settings.port
    # Printed to the terminal, never logged: tokens stay out of the logs.
    print(
        f"\nFirst start: created the API key {LOCAL_ADMIN!r} with every scope. It is shown this once:\n\n"
        f"    export CLAIMTRACK_API_KEY={token}\n"
        f'    curl -H "Authorization: Bearer $CLAIMTRACK_API_KEY" http://127.0.0.1:{port}/v1/articles\n',
        flush=True,
    )


def _migrate_arguments(parser: argparse.ArgumentParser) -> None:
    direction = parser.add_mutually_exclusive_group()
    direction.add_argument("--revision", default="head", help="upgrade to this revision (default: head)")
    direction.add_argument("--downgrade", metavar="REV", help="downgrade to this revision (e.g. base)")


def migrate(args: argparse.Namespace, settings: Settings) -> int:
    from api import migrate as migrations

    url = ensure_database(settings)
    if args.downgrade is not None:
        migrations.downgrade(url, args.downgrade)
    else:
        migrations.upgrade(url, args.revision)
    return 0


def _keys_arguments(parser: argparse.ArgumentParser) -> None:
    from api.keys.cli import add_arguments

    add_arguments(parser)


def _keys(args: argparse.Namespace, settings: Settings) -> int:
    from api.keys.cli import run

    return run(args, settings)


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url", help="the API's address in the example commands (default: CLAIMTRACK_HOST:PORT)"
    )


def demo(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from api.demo import data
    from api.demo.load import load
    from api.migrate import upgrade

    url = ensure_database(settings)
    upgrade(url)
    loaded = asyncio.run(load(settings, url))
    article = loaded.article_id
    if loaded.created:
        print(
            f"demo article {data.EXTERNAL_ID} loaded: {article} "
            f"({loaded.claims} claims, {loaded.sources} sources, {loaded.verifications} verification updates)"
        )
    else:
        print(f"demo article {data.EXTERNAL_ID} is already there: {article} (nothing changed)")
    base = (args.base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    auth = '-H "Authorization: Bearer $CLAIMTRACK_API_KEY"'
    print(
        "\nTry it with `claimtrack serve` running (it prints an API key on its first start):\n"
        f"  curl {auth} {base}/v1/articles/{article}\n"
        f"  curl {auth} {base}/v1/articles/{article}/claims\n"
        f"  curl {auth} '{base}/v1/claims?article_id={article}&status=disputed'\n"
        f"  curl {auth} '{base}/v1/claims?tag=opfer'\n"
        f"  curl {auth} '{base}/v1/articles?external_id={data.EXTERNAL_ID}'\n"
        f"and the API's documentation at {base}/schema"
    )
    return 0


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    from api.imports.cli import add_import_arguments

    add_import_arguments(parser)


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from api.imports.cli import run_import

    return run_import(args)


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    from api.imports.cli import add_export_arguments

    add_export_arguments(parser)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from api.imports.cli import run_export

    return run_export(args)


COMMANDS: dict[str, Command] = {
    "serve": Command("run the HTTP API (migrating the database first)", _serve_arguments, serve),
    "migrate": Command("apply (or revert) schema migrations", _migrate_arguments, migrate),
    "keys": Command("create, list and revoke API keys", _keys_arguments, _keys),
    "import": Command(
        "import articles with their claims, sources and history through the API", _import_arguments, _import
    ),
    "export": Command(
        "export every article with its claims and history as NDJSON", _export_arguments, _export
    ),
    "demo": Command(
        "load a demo article (German, January 2022) with claims, sources and verifications",
        _demo_arguments,
        demo,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="claimtrack",
        description="Track the factual claims of news articles, their sources and their verification.",
        epilog="Without DATABASE_URL, an embedded PostgreSQL is run with its data in CLAIMTRACK_DATA_DIR. "
        "Logs go to stderr: lines to read on a terminal, JSON lines otherwise (CLAIMTRACK_LOG_FORMAT).",
    )
    add_verbosity(parser, 0)
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        subparser = subcommands.add_parser(name, help=command.help, description=command.help)
        add_verbosity(subparser)  # -v after the command name too
        command.add_arguments(subparser)
    return parser


def log_level(command: str, verbose: int, settings: Settings) -> str:
    """The server logs at CLAIMTRACK_LOG_LEVEL (DEBUG with -v); the other commands, which print
    what they did themselves, only log warnings unless -v (INFO) or -vv (DEBUG)."""
    if command == "serve":
        return "DEBUG" if verbose else settings.log_level
    return {0: "WARNING", 1: "INFO"}.get(verbose, "DEBUG")


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # The default action would kill the process without running atexit hooks, which is
    # where the embedded PostgreSQL gets stopped; uvicorn re-raises SIGTERM after shutting down.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    args.log_level = log_level(args.command, args.verbose, settings)
    configure_logging(args.log_level, settings.log_format)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        return COMMANDS[args.command].run(args, settings)
    except KeyboardInterrupt:
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
