"""Gazetteer matching on the synthetic street of ``geocode_helpers`` (positions known to the cm)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geocode_helpers import dist_m, ll, synthetic_frames, xy
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from geogrid._errors import CRSError, InputError, NotFoundError, ValidationError
from geogrid.geocode import Gazetteer, GeocodeResult, MatchLevel

L = MatchLevel


# --------------------------------------------------------------------------- levels and points

@pytest.mark.parametrize("query, level, x, y, tol", [
    ("测试路5号", L.HOUSE_NUMBER, 50, 20, 0.5),
    ("上海市浦东新区测试路５号", L.HOUSE_NUMBER, 50, 20, 0.5),
    ("测试路五号", L.HOUSE_NUMBER, 50, 20, 0.5),
    ("测试路 5 號 302室", L.HOUSE_NUMBER, 50, 20, 0.5),
    ("测试路6号", L.HOUSE_NUMBER, 60, -20, 0.5),
    ("测试路47号", L.HOUSE_NUMBER, 470, 20, 0.5),          # inside the 45-49 building
    ("测试路45、47号", L.HOUSE_NUMBER, 470, 20, 0.5),
    ("测试路100弄2号", L.HOUSE_NUMBER, 1000, 40, 0.5),
    ("测试路100-2", L.HOUSE_NUMBER, 1000, 40, 0.5),           # 弄-号 shorthand
    ("测试路100弄", L.HOUSE_NUMBER, 1000, 40, 0.5),           # the lane as a whole
    ("测试路7号", L.INTERPOLATED, 70, 20, 0.5),               # between 5 and 9, north side
    ("测试路8号", L.INTERPOLATED, 80, -20, 0.5),              # between 6 and 10, south side
    ("测试路17号", L.INTERPOLATED, 170, 20, 0.5),
    ("测试路41号", L.INTERPOLATED, 410, 20, 0.5),             # beyond 31 at the 21-31 spacing
    ("测试大厦", L.BUILDING, 610, 35, 0.5),
    ("上海市浦东新区测试大厦", L.BUILDING, 610, 35, 0.5),
    ("东方明珠电视塔", L.POI, 900, 500, 0.5),
    ("东方明珠", L.POI, 900, 500, 0.5),                        # fuzzy (partial) name
    ("崂山五村", L.COMPOUND, None, None, None),
    ("测试路与南北路交叉口", L.INTERSECTION, 500, 0, 0.5),
    ("南北路和测试路路口", L.INTERSECTION, 500, 0, 0.5),
    ("测试路南北路口", L.INTERSECTION, 500, 0, 0.5),
    ("测试路与断头路交叉口", L.INTERSECTION, 800, 7.5, 0.5),   # nearest approach, 15 m gap
    ("南北路8号(近测试路)", L.ROAD_SEGMENT, 500, 0, 0.5),      # no numbers: the segment at the hint
    ("南北路", L.ROAD, 500, 0, 0.5),                           # middle of the road
    ("测试街道", L.AREA, None, None, None),
])
def test_levels_and_points(gaz, query, level, x, y, tol):
    r = gaz.geocode(query)
    assert r.ok, r.reason
    assert r.level is level, (r.level, r.detail)
    assert r.query == query
    if x is not None:
        assert dist_m(r, x, y) <= tol
    assert 0.0 < r.confidence <= 1.0


def test_match_levels_have_chinese_values_and_english_names():
    assert [m.value for m in MatchLevel] == ["门牌", "楼栋", "小区", "POI", "弄口", "道路插值",
                                             "交叉口", "路段", "道路", "区域"]
    assert MatchLevel("道路插值") is MatchLevel.INTERPOLATED
    assert MatchLevel.HOUSE_NUMBER == "门牌"


def test_exact_point_is_the_stored_feature(gaz, synthetic):
    r = gaz.geocode("测试路5号")
    row = synthetic["address_points"].loc[r.source_index]
    assert (r.source, row["addr_housenumber"]) == ("address_points", "5")
    assert (r.lon, r.lat) == (row.geometry.x, row.geometry.y)
    assert not r.estimated and r.confidence >= 0.95
    assert r.matched == "测试路5号"


def test_compound_point_is_inside_the_compound(gaz, synthetic):
    r = gaz.geocode("崂山五村12号302室")
    assert r.level is L.COMPOUND
    assert synthetic["compounds"].geometry.iloc[0].contains(Point(r.lon, r.lat))
    assert "house number was not found" in r.detail


def test_confidence_orders_the_levels(gaz):
    conf = {q: gaz.geocode(q).confidence for q in
            ("测试路5号", "测试大厦", "测试路7号", "测试路41号", "南北路", "测试街道")}
    assert conf["测试路5号"] > conf["测试大厦"] > conf["测试路7号"] > conf["测试路41号"]
    assert conf["测试路41号"] > conf["南北路"] > conf["测试街道"]


# --------------------------------------------------------------------------- interpolation

@settings(max_examples=60, deadline=None)
@given(st.integers(1, 39))
def test_interpolated_numbers_keep_to_their_side(n):
    gaz = _gaz()
    r = gaz.geocode(f"测试路{n}号")
    assert r.ok and r.level in (L.HOUSE_NUMBER, L.INTERPOLATED)
    x, y = xy(r.lon, r.lat)
    assert (y > 0) == (n % 2 == 1), (n, y)          # odd north, even south
    assert abs(x - 10 * n) < 1.0                     # numbers stand at x = 10 n
    assert abs(abs(y) - 20) < 1.0


_CACHE: dict[str, Gazetteer] = {}


def _gaz() -> Gazetteer:
    if "g" not in _CACHE:
        _CACHE["g"] = Gazetteer.from_frames(**synthetic_frames(), calibration=None)
    return _CACHE["g"]


def test_interpolation_detail_names_the_neighbours(gaz):
    r = gaz.geocode("测试路7号")
    assert r.estimated
    assert "5号" in r.detail and "9号" in r.detail and "same side" in r.detail
    assert r.level is L.INTERPOLATED and 0.5 <= r.confidence <= 0.85


def test_opposite_side_only_is_mirrored_across_the_road(gaz):
    # 只有双号路 has only even numbers, on its south side (y=-320); 11 goes north of y=-300
    r = gaz.geocode("只有双号路11号")
    assert r.level is L.INTERPOLATED
    x, y = xy(r.lon, r.lat)
    assert abs(x - 110) < 1.0 and abs(y - (-280)) < 1.0
    assert "mirrored" in r.detail
    even = xy(*_lonlat(gaz.geocode("只有双号路12号")))
    assert even[1] < -300


def _lonlat(r: GeocodeResult):
    return r.lon, r.lat


def test_one_sided_street_interpolates_across_parities():
    # a waterfront: odd and even numbers all on the north side, 1..8 at x = 10 n
    frames = synthetic_frames()
    pts = gpd.GeoDataFrame(
        {"addr_street": ["滨江路"] * 6, "addr_housenumber": ["1", "2", "3", "6", "7", "8"]},
        geometry=[Point(*ll(10 * n, 320)) for n in (1, 2, 3, 6, 7, 8)], crs="EPSG:4490")
    road = gpd.GeoDataFrame({"name": ["滨江路"]},
                            geometry=[LineString([ll(0, 300), ll(100, 300)])], crs="EPSG:4490")
    g = Gazetteer.from_frames(address_points=pts, roads=road, compounds=frames["compounds"],
                              calibration=None)
    r = g.geocode("滨江路5号")
    assert r.level is L.INTERPOLATED and "one-sided" in r.detail
    assert dist_m(r, 50, 320) < 1.0     # between 3 and 6, not between 3 and 7 on "the odd side"


# --------------------------------------------------------------------------- intersections

@pytest.mark.parametrize("query, x, y, how", [
    ("测试路与南北路交叉口东50米", 550, 0, "along road"),
    ("测试路与南北路交叉口西150米", 350, 0, "along road"),  # past the unnoded split at x=400
    ("测试路与南北路交叉口北100米", 500, 100, "along road"),
    ("测试路与南北路交叉口南0.1公里", 500, -100, "along road"),
    ("测试路与南北路交叉口东北50米", 500 + 50 / 2 ** 0.5, 50 / 2 ** 0.5, "straight"),
])
def test_intersection_offsets(gaz, query, x, y, how):
    r = gaz.geocode(query)
    assert r.level is L.INTERSECTION and r.estimated
    assert dist_m(r, x, y) < 1.0
    assert how in r.detail


def test_intersection_crossing_beats_nearest_approach(gaz):
    crossing = gaz.geocode("测试路与南北路交叉口")
    gap = gaz.geocode("测试路与断头路交叉口")
    assert crossing.confidence > gap.confidence
    assert "nearest approach" in gap.detail and "cross" in crossing.detail


def test_roads_that_never_meet_are_reported(gaz):
    r = gaz.geocode("断头路与陆家嘴环路交叉口")
    assert not r.ok
    assert "do not meet" in r.reason and "300 m" in r.reason


def test_intersection_with_unknown_road_falls_back_to_the_known_one(gaz):
    r = gaz.geocode("测试路与火星路交叉口")
    assert r.ok and r.level is L.ROAD and r.matched == "测试路"
    assert r.confidence < 0.35


# --------------------------------------------------------------------------- names and roads

def test_same_name_is_disambiguated_by_the_road(gaz):
    near_test = gaz.geocode("测试路正大广场")
    near_ring = gaz.geocode("陆家嘴环路正大广场")
    assert near_test.level is near_ring.level is L.POI
    assert dist_m(near_test, 300, 40) < 0.5
    assert dist_m(near_ring, 300, 640) < 0.5
    assert "nearest to the road" in near_test.detail
    alone = gaz.geocode("正大广场")
    assert "2 places share this name" in alone.detail and alone.alternatives


def test_fuzzy_road_name(gaz):
    r = gaz.geocode("陆家咀环路1000号")
    assert r.level is L.HOUSE_NUMBER and dist_m(r, 500, 620) < 0.5
    assert 0.7 < r.confidence < gaz.geocode("陆家嘴环路1000号").confidence


def test_unknown_prefix_before_a_known_road(gaz):
    r = gaz.geocode("崂山五村测试路5号")
    assert r.level is L.HOUSE_NUMBER and dist_m(r, 50, 20) < 0.5


def test_offset_from_a_named_place(gaz):
    base = gaz.geocode("东方明珠电视塔")
    r = gaz.geocode("东方明珠电视塔东50米")
    assert r.level is L.POI and r.estimated and r.confidence < base.confidence
    assert dist_m(r, 950, 500) < 0.5


# --------------------------------------------------------------------------- areas

def test_address_outside_the_named_street_is_penalised(gaz):
    inside = gaz.geocode("测试街道测试路5号")
    outside = gaz.geocode("别的街道测试路5号")
    assert inside.confidence >= 0.95
    assert outside.ok and outside.confidence < 0.7 * inside.confidence + 1e-9
    assert "outside 别的街道" in outside.detail


# --------------------------------------------------------------------------- not found

@pytest.mark.parametrize("query, words", [
    ("火星路1号", ["火星路", "not in the gazetteer", "closest"]),
    ("", ["empty"]),
    ("   ", ["empty"]),
    (None, ["empty"]),
    ("乱七八糟", ["乱七八糟", "matches no"]),
    ("浦东新区", ["浦东新区"]),
])
def test_no_match_has_a_reason(gaz, query, words):
    r = gaz.geocode(query)
    assert not r.ok and r.lon is None and r.level is None and r.confidence == 0.0
    for w in words:
        assert w in r.reason, r.reason
    with pytest.raises(NotFoundError, match="not found"):
        r.require()


def test_require_returns_the_result_when_found(gaz):
    r = gaz.geocode("测试路5号")
    assert r.require() is r
    d = r.to_dict()
    assert d["level"] == "门牌" and d["ok"] is True


# --------------------------------------------------------------------------- reverse

def test_reverse_nearest_address(gaz):
    r = gaz.reverse(*ll(52, 25))
    assert r.ok and r.address == "测试路5号"
    assert r.distance_m == pytest.approx(np.hypot(2, 5), abs=0.05)
    far = gaz.reverse(*ll(52, 25), max_distance_m=1.0)
    assert not far.ok and "beyond" in far.reason
    with pytest.raises(InputError):
        gaz.reverse(float("nan"), 31.3)


# --------------------------------------------------------------------------- batches

def test_geocode_many_with_progress(gaz):
    texts = ["测试路5号", "测试路7号", None, "火星路1号", "测试路5号"] * 40
    calls = []
    out = gaz.geocode_many(texts, progress=lambda done, total: calls.append((done, total)))
    assert list(out.columns) == ["query", "ok", "lon", "lat", "level", "confidence", "matched",
                                 "estimated", "detail", "reason", "score", "needs_review",
                                 "evidence"]
    assert len(out) == 200
    assert out["ok"].tolist()[:5] == [True, True, False, False, True]
    assert out["level"].tolist()[:2] == ["门牌", "道路插值"]
    assert calls[-1] == (200, 200) and len(calls) >= 10
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


def test_geocode_many_keeps_a_series_index(gaz):
    s = pd.Series(["测试路5号", "测试大厦"], index=["a", "b"])
    out = gaz.geocode_many(s)
    assert list(out.index) == ["a", "b"] and out["ok"].all()


def test_cache_returns_each_callers_spelling(gaz):
    a = gaz.geocode("测试路5号")
    b = gaz.geocode("测试路５号")
    assert (a.query, b.query) == ("测试路5号", "测试路５号")
    assert b.parsed.raw == "测试路５号"
    assert (a.lon, a.lat) == (b.lon, b.lat)


# --------------------------------------------------------------------------- validation

def test_unreadable_house_numbers_are_listed_not_raised(gaz):
    reasons = [p.reason for p in gaz.unindexed]
    assert any("'3F'" in r for r in reasons)
    assert gaz.stats["unindexed"] == len(gaz.unindexed)


def test_frame_without_crs_is_refused(synthetic):
    naked = synthetic["pois"].set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="pois has no CRS"):
        Gazetteer.from_frames(pois=naked)


def test_projected_frame_is_refused(synthetic):
    with pytest.raises(CRSError, match="EPSG:4490"):
        Gazetteer.from_frames(roads=synthetic["roads"].to_crs(3857))


def test_missing_columns_are_named(synthetic):
    with pytest.raises(InputError, match="addr_street"):
        Gazetteer.from_frames(address_points=synthetic["pois"])
    with pytest.raises(InputError, match="no frame"):
        Gazetteer.from_frames()


def test_every_bad_geometry_is_reported_at_once(synthetic):
    pois = synthetic["pois"].copy()
    pois.loc[0, "geometry"] = None
    pois.loc[1, "geometry"] = Point()
    roads = synthetic["roads"].copy()
    roads.loc[2, "geometry"] = Point(*ll(0, 0))
    with pytest.raises(ValidationError) as err:
        Gazetteer.from_frames(pois=pois, roads=roads)
    problems = err.value.problems
    assert {(p.field, p.index) for p in problems} == {
        ("pois.geometry", 0), ("pois.geometry", 1), ("roads.geometry", 2)}
