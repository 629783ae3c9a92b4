"""A typed Python client for the claimtrack API, blocking (``Client``) and asyncio (``AsyncClient``).

Both return the msgspec Structs of ``schemas`` that the API itself uses, and raise the
exceptions of ``client.errors`` for problem+json answers. Looking something up: ``get_*``
takes an id and raises ``NotFound`` when there is none; ``find_*`` looks by a url or an
external id and returns ``None`` when nothing matches.
"""

from client._async import AsyncClient
from client._core import Retry
from client._feed import AsyncEventFeed, CursorStore, EventFeed, FileCursor
from client._sync import Client
from client.errors import (
    ClaimtrackError,
    Conflict,
    EvidenceRequired,
    Forbidden,
    InvalidRequest,
    InvalidTransition,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    QuoteAmbiguous,
    QuoteNotFound,
    RateLimited,
    RuleBroken,
    ServiceUnavailable,
    SpanMismatch,
    Unauthorized,
    UrlNotAllowed,
)

__all__ = [
    "AsyncClient",
    "AsyncEventFeed",
    "ClaimtrackError",
    "Client",
    "Conflict",
    "CursorStore",
    "EventFeed",
    "EvidenceRequired",
    "FileCursor",
    "Forbidden",
    "InvalidRequest",
    "InvalidTransition",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "QuoteAmbiguous",
    "QuoteNotFound",
    "RateLimited",
    "Retry",
    "RuleBroken",
    "ServiceUnavailable",
    "SpanMismatch",
    "Unauthorized",
    "UrlNotAllowed",
]
