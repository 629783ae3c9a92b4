"""The API's problem+json answers as exceptions: one class per problem type, all ClaimtrackError."""

from __future__ import annotations

from uuid import UUID

import httpx
import msgspec

from schemas.claims import Span
from schemas.common import FieldError, Problem

_problem = msgspec.json.Decoder(Problem)


class ClaimtrackError(Exception):
    """An error answer of the API: its status and the fields of its problem+json body."""

    def __init__(self, status: int, problem: Problem, headers: httpx.Headers | None = None) -> None:
        super().__init__(f"{status} {problem.title}: {problem.detail}" if problem.detail else problem.title)
        self.status = status
        self.problem = problem
        self.type = problem.type
        self.title = problem.title
        self.detail = problem.detail
        self.errors: list[FieldError] = list(problem.errors or [])
        self.headers = headers or httpx.Headers()


class InvalidRequest(ClaimtrackError):
    """400 invalid-request: not JSON or not matching the schema; ``errors`` points at the fields."""


class Unauthorized(ClaimtrackError):
    """401: no API key, or one that is not valid."""


class Forbidden(ClaimtrackError):
    """403: the key lacks the scope the route needs."""


class NotFound(ClaimtrackError):
    """404 not-found."""


class Conflict(ClaimtrackError):
    """409 conflict; ``existing_id`` names the resource that is in the way."""

    @property
    def existing_id(self) -> UUID | None:
        try:
            return UUID(self.problem.existing_id) if self.problem.existing_id else None
        except ValueError:
            return None


class PreconditionFailed(ClaimtrackError):
    """412: If-Match named a version that is not the current one (``current_version``)."""

    @property
    def current_version(self) -> int | None:
        return self.problem.current_version


class PayloadTooLarge(ClaimtrackError):
    """413: the request body is larger than the server accepts."""


class RuleBroken(ClaimtrackError):
    """422: well-formed, but a rule of the contract is broken; the subclasses name the rule."""


class EvidenceRequired(RuleBroken):
    """422 evidence-required: the status needs links (supports/refutes) or a note."""


class InvalidTransition(RuleBroken):
    """422 invalid-transition: a claim cannot go back to unverified."""


class QuoteNotFound(RuleBroken):
    """422 quote-not-found: the quote does not occur in the article body."""


class QuoteAmbiguous(RuleBroken):
    """422 quote-ambiguous: the quote occurs several times; ``candidates`` are their spans."""

    @property
    def candidates(self) -> list[Span]:
        return [Span(start=c["start"], end=c["end"]) for c in self.problem.candidates or []]


class SpanMismatch(RuleBroken):
    """422 span-mismatch: body[start:end] is not the quote."""


class UrlNotAllowed(RuleBroken):
    """422 url-not-allowed: a url with a user name or password, or a webhook aimed at a loopback,
    private or link-local address."""


class _RetryAfter(ClaimtrackError):
    @property
    def retry_after(self) -> float | None:
        return retry_after(self.headers)


class RateLimited(_RetryAfter):
    """429: too many requests for this key; ``retry_after`` says how long to wait."""


class ServiceUnavailable(_RetryAfter):
    """503: the database is unreachable or the server is shutting down."""


_BY_TYPE: dict[str, type[ClaimtrackError]] = {
    "/problems/evidence-required": EvidenceRequired,
    "/problems/invalid-transition": InvalidTransition,
    "/problems/quote-not-found": QuoteNotFound,
    "/problems/quote-ambiguous": QuoteAmbiguous,
    "/problems/span-mismatch": SpanMismatch,
    "/problems/url-not-allowed": UrlNotAllowed,
}
_BY_STATUS: dict[int, type[ClaimtrackError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    422: RuleBroken,
    429: RateLimited,
    503: ServiceUnavailable,
}


def retry_after(headers: httpx.Headers) -> float | None:
    """Retry-After in seconds (only the delay-seconds form; HTTP dates are ignored)."""
    raw = headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def error_for(response: httpx.Response) -> ClaimtrackError:
    """The exception for an error response; bodies that are not problem+json still get one."""
    try:
        problem = _problem.decode(response.content)
    except (msgspec.DecodeError, msgspec.ValidationError):
        reason = response.reason_phrase or "HTTP error"
        problem = Problem(
            type="about:blank", title=reason, status=response.status_code, detail=response.text[:500]
        )
    cls = _BY_TYPE.get(problem.type) or _BY_STATUS.get(response.status_code, ClaimtrackError)
    return cls(response.status_code, problem, response.headers)
