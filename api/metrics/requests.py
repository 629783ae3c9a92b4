"""Counting and timing every request, labelled by the route template, never the raw path."""

from __future__ import annotations

import re
from typing import Any, cast

from litestar.types import HTTPScope, Scope

from api.metrics.instruments import DURATION, REQUESTS

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A request no route matched (404, 405) has no template; its path must not become a label.
UNMATCHED = "unmatched"
# Litestar's templates carry the parameter's type, "/v1/claims/{claim_id:str}": the label drops it.
_PARAMETER_TYPE = re.compile(r"\{(\w+):\w+\}")


class RequestMetrics:
    """Counts and times each answered request; ``api.logging.RequestIdMiddleware``, around the
    whole app (404s and 405s included), calls it with the status and duration it measured.

    Litestar's router writes the matched route's ``path_template`` into the scope; it is read
    after the response. Label children are cached: ``labels()`` takes a lock on every call.
    """

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _child(self, method: str, route: str, status: int) -> tuple[Any, Any]:
        key = (method, route, status)
        child = self._children.get(key)
        if child is None:
            template = _PARAMETER_TYPE.sub(r"{\1}", route)
            child = (REQUESTS.labels(method, template, str(status)), DURATION.labels(method, template))
            self._children[key] = child
        return child

    def __call__(self, scope: Scope, status: int, seconds: float) -> None:
        method = cast("HTTPScope", scope)["method"]
        route = scope.get("path_template") or UNMATCHED  # type: ignore[typeddict-item]
        requests, duration = self._child(method if method in _METHODS else "OTHER", route, status)
        requests.inc()
        duration.observe(seconds)
