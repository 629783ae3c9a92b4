"""Standard Webhooks signatures: HMAC-SHA256 over ``{id}.{timestamp}.{body}``.

Headers ``webhook-id`` (the event id, the same on every retry), ``webhook-timestamp`` (Unix
seconds of the attempt) and ``webhook-signature`` (``v1,<base64>``, space-separated when a
rotated secret is still honoured). Secrets are ``whsec_`` followed by base64 of 32 random bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secrets_in_force: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, body) for s in secrets_in_force),
        "content-type": "application/json",
    }
