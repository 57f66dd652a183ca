"""属地兜底 follows the plan's declared hierarchy, lowest level first (both stores)."""

from __future__ import annotations

import geopandas as gpd
import shapely

from geogrid.model import parse_levels
from geogrid.services import PlanCache
from geogrid.services.incidents import IncidentService, Intake

HZ = parse_levels("街道=street,社区=community,网格=grid")
BOXES = {"S": (121.50, 31.23, 121.52, 31.25), "SQ-1": (121.50, 31.23, 121.51, 31.25),
         "SQ-2": (121.51, 31.23, 121.52, 31.25), "SQ-1-1": (121.50, 31.23, 121.51, 31.24),
         "SQ-1-2": (121.50, 31.24, 121.51, 31.25), "SQ-2-1": (121.51, 31.23, 121.52, 31.24),
         "SQ-2-2": (121.51, 31.24, 121.52, 31.25)}
PARENT = {"S": None, "SQ-1": "S", "SQ-2": "S", "SQ-1-1": "SQ-1", "SQ-1-2": "SQ-1",
          "SQ-2-1": "SQ-2", "SQ-2-2": "SQ-2"}


def _service(store) -> IncidentService:
    areas = gpd.GeoDataFrame({
        "id": list(BOXES), "name": list(BOXES), "parent_id": [PARENT[k] for k in BOXES],
        "level": ["street" if k == "S" else "community" if k.count("-") == 1 else "grid"
                  for k in BOXES]}, geometry=[shapely.box(*b) for b in BOXES.values()],
        crs="EPSG:4490")
    with store.write() as conn:
        plan = store.create_plan(conn, name="declared", street_code="310115005", levels=HZ)
        store.add_areas(conn, plan, areas)
    store.activate_plan(plan)
    return IncidentService(store, PlanCache(store), reach_m=500.0)


def _report(service, lon, lat) -> dict:
    row, _ = service.intake(Intake(category="其他", lon=lon, lat=lat, datum="cgcs2000",
                                   auto_dispatch=True),
                            actor="t")
    return row


def test_inside_the_lowest_declared_level_takes_it(store):
    row = _report(_service(store), 121.505, 31.235)
    state = row["attrs"]["state"]
    assert state["chain"] == ["SQ-1-1", "SQ-1", "S"]  # 网格, then 社区, then 街道
    assert row["handler"] == "SQ-1-1"


def test_just_outside_the_nearest_area_of_the_lowest_level_takes_it(store):
    row = _report(_service(store), 121.522, 31.235)  # ~190 m east of the street
    assert row["located_by"] == "territorial"
    assert row["attrs"]["state"]["chain"] == ["SQ-2-1", "SQ-2", "S"]
    assert row["handler"] == "SQ-2-1"
    assert {k: v["id"] for k, v in row["area_chain"].items()} == {
        "street": "S", "community": "SQ-2", "grid": "SQ-2-1"}
