"""URL normalisation: one spelling per document, so it is stored once and found by any spelling.

Lower-case scheme and host, IDN hosts as punycode, no default port, no fragment, no
tracking parameters, the remaining parameters sorted, no trailing slash except for the root.

A URL that is not an absolute http(s) URL is malformed (400). One that carries a user name or
password (``https://user:pw@host/``) is well-formed but refused (422 ``url-not-allowed``):
stored, it would be shown back to every reader of the resource, events and webhooks included.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from api.errors import InvalidRequest, RuleBroken
from schemas.common import url_problem

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "wt_mc",
        "at_medium",
        "at_campaign",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are in a path; everything else is percent-encoded once.
PATH_SAFE = "/:@!$&'()*+,;=-._~"
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"(%[0-9A-Fa-f]{2})")
# A DNS label after IDNA encoding (underscores occur in real host names, so they pass).
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


class InvalidURL(ValueError):
    """The text is not an absolute http(s) URL."""


class CredentialsInURL(InvalidURL):
    """The URL names a user or a password; such URLs are refused, never stored."""


def not_allowed(detail: str, errors: list[tuple[str, str]]) -> RuleBroken:
    """422 ``url-not-allowed``: a well-formed URL this API will not take, with the fields at fault."""
    return RuleBroken("url-not-allowed", detail, errors=errors)


def normalised(url: str, pointer: str) -> str:
    """The URL in its one spelling, or a 400 (422 for credentials) naming the field (a JSON
    Pointer) that held it."""
    try:
        return normalise_url(url)
    except CredentialsInURL as exc:
        raise not_allowed("a URL must not carry a user name or password", [(pointer, str(exc))]) from None
    except InvalidURL as exc:
        raise InvalidRequest("a URL is not valid", errors=[(pointer, str(exc))]) from None


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def _normalise_path(path: str) -> str:
    """RFC 3986 6.2.2: escapes in upper case, unreserved characters unescaped, the rest escaped.

    Other escapes stay escapes (``%2F`` is not ``/``), so normalising twice changes nothing.
    """
    parts = _ESCAPE.split(path)
    for i, part in enumerate(parts):
        if i % 2:
            char = chr(int(part[1:], 16))
            parts[i] = char if char in UNRESERVED else part.upper()
        else:
            parts[i] = quote(part, safe=PATH_SAFE)
    return "".join(parts)


def normalise_url(raw: str) -> str:
    text = raw.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidURL(url_problem(text))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidURL("must name a host")
    try:
        host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()
    except UnicodeError as exc:
        raise InvalidURL("the host name is not valid") from exc
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    elif len(host) > 253 or not all(_LABEL.match(label) for label in host.split(".")):
        raise InvalidURL("the host name is not valid")
    if parts.username is not None or parts.password is not None:
        raise CredentialsInURL("must not contain a user name or password (user:password@)")
    netloc = host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"

    path = _normalise_path(parts.path)
    if path.endswith("/"):
        path = path.rstrip("/")
    if not path:
        path = "/"

    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    params.sort()
    query = urlencode(params, quote_via=quote, safe="-._~")
    return urlunsplit((scheme, netloc, path, query, ""))
