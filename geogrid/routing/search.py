"""Route search: :func:`shortest_path`, :func:`nearest_responder` and :func:`node_route`.

Every query is one search in the graph's contraction hierarchy
(:mod:`geogrid.routing.hierarchy`) from a set of start nodes to a set of end
nodes, each with an offset: a point snapped half-way along a segment starts
at the segment's end nodes with the rest of the segment as offset, and a
nearest-responder query starts at every available responder at once, with
each responder's way onto the road as offset. The hierarchy chooses the
path; the reported cost is the sum of the floating-point edge weights along
it, so it equals SciPy's Dijkstra distance.

A route from a snapped point leaves along its segment in the directions the
segment allows, so a point half-way along a one-way street has to drive on
to the next junction. When there is no path (different components, or a
point farther than ``max_snap_m`` from every road) the result is a straight
line with ``Route.fallback = True`` and a ``reason``; it is never passed off
as a road route.
"""

from __future__ import annotations

import math
from functools import reduce
from operator import add
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Sequence

import numpy as np
import shapely
from shapely.geometry import LineString

from .._errors import InputError
from .graph import ACCESS_SPEED_MPS, RoadGraph
from .hierarchy import Hierarchy, hierarchy
from .geometry import route_line
from .snap import _Anchor, _anchors
from .table import built_route_table
from .team import MAPS_KEPT, SNAPS_KEPT, TEAMS_KEPT, Responders, _available

__all__ = ["Route", "Responders", "shortest_path", "nearest_responder", "node_route",
           "node_nearest_responder", "rank_responders", "MAPS_KEPT", "TEAMS_KEPT", "SNAPS_KEPT"]


@dataclass(frozen=True, eq=False)
class Route:
    """A route in lon/lat (EPSG:4490).

    ``distance_m`` includes the straight access legs from each end point to
    the road (``access_m``). ``cost`` is in the graph's weight unit (metres or
    seconds) and is what routes are ranked by. ``nodes`` lists the graph
    nodes passed. ``coords`` is the line as an ``(n, 2)`` array of lon/lat;
    :attr:`geometry` makes the shapely ``LineString`` from it when first
    asked, so a caller that only needs numbers or GeoJSON never pays for it.
    A straight-line stand-in has ``fallback=True``, no nodes and a ``reason``.
    """

    distance_m: float
    duration_s: float
    cost: float
    nodes: tuple[int, ...]
    coords: np.ndarray = field(repr=False)
    access_m: float = 0.0
    fallback: bool = False
    reason: str | None = None

    @cached_property
    def geometry(self) -> LineString:
        """The route line as a shapely ``LineString`` (made on first use)."""
        return shapely.linestrings(self.coords)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Route):
            return NotImplemented
        return (self.distance_m, self.duration_s, self.cost, self.nodes, self.access_m, self.fallback,
                self.reason) == (other.distance_m, other.duration_s, other.cost, other.nodes,
                                 other.access_m, other.fallback, other.reason) and \
            np.array_equal(self.coords, other.coords)

    __hash__ = object.__hash__

    @classmethod
    def _road(cls, distance_m: float, duration_s: float, cost: float, nodes: tuple, coords: np.ndarray,
              access_m: float) -> Route:
        """A road route (not a fallback), made without the frozen ``__init__``'s per-field
        ``object.__setattr__``: the same object, for a query that takes microseconds."""
        r = object.__new__(cls)
        r.__dict__.update(distance_m=distance_m, duration_s=duration_s, cost=cost, nodes=nodes, coords=coords,
                          access_m=access_m)
        return r

    def to_dict(self) -> dict[str, Any]:
        return {
            "distance_m": round(self.distance_m, 2), "duration_s": round(self.duration_s, 1),
            "cost": round(self.cost, 3), "nodes": list(self.nodes),
            "geometry": {"type": "LineString", "coordinates": self.coords.tolist()},
            "access_m": round(self.access_m, 2), "fallback": self.fallback, "reason": self.reason,
        }


def _w(graph: RoadGraph, s: int, metres: float) -> float:
    return metres if graph.weight == "length" else metres / graph._seg_lists[4][s]


def _access_cost(graph: RoadGraph, metres: float) -> float:
    return metres if graph.weight == "length" else metres / ACCESS_SPEED_MPS


def _entries(graph: RoadGraph, a: _Anchor, leaving: bool) -> list[tuple[int, float, int, float]]:
    """How an anchor joins the graph along its segment: (node, cost, segment, t_node) each.

    ``leaving``: the nodes reachable from the anchor; otherwise the nodes it is reached from.
    Driving towards ``seg_b`` is allowed unless the segment is one-way backwards, and the
    reverse; arriving from ``seg_a`` is driving towards ``seg_b``.
    """
    if a.seg < 0:
        return [(a.node, 0.0, -1, 0.0)]
    seg_a, seg_b, oneway, length, speed = graph._seg_lists
    s, t = a.seg, a.t
    L, ow = length[s], oneway[s]
    ahead, back = (1 - t) * L, t * L
    if graph.weight != "length":  # as _w
        ahead, back = ahead / speed[s], back / speed[s]
    to_b = (seg_b[s], ahead, s, 1.0)
    to_a = (seg_a[s], back, s, 0.0)
    forward, backward = (to_b, to_a) if leaving else (to_a, to_b)
    return ([forward] if ow >= 0 else []) + ([backward] if ow <= 0 else [])


def _out_entries(graph: RoadGraph, a: _Anchor) -> list[tuple[int, float, int, float]]:
    return _entries(graph, a, True)


def _in_entries(graph: RoadGraph, a: _Anchor) -> list[tuple[int, float, int, float]]:
    return _entries(graph, a, False)


def _direct(graph: RoadGraph, o: _Anchor, d: _Anchor) -> float:
    """Cost of going from ``o`` to ``d`` along their common segment without a node; inf if impossible."""
    if o.seg < 0 or o.seg != d.seg:
        return math.inf
    _, _, oneway, length, _ = graph._seg_lists
    s = o.seg
    L, ow = length[s], oneway[s]
    if d.t >= o.t and ow >= 0:
        return _w(graph, s, (d.t - o.t) * L)
    if d.t <= o.t and ow <= 0:
        return _w(graph, s, (o.t - d.t) * L)
    return math.inf


def _exact_cost(graph: RoadGraph, start: float, arcs: Sequence[int], end: float) -> float:
    """``start`` plus the weights of ``arcs`` in path order plus ``end``, as Dijkstra adds them."""
    # left to right, as a Python loop adds them (``sum`` may compensate on newer Pythons)
    return reduce(add, map(hierarchy(graph).weights.__getitem__, arcs), start) + end


def _run(h: Hierarchy, outs: Sequence[tuple], ins: Sequence[tuple]):
    """One hierarchy search from entries ``(node, cost, ...)`` to entries ``(node, cost, ...)``."""
    scale, top = h.scale, h.max_offset
    if any(not 0 <= e[1] <= top for e in (*outs, *ins)):
        for e in (*outs, *ins):
            h.to_units(e[1])  # raises, naming max_snap_m
    return h.query([(int(e[0]), int(round(e[1] * scale))) for e in outs],
                   [(int(e[0]), int(round(e[1] * scale))) for e in ins])


def _search(graph: RoadGraph, outs: Sequence[tuple], ins: Sequence[tuple]):
    """The cheapest route from entries ``outs`` to entries ``ins`` (``(node, cost, ...)`` each).

    Returns (cost, (nodes, arcs[, (metres, seconds)]), start entry, end entry), or
    ``(inf, None, None, None)``; the metres and seconds along ``arcs`` come with a route read
    off the table.
    A graph whose :class:`~geogrid.routing.table.RouteTable` is built reads it (cost: SciPy's
    distance between the nodes plus both offsets); others search the hierarchy (cost: the
    edge weights summed along its path).
    """
    tab = built_route_table(graph)
    if tab is not None:
        best, o_entry, d_entry = tab.best(outs, ins)
        if o_entry is None:
            return math.inf, None, None, None
        return best, _table_path(graph, tab, o_entry[0], d_entry[0]), o_entry, d_entry
    found = _run(hierarchy(graph), outs, ins)
    if found is None:
        return math.inf, None, None, None
    nodes, arcs = found
    o_entry = next(e for e in outs if e[0] == nodes[0])
    d_entry = next(e for e in ins if e[0] == nodes[-1])
    return _exact_cost(graph, o_entry[1], arcs, d_entry[1]), found, o_entry, d_entry


def _table_path(graph: RoadGraph, tab, s: int, t: int) -> tuple:
    """The route from node ``s`` to ``t`` read off the table: (nodes, edges, (metres, seconds)).

    On a graph of straight edges whose line is its nodes' (``EdgeRuns.node_b``, once its
    runs are laid out) the edges are not read: they come as ``None``.
    """
    lengths = tab.lengths(s, t)
    runs = graph._memoised("edge_runs")
    if lengths is not None and runs is not None and runs.node_b is not None:
        return tab.nodes(s, t), None, lengths
    return (*tab.path(s, t), lengths)


def node_route(graph: RoadGraph, source: int, target: int) -> tuple[float, tuple[int, ...]]:
    """Cost and node path of the cheapest route between two node indices; ``(inf, ())`` if none.

    The bare search, without snapping or geometry: what a full single-source
    Dijkstra answers for one target.

    >>> import geopandas as gpd
    >>> from scipy.sparse.csgraph import dijkstra
    >>> from shapely.geometry import LineString
    >>> from geogrid.routing import graph_from_lines
    >>> g = graph_from_lines(gpd.GeoDataFrame(geometry=[
    ...     LineString([(121.500, 31.230), (121.510, 31.230)]),
    ...     LineString([(121.505, 31.225), (121.505, 31.235)])], crs="EPSG:4490"))
    >>> cost, nodes = node_route(g, 0, 4)
    >>> bool(cost == dijkstra(g.matrix, indices=0)[4]), len(nodes)
    (True, 3)
    """
    for name, v in (("source", source), ("target", target)):
        if not (isinstance(v, int | np.integer) and 0 <= v < graph.n_nodes):
            raise InputError(f"{name} 节点 {v!r} 不在路网中 / {name} node {v!r} is not in the graph "
                             f"(0..{graph.n_nodes - 1}).", field=name, value=v,
                             fix="请传入本路网的节点序号 / Pass a node index of this graph.")
    if source == target:
        return 0.0, (int(source),)
    cost, found, _, _ = _search(graph, ((int(source), 0.0),), ((int(target), 0.0),))
    return (cost, tuple(found[0])) if found is not None else (math.inf, ())


def _build_route(graph: RoadGraph, o: _Anchor, d: _Anchor, path: tuple | None,
                 o_entry: tuple | None, d_entry: tuple | None, cost: float) -> Route:
    """The route geometry and lengths from ``o`` to ``d``; ``path`` is ``(nodes, arcs)`` (with its
    metres and seconds third, if known) or ``None``."""
    known = path[2] if path is not None and len(path) > 2 else None
    coords, metres, secs = route_line(graph, o, d, path, o_entry, d_entry, known)
    access = o.access_m + d.access_m
    nodes = tuple(path[0]) if path is not None else ()
    return Route._road(metres + access, secs + access / ACCESS_SPEED_MPS, float(cost), nodes, coords, access)


def _fallback(graph: RoadGraph, o: _Anchor, d: _Anchor, reason: str) -> Route:
    metres = float(math.hypot(o.x - d.x, o.y - d.y))
    speed = _ref_speed_mps(graph)
    return Route(distance_m=metres, duration_s=metres / speed,
                 cost=metres if graph.weight == "length" else metres / speed, nodes=(),
                 coords=np.array([[o.lon, o.lat], [d.lon, d.lat]]), fallback=True, reason=reason)


def _ref_speed_mps(graph: RoadGraph) -> float:
    return graph._ref_speed if graph.n_segments else ACCESS_SPEED_MPS


_NO_PATH = ("起点与终点之间没有道路路径 (不连通或单行道死路) / no path between origin and dest in the "
            "road graph (different components or one-way dead end)")


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
    return _route(graph, o, d, max_snap_m)


def _route(graph: RoadGraph, o: _Anchor, d: _Anchor, max_snap_m: float) -> Route:
    """:func:`shortest_path` between two route ends already snapped."""
    if o.access_m > max_snap_m or d.access_m > max_snap_m:
        a, name, zh = (o, "origin", "起点") if o.access_m > max_snap_m else (d, "dest", "终点")
        return _fallback(graph, o, d, f"{zh}离最近道路超过 {max_snap_m:g} 米 / {name} is more than "
                                      f"max_snap_m={max_snap_m:g} m from the nearest road")
    if o.seg < 0 and d.seg < 0 and o.node == d.node:
        entry = (o.node, 0.0, -1, 0.0)
        return _build_route(graph, o, d, ([o.node], []), entry, entry, 0.0)
    direct = _direct(graph, o, d)
    best, found, o_entry, d_entry = _search(graph, _out_entries(graph, o), _in_entries(graph, d))
    access_cost = _access_cost(graph, o.access_m) + _access_cost(graph, d.access_m)
    if math.isfinite(direct) and direct <= best:
        return _build_route(graph, o, d, None, None, None, direct + access_cost)
    if math.isinf(best):
        return _fallback(graph, o, d, _NO_PATH)
    return _build_route(graph, o, d, found, o_entry, d_entry, best + access_cost)


def _team_fallback(graph: RoadGraph, team: Responders, mask: np.ndarray, inc: _Anchor,
                   reason: str) -> tuple[int, Route]:
    cand = np.flatnonzero(mask)
    j = int(cand[np.argmin(np.hypot(team.x[cand] - inc.x, team.y[cand] - inc.y))])
    return j, _fallback(graph, team.anchor(j), inc, reason)


def _same_segment(graph: RoadGraph, team: Responders, mask: np.ndarray, inc: _Anchor
                  ) -> tuple[int, float]:
    """The cheapest available responder driving along the incident's own segment: (j, cost)."""
    if inc.seg < 0 or team.snap_to == "node":
        return -1, math.inf
    best_j, best = -1, math.inf
    for j in team.on_segment(inc.seg):
        if not mask[j]:
            continue
        c = _direct(graph, team.anchor(j), inc) + team.acc[j]
        if c < best:
            best_j, best = j, c
    return best_j, best


def nearest_responder(graph: RoadGraph, incident, responders, available=None, *,
                      snap_to: str = "edge", max_snap_m: float = 500.0) -> tuple[int, Route]:
    """The available responder with the cheapest route *to* the incident, and that route.

    Parameters
    ----------
    incident
        ``(lon, lat)`` in EPSG:4490 (or a node index / :class:`Snap`).
    responders
        ``(k, 2)`` array-like of lon/lat in EPSG:4490, or a :class:`Responders`
        prepared for this graph (then its own ``snap_to`` and ``max_snap_m``
        apply to the responders). Positions go through
        :meth:`Responders.for_positions`, so a team that has not moved since
        the last call is not snapped again.
    available
        Boolean mask of length ``k``; ``None`` means all are available.

    One search runs from every available responder at once to the incident.
    Costs include each responder's straight access leg to the road.
    Responders with a road route always beat those without; when no
    available responder can reach the incident by road, the straight-line
    nearest is returned with ``Route.fallback = True``.

    Raises
    ------
    NotFoundError
        when no responder is available.
    """
    team = responders if isinstance(responders, Responders) else \
        Responders.for_positions(graph, responders, snap_to=snap_to, max_snap_m=max_snap_m)
    if team.graph is not graph:
        raise InputError("responders 是为另一个路网准备的 / responders were prepared for another graph.",
                         field="responders", fix="请用本路网重新准备 / Call Responders.prepare(graph, ...) "
                                                 "with this graph.")
    mask = _available(team, available)
    inc, = _anchors(graph, (incident,), ("incident",), snap_to, max_snap_m)
    if inc.access_m > max_snap_m:
        return _team_fallback(graph, team, mask, inc, f"事件点离最近道路超过 {max_snap_m:g} 米 / incident "
                                                      f"is more than max_snap_m={max_snap_m:g} m from the nearest road")
    ins = _in_entries(graph, inc)
    best_j, best = _same_segment(graph, team, mask, inc)
    direct = best_j >= 0
    j, via, found, d_entry = _team_search(graph, team, mask, ins)
    if found is not None and via < best:
        best_j, best, direct = j, via, False
    if best_j < 0:  # no responder within reach of a road has a route, or none is within reach
        return _team_fallback(graph, team, mask, inc, _NO_TEAM_ROUTE if np.count_nonzero(mask & team.ok) else
                              f"没有可用响应者在道路 {team.max_snap_m:g} 米以内 / no available responder is "
                              f"within max_snap_m={team.max_snap_m:g} m of a road")
    a = team.anchor(best_j)
    cost = best - team._rows[best_j][9] + _access_cost(graph, a.access_m) + _access_cost(graph, inc.access_m)
    if direct:
        return best_j, _build_route(graph, a, inc, None, None, None, cost)
    o_entry = next(x for x in _out_entries(graph, a) if x[0] == found[0][0])
    return best_j, _build_route(graph, a, inc, found, o_entry, d_entry, cost)


_NO_TEAM_ROUTE = ("没有可用响应者能经道路到达事件点 / no available responder has a road route to the "
                  "incident (different components or one-way dead end)")


def _team_search(graph: RoadGraph, team: Responders, mask: np.ndarray, ins: Sequence[tuple]):
    """One search from every available responder to the entries ``ins``.

    Returns (responder, cost from its position to the end entry, (nodes, arcs), end entry);
    ``(-1, inf, None, None)`` when no responder reaches the end.
    """
    tab = built_route_table(graph)
    if tab is not None:  # the team's nearest map, else every entry at once (unavailable: infinite cost)
        m = team._map(tab, mask, build=False)
        got = None if m is None else m.pick(ins)
        k, i, cost = got if got is not None else \
            tab.best_of_many(team.ent_node, np.where(mask[team.ent_j], team.ent_cost, math.inf), ins)
        if k < 0:
            return -1, math.inf, None, None
        return team._ent_j[k], cost, _table_path(graph, tab, team._ent_node[k], ins[i][0]), ins[i]
    src_node, src_cost, src_units, src_j = team.sources(mask)
    if len(src_node) == 0:  # no available responder within reach of a road
        return -1, math.inf, None, None
    h = hierarchy(graph)
    found = h.query(list(zip(src_node.tolist(), src_units.tolist())),
                    [(int(e[0]), h.to_units(e[1])) for e in ins])
    if found is None:
        return -1, math.inf, None, None
    nodes, arcs = found
    k = int(np.searchsorted(src_node, nodes[0]))
    d_entry = next(e for e in ins if e[0] == nodes[-1])
    return int(src_j[k]), _exact_cost(graph, float(src_cost[k]), arcs, d_entry[1]), found, d_entry


def node_nearest_responder(graph: RoadGraph, incident: int, team: Responders, available=None
                           ) -> tuple[int, float, tuple[int, ...]]:
    """The bare search of :func:`nearest_responder` for an incident at node ``incident``.

    Returns (responder index, cost including its walk to the road, node
    path), or ``(-1, inf, ())`` when no available responder reaches the node
    by road; no incident snapping and no geometry, like :func:`node_route`.
    """
    if team.graph is not graph:
        raise InputError("responders 是为另一个路网准备的 / responders were prepared for another graph.",
                         field="team", fix="请用本路网重新准备 / Call Responders.prepare(graph, ...) "
                                           "with this graph.")
    if not (isinstance(incident, int | np.integer) and 0 <= incident < graph.n_nodes):
        raise InputError(f"incident 节点 {incident!r} 不在路网中 / incident node {incident!r} is not in "
                         f"the graph (0..{graph.n_nodes - 1}).", field="incident", value=incident,
                         fix="请传入本路网的节点序号 / Pass a node index of this graph.")
    j, cost, found, _ = _team_search(graph, team, _available(team, available), [(int(incident), 0.0)])
    return (j, cost, tuple(found[0])) if found is not None else (-1, math.inf, ())


def rank_responders(graph: RoadGraph, incident, positions, *, snap_to: str = "edge",
                    max_snap_m: float = 500.0) -> list[tuple[int, Route]]:
    """Every responder's route *to* the incident, fastest first: ``(index, Route)`` pairs.

    ``positions`` is a ``(k, 2)`` array-like of lon/lat in EPSG:4490. Road routes rank
    before straight-line stand-ins (``fallback``), then by travel time, then by index.
    The incident is snapped once and the team through :meth:`Responders.for_positions`
    (again only when a responder moved); then one hierarchy query per responder, each
    the route :func:`shortest_path` gives: a dispatcher's choice among a team, not a fleet.
    """
    team = Responders.for_positions(graph, positions, snap_to=snap_to, max_snap_m=max_snap_m)
    inc, = _anchors(graph, (incident,), ("incident",), snap_to, max_snap_m)
    routes = []
    for j in range(len(team)):
        a = team.anchor(j)
        if not team.ok[j]:
            a.access_m = math.inf  # farther than max_snap_m from every road: a straight line
        routes.append((j, _route(graph, a, inc, max_snap_m)))
    return sorted(routes, key=lambda jr: (jr[1].fallback, jr[1].duration_s, jr[0]))
