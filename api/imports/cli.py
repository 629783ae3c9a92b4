"""`claimtrack import FILE` and `claimtrack export`, through the API with the client.

Import reads NDJSON (one article record a line) or a JSON list, checks every record locally
with the same Struct the server decodes, and sends batches to POST /v1/import, several in
flight. A bad record is reported with its line number and the rest go on. Articles already
stored are skipped by the server, so running an import again (after an interruption, say)
stores only what is missing. Records with no id, url or external_id get an id derived from
their content, so that they too are stored once.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import msgspec

from client import AsyncClient, ClaimtrackError, Client, Forbidden, Retry, Unauthorized
from schemas.common import Problem
from schemas.imports import MAX_IMPORT_ARTICLES, ArticleRecord, ImportResult

DEFAULT_API_URL = "http://127.0.0.1:8000"
# Below the server's 4 MiB body limit, with room for the envelope.
MAX_BATCH_BYTES = 3 * 1024 * 1024
MAX_LINE_BYTES = 4 * 1024 * 1024 - 1024
# Ids of records without any identity: the same content always gets the same id.
CONTENT_IDS = uuid.UUID("9b0f6b1e-6c3f-4c59-8d5e-2a7c1b3e4f50")

_record = msgspec.json.Decoder(ArticleRecord)
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])
_encoder = msgspec.json.Encoder()


def _connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-url",
        default=os.environ.get("CLAIMTRACK_API_URL", DEFAULT_API_URL),
        help=f"the API's address (CLAIMTRACK_API_URL, default {DEFAULT_API_URL})",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("CLAIMTRACK_API_KEY"),
        help="an API key with the admin scope (CLAIMTRACK_API_KEY)",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default 120)")


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="NDJSON, one article record a line, or a JSON list; - reads stdin")
    _connection_arguments(parser)
    parser.add_argument("--concurrency", type=int, default=4, help="batches in flight (default 4)")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=100,
        help=f"articles a request (default 100, at most {MAX_IMPORT_ARTICLES}; batches stay under 3 MiB)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    _connection_arguments(parser)
    parser.add_argument("--output", "-o", help="write to this file instead of stdout")


# ---- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    raw: bytes
    claims: int


@dataclass
class Tally:
    created: int = 0
    skipped: int = 0
    failed: int = 0
    claims: int = 0
    verifications: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.created + self.skipped + self.failed


def _describe(problem: Problem, index: int | None = None) -> str:
    name = problem.type.rsplit("/", 1)[-1]
    text = f"{name}: {problem.detail or problem.title}"
    own = f"/articles/{index}" if index is not None else None
    for error in problem.errors or []:
        pointer = error.field[len(own) :] if own and error.field.startswith(own) else error.field
        text += f"; {pointer or '/'}: {error.message}"
    return text


def _lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    head = stream.read(1)
    while head.isspace():
        head = stream.read(1)
    if head == b"[":
        for i, raw in enumerate(_raw_list.decode(head + stream.read()), start=1):
            yield i, bytes(raw)
        return
    first = head + stream.readline()
    yield 1, first
    yield from enumerate(stream, start=2)


def records(stream: BinaryIO, tally: Tally) -> Iterator[Line]:
    """Each good record as a Line ready to send; each bad one goes into the tally."""
    for number, raw in _lines(stream):
        raw = raw.strip()
        if not raw:
            continue
        if len(raw) > MAX_LINE_BYTES:
            tally.failed += 1
            tally.errors.append((number, "payload-too-large: the record is larger than a request may be"))
            continue
        try:
            record = _record.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            tally.failed += 1
            tally.errors.append((number, f"invalid-request: {exc}"))
            continue
        if record.id is None and record.url is None and record.external_id is None:
            content_id = uuid.uuid5(CONTENT_IDS, hashlib.sha256(raw).hexdigest())
            raw = _encoder.encode(msgspec.structs.replace(record, id=content_id))
        yield Line(number, raw, len(record.claims))


def batches(lines: Iterator[Line], size: int) -> Iterator[list[Line]]:
    batch: list[Line] = []
    weight = 0
    for line in lines:
        if batch and (len(batch) >= size or weight + len(line.raw) > MAX_BATCH_BYTES):
            yield batch
            batch, weight = [], 0
        batch.append(line)
        weight += len(line.raw) + 1
    if batch:
        yield batch


def _count_lines(path: str) -> int | None:
    if path == "-":
        return None
    with open(path, "rb") as handle:
        if handle.read(1) == b"[":
            return None
        handle.seek(0)
        count = 0
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
        return count


# ---- sending ------------------------------------------------------------------------------------


class Fatal(Exception):
    """The API refused the key itself: no point in sending more."""


class Importer:
    def __init__(self, api: AsyncClient, tally: Tally, on_progress: Any) -> None:
        # Keys are unique to this run: a retry is answered as the first try was, while a
        # second run asks the server afresh (and is told which articles are stored already).
        self.run = uuid.uuid4().hex
        self.api = api
        self.tally = tally
        self.on_progress = on_progress

    def _record(self, lines: list[Line], result: ImportResult) -> None:
        for outcome in result.articles:
            line = lines[outcome.index]
            if outcome.status == "created":
                self.tally.created += 1
                self.tally.claims += outcome.claims
            elif outcome.status == "skipped":
                self.tally.skipped += 1
            else:
                self.tally.failed += 1
                problem = outcome.problem
                message = _describe(problem, outcome.index) if problem else "failed"
                self.tally.errors.append((line.number, message))
        self.tally.verifications += result.verifications
        self.on_progress()

    async def send(self, lines: list[Line]) -> None:
        digest = hashlib.sha256(b"\n".join(line.raw for line in lines)).hexdigest()[:32]
        key = f"import-{self.run}-{digest}"
        try:
            result = await self.api.import_articles(
                [msgspec.Raw(line.raw) for line in lines], idempotency_key=key
            )
        except (Unauthorized, Forbidden) as exc:
            raise Fatal(_describe(exc.problem)) from None
        except ClaimtrackError as exc:
            if len(lines) > 1:
                # The batch as a whole was refused (a clash with a concurrent import, say):
                # one at a time tells which record it was.
                for line in lines:
                    await self.send([line])
                return
            self._fail(lines, _describe(exc.problem, 0))
            return
        except httpx.HTTPError as exc:
            self._fail(lines, f"the API did not answer: {type(exc).__name__} {exc}")
            return
        self._record(lines, result)

    def _fail(self, lines: list[Line], message: str) -> None:
        for line in lines:
            self.tally.failed += 1
            self.tally.errors.append((line.number, message))
        self.on_progress()


async def _import(args: argparse.Namespace, stream: BinaryIO, tally: Tally, progress: Any) -> None:
    task = progress.add_task("importing", total=_count_lines(args.file), rates="")
    started = time.monotonic()

    def on_progress() -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        progress.update(
            task,
            completed=tally.done,
            rates=f"{tally.done / elapsed:,.0f} articles/s · {tally.claims / elapsed:,.0f} claims/s",
        )

    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with AsyncClient(
        args.api_url, args.api_key, timeout=args.timeout, retry=Retry(attempts=5), limits=limits
    ) as api:
        importer = Importer(api, tally, on_progress)
        queue: asyncio.Queue[list[Line] | None] = asyncio.Queue(maxsize=args.concurrency * 2)

        async def worker() -> None:
            while (batch := await queue.get()) is not None:
                await importer.send(batch)

        workers = [asyncio.create_task(worker()) for _ in range(args.concurrency)]
        try:
            for batch in batches(records(stream, tally), min(args.batch_size, MAX_IMPORT_ARTICLES)):
                await queue.put(batch)
                if any(w.done() for w in workers):
                    break
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
        on_progress()


def run_import(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, soft_wrap=True)
    if args.concurrency < 1 or args.batch_size < 1:
        console.print("--concurrency and --batch-size must be at least 1")
        return 2
    tally = Tally()
    started = time.monotonic()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rates]}"),
        TimeElapsedColumn(),
    )
    try:
        stream: BinaryIO = sys.stdin.buffer if args.file == "-" else Path(args.file).open("rb")  # noqa: SIM115
    except OSError as exc:
        console.print(f"cannot read {args.file}: {exc.strerror}")
        return 2
    try:
        with stream, Progress(*columns, console=console, disable=args.quiet, transient=False) as progress:
            asyncio.run(_import(args, stream, tally, progress))
    except Fatal as exc:
        console.print(f"the API refused the key: {exc}")
        return 2
    except msgspec.DecodeError as exc:
        console.print(f"{args.file} is not a JSON list: {exc}")
        return 2
    for number, message in sorted(tally.errors):
        console.print(f"line {number}: {message}", markup=False, highlight=False)
    elapsed = time.monotonic() - started
    console.print(
        f"created {tally.created} articles ({tally.claims} claims, {tally.verifications} history entries), "
        f"skipped {tally.skipped} already stored, {tally.failed} failed, in {elapsed:.1f} s",
        markup=False,
        highlight=False,
    )
    return 1 if tally.failed else 0


def run_export(args: argparse.Namespace) -> int:
    started = time.monotonic()
    count = 0
    out: BinaryIO = Path(args.output).open("wb") if args.output else sys.stdout.buffer  # noqa: SIM115
    try:
        with Client(args.api_url, args.api_key, timeout=args.timeout) as api:
            for line in api.export_lines():
                out.write(line + b"\n")
                count += 1
    except ClaimtrackError as exc:
        print(f"export failed: {_describe(exc.problem)}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"export failed after {count} articles: {type(exc).__name__} {exc}", file=sys.stderr)
        return 1
    finally:
        if args.output:
            out.close()
        else:
            out.flush()
    print(f"exported {count} articles in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0
