"""Planning through the API: copy, partition, edit, undo/redo, validate, diff, activate."""

from __future__ import annotations

import pytest

from geogrid.store.users import create_user, issue_token
from tests.support.tiling import plan_problems

GRID = "grid-310115005004"  # 梅园住区
#: 梅园三街坊居民区, one of the grid's two derived communities: microgrids are cut in it
AREA = "grid-310115005004-c002"


@pytest.fixture
def h(demo_store):
    out = {}
    for name, role, scope in [("pl", "planner", None), ("gridpl", "planner", "310115005004"),
                              ("other", "planner", "310115005001"), ("disp", "dispatcher", None)]:
        create_user(demo_store, name, role, scope=scope)
        out[name] = {"Authorization": f"Bearer {issue_token(demo_store, name)}"}
    return out


def _version(client, h, plan_id):
    return client.get(f"/plans/{plan_id}", headers=h["pl"]).json()["version"]


@pytest.fixture
def draft(client, h):
    plan = client.post("/plans/1/copy", json={"name": "2027 草稿"}, headers=h["pl"]).json()
    assert plan["status"] == "draft"
    r = client.post(f"/plans/{plan['id']}/partition",
                    json={"grid_id": AREA, "target_workload": 300, "version": plan["version"]},
                    headers=h["gridpl"])
    assert r.status_code == 200, r.json()
    return plan["id"], r.json()


def test_partition_tiles_and_validates(client, h, draft):
    plan_id, out = draft
    assert out["microgrids"] >= 3
    fc = client.get(f"/plans/{plan_id}/areas", params={"level": "microgrid", "parent": AREA},
                    headers=h["pl"]).json()
    codes = [f["properties"]["code"] for f in fc["features"]]
    assert len(codes) == out["microgrids"]
    assert all(c.startswith("310115005004") and len(c) == 15 and c.isdigit() for c in codes)
    rep = client.get(f"/plans/{plan_id}/validate", params={"grid": AREA}, headers=h["pl"]).json()
    counts = rep["grids"][0]["counts"]
    assert rep["ok"] and counts["gap"] == 0 and counts["overlap"] == 0
    assert counts["orphan_object"] == 0 and counts["multipart"] == 0
    text = client.get(f"/plans/{plan_id}/validate", params={"format": "text"}, headers=h["pl"]).text
    assert "梅园三街坊居民区" in text


def test_split_merge_undo_redo_keep_tiling(client, h, draft):
    plan_id, _ = draft

    def version():
        return client.get(f"/plans/{plan_id}", headers=h["pl"]).json()["version"]

    mgs = [m for m in client.get(f"/plans/{plan_id}/stats", headers=h["pl"]).json()["microgrids"]
           if m["parent_id"] == AREA]
    n = len(mgs)
    r = client.post(f"/plans/{plan_id}/edits", json={"op": "split", "microgrid": mgs[0]["id"],
                                                     "version": version()}, headers=h["pl"])
    assert r.status_code == 200 and r.json()["microgrids"] == n + 1
    stale = client.post(f"/plans/{plan_id}/edits", json={"op": "split", "microgrid": mgs[1]["id"],
                                                         "version": 1}, headers=h["pl"])
    assert stale.status_code == 409
    undo = client.post(f"/plans/{plan_id}/undo", json={"version": version()}, headers=h["pl"])
    assert undo.json()["undone"] is True

    def count():
        stats = client.get(f"/plans/{plan_id}/stats", headers=h["pl"]).json()["microgrids"]
        return sum(m["parent_id"] == AREA for m in stats)

    assert count() == n
    client.post(f"/plans/{plan_id}/redo", json={"version": version()}, headers=h["pl"])
    assert count() == n + 1
    rep = client.get(f"/plans/{plan_id}/validate", params={"grid": AREA}, headers=h["pl"]).json()
    assert rep["grids"][0]["counts"]["gap"] == 0 and rep["grids"][0]["counts"]["overlap"] == 0
    # undo never goes past the copied base: the repartition, split are the only steps
    for _ in range(2):
        r = client.post(f"/plans/{plan_id}/undo", json={"version": version()}, headers=h["pl"])
        assert r.status_code == 200, r.json()
    r = client.post(f"/plans/{plan_id}/undo", json={"version": version()}, headers=h["pl"])
    assert r.status_code == 409 and "nothing to undo" in r.json()["error"]["message"]


def test_locked_microgrid_refuses_edits(client, h, draft):
    plan_id, _ = draft
    mgs = [m for m in client.get(f"/plans/{plan_id}/stats", headers=h["pl"]).json()["microgrids"]
           if m["parent_id"] == AREA]
    lock = client.post(f"/plans/{plan_id}/edits", json={"op": "lock", "microgrid": mgs[0]["id"],
                                                        "version": _version(client, h, plan_id)},
                       headers=h["pl"])
    assert lock.status_code == 200, lock.json()
    r = client.post(f"/plans/{plan_id}/edits", json={"op": "split", "microgrid": mgs[0]["id"],
                                                     "version": lock.json()["version"]},
                    headers=h["pl"])
    assert r.status_code == 409 and "locked" in r.json()["error"]["message"]


def test_scope_limits_planners(client, h, draft):
    plan_id, _ = draft
    mgs = [m for m in client.get(f"/plans/{plan_id}/stats", headers=h["pl"]).json()["microgrids"]
           if m["parent_id"] == AREA]
    split = {"op": "split", "microgrid": mgs[0]["id"], "version": _version(client, h, plan_id)}
    assert client.post(f"/plans/{plan_id}/edits", json=split, headers=h["other"]).status_code == 403
    assert client.post(f"/plans/{plan_id}/edits", json=split, headers=h["disp"]).status_code == 403
    assert _version(client, h, plan_id) == split["version"]  # nothing written


def test_activate_retires_old_and_keeps_filed_incidents(client, h, draft, demo_store):
    plan_id, _ = draft
    inc = client.post("/incidents", json={"category": "积水", "lon": 121.5185, "lat": 31.2375,
                                          "datum": "cgcs2000"}, headers=h["disp"]).json()
    assert inc["plan_id"] == 1
    # split one microgrid so the draft differs from the active plan
    mg = max((m for m in client.get(f"/plans/{plan_id}/stats", headers=h["pl"]).json()["microgrids"]
              if m["parent_id"] == AREA), key=lambda m: m["objects"])
    r = client.post(f"/plans/{plan_id}/edits", json={"op": "split", "microgrid": mg["id"],
                                                     "version": _version(client, h, plan_id)},
                    headers=h["pl"])
    assert r.status_code == 200, r.json()
    diff = client.get(f"/plans/{plan_id}/diff", headers=h["pl"]).json()
    assert diff["moved"] > 0
    assert all(c["from_microgrid"] != c["to_microgrid"] for c in diff["changes"])
    v = client.get(f"/plans/{plan_id}", headers=h["pl"]).json()["version"]
    act = client.post(f"/plans/{plan_id}/activate", json={"version": v}, headers=h["pl"])
    assert act.status_code == 200 and act.json()["status"] == "active"
    assert client.get("/plans/1").json()["status"] == "retired"
    # new incidents go to the new microgrids; the old one keeps the unit it was filed in
    new = client.post("/incidents", json={"category": "积水", "lon": 121.5185, "lat": 31.2375,
                                          "datum": "cgcs2000"}, headers=h["disp"]).json()
    assert new["plan_id"] == plan_id and new["microgrid_uid"].startswith("mg-310115005004")
    again = client.get(f"/incidents/{inc['uid']}", headers=h["disp"]).json()
    assert again["plan_id"] == 1 and again["microgrid_uid"] == inc["microgrid_uid"]
    assert inc["area_chain"]["microgrid"]["code"].startswith("310115005004")
    # locate on a date before the activation uses the old plan
    old = client.get("/locate", params={"lon": 121.5185, "lat": 31.2375, "datum": "cgcs2000",
                                        "date": inc["reported_at"]}).json()
    assert old["plan_id"] == 1


def test_stats_and_validation_of_a_grid_reach_through_its_communities(client, h):
    """A microgrid under a 居民区/商务区 counts in the balance of its grid (the nearest grid
    ancestor); validating that grid covers each of its communities."""
    fc = client.get("/plans/1/areas", headers=h["pl"]).json()["features"]
    props = {f["properties"]["id"]: f["properties"] for f in fc}

    def grid_of(aid):
        while aid is not None and props[aid]["level"] != "grid":
            aid = props[aid]["parent_id"]
        return aid

    stats = client.get("/plans/1/stats", headers=h["pl"]).json()
    rows = stats["microgrids"]
    nested = [m for m in rows if props[m["parent_id"]]["level"] == "community"]
    assert nested, "the demo nests microgrids in communities"
    assert all(m["grid_id"] == grid_of(m["id"]) and m["parent_id"] == props[m["id"]]["parent_id"]
               for m in rows)
    per_grid = {g["grid_id"]: g["microgrids"] for g in stats["grids"]}
    assert set(per_grid) <= {a for a, p in props.items() if p["level"] == "grid"}
    assert sum(per_grid.values()) == len(rows)
    gid = nested[0]["grid_id"]
    communities = {p["id"] for p in props.values()
                   if p["level"] == "community" and p["parent_id"] == gid
                   and any(m["parent_id"] == p["id"] for m in rows)}
    rep = client.get("/plans/1/validate", params={"grid": gid}, headers=h["pl"]).json()
    assert communities and communities <= {g["grid_id"] for g in rep["grids"]}
    one = sorted(communities)[0]
    rep = client.get("/plans/1/validate", params={"grid": one}, headers=h["pl"]).json()
    assert [g["grid_id"] for g in rep["grids"]] == [one]


def test_partitioning_a_grid_with_communities_is_refused_naming_them(client, h):
    """Microgrids are cut within each 居民区/商务区: cutting the grid as a whole would lay a
    second layer of microgrids over theirs. Refused, nothing written."""
    plan = client.post("/plans/1/copy", json={}, headers=h["pl"]).json()
    r = client.post(f"/plans/{plan['id']}/partition",
                    json={"grid_id": GRID, "n_microgrids": 3, "version": plan["version"]},
                    headers=h["gridpl"])
    assert r.status_code == 422
    err = r.json()["error"]
    text = f"{err['message']} {err['fix']}"
    for name, uid in [("梅一小区居民区", "grid-310115005004-c001"), ("梅园三街坊居民区", AREA)]:
        assert name in text and uid in text
    assert "居民区/商务区" in err["message"] and "communities" in err["message"]
    assert _version(client, h, plan["id"]) == plan["version"]


def test_the_partitioned_plan_tiles_at_every_level_and_keeps_15_digit_codes(client, h, draft,
                                                                             demo_store):
    """Whole plan: each area's children tile it, no two areas of a level overlap (across
    communities too), microgrid codes are 15 digits, unique, under their grid's code."""
    plan_id, _ = draft
    before = demo_store.areas(plan_id)
    assert plan_problems(before) == []
    others = before[(before["level"] == "microgrid") & (before["parent_id"] != AREA)
                    & before["code"].str.startswith("310115005004")]
    assert len(others), "the other community of the grid keeps its microgrids"
    mine = before[before["parent_id"] == AREA].sort_values("code")
    split = {"op": "split", "microgrid": mine["id"].iat[0], "version": _version(client, h, plan_id)}
    r = client.post(f"/plans/{plan_id}/edits", json=split, headers=h["gridpl"])
    assert r.status_code == 200, r.json()
    after = demo_store.areas(plan_id)
    assert plan_problems(after) == []
    kept = after[after["id"].isin(others["id"])]
    assert sorted(kept["code"]) == sorted(others["code"])   # the neighbours' codes stand
    new = after[after["parent_id"] == AREA]
    assert len(new) == len(mine) + 1
    assert len(set(new["code"]) - set(mine["code"])) == 1   # only the new part gets a code
    assert not set(new["code"]) & set(others["code"])


def test_a_grid_planner_edits_the_communities_of_their_grid_only(client, h, draft):
    plan_id, _ = draft
    version = _version(client, h, plan_id)
    elsewhere = {"grid_id": "grid-310115005003-c001", "n_microgrids": 2, "version": version}
    assert client.post(f"/plans/{plan_id}/partition", json=elsewhere,
                       headers=h["gridpl"]).status_code == 403
    again = {"grid_id": "grid-310115005004-c001", "n_microgrids": 2, "version": version}
    assert client.post(f"/plans/{plan_id}/partition", json=again,
                       headers=h["other"]).status_code == 403
    r = client.post(f"/plans/{plan_id}/partition", json=again, headers=h["gridpl"])
    assert r.status_code == 200 and r.json()["microgrids"] == 2
