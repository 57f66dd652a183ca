"""A hinted cross street (近X路) on a road whose line stops short of it.

A drive graph has no pedestrian street: 南京东路 stops where 南京东路步行街 begins, while
its addresses go on to 贵州路. Built in metres (see ``geocode_helpers``): 步行路 is drawn
from x = 0 to x = 300 along y = 0 and its numbered records run on to x = 900; 横贵路
crosses the road's course at x = 950, far beyond the drawn line.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from geocode_helpers import ll, xy
from shapely.geometry import LineString, Point

from geogrid.geocode import Gazetteer, MatchLevel


def _gaz(with_records: bool) -> Gazetteer:
    roads = gpd.GeoDataFrame({"name": ["步行路", "横贵路"]}, geometry=[
        LineString([ll(0, 0), ll(300, 0)]), LineString([ll(950, -400), ll(950, 400)])],
        crs="EPSG:4490")
    numbers = list(range(1, 451, 20)) if with_records else []
    pts = gpd.GeoDataFrame({"addr_street": ["步行路"] * len(numbers),
                            "addr_housenumber": [str(n) for n in numbers]},
                           geometry=[Point(ll(2.0 * n, 15.0)) for n in numbers], crs="EPSG:4490")
    return Gazetteer.from_frames(roads=roads, address_points=pts if numbers else None,
                                 calibration=None)


def test_the_hint_reaches_the_cross_street_through_the_roads_records():
    r = _gaz(True).geocode("步行路第一食品商店3楼(近横贵路)")
    assert r.level is MatchLevel.ROAD_SEGMENT and "横贵路" in r.matched
    x, y = xy(r.lon, r.lat)
    assert np.hypot(x - 950.0, y) < 100.0, (x, y)  # at the crossing, not the line's middle


def test_without_records_the_road_line_alone_is_too_far_from_the_hint():
    r = _gaz(False).geocode("步行路第一食品商店3楼(近横贵路)")
    assert r.level is MatchLevel.ROAD  # 650 m from the drawn line: no segment is claimed
    x, _ = xy(r.lon, r.lat)
    assert x == pytest.approx(150.0, abs=20.0)


def _cut_short(gap: float) -> Gazetteer:
    """长横路 along y = 0; 短竖路 comes down x = 500 and stops ``gap`` metres short of it."""
    roads = gpd.GeoDataFrame({"name": ["长横路", "短竖路"]}, geometry=[
        LineString([ll(0, 0), ll(1000, 0)]), LineString([ll(500, 600), ll(500, gap)])],
        crs="EPSG:4490")
    return Gazetteer.from_frames(roads=roads, calibration=None)


def test_a_junction_cut_short_in_the_road_data_is_where_the_road_would_reach():
    """淡水路与自忠路 in the drive graph: 自忠路's line stops 137 m short of 淡水路."""
    r = _cut_short(137.0).geocode("长横路与短竖路交叉口")
    assert r.level is MatchLevel.INTERSECTION and "do not meet" in r.detail
    x, y = xy(r.lon, r.lat)
    assert np.hypot(x - 500.0, y) < 2.0, (x, y)  # on 长横路, not halfway across the gap
    crossing = _cut_short(0.0).geocode("长横路与短竖路交叉口")
    assert r.score < crossing.score  # an inferred junction is trusted less than a drawn one


def test_roads_far_apart_have_no_junction():
    r = _cut_short(400.0).geocode("长横路与短竖路交叉口")
    assert r.level is not MatchLevel.INTERSECTION


def test_meeting_point_takes_the_midpoint_when_neither_road_ends_there():
    from geogrid.geocode._geometry import meeting_point

    a, b = LineString([(0, 0), (100, 0)]), LineString([(0, 50), (100, 60)])
    x, y, gap = meeting_point(a, b, reach_m=100.0)
    assert (x, y, gap) == pytest.approx((0.0, 25.0, 50.0))
    assert meeting_point(a, b, reach_m=40.0) is None
