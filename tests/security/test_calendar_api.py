"""The calendar's coverage through the API: /health and the incident's flag."""

from __future__ import annotations

from tests.dispatch.test_calendar_coverage import ARRANGEMENT_2027

from geogrid.store.users import create_user, issue_token

REPORT = {"category": "群租", "lon": 121.512, "lat": 31.237, "datum": "cgcs2000"}


def test_health_reports_the_covered_years_and_imports(make_client, tmp_path):
    body = make_client(calendar_dir=tmp_path).get("/health").json()
    assert body["calendar"]["years"] == [2004, 2026]
    assert body["calendar"]["uncovered_within_days"] == 30
    (tmp_path / "2027.csv").write_text(ARRANGEMENT_2027, encoding="utf-8")
    body = make_client(calendar_dir=tmp_path).get("/health").json()
    assert body["calendar"]["years"] == [2004, 2027] and body["calendar"]["uncovered"] == []


def test_incident_whose_deadline_span_is_uncovered_is_flagged(make_client, demo_store, tmp_path):
    create_user(demo_store, "d1", "dispatcher")
    headers = {"Authorization": f"Bearer {issue_token(demo_store, 'd1')}"}
    client = make_client(calendar_dir=tmp_path)
    old = client.post("/incidents", headers=headers,
                      json=REPORT | {"reported_at": "2003-12-29T10:00:00+08:00"})
    assert old.status_code == 201, old.text
    assert old.json()["calendar_gap"] == [2003]           # the library starts in 2004
    got = client.get(f"/incidents/{old.json()['uid']}", headers=headers).json()
    assert got["calendar_gap"] == [2003]
    recent = client.post("/incidents", headers=headers,
                         json=REPORT | {"reported_at": "2026-06-01T10:00:00+08:00"})
    assert recent.json()["calendar_gap"] == []
