"""Numbers placed by their measure along a bending road (``geogrid.geocode._measure``).

A road built from geometry, in metres (see ``geocode_helpers``): 弯路 runs east from
(0, 0) to (500, 0), then turns north to (500, 500). Its numbers rise along it at 5 m
per number, odd on the left (north of the east leg, west of the north leg), even on the
right, 15 m off the centre line.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from geocode_helpers import ll, xy
from shapely.geometry import LineString, Point

from geogrid.geocode import Gazetteer, MatchLevel
from geogrid.geocode._measure import MeasuredNumbers, RoadSpine, monotone_run

BEND = LineString([(0, 0), (500, 0), (500, 500)])


def _truth(n: int) -> tuple[float, float]:
    """Where number ``n`` stands: 5 n metres along the road, 15 m to its side."""
    m = 5.0 * n
    side = 15.0 if n % 2 else -15.0  # left of the direction of travel
    if m <= 500:
        return m, side
    return 500.0 - side, m - 500.0


def _gaz(known, extra_road=None):
    road = LineString([ll(*c) for c in BEND.coords])
    roads = [road] + ([extra_road] if extra_road is not None else [])
    pts = gpd.GeoDataFrame({"addr_street": ["弯路"] * len(known),
                            "addr_housenumber": [str(n) for n in known]},
                           geometry=[Point(ll(*_truth(n))) for n in known], crs="EPSG:4490")
    return Gazetteer.from_frames(
        address_points=pts, calibration=None,
        roads=gpd.GeoDataFrame({"name": ["弯路"] * len(roads)}, geometry=roads, crs="EPSG:4490"))


@pytest.fixture(scope="module")
def bend():
    return _gaz([1, 21, 181, 2, 22, 182, 199])


@pytest.mark.parametrize("n", [121, 61, 111, 151, 122, 62, 150, 88])
def test_a_number_between_neighbours_follows_the_bend(bend, n):
    r = bend.geocode(f"弯路{n}号")
    assert r.level is MatchLevel.INTERPOLATED and "along the road" in r.detail
    x, y = xy(r.lon, r.lat)
    tx, ty = _truth(n)
    assert np.hypot(x - tx, y - ty) < 8.0, (n, x, y, tx, ty)


def test_the_straight_chord_would_cut_the_corner(bend):
    # what interpolating the straight line between 21号 and 181号 would give for 121号
    (ax, ay), (bx, by) = _truth(21), _truth(181)
    f = (121 - 21) / (181 - 21)
    chord = (ax + f * (bx - ax), ay + f * (by - ay))
    assert np.hypot(chord[0] - _truth(121)[0], chord[1] - _truth(121)[1]) > 150.0


def test_each_number_keeps_its_side(bend):
    odd = xy(*_lonlat(bend.geocode("弯路141号")))
    even = xy(*_lonlat(bend.geocode("弯路142号")))
    assert odd[0] < 500 < even[0]  # the north leg: odd west, even east
    assert odd[1] == pytest.approx(even[1], abs=8.0)


def _lonlat(r):
    return r.lon, r.lat


def test_extrapolation_goes_on_along_the_road(bend):
    r = bend.geocode("弯路191号")  # odd side: known up to 181, then 199
    assert "between 181号 and 199号" in r.detail
    r = bend.geocode("弯路3号")
    x, y = xy(r.lon, r.lat)
    assert np.hypot(x - 15.0, y - 15.0) < 8.0


def test_a_short_extrapolation_scores_above_a_long_one():
    g = _gaz([1, 3, 5, 7, 9, 11, 2, 4, 6, 8, 10, 12])
    near, far = g.geocode("弯路21号"), g.geocode("弯路161号")
    assert "extrapolated" in near.detail and "extrapolated" in far.detail
    assert near.score > far.score
    x, y = xy(far.lon, far.lat)
    tx, ty = _truth(161)
    assert np.hypot(x - tx, y - ty) < 30.0


def test_a_misplaced_record_is_left_out():
    # 101号 filed at the far end of the road: 81号 must not be pulled toward it
    pts = gpd.GeoDataFrame(
        {"addr_street": ["弯路"] * 5, "addr_housenumber": ["1", "21", "101", "181", "199"]},
        geometry=[Point(ll(*_truth(n))) for n in (1, 21, 195, 181, 199)], crs="EPSG:4490")
    road = LineString([ll(*c) for c in BEND.coords])
    g = Gazetteer.from_frames(address_points=pts, calibration=None, roads=gpd.GeoDataFrame(
        {"name": ["弯路"]}, geometry=[road], crs="EPSG:4490"))
    x, y = xy(*_lonlat(g.geocode("弯路81号")))
    tx, ty = _truth(81)
    assert np.hypot(x - tx, y - ty) < 8.0


def test_spine_follows_two_carriageways_as_one_road():
    north = LineString([(0, 12), (500, 12), (500, 500)])
    south = LineString([(0, -12), (512, -12), (512, 500)])
    from shapely.geometry import MultiLineString

    spine = RoadSpine.build(MultiLineString([north, south]))
    assert spine is not None
    assert 950 < spine.length < 1080  # one corridor, not there and back
    m, o = spine.measure(np.array([[250.0, 40.0], [250.0, -40.0], [540.0, 250.0]]))
    assert abs(m[0] - m[1]) < 10 and o[0] > 0 > o[1]  # it runs from its west end
    assert m[2] - m[0] > 400


def test_measure_continues_past_the_end_of_the_geometry():
    spine = RoadSpine.build(LineString([(0, 0), (300, 0)]))
    m, o = spine.measure(np.array([[400.0, 10.0], [-50.0, -10.0]]))
    assert m[0] == pytest.approx(400.0, abs=1) and o[0] == pytest.approx(10.0, abs=1)
    assert m[1] == pytest.approx(-50.0, abs=1) and o[1] == pytest.approx(-10.0, abs=1)
    assert spine.point(400.0, 10.0) == pytest.approx((400.0, 10.0), abs=1)


@pytest.mark.parametrize("numbers,m,expected", [
    ([1, 3, 5, 7, 9], [10, 20, 900, 40, 50], [0, 1, 3, 4]),       # a spike
    ([1, 3, 5, 7, 9], [10, 20, 30, 40, 50], [0, 1, 2, 3, 4]),     # in order: all kept
    ([1, 3, 5, 357, 361], [10, 20, 30, 900, 910], [0, 1, 2, 3, 4]),  # a jump: kept
    ([1, 3, 5, 7], [500, 20, 30, 40], [1, 2, 3]),                  # a misplaced first record
])
def test_monotone_run(numbers, m, expected):
    got = monotone_run(np.array(numbers, float), np.array(m, float), 1.0)
    assert got.tolist() == expected


def test_measured_numbers_keep_each_side_apart():
    spine = RoadSpine.build(BEND)
    known = [1, 21, 181, 2, 22, 182]
    mn = MeasuredNumbers.build(np.array(known), np.array([_truth(n) for n in known]), spine)
    assert mn.slope == pytest.approx(5.0, rel=0.05)
    assert (np.sign(mn.o) == np.where(mn.numbers % 2 == 1, 1, -1)).all()


def test_extrapolation_goes_on_straight_past_a_road_cut_short():
    """A pedestrian street missing from a drive graph: the road's geometry stops at 300 m,
    its numbers go on; a number far past the geometry follows the road's last direction."""
    road = LineString([ll(0, 0), ll(300, 0)])
    known = [1, 5, 9, 13, 17, 21]
    pts = gpd.GeoDataFrame({"addr_street": ["短路"] * len(known),
                            "addr_housenumber": [str(n) for n in known]},
                           geometry=[Point(ll(5.0 * n, 15.0)) for n in known], crs="EPSG:4490")
    g = Gazetteer.from_frames(address_points=pts, calibration=None, roads=gpd.GeoDataFrame(
        {"name": ["短路"]}, geometry=[road], crs="EPSG:4490"))
    near, far = g.geocode("短路41号"), g.geocode("短路161号")
    for r, n in ((near, 41), (far, 161)):
        x, y = xy(r.lon, r.lat)
        assert abs(x - 5.0 * n) < 10 and abs(y - 15.0) < 5, (n, x, y)
    assert far.score < near.score  # 800 m past the geometry: trusted less
    assert "past the end of the road's geometry" in far.detail


def test_a_side_with_one_record_extrapolates_with_both_sides():
    """成都北路 in the real data: the even side well known, the odd side known by one
    record filed 100 m along and 120 m back from where its number stands. An odd number
    past it goes where both sides' numbers put it, at the road's usual distance from the
    spine on the odd side, not 100 m along and 120 m back with that one record."""
    known = [40, 50, 60, 70, 80, 90]
    where = [(5.0 * n, -15.0) for n in known] + [(5.0 * 71 + 100.0, 120.0)]
    pts = gpd.GeoDataFrame({"addr_street": ["直路"] * 7,
                            "addr_housenumber": [str(n) for n in known] + ["71"]},
                           geometry=[Point(ll(*p)) for p in where], crs="EPSG:4490")
    road = LineString([ll(0, 0), ll(1000, 0)])
    g = Gazetteer.from_frames(address_points=pts, calibration=None, roads=gpd.GeoDataFrame(
        {"name": ["直路"]}, geometry=[road], crs="EPSG:4490"))
    r = g.geocode("直路31号")
    assert "extrapolated" in r.detail
    x, y = xy(r.lon, r.lat)
    assert np.hypot(x - 155.0, y - 15.0) < 10.0, (x, y)


def test_a_side_with_few_records_takes_the_roads_distance_from_the_spine():
    from geogrid.geocode._measure import _side_offset

    o = np.array([-15.0, -14.0, -16.0, -15.0, 120.0])
    odd = np.array([False, False, False, False, True])
    assert _side_offset(o, odd) == pytest.approx(15.0)  # its sign, the road's distance
    assert _side_offset(o, ~odd) == pytest.approx(-15.0)  # a well-known side: its own median
    assert _side_offset(o[:4], np.zeros(4, bool)) == pytest.approx(15.0)  # none: mirrored


def test_a_mirrored_offset_is_no_deeper_than_the_usual_setback():
    """成都南路 knows one record, 58 m off its line inside the block: an opposite number
    goes to the other side at the usual distance of addresses from their roads, not 58 m."""
    from geogrid.geocode._measure import _side_offset

    o, none = np.array([-58.0]), np.zeros(1, bool)
    assert _side_offset(o, none) == pytest.approx(58.0)  # no setback known: mirrored
    assert _side_offset(o, none, setback=25.0) == pytest.approx(25.0)
    assert _side_offset(np.array([-15.0]), none, setback=25.0) == pytest.approx(15.0)
    # one record of its own side is no more telling (嵩山路69号, 76 m in): capped too
    assert _side_offset(o, ~none, setback=25.0) == pytest.approx(-25.0)
    # three records of its side agree on a depth: that depth stands
    deep = np.array([-58.0, -60.0, -56.0])
    assert _side_offset(deep, np.ones(3, bool), setback=25.0) == pytest.approx(-58.0)
