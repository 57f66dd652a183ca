"""Every write on a draft names the plan version it was made on, on both stores.

Missing: 422 in the error shape, naming ``version``, Chinese first; stale: 409. Either way
the plan is left exactly as it was (same version, same microgrids, still there).
"""

from __future__ import annotations

import re

import pytest

from geogrid.store.users import create_user, issue_token
from tests.api.conftest import client_for

GRID = "grid-310115005004-c002"  # 梅园三街坊居民区: microgrids are cut in a community
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def api(demo_any):
    create_user(demo_any, "pv", "planner")
    with client_for(demo_any, issue_token(demo_any, "pv")) as c:
        yield c


def _state(api, plan_id):
    plan = api.get(f"/plans/{plan_id}")
    mgs = api.get(f"/plans/{plan_id}/areas", params={"level": "microgrid", "parent": GRID})
    return plan.status_code, plan.json().get("version"), sorted(f["id"] for f in
                                                                mgs.json()["features"])


def _writes(plan_id, microgrid, version):
    """Each draft write, with ``version`` (None: left out of the request)."""
    v = {} if version is None else {"version": version}
    return [
        ("POST", f"/plans/{plan_id}/partition", {"json": {"grid_id": GRID, "n_microgrids": 4, **v}}),
        ("POST", f"/plans/{plan_id}/edits", {"json": {"op": "lock", "microgrid": microgrid, **v}}),
        ("POST", f"/plans/{plan_id}/undo", {"json": v}),
        ("POST", f"/plans/{plan_id}/redo", {"json": v}),
        ("POST", f"/plans/{plan_id}/activate", {"json": v}),
        ("DELETE", f"/plans/{plan_id}", {"params": v}),
    ]


def test_a_write_without_or_with_a_stale_version_changes_nothing(api):
    draft = api.post("/plans/1/copy", json={"name": "版本"}).json()
    plan_id, v0 = draft["id"], draft["version"]
    r = api.post(f"/plans/{plan_id}/partition", json={"grid_id": GRID, "n_microgrids": 3,
                                                      "version": v0})
    assert r.status_code == 200, r.json()
    microgrid = _state(api, plan_id)[2][0]
    r = api.post(f"/plans/{plan_id}/edits", json={"op": "lock", "microgrid": microgrid,
                                                  "version": r.json()["version"]})
    assert r.status_code == 200, r.json()
    r = api.post(f"/plans/{plan_id}/undo", json={"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["undone"] is True
    r = api.post(f"/plans/{plan_id}/redo", json={"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["undone"] is False, r.json()
    before = _state(api, plan_id)
    assert before[0] == 200 and before[1] == v0 + 4 and len(before[2]) == 3

    for method, path, kw in _writes(plan_id, microgrid, None):
        r = api.request(method, path, **kw)
        err = r.json()["error"]
        assert (r.status_code, err["code"], err["field"]) == (422, "invalid_input", "version"), \
            (method, path, r.json())
        assert CJK.match(err["message"]) and "version" in err["message"]
        assert CJK.search(err["fix"]) and re.search(r"[A-Za-z]{4}", err["fix"])
        assert _state(api, plan_id) == before, (method, path)

    for stale in (v0, before[1] - 1):
        for method, path, kw in _writes(plan_id, microgrid, stale):
            r = api.request(method, path, **kw)
            err = r.json()["error"]
            assert (r.status_code, err["field"], err["value"]) == (409, "version", stale), \
                (method, path, r.json())
            assert CJK.match(err["message"]) and "someone else changed it" in err["message"]
            assert _state(api, plan_id) == before, (method, path)

    r = api.delete(f"/plans/{plan_id}", params={"version": before[1]})
    assert r.status_code == 204
    assert api.get(f"/plans/{plan_id}").status_code == 404


def test_undo_then_redo_of_a_partition_gives_back_its_microgrids(api):
    draft = api.post("/plans/1/copy", json={}).json()
    r = api.post(f"/plans/{draft['id']}/partition", json={"grid_id": GRID, "n_microgrids": 3,
                                                          "version": draft["version"]})
    assert r.status_code == 200, r.json()
    made = _state(api, draft["id"])[2]
    groups = api.get(f"/plans/{draft['id']}/areas", params={"level": "building_group"}).json()
    r = api.post(f"/plans/{draft['id']}/undo", json={"version": r.json()["version"]})
    assert r.status_code == 200, r.json()
    r = api.post(f"/plans/{draft['id']}/redo", json={"version": r.json()["version"]})
    assert r.status_code == 200, r.json()        # its 楼组 went with the undone microgrids
    assert _state(api, draft["id"])[2] == made
    again = api.get(f"/plans/{draft['id']}/areas", params={"level": "building_group"}).json()
    assert sorted(f["id"] for f in again["features"]) == \
        sorted(f["id"] for f in groups["features"])
