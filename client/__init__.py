"""A typed Python client for the claimtrack API, blocking (``Client``) and asyncio (``AsyncClient``).

Both return the msgspec Structs of ``schemas`` that the API itself uses, and raise the
exceptions of ``client.errors`` for problem+json answers.
"""

from client._async import AsyncClient
from client._core import Retry
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
)

__all__ = [
    "AsyncClient",
    "ClaimtrackError",
    "Client",
    "Conflict",
    "EvidenceRequired",
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
]
