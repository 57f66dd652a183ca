"""Every JSON answer matches the response model its route declares in OpenAPI.

schemathesis generates requests per operation and checks each 2xx answer against
the documented schema (``response_schema_conformance``), so a model that claims a
field the handler does not send (or a wrong type) fails here.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from api import create_app
from geogrid.settings import Settings
from geogrid.store.users import create_user, issue_token

MAX_EXAMPLES = 8


@pytest.fixture
def app_and_token(demo_store):
    create_user(demo_store, "admin2", "admin")
    token = issue_token(demo_store, "admin2")
    app = create_app(Settings(database_url=str(demo_store.engine.url), max_batch=200),
                     store=demo_store)
    with TestClient(app):
        yield app, token


def test_answers_match_their_declared_models(app_and_token):
    app, token = app_and_token
    # a few incidents and a responder, so lists and details have rows to check
    with TestClient(app) as c:
        h = {"Authorization": f"Bearer {token}"}
        for dx in (0.0, 0.001):
            c.post("/incidents", json={"category": "积水", "lon": 121.512 + dx, "lat": 31.237,
                                       "datum": "wgs84"}, headers=h)
        c.post("/responders", json={"name": "甲", "lon": 121.51, "lat": 31.237}, headers=h)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    mismatches, checked = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET":
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            nonlocal checked
            response = case.call(headers=headers)
            ctype = response.headers.get("content-type") or [""]
            ctype = ctype[0] if isinstance(ctype, list) else ctype
            if 200 <= response.status_code < 300 and ctype.startswith("application/json"):
                checked += 1
                try:
                    case.validate_response(response, checks=[response_schema_conformance])
                except Exception as exc:  # noqa: BLE001 - collect every mismatch
                    mismatches.append((case.formatted_path, str(exc)[:400]))

        run()
    assert checked >= 20
    assert mismatches == []
