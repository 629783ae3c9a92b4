"""The limits every request body keeps: nesting depth and the size of integers.

Strict bodies keep the depth by their Structs (checked here for every route's body) and bound
each integer field they use; loose bodies, read without a schema (the ClaimReview import), are
checked against both by api.body.decode_document.
"""

from __future__ import annotations

from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from litestar.routes import HTTPRoute

from api.body import LooseBody, StrictBody, decode_document
from api.errors import InvalidRequest
from api.settings import Settings
from schemas.common import MAX_DEPTH, MAX_INTEGER


def nested(depth: int, inner: bytes = b"1") -> bytes:
    """``depth`` arrays inside one another around ``inner``."""
    return b"[" * depth + inner + b"]" * depth


def refusal(body: bytes) -> list[tuple[str, str]]:
    with pytest.raises(InvalidRequest) as caught:
        decode_document(body)
    assert caught.value.status == 400
    assert caught.value.errors
    return [(e.field, e.message) for e in caught.value.errors]


def test_a_document_as_deep_as_the_limit_is_read() -> None:
    assert decode_document(nested(MAX_DEPTH)) == msgspec.json.decode(nested(MAX_DEPTH))
    deep_object = b'{"a":' * MAX_DEPTH + b"null" + b"}" * MAX_DEPTH
    assert decode_document(deep_object) is not None


def test_one_level_deeper_is_refused_with_a_pointer_to_it() -> None:
    [(field, message)] = refusal(b'{"url": "x", "a/b": ' + nested(MAX_DEPTH) + b"}")
    assert field == "/a~1b" + "/0" * (MAX_DEPTH - 1)
    assert f"deeper than {MAX_DEPTH}" in message


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_document_deep_enough_to_exhaust_recursion_is_a_400(depth: int) -> None:
    [(_, message)] = refusal(b'{"url": ' + nested(depth, b'"https://example.org/x"') + b"}")
    assert f"deeper than {MAX_DEPTH}" in message


def test_integers_beyond_i_json_are_refused_wherever_they_are() -> None:
    assert decode_document(b'{"a": [%d, %d]}' % (MAX_INTEGER, -MAX_INTEGER)) == {
        "a": [MAX_INTEGER, -MAX_INTEGER]
    }
    assert refusal(b'{"a": [1, %d]}' % (MAX_INTEGER + 1))[0][0] == "/a/1"
    assert refusal(b'{"r": {"ratingValue": -%s}}' % (b"9" * 400))[0][0] == "/r/ratingValue"


def test_a_float_beyond_a_double_is_refused() -> None:
    [(field, message)] = refusal(b'{"a": {"b": 1e400}}')
    assert field == "" and "out of range" in message
    assert decode_document(b'{"a": 1e300}') == {"a": 1e300}


@pytest.mark.parametrize("body", [b"42", b'"x"', b"null", b"not json", b"\xff"])
def test_only_an_object_or_array_is_a_document(body: bytes) -> None:
    refusal(body)


# ---- the strict bodies keep the same limits by their shape -----------------------------------


def _routes_bodies() -> list[Any]:
    from api.app import create_app

    app = create_app(Settings(database_url="postgresql://collection.invalid/none"))
    bodies: list[Any] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            dto = handler.resolve_data_dto()
            if dto is not None:
                bodies.append(dto)
    return bodies


def _depth(info: mi.Type, at: str = "", seen: frozenset[int] = frozenset()) -> int:
    """How deep arrays and objects nest in values of this type (``at``: where, as a JSON Pointer
    with ``-`` for any item of an array)."""
    if id(info) in seen:
        raise AssertionError(f"a recursive request type has no depth limit: {at}")
    seen = seen | {id(info)}
    match info:
        case mi.StructType() | mi.DataclassType() | mi.TypedDictType() | mi.NamedTupleType():
            return 1 + max((_depth(f.type, f"{at}/{f.encode_name}", seen) for f in info.fields), default=0)
        case mi.ListType() | mi.SetType() | mi.FrozenSetType() | mi.VarTupleType():
            return 1 + _depth(info.item_type, f"{at}/-", seen)
        case mi.TupleType():
            return 1 + max((_depth(t, f"{at}/{i}", seen) for i, t in enumerate(info.item_types)), default=0)
        case mi.DictType():
            return 1 + _depth(info.value_type, f"{at}/*", seen)
        case mi.UnionType():
            return max(_depth(t, at, seen) for t in info.types)
        case mi.AnyType():
            raise AssertionError(f"a strict body holds a value of any type at {at}: use LooseBody for that")
        case _:
            return 0


def test_every_route_body_keeps_the_limits() -> None:
    dtos = _routes_bodies()
    assert LooseBody in dtos
    strict = [d for d in dtos if d is not LooseBody]
    assert len(strict) > 10 and all(issubclass(d, StrictBody) for d in strict)
    for dto in strict:
        assert _depth(mi.type_info(dto.model_type)) <= MAX_DEPTH, dto.model_type
