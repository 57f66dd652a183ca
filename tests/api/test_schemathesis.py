"""Property-based tests of every operation against the OpenAPI spec: no 5xx, ever.

Each operation gets Hypothesis-generated requests from schemathesis' strategy
for it (valid and edge-case parameters, bodies and headers), sent in-process to
the app with an admin token so the write paths are exercised too.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from api import create_app
from geogrid.settings import Settings
from geogrid.store.users import create_user, issue_token

MAX_EXAMPLES = 30


@pytest.fixture
def app_and_token(demo_store, monkeypatch):
    # generated subscriber URLs must never be called: no webhook dispatcher in this test
    monkeypatch.setenv("GEOGRID_WEBHOOK_ENABLED", "0")
    create_user(demo_store, "admin1", "admin")
    token = issue_token(demo_store, "admin1")
    app = create_app(Settings(database_url=str(demo_store.engine.url), max_batch=200),
                     store=demo_store)
    with TestClient(app):  # runs the lifespan: app.state is ready
        yield app, token


def test_no_operation_answers_5xx(app_and_token):
    app, token = app_and_token
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    failures, tried = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tried += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            try:
                response = case.call(headers=headers)
            except Exception as exc:  # a broken response is a failure too: keep the request
                failures.append((case.method, case.formatted_path, case.query, case.body,
                                 "exception", repr(exc)[:300]))
                return
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, case.query, case.body,
                                 response.status_code, response.text[:300]))

        run()
    assert tried >= 20
    assert failures == []
