"""The all-pairs route table answers as SciPy and as the contraction hierarchy do.

* Node to node: the cost is SciPy's Dijkstra distance, bit for bit, and the
  path is a chain of graph edges whose weights add up to it.
* From lon/lat, 200 random pairs per graph: the route read off the table has
  the hierarchy's nodes and exactly its coordinates, and a cost equal to it
  to within rounding (the table's is SciPy's distance plus the two offsets).
* Nearest of 50: the same responder, cost, nodes and line as the hierarchy.
* A graph above :data:`~geogrid.routing.table.TABLE_MAX_NODES` has no table
  and routes on the hierarchy; queries never build the table themselves.

Graphs: the Huangpu drive network (OSMnx export) and the demo Lujiazui roads,
both © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from geogrid.routing import (
    nearest_responder,
    node_route,
    route_table,
    shortest_path,
)
from geogrid.routing import table as table_module
from geogrid.routing.geometry import edge_runs
from geogrid.routing.table import built_route_table
from tests.support.roadgraphs import shipped_graph

GRAPHS: dict = {}


def _graph(name: str):
    if name not in GRAPHS:
        GRAPHS[name] = shipped_graph(name)
        assert built_route_table(GRAPHS[name]) is None  # queries do not build it
        route_table(GRAPHS[name])
    return GRAPHS[name]


def _without_table(g, monkeypatch):
    """A copy of ``g`` (no derived structures) that routes on the hierarchy."""
    other = pickle.loads(pickle.dumps(g))
    shortest_path(other, 0, 1)
    assert built_route_table(other) is None and built_route_table(g) is not None
    return other


@pytest.fixture(scope="module", params=["huangpu", "lujiazui"])
def graph(request):
    return _graph(request.param)


def test_node_costs_are_scipys_distances(graph):
    tab = route_table(graph)
    assert tab is not None and tab.dist.shape == (graph.n_nodes, graph.n_nodes)
    rng = np.random.default_rng(2)
    src = rng.integers(0, graph.n_nodes, 30)
    full = dijkstra(graph.matrix, directed=True, indices=src)
    weights = graph.matrix.data
    for k, s in enumerate(src.tolist()):
        for t in rng.integers(0, graph.n_nodes, 10).tolist():
            cost, nodes = node_route(graph, s, t)
            assert cost == full[k, t]  # bit for bit
            if s == t or not np.isfinite(cost):
                continue
            assert nodes[0] == s and nodes[-1] == t
            arcs = graph.edge_position(nodes[:-1], nodes[1:])
            assert (arcs >= 0).all()  # every step is an edge of the graph
            assert weights[arcs].sum() == pytest.approx(cost, rel=1e-12)


def test_lonlat_routes_equal_the_hierarchys(graph, monkeypatch):
    ch = _without_table(graph, monkeypatch)
    rng = np.random.default_rng(23)
    i = rng.integers(0, graph.n_nodes, (200, 2))
    jitter = rng.normal(0, 20, (200, 2, 2)) / np.array([95_000.0, 111_000.0])
    routed = 0
    for k in range(200):
        o = (graph.lon[i[k, 0]] + jitter[k, 0, 0], graph.lat[i[k, 0]] + jitter[k, 0, 1])
        d = (graph.lon[i[k, 1]] + jitter[k, 1, 0], graph.lat[i[k, 1]] + jitter[k, 1, 1])
        a, b = shortest_path(graph, o, d), shortest_path(ch, o, d)
        assert (a.nodes, a.fallback) == (b.nodes, b.fallback)
        assert np.array_equal(a.coords, b.coords)
        assert a.cost == pytest.approx(b.cost, rel=1e-12)
        assert a.distance_m == pytest.approx(b.distance_m, rel=1e-12)
        assert a.duration_s == pytest.approx(b.duration_s, rel=1e-12)
        routed += bool(a.nodes)
    assert routed > 150


def test_nearest_of_50_equals_the_hierarchys(graph, monkeypatch):
    ch = _without_table(graph, monkeypatch)
    rng = np.random.default_rng(31)
    ties = 0
    for _ in range(25):
        pos = np.column_stack([graph.lon[rng.integers(0, graph.n_nodes, 50)],
                               graph.lat[rng.integers(0, graph.n_nodes, 50)]])
        pos = pos + rng.normal(0, 1e-4, pos.shape)
        avail = rng.random(50) < 0.7
        avail[0] = True
        n = int(rng.integers(graph.n_nodes))
        inc = (float(graph.lon[n]) + 1e-4, float(graph.lat[n]))
        (ja, ra), (jb, rb) = nearest_responder(graph, inc, pos, avail), nearest_responder(ch, inc, pos, avail)
        assert (ja, ra.fallback) == (jb, rb.fallback)
        if ra.nodes != rb.nodes:
            # an exact tie: a responder standing on a segment's end node leaves by that node,
            # or by the far node and back along the segment's own edge; the hierarchy's integer
            # units decide such ties either way, the table always by the shorter node path
            longer, shorter = sorted((ra.nodes, rb.nodes), key=len, reverse=True)
            assert ra.nodes == shorter and longer[1:] == shorter
            ties += 1
        assert ra.cost == pytest.approx(rb.cost, rel=1e-12)
        assert np.array_equal(ra.coords, rb.coords)
    assert ties <= 5


def test_large_graphs_route_on_the_hierarchy(monkeypatch):
    g = pickle.loads(pickle.dumps(_graph("huangpu")))
    monkeypatch.setattr(table_module, "TABLE_MAX_NODES", g.n_nodes - 1)
    assert route_table(g) is None
    cost, nodes = node_route(g, 0, g.n_nodes - 1)
    assert cost == pytest.approx(dijkstra(g.matrix, directed=True, indices=0)[g.n_nodes - 1], rel=1e-12)
    assert nodes[0] == 0 and nodes[-1] == g.n_nodes - 1


def test_the_table_is_small_and_built_once():
    g = _graph("huangpu")
    tab = route_table(g)
    assert tab is route_table(g)
    assert tab.seq.dtype == tab.via.dtype == tab.pos.dtype == tab.top.dtype == np.int16  # two bytes a pair
    assert tab.other.dtype == np.float64 and tab.other_row == 1  # weights in metres: seconds kept
    assert tab.nbytes == g.n_nodes ** 2 * 24
    assert (np.diag(tab.pos) == -1).all() and (np.diag(tab.dist) == 0).all()
    reached = np.isfinite(tab.dist).sum(axis=1) - 1  # every row lays out one edge per reached node
    assert ((tab.seq >= 0).sum(axis=1) == reached).all() and ((tab.pos >= 0).sum(axis=1) == reached).all()
    assert ((tab.top <= tab.pos) & (tab.top >= -1)).all()  # a chain starts at or before each of its edges


def test_routes_cross_few_chains():
    """Heavy-path layout: a route reads at most log2(n) + 1 slices, and they join up."""
    g = _graph("huangpu")
    tab = route_table(g)
    rng = np.random.default_rng(5)
    limit = int(np.log2(g.n_nodes)) + 1
    for s in rng.integers(0, g.n_nodes, 40).tolist():
        base = s * tab.n
        for t in rng.integers(0, g.n_nodes, 40).tolist():
            if s == t or not np.isfinite(tab.dist[s, t]):
                continue
            chains, v = 0, t
            while v != s:
                chains += 1
                v = int(tab.via.reshape(-1)[base + int(tab.top[s, v])])
            assert chains <= limit
            nodes, arcs = tab.path(s, t)
            assert nodes[0] == s and nodes[-1] == t and len(arcs) == len(nodes) - 1
            assert [tab.tail[a] for a in arcs] == nodes[:-1]
            # metres and seconds as a loop over the route adds them: bit for bit
            metres, secs = tab.lengths(s, t)
            runs = edge_runs(g)
            assert metres == sum(runs.edge_m[a] for a in arcs) == tab.cost(s, t)
            assert secs == sum(runs.edge_s[a] for a in arcs)


def test_a_route_keeps_its_line_as_coordinates():
    g = _graph("lujiazui")
    r = shortest_path(g, (float(g.lon[3]), float(g.lat[3])), (float(g.lon[900]), float(g.lat[900])))
    assert "geometry" not in r.__dict__  # no shapely object until asked
    assert r.to_dict()["geometry"] == {"type": "LineString", "coordinates": r.coords.tolist()}
    assert np.array_equal(np.asarray(r.geometry.coords), r.coords)


@pytest.mark.parametrize("snap_to", ["edge", "node"])
def test_a_few_moved_responders_snap_as_a_fresh_team(snap_to):
    """One or two newly seen positions are snapped one by one, the rest of a team in one
    batch; both give the snaps of a team prepared from scratch, far-off positions included."""
    from geogrid.routing import Responders

    g = _graph("huangpu")
    rng = np.random.default_rng(41)
    pos = np.column_stack([g.lon[rng.integers(0, g.n_nodes, 30)], g.lat[rng.integers(0, g.n_nodes, 30)]])
    pos = pos + rng.normal(0, 1e-4, pos.shape)
    Responders.for_positions(g, pos, snap_to=snap_to)
    for moved_rows in ([4], [2, 9], list(range(12))):
        moved = pos.copy()
        moved[moved_rows] += rng.normal(0, 2e-4, (len(moved_rows), 2))
        moved[moved_rows[0]] += [0.2, 0.0]  # about 20 km east: farther than max_snap_m from any road
        fresh = pickle.loads(pickle.dumps(g))
        kept, new = Responders.for_positions(g, moved, snap_to=snap_to), Responders.prepare(fresh, moved,
                                                                                           snap_to=snap_to)
        for field in ("x", "y", "node", "seg", "t", "snap_m", "ok", "ent_node", "ent_cost"):
            assert np.array_equal(getattr(kept, field), getattr(new, field)), field
        assert not kept.ok[moved_rows[0]]


def test_a_straight_edged_graph_routes_by_its_nodes():
    """Huangpu's export has one straight piece per edge: a route read off the table is its
    nodes, and its line (their coordinates) is the one its edges' vertex runs give."""
    g = _graph("huangpu")
    tab, runs = route_table(g), edge_runs(g)
    assert runs.node_b is not None and edge_runs(_graph("lujiazui")).node_b is None
    rng = np.random.default_rng(8)
    for s, t in rng.integers(0, g.n_nodes, (100, 2)).tolist():
        if s == t or not np.isfinite(tab.dist[s, t]):
            continue
        nodes, arcs = tab.path(s, t)
        assert tab.nodes(s, t) == nodes
        by_edges = runs.first[arcs[0]] + b"".join(runs.rest[a] for a in arcs)
        assert b"".join(runs.node_b[v] for v in nodes) == by_edges
