"""Strict JSON request bodies.

Litestar converts bodies with ``strict=False`` (``"0"`` would pass as a number); the
contract says no coercion. This DTO decodes with msgspec in strict mode and still lets
the OpenAPI document show the body's real schema.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeVar

import msgspec
from litestar.dto import AbstractDTO, DTOFieldDefinition
from litestar.typing import FieldDefinition

from api.errors import InvalidRequest, errors_from_msgspec

T = TypeVar("T")


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
                "the request body does not match the schema", errors=errors_from_msgspec(exc)
            ) from None
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise InvalidRequest("the request body is not valid JSON", errors=[("", str(exc))]) from None

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        return msgspec.convert(value, self.model_type, strict=True)
