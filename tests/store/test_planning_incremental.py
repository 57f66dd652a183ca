"""An edit rewrites only what it changes, on SpatiaLite and PostGIS alike.

Moving a building between two neighbouring microgrids must write only those two
microgrids and their 楼组 (the audit log's ``areas.add`` entry counts the rows written;
row ids cannot tell, SQLite reuses them) and touch only the memberships that change; undo restores the memberships and the 楼组 counts exactly.

The first edit of a copied grid may rewrite all of its areas: the copy holds the
geometries as imported, and dissolving the same cells again can differ from them in the
last bits of a coordinate. Areas are compared exactly (a tolerance could leave two
neighbours disagreeing about their shared edge), so the test warms the grid up first."""

from __future__ import annotations

import pytest

from geogrid.services.demo import load_demo
from geogrid.services.planning import PlanningService


@pytest.fixture
def store(demo_store_any):
    """The demo street on each store, copied from one build (``load_demo`` finds it and
    returns its plan id)."""
    return demo_store_any


def _written(store, plan_id: int) -> int:
    """How many areas the newest write of the plan inserted."""
    entry = next(e for e in store.audit_entries(entity="plan", entity_id=str(plan_id), limit=50)
                 if e["action"] == "areas.add")
    return int(entry["after"]["count"])


def _owned(store, plan_id: int, mgs: set[str]) -> int:
    """The rows of these microgrids and of the areas directly under them."""
    areas = store.areas(plan_id)
    return int((areas["id"].isin(mgs) | areas["parent_id"].isin(mgs)).sum())


def _move(svc, store, plan_id: int) -> tuple[list[str], str, str]:
    """Two buildings of one microgrid that may move to a neighbour, and where (the service's
    own dry run decides, so the test does not guess at the partition)."""
    member = store.memberships(plan_id)
    objects = store.objects(types=["building"])
    held = objects[objects["id"].isin(member.index)]
    for mg, ids in held.groupby(held["id"].map(member))["id"]:
        for oid in ids:
            targets = svc.move_targets(plan_id, [oid])["targets"]
            ok = [t["microgrid"] for t in targets if t["ok"] and t["microgrid"] != mg]
            if ok:
                return [oid], mg, ok[0]
    raise AssertionError("no movable building in the demo")


def test_a_move_rewrites_only_the_two_microgrids(store):
    active = load_demo(store)
    svc = PlanningService(store)
    plan_id = store.copy_plan(active, name="incremental", actor="t")
    ids, src, dst = _move(svc, store, plan_id)
    grid = store.areas(plan_id, uids=[src])["parent_id"].iat[0]
    siblings = set(store.areas(plan_id, level="microgrid", parent=grid)["id"])
    assert len(siblings) >= 3
    before_member = store.memberships(plan_id).sort_index()
    groups = {m["id"]: m["building_groups"] for m in svc.stats(plan_id)["microgrids"]}
    v = store.plan(plan_id)["version"]
    svc.edit(plan_id, "move_objects", actor="t", expected_version=v, objects=ids, to=dst)
    svc.undo(plan_id, actor="t", expected_version=v + 1)
    assert store.memberships(plan_id).sort_index().equals(before_member)
    whole_grid = _owned(store, plan_id, siblings)

    v = store.plan(plan_id)["version"]
    out = svc.edit(plan_id, "move_objects", actor="t", expected_version=v, objects=ids, to=dst)
    assert out["moved_objects"] >= 1
    # the two microgrids (and their 楼组) at most: fewer rows than the whole grid has
    assert 2 <= _written(store, plan_id) <= _owned(store, plan_id, {src, dst}) < whole_grid
    member = store.memberships(plan_id)
    changed = set((member != before_member.reindex(member.index)).loc[lambda s: s].index)
    assert set(ids) <= changed and all(member[o] == dst for o in ids)

    svc.undo(plan_id, actor="t", expected_version=v + 1)
    assert 2 <= _written(store, plan_id) <= _owned(store, plan_id, {src, dst})
    assert store.memberships(plan_id).sort_index().equals(before_member)
    assert {m["id"]: m["building_groups"] for m in svc.stats(plan_id)["microgrids"]} == groups
