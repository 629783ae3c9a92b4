"""Strict JSON request bodies.

Litestar converts bodies with ``strict=False`` (``"0"`` would pass as a number); the
contract says no coercion. This DTO decodes with msgspec in strict mode and still lets
the OpenAPI document show the body's real schema.

A loose body (``LooseBody``: any JSON object or array, read leniently by its endpoint) keeps
the limits a strict body keeps by its Structs' shape, MAX_DEPTH and MAX_INTEGER, checked here.

Litestar also reads any body as JSON whatever its Content-Type; ``MediaTypeMiddleware``
answers 415 for a JSON endpoint's body in another media type.

``given`` tells which fields a PATCH body sets.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any, TypeVar

import msgspec
from litestar.dto import AbstractDTO, DTOFieldDefinition
from litestar.enums import RequestEncodingType
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.typing import FieldDefinition

from api.errors import InvalidRequest, UnsupportedMediaType, errors_from_msgspec
from api.http import header
from schemas.common import MAX_DEPTH, MAX_INTEGER

T = TypeVar("T")


def given(patch: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body sets, null included: those it does not leave UNSET. A PATCH
    writes them over the stored row (``{**row, **given(patch)}``) once they are normalised."""
    return {
        name: value
        for name in patch.__struct_fields__
        if (value := getattr(patch, name)) is not msgspec.UNSET
    }


def _plain(body: bytes) -> Any:
    """The body decoded without a schema, for error messages that name what a value got wrong;
    None when it is not JSON past the point where the schema failed."""
    try:
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):  # a body past MAX_DEPTH the schema refused
        return None


class StrictBody(AbstractDTO[T]):
    """Use as ``dto=StrictBody[Model], return_dto=None`` with ``data: Model`` in the handler."""

    _decoders: dict[type, msgspec.json.Decoder[Any]] = {}

    @classmethod
    def generate_field_definitions(cls, model_type: type[Any]) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()

    @classmethod
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        return None

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any
    ) -> Any:
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(cls.model_type))

    def decode_bytes(self, value: bytes) -> Any:
        decoder = self._decoders.get(self.model_type)
        if decoder is None:
            decoder = self._decoders[self.model_type] = msgspec.json.Decoder(self.model_type)
        try:
            return decoder.decode(value)
        except msgspec.ValidationError as exc:
            raise InvalidRequest(
                "the request body does not match the schema", errors=errors_from_msgspec(exc, _plain(value))
            ) from None
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise InvalidRequest("the request body is not valid JSON", errors=[("", str(exc))]) from None

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        return msgspec.convert(value, self.model_type, strict=True)


# What a loose body may be: any JSON object or array, within MAX_DEPTH and MAX_INTEGER.
Document = dict[str, Any] | list[Any]
_document: msgspec.json.Decoder[Document] = msgspec.json.Decoder(Document)


def _token(key: object) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _beyond_limits(value: dict[str, Any] | list[Any], depth: int) -> tuple[list[str], str] | None:
    """(pointer tokens, innermost first; why) of the first value past the limits, else None.

    Recursive, but never deeper than MAX_DEPTH + 1 calls; the pointer is built only on the way
    out of a failure, so a document within the limits costs one pass and no strings.
    """
    if depth > MAX_DEPTH:
        return [], f"nests deeper than {MAX_DEPTH} arrays and objects"
    items = value.items() if type(value) is dict else enumerate(value)
    for key, child in items:
        kind = type(child)
        if kind is dict or kind is list:
            found = _beyond_limits(child, depth + 1)
            if found is not None:
                found[0].append(_token(key))
                return found
        elif kind is int and not -MAX_INTEGER <= child <= MAX_INTEGER:
            return [_token(key)], f"must be an integer between -{MAX_INTEGER} and {MAX_INTEGER}"
    return None


def decode_document(body: bytes) -> Document:
    """A JSON object or array without a schema, held to the limits every body keeps.

    Strict bodies keep them by their Structs' shape; a document read leniently is checked
    here, before anything walks it: a deep one would exhaust the recursion of whatever reads
    it (msgspec included, past about 1,000 levels), a huge integer overflows a float.
    """
    try:
        document = _document.decode(body)
    except RecursionError:
        raise InvalidRequest(
            "the request body nests too deeply",
            errors=[("", f"nests deeper than {MAX_DEPTH} arrays and objects")],
        ) from None
    except msgspec.ValidationError as exc:
        if "[...]" in str(exc):  # somewhere inside, where msgspec keeps no path: a float beyond a double
            message = str(exc).split(" - at ", 1)[0]
            raise InvalidRequest(
                "the request body holds a number out of range", errors=[("", message)]
            ) from None
        raise InvalidRequest(  # a scalar, not an object or array
            "the request body is not a JSON object or array", errors=errors_from_msgspec(exc)
        ) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequest("the request body is not valid JSON", errors=[("", str(exc))]) from None
    return within_limits(document)


def within_limits(document: Document) -> Document:
    """The document, when it keeps MAX_DEPTH and MAX_INTEGER; else InvalidRequest naming where."""
    found = _beyond_limits(document, 1)
    if found is not None:
        tokens, message = found
        pointer = "".join("/" + token for token in reversed(tokens))
        raise InvalidRequest(
            "the request body is beyond the limits of a JSON body", errors=[(pointer, message)]
        )
    return document


class LooseBody(StrictBody[Any]):
    """Any JSON object or array within the limits, for documents read leniently (ClaimReview).

    Use as ``dto=LooseBody, return_dto=None`` with ``data: JSONBody[Document]`` in the handler.
    """

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any
    ) -> Any:
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(Document))

    def decode_bytes(self, value: bytes) -> Any:
        return decode_document(value)

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        return within_limits(value)


# application/json, or a JSON-based type such as application/merge-patch+json or application/ld+json.
_JSON_MEDIA_TYPE = re.compile(r"application/(?:[a-z0-9!#$&^_.-]+\+)?json")
_CHARSET = re.compile(r';\s*charset\s*=\s*"?([^";\s]*)"?', re.I)


def takes_json(handler: Any) -> bool:
    """Whether a route handler reads its body as JSON (a ``data`` parameter, JSONBody)."""
    data = getattr(handler, "parsed_data_field", None)
    if data is None:
        return False
    return getattr(data.kwarg_definition, "media_type", RequestEncodingType.JSON) == RequestEncodingType.JSON


def media_type_refusal(content_type: str | None) -> str | None:
    """Why a body with this Content-Type cannot be read as JSON, or None when it can.

    No Content-Type at all (or an empty one) is read as JSON: minimal clients send none, and
    the body is still decoded strictly. A charset other than UTF-8 is refused (RFC 8259).
    """
    if content_type is None or not content_type.strip():
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not _JSON_MEDIA_TYPE.fullmatch(media_type):
        return (
            "the request body must be JSON: send Content-Type: application/json "
            f"(or application/*+json), not {media_type or 'an empty media type'}"
        )
    charset = _CHARSET.search(content_type)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        return f"JSON is read as UTF-8; the Content-Type names charset={charset.group(1)}"
    return None


class MediaTypeMiddleware:
    """415 for a JSON endpoint's body in another media type, before anything reads or stores
    it (the idempotency layer runs inside this one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and takes_json(scope.get("route_handler")):
            content_type = header(scope, b"content-type")
            refusal = media_type_refusal(None if content_type is None else content_type.decode("latin-1"))
            if refusal is not None:
                accept = "Accept-Patch" if scope.get("method") == "PATCH" else "Accept-Post"
                raise UnsupportedMediaType(refusal, headers={accept: "application/json"})
        await self.app(scope, receive, send)
