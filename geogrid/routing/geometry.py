"""Route geometry: the lon/lat line, metres and seconds of a route from its ends and edges.

A route is: the query point, the part of its segment up to the first node
(cut at the snapped fraction), the edges the search chose, the part of the
last segment, and the end point. Per directed edge the vertex run in the
direction of travel is laid out once per graph (:func:`edge_runs`), so the
middle of any route is one gather; the two cut ends are a few plain floats.
Consecutive points closer than 1e-12° are merged, so a point exactly on a
road, or a route that starts at a node, has no zero-length piece.
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np

from .graph import RoadGraph, _ragged_arange

__all__ = ["EdgeRuns", "edge_runs", "route_line", "cut"]


#: Consecutive route points closer than this (degrees, in both coordinates) are merged.
_SAME = 1e-12
_XY = struct.Struct("2d")  # one lon/lat point as raw float64 bytes
_POINT = np.dtype((np.float64, (2,)))  # read from bytes, an (n, 2) float64 array


@dataclass(frozen=True, eq=False)
class EdgeRuns:
    """Per directed edge ``k`` (a position in ``graph.matrix.data``): its vertices in travel order.

    ``first[k]`` is the edge's first lon/lat vertex (a node) and ``rest[k]``
    the vertices after it, as raw float64 bytes, so a path's line is one
    ``bytes.join`` of its first edge's ``first`` and every edge's ``rest``.
    ``lengths[:, k]`` is the edge's metres and free-flow seconds. ``dup``
    holds the edges with two consecutive vertices closer than :data:`_SAME`;
    ``joined`` says every edge starts and ends exactly at its nodes'
    coordinates, so a path of edges outside ``dup`` has no such pair either.
    ``seg_offsets`` is the graph's segment vertex offsets as plain ints,
    ``frac`` and ``xy`` the vertices' fractions and flat lon/lat for plain-float
    reads. ``weight_row`` is 0 when every edge's weight in ``graph.matrix`` is
    its metres bit for bit, 1 when it is its seconds, else -1: SciPy's distance
    along a route is then its metres (or seconds), as the route table uses.
    ``node_b``, on a graph whose every edge is one straight piece between its nodes'
    exact coordinates with no repeated vertex (a noded OSM export), is each node's
    lon/lat as float64 bytes: a path's line is then its nodes' (else ``None``).
    """

    first: list
    rest: list
    lengths: np.ndarray
    dup: frozenset
    joined: bool
    seg_offsets: list
    frac: memoryview
    xy: memoryview
    weight_row: int
    node_b: list | None = None

    @cached_property
    def edge_m(self) -> list:
        """Metres of every edge, as plain floats."""
        return self.lengths[0].tolist()

    @cached_property
    def edge_s(self) -> list:
        """Free-flow seconds of every edge, as plain floats."""
        return self.lengths[1].tolist()

    @classmethod
    def build(cls, graph: RoadGraph) -> EdgeRuns:
        seg = graph.edge_segment.astype(np.int64)
        lo = graph.seg_offsets[seg]
        count = graph.seg_offsets[seg + 1] - lo
        rel = _ragged_arange(count)
        rel = np.where(np.repeat(graph.edge_forward, count), rel, np.repeat(count, count) - 1 - rel)
        xy = np.ascontiguousarray(graph.coords_lonlat[np.repeat(lo, count) + rel], float)
        start = np.cumsum(count) - count
        first = np.zeros(len(xy), bool)
        first[start] = True
        step = np.zeros(len(xy), bool)  # vertex i repeats vertex i - 1 of the same run
        if len(xy) > 1:
            step[1:] = np.abs(np.diff(xy, axis=0)).max(axis=1) <= _SAME
        step &= ~first
        dup = frozenset(np.unique(np.searchsorted(start, np.flatnonzero(step), side="right") - 1).tolist())
        from_node = np.repeat(np.arange(graph.n_nodes), np.diff(graph.matrix.indptr))
        node_xy = np.column_stack([graph.lon, graph.lat])
        joined = bool((xy[start] == node_xy[from_node]).all()
                      and (xy[start + count - 1] == node_xy[graph.matrix.indices]).all())
        length = graph.seg_length_m[seg]
        lengths = np.ascontiguousarray(np.vstack([length, length / graph.seg_speed_mps[seg]]))
        row = next((k for k in (0, 1) if np.array_equal(lengths[k], graph.matrix.data)), -1)
        raw = xy.tobytes()
        first_b, end_b = (start * 16).tolist(), ((start + count) * 16).tolist()
        rest: list = [b""] * len(first_b)
        # neighbours' runs made one after another
        for k in _z_order(graph.x[from_node], graph.y[from_node]).tolist():
            rest[k] = raw[first_b[k] + 16:end_b[k]]
        node_b = None
        if joined and not dup and bool((count == 2).all()):
            node_raw, node_b = np.ascontiguousarray(node_xy, float).tobytes(), [b""] * graph.n_nodes
            for v in _z_order(graph.x, graph.y).tolist():
                node_b[v] = node_raw[16 * v:16 * v + 16]
        return cls([raw[i:i + 16] for i in first_b], rest,
                   lengths, dup, joined, graph.seg_offsets.tolist(),
                   memoryview(np.ascontiguousarray(graph.coords_frac, float)),
                   memoryview(np.ascontiguousarray(graph.coords_lonlat, float).reshape(-1)), row,
                   node_b)


def _z_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points (edges by the node they leave, or nodes) in Z order (Morton): points near each
    other on the map come near each other in the order.

    A route's line joins one small ``bytes`` object per edge (or node); made in this
    order, the objects of consecutive edges of a route mostly share memory pages and cache
    lines, which a query run right after other work (a cold cache) reads about a quarter
    faster.
    """
    if len(x) == 0:
        return np.zeros(0, np.int64)
    code = np.zeros(len(x), np.uint64)
    for v, shift in ((x, 0), (y, 1)):
        q = ((v - v.min()) / max(float(v.max() - v.min()), 1e-9) * 65535).astype(np.uint64)
        for b in range(16):  # bit b of the coordinate to bit 2b (+1 for y) of the code
            code |= ((q >> np.uint64(b)) & np.uint64(1)) << np.uint64(2 * b + shift)
    return np.argsort(code, kind="stable")


def edge_runs(graph: RoadGraph) -> EdgeRuns:
    """The graph's :class:`EdgeRuns`, built on first use and kept with the graph."""
    return graph._memo("edge_runs", EdgeRuns.build)


def _point_at(frac: memoryview, xy: memoryview, lo: int, hi: int, t: float) -> list[float]:
    """The point at fraction ``t`` of the segment whose vertices are ``lo .. hi - 1``, flat."""
    k = bisect_right(frac, t, lo, hi)
    k = lo + 1 if k < lo + 1 else hi - 1 if k > hi - 1 else k
    f0, f1 = frac[k - 1], frac[k]
    if f1 > f0:
        r = (t - f0) / (f1 - f0)
        r = 0.0 if r < 0.0 else 1.0 if r > 1.0 else r  # as min(max(r, 0), 1), NaN kept
    else:
        r = 0.0
    x0, y0, x1, y1 = xy[2 * k - 2:2 * k + 2]
    return [x0 + r * (x1 - x0), y0 + r * (y1 - y0)]


def _cut_flat(runs: EdgeRuns, s: int, t0: float, t1: float) -> list[float]:
    """:func:`cut` as one flat list ``[lon, lat, lon, lat, ...]``."""
    off, frac, xy = runs.seg_offsets, runs.frac, runs.xy
    lo, hi = off[s], off[s + 1]
    if hi - lo == 2 and frac[lo + 1] == 1.0:  # a straight segment (all of a noded OSM export)
        # _point_at's arithmetic with f0 = 0.0 and f1 = 1.0: r = (t - 0.0) / 1.0 = t exactly
        x0, y0, x1, y1 = xy[2 * lo:2 * lo + 4]
        dx, dy = x1 - x0, y1 - y0
        r0 = 0.0 if t0 < 0.0 else 1.0 if t0 > 1.0 else t0
        r1 = 0.0 if t1 < 0.0 else 1.0 if t1 > 1.0 else t1
        return [x0 + r0 * dx, y0 + r0 * dy, x0 + r1 * dx, y0 + r1 * dy]
    lo_t, hi_t = (t0, t1) if t0 <= t1 else (t1, t0)
    # inner vertices k (lo + 1 .. hi - 2) with lo_t < frac[k] < hi_t form one run, as frac is sorted
    first = bisect_right(frac, lo_t, lo, hi)
    first = lo + 1 if first < lo + 1 else first
    stop = bisect_left(frac, hi_t, lo, hi)
    stop = hi - 1 if stop > hi - 1 else stop
    out = _point_at(frac, xy, lo, hi, lo_t)
    if stop > first:
        out += xy[2 * first:2 * stop].tolist()
    out += _point_at(frac, xy, lo, hi, hi_t)
    if t0 > t1:  # the points in reverse order, each still (lon, lat)
        out.reverse()
        out[0::2], out[1::2] = out[1::2], out[0::2]
    return out


def cut(graph: RoadGraph, s: int, t0: float, t1: float) -> list[list[float]]:
    """Lon/lat vertices of segment ``s`` from fraction ``t0`` to ``t1`` (reversed if ``t0 > t1``)."""
    flat = _cut_flat(edge_runs(graph), s, t0, t1)
    return [flat[i:i + 2] for i in range(0, len(flat), 2)]


def _path(graph: RoadGraph, runs: EdgeRuns, nodes: Sequence[int], arcs: Sequence[int],
          known: tuple | None = None) -> tuple:
    """The line along a path of edges ``arcs``: (its first vertex and the vertices after it,
    as float64 bytes; first point, last point, metres, seconds, whether two consecutive
    points of it may be closer than :data:`_SAME`).

    ``known``, when given, is the path's (metres, seconds), each summed in path order (from
    the route table); otherwise they are summed here.
    """
    if len(arcs) == 0:
        pt = [float(graph.lon[nodes[0]]), float(graph.lat[nodes[0]])]
        return _XY.pack(*pt), b"", pt, pt, 0.0, 0.0, False
    first, rest = runs.first[arcs[0]], b"".join(map(runs.rest.__getitem__, arcs))
    if known is None:  # in path order, as plain floats
        metres, secs = sum(map(runs.edge_m.__getitem__, arcs)), sum(map(runs.edge_s.__getitem__, arcs))
    else:
        metres, secs = known
    maybe = not runs.joined or (bool(runs.dup) and not runs.dup.isdisjoint(arcs))
    return first, rest, list(_XY.unpack(first)), list(_XY.unpack_from(rest, len(rest) - 16)), \
        metres, secs, maybe


def _kept(flat: list, before: list | None) -> list:
    """Flat ``[lon, lat, ...]`` without each point closer than :data:`_SAME` to the one before
    it (``before``, a point, first)."""
    if before is None:
        bx = by = None
    else:
        bx, by = before
    out = []
    for i in range(0, len(flat), 2):
        x, y = flat[i], flat[i + 1]
        # abs(x - bx) > _SAME, without the call: bx - x is exactly -(x - bx)
        if bx is None or x - bx > _SAME or bx - x > _SAME or y - by > _SAME or by - y > _SAME:
            out += (x, y)
        bx, by = x, y
    return out


def _merged(coords: np.ndarray) -> np.ndarray:
    """``coords`` without each point closer than :data:`_SAME` to the one before it."""
    step = np.abs(coords[1:] - coords[:-1])
    keep = np.empty(len(coords), bool)
    keep[0] = True
    np.greater(np.maximum(step[:, 0], step[:, 1]), _SAME, out=keep[1:])
    return coords[keep]


def _part(graph: RoadGraph, runs: EdgeRuns, s: int, t0: float, t1: float) -> tuple[list, float, float]:
    """The cut of segment ``s`` from ``t0`` to ``t1``, flat, with its metres and seconds
    (nothing if ``s < 0``)."""
    if s < 0:
        return [], 0.0, 0.0
    lists = graph._seg_lists
    metres = abs(t1 - t0) * lists[3][s]
    return _cut_flat(runs, s, t0, t1), metres, metres / lists[4][s]


def route_line(graph: RoadGraph, o, d, path: tuple | None, o_entry: tuple | None,
               d_entry: tuple | None, known: tuple | None = None) -> tuple[np.ndarray, float, float]:
    """Coordinates, road metres and road seconds from anchor ``o`` to anchor ``d``.

    ``path`` is ``(nodes, arcs)`` entered by ``o_entry`` and left by ``d_entry``
    (``(node, cost, segment, t_node)`` each), or ``None`` for a route along one segment;
    ``known``, if given, its (metres, seconds) (see :func:`_path`).
    """
    runs = edge_runs(graph)
    if path is not None and path[1] is None:  # nodes only (with their metres and seconds), on a
        if len(path[0]) > 1:                  # graph of straight edges (EdgeRuns.node_b)
            mid = b"".join(map(runs.node_b.__getitem__, path[0]))
            return _line_of_edges(graph, runs, o, d, mid, o_entry, d_entry, known)
        path = (path[0], [], *path[2:])  # a single node
    if path is not None and path[1] and known is not None and runs.joined and \
            (not runs.dup or runs.dup.isdisjoint(path[1])):
        mid = runs.first[path[1][0]] + b"".join(map(runs.rest.__getitem__, path[1]))
        return _line_of_edges(graph, runs, o, d, mid, o_entry, d_entry, known)
    if path is None:  # along one segment
        first = _part(graph, runs, o.seg, o.t, d.t)
        coords = _merged(np.array([o.lon, o.lat, *first[0], d.lon, d.lat]).reshape(-1, 2))
        metres, secs = first[1], first[2]
    else:
        first = _part(graph, runs, o_entry[2], o.t, o_entry[3])
        start, rest, m0, m1, m_mid, s_mid, maybe = _path(graph, runs, path[0], path[1], known)
        last = _part(graph, runs, d_entry[2], d_entry[3], d.t)
        metres, secs = first[1] + m_mid + last[1], first[2] + s_mid + last[2]
        head, tail = [o.lon, o.lat, *first[0]], [*last[0], d.lon, d.lat]
        if maybe:
            mid_xy = np.frombuffer(start + rest, float).reshape(-1, 2)
            coords = _merged(np.concatenate([np.array(head).reshape(-1, 2), mid_xy,
                                             np.array(tail).reshape(-1, 2)]))
        else:  # the middle has no repeated point: only the joins need a look
            coords = np.frombuffer(b"".join((array("d", _kept(head, None)), start if _kept(m0, head[-2:]) else b"",
                                             rest, array("d", _kept(tail, m1)))), float).reshape(-1, 2)
    if len(coords) == 1:
        coords = np.vstack([coords, coords])
    return coords, metres, secs


def _line_of_edges(graph: RoadGraph, runs: EdgeRuns, o, d, mid: bytes, o_entry: tuple,
                   d_entry: tuple, known: tuple) -> tuple[np.ndarray, float, float]:
    """:func:`route_line` for a path of at least one edge whose metres and seconds are known,
    on a graph whose edges join at their nodes with no repeated vertex; ``mid`` is the path's
    vertices as float64 bytes. The same points and sums, in one function (a route is a few
    microseconds; calls are a good part of them)."""
    length, speed = graph._seg_lists[3:5]
    s, t_node = o_entry[2], o_entry[3]
    if s >= 0:
        head = [o.lon, o.lat, *_cut_flat(runs, s, o.t, t_node)]
        m_a = abs(t_node - o.t) * length[s]
        s_a = m_a / speed[s]
    else:
        head, m_a, s_a = [o.lon, o.lat], 0.0, 0.0
    s, t_node = d_entry[2], d_entry[3]
    if s >= 0:
        tail = [*_cut_flat(runs, s, t_node, d.t), d.lon, d.lat]
        m_b = abs(d.t - t_node) * length[s]
        s_b = m_b / speed[s]
    else:
        tail, m_b, s_b = [d.lon, d.lat], 0.0, 0.0
    (mx, my), hx, hy = _XY.unpack_from(mid), head[-2], head[-1]
    # the path's first point unless the cut already ends there: _kept(m0, head[-2:]) written out
    body = mid if mx - hx > _SAME or hx - mx > _SAME or my - hy > _SAME or hy - my > _SAME else \
        memoryview(mid)[16:]
    m1 = _XY.unpack_from(mid, len(mid) - 16)
    coords = np.frombuffer(b"".join((array("d", _kept(head, None)), body, array("d", _kept(tail, m1)))),
                           _POINT)  # (n, 2) float64 in one call
    return coords, m_a + known[0] + m_b, s_a + known[1] + s_b
