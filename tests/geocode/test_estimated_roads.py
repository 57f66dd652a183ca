"""A road the road data lacks, estimated from its known addresses.

Built from geometry, in metres (see ``geocode_helpers``): 小弄路 runs from (0, 0) at a
bearing of 30° north of east, numbered at 4 m per number, odd 12 m to its left, even
12 m to its right. Only the address database knows it: no road line is given for it.
Another road, 大路, is mapped, so the gazetteer has roads at all.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from geocode_helpers import ll, xy
from shapely.geometry import LineString, Point

from geogrid.geocode import Gazetteer, MatchLevel
from geogrid.geocode._measure import BEYOND_END_M, MIN_ROAD_POINTS, RoadSpine
from geogrid.geocode.calibrate import evidence

U = np.array([np.cos(np.radians(30)), np.sin(np.radians(30))])
N = np.array([-U[1], U[0]])  # left of the direction of travel


def _truth(n: int) -> np.ndarray:
    return 4.0 * n * U + (12.0 if n % 2 else -12.0) * N


KNOWN = [11, 15, 31, 47, 63, 12, 20, 36, 50, 64]


@pytest.fixture(scope="module")
def gaz():
    db = gpd.GeoDataFrame({"address": [f"小弄路{n}号" for n in KNOWN]},
                          geometry=[Point(ll(*_truth(n))) for n in KNOWN], crs="EPSG:4490")
    roads = gpd.GeoDataFrame({"name": ["大路"]}, geometry=[LineString([ll(0, -400),
                                                                     ll(600, -400)])],
                             crs="EPSG:4490")
    return Gazetteer.from_frames(roads=roads, addresses=db, calibration=None)


def test_the_line_follows_the_addresses():
    pts = np.array([_truth(n) for n in KNOWN])
    spine = RoadSpine.from_points(pts)
    direction = np.diff(np.asarray(spine.line.coords), axis=0)[0]
    direction /= np.hypot(*direction)
    assert abs(direction @ U) == pytest.approx(1.0, abs=1e-3)
    t = pts @ U
    assert spine.length == pytest.approx(t.max() - t.min() + 2 * BEYOND_END_M, abs=1.0)


def test_too_few_or_shapeless_points_give_no_line():
    assert RoadSpine.from_points(np.array([_truth(n) for n in KNOWN[:MIN_ROAD_POINTS - 1]])) \
        is None
    ring = np.array([[np.cos(a) * 50, np.sin(a) * 50] for a in np.linspace(0, 6, 12)])
    assert RoadSpine.from_points(ring) is None


@pytest.mark.parametrize("n", [23, 41, 55, 28, 44, 58])
def test_numbers_between_known_ones_land_on_their_side(gaz, n):
    r = gaz.geocode(f"小弄路{n}号")
    assert r.level is MatchLevel.INTERPOLATED
    assert "road line estimated from its" in r.detail
    assert r.evidence == "道路插值/估线" == evidence(r.level.value, None, r.detail)
    got = np.array(xy(r.lon, r.lat))
    assert np.hypot(*(got - _truth(n))) < 8.0, (n, got, _truth(n))
    assert (got @ N > 0) == bool(n % 2)  # odd left, even right


def test_beyond_the_known_numbers_it_goes_on_at_the_roads_spacing(gaz):
    r = gaz.geocode("小弄路75号")
    got = np.array(xy(r.lon, r.lat))
    assert "extrapolated" in r.detail
    assert np.hypot(*(got - _truth(75))) < 10.0
