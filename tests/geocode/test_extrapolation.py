"""Beyond the known numbers: the road's own spacing; past the road's end, trusted less.

A straight road built from geometry, in metres (see ``geocode_helpers``): 直路 runs east
from (0, 0) to (600, 0); its numbers stand at 3 m per number, odd 15 m north, even 15 m
south, as Shanghai numbers a street.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from geocode_helpers import ll, xy
from shapely.geometry import LineString, Point

from geogrid.geocode import Gazetteer, MatchLevel
from geogrid.geocode._measure import MIN_GAP_PAIRS, MeasuredNumbers, RoadSpine

ROAD = LineString([(0, 0), (600, 0)])
SPACING = 3.0


def _truth(n: int) -> tuple[float, float]:
    return SPACING * n, 15.0 if n % 2 else -15.0


def _gaz(known) -> Gazetteer:
    pts = gpd.GeoDataFrame({"addr_street": ["直路"] * len(known),
                            "addr_housenumber": [str(n) for n in known]},
                           geometry=[Point(ll(*_truth(n))) for n in known], crs="EPSG:4490")
    return Gazetteer.from_frames(
        address_points=pts, calibration=None,
        roads=gpd.GeoDataFrame({"name": ["直路"]}, geometry=[LineString(
            [ll(*c) for c in ROAD.coords])], crs="EPSG:4490"))


def _measured(numbers, points) -> MeasuredNumbers:
    return MeasuredNumbers.build(np.asarray(numbers), np.asarray(points, float),
                                 RoadSpine.build(ROAD))


def test_the_roads_own_spacing_is_the_median_of_same_side_gaps():
    # 2 m per number between most neighbours; one jump (a block numbered on) at 9 m per number
    nums = [1, 3, 5, 7, 31, 2, 4, 6, 8]
    m = {1: 2, 3: 6, 5: 10, 7: 14, 31: 230, 2: 4, 4: 8, 6: 12, 8: 16}
    pts = [(m[n], 15.0 if n % 2 else -15.0) for n in nums]
    got = _measured(nums, pts).gap_slope()
    assert got == pytest.approx(2.0, abs=1e-6)  # the jump does not move the median


def test_too_few_pairs_give_no_own_spacing():
    nums = list(range(1, 2 * MIN_GAP_PAIRS + 1, 2))  # one side: MIN_GAP_PAIRS - 1 pairs
    pts = [(SPACING * n, 15.0) for n in nums]
    assert _measured(nums, pts).gap_slope() is None


def test_a_number_beyond_the_known_ones_follows_the_roads_spacing():
    g = _gaz([1, 3, 5, 7, 9, 11, 13, 2, 4, 6, 8, 10, 12, 14])
    r = g.geocode("直路61号")
    assert r.level is MatchLevel.INTERPOLATED and "extrapolated" in r.detail
    x, y = xy(r.lon, r.lat)
    tx, ty = _truth(61)
    assert np.hypot(x - tx, y - ty) < 6.0, (x, y, tx, ty)   # its own side, its own spacing
    assert r.features["move_m"] == pytest.approx(SPACING * (61 - 13), abs=6.0)


def test_a_number_past_the_road_end_goes_on_scored_lower_and_says_so():
    """Road data may stop short of the road (a drive graph without the pedestrian part):
    past the end the road's last direction is followed at its spacing, trusted less."""
    g = _gaz([1, 3, 5, 7, 9, 11, 13, 2, 4, 6, 8, 10, 12, 14])
    inside, beyond = g.geocode("直路181号"), g.geocode("直路301号")  # 543 m / 903 m along
    for r, n in ((inside, 181), (beyond, 301)):
        x, y = xy(r.lon, r.lat)
        assert x == pytest.approx(SPACING * n, abs=8.0) and y == pytest.approx(15.0, abs=3.0)
    assert "past the end of the road's geometry" in beyond.detail
    assert "past the end" not in inside.detail
    assert beyond.score < inside.score


def test_one_record_deep_in_its_block_does_not_carry_its_depth_to_a_neighbour():
    """嵩山路69号 stands 76 m in from the road; 81号 is a shop front. With a single record
    of its side the depth is capped at the usual setback of every road's records (15 m
    here: 直路's twenty records)."""
    known = list(range(1, 200, 20)) + list(range(2, 200, 20))  # 直路: 15 m from the road
    pts = [Point(ll(*_truth(n))) for n in known] + [Point(ll(100.0, 380.0))]  # 深路69号
    frame = gpd.GeoDataFrame({"addr_street": ["直路"] * len(known) + ["深路"],
                              "addr_housenumber": [str(n) for n in known] + ["69"]},
                             geometry=pts, crs="EPSG:4490")
    roads = gpd.GeoDataFrame({"name": ["直路", "深路"]}, geometry=[
        LineString([ll(*c) for c in ROAD.coords]), LineString([ll(0, 300), ll(600, 300)])],
        crs="EPSG:4490")
    gaz = Gazetteer.from_frames(address_points=frame, roads=roads, calibration=None)
    r = gaz.geocode("深路81号")
    assert r.level is MatchLevel.INTERPOLATED and "from 69号" in r.detail
    _, y = xy(r.lon, r.lat)
    assert y == pytest.approx(315.0, abs=1.0)  # on 69号's side, at the usual 15 m, not 80 m
