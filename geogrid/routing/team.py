"""A team of responders snapped to a road graph once: :class:`Responders`.

A team is prepared when its positions change (a GPS update): every responder
is snapped (each position's snap is kept per graph, so a team in which one
responder moved snaps only that one), and the nodes it can drive onto the
road by are listed with their costs. Prepared teams are kept by their
positions (:meth:`Responders.for_positions`). On a graph with a route table a
team also keeps, per availability, its nearest-responder map
(:meth:`Responders.nearest_map`, a :class:`~geogrid.routing.table.NearestMap`).
The queries that use a team are in :mod:`~geogrid.routing.search`.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .._errors import InputError, NotFoundError
from .graph import ACCESS_SPEED_MPS, RoadGraph
from .hierarchy import hierarchy
from .snap import _Anchor, _snap_arrays, _snap_one
from .table import NearestMap, built_route_table

__all__ = ["Responders", "MAPS_KEPT", "TEAMS_KEPT", "SNAPS_KEPT"]


@dataclass(frozen=True, eq=False)
class Responders:
    """A team's responders snapped to a graph once, for many :func:`nearest_responder` queries.

    Build it with :meth:`prepare` when the team's positions change (a GPS
    update); each query then only snaps the incident and runs one search.
    ``entries`` are the nodes each responder can drive onto the road network
    by, with the cost of getting there (the rest of its segment plus its
    walk to the road), sorted by node and cost.
    """

    graph: RoadGraph
    lonlat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    node: np.ndarray
    seg: np.ndarray
    t: np.ndarray
    snap_m: np.ndarray
    ok: np.ndarray
    acc: np.ndarray
    ent_j: np.ndarray
    ent_node: np.ndarray
    ent_cost: np.ndarray
    ent_units: np.ndarray
    snap_to: str
    max_snap_m: float

    def __len__(self) -> int:
        return len(self.lonlat)

    @classmethod
    def prepare(cls, graph: RoadGraph, responders, *, snap_to: str = "edge",
                max_snap_m: float = 500.0, available=None) -> Responders:
        """Snap ``responders`` (a ``(k, 2)`` array of lon/lat in EPSG:4490) to ``graph``.

        With ``available`` (a boolean mask, one flag per responder) and the graph's route
        table built, the team's nearest-responder map for that availability is built too
        (:meth:`nearest_map`), so the first query reads it.
        """
        team = cls._prepare(graph, responders, snap_to=snap_to, max_snap_m=max_snap_m)
        team._rows, team._ent_node, team._ent_j, team._by_segment  # noqa: B018 - queries read them
        if available is not None:
            team.nearest_map(available)
        return team

    @classmethod
    def _prepare(cls, graph: RoadGraph, responders, *, snap_to: str, max_snap_m: float) -> Responders:
        pts = np.asarray(responders, float).reshape(-1, 2)
        if not np.isfinite(pts).all():
            raise InputError("responders 含有非有限坐标 / responders has non-finite coordinates.",
                             field="responders", fix="请传入 EPSG:4490 的有限经纬度 / "
                                                     "Pass finite lon/lat pairs in EPSG:4490.")
        x, y, node, seg, t, dsnap = graph._memo("snaps", lambda g: _SnapCache()).snapped(
            graph, pts, snap_to, max_snap_m)
        ok = dsnap <= max_snap_m
        acc = np.where(ok, dsnap, np.inf) / (1.0 if graph.weight == "length" else ACCESS_SPEED_MPS)
        okj = np.flatnonzero(ok)
        if snap_to == "node":
            ent_j, ent_node, ent_cost = okj, node[okj], acc[okj]
        else:
            s_ = seg[okj]
            length = graph.seg_length_m[s_]
            per = np.ones(len(okj)) if graph.weight == "length" else 1.0 / graph.seg_speed_mps[s_]
            fw, bw = graph.seg_oneway[s_] >= 0, graph.seg_oneway[s_] <= 0
            ent_j = np.concatenate([okj[fw], okj[bw]])
            ent_node = np.concatenate([graph.seg_b[s_][fw], graph.seg_a[s_][bw]])
            ent_cost = np.concatenate([((1 - t[okj]) * length * per + acc[okj])[fw],
                                       (t[okj] * length * per + acc[okj])[bw]])
        order = np.lexsort((ent_cost, ent_node))
        h = hierarchy(graph)
        if len(ent_cost) and ent_cost.max() > h.max_offset:
            h.to_units(float(ent_cost.max()))  # raises, naming max_snap_m
        return cls(graph, pts, np.asarray(x), np.asarray(y), node, seg, t, dsnap, ok, acc,
                   ent_j[order], ent_node[order].astype(np.int64), ent_cost[order],
                   np.rint(ent_cost[order] * h.scale).astype(np.int64), snap_to, float(max_snap_m))

    @classmethod
    def for_positions(cls, graph: RoadGraph, responders, *, snap_to: str = "edge",
                      max_snap_m: float = 500.0) -> Responders:
        """:meth:`prepare`, remembered per graph for the last :data:`TEAMS_KEPT` sets of positions.

        A dispatch desk asks about many incidents while its responders stand
        still; the same positions give the same prepared team, and a team
        that moved (any coordinate changed) is prepared again.
        """
        pts = np.ascontiguousarray(np.asarray(responders, float).reshape(-1, 2))
        key = (pts.tobytes(), snap_to, float(max_snap_m))
        cache = graph._memo("teams", lambda g: _TeamCache())
        team = cache.get(key)
        if team is None:
            team = cls.prepare(graph, pts, snap_to=snap_to, max_snap_m=max_snap_m)
            cache.put(key, team)
        return team

    def nearest_map(self, available=None) -> NearestMap | None:
        """The team's nearest-responder map for ``available`` (all when ``None``): for every
        node, the cheapest available responder entry to reach it
        (:class:`~geogrid.routing.table.NearestMap`); ``None`` where the graph has no route
        table.

        Built here when not yet kept (the last :data:`MAPS_KEPT` availabilities per team);
        :func:`nearest_responder` then answers in a few float reads. A team whose
        responders move is a new team (:meth:`for_positions`): its map is built again.
        """
        tab = built_route_table(self.graph)
        if tab is None:
            return None
        return self._map(tab, _available(self, available), build=True)

    @cached_property
    def _maps(self) -> OrderedDict:
        return OrderedDict()

    def _map(self, tab, mask: np.ndarray, build: bool) -> NearestMap | None:
        """The map kept for ``mask``; else built when ``build``, or when this mask is asked
        for the second time (a desk asking about more than one incident), else ``None``."""
        key = mask.tobytes()
        maps = self._maps
        m = maps.get(key)
        if m is None and key in maps:  # asked once before: worth building now
            build = True
        if m is None:
            if not build:
                maps[key] = None
                return None
            cost = np.where(mask[self.ent_j], self.ent_cost, math.inf)  # unavailable: never nearest
            m = maps[key] = tab.nearest_map(self.ent_node, cost)
            while len(maps) > MAPS_KEPT:
                maps.popitem(last=False)
        return m

    @cached_property
    def _rows(self) -> list[tuple]:
        """Per responder, what :meth:`anchor` reads, as plain floats and ints."""
        return list(zip(self.lonlat[:, 0].tolist(), self.lonlat[:, 1].tolist(), self.x.tolist(),
                        self.y.tolist(), self.ok.tolist(), self.seg.tolist(), self.t.tolist(),
                        self.snap_m.tolist(), self.node.tolist(), self.acc.tolist()))

    @cached_property
    def _ent_node(self) -> list[int]:
        return self.ent_node.tolist()

    @cached_property
    def _ent_j(self) -> list[int]:
        return self.ent_j.tolist()

    def anchor(self, j: int) -> _Anchor:
        """Responder ``j`` as a route end."""
        lon, lat, x, y, ok, seg, t, snap_m, node, _ = self._rows[j]
        a = _Anchor(lon, lat, x, y)
        if ok:
            a.seg, a.t, a.access_m = seg, t, snap_m
            a.node = node if seg < 0 else -1
        return a

    @cached_property
    def _by_segment(self) -> dict[int, list[int]]:
        by_seg: dict[int, list[int]] = {}
        for j, sj in zip(np.flatnonzero(self.ok).tolist(), self.seg[self.ok].tolist()):
            by_seg.setdefault(sj, []).append(j)
        return by_seg

    def on_segment(self, s: int) -> list[int]:
        """The responders snapped to segment ``s`` (within ``max_snap_m`` of the road), in order."""
        return self._by_segment.get(s, [])

    def sources(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(node, cost, units, responder) of the cheapest available responder entry at each node."""
        keep = mask[self.ent_j]
        node = self.ent_node[keep]
        first = np.ones(len(node), bool)
        first[1:] = node[1:] != node[:-1]
        keep[keep] = first
        return self.ent_node[keep], self.ent_cost[keep], self.ent_units[keep], self.ent_j[keep]


#: How many availabilities' nearest-responder maps a team keeps (:meth:`Responders.nearest_map`):
#: with :data:`TEAMS_KEPT` teams per graph, at most 128 maps (16 MiB on a 1,700-node graph).
MAPS_KEPT = 2
#: How many prepared teams :meth:`Responders.for_positions` keeps per graph.
TEAMS_KEPT = 64
#: How many snapped responder positions a graph keeps (oldest dropped first).
SNAPS_KEPT = 16_384


class _SnapCache:
    """Snapped responder positions by (lon, lat, snap_to, max_snap_m); thread-safe.

    A team whose responders mostly stood still since the last call snaps only
    the ones that moved. Snapping is per point, so a cached snap is the one a
    fresh batch would give.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snaps: dict[tuple, tuple] = {}

    def snapped(self, graph: RoadGraph, pts: np.ndarray, snap_to: str, max_snap_m: float):
        """(x, y, node, segment, t, distance) arrays for the lon/lat rows of ``pts``."""
        keys = [(lon, lat, snap_to, max_snap_m) for lon, lat in pts.tolist()]
        got = [self._snaps.get(k) for k in keys]
        miss = [i for i, v in enumerate(got) if v is None]
        if len(miss) > _FEW_MOVED:
            m = np.asarray(miss)
            x, y = graph.project(pts[m, 0], pts[m, 1])
            node, seg, t, d, _, _ = _snap_arrays(graph, x, y, snap_to, max_snap_m)
            rows = zip(x.tolist(), y.tolist(), node.tolist(), seg.tolist(), t.tolist(), d.tolist())
        elif miss:  # a responder or two moved: plain floats beat arrays at that size
            rows = [_snap_row(graph, *keys[i][:2], snap_to, max_snap_m) for i in miss]
        if miss:
            with self._lock:
                for i, row in zip(miss, rows):
                    got[i] = self._snaps[keys[i]] = row
                while len(self._snaps) > SNAPS_KEPT:
                    del self._snaps[next(iter(self._snaps))]
        if not got:
            return (np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0),
                    np.zeros(0))
        x, y, node, seg, t, d = zip(*got)
        return (np.array(x), np.array(y), np.array(node, np.int64), np.array(seg, np.int64), np.array(t),
                np.array(d))


#: Up to this many newly seen positions are snapped one by one (see :meth:`_SnapCache.snapped`).
_FEW_MOVED = 4


def _snap_row(graph: RoadGraph, lon: float, lat: float, snap_to: str, max_snap_m: float) -> tuple:
    """(x, y, node, segment, t, distance) of one position, as :func:`_snap_arrays` gives it."""
    x, y = graph._to_metric.transform(lon, lat)
    node, seg, t, d = _snap_one(graph, x, y, snap_to, max_snap_m)
    return x, y, node, seg, t, d


class _TeamCache:
    """Prepared teams by (positions, snap_to, max_snap_m); oldest dropped first; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._teams: OrderedDict[tuple, Responders] = OrderedDict()

    def get(self, key: tuple) -> Responders | None:
        with self._lock:
            team = self._teams.get(key)
            if team is not None:
                self._teams.move_to_end(key)
            return team

    def put(self, key: tuple, team: Responders) -> None:
        with self._lock:
            self._teams[key] = team
            while len(self._teams) > TEAMS_KEPT:
                self._teams.popitem(last=False)


def _available(team: Responders, available) -> np.ndarray:
    k = len(team)
    mask = np.ones(k, bool) if available is None else np.asarray(available, bool)
    if mask.shape != (k,):
        raise InputError(f"available 须为每个响应者一个标志 ({k}) / available must have one flag per "
                         f"responder ({k}), got shape {mask.shape}.", field="available",
                         value=list(mask.shape), fix="请传入长度为 k 的布尔数组 / Pass a boolean mask of length k.")
    if not np.count_nonzero(mask):
        raise NotFoundError("没有可用的响应者 / no responder is available.", field="available",
                            fix="请至少标记一名可用的响应者 / Mark at least one responder as available.")
    return mask
