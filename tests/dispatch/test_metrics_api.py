"""/metrics takes a period and says which definition it used."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import create_app
from geogrid.dispatch.metrics import DEFINITION
from geogrid.settings import Settings
from geogrid.store.users import create_user, issue_token

REPORT = {"category": "群租", "lon": 121.512, "lat": 31.237, "datum": "cgcs2000"}  # 5 working days


@pytest.fixture
def api(demo_store):
    create_user(demo_store, "m1", "admin")
    headers = {"Authorization": f"Bearer {issue_token(demo_store, 'm1')}"}
    with TestClient(create_app(Settings(database_url=str(demo_store.engine.url)),
                               store=demo_store)) as c:
        c.headers.update(headers)
        yield c


def test_metrics_count_cases_due_in_the_period_as_of_its_end(api):
    for when in ("2026-04-28T10:00:00+08:00", "2026-05-06T10:00:00+08:00",
                 "2026-05-29T10:00:00+08:00"):
        r = api.post("/incidents", json=REPORT | {"reported_at": when})
        assert r.status_code == 201, r.text
    rows = api.get("/metrics", params={"by": "street", "start": "2026-05-01T00:00:00+08:00",
                                       "end": "2026-06-01T00:00:00+08:00"}).json()
    assert len(rows) == 1
    row = rows[0]
    # 28 Apr + 5 working days (1-5 May off, 9 May 调休) is due in May; 6 May is due 13 May;
    # 29 May is due in June: 2 due, both open and overdue as of 1 June
    assert (row["reported"], row["due"], row["open_overdue"], row["closed_on_time"]) == (2, 2, 2, 0)
    assert row["on_time_rate"] == 0.0
    assert row["as_of"] == "2026-06-01T00:00:00+08:00" and row["definition"] == DEFINITION
    june = api.get("/metrics", params={"by": "street", "start": "2026-06-01T00:00:00+08:00",
                                       "end": "2026-07-01T00:00:00+08:00"}).json()[0]
    assert (june["reported"], june["due"]) == (0, 1)
