"""Sequences of operations, fuzzed with schemathesis's state machine: no 5xx, no answer that
breaks the document.

Where test_fuzz.py sends each operation random input, mostly ids nothing has, this one chains
operations by the links between them that schemathesis infers from the OpenAPI document (an
article's id from POST /v1/articles to its claims, a claim's to its verifications, a source's to
its links...), so the requests reach real rows: create, change, verify, link, delete, read.

A bounded run in CI (FUZZ_STATEFUL_SECONDS, 30 by default, and at most FUZZ_STATEFUL_EXAMPLES
scenarios); a longer one on demand, e.g. `FUZZ_STATEFUL_SECONDS=600 FUZZ_STATEFUL_EXAMPLES=100000
pytest tests/integration/operations/test_fuzz_stateful.py` (README, "Operations"). It runs against a database
of its own, which it fills with junk.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import LiveServer, _run, create_key, new_database, settings_for
from tests.integration.operations.test_fuzz import DOCUMENT

SECONDS = float(os.environ.get("FUZZ_STATEFUL_SECONDS", "30"))
EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "200"))
STEPS = int(os.environ.get("FUZZ_STATEFUL_STEPS", "10"))
BATCH = 10
KEY_NAME = "fuzz-stateful"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(database="none")


# A random quote is almost never in a random body, so claims would hardly ever be created and
# the sequences would stop there: articles start with these words, and claims quote them.
LEAD = "Der Bürgermeister sagte am Montag, die Straßenbahn 🚋 fahre ab März öfter, 12 neue Linien. "
QUOTES = ("Straßenbahn", "12 neue Linien", "Bürgermeister sagte", "🚋")


def _known_fields(value: dict[str, Any], shape: dict[str, Any]) -> None:
    """Drop the fields the body's schema does not name, in objects that have a schema of their own.

    The document does not say additionalProperties: false, so schemathesis adds random fields to
    most bodies it means to be valid, and the API refuses them (400, as test_fuzz.py checks):
    the sequence would end at its first step.
    """
    while "$ref" in shape:
        shape = DOCUMENT["components"]["schemas"][shape["$ref"].rsplit("/", 1)[-1]]
    for option in shape.get("oneOf", []) + shape.get("anyOf", []):
        _known_fields(value, option)
    properties = shape.get("properties")
    if not properties:
        return
    for name in [n for n in value if n not in properties]:
        del value[name]
    for name, field in value.items():
        inner = properties[name]
        if isinstance(field, dict):
            _known_fields(field, inner)
        elif isinstance(field, list):
            items: dict[str, Any] = inner.get("items") or next(
                (o.get("items") for o in inner.get("oneOf", []) if "items" in o), {}
            )
            for item in field:
                if isinstance(item, dict):
                    _known_fields(item, items)


def reach_claims(case: schemathesis.Case) -> None:
    body: Any = case.body
    if not isinstance(body, dict):
        return
    content = case.operation.definition.raw.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        _known_fields(body, content["application/json"]["schema"])
    if case.operation.label == "POST /v1/articles" and isinstance(body.get("body"), str):
        body["body"] = LEAD + body["body"]
        for claim in body.get("claims") or []:
            if isinstance(claim, dict) and isinstance(claim.get("quote"), str):
                claim["quote"] = QUOTES[len(claim["quote"]) % len(QUOTES)]
                claim.pop("span", None)
    elif case.operation.label == "POST /v1/articles/{article_id}/claims" and isinstance(
        body.get("quote"), str
    ):
        body["quote"] = QUOTES[len(body["quote"]) % len(QUOTES)]
        body.pop("span", None)


@pytest.fixture(scope="module")
def stateful_server(server_url: str) -> Iterator[tuple[str, str]]:
    """(base URL, token of a key with every scope) of an API on a database of its own."""
    with new_database(server_url, "fuzz_stateful") as url:
        token = _run(create_key(url, KEY_NAME, ["read", "write", "verify", "admin"]))
        server = LiveServer(settings_for(url)).start()
        try:
            yield server.url, token
        finally:
            server.stop()


def test_sequences_of_operations_never_answer_5xx_or_break_their_schema(
    stateful_server: tuple[str, str],
) -> None:
    base_url, token = stateful_server
    deadline = time.monotonic() + SECONDS
    calls: list[int] = []

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": base_url, "headers": {"Authorization": f"Bearer {token}"}}

        def before_call(self, case: schemathesis.Case) -> None:
            # The chain GET /v1/keys → DELETE /v1/keys/{name} would revoke the key the run uses,
            # and every later call would be a 401: revoke any key but that one.
            if case.path_parameters and case.path_parameters.get("name") == KEY_NAME:
                case.path_parameters["name"] = f"{KEY_NAME}-other"
            reach_claims(case)
            calls.append(1)

        def validate_response(
            self, response: Any, case: schemathesis.Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                checks=CHECKS,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=getattr(self, "recorder", None),
            )

    # Hypothesis has no time budget, so scenarios run in batches (each a run of its own, with
    # fresh random choices) until the time or the number of scenarios is spent; a batch that
    # fails is shrunk to the shortest sequence that still fails, and reported.
    settings = hypothesis.settings(
        max_examples=BATCH,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    scenarios = 0
    while scenarios < EXAMPLES and time.monotonic() < deadline:
        Workflow.run(settings=settings)
        scenarios += BATCH
    assert len(calls) > 20, "the state machine made almost no calls"
