"""validate_plan catches each kind of broken plan, and passes a sound one."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geogrid._errors import CRSError
from geogrid.validate import validate_plan

LOCAL = "+proj=tmerc +lat_0=31.23 +lon_0=121.5 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"


def gs(geoms):
    """Plans drawn in a local metric CRS (validate_plan accepts any CRS)."""
    return gpd.GeoSeries(list(geoms), crs=LOCAL)


def gdf(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=gs(geoms).values, crs=LOCAL)


PARENT = shapely.box(0, 0, 400, 400)
QUADS = [shapely.box(0, 0, 200, 200), shapely.box(200, 0, 400, 200),
         shapely.box(0, 200, 200, 400), shapely.box(200, 200, 400, 400)]


@pytest.fixture
def parent():
    return gs([PARENT])


def plan(geoms):
    return gdf(geoms, id=list(range(1, len(geoms) + 1)))


def objects(points, **cols):
    cols.setdefault("id", [f"o{i}" for i in range(len(points))])
    cols.setdefault("type", "building")
    cols.setdefault("households", 10.0)
    return gdf([shapely.Point(p) for p in points], **cols)


CENTRES = [(100, 100), (300, 100), (100, 300), (300, 300)]


def test_sound_plan_is_ok(parent):
    rep = validate_plan(parent, plan(QUADS), objects(CENTRES),
                        assignment=pd.Series([1, 2, 3, 4], index=[f"o{i}" for i in range(4)]))
    assert rep.ok, rep.to_text()
    assert not rep.issues
    assert rep.stats["gap_m2"] < 1e-3 and rep.stats["workload_cv"] == 0.0
    assert json.loads(json.dumps(rep.to_dict()))["ok"] is True
    head = rep.to_text().splitlines()[0]
    assert head.startswith("方案通过: 0 个错误") and "Plan OK: 0 error(s)" in head


def test_gap_and_orphan(parent):
    geoms = QUADS[:3] + [shapely.box(200, 200, 400, 390)]   # a 10 m strip uncovered
    rep = validate_plan(parent, plan(geoms), objects(CENTRES + [(300, 395)]))
    gap = rep.of_kind("gap")
    assert len(gap) == 1 and gap[0].value == pytest.approx(2000, rel=1e-3)
    lon, lat = gap[0].location
    assert 121.49 < lon < 121.51 and 31.22 < lat < 31.24
    assert 4 in gap[0].ids
    orphan = rep.of_kind("orphan_object")
    assert [i.ids for i in orphan] == [("o4",)]
    assert not rep.ok


def test_overlap_and_double_covered(parent):
    geoms = [QUADS[0], shapely.box(190, 0, 400, 200)] + QUADS[2:]
    rep = validate_plan(parent, plan(geoms), objects(CENTRES + [(195, 100)]))
    ov = rep.of_kind("overlap")
    assert len(ov) == 1 and set(ov[0].ids) == {1, 2} and ov[0].value == pytest.approx(2000, 1e-3)
    dbl = rep.of_kind("double_covered_object")
    assert len(dbl) == 1 and dbl[0].ids[0] == "o4" and set(dbl[0].ids[1:]) == {1, 2}


def test_sliver_and_low_compactness(parent):
    geoms = [shapely.box(0, 0, 198, 200), shapely.box(198, 0, 200, 200)] + QUADS[1:]
    rep = validate_plan(parent, plan(geoms))
    sl = rep.of_kind("sliver")
    assert len(sl) == 1 and sl[0].ids == (2,) and sl[0].value == pytest.approx(2 * 400 / 404, 1e-3)
    assert rep.of_kind("low_compactness")[0].ids == (2,)


def test_multipart_and_invalid(parent):
    multi = shapely.MultiPolygon([shapely.box(0, 0, 200, 100), shapely.box(0, 300, 200, 400)])
    rest = shapely.Polygon([(0, 100), (200, 100), (200, 300), (0, 300)])
    bow = shapely.Polygon([(200, 0), (400, 200), (400, 0), (200, 200)])  # self-intersecting
    geoms = [multi, rest, bow, shapely.box(200, 200, 400, 400)]
    rep = validate_plan(parent, plan(geoms))
    # the bow-tie is invalid, and once made valid it is two pieces as well
    assert [i.ids for i in rep.of_kind("multipart")] == [(1,), (3,)]
    inv = rep.of_kind("invalid_geometry")
    assert len(inv) == 1 and inv[0].ids == (3,) and "Self-intersection" in inv[0].message


def test_cut_compound_and_building(parent):
    comp = shapely.box(150, 50, 250, 150)            # straddles quads 1 and 2 evenly
    bldg = shapely.box(190, 300, 230, 320)           # 25 % in quad 3, 75 % in quad 4
    small = shapely.box(50, 50, 80, 80)              # whole, in quad 1
    objs = gdf([comp, bldg, small], id=["c1", "b1", "b2"],
               type=["compound", "building", "building"], households=[100.0, 30.0, 10.0])
    rep = validate_plan(parent, plan(QUADS), objs)
    cc = rep.of_kind("cut_compound")
    assert len(cc) == 1 and cc[0].ids[0] == "c1" and cc[0].value == pytest.approx(0.5)
    cb = rep.of_kind("cut_building")
    assert len(cb) == 1 and cb[0].ids[0] == "b1" and cb[0].value == pytest.approx(0.25)
    assert rep.ok  # cuts are warnings
    # households of the cut compound are shared by area in the balance figures
    assert rep.stats["workload_cv"] is not None


def test_imbalance_and_misassigned(parent):
    pts = CENTRES + [(310, 310)] * 6
    objs = objects(pts)
    wrong = pd.Series([1, 2, 3, 1] + [4] * 6, index=objs["id"])
    rep = validate_plan(parent, plan(QUADS), objs, assignment=wrong)
    imb = rep.of_kind("imbalance")
    assert len(imb) == 1 and imb[0].ids == (4, 1)
    mis = rep.of_kind("misassigned_object")
    assert [i.ids for i in mis] == [("o3", 1, 4)]


def test_outside_parent_and_crs(parent):
    geoms = QUADS[:3] + [shapely.box(200, 200, 420, 400)]
    rep = validate_plan(parent, plan(geoms))
    out = rep.of_kind("outside_parent")
    assert len(out) == 1 and out[0].value == pytest.approx(4000, rel=1e-3)
    with pytest.raises(CRSError):
        validate_plan(parent.to_crs(4490), plan(QUADS))


def test_straight_lon_lat_edges_are_compared_as_stored():
    # a plan with a vertex in the middle of the parent's long lon/lat edge: no false gap
    parent = gpd.GeoSeries([shapely.box(121.50, 31.23, 121.51, 31.24)], crs="EPSG:4490")
    halves = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[
        shapely.box(121.50, 31.23, 121.505, 31.24), shapely.box(121.505, 31.23, 121.51, 31.24)],
        crs="EPSG:4490")
    rep = validate_plan(parent, halves)
    assert rep.ok and rep.stats["gap_m2"] < 0.01, rep.to_text()


def test_object_on_shared_edge_is_only_a_warning(parent):
    # the corner shared by the four quads
    rep = validate_plan(parent, plan(QUADS), objects(CENTRES + [(200, 200)]))
    assert rep.ok
    edge = rep.of_kind("object_on_boundary")
    assert edge[0].ids == ("o4", 1, 2, 3, 4)


def test_report_counts_every_kind(parent):
    rep = validate_plan(parent, plan(QUADS))
    assert set(rep.counts) >= {"gap", "overlap", "sliver", "multipart", "orphan_object",
                               "double_covered_object", "cut_compound", "cut_building"}
