"""Store-mode partition follows the plan's declared levels (both stores)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geogrid._errors import InputError
from geogrid.model import parse_levels
from geogrid.services.planning import PlanningService

HZ = parse_levels("街道=street,社区=community,网格=grid")


def _hangzhou_plan(store, demo_frames) -> tuple[int, str]:
    """A 街道 → 社区 → 网格 draft whose one 社区 is a Lujiazui grid, objects and roads included."""
    grid = demo_frames["grids"].iloc[[0]]
    street = demo_frames["street"]
    areas = gpd.GeoDataFrame(pd.concat([
        street.assign(level="street", parent_id=None),
        grid.assign(id="SQ-1", level="community", parent_id=street["id"].iat[0], code="SQ-1")],
        ignore_index=True), geometry="geometry", crs=street.crs)
    objects = demo_frames["objects"]
    inside = objects.geometry.representative_point().intersects(grid.geometry.iat[0])
    with store.write() as conn:
        plan = store.create_plan(conn, name="declared", street_code="330106001", levels=HZ)
        store.add_areas(conn, plan, areas)
        store.upsert_objects(conn, objects[inside.to_numpy()])
        store.add_roads(conn, demo_frames["roads"])
    return plan, "SQ-1"


def test_a_community_is_cut_into_the_declared_level_below_it(store, demo_frames):
    plan, community = _hangzhou_plan(store, demo_frames)
    service = PlanningService(store)
    out = service.partition_grid(plan, community, actor="t", n_microgrids=3)
    parts = store.areas(plan, parent=community)
    assert out["microgrids"] == len(parts) > 1
    assert set(parts["level"]) == {"grid"}  # 网格, the level the plan declares under 社区
    assert parts["name"].str.fullmatch(r"第\d+网格").all()
    assert not (store.areas(plan)["level"] == "microgrid").any()
    service.undo(plan, actor="t")
    assert store.areas(plan, parent=community).empty


def test_the_lowest_declared_level_is_not_partitioned(store, demo_frames):
    plan, community = _hangzhou_plan(store, demo_frames)
    service = PlanningService(store)
    service.partition_grid(plan, community, actor="t", n_microgrids=3)
    lowest = store.areas(plan, parent=community)["id"].iat[0]
    with pytest.raises(InputError, match="社区=community") as err:
        service.partition_grid(plan, lowest, actor="t")
    assert err.value.field == "grid_id" and err.value.value == lowest
