"""The per-road number model: extrapolation along the road, shrinkage toward the pooled
slope, robustness to a misplaced record, and numbers on roads with no known number.

A small synthetic city in metres (see ``geocode_helpers``): east-west roads whose numbers
rise eastward from x = 0 at 2 m per number, odd on the north side (+15 m), even on the south.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from geocode_helpers import ll, xy
from shapely.geometry import LineString, Point

from geogrid.geocode import Gazetteer, MatchLevel

SLOPE = 2.0


def _side(n: int) -> float:
    return 15.0 if n % 2 else -15.0


def _world(extra_points=(), extra_roads=()):
    roads = [("甲路", 0.0, 0.0, 3000.0), ("乙路", 500.0, 0.0, 3000.0), ("丙路", 1000.0, 0.0, 3000.0),
             ("丁路", 1500.0, 100.0, 3000.0), ("戊路", 2000.0, -600.0, 3000.0), *extra_roads]
    pts = [("甲路", n, SLOPE * n, _side(n)) for n in range(1, 62)]
    pts += [("乙路", 100, 200.0, 500 - 15.0), ("乙路", 110, 240.0, 500 - 15.0)]  # 4 m per number
    pts += [("丙路", n, SLOPE * n, 1000 + _side(n)) for n in range(1, 40, 2)]
    pts += [("丙路", 41, 600.0, 1000 + 15.0)]  # a misplaced record
    pts += list(extra_points)
    road_frame = gpd.GeoDataFrame({"name": [r[0] for r in roads]}, geometry=[
        LineString([ll(x0, y), ll(x1, y)]) for _, y, x0, x1 in roads], crs="EPSG:4490")
    pt_frame = gpd.GeoDataFrame(
        {"addr_street": [p[0] for p in pts], "addr_housenumber": [str(p[1]) for p in pts]},
        geometry=[Point(ll(p[2], p[3])) for p in pts], crs="EPSG:4490")
    return Gazetteer.from_frames(address_points=pt_frame, roads=road_frame, calibration=None)


@pytest.fixture(scope="module")
def city():
    return _world()


def _at(r) -> tuple[float, float]:
    return xy(r.lon, r.lat)


def test_extrapolates_along_the_road_on_the_numbers_side(city):
    r = city.geocode("甲路801号")
    assert r.level is MatchLevel.INTERPOLATED and "extrapolated" in r.detail
    x, y = _at(r)
    assert abs(x - SLOPE * 801) < 10 and abs(y - 15.0) < 5
    x, y = _at(city.geocode("甲路800号"))
    assert abs(x - SLOPE * 800) < 10 and abs(y + 15.0) < 5


def test_a_short_run_of_numbers_borrows_the_pooled_slope(city):
    """乙路's two numbers say 4 m per number over a span of 10; the city says 2."""
    x, _ = _at(city.geocode("乙路600号"))
    assert abs(x - (240 + SLOPE * 490)) < 30
    assert abs(x - (240 + 4.0 * 490)) > 500


def test_one_misplaced_record_does_not_carry_the_estimate(city):
    x, _ = _at(city.geocode("丙路201号"))
    assert abs(x - SLOPE * 201) < 20  # from the nearest record alone it would be 920


def test_a_road_without_numbers_is_numbered_from_its_start(city):
    r = city.geocode("丁路101号")
    assert r.level is MatchLevel.INTERPOLATED and "start" in r.detail
    x, y = _at(r)
    assert abs(x - (100 + SLOPE * 100)) < 5 and abs(y - 1500) < 5


def test_no_start_where_the_road_is_cut_by_the_data_edge(city):
    """戊路 begins at the western edge of the data: it may go on beyond, so its number 101
    has no known place along it and the answer is the road as a whole."""
    r = city.geocode("戊路101号")
    assert r.level is MatchLevel.ROAD


def test_the_direction_comes_from_roads_alike(city):
    """Reverse every road's numbering (rising westward): 丁路 now starts at its east end."""
    assert abs(_at(city.geocode("丁路101号"))[0] - 300) < 5
    west = _westward_world()
    x, _ = _at(west.geocode("丁路101号"))
    assert abs(x - (3000 - SLOPE * 100)) < 5


def _westward_world():
    roads = [("甲路", 0.0), ("丙路", 1000.0), ("丁路", 1500.0)]
    pts = [("甲路", n, 3000 - SLOPE * n, _side(n)) for n in range(1, 62)]
    pts += [("丙路", n, 3000 - SLOPE * n, 1000 + _side(n)) for n in range(1, 62)]
    road_frame = gpd.GeoDataFrame({"name": [r[0] for r in roads] + ["边路"]}, geometry=[
        LineString([ll(0.0, y), ll(3000.0, y)]) for _, y in roads]
        + [LineString([ll(-500.0, 4000.0), ll(3500.0, 4000.0)])], crs="EPSG:4490")
    pt_frame = gpd.GeoDataFrame(
        {"addr_street": [p[0] for p in pts], "addr_housenumber": [str(p[1]) for p in pts]},
        geometry=[Point(ll(p[2], p[3])) for p in pts], crs="EPSG:4490")
    return Gazetteer.from_frames(address_points=pt_frame, roads=road_frame, calibration=None)


def _puxi_world(extra_points=()):
    """North-south roads numbered away from an east-west road at y = 0 (as Puxi numbers
    its north-south roads from 延安路): 北一路, 北二路 rise northward, 南一路, 南二路
    southward, 2 m per number. 北三路 and 南三路 have no known number."""
    roads = [("横路", (-500.0, 0.0), (1500.0, 0.0))]
    for name, x, sign in (("北一路", 0.0, 1), ("北二路", 400.0, 1), ("北三路", 800.0, 1),
                          ("南一路", 0.0, -1), ("南二路", 400.0, -1), ("南三路", 800.0, -1)):
        roads.append((name, (x, 0.0), (x, sign * 1500.0)))
    pts = [(name, n, x + (-15.0 if n % 2 else 15.0) * sign, sign * SLOPE * n)
           for name, x, sign in (("北一路", 0.0, 1), ("北二路", 400.0, 1),
                                 ("南一路", 0.0, -1), ("南二路", 400.0, -1))
           for n in range(1, 62)]
    pts += list(extra_points)
    road_frame = gpd.GeoDataFrame({"name": [r[0] for r in roads]}, geometry=[
        LineString([ll(*a), ll(*b)]) for _, a, b in roads], crs="EPSG:4490")
    pt_frame = gpd.GeoDataFrame(
        {"addr_street": [p[0] for p in pts], "addr_housenumber": [str(p[1]) for p in pts]},
        geometry=[Point(ll(p[2], p[3])) for p in pts], crs="EPSG:4490")
    return Gazetteer.from_frames(address_points=pt_frame, roads=road_frame, calibration=None)


@pytest.mark.parametrize("road,sign", [("北三路", 1), ("南三路", -1)])
def test_a_road_starts_where_its_neighbours_start(road, sign):
    """Half the parallel roads rise north, half south: a city-wide vote has no direction,
    the roads beside it do. 101号 stands 200 m from the cross road, away from it."""
    r = _puxi_world().geocode(f"{road}101号")
    assert r.level is MatchLevel.INTERPOLATED and "start" in r.detail
    x, y = _at(r)
    assert abs(x - 800.0) < 20 and abs(y - sign * SLOPE * 100) < 10, (x, y)


def test_one_known_number_rises_away_from_where_its_neighbours_start():
    """南三路 knows only 50号, 100 m south of the cross road: 121号 is farther south."""
    g = _puxi_world([("南三路", 50, 815.0, -100.0)])
    r = g.geocode("南三路121号")
    assert "extrapolated" in r.detail
    x, y = _at(r)
    assert abs(y + SLOPE * 121) < 10, (x, y)


def test_the_usual_setback_is_measured_from_every_roads_records(city):
    assert city._numbering.setback == pytest.approx(15.0, abs=1.0)


def test_one_record_deep_in_its_block_is_mirrored_no_deeper_than_the_setback():
    """庚路 knows one odd number, 80 m north of its line; an even number goes south of the
    road at the usual 15 m, not 80 m."""
    g = _world(extra_points=[("庚路", 101, 200.0, 2500.0 + 80.0)],
               extra_roads=[("庚路", 2500.0, 0.0, 3000.0)])
    x, y = _at(g.geocode("庚路120号"))
    assert abs(x - (200.0 + SLOPE * 19)) < 10 and abs(y - (2500.0 - 15.0)) < 3, (x, y)
