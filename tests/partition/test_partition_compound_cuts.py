"""A compound too heavy for one microgrid is cut along its inner path, else straight
across its short side (打破围墙边界: the cut the data impose, and no longer)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geogrid.partition import partition
from geogrid.rule_metrics import rule_metrics

LOCAL = "+proj=tmerc +lat_0=31.23 +lon_0=121.5 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"


def frame(geoms, **cols):
    gs = gpd.GeoSeries(list(geoms), crs=LOCAL).to_crs("EPSG:4490")
    return gpd.GeoDataFrame(cols, geometry=gs.values, crs="EPSG:4490")


def _cut_inside(res, compound):
    """The boundary between the two microgrids inside the compound (3 m off its walls)."""
    mg = res.microgrids.to_crs(LOCAL).geometry.to_numpy()
    assert len(mg) == 2
    shared = shapely.intersection(shapely.boundary(mg[0]), shapely.boundary(mg[1]))
    return shapely.intersection(shared, shapely.buffer(compound, -3.0))


@pytest.mark.parametrize("x", [158.0, 140.0])
def test_a_compound_is_cut_along_its_inner_path(x):
    # 300 × 200 m compound of 600 households in two microgrids, a footway across it
    # off its middle (52 % / 47 % of its area west of the path): the cut lies on the path
    compound = shapely.box(0, 0, 300, 200)
    parent = frame([shapely.box(-20, -20, 320, 220)], id=["g"])
    objs = frame([compound], id=["c"], type=["compound"], households=[600.0])
    path = frame([shapely.LineString([(x, -20), (x, 220)])], kind=["path"],
                 kind_detail=["footway"])
    res = partition(parent, objs, path, n_microgrids=2, measure_rules=False)
    cut = _cut_inside(res, compound)
    assert shapely.length(cut) == pytest.approx(194, abs=1)  # straight across, walls aside
    line = shapely.LineString([(x, -20), (x, 220)])
    assert shapely.hausdorff_distance(cut, shapely.intersection(
        line, shapely.buffer(compound, -3.0))) < 0.5
    assert res.report["workload"]["cv"] < 0.15


def test_a_compound_needing_two_pieces_is_cut_across_its_short_side():
    # 400 × 100 m compound turned by 30°, 600 households, two microgrids, no path:
    # the cut is no longer than 1.1 × its 100 m short side (the long way is 400 m)
    compound = shapely.affinity.rotate(shapely.box(0, 0, 400, 100), 30, origin=(200, 50))
    parent = frame([shapely.buffer(compound, 20, join_style="mitre")], id=["g"])
    objs = frame([compound], id=["c"], type=["compound"], households=[600.0])
    res = partition(parent, objs, None, n_microgrids=2, measure_rules=False)
    cut = _cut_inside(res, compound)
    assert 90 <= shapely.length(cut) <= 1.1 * 100
    m = rule_metrics(parent, res.microgrids, objs, target_workload=300.0)["grid"]
    assert m["compounds"]["over_cut"] == 0 and m["compounds"]["items"][0]["pieces"] == 2
    # the plan spends no more off roads inside the compound than the floor estimate
    assert m["offroad"]["in_compounds_m"] <= m["floor"]["compound_split_offroad_m"] + 1.0
