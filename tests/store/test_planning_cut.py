"""A cut along a drawn line, its undo and redo, stored on SpatiaLite and PostGIS alike.

Undo and redo read back saved partition states; the planning service keeps the states it
restored, so this also checks that a state read from its cache gives the plan it stored.
"""

from __future__ import annotations

import pytest

from geogrid.services.demo import load_demo
from geogrid.services.planning import PlanningService


@pytest.fixture
def store(demo_store_any):
    """The demo street on each store, copied from one build (``load_demo`` finds it and
    returns its plan id)."""
    return demo_store_any


def test_cut_undo_redo_round_trip(store):
    active = load_demo(store)
    svc = PlanningService(store)
    plan_id = store.copy_plan(active, name="cut", actor="t")
    stats = svc.stats(plan_id)
    big = max(stats["microgrids"], key=lambda m: m["objects"])
    geom = store.areas(plan_id, uids=[big["id"]]).geometry.iat[0]
    x0, _, x1, _ = geom.bounds
    y = geom.representative_point().y
    line = [[x0 - 3e-4, y], [x1 + 3e-4, y]]
    before = store.memberships(plan_id).sort_index()
    groups = {m["id"]: m["building_groups"] for m in stats["microgrids"]}

    def version():
        return store.plan(plan_id)["version"]

    out = svc.edit(plan_id, "cut", actor="t", expected_version=version(), microgrids=[big["id"]],
                   line=line)
    assert out["microgrids"] == sum(m["grid_id"] == big["grid_id"] for m in stats["microgrids"]) + 1
    cut = store.memberships(plan_id).sort_index()
    assert out["moved_objects"] == int((cut != before.reindex(cut.index)).sum()) > 0
    report = svc.validate(plan_id, big["grid_id"])
    counts = report["grids"][0]["counts"]
    assert counts["gap"] == 0 and counts["overlap"] == 0 and counts["multipart"] == 0
    for _ in range(2):   # the second round reads the states from the cache
        svc.undo(plan_id, actor="t", expected_version=version())
        assert store.memberships(plan_id).sort_index().equals(before)
        assert {m["id"]: m["building_groups"] for m in svc.stats(plan_id)["microgrids"]} == groups
        svc.redo(plan_id, actor="t", expected_version=version())
        assert store.memberships(plan_id).sort_index().equals(cut)
