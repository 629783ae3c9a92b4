"""The error table: driver exceptions become clear problems, never a 500."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
import pytest

from api.errors import EXCEPTION_HANDLERS, errors_from_msgspec

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
