"""Property-based tests of every operation against the OpenAPI spec, with every check.

Each operation gets Hypothesis-generated requests from schemathesis' strategies for it:
schema-valid ones (positive) and schema-violating ones (negative), sent in-process with
an admin token so the write paths are exercised too. Every answer must pass all the
response checks schemathesis has: no server error, a documented status code, content
type and headers, a body matching the documented schema for that status, schema-violating
data rejected, required headers and unsupported methods refused. Examples are
derandomized, so a run is repeatable.

``positive_data_acceptance`` is the one check left out: it wants every schema-valid request
to succeed, but the API rightly refuses (422, in the documented shape) input whose rules
a JSON schema cannot state: a point outside the covered area, lat without lon, a tile
column beyond 2^z, an admin with a scope.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from api import create_app
from geogrid.settings import Settings
from geogrid.store.users import create_user, issue_token

#: examples per operation and mode (fixed: derandomized, so the same ones every run)
MAX_EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}
CHECKS = [not_a_server_error,
          openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance,
          openapi_checks.response_headers_conformance,
          openapi_checks.response_schema_conformance,
          openapi_checks.negative_data_rejection,
          openapi_checks.missing_required_header,
          openapi_checks.unsupported_method]


@pytest.fixture
def app_and_store(demo_store, monkeypatch):
    # generated subscriber URLs must never be called: no webhook dispatcher in this test
    monkeypatch.setenv("GEOGRID_WEBHOOK_ENABLED", "0")
    create_user(demo_store, "admin1", "admin")
    app = create_app(Settings(database_url=str(demo_store.engine.url), max_batch=200),
                     store=demo_store)
    with TestClient(app):  # runs the lifespan: app.state is ready
        yield app, demo_store


def _failures(exc: BaseException) -> list[BaseException]:
    return list(getattr(exc, "exceptions", None) or [exc])


def test_every_operation_passes_every_check(app_and_store):
    app, store = app_and_store
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures, tried, negative = [], 0, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tried += 1
        # a fresh token per operation: a generated DELETE /tokens/{id} may revoke one
        headers = {"Authorization": f"Bearer {issue_token(store, 'admin1')}"}
        for mode, examples in MAX_EXAMPLES.items():

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                response = None
                try:
                    try:
                        response = case.call(headers=headers)
                    except TypeError as exc:
                        if "64-bit" in str(exc):  # the client cannot encode a JSON int that big
                            return
                        raise
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except BaseException as exc:  # noqa: BLE001 - keep the request and go on
                    for f in _failures(exc):
                        failures.append((operation.method.upper(), operation.path, mode.value,
                                         getattr(f, "title", type(f).__name__),
                                         getattr(response, "status_code", None),
                                         str(f)[:300], case.as_curl_command(headers)))

            try:
                run()
                negative += mode is GenerationMode.NEGATIVE
            except Unsatisfiable:  # nothing to negate: an operation without parameters
                assert mode is GenerationMode.NEGATIVE
    assert tried >= 60 and negative >= 40
    kinds = sorted({f[:5] for f in failures}, key=str)
    assert failures == [], "\n".join(map(str, kinds)) + "\n\nfirst: " + "\n".join(failures[0][5:])
