"""The hierarchy as data: declarations, column mapping, parent linking, plan checks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid._errors import InputError
from geogrid.hierarchy import (ColumnMap, check_plan, geos_location, link_parents,
                               standard_codes, standardize_areas)
from geogrid.model import DEFAULT_LEVELS, PlanLevels, parse_levels
from tests.plans.conftest import CRS, hangzhou_layers

HZ = parse_levels("街道=street,社区=community,网格=grid")


def _plan(by_parent_column: bool = True) -> gpd.GeoDataFrame:
    frames = []
    for name, frame in hangzhou_layers().items():
        cols = ColumnMap(name="名称", code="编码", parent="上级编码" if by_parent_column else None)
        frames.append(standardize_areas(frame, cols, source=name, level=HZ.key_of(name)))
    import pandas as pd

    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CRS)


def test_declarations_round_trip_and_refuse_nonsense():
    assert PlanLevels.from_list(HZ.to_list()) == HZ
    assert PlanLevels.from_list(None) is DEFAULT_LEVELS
    assert HZ.key_of("社区") == "community" and DEFAULT_LEVELS.key_of("社区") == "community"
    assert DEFAULT_LEVELS.slots() == {k: k for k in DEFAULT_LEVELS.keys}
    with pytest.raises(InputError, match="片区"):
        HZ.key_of("片区")
    for bad in ("社区=community,街道=street", "街道=street,街道=street", "街道=street,x=y",
                "街道", "街道=street,楼组=building_group,网格=grid"):
        with pytest.raises(InputError):
            parse_levels(bad)


@pytest.mark.parametrize("by", ["id", "code-prefix", "contains"])
def test_every_parent_rule_links_the_same_tree(by):
    areas = _plan(by_parent_column=(by == "id"))
    linked = link_parents(areas, HZ, by).set_index("code")
    assert linked.loc["SQ-1-2", "parent_id"] == "SQ-1"
    assert linked.loc["SQ-3", "parent_id"] == "330106001"
    assert (linked["parent_id"].isna() == (linked["level"] == "street")).all()


def test_unmapped_columns_are_kept_and_missing_ones_named():
    frame = hangzhou_layers()["网格"]
    std = standardize_areas(frame, ColumnMap(name="名称", code="编码"), source="grids.shp",
                            level="grid")
    assert std["attrs"].iloc[0] == {"上级编码": "SQ-1", "所属组织": "杨家牌楼社区",
                                    "external_code": "SQ-1-1"}
    assert list(std["id"]) == ["SQ-1-1", "SQ-1-2", "SQ-3-1", "SQ-3-1~4"]  # ids stay unique
    with pytest.raises(InputError, match="grids.shp.*名字"):
        standardize_areas(frame, ColumnMap(name="名字"), source="grids.shp", level="grid")
    with pytest.raises(InputError, match="no level column"):
        standardize_areas(frame, ColumnMap(), source="grids.shp")


def test_a_crossing_street_is_located_not_raised():
    areas = link_parents(_plan(), HZ, "id")
    bow = shapely.Polygon([(120.10, 30.25), (120.14, 30.28), (120.14, 30.25), (120.10, 30.28)])
    areas.loc[areas["level"] == "street", "geometry"] = bow
    with pytest.raises(shapely.errors.GEOSException):  # what GEOS itself does with it
        shapely.difference(bow, shapely.box(120.1, 30.25, 120.12, 30.28))
    report = check_plan(areas, HZ)
    bad = report.of_kind("invalid_geometry")
    assert ["330106001"] in [list(i.ids) for i in bad]
    assert any("Self-intersection" in i.message and i.location is not None for i in bad)
    assert report.counts["duplicate_code"] == 1  # the rest of the plan is still checked


def test_orphans_and_wrong_parents_are_reported():
    areas = link_parents(_plan(), HZ, "id")
    areas.loc[areas["id"] == "SQ-1-2", "parent_id"] = "SQ-9"
    areas.loc[areas["id"] == "SQ-3-1", "parent_id"] = "SQ-1-1"      # a grid under a grid
    report = check_plan(areas, HZ)
    assert [i.ids for i in report.of_kind("orphan")] == [("SQ-1-2",)]
    assert {i.ids for i in report.of_kind("wrong_parent_level")} == {("SQ-3-1", "SQ-1-1")}
    assert all("上级" in i.message and "parent" in i.message
               for i in report.of_kind("orphan") + report.of_kind("wrong_parent_level"))


def test_a_grid_hung_on_the_street_past_its_community_overlaps_it():
    """Pointing past a level the plan has is a skipped level, and the grid then overlaps
    the community it lies in (both are the street's children) and leaves a gap in it."""
    areas = link_parents(_plan(), HZ, "id")
    areas.loc[areas["id"] == "SQ-3-1", "parent_id"] = "330106001"
    report = check_plan(areas, HZ)
    assert [i.ids for i in report.of_kind("skipped_level")] == [("330106001",)]
    assert ("SQ-3", "SQ-3-1") in {tuple(sorted(i.ids)) for i in report.of_kind("overlap")}
    assert any(i.ids[0] == "SQ-3" for i in report.of_kind("gap"))
    assert not report.of_kind("wrong_parent_level")


def test_geos_messages_give_their_point():
    assert geos_location("TopologyException: side location conflict at 120.5 30.25. This") == \
        (120.5, 30.25)
    assert geos_location("found non-noded intersection between LINESTRING (1 2, 3 4) and "
                         "LINESTRING (5 6, 7 8) at 2.5 3.5") == (2.5, 3.5)
    assert geos_location("no point here") is None


def test_standard_codes_follow_reading_order_under_each_parent():
    areas = link_parents(_plan(), HZ, "id")
    areas["geometry"] = shapely.make_valid(np.asarray(areas.geometry.values, dtype=object))
    codes = standard_codes(areas, HZ, "330106001")
    by = dict(zip(areas["id"], codes))
    assert by["330106001"] == "330106001"
    assert by["SQ-1"] == "330106001001" and by["SQ-3"] == "330106001002"
    grids = areas["level"] == "grid"
    assert all(len(c) == 15 and c.startswith(by[p]) for c, p in
               zip(codes[grids], areas.loc[grids, "parent_id"]))
    assert codes[grids].is_unique
