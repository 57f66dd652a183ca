"""The cheap lon/lat path gives exactly the answers of the straightforward one.

* Snapping through the grid of candidate pieces (:mod:`geogrid.routing.snapgrid`)
  equals the KD-tree scan and a brute-force minimum over every piece.
* Route geometry from per-edge vertex runs equals the route built the plain
  way (vertex gathers, ``numpy.vstack``, merging repeated points over the
  whole line), kept here as the reference.
* ``rank_responders`` equals one ``shortest_path`` per responder, and a team
  snapped from cached positions equals one snapped from scratch.

Graphs: the Huangpu drive network (OSMnx export) and the demo Lujiazui roads,
both © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import math
import pickle
from bisect import bisect_left, bisect_right

import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra

from geogrid.routing import (
    Responders,
    nearest_responder,
    rank_responders,
    route_table,
    shortest_path,
)
from geogrid.routing.graph import _ragged_arange
from geogrid.routing.hierarchy import hierarchy
from geogrid.routing.search import _in_entries, _out_entries, _run
from geogrid.routing.snap import _anchors, _PieceIndex
from tests.support.roadgraphs import shipped_graph

GRAPHS = {}


def _graph(name: str):
    if name not in GRAPHS:
        GRAPHS[name] = shipped_graph(name)
        route_table(GRAPHS[name])  # as the responder service keeps them: routes read the table
    return GRAPHS[name]


@pytest.fixture(scope="module", params=["huangpu", "lujiazui"])
def graph(request):
    return _graph(request.param)


def _points(g, rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Half within a few metres of a node, half anywhere in (and 300 m around) the graph (metres)."""
    i = rng.integers(0, g.n_nodes, n // 2)
    near_x, near_y = g.x[i] + rng.normal(0, 15, len(i)), g.y[i] + rng.normal(0, 15, len(i))
    far_x = rng.uniform(g.x.min() - 300, g.x.max() + 300, n - len(i))
    far_y = rng.uniform(g.y.min() - 300, g.y.max() + 300, n - len(i))
    return np.concatenate([near_x, far_x]), np.concatenate([near_y, far_y])


# --------------------------------------------------------------------------- snapping


def _scan(p: _PieceIndex, x: float, y: float, bound):
    d, j, u, sx, sy = p._scan_one(x, y, bound)
    if j < 0 or (bound is not None and d > bound):
        return -1, 0.0, math.inf, math.nan, math.nan
    f0, f1 = float(p.f0[j]), float(p.f1[j])
    return int(p.seg[j]), min(max(f0 + u * (f1 - f0), 0.0), 1.0), d, sx, sy


def _same(a, b) -> bool:
    return all(x == y or (x != x and y != y) for x, y in zip(a, b))


@pytest.mark.parametrize("bound", [None, 500.0, 20.0])
def test_grid_snapping_equals_the_kdtree_scan(graph, bound):
    p = graph._memo("pieces", _PieceIndex.build)
    x, y = _points(graph, np.random.default_rng(3), 4_000)
    on_grid = p.grid.cells_of(x, y) >= 0
    assert on_grid[:2_000].mean() > 0.95  # points near roads are answered by the grid
    single = [p._nearest_one(float(a), float(b), bound) for a, b in zip(x, y)]
    assert all(_same(s, _scan(p, float(a), float(b), bound)) for s, a, b in zip(single, x, y))
    batch = p.nearest(x, y, bound)
    for k, s in enumerate(single):  # a batch snaps each point as it would alone
        assert _same([v[k] for v in batch], s)


def test_a_cells_list_holds_the_nearest_of_all_pieces(graph):
    """Brute force: the nearest of *every* piece, ties to the lowest, is what the grid picks."""
    p = graph._memo("pieces", _PieceIndex.build)
    x, y = _points(graph, np.random.default_rng(4), 1_000)
    a, b = p.p0, p.p1
    checked = 0
    for qx, qy in zip(x.tolist(), y.tolist()):
        cand = p.grid.candidates(qx, qy)
        if cand is None:
            continue
        v = b - a
        vv = (v * v).sum(axis=1)
        u = np.clip(np.divide((qx - a[:, 0]) * v[:, 0] + (qy - a[:, 1]) * v[:, 1], vv,
                              out=np.zeros(len(vv)), where=vv > 0), 0.0, 1.0)
        d = np.hypot(qx - (a[:, 0] + u * v[:, 0]), qy - (a[:, 1] + u * v[:, 1]))
        best = p._best_of(qx, qy, cand)
        assert best[0] == pytest.approx(d.min(), abs=1e-9)
        assert best[1] in set(np.flatnonzero(d <= d.min() + 1e-9).tolist())
        checked += 1
    assert checked > 600


# --------------------------------------------------------------------------- geometry reference


def _ref_point_on(g, lo, hi, frac, t):
    k = min(max(bisect_right(frac, t), 1), hi - lo - 1)
    f0, f1 = frac[k - 1], frac[k]
    r = min(max((t - f0) / (f1 - f0), 0.0), 1.0) if f1 > f0 else 0.0
    (x0, y0), (x1, y1) = g.coords_lonlat[lo + k - 1:lo + k + 1].tolist()
    return [x0 + r * (x1 - x0), y0 + r * (y1 - y0)]


def _ref_part(g, s, t0, t1):
    if s < 0:
        return np.zeros((0, 2)), 0.0, 0.0
    lo, hi = int(g.seg_offsets[s]), int(g.seg_offsets[s + 1])
    lo_t, hi_t = (t0, t1) if t0 <= t1 else (t1, t0)
    frac = g.coords_frac[lo:hi].tolist()
    first, stop = max(bisect_right(frac, lo_t), 1), min(bisect_left(frac, hi_t), hi - lo - 1)
    inner = g.coords_lonlat[lo + first:lo + stop].tolist() if stop > first else []
    pts = np.array([_ref_point_on(g, lo, hi, frac, lo_t), *inner, _ref_point_on(g, lo, hi, frac, hi_t)])
    metres = abs(t1 - t0) * g.seg_length_m[s]
    return (pts if t0 <= t1 else pts[::-1]), metres, metres / g.seg_speed_mps[s]


def _ref_path(g, nodes, arcs):
    if len(arcs) == 0:
        return np.array([[g.lon[nodes[0]], g.lat[nodes[0]]]]), 0.0, 0.0
    seg = g.edge_segment.astype(np.int64)
    lo = g.seg_offsets[seg]
    count = g.seg_offsets[seg + 1] - lo
    rel = _ragged_arange(count)
    rel = np.where(np.repeat(g.edge_forward, count), rel, np.repeat(count, count) - 1 - rel)
    start, vertex = np.cumsum(count) - count, np.repeat(lo, count) + rel
    pos = np.asarray(arcs, np.int64)
    st, cnt = start[pos], count[pos]
    st[1:] += 1
    cnt[1:] -= 1
    ends = np.cumsum(cnt)
    idx = vertex[np.arange(ends[-1]) + np.repeat(st - (ends - cnt), cnt)]
    length = g.seg_length_m[seg]
    return g.coords_lonlat[idx], float(length[pos].sum()), float((length / g.seg_speed_mps[seg])[pos].sum())


def _reference_route(g, o_ll, d_ll):
    """(coordinates, metres, seconds) of the route, built the plain way; None for other cases."""
    o, d = _anchors(g, (o_ll, d_ll), ("origin", "dest"), "edge", 500.0)
    outs, ins = _out_entries(g, o), _in_entries(g, d)
    found = _run(hierarchy(g), outs, ins)
    if found is None or o.seg == d.seg:
        return None
    nodes, arcs = found
    oe = next(e for e in outs if e[0] == nodes[0])
    de = next(e for e in ins if e[0] == nodes[-1])
    parts = [_ref_part(g, oe[2], o.t, oe[3]), _ref_path(g, nodes, arcs), _ref_part(g, de[2], de[3], d.t)]
    coords = np.vstack([np.array([[o.lon, o.lat]]), *(p[0] for p in parts), np.array([[d.lon, d.lat]])])
    keep = np.ones(len(coords), bool)
    keep[1:] = np.any(np.abs(np.diff(coords, axis=0)) > 1e-12, axis=1)
    access = o.access_m + d.access_m
    scipy_cost = oe[1] + float(dijkstra(g.matrix, directed=True, indices=oe[0])[de[0]]) + de[1]
    return (coords[keep], sum(p[1] for p in parts) + access,
            sum(p[2] for p in parts) + access / 1.4, scipy_cost, tuple(nodes))


@pytest.mark.parametrize("name, pairs", [("huangpu", 200), ("lujiazui", 100)])
def test_route_geometry_equals_the_plain_construction(name, pairs):
    g = _graph(name)
    rng = np.random.default_rng(17)
    i = rng.integers(0, g.n_nodes, (pairs, 2))
    jitter = rng.normal(0, 20, (pairs, 2, 2)) / np.array([95_000.0, 111_000.0])
    compared = 0
    for k in range(pairs):
        o_ll = (g.lon[i[k, 0]] + jitter[k, 0, 0], g.lat[i[k, 0]] + jitter[k, 0, 1])
        d_ll = (g.lon[i[k, 1]] + jitter[k, 1, 0], g.lat[i[k, 1]] + jitter[k, 1, 1])
        ref = _reference_route(g, o_ll, d_ll)
        r = shortest_path(g, o_ll, d_ll)
        if ref is None or r.fallback or not r.nodes:
            continue
        coords, metres, secs, cost, nodes = ref
        # the hierarchy's path; SciPy's cost (length-weighted: access costs metres)
        assert r.nodes == nodes and r.cost == cost + r.access_m
        assert np.array_equal(shapely.get_coordinates(r.geometry), coords)
        # metres and seconds are summed edge by edge in path order: equal to within rounding
        assert r.distance_m == pytest.approx(metres, rel=1e-12)
        assert r.duration_s == pytest.approx(secs, rel=1e-12)
        compared += 1
    assert compared > pairs * 0.8


# --------------------------------------------------------------------------- teams


def test_ranking_equals_one_shortest_path_per_responder():
    g = _graph("huangpu")
    rng = np.random.default_rng(9)
    for _ in range(5):
        inc = (float(g.lon[rng.integers(g.n_nodes)]), float(g.lat[rng.integers(g.n_nodes)]))
        pos = np.column_stack([g.lon[rng.integers(0, g.n_nodes, 12)], g.lat[rng.integers(0, g.n_nodes, 12)]])
        pos = pos + rng.normal(0, 2e-4, pos.shape)
        pos[0] = [pos[0, 0] + 0.2, pos[0, 1]]  # about 20 km off: no road within max_snap_m
        ranked = rank_responders(g, inc, pos)
        alone = sorted(((j, shortest_path(g, tuple(p), inc)) for j, p in enumerate(pos.tolist())),
                       key=lambda jr: (jr[1].fallback, jr[1].duration_s, jr[0]))
        assert [j for j, _ in ranked] == [j for j, _ in alone]
        for (_, a), (_, b) in zip(ranked, alone):
            assert (a.cost, a.distance_m, a.duration_s, a.nodes, a.fallback) == \
                (b.cost, b.distance_m, b.duration_s, b.nodes, b.fallback)
            assert a.geometry.equals_exact(b.geometry, 0.0)
        assert ranked[-1][0] == 0 and ranked[-1][1].fallback


def test_a_team_with_one_moved_responder_answers_like_a_fresh_one():
    g = _graph("huangpu")
    fresh = pickle.loads(pickle.dumps(g))  # no derived structures: nothing snapped yet
    route_table(fresh)  # routes as ``g`` does
    rng = np.random.default_rng(5)
    pos = np.column_stack([g.lon[rng.integers(0, g.n_nodes, 50)], g.lat[rng.integers(0, g.n_nodes, 50)]])
    pos = pos + rng.normal(0, 1e-4, pos.shape)
    Responders.for_positions(g, pos)  # the team as it stood
    moved = pos.copy()
    moved[7] += [3e-4, -2e-4]
    kept, new = Responders.for_positions(g, moved), Responders.prepare(fresh, moved)
    for field in ("x", "y", "node", "seg", "t", "snap_m", "ent_node", "ent_cost", "ent_units"):
        assert np.array_equal(getattr(kept, field), getattr(new, field)), field
    for k in range(20):
        inc = (float(g.lon[k * 50]), float(g.lat[k * 50]))
        (ja, ra), (jb, rb) = nearest_responder(g, inc, moved), nearest_responder(fresh, inc, moved)
        assert ja == jb and ra.cost == rb.cost and ra.geometry.equals_exact(rb.geometry, 0.0)


def test_a_batch_entirely_off_the_grid_is_scanned():
    g = _graph("huangpu")
    p = g._memo("pieces", _PieceIndex.build)
    x = np.array([g.x.max() + 2_000.0, g.x.min() - 3_000.0, g.x.max() + 900.0])
    y = np.array([g.y.max() + 2_000.0, g.y.min(), g.y.min() - 50.0])
    assert (p.grid.cells_of(x, y) < 0).all()
    batch = p.nearest(x, y, None)
    for k in range(3):
        assert _same([v[k] for v in batch], _scan(p, float(x[k]), float(y[k]), None))
    assert (p.nearest(x, y, 500.0)[0] == -1).all()  # all farther than 500 m from any road


def test_threads_route_like_one_thread():
    """Each thread reuses its own RoutingKit query object; answers do not mix."""
    from concurrent.futures import ThreadPoolExecutor

    g = _graph("huangpu")
    rng = np.random.default_rng(21)
    i = rng.integers(0, g.n_nodes, (120, 2))
    pairs = [((float(g.lon[a]) + 1e-4, float(g.lat[a])), (float(g.lon[b]), float(g.lat[b]) - 1e-4))
             for a, b in i.tolist()]
    alone = [shortest_path(g, o, d) for o, d in pairs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda od: shortest_path(g, *od), pairs * 3))
    for a, b in zip(alone * 3, together):
        assert (a.cost, a.nodes) == (b.cost, b.nodes) and a.geometry.equals_exact(b.geometry, 0.0)
    assert len({r.nodes for r in alone}) > 100  # the pairs differ, so mixed-up answers would show


def test_queries_are_freed_on_their_own_threads():
    """RoutingKit refuses to free a query on another thread than its own (an unraisable
    error, and the query leaks): a graph routed on pool threads and dropped on the main
    thread while they live, then the pool's end, free every query without one."""
    import gc
    import sys
    from concurrent.futures import ThreadPoolExecutor

    seen = []
    old, sys.unraisablehook = sys.unraisablehook, seen.append
    try:
        g = shipped_graph("lujiazui")
        a, b = (float(g.lon[0]), float(g.lat[0])), (float(g.lon[-1]), float(g.lat[-1]))
        expected = shortest_path(g, a, b).cost
        with ThreadPoolExecutor(3) as pool:
            got = list(pool.map(lambda _: shortest_path(g, a, b).cost, range(12)))
            del g
            gc.collect()
        gc.collect()
    finally:
        sys.unraisablehook = old
    assert got == [expected] * 12
    assert [str(u.exc_value) for u in seen] == []
