"""Tests for geogrid.routing: graph building, snapping, routes and nearest responder."""

from __future__ import annotations

import io
import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import LineString, MultiLineString, Point

from geogrid._errors import CRSError, InputError, NotFoundError, ValidationError
from geogrid.constants import m_per_deg_lat, m_per_deg_lon
from geogrid.routing import (
    graph_from_lines,
    largest_component,
    nearest_responder,
    parse_maxspeed,
    parse_oneway,
    read_osm_xml,
    shortest_path,
    snap,
    subgraph,
)

ROOT = Path(__file__).resolve().parents[1]
HUANGPU = ROOT / "data" / "osm" / "huangpu-drive" / "huangpu_drive_osmnx.osm"
LUJIAZUI_ROADS = ROOT / "data" / "osm" / "lujiazui" / "roads.geojson"

LON0, LAT0 = 121.50, 31.23
GEOD = Geod(ellps="GRS80")
M_PER_DEG_LAT = m_per_deg_lat(LAT0)
M_PER_DEG_LON = m_per_deg_lon(LAT0)


def ll(x_m: float, y_m: float) -> tuple[float, float]:
    """Lon/lat of a point ``x_m`` east and ``y_m`` north of the test origin (approximately)."""
    return LON0 + x_m / M_PER_DEG_LON, LAT0 + y_m / M_PER_DEG_LAT


def line(*pts_m) -> LineString:
    return LineString([ll(x, y) for x, y in pts_m])


def geod_len(*pts_m) -> float:
    lons, lats = zip(*(ll(x, y) for x, y in pts_m))
    return GEOD.line_length(lons, lats)


def roads(geoms, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs="EPSG:4490")


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("value,expected", [
    ("yes", 1), ("true", 1), ("1", 1), (1, 1), (True, 1), ("-1", -1), (-1, -1), ("reverse", -1),
    ("no", 0), (None, 0), (float("nan"), 0), ("false", 0), (0, 0), ("alternating", None),
])
def test_parse_oneway(value, expected):
    assert parse_oneway(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("40", 40.0), (50, 50.0), ("30 mph", 30 * 1.609344), ("40;60", 40.0), ("CN:urban", None),
    (None, None), (float("nan"), None),
])
def test_parse_maxspeed(value, expected):
    got = parse_maxspeed(value)
    assert got == pytest.approx(expected) if expected is not None else got is None


# --------------------------------------------------------------------------- building


def test_crossing_lines_without_shared_vertex_are_noded():
    # a "+" of two lines that cross at (100, 0) without a vertex there
    g = graph_from_lines(roads([line((0, 0), (200, 0)), line((100, -150), (100, 150))]))
    assert g.n_nodes == 5
    assert g.n_segments == 4
    assert g.n_edges == 8  # all two-way
    r = shortest_path(g, ll(0, 0), ll(100, 150))
    assert not r.fallback
    assert r.distance_m == pytest.approx(geod_len((0, 0), (100, 0), (100, 150)), rel=1e-4)
    # the end points lie on the end segments; the only node passed is the junction
    assert len(r.nodes) == 1 and g.degree[r.nodes[0]] == 8


def test_t_junction_on_interior_and_shared_vertices():
    # a line ending exactly on another's interior, plus a line sharing an end vertex
    g = graph_from_lines(roads([line((0, 0), (200, 0)), line((100, 0), (100, 100)),
                                line((200, 0), (300, 50))]))
    assert g.n_nodes == 5
    assert g.n_segments == 4
    r = shortest_path(g, ll(100, 100), ll(300, 50))
    assert r.distance_m == pytest.approx(geod_len((100, 100), (100, 0), (200, 0), (300, 50)), rel=1e-4)


def test_multilinestring_parts_and_many_crossings():
    # a "#" grid: 2 horizontal x 2 vertical lines = 4 crossings, 12 segments
    geoms = [MultiLineString([line((0, 100), (300, 100)).coords, line((0, 200), (300, 200)).coords]),
             line((100, 0), (100, 300)), line((200, 0), (200, 300))]
    g = graph_from_lines(roads(geoms))
    assert g.n_nodes == 4 + 8
    assert g.n_segments == 12


def test_bridge_over_road_is_not_joined_where_it_crosses():
    geoms = [line((0, 0), (200, 0)), line((100, -150), (100, 150))]
    g = graph_from_lines(roads(geoms, is_bridge=[np.nan, 1.0]))
    assert g.n_nodes == 4
    r = shortest_path(g, ll(0, 0), ll(100, 150))
    assert r.fallback
    assert "no path" in r.reason
    assert r.nodes == ()
    # the same lines on one level are joined
    g2 = graph_from_lines(roads(geoms, is_bridge=[np.nan, 1.0]), respect_levels=False)
    assert g2.n_nodes == 5


def test_bridge_joined_at_its_end_points():
    # a bridge whose end vertex sits on the road below is connected there
    geoms = [line((0, 0), (200, 0)), line((100, 0), (100, 150))]
    g = graph_from_lines(roads(geoms, bridge=[None, "yes"]))
    assert not shortest_path(g, ll(0, 0), ll(100, 150)).fallback


@pytest.mark.parametrize("tol,joined", [(2.0, True), (1.0, False), (0.0, False)])
def test_gap_between_end_points_is_snapped_within_tolerance(tol, joined):
    geoms = [line((0, 0), (100, 0)), line((101.5, 0), (200, 0))]
    g = graph_from_lines(roads(geoms), snap_tolerance_m=tol)
    r = shortest_path(g, ll(0, 0), ll(200, 0), max_snap_m=50)
    assert r.fallback is (not joined)
    assert g.n_nodes == (3 if joined else 4)
    if joined:
        assert r.distance_m == pytest.approx(200, abs=2.5)
        assert any("merged" in n for n in g.notes)


@pytest.mark.parametrize("tol,joined", [(2.0, True), (1.0, False)])
def test_dangling_end_short_of_a_line_is_extended_onto_it(tol, joined):
    # a side street stopping 1.5 m short of the main road (undershoot)
    geoms = [line((0, 0), (200, 0)), line((80, 1.5), (80, 100))]
    g = graph_from_lines(roads(geoms), snap_tolerance_m=tol)
    r = shortest_path(g, ll(0, 0), ll(80, 100), max_snap_m=50)
    assert r.fallback is (not joined)
    if joined:
        assert g.n_nodes == 4
        assert r.distance_m == pytest.approx(80 + 100, abs=1.0)
        assert any("extended 1 dangling" in n for n in g.notes)


def test_merge_prefers_the_end_point_already_on_a_line():
    # end of b sits exactly on a's interior; end of c is 1 m away from it:
    # c must move onto b's end (on a), not to the midpoint between them
    geoms = [line((0, 0), (200, 0)), line((100, 0), (100, 100)), line((101, 0.5), (150, -100))]
    g = graph_from_lines(roads(geoms), snap_tolerance_m=2.0)
    assert shortest_path(g, ll(0, 0), ll(150, -100)).fallback is False
    assert shortest_path(g, ll(100, 100), ll(150, -100)).fallback is False
    assert g.n_nodes == 5 and g.n_segments == 4  # a split in two, b and c meet a at one node
    junction = int(np.argmax(g.degree))
    assert (g.lon[junction], g.lat[junction]) == pytest.approx(ll(100, 0), abs=1e-7)


def test_excluded_kinds_dropped_and_reported():
    geoms = [line((0, 0), (100, 0)), line((50, -50), (50, 50))]
    g = graph_from_lines(roads(geoms, kind=["minor_road", "rail"]))
    assert g.n_nodes == 2
    assert any("excluded 1" in n for n in g.notes)


def test_validation_lists_every_bad_row():
    frame = gpd.GeoDataFrame(geometry=[line((0, 0), (1, 0)), Point(ll(0, 0)), LineString(), None],
                             crs="EPSG:4490")
    with pytest.raises(ValidationError) as err:
        graph_from_lines(frame)
    reasons = {p.index: p.reason for p in err.value.problems}
    assert set(reasons) == {1, 2, 3}
    assert "Point" in reasons[1] and "empty" in reasons[2] and "missing" in reasons[3]


def test_crs_contract():
    geoms = [line((0, 0), (100, 0))]
    with pytest.raises(CRSError):
        graph_from_lines(gpd.GeoDataFrame(geometry=geoms))
    with pytest.raises(CRSError):
        graph_from_lines(gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4490").to_crs(3857))


def test_bad_weight_and_tolerance():
    frame = roads([line((0, 0), (100, 0))])
    with pytest.raises(InputError):
        graph_from_lines(frame, weight="hops")
    with pytest.raises(InputError):
        graph_from_lines(frame, snap_tolerance_m=-1)


# --------------------------------------------------------------------------- routes


@pytest.fixture
def ladder():
    """Two parallel streets 100 m apart, joined by rungs at x=0, 200 and 400.

    The top street (y=100) is one-way eastbound; the bottom (y=0) two-way.
    """
    geoms = [line((0, 0), (400, 0)), line((0, 100), (400, 100)),
             line((0, 0), (0, 100)), line((200, 0), (200, 100)), line((400, 0), (400, 100))]
    return graph_from_lines(roads(geoms, oneway=[None, "yes", "no", "no", "no"],
                                  name=["south", "north", "w", "m", "e"]))


def test_oneway_is_respected(ladder):
    with_flow = shortest_path(ladder, ll(0, 100), ll(400, 100))
    assert with_flow.distance_m == pytest.approx(400, rel=2e-3)
    against = shortest_path(ladder, ll(400, 100), ll(0, 100))
    # must leave the one-way street by the east rung and come back via the south street
    assert against.distance_m == pytest.approx(100 + 400 + 100, rel=2e-3)
    assert not against.fallback


@pytest.mark.parametrize("value", ["-1", -1, "reverse"])
def test_reverse_oneway(value):
    g = graph_from_lines(roads([line((0, 0), (100, 0))], oneway=[value]))
    assert shortest_path(g, ll(100, 0), ll(0, 0)).fallback is False
    r = shortest_path(g, ll(0, 0), ll(100, 0))
    assert r.fallback and "no path" in r.reason


def test_respect_oneway_false_for_walking(ladder):
    geoms = [line((0, 0), (400, 0)), line((0, 100), (400, 100)),
             line((0, 0), (0, 100)), line((200, 0), (200, 100)), line((400, 0), (400, 100))]
    walk = graph_from_lines(roads(geoms, oneway=[None, "yes", "no", "no", "no"]), respect_oneway=False)
    assert shortest_path(walk, ll(400, 100), ll(0, 100)).distance_m == pytest.approx(400, rel=2e-3)


def test_point_on_oneway_street_drives_on(ladder):
    # from the middle of the one-way top street (x=100) to x=50 on it: cannot reverse,
    # so go east to the middle rung, down, west along the south street, up the west rung, east 50
    r = shortest_path(ladder, ll(100, 100), ll(50, 100))
    assert r.distance_m == pytest.approx(100 + 100 + 200 + 100 + 50, rel=2e-3)
    # same street, right direction: along the segment, no node
    r2 = shortest_path(ladder, ll(50, 100), ll(150, 100))
    assert r2.nodes == ()
    assert r2.distance_m == pytest.approx(100, rel=2e-3)


def test_route_by_node_index_matches_networkx(ladder):
    G = ladder.to_networkx()
    for s in range(ladder.n_nodes):
        for t in range(ladder.n_nodes):
            r = shortest_path(ladder, s, t)
            assert r.cost == pytest.approx(nx.dijkstra_path_length(G, s, t, weight="weight"))
            assert r.nodes[0] == s and r.nodes[-1] == t


def test_route_geometry_runs_from_origin_to_dest(ladder):
    o, d = ll(10, 103), ll(390, -4)  # a few metres off the roads
    r = shortest_path(ladder, o, d)
    coords = list(r.geometry.coords)
    assert coords[0] == pytest.approx(o) and coords[-1] == pytest.approx(d)
    assert r.access_m == pytest.approx(3 + 4, abs=0.05)
    # geometry length (geodesic) equals the reported distance
    lons, lats = zip(*coords)
    assert GEOD.line_length(lons, lats) == pytest.approx(r.distance_m, rel=1e-4)
    d = r.to_dict()
    assert d["geometry"]["type"] == "LineString" and d["fallback"] is False


def test_snap_to_edge_and_node(ladder):
    s = snap(ladder, *ll(300, -7))
    assert s.distance_m == pytest.approx(7, abs=0.05)
    assert s.segment >= 0
    assert ladder.seg_name[s.segment] == "south"
    n = snap(ladder, *ll(300, -7), to="node")
    assert n.segment == -1
    assert n.distance_m == pytest.approx(math.hypot(100, 7), rel=1e-3)
    many = snap(ladder, [ll(0, 0)[0], ll(400, 100)[0]], [ll(0, 0)[1], ll(400, 100)[1]], to="node")
    assert [m.distance_m for m in many] == pytest.approx([0, 0], abs=1e-6)
    with pytest.raises(InputError):
        snap(ladder, *ll(0, 0), to="road")


def test_snap_matches_brute_force_nearest_segment(huangpu):
    import shapely

    g = huangpu
    rng = np.random.default_rng(3)
    lon = rng.uniform(g.lon.min() - 0.003, g.lon.max() + 0.003, 300)
    lat = rng.uniform(g.lat.min() - 0.003, g.lat.max() + 0.003, 300)
    snaps = snap(g, lon, lat)
    x, y = g.project(lon, lat)
    lines = shapely.linestrings(g.coords_xy, indices=np.repeat(np.arange(g.n_segments),
                                                               np.diff(g.seg_offsets)))
    brute = shapely.distance(shapely.points(x, y)[:, None], lines[None, :]).min(axis=1)
    assert [s.distance_m for s in snaps] == pytest.approx(brute, abs=1e-6)
    # the snapped point lies on the chosen segment
    on = shapely.distance(shapely.points(*g.project([s.snapped_lon for s in snaps],
                                                    [s.snapped_lat for s in snaps])),
                          lines[[s.segment for s in snaps]])
    assert on.max() < 1e-3


def test_time_weight_prefers_the_faster_road():
    # short slow lane (20 km/h) vs longer fast road (60 km/h) between the same ends
    geoms = [line((0, 0), (500, 0)), line((0, 0), (0, 200), (500, 200), (500, 0))]
    frame = roads(geoms, maxspeed=["20", "60"])
    by_time = graph_from_lines(frame, weight="time")
    r = shortest_path(by_time, ll(0, 0), ll(500, 0))
    assert r.distance_m == pytest.approx(900, rel=3e-3)
    assert r.cost == pytest.approx(900 / (60 / 3.6), rel=3e-3)
    by_len = graph_from_lines(frame)
    assert shortest_path(by_len, ll(0, 0), ll(500, 0)).distance_m == pytest.approx(500, rel=3e-3)


def test_fallback_when_far_from_roads(ladder):
    r = shortest_path(ladder, ll(0, 0), ll(200, 2000), max_snap_m=300)
    assert r.fallback
    assert "dest" in r.reason and "max_snap_m" in r.reason
    assert r.distance_m == pytest.approx(math.hypot(200, 2000), rel=3e-3)
    assert list(r.geometry.coords) == [pytest.approx(ll(0, 0)), pytest.approx(ll(200, 2000))]


def test_bad_origin():
    g = graph_from_lines(roads([line((0, 0), (100, 0))]))
    with pytest.raises(InputError):
        shortest_path(g, 99, 0)
    with pytest.raises(InputError):
        shortest_path(g, "here", 0)


# --------------------------------------------------------------------------- nearest responder


def test_nearest_responder_uses_network_distance(ladder):
    incident = ll(0, 103)  # top-left, on the one-way street
    responders = np.array([ll(50, 100),    # 50 m away but downstream on the one-way street
                           ll(0, -20),     # 120 m straight, 20 m off the south street
                           ll(200, 0)])
    i, r = nearest_responder(ladder, incident, responders)
    assert i == 1
    assert r.distance_m == pytest.approx(20 + 100 + 3, abs=0.5)
    # coming from the responder towards the incident
    assert list(r.geometry.coords)[0] == pytest.approx(tuple(responders[1]))
    assert list(r.geometry.coords)[-1] == pytest.approx(incident)
    j, _ = nearest_responder(ladder, incident, responders, [True, False, True])
    assert j == 2


def test_nearest_responder_on_same_segment(ladder):
    i, r = nearest_responder(ladder, ll(300, 100), np.array([ll(250, 100), ll(350, 100)]))
    assert i == 0  # upstream on the one-way street
    assert r.nodes == ()
    assert r.distance_m == pytest.approx(50, rel=3e-3)


def test_nearest_responder_errors_and_fallbacks(ladder):
    with pytest.raises(NotFoundError):
        nearest_responder(ladder, ll(0, 0), np.array([ll(10, 0)]), [False])
    with pytest.raises(InputError):
        nearest_responder(ladder, ll(0, 0), np.array([ll(10, 0)]), [True, True])
    i, r = nearest_responder(ladder, ll(0, 5000), np.array([ll(10, 0), ll(0, 100)]), max_snap_m=300)
    assert i == 1 and r.fallback and "incident" in r.reason


def test_nearest_responder_without_any_road_route():
    geoms = [line((0, 0), (100, 0)), line((0, 50), (100, 50))]  # two disconnected streets
    g = graph_from_lines(roads(geoms))
    i, r = nearest_responder(g, ll(0, 0), np.array([ll(0, 50), ll(100, 50)]))
    assert i == 0
    assert r.fallback and "no available responder" in r.reason


# --------------------------------------------------------------------------- OSM XML


TINY_OSM = b"""<?xml version='1.0' encoding='utf-8'?>
<osm version="0.6">
  <node id="1" lon="121.5000" lat="31.2300"/>
  <node id="2" lon="121.5010" lat="31.2300"/>
  <node id="3" lon="121.5010" lat="31.2310"/>
  <node id="4" lon="121.5000" lat="31.2310"/>
  <node id="5" lon="121.5100" lat="31.2400"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="secondary"/><tag k="oneway" v="yes"/><tag k="name" v="A Road"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="-1"/><tag k="maxspeed" v="30"/></way>
</osm>"""


def test_read_osm_xml_tiny():
    g = read_osm_xml(io.BytesIO(TINY_OSM))
    assert g.n_nodes == 5 and g.n_segments == 4 and g.n_edges == 4
    assert list(g.node_ids) == [1, 2, 3, 4, 5]
    assert any("1 node(s) are used by no way" in n for n in g.notes)
    # 1 -> 2 -> 3 forward; way 11 is reversed, so 1 -> 4 -> 3 too; 3 -> 1 is impossible
    assert shortest_path(g, 0, 2).nodes in ((0, 1, 2), (0, 3, 2))
    assert shortest_path(g, 2, 0).fallback
    assert g.seg_speed_mps[g.seg_kind == "residential"] == pytest.approx(30 / 3.6)
    # the isolated node is never snapped to
    assert snap(g, 121.5100, 31.2400, to="node").node != 4
    only = read_osm_xml(io.BytesIO(TINY_OSM), highways={"secondary"})
    assert only.n_segments == 2 and any("skipped 1 way" in n for n in only.notes)
    walk = read_osm_xml(io.BytesIO(TINY_OSM), respect_oneway=False)
    assert not shortest_path(walk, 2, 0).fallback
    with pytest.raises(InputError):
        read_osm_xml(io.BytesIO(b"<osm><node"))


@pytest.fixture(scope="module")
def huangpu():
    return read_osm_xml(HUANGPU)


def test_huangpu_loads(huangpu):
    assert huangpu.n_nodes == 2958
    assert huangpu.n_segments == 2851
    assert huangpu.seg_length_m.sum() / 1000 == pytest.approx(102.0, abs=0.5)
    assert set(huangpu.seg_oneway.tolist()) == {0, 1}


def test_huangpu_route_between_known_junctions(huangpu):
    g = largest_component(huangpu)
    ids = {int(v): i for i, v in enumerate(g.node_ids)}
    a = ids[152878617]  # 西藏南路 × 淮海东路
    b = ids[624739122]  # 河南南路 × 人民路
    r = shortest_path(g, a, b)
    assert not r.fallback
    G = g.to_networkx()
    assert r.cost == pytest.approx(nx.dijkstra_path_length(G, a, b, weight="weight"))
    straight = GEOD.inv(g.lon[a], g.lat[a], g.lon[b], g.lat[b])[2]
    assert straight < r.distance_m < 2.0 * straight
    assert 1000 < r.distance_m < 2500
    names = {g.seg_name[s] for s in range(g.n_segments)
             if {int(g.seg_a[s]), int(g.seg_b[s])} <= set(r.nodes)}
    assert names & {"西藏南路", "人民路", "河南南路", "淮海东路", "金陵东路", "延安东路"}
    # the same route from lon/lat points next to the junctions
    r2 = shortest_path(g, (g.lon[a] + 1e-5, g.lat[a]), (g.lon[b], g.lat[b] + 1e-5))
    assert r2.distance_m == pytest.approx(r.distance_m, abs=10)


def test_largest_component_and_subgraph(huangpu):
    g = largest_component(huangpu)
    assert g.summary()["components"] == 1
    assert 1000 < g.n_nodes < huangpu.n_nodes
    sub = subgraph(huangpu, np.arange(10))
    assert sub.n_nodes == 10
    with pytest.raises(InputError):
        subgraph(huangpu, np.ones(3, bool))


def test_nearest_responder_matches_brute_force_on_huangpu(huangpu):
    g = largest_component(huangpu)
    rng = np.random.default_rng(7)
    lon0, lon1, lat0, lat1 = g.lon.min(), g.lon.max(), g.lat.min(), g.lat.max()
    for trial in range(5):
        resp = np.column_stack([rng.uniform(lon0, lon1, 30), rng.uniform(lat0, lat1, 30)])
        avail = rng.random(30) < 0.7
        inc = (rng.uniform(lon0, lon1), rng.uniform(lat0, lat1))
        i, r = nearest_responder(g, inc, resp, avail)
        costs = [shortest_path(g, tuple(p), inc).cost if a else np.inf for p, a in zip(resp, avail)]
        assert avail[i]
        assert r.cost == pytest.approx(min(costs), rel=1e-9)


def test_lujiazui_unnoded_roads_become_one_network():
    frame = gpd.read_file(LUJIAZUI_ROADS).to_crs("EPSG:4490")
    g = graph_from_lines(frame)
    count, labels = g.components
    biggest = np.bincount(labels).max()
    assert biggest / g.n_nodes > 0.9
    # the lines were split at the junctions they cross mid-way
    kept = (~frame["kind"].isin(["rail", "ferry"])).sum()
    assert g.n_segments > 2 * kept
    assert any("excluded" in n for n in g.notes)


# --------------------------------------------------------------------------- properties


@st.composite
def grid_graphs(draw):
    nx_, ny_ = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    oneway = draw(st.lists(st.sampled_from([None, "yes", "-1"]), min_size=nx_ + ny_,
                           max_size=nx_ + ny_))
    jitter = draw(st.lists(st.floats(-20, 20), min_size=nx_ + ny_, max_size=nx_ + ny_))
    geoms = [line((-50, 100 * j + jitter[j]), (100 * nx_, 100 * j - jitter[j])) for j in range(ny_)]
    geoms += [line((100 * i + jitter[ny_ + i], -50), (100 * i, 100 * ny_)) for i in range(nx_)]
    return graph_from_lines(roads(geoms, oneway=oneway))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(g=grid_graphs(), data=st.data())
def test_routes_agree_with_networkx(g, data):
    G = g.to_networkx()
    s = data.draw(st.integers(0, g.n_nodes - 1))
    t = data.draw(st.integers(0, g.n_nodes - 1))
    r = shortest_path(g, s, t)
    if nx.has_path(G, s, t):
        assert not r.fallback
        assert r.cost == pytest.approx(nx.dijkstra_path_length(G, s, t, weight="weight"))
    else:
        assert r.fallback
