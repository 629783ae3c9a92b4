"""The JSON log handler batches access lines and writes every other line at once."""

from __future__ import annotations

import io
import logging
import time

from api.logging import BatchedStreamHandler, access_logger


def _record(name: str, message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 0, message, None, None)


def test_access_lines_wait_for_the_next_line_or_the_interval() -> None:
    stream = io.StringIO()
    handler = BatchedStreamHandler(stream, interval=60)
    try:
        handler.handle(_record(access_logger.name, "GET /a 200"))
        handler.handle(_record(access_logger.name, "GET /b 200"))
        assert stream.getvalue() == ""  # held: no write per request
        handler.handle(_record("uvicorn.error", "Application shutdown complete."))
        assert stream.getvalue().splitlines() == [
            "GET /a 200",
            "GET /b 200",
            "Application shutdown complete.",
        ]
    finally:
        handler.close()


def test_held_lines_go_out_within_the_interval_and_on_close() -> None:
    stream = io.StringIO()
    handler = BatchedStreamHandler(stream, interval=0.05)
    try:
        handler.handle(_record(access_logger.name, "GET /c 200"))
        deadline = time.monotonic() + 30
        while "GET /c 200" not in stream.getvalue():
            assert time.monotonic() < deadline, "the flusher never wrote the held line"
            time.sleep(0.01)
        stopped = BatchedStreamHandler(io.StringIO(), interval=60)
        stopped.handle(_record(access_logger.name, "GET /d 200"))
        stopped.close()
        assert stopped.stream.getvalue() == "GET /d 200\n"
    finally:
        handler.close()
