"""The error table: driver exceptions become clear problems, never a 500."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
import pytest

from api.errors import EXCEPTION_HANDLERS, errors_from_msgspec
from schemas.common import Text, Url

handle = EXCEPTION_HANDLERS[Exception]


@pytest.mark.parametrize(
    ("exc", "status", "name"),
    [
        (asyncpg.CheckViolationError("span"), 409, "conflict"),
        (asyncpg.UniqueViolationError("dup"), 409, "conflict"),
        (asyncpg.DeadlockDetectedError("deadlock"), 409, "conflict"),
        (asyncpg.SerializationError("serialization"), 409, "conflict"),
        (asyncpg.CharacterNotInRepertoireError("nul"), 400, "invalid-request"),
        (asyncpg.AdminShutdownError("bye"), 503, "service-unavailable"),
        (ConnectionResetError(), 503, "service-unavailable"),
    ],
)
def test_driver_errors_become_problems(exc: Exception, status: int, name: str) -> None:
    response: Any = handle(None, exc)
    assert response.status_code == status
    assert response.media_type == "application/problem+json"
    assert response.content.type == f"/problems/{name}"
    assert "Traceback" not in response.content.detail


class Span(msgspec.Struct, forbid_unknown_fields=True):
    start: int


class Body(msgspec.Struct, forbid_unknown_fields=True):
    claims: list[Span]


def test_json_pointers_from_msgspec_paths() -> None:
    for raw, pointer in [
        (b'{"claims": [{"start": "0"}]}', "/claims/0/start"),
        (b'{"claims": [{"start": 0, "oops": 1}]}', "/claims/0/oops"),
        (b'{"claims": [{}]}', "/claims/0/start"),
    ]:
        with pytest.raises(msgspec.ValidationError) as info:
            msgspec.json.decode(raw, type=Body)
        assert errors_from_msgspec(info.value)[0][0] == pointer


class Link(msgspec.Struct, forbid_unknown_fields=True):
    url: Url
    note: Text = ""


class Links(msgspec.Struct, forbid_unknown_fields=True):
    links: list[Link]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "scheme not allowed: use http or https, not file:"),
        ("gopher://example.org:70/_", "scheme not allowed: use http or https, not gopher:"),
        ("javascript:alert(1)", "scheme not allowed: use http or https, not javascript:"),
        ("example.org/page", "must be an absolute URL starting with http:// or https://"),
        ("https://example.org/a b", "must not contain spaces or control characters"),
        ("https://example.org/\u0000", "must not contain the character U+0000"),
    ],
)
def test_a_refused_url_is_told_what_is_wrong_with_it(url: str, message: str) -> None:
    raw = msgspec.json.encode({"links": [{"url": "https://example.org/"}, {"url": url}]})
    with pytest.raises(msgspec.ValidationError) as info:
        msgspec.json.decode(raw, type=Links)
    assert errors_from_msgspec(info.value, msgspec.json.decode(raw)) == [("/links/1/url", message)]
    # Without the value the message still names the rule, never U+0000 alone.
    [(_, without)] = errors_from_msgspec(info.value)
    assert without == "must be an absolute http or https URL without spaces or control characters"


def test_nul_in_other_strings_still_says_u0000() -> None:
    with pytest.raises(msgspec.ValidationError) as info:
        msgspec.json.decode(b'{"links": [{"url": "https://example.org/", "note": "a\\u0000"}]}', type=Links)
    assert errors_from_msgspec(info.value) == [("/links/0/note", "must not contain the character U+0000")]
