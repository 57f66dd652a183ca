"""楼组 (building groups) lie inside their microgrid and do not overlap; gaps between
them are allowed (streets and squares lie in no 楼组)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geogrid.hierarchy import check_plan
from geogrid.model import DEFAULT_LEVELS

D = 0.001  # about 100 m
UTM = 32651


def _plan(groups: dict) -> gpd.GeoDataFrame:
    """A street of one grid and one 居民区 split into two microgrids (west, east), and ``groups``:
    id → (microgrid id, geometry)."""
    street = shapely.box(121.50, 31.23, 121.50 + 2 * D, 31.23 + D)
    rows = [("S", "street", None, street), ("G", "grid", "S", street),
            ("C", "community", "G", street),
            ("W", "microgrid", "C", shapely.box(121.50, 31.23, 121.50 + D, 31.23 + D)),
            ("E", "microgrid", "C", shapely.box(121.50 + D, 31.23, 121.50 + 2 * D, 31.23 + D))]
    rows += [(gid, "building_group", mg, geom) for gid, (mg, geom) in groups.items()]
    return gpd.GeoDataFrame({"id": [r[0] for r in rows], "level": [r[1] for r in rows],
                             "parent_id": [r[2] for r in rows], "code": None,
                             "name": [r[0] for r in rows]},
                            geometry=[r[3] for r in rows], crs="EPSG:4490")


def _m2(geom) -> float:
    return float(gpd.GeoSeries([geom], crs=4490).to_crs(UTM).area.iloc[0])


def _box(x0, y0, x1, y1):
    return shapely.box(121.50 + x0 * D, 31.23 + y0 * D, 121.50 + x1 * D, 31.23 + y1 * D)


def test_groups_inside_their_microgrid_with_gaps_between_pass():
    areas = _plan({"L1": ("W", _box(0.1, 0.1, 0.4, 0.4)), "L2": ("W", _box(0.5, 0.5, 0.9, 0.9)),
                   "L3": ("E", _box(1.2, 0.2, 1.8, 0.8))})
    report = check_plan(areas, DEFAULT_LEVELS)
    assert report.ok and report.counts_nonzero() == {}, report.to_text()


def test_a_group_straddling_its_microgrid_is_an_error_with_its_area():
    straddle = _box(0.8, 0.2, 1.3, 0.6)   # 0.3 of its 0.5 width lies in the east microgrid
    report = check_plan(_plan({"L1": ("W", straddle)}), DEFAULT_LEVELS)
    [out] = report.of_kind("outside_parent")
    assert out.severity == "error" and not report.ok
    assert "L1" in out.ids
    assert out.value == pytest.approx(_m2(shapely.difference(straddle, _box(0, 0, 1, 1))),
                                      rel=0.01)
    assert out.message.startswith("微网格 W:")          # Chinese first, the parent named
    assert "超出上级范围" in out.message and "lies outside the parent" in out.message


def test_a_group_far_outside_is_an_error_and_two_overlapping_groups_a_warning():
    """Orders go to the microgrid: a 楼组 outside it misroutes them (error); two 楼组 of one
    microgrid overlapping leave a building two 楼组长, orders still reach the right
    microgrid (warning)."""
    a, b = _box(0.1, 0.1, 0.6, 0.6), _box(0.4, 0.4, 0.9, 0.9)
    away = _box(1.2, 0.2, 1.4, 0.4)   # in the east microgrid, named under the west one
    report = check_plan(_plan({"A": ("W", a), "B": ("W", b), "X": ("W", away)}), DEFAULT_LEVELS)
    assert not report.of_kind("overlap")
    [over] = report.of_kind("group_overlap")
    assert set(over.ids) == {"A", "B"} and over.severity == "warning"
    assert over.value == pytest.approx(_m2(shapely.intersection(a, b)), rel=0.01)
    assert "楼组 A 与 B 重叠" in over.message and "building groups A and B overlap" in over.message
    [out] = report.of_kind("outside_parent")
    assert out.ids == ("X",) and out.value == pytest.approx(_m2(away), rel=0.01)
    assert not report.of_kind("gap")    # 楼组 need not cover their microgrid


def test_a_group_without_its_microgrid_is_an_orphan_not_a_crash():
    report = check_plan(_plan({"L1": ("NOPE", _box(0.1, 0.1, 0.4, 0.4))}), DEFAULT_LEVELS)
    assert [i.ids for i in report.of_kind("orphan")] == [("L1",)]
    assert not report.of_kind("outside_parent")


def test_checked_parents_are_left_to_the_caller():
    """A stored plan's microgrids are measured per grid with their objects: check_plan
    leaves their tiling (and their own invalid geometry) to that report."""
    areas = _plan({})
    areas.loc[areas["id"] == "E", "geometry"] = _box(1.0, 0.0, 2.0, 0.8)   # a gap under C
    assert [i.ids[0] for i in check_plan(areas, DEFAULT_LEVELS).of_kind("gap")] == ["C"]
    assert check_plan(areas, DEFAULT_LEVELS, checked=["C"]).counts_nonzero() == {}
