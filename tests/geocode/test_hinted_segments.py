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
