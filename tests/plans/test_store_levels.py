"""The plan repository on both stores: declared levels, provenance, re-imported ids."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geogrid._errors import ConflictError
from geogrid.model import parse_levels

HZ = parse_levels("街道=street,社区=community,网格=grid")


def _areas(ids, level="社区"):
    return gpd.GeoDataFrame({"id": ids, "level": level, "name": ids, "parent_id": None,
                             "attrs": [{"所属组织": "留下街道"}] * len(ids)},
                            geometry=[shapely.box(120.1 + i * 0.01, 30.25, 120.11 + i * 0.01, 30.26)
                                      for i in range(len(ids))], crs="EPSG:4490")


def test_declared_levels_provenance_and_conflicts(store):
    with store.write() as conn:
        plan = store.create_plan(conn, name="留下", street_code="330106001", levels=HZ)
        store.add_areas(conn, plan, _areas(["SQ-1", "SQ-3"]))
        store.record_dataset(conn, plan_id=plan, what="areas", file="a.gpkg", source="留下街道办",
                             licence="CC BY 4.0", attribution="来源 source: 留下街道办", features=2)
    got = store.areas(plan, level="社区")  # the Chinese name of a declared level
    assert sorted(got["id"]) == ["SQ-1", "SQ-3"] and set(got["level"]) == {"community"}
    assert got["attrs"].iloc[0]["所属组织"] == "留下街道"
    assert [lv["zh"] for lv in store.plan(plan)["levels"]] == ["街道", "社区", "网格"]
    [ds] = store.datasets(plan_id=plan)
    assert (ds["file"], ds["licence"], ds["features"]) == ("a.gpkg", "CC BY 4.0", 2)
    for again in (["SQ-3", "SQ-9"], ["SQ-7", "SQ-7"]):
        with pytest.raises(ConflictError, match="SQ-3|SQ-7"), store.write() as conn:
            store.add_areas(conn, plan, _areas(again))
    assert len(store.areas(plan)) == 2  # nothing of the refused batches was written
