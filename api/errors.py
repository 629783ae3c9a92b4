"""Every error the API answers, as RFC 9457 problem+json, mapped in one table.

Domain code raises an ``ApplicationError``; framework and driver exceptions are translated
here too, so no client input can produce a 5xx and no stack trace or SQL leaves the process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from api.metrics.instruments import database_error
from schemas.common import NO_NUL, URL_PATTERN, FieldError, Problem, url_problem

log = logging.getLogger("claimtrack.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = "2"


class ApplicationError(Exception):
    status: int = 500
    problem: str = "internal-error"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str = "",
        *,
        errors: Iterable[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = [FieldError(field=f, message=m) for f, m in errors] if errors is not None else None
        self.headers = dict(headers or {})
        self.extra = extra


class InvalidRequest(ApplicationError):
    status, problem, title = 400, "invalid-request", "Invalid request"


class Unauthorized(ApplicationError):
    status, problem, title = 401, "unauthorized", "Authentication required"


class Forbidden(ApplicationError):
    status, problem, title = 403, "forbidden", "Not allowed for this key"


class NotFound(ApplicationError):
    status, problem, title = 404, "not-found", "Not found"


class Conflict(ApplicationError):
    status, problem, title = 409, "conflict", "Conflict"


class PreconditionFailed(ApplicationError):
    status, problem, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(ApplicationError):
    status, problem, title = 413, "payload-too-large", "Payload too large"

    def __init__(self, detail: str = "the request body is larger than the server accepts") -> None:
        super().__init__(detail)


class UnsupportedMediaType(ApplicationError):
    status, problem, title = 415, "unsupported-media-type", "Unsupported media type"


class RuleBroken(ApplicationError):
    """422: the request is well-formed but breaks a rule; ``problem`` names the rule."""

    status, title = 422, "Unprocessable request"

    def __init__(self, problem: str, detail: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.problem = problem
        self.title = problem.replace("-", " ").capitalize()


class TooManyRequests(ApplicationError):
    status, problem, title = 429, "too-many-requests", "Too many requests"


class ServiceUnavailable(ApplicationError):
    status, problem, title = 503, "service-unavailable", "Service unavailable"

    def __init__(self, detail: str = "the database is not reachable; try again shortly") -> None:
        super().__init__(detail, headers={"Retry-After": RETRY_AFTER_SECONDS})


def problem_of(exc: ApplicationError) -> Problem:
    """The problem+json body of an error, for answers sent outside the handlers below (a
    middleware's) and for problems reported inside a 200 (one per record of a batch)."""
    return Problem(
        type=f"/problems/{exc.problem}",
        title=exc.title,
        status=exc.status,
        detail=exc.detail,
        errors=exc.errors,
        **exc.extra,
    )


def problem_response(
    status: int,
    problem: str,
    title: str,
    detail: str = "",
    *,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response[Problem]:
    body = Problem(
        type=f"/problems/{problem}", title=title, status=status, detail=detail, errors=errors, **extra
    )
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {}))


def _pointer(path: str, name: str | None = None) -> str:
    """msgspec's ``$.a.b[0]`` as the JSON Pointer ``/a/b/0``."""
    tokens = re.findall(r"\.([^.\[]+)|\[(\d+)\]", path[1:] if path.startswith("$") else path)
    parts = [key or index for key, index in tokens]
    if name is not None:
        parts.append(name)
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


_AT = re.compile(r"^(?P<message>.*?)(?: - at `(?P<path>[^`]*)`)?$", re.S)
_NAMED = re.compile(r"(?:unknown|missing required) field `(?P<name>[^`]+)`")
# msgspec (and Litestar, for query parameters) quote the pattern a string failed, as its repr.
_PATTERN = re.compile(r"^Expected `str` matching regex (?P<pattern>'.*')$", re.S)
NUL_MESSAGE = "must not contain the character U+0000"
_UNKNOWN: Any = object()


def _pattern_message(message: str, value: Any = _UNKNOWN) -> str:
    """A failed pattern of schemas/common.py said in words; other messages as they are."""
    match = _PATTERN.match(message)
    if match is None:
        return message
    pattern = match["pattern"]
    # The pattern is compared whole, never searched for a literal \u0000: every pattern that
    # excludes control characters mentions \u0000 (the URL's does), and a file:// URL used to be
    # told it "must not contain the character U+0000".
    if pattern == repr(NO_NUL):
        return NUL_MESSAGE
    if pattern == repr(URL_PATTERN):
        if isinstance(value, str):
            return url_problem(value)
        return "must be an absolute http or https URL without spaces or control characters"
    return message


def _value_at(document: Any, path: str) -> Any:
    """The value at msgspec's ``$.a.b[0]`` in a plainly decoded document, if it is there."""
    for key, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path[1:] if path.startswith("$") else path):
        if key and isinstance(document, dict) and key in document:
            document = document[key]
        elif index and isinstance(document, list) and int(index) < len(document):
            document = document[int(index)]
        else:
            return _UNKNOWN
    return document


def errors_from_msgspec(exc: msgspec.ValidationError, document: Any = _UNKNOWN) -> list[tuple[str, str]]:
    """msgspec's error as (JSON Pointer, message); ``document``, the body decoded without a
    schema, lets a message say what is wrong with the very value."""
    match = _AT.match(str(exc))
    message = match.group("message") if match else str(exc)
    path = (match.group("path") if match else None) or "$"
    named = _NAMED.search(message)
    pointer = _pointer(path, named.group("name") if named else None)
    value = _value_at(document, path) if document is not _UNKNOWN else _UNKNOWN
    return [(pointer, _pattern_message(message, value))]


def _from_application_error(_: Request[Any, Any, Any], exc: ApplicationError) -> Response[Problem]:
    if isinstance(exc, ServiceUnavailable):
        database_error(exc)
    return problem_response(
        exc.status, exc.problem, exc.title, exc.detail, errors=exc.errors, headers=exc.headers, **exc.extra
    )


_HTTP_PROBLEMS = {
    400: "invalid-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
    503: "service-unavailable",
}


def _from_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    errors: list[FieldError] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key") or "")
        message = _pattern_message(str(item.get("message") or "invalid value"))
        errors.append(FieldError(field="/" + key if key else "", message=message))
    return problem_response(
        400, "invalid-request", "Invalid request", "the request does not match the schema", errors=errors
    )


def _from_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    if status >= 500:
        log.error("http error %s: %s", status, exc.detail)
        return problem_response(500, "internal-error", "Internal server error")
    problem = _HTTP_PROBLEMS.get(status, "http-error")
    detail = exc.detail if isinstance(exc.detail, str) else ""
    if status == 413:
        detail = PayloadTooLarge().detail
    headers = dict(exc.headers or {})
    return problem_response(status, problem, problem.replace("-", " ").capitalize(), detail, headers=headers)


_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    # A pooled connection the server has just ended (a shutdown's FATAL, then EOF) can be
    # handed out before asyncpg has noticed; its next query fails with "another operation is
    # in progress". No request shares a connection, so here it means the connection is gone.
    asyncpg.InternalClientError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.QueryCanceledError,
    asyncpg.AdminShutdownError,
    ConnectionError,
    OSError,
    TimeoutError,
)


def _from_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    if isinstance(exc, asyncpg.DataError):
        # Backstop for text PostgreSQL refuses (U+0000, bad encodings) and out-of-range values.
        return problem_response(
            400, "invalid-request", "Invalid request", "a value cannot be stored: " + type(exc).__name__
        )
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        # Backstop: the services check these rules first; a race past them lands here.
        log.warning("constraint %s refused a change", getattr(exc, "constraint_name", None))
        return problem_response(
            409, "conflict", "Conflict", "the change conflicts with the stored data; read it again and retry"
        )
    if isinstance(exc, (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)):
        return problem_response(
            409,
            "conflict",
            "Conflict",
            "a concurrent change got in the way; retry the request",
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, _UNAVAILABLE):
        log.warning("database unavailable: %s", type(exc).__name__)
        unavailable = ServiceUnavailable()
        unavailable.__cause__ = exc
        return _from_application_error(request, unavailable)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(500, "internal-error", "Internal server error", "an unexpected error occurred")


EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    ApplicationError: _from_application_error,
    ValidationException: _from_validation,
    HTTPException: _from_http,
    Exception: _from_exception,
}
