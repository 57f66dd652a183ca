"""A plan's stored locator on either store: SpatiaLite and PostGIS store it the same way,
and a second cache opens it without reading the plan's areas."""

from __future__ import annotations

from geogrid.services import PlanCache
from geogrid.services.locatefiles import locator_path, prepare


def test_stored_and_opened_on_either_store(demo_any, tmp_path):
    plan = demo_any.active_plan()
    plan_id = int(plan["id"])
    first = PlanCache(demo_any, locate_dir=tmp_path)
    prepare(first, plan_id)
    assert (locator_path(tmp_path, demo_any, plan) / "labels" / "id.npy").exists()
    second = PlanCache(demo_any, locate_dir=tmp_path)
    hit = second.locator(plan_id).locate_one(121.512, 31.237)
    assert second.plan_data(plan_id)._areas is None          # opened: no areas read
    assert hit == first.locator(plan_id).locate_one(121.512, 31.237)
    assert hit["chain"]["grid"]["name"] == "崂山住区"
