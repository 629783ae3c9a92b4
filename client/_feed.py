"""The change feed as an iterator that resumes where it stopped: ``Client.events()``.

The feed (GET /v1/events) is read page by page with a cursor. The cursor to keep is the one
*before* the page being handled until its last event has been handled, then the page's
``next_cursor``: a reader stopped halfway through a page reads that page again when it resumes,
so nothing is missed, and drops the repeats by event id (delivery is at least once).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, Literal, ParamSpec, Protocol, overload

from client import _calls as calls
from client._core import AsyncSender, Call, SyncSender
from schemas.events import Event, EventPage

DEFAULT_PAGE = 100
P = ParamSpec("P")


class CursorStore(Protocol):
    """Where a reader keeps its cursor between runs: ``load()`` gives None the first time."""

    def load(self) -> str | None: ...

    def save(self, cursor: str) -> None: ...


class FileCursor:
    """A cursor kept in a file, replaced atomically (a crash never leaves half a cursor)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> str | None:
        try:
            value = self.path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        return value or None

    def save(self, cursor: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(cursor)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class FeedState:
    """What the sync and async feeds share: where they are, and what they ask next.

    Made from the arguments of ``events()`` (see ``feed``).
    """

    def __init__(
        self,
        *,
        types: Sequence[str] | None = None,
        cursor: str | None = None,
        store: CursorStore | None = None,
        start: Literal["beginning", "now"] = "beginning",
        follow: bool = False,
        poll_interval: float = 2.0,
        page_size: int = DEFAULT_PAGE,
    ) -> None:
        self.types = list(types) if types else None
        self.store = store
        self.cursor: str | None = cursor if cursor is not None else (store.load() if store else None)
        self.start = start
        self.follow = follow
        self.poll_interval = poll_interval
        self.page_size = page_size

    def first_call(self) -> Call[EventPage] | None:
        """The call for a cursor after everything so far, when told to start now and none is stored."""
        if self.cursor is None and self.start == "now":
            return calls.list_events(start="now")
        return None

    def page_call(self) -> Call[EventPage]:
        return calls.list_events(type=self.types, cursor=self.cursor, limit=self.page_size)

    def advance(self, cursor: str) -> None:
        """Every event before ``cursor`` has been handled: keep it (and store it)."""
        if cursor != self.cursor:
            self.cursor = cursor
            if self.store is not None:
                self.store.save(cursor)

    def caught_up(self, page: EventPage) -> bool:
        return len(page.items) < self.page_size


class EventFeed:
    """Iterate over events in the feed's order; ``cursor`` is where to resume (see the module)."""

    def __init__(self, send: Callable[[Call[EventPage]], EventPage], state: FeedState) -> None:
        self._send = send
        self.state = state

    @property
    def cursor(self) -> str | None:
        return self.state.cursor

    def __iter__(self) -> Iterator[Event]:
        state = self.state
        first = state.first_call()
        if first is not None:
            state.advance(self._send(first).next_cursor)
        while True:
            page = self._send(state.page_call())
            yield from page.items
            state.advance(page.next_cursor)
            if state.caught_up(page):
                if not state.follow:
                    return
                time.sleep(state.poll_interval)


class AsyncEventFeed:
    """``async for`` over events in the feed's order; ``cursor`` is where to resume."""

    def __init__(self, send: Callable[[Call[EventPage]], Awaitable[EventPage]], state: FeedState) -> None:
        self._send = send
        self.state = state

    @property
    def cursor(self) -> str | None:
        return self.state.cursor

    async def _events(self) -> AsyncIterator[Event]:
        state = self.state
        first = state.first_call()
        if first is not None:
            state.advance((await self._send(first)).next_cursor)
        while True:
            page = await self._send(state.page_call())
            for event in page.items:
                yield event
            state.advance(page.next_cursor)
            if state.caught_up(page):
                if not state.follow:
                    return
                await asyncio.sleep(state.poll_interval)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._events()


class feed(Generic[P]):
    """The change feed as an iterator of Events, in order (``async for`` on AsyncClient).

    It starts at ``cursor``, else at the cursor ``store`` keeps (``FileCursor("feed.cursor")``),
    else at the beginning (``start="now"``: with what happens from now on). ``store`` is
    given each cursor up to which every event has been handled, and ``.cursor`` is that
    position too: a reader that stops and starts again with it misses nothing and may see
    the events of one page again (drop them by id). Without ``follow`` it ends once it has
    caught up; with it, it asks again every ``poll_interval`` seconds. ``types`` keeps
    some: ``["claim.*", "verification.created"]``.
    """

    def __init__(self, state: Callable[P, FeedState]) -> None:
        self.state = state

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> feed[P]: ...
    @overload
    def __get__(self, instance: SyncSender, owner: type[Any]) -> Callable[P, EventFeed]: ...
    @overload
    def __get__(self, instance: AsyncSender, owner: type[Any]) -> Callable[P, AsyncEventFeed]: ...
    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        if instance is None:
            return self
        kind = AsyncEventFeed if isinstance(instance, AsyncSender) else EventFeed
        state = self.state

        def events(*args: Any, **kwargs: Any) -> Any:
            return kind(instance._send, state(*args, **kwargs))

        events.__doc__ = self.__doc__
        return events
