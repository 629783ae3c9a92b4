"""Counting and timing every request, labelled by the route template, never the raw path."""

from __future__ import annotations

import re
import time
from typing import Any, cast

from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from api.metrics.instruments import DURATION, REQUESTS

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A request no route matched (404, 405) has no template; its path must not become a label.
UNMATCHED = "unmatched"
# Litestar's templates carry the parameter's type, "/v1/claims/{claim_id:str}": the label drops it.
_PARAMETER_TYPE = re.compile(r"\{(\w+):\w+\}")


class MetricsMiddleware:
    """Pure ASGI middleware around the whole app, so that 404s and 405s are counted too.

    Litestar's router writes the matched route's ``path_template`` into the scope; it is read
    after the response. Label children are cached: ``labels()`` takes a lock on every call.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _child(self, method: str, route: str, status: int) -> tuple[Any, Any]:
        key = (method, route, status)
        child = self._children.get(key)
        if child is None:
            template = _PARAMETER_TYPE.sub(r"{\1}", route)
            child = (REQUESTS.labels(method, template, str(status)), DURATION.labels(method, template))
            self._children[key] = child
        return child

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = cast("HTTPScope", scope)["method"]
        status = 500
        started = time.perf_counter()

        async def send_counting(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            route = scope.get("path_template") or UNMATCHED  # type: ignore[typeddict-item]
            requests, duration = self._child(method if method in _METHODS else "OTHER", route, status)
            requests.inc()
            duration.observe(time.perf_counter() - started)
