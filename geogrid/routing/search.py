"""Route search: :func:`shortest_path` and :func:`nearest_responder`.

A route from a snapped point leaves along its segment in the directions the
segment allows, so a point half-way along a one-way street has to drive on
to the next junction. When there is no path (different components, or a
point farther than ``max_snap_m`` from every road) the result is a straight
line with ``Route.fallback = True`` and a ``reason``; it is never passed off
as a road route.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import shapely
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from .._errors import InputError, NotFoundError
from .graph import ACCESS_SPEED_MPS, RoadGraph, _ragged_arange
from .snap import _Anchor, _anchors, _cut, _snap_arrays

__all__ = ["Route", "shortest_path", "nearest_responder"]


@dataclass(frozen=True)
class Route:
    """A route in lon/lat (EPSG:4490).

    ``distance_m`` includes the straight access legs from each end point to
    the road (``access_m``). ``cost`` is in the graph's weight unit (metres or
    seconds) and is what routes are ranked by. ``nodes`` lists the graph
    nodes passed. A straight-line stand-in has ``fallback=True``, no nodes and
    a ``reason``.
    """

    distance_m: float
    duration_s: float
    cost: float
    nodes: tuple[int, ...]
    geometry: LineString
    access_m: float = 0.0
    fallback: bool = False
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "distance_m": round(self.distance_m, 2), "duration_s": round(self.duration_s, 1),
            "cost": round(self.cost, 3), "nodes": list(self.nodes),
            "geometry": shapely.geometry.mapping(self.geometry) if self.geometry is not None else None,
            "access_m": round(self.access_m, 2), "fallback": self.fallback, "reason": self.reason,
        }

def _w(graph: RoadGraph, s: int, metres: float) -> float:
    return metres if graph.weight == "length" else metres / graph.seg_speed_mps[s]


def _access_cost(graph: RoadGraph, metres: float) -> float:
    return metres if graph.weight == "length" else metres / ACCESS_SPEED_MPS


def _out_entries(graph: RoadGraph, a: _Anchor) -> list[tuple[int, float, int, float]]:
    """Nodes reachable from an anchor along its segment: (node, cost, segment, t_node)."""
    if a.seg < 0:
        return [(a.node, 0.0, -1, 0.0)]
    s, t, L = a.seg, a.t, graph.seg_length_m[a.seg]
    ow = graph.seg_oneway[s]
    out = []
    if ow >= 0:
        out.append((int(graph.seg_b[s]), _w(graph, s, (1 - t) * L), s, 1.0))
    if ow <= 0:
        out.append((int(graph.seg_a[s]), _w(graph, s, t * L), s, 0.0))
    return out


def _in_entries(graph: RoadGraph, a: _Anchor) -> list[tuple[int, float, int, float]]:
    """Nodes from which an anchor is reached along its segment: (node, cost, segment, t_node)."""
    if a.seg < 0:
        return [(a.node, 0.0, -1, 0.0)]
    s, t, L = a.seg, a.t, graph.seg_length_m[a.seg]
    ow = graph.seg_oneway[s]
    out = []
    if ow >= 0:
        out.append((int(graph.seg_a[s]), _w(graph, s, t * L), s, 0.0))
    if ow <= 0:
        out.append((int(graph.seg_b[s]), _w(graph, s, (1 - t) * L), s, 1.0))
    return out


def _direct(graph: RoadGraph, o: _Anchor, d: _Anchor) -> float:
    """Cost of going from ``o`` to ``d`` along their common segment without a node; inf if impossible."""
    if o.seg < 0 or o.seg != d.seg:
        return math.inf
    s, L, ow = o.seg, graph.seg_length_m[o.seg], graph.seg_oneway[o.seg]
    if d.t >= o.t and ow >= 0:
        return _w(graph, s, (d.t - o.t) * L)
    if d.t <= o.t and ow <= 0:
        return _w(graph, s, (o.t - d.t) * L)
    return math.inf


def _with_source(m: csr_array, targets: Sequence[int], costs: Sequence[float]) -> csr_array:
    """``m`` plus a virtual node ``n`` with edges to ``targets``; shares no state with ``m``."""
    n = m.shape[0]
    t = np.asarray(targets, np.int32)
    c = np.asarray(costs, np.float64)
    order = np.argsort(t, kind="stable")
    indptr = np.empty(n + 2, np.int32)
    indptr[:-1] = m.indptr
    indptr[-1] = m.indptr[-1] + len(t)
    return csr_array((np.concatenate([m.data, c[order]]), np.concatenate([m.indices, t[order]]),
                      indptr), shape=(n + 1, n + 1), copy=False)


def _search(m: csr_array, src: int, limit0: float, best_of) -> tuple[np.ndarray, np.ndarray, float]:
    """Limited Dijkstra from ``src``, widened until ``best_of(dist)`` is proven optimal."""
    limit = limit0
    while True:
        dist, pred = dijkstra(m, directed=True, indices=src, return_predecessors=True, limit=limit)
        best = best_of(dist)
        if best <= limit or math.isinf(limit):
            return dist, pred, best
        # every node at distance <= best is settled within this limit
        limit = best * (1 + 1e-12) + 1e-9 if math.isfinite(best) else math.inf


def _path_nodes(pred: np.ndarray, start: int, stop: int) -> list[int]:
    """Follow predecessors from ``start`` until ``stop`` (exclusive) or a root."""
    path = [start]
    p = start
    while True:
        p = int(pred[p])
        if p < 0 or p == stop:
            break
        path.append(p)
    return path


def _path_coords(graph: RoadGraph, nodes: Sequence[int]) -> tuple[np.ndarray, float, float]:
    """Lon/lat coordinates, metres and seconds along ``nodes`` (forward edges)."""
    if len(nodes) < 2:
        p = np.array([[graph.lon[nodes[0]], graph.lat[nodes[0]]]]) if nodes else np.zeros((0, 2))
        return p, 0.0, 0.0
    u = np.asarray(nodes[:-1])
    v = np.asarray(nodes[1:])
    pos = graph.edge_position(u, v)
    seg = graph.edge_segment[pos]
    fwd = graph.edge_forward[pos]
    starts = graph.seg_offsets[seg]
    cnt = graph.seg_offsets[seg + 1] - starts
    rel = _ragged_arange(cnt)
    rep_cnt = np.repeat(cnt, cnt)
    rel = np.where(np.repeat(fwd, cnt), rel, rep_cnt - 1 - rel)
    idx = np.repeat(starts, cnt) + rel
    first = np.ones(len(idx), bool)
    first[(np.cumsum(cnt) - cnt)[1:]] = False  # drop each repeated junction vertex
    coords = graph.coords_lonlat[idx[first]]
    metres = float(graph.seg_length_m[seg].sum())
    secs = float((graph.seg_length_m[seg] / graph.seg_speed_mps[seg]).sum())
    return coords, metres, secs


def _partial(graph: RoadGraph, s: int, t0: float, t1: float) -> tuple[np.ndarray, float, float]:
    if s < 0:
        return np.zeros((0, 2)), 0.0, 0.0
    metres = abs(t1 - t0) * graph.seg_length_m[s]
    return _cut(graph, s, t0, t1), metres, metres / graph.seg_speed_mps[s]


def _build_route(graph: RoadGraph, o: _Anchor, d: _Anchor, nodes: list[int],
                 o_entry: tuple | None, d_entry: tuple | None, cost: float) -> Route:
    pieces = [np.array([[o.lon, o.lat]])]
    metres = secs = 0.0
    if nodes:
        _, _, s, tn = o_entry
        c, m_, t_ = _partial(graph, s, o.t, tn)
        pieces.append(c)
        metres += m_
        secs += t_
        c, m_, t_ = _path_coords(graph, nodes)
        pieces.append(c)
        metres += m_
        secs += t_
        _, _, s, tn = d_entry
        c, m_, t_ = _partial(graph, s, tn, d.t)
        pieces.append(c)
        metres += m_
        secs += t_
    else:  # along one segment
        c, m_, t_ = _partial(graph, o.seg, o.t, d.t)
        pieces.append(c)
        metres += m_
        secs += t_
    pieces.append(np.array([[d.lon, d.lat]]))
    coords = np.vstack(pieces)
    keep = np.ones(len(coords), bool)
    keep[1:] = np.any(np.abs(np.diff(coords, axis=0)) > 1e-12, axis=1)
    coords = coords[keep]
    if len(coords) == 1:
        coords = np.vstack([coords, coords])
    access = o.access_m + d.access_m
    return Route(distance_m=metres + access, duration_s=secs + access / ACCESS_SPEED_MPS,
                 cost=float(cost), nodes=tuple(int(n) for n in nodes), geometry=LineString(coords),
                 access_m=access)


def _fallback(graph: RoadGraph, o: _Anchor, d: _Anchor, reason: str) -> Route:
    metres = float(math.hypot(o.x - d.x, o.y - d.y))
    speed = _ref_speed_mps(graph)
    return Route(distance_m=metres, duration_s=metres / speed,
                 cost=metres if graph.weight == "length" else metres / speed, nodes=(),
                 geometry=LineString([(o.lon, o.lat), (d.lon, d.lat)]), fallback=True, reason=reason)


def _ref_speed_mps(graph: RoadGraph) -> float:
    return graph._ref_speed if graph.n_segments else ACCESS_SPEED_MPS


def _limit0(graph: RoadGraph, straight_m: float) -> float:
    metres = 1.5 * straight_m + 500.0
    return metres if graph.weight == "length" else metres / _ref_speed_mps(graph)


def shortest_path(graph: RoadGraph, origin, dest, *, snap_to: str = "edge",
                  max_snap_m: float = 500.0) -> Route:
    """The cheapest route from ``origin`` to ``dest``.

    ``origin`` and ``dest`` are node indices, ``(lon, lat)`` pairs in
    EPSG:4490 (snapped to the nearest segment, or node with
    ``snap_to="node"``) or :class:`Snap` objects. A point farther than
    ``max_snap_m`` from the graph, or a pair with no path between them,
    gives a straight-line :class:`Route` with ``fallback=True``.
    """
    o, d = _anchors(graph, (origin, dest), ("origin", "dest"), snap_to, max_snap_m)
    for a, name in ((o, "origin"), (d, "dest")):
        if a.access_m > max_snap_m:
            return _fallback(graph, o, d, f"{name} is more than max_snap_m={max_snap_m:g} m "
                                          f"from the nearest road")
    direct = _direct(graph, o, d)
    if o.seg < 0 and d.seg < 0 and o.node == d.node:
        return _build_route(graph, o, d, [o.node], (o.node, 0.0, -1, 0.0), (d.node, 0.0, -1, 0.0), 0.0)
    outs = _out_entries(graph, o)
    ins = _in_entries(graph, d)
    n = graph.n_nodes
    if o.seg < 0:
        m, src = graph.matrix, o.node
    else:
        m, src = _with_source(graph.matrix, [e[0] for e in outs], [e[1] for e in outs]), n
    in_nodes = np.asarray([e[0] for e in ins])
    in_cost = np.asarray([e[1] for e in ins])

    def best_of(dist):
        return min(float((dist[in_nodes] + in_cost).min()) if len(in_nodes) else math.inf, direct)

    straight = math.hypot(o.x - d.x, o.y - d.y)
    dist, pred, best = _search(m, src, _limit0(graph, straight), best_of)
    if math.isinf(best):
        return _fallback(graph, o, d, "no path between origin and dest in the road graph "
                                      "(different components or one-way dead end)")
    access_cost = _access_cost(graph, o.access_m) + _access_cost(graph, d.access_m)
    if direct <= best and math.isfinite(direct):
        return _build_route(graph, o, d, [], None, None, direct + access_cost)
    j = int(np.argmin(dist[in_nodes] + in_cost))
    nodes = _path_nodes(pred, int(in_nodes[j]), n if src == n else -1)[::-1]
    o_entry = next(e for e in outs if e[0] == nodes[0]) if o.seg >= 0 else outs[0]
    return _build_route(graph, o, d, nodes, o_entry, ins[j], best + access_cost)


def nearest_responder(graph: RoadGraph, incident, responders, available=None, *,
                      snap_to: str = "edge", max_snap_m: float = 500.0) -> tuple[int, Route]:
    """The available responder with the cheapest route *to* the incident, and that route.

    Parameters
    ----------
    incident
        ``(lon, lat)`` in EPSG:4490 (or a node index / :class:`Snap`).
    responders
        ``(k, 2)`` array-like of lon/lat in EPSG:4490.
    available
        Boolean mask of length ``k``; ``None`` means all are available.

    One Dijkstra runs backwards from the incident on the reversed graph with
    a limit that is widened only until the best responder is proven. Costs
    include each responder's straight access leg to the road. Responders with
    a road route always beat those without; when no available responder can
    reach the incident by road, the straight-line nearest is returned with
    ``Route.fallback = True``.

    Raises
    ------
    NotFoundError
        when no responder is available.
    """
    pts = np.asarray(responders, float).reshape(-1, 2)
    k = len(pts)
    mask = np.ones(k, bool) if available is None else np.asarray(available, bool)
    if mask.shape != (k,):
        raise InputError(f"available must have one flag per responder ({k}), got shape {mask.shape}.",
                         field="available", value=list(mask.shape), fix="Pass a boolean mask of length k.")
    cand = np.flatnonzero(mask)
    if len(cand) == 0:
        raise NotFoundError("no responder is available.", field="available",
                            fix="Mark at least one responder as available.")
    if not np.isfinite(pts[cand]).all():
        raise InputError("responders has non-finite coordinates.", field="responders",
                         fix="Pass finite lon/lat pairs in EPSG:4490.")
    inc, = _anchors(graph, (incident,), ("incident",), snap_to, max_snap_m)
    rx, ry = graph.project(pts[cand, 0], pts[cand, 1])
    straight = np.hypot(rx - inc.x, ry - inc.y)

    def anchor_of(j: int) -> _Anchor:
        return _Anchor(float(pts[cand[j], 0]), float(pts[cand[j], 1]), float(rx[j]), float(ry[j]))

    def fallback(reason: str) -> tuple[int, Route]:
        j = int(np.argmin(straight))
        return int(cand[j]), _fallback(graph, anchor_of(j), inc, reason)

    if inc.access_m > max_snap_m:
        return fallback(f"incident is more than max_snap_m={max_snap_m:g} m from the nearest road")
    node, seg, t, dsnap, _, _ = _snap_arrays(graph, rx, ry, snap_to, max_snap_m)
    ok = dsnap <= max_snap_m
    if not ok.any():
        return fallback(f"no available responder is within max_snap_m={max_snap_m:g} m of a road")
    ins = _in_entries(graph, inc)
    n = graph.n_nodes
    if inc.seg < 0:
        m, src = graph.reverse, inc.node
    else:
        m, src = _with_source(graph.reverse, [e[0] for e in ins], [e[1] for e in ins]), n

    # each responder leaves along its segment towards one or two nodes (vectorised)
    acc = np.where(ok, dsnap, np.inf)
    if graph.weight == "time":
        acc = acc / ACCESS_SPEED_MPS
    okj = np.flatnonzero(ok)
    direct = np.full(len(cand), math.inf)
    if snap_to == "node":
        ent_j_a, ent_node_a, ent_cost_a = okj, node[okj], acc[okj]
    else:
        s_ = seg[okj]
        length = graph.seg_length_m[s_]
        per_m = np.ones(len(okj)) if graph.weight == "length" else 1.0 / graph.seg_speed_mps[s_]
        ow = graph.seg_oneway[s_]
        fw, bw = ow >= 0, ow <= 0
        ent_j_a = np.concatenate([okj[fw], okj[bw]])
        ent_node_a = np.concatenate([graph.seg_b[s_][fw], graph.seg_a[s_][bw]]).astype(np.int64)
        ent_cost_a = np.concatenate([((1 - t[okj]) * length * per_m + acc[okj])[fw],
                                     (t[okj] * length * per_m + acc[okj])[bw]])
        if inc.seg >= 0:
            same = okj[s_ == inc.seg]
            for j in same.tolist():
                a = anchor_of(j)
                a.seg, a.t = int(seg[j]), float(t[j])
                direct[j] = _direct(graph, a, inc) + acc[j]

    def totals(dist):
        tot = np.full(len(cand), math.inf)
        np.minimum.at(tot, ent_j_a, dist[ent_node_a] + ent_cost_a)
        return np.minimum(tot, direct)

    limit0 = _limit0(graph, float(straight[ok].min()))
    dist, pred, best = _search(m, src, limit0, lambda dist: float(totals(dist).min()))
    if math.isinf(best):
        return fallback("no available responder has a road route to the incident "
                        "(different components or one-way dead end)")
    tot = totals(dist)
    j = int(np.argmin(tot))
    a = anchor_of(j)
    a.seg, a.t, a.access_m = int(seg[j]), float(t[j]), float(dsnap[j])
    a.node = int(node[j]) if a.seg < 0 else -1
    access_cost = acc[j] + _access_cost(graph, inc.access_m)
    if direct[j] <= tot[j] and math.isfinite(direct[j]):
        return int(cand[j]), _build_route(graph, a, inc, [], None, None,
                                          direct[j] - acc[j] + access_cost)
    sel = np.flatnonzero(ent_j_a == j)
    e = sel[int(np.argmin(dist[ent_node_a[sel]] + ent_cost_a[sel]))]
    start = int(ent_node_a[e])
    nodes = _path_nodes(pred, start, n if src == n else -1)
    o_entry = next(x for x in _out_entries(graph, a) if x[0] == start)
    last = nodes[-1]
    d_entry = next((x for x in ins if x[0] == last), ins[0])
    return int(cand[j]), _build_route(graph, a, inc, nodes, o_entry, d_entry,
                                      float(tot[j]) - acc[j] + access_cost)
