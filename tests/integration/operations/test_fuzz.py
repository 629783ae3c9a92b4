"""Every operation of /schema/openapi.json fuzzed with schemathesis: no 5xx, no answer that breaks the schema.

A bounded run; the longer one is `FUZZ_EXAMPLES=200 pytest tests/integration/operations/test_fuzz.py` (see
docs/operations.md). It runs against a database of its own, which it fills with junk.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.settings import Settings
from tests.conftest import LiveServer, _run, create_key, new_database, settings_for

# Examples per operation and generation mode (valid and invalid input).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_server(server_url: str) -> Iterator[tuple[str, str]]:
    """(base URL, token of a key with every scope) of an API on a database of its own."""
    with new_database(server_url, "fuzz") as url:
        token = _run(create_key(url, "fuzz", ["read", "write", "verify", "admin"]))
        server = LiveServer(settings_for(url)).start()
        try:
            yield server.url, token
        finally:
            server.stop()


def _openapi_document() -> dict[str, Any]:
    """The document the app serves at /schema/openapi.json, made without a server.

    schemathesis loads it at collection: its lazy loader (from_fixture) reads a pytest
    attribute that pytest 9 no longer has. test_the_served_document_is_the_fuzzed_one checks
    that the server serves this very document.
    """
    from api.app import create_app

    app = create_app(Settings(database_url="postgresql://collection.invalid/none"))
    document: dict[str, Any] = app.openapi_schema.to_schema()
    return document


DOCUMENT = _openapi_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(max_examples=EXAMPLES, database="none")


def test_the_served_document_is_the_fuzzed_one(fuzzed_server: tuple[str, str]) -> None:
    base_url, _ = fuzzed_server
    served = httpx.get(f"{base_url}/schema/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(DOCUMENT))


@schema.parametrize()
def test_no_operation_answers_5xx_or_breaks_its_schema(
    case: schemathesis.Case, fuzzed_server: tuple[str, str]
) -> None:
    base_url, token = fuzzed_server
    case.call_and_validate(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
