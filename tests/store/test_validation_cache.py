"""Validation reports are kept by what they were computed from, on SpatiaLite and PostGIS.

Asking twice gives the same report without validating again (``reports.computed`` counts
the reports the service really computed); an edit, or new object data, changes the report
of the grid it touched, also when another service (another worker) made the change.
"""

from __future__ import annotations

import pytest

from geogrid.services.demo import load_demo
from geogrid.services.planning import PlanningService
from geogrid.services.reportcache import ReportCache, fingerprint


@pytest.fixture
def store(demo_store_any):
    return demo_store_any


def _movable(svc, store, plan_id: int) -> tuple[str, str, str]:
    """A building that may move to a neighbouring microgrid (the service's dry run decides),
    its microgrid and the neighbour."""
    member = store.memberships(plan_id)
    objects = store.objects(types=["building"])
    held = objects[objects["id"].isin(member.index)]
    for oid in held["id"]:
        ok = [t["microgrid"] for t in svc.move_targets(plan_id, [oid])["targets"]
              if t["ok"] and t["microgrid"] != member[oid]]
        if ok:
            return oid, member[oid], ok[0]
    raise AssertionError("no movable building in the demo")


def _cv(report: dict) -> float:
    [grid] = report["grids"]
    return grid["stats"]["workload_cv"]


def test_a_second_call_is_served_from_the_cache_and_an_edit_is_seen(store):
    active = load_demo(store)
    worker_a, worker_b = PlanningService(store), PlanningService(store)
    plan_id = store.copy_plan(active, name="cache", actor="t")
    oid, src, dst = _movable(worker_a, store, plan_id)
    grid = store.areas(plan_id, uids=[src])["parent_id"].iat[0]

    first = worker_a.validate(plan_id, grid)
    assert worker_a.reports.computed == 1
    again = worker_a.validate(plan_id, grid)
    assert again == first and worker_a.reports.computed == 1
    again["grids"][0]["ok"] = "changed by the caller"   # a caller's copy, not the cached one
    assert worker_a.validate(plan_id, grid) == first

    # the other worker edits the plan: the first one's next answer is the new plan's
    worker_b.edit(plan_id, "move_objects", actor="t", expected_version=store.plan(plan_id)["version"],
                  objects=[oid], to=dst)
    after_edit = worker_a.validate(plan_id, grid)
    assert worker_a.reports.computed == 2
    assert after_edit == PlanningService(store).validate(plan_id, grid)  # as computed afresh
    assert _cv(after_edit) != _cv(first)   # a building's workload changed microgrid
    assert worker_a.validate(plan_id, grid) == after_edit and worker_a.reports.computed == 2


def test_new_object_data_changes_the_report(store):
    active = load_demo(store)
    svc = PlanningService(store)
    member = store.memberships(active)
    obj = store.objects(types=["building"])
    obj = obj[obj["id"].isin(member.index) & (obj["households"] > 0)].iloc[[0]].copy()
    mg = member[obj["id"].iat[0]]
    grid = store.areas(active, uids=[mg])["parent_id"].iat[0]
    first = svc.validate(active, grid)
    obj["households"] = obj["households"] + 500
    with store.write() as conn:
        store.upsert_objects(conn, obj, actor="t")
    second = svc.validate(active, grid)
    assert svc.reports.computed == 2
    assert _cv(second) != _cv(first)   # 500 more households in one microgrid


def test_fingerprint_sees_every_change():
    import geopandas as gpd
    import shapely

    g = gpd.GeoDataFrame({"id": ["a", "b"], "attrs": [{"k": 1}, None], "n": [1.0, float("nan")]},
                         geometry=[shapely.Point(0, 0), shapely.Point(1, 1)], crs=4326)
    assert fingerprint(g, None) == fingerprint(g.copy(), None)
    moved = g.copy()
    moved.loc[1, "geometry"] = shapely.Point(1, 1 + 1e-12)
    attrs = g.copy()
    attrs.at[0, "attrs"] = {"k": 2}
    variants = [moved, attrs, g.iloc[:1], g.set_axis([5, 6]), g.rename(columns={"n": "m"}),
                g.set_crs(3857, allow_override=True)]
    keys = {fingerprint(v, None) for v in variants} | {fingerprint(g, None), fingerprint(None, g)}
    assert len(keys) == len(variants) + 2


def test_the_cache_keeps_the_newest_reports():
    cache = ReportCache(size=2)
    for key in ("a", "b", "a", "c"):   # "b" is the least recently used when "c" arrives
        cache.get(key, lambda key=key: {"key": key})
    assert cache.computed == 3
    assert cache.get("a", lambda: {"key": "again"}) == {"key": "a"}
    assert cache.get("b", lambda: {"key": "b2"}) == {"key": "b2"} and cache.computed == 4
