"""Schemathesis over the Open311, OGC API Features and webhook operations: no 5xx, ever.

The same property test as the whole API's, limited to these paths so it runs in seconds;
admin token, so the write paths run too. The webhook dispatcher is off: generated
subscriber URLs are never called.
"""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from api import create_app
from geogrid.settings import Settings
from geogrid.store.users import create_user, issue_token

PREFIXES = ("/open311/", "/ogc", "/webhooks")


def test_no_standards_operation_answers_5xx(demo_store, monkeypatch):
    monkeypatch.setenv("GEOGRID_WEBHOOK_ENABLED", "0")
    create_user(demo_store, "admin1", "admin")
    headers = {"Authorization": f"Bearer {issue_token(demo_store, 'admin1')}"}
    app = create_app(Settings(database_url=str(demo_store.engine.url)), store=demo_store)
    failures, tried = [], []
    with TestClient(app):
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith(PREFIXES):
                continue
            tried.append(f"{operation.method.upper()} {operation.path}")

            @given(case=operation.as_strategy())
            @settings(max_examples=40, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append((case.method, case.formatted_path, case.query, case.body,
                                     response.status_code, response.text[:300]))

            run()
    assert len(tried) >= 15, tried
    assert failures == []


def test_a_period_beyond_the_calendar_lists_nothing_instead_of_failing(demo_store, monkeypatch):
    """Found by the property test above: an end in year 1 overflowed when the default window was
    taken from it, and a start in year 9999 west of UTC overflowed in the conversion."""
    monkeypatch.setenv("GEOGRID_WEBHOOK_ENABLED", "0")
    create_user(demo_store, "admin2", "admin")
    headers = {"Authorization": f"Bearer {issue_token(demo_store, 'admin2')}"}
    app = create_app(Settings(database_url=str(demo_store.engine.url)), store=demo_store)
    with TestClient(app) as client:
        for query in ({"end_date": "0001-01-01T00:00:00Z"},
                      {"end_date": "0001-01-01T00:00:00+08:00"},
                      {"start_date": "9999-12-31T23:00:00-08:00"}):
            r = client.get("/open311/v2/requests.json", params=query, headers=headers)
            assert r.status_code == 200, (query, r.text[:300])
            assert r.json() == [], query
        whole = client.get("/open311/v2/requests.json", headers=headers,
                           params={"start_date": "0001-01-01T00:00:00Z",
                                   "end_date": "9999-12-31T00:00:00Z"})
        assert whole.status_code == 200
        assert len(whole.json()) >= len(client.get("/open311/v2/requests.json",
                                                   headers=headers).json())
