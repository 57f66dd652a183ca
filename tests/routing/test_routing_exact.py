"""Routes through the contraction hierarchy equal SciPy's Dijkstra on the shipped graphs.

The reference is :func:`scipy.sparse.csgraph.dijkstra`, a third-party
implementation that shares no code with the hierarchy. Graphs: the Huangpu
drive network (OSMnx export, © OpenStreetMap contributors, ODbL), the demo
Lujiazui roads built by the noding builder, and a synthetic perturbed grid
with one-way streets.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from benchmarks.routing.bench_routing import synthetic_roads
from tests.support.roadgraphs import shipped_graph
from geogrid._errors import InputError
from geogrid.routing import (
    Responders,
    graph_from_lines,
    hierarchy,
    largest_component,
    nearest_responder,
    node_nearest_responder,
    node_route,
    shortest_path,
)



def _graph(name: str, weight: str = "length"):
    if name in ("huangpu", "lujiazui"):
        return shipped_graph(name, weight=weight)
    return graph_from_lines(synthetic_roads(3_000, seed=5), weight=weight)


GRAPHS = {}


@pytest.fixture(scope="module", params=["huangpu", "lujiazui", "synthetic"])
def graph(request):
    if request.param not in GRAPHS:
        GRAPHS[request.param] = _graph(request.param)
    return GRAPHS[request.param]


def test_node_route_equals_scipy_everywhere(graph):
    rng = np.random.default_rng(11)
    sources = rng.choice(graph.n_nodes, 12, replace=False)
    checked = unreachable = 0
    for s in sources.tolist():
        dist = dijkstra(graph.matrix, directed=True, indices=s)
        for t in rng.choice(graph.n_nodes, 60, replace=False).tolist():
            cost, nodes = node_route(graph, s, t)
            if math.isinf(dist[t]):
                assert math.isinf(cost) and nodes == ()
                unreachable += 1
                continue
            assert cost == pytest.approx(dist[t], rel=1e-12, abs=1e-9)
            assert nodes[0] == s and nodes[-1] == t
            # the path is made of graph edges whose weights add up to the cost
            pos = graph.edge_position(nodes[:-1], nodes[1:])
            assert (pos >= 0).all()
            assert graph.matrix.data[pos].sum() == pytest.approx(cost, rel=1e-12, abs=1e-9)
            checked += 1
    assert checked > 500
    if graph.summary()["components"] > 1:
        assert unreachable > 0


def test_shortest_path_between_nodes_equals_scipy(graph):
    rng = np.random.default_rng(3)
    pairs = rng.choice(graph.n_nodes, (80, 2))
    for s, t in pairs.tolist():
        d = dijkstra(graph.matrix, directed=True, indices=s)[t]
        r = shortest_path(graph, s, t)
        if math.isinf(d):
            assert r.fallback and "no path" in r.reason
        else:
            assert not r.fallback and r.cost == pytest.approx(d, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("name", ["huangpu", "lujiazui"])
def test_time_weighted_routes_equal_scipy(name):
    g = _graph(name, weight="time")
    rng = np.random.default_rng(8)
    for s in rng.choice(g.n_nodes, 5, replace=False).tolist():
        dist = dijkstra(g.matrix, directed=True, indices=s)
        for t in rng.choice(g.n_nodes, 40, replace=False).tolist():
            cost, _ = node_route(g, s, t)
            assert cost == pytest.approx(dist[t], rel=1e-12, abs=1e-9) or (math.isinf(cost) and math.isinf(dist[t]))


def test_nearest_of_50_equals_scipy_reverse_dijkstra(graph):
    """Responders standing on nodes, incident on a node: the answer is SciPy's minimum."""
    rng = np.random.default_rng(21)
    for _ in range(15):
        inc = int(rng.integers(graph.n_nodes))
        nodes = rng.choice(graph.n_nodes, 50, replace=False)
        avail = rng.random(50) < 0.7
        avail[0] = True
        team = Responders.prepare(graph, np.column_stack([graph.lon[nodes], graph.lat[nodes]]),
                                  snap_to="node")
        to_inc = dijkstra(graph.reverse, directed=True, indices=inc)[nodes]
        expected = np.where(avail, to_inc, np.inf).min()
        j, r = nearest_responder(graph, inc, team, avail)
        assert avail[j]
        if math.isinf(expected):
            assert r.fallback
            assert node_nearest_responder(graph, inc, team, avail) == (-1, math.inf, ())
            continue
        assert not r.fallback
        # responders are projected from their node's lon/lat: sub-micrometre access legs
        assert r.cost == pytest.approx(expected, abs=1e-6)
        assert to_inc[j] == pytest.approx(expected, abs=1e-6)
        # the bare search gives the same responder, cost and a path of graph edges to the incident
        j2, cost, nodes = node_nearest_responder(graph, inc, team, avail)
        assert (j2, cost) == (j, pytest.approx(r.cost, abs=1e-9))
        assert nodes[-1] == inc and nodes[0] == team.node[j]
        assert (graph.edge_position(nodes[:-1], nodes[1:]) >= 0).all()


def test_prepared_team_answers_like_raw_points(graph):
    rng = np.random.default_rng(4)
    lon0, lon1, lat0, lat1 = graph.lon.min(), graph.lon.max(), graph.lat.min(), graph.lat.max()
    pts = np.column_stack([rng.uniform(lon0, lon1, 50), rng.uniform(lat0, lat1, 50)])
    team = Responders.prepare(graph, pts)
    assert len(team) == 50
    for _ in range(10):
        inc = (rng.uniform(lon0, lon1), rng.uniform(lat0, lat1))
        avail = rng.random(50) < 0.6
        avail[int(rng.integers(50))] = True
        j1, r1 = nearest_responder(graph, inc, pts, avail)
        j2, r2 = nearest_responder(graph, inc, team, avail)
        assert (j1, r1.cost, r1.fallback) == (j2, r2.cost, r2.fallback)
        if not r1.fallback:
            # and it is the responder with the cheapest point-to-point route
            routes = [shortest_path(graph, tuple(p), inc) if a else None for p, a in zip(pts, avail)]
            costs = [r.cost if r is not None and not r.fallback else np.inf for r in routes]
            assert r1.cost == pytest.approx(min(costs), rel=1e-9)


def test_team_from_another_graph_is_refused():
    g = GRAPHS.get("huangpu") or _graph("huangpu")
    other = largest_component(g)
    team = Responders.prepare(other, np.column_stack([other.lon[:3], other.lat[:3]]))
    with pytest.raises(InputError, match="another graph"):
        nearest_responder(g, 0, team)


def test_route_ends_beyond_the_offset_budget_are_refused():
    g = GRAPHS.get("huangpu") or _graph("huangpu")
    h = hierarchy(g)
    assert h is hierarchy(g)  # built once per graph
    assert h.scale > 1000  # sub-millimetre units on a district graph
    far = (float(g.lon.max()) + 0.15, float(g.lat.mean()))  # about 14 km east of the network
    # a responder's walk to the road is part of its start offset, which has a budget
    with pytest.raises(InputError, match="max_snap_m"):
        nearest_responder(g, 0, np.array([far]), max_snap_m=30_000)
    # a route's own access legs are not offsets: the same point routes by road
    r = shortest_path(g, far, 0, max_snap_m=30_000)
    assert not r.fallback and r.access_m > 10_000
    # within the default max_snap_m it is a straight-line fallback, not an error
    assert shortest_path(g, 0, far).fallback


def test_route_geometry_follows_curved_segments(graph):
    """From points part-way along multi-vertex segments: geometry length equals the distance."""
    from pyproj import Geod

    geod = Geod(ellps="GRS80")
    rng = np.random.default_rng(9)
    lon0, lon1, lat0, lat1 = graph.lon.min(), graph.lon.max(), graph.lat.min(), graph.lat.max()
    checked = 0
    for _ in range(40):
        o = (rng.uniform(lon0, lon1), rng.uniform(lat0, lat1))
        d = (rng.uniform(lon0, lon1), rng.uniform(lat0, lat1))
        r = shortest_path(graph, o, d)
        if r.fallback:
            continue
        coords = np.asarray(r.geometry.coords)
        assert tuple(coords[0]) == pytest.approx(o) and tuple(coords[-1]) == pytest.approx(d)
        # metres along the geometry (geodesic) against the graph's metric lengths: same within 0.1 %
        assert geod.line_length(coords[:, 0], coords[:, 1]) == pytest.approx(r.distance_m, rel=1e-3)
        checked += 1
    assert checked > 20


def test_same_positions_reuse_the_prepared_team():
    from geogrid.routing.search import TEAMS_KEPT

    g = GRAPHS.get("huangpu") or _graph("huangpu")
    pts = np.column_stack([g.lon[:20], g.lat[:20]]) + 1e-5
    team = Responders.for_positions(g, pts)
    assert Responders.for_positions(g, pts.copy()) is team  # same positions: no new snapping
    moved = pts.copy()
    moved[3, 0] += 1e-4
    again = Responders.for_positions(g, moved)
    assert again is not team and again.lonlat[3, 0] == moved[3, 0]
    assert Responders.for_positions(g, pts, snap_to="node") is not team
    # nearest_responder on raw positions answers like the prepared team
    j1, r1 = nearest_responder(g, 100, pts)
    j2, r2 = nearest_responder(g, 100, team)
    assert (j1, r1.cost) == (j2, r2.cost)
    for k in range(TEAMS_KEPT):  # the oldest teams make room for new ones
        Responders.for_positions(g, pts + (k + 1) * 1e-6)
    assert Responders.for_positions(g, pts) is not team


def test_graph_pickles_after_routing_and_routes_the_same():
    import pickle

    g = GRAPHS.get("huangpu") or _graph("huangpu")
    before = node_route(g, 3, 700)
    copy = pickle.loads(pickle.dumps(g))  # the hierarchy is rebuilt on first use, not pickled
    assert node_route(copy, 3, 700) == before


def test_one_point_snaps_like_a_batch(graph):
    """A single point takes a scalar path through the snapping index; it must agree with the batch."""
    from geogrid.routing import snap

    rng = np.random.default_rng(12)
    lon = rng.uniform(graph.lon.min() - 0.002, graph.lon.max() + 0.002, 150)
    lat = rng.uniform(graph.lat.min() - 0.002, graph.lat.max() + 0.002, 150)
    batch = snap(graph, lon, lat)
    for k in range(150):
        one = snap(graph, float(lon[k]), float(lat[k]))
        assert one.distance_m == pytest.approx(batch[k].distance_m, abs=1e-9)
        assert (one.snapped_lon, one.snapped_lat) == pytest.approx(
            (batch[k].snapped_lon, batch[k].snapped_lat), abs=1e-12)


def _ends(g, sn, leaving: bool) -> list[tuple[int, float]]:
    """(node, metres) a snapped point leaves by (or is reached from), from the one-way rule alone."""
    s, t = sn.segment, sn.t
    length, ow = g.seg_length_m[s], g.seg_oneway[s]
    ahead = (int(g.seg_b[s]), (1 - t) * length) if leaving else (int(g.seg_a[s]), t * length)
    back = (int(g.seg_a[s]), t * length) if leaving else (int(g.seg_b[s]), (1 - t) * length)
    return ([ahead] if ow >= 0 else []) + ([back] if ow <= 0 else [])


def test_routes_between_lonlat_points_equal_scipy_on_huangpu():
    """200 random lon/lat pairs on the Huangpu graph: the cost is SciPy's best over how each end joins."""
    from geogrid.routing import snap

    g = GRAPHS.get("huangpu") or _graph("huangpu")
    rng = np.random.default_rng(200)
    nodes = rng.integers(0, g.n_nodes, (200, 2))
    # near a junction, and up to ~60 m off: both the first probe and the wider search decide
    jitter = rng.normal(0, 20, (200, 2, 2)) / np.array([95_000.0, 111_000.0])
    checked = 0
    for k in range(200):
        o, d = ((float(g.lon[n] + jitter[k, i, 0]), float(g.lat[n] + jitter[k, i, 1]))
                for i, n in enumerate(nodes[k]))
        so, sd = snap(g, *o), snap(g, *d)
        dist = dijkstra(g.matrix, directed=True, indices=[n for n, _ in _ends(g, so, True)])
        outs, ins = _ends(g, so, True), _ends(g, sd, False)
        best = min(c0 + dist[i][n1] + c1 for i, (_, c0) in enumerate(outs) for n1, c1 in ins)
        if so.segment == sd.segment and ((sd.t >= so.t and g.seg_oneway[so.segment] >= 0)
                                         or (sd.t <= so.t and g.seg_oneway[so.segment] <= 0)):
            best = min(best, abs(sd.t - so.t) * g.seg_length_m[so.segment])
        r = shortest_path(g, o, d)
        assert not r.fallback
        assert r.cost == pytest.approx(best + so.distance_m + sd.distance_m, rel=1e-12, abs=1e-9)
        checked += 1
    assert checked == 200


def test_nearest_of_50_from_lonlat_equals_scipy_on_huangpu():
    """Incidents and teams of 50 off the junctions: the cost is SciPy's best over every available
    responder, every way it can drive onto the road and every way into the incident."""
    from geogrid.routing import snap

    g = GRAPHS.get("huangpu") or _graph("huangpu")
    rng = np.random.default_rng(50)
    scale = np.array([95_000.0, 111_000.0])
    for _ in range(30):
        inc_node, *team_nodes = rng.choice(g.n_nodes, 51, replace=False).tolist()
        inc = tuple(np.array([g.lon[inc_node], g.lat[inc_node]]) + rng.normal(0, 15, 2) / scale)
        pts = np.column_stack([g.lon[team_nodes], g.lat[team_nodes]]) + rng.normal(0, 15, (50, 2)) / scale
        avail = rng.random(50) < 0.7
        avail[0] = True
        si, team = snap(g, *inc), snap(g, pts[:, 0], pts[:, 1])
        ins = _ends(g, si, False)
        back = dijkstra(g.reverse, directed=True, indices=[n for n, _ in ins])
        best = math.inf
        for j in np.flatnonzero(avail).tolist():
            sj = team[j]
            for n, c in _ends(g, sj, True):
                best = min(best, sj.distance_m + c + min(back[i][n] + c1 for i, (_, c1) in enumerate(ins)))
            if sj.segment == si.segment and ((si.t >= sj.t and g.seg_oneway[si.segment] >= 0)
                                             or (si.t <= sj.t and g.seg_oneway[si.segment] <= 0)):
                best = min(best, sj.distance_m + abs(si.t - sj.t) * g.seg_length_m[si.segment])
        j, r = nearest_responder(g, inc, pts, avail)
        assert avail[j] and not r.fallback
        assert r.cost == pytest.approx(best + si.distance_m, rel=1e-12, abs=1e-9)
