"""Schemathesis over the whole OpenAPI document, as a commune worker and as a hub specialist:
data that fits the document and data that does not, for every operation. Whatever it sends,
the API answers no server error and nothing the document does not describe (status, content
type, body shape), and data the document forbids is refused.

Bounded for CI (``FUZZ_EXAMPLES`` per operation and mode, 25 by default; set it higher to fuzz
for longer). The numbers of cases and operations are printed for BENCHMARKS.md.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from caunoi.config.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _fuzz_operation(
    operation: schemathesis.APIOperation,
    mode: schemathesis.GenerationMode,
    headers: dict[str, str],
    counts: Counter[str],
) -> None:
    checks = [*CHECKS, negative_data_rejection] if mode.is_negative else CHECKS

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call(app=application, headers=headers)
        counts["cases"] += 1
        counts[f"status {response.status_code}"] += 1
        case.validate_response(response, checks=checks, headers=headers)

    run()


def _fuzz(token: str, counts: Counter[str]) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    # The WSGI transport does not decompress; gzip is tested elsewhere.
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, headers, counts)
        counts["operations"] += 1


@pytest.fixture
def connection_kept():
    """Like Django's test client: the in-process requests share the test's transaction, so
    the end of a request must not close the database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("persona", ["worker", "specialist"])
def test_the_api_holds_to_its_document_under_generated_input(persona, request, connection_kept):
    from caunoi.accounts.services import api_token_create

    user = request.getfixturevalue(persona)
    _row, token = api_token_create(user=user, name="fuzz", actor=user)
    counts: Counter[str] = Counter()
    _fuzz(token, counts)
    print(f"\nfuzz as {persona}: {dict(sorted(counts.items()))}")
    assert counts["operations"] >= 30
    assert counts["status 500"] == 0
