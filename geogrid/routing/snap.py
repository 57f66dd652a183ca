"""Snapping: where a lon/lat point meets a :class:`~geogrid.routing.graph.RoadGraph`.

Points are snapped to the nearest *segment* (or node) in the graph's local
metric CRS. Segments are cut into short straight pieces; a point reads the
list of pieces that can be nearest anywhere in its grid cell
(:mod:`~geogrid.routing.snapgrid`, built once per graph) and measures those in
plain floats. Points off the grid, or in cells far from any road, use a
``cKDTree`` over the pieces' midpoints (exact: the search widens until no
other piece can be nearer). Both give the same piece for every point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat
from typing import Any, Sequence

import numpy as np
from scipy.spatial import cKDTree

from .._errors import InputError, NotFoundError
from .graph import RoadGraph, _ragged_arange
from .snapgrid import SnapGrid, nearest_in_cells

__all__ = ["Snap", "snap"]


@dataclass(frozen=True)
class Snap:
    """Where a lon/lat point meets the graph.

    ``segment`` is the snapped segment (``-1`` when snapped to a node) and
    ``t`` the position along it from ``seg_a`` (0) to ``seg_b`` (1), by length.
    ``node`` is the snapped node, or the nearer end of the segment.
    """

    lon: float
    lat: float
    node: int
    segment: int
    t: float
    distance_m: float
    snapped_lon: float
    snapped_lat: float

    def to_dict(self) -> dict[str, Any]:
        return {"lon": self.lon, "lat": self.lat, "node": self.node, "segment": self.segment,
                "t": round(self.t, 6), "distance_m": round(self.distance_m, 3),
                "snapped": [self.snapped_lon, self.snapped_lat]}


# --------------------------------------------------------------------------- snapping


_PIECE_M = 20.0  # segments are indexed in pieces of at most this length
#: Radius (m) of the first, cheap probe for a single point; see :meth:`_PieceIndex._nearest_one`.
_PROBE_M = 25.0
#: Up to this many points of a batch outside the grid are scanned one by one (cheaper than arrays).
_FEW = 8


@dataclass(frozen=True)
class _PieceIndex:
    """Nearest-segment search: a KD-tree over the midpoints of short straight pieces.

    Every segment is cut (for indexing only) into straight pieces no longer
    than ``_PIECE_M``. A piece at distance ``d`` from a point has its
    midpoint within ``d + half`` of it, where ``half`` is the largest
    half-length; so once the ``k`` nearest midpoints reach beyond
    ``best + half``, no other piece can be nearer than the best one found.
    """

    tree: cKDTree
    p0: np.ndarray
    p1: np.ndarray
    seg: np.ndarray
    f0: np.ndarray
    f1: np.ndarray
    half: float

    @classmethod
    def build(cls, g: RoadGraph) -> _PieceIndex:
        xy, frac, off = g.coords_xy, g.coords_frac, g.seg_offsets
        starts = np.ones(len(xy), bool)
        starts[off[1:] - 1] = False  # a segment's last vertex starts no piece
        i = np.flatnonzero(starts)
        a, b = xy[i], xy[i + 1]
        length = np.hypot(*(b - a).T)
        n_sub = np.maximum(1, np.ceil(length / _PIECE_M)).astype(np.int64)
        rep = np.repeat(np.arange(len(i)), n_sub)
        k = _ragged_arange(n_sub)
        u0 = k / n_sub[rep]
        u1 = (k + 1) / n_sub[rep]
        d = (b - a)[rep]
        p0 = a[rep] + u0[:, None] * d
        p1 = a[rep] + u1[:, None] * d
        fa, fb = frac[i][rep], frac[i + 1][rep]
        seg = np.searchsorted(off, i[rep], side="right") - 1
        half = float((np.hypot(*(p1 - p0).T).max() / 2) if len(p0) else 0.0)
        ends = np.ascontiguousarray(np.hstack([p0, p1]))  # p0 and p1 are views of one array
        return cls(cKDTree((p0 + p1) / 2), ends[:, :2], ends[:, 2:], seg, fa + u0 * (fb - fa),
                   fa + u1 * (fb - fa), half)

    @cached_property
    def grid(self) -> SnapGrid:
        """Candidate pieces per grid cell (:mod:`~geogrid.routing.snapgrid`), built on first use."""
        return SnapGrid.build(self.p0, self.p1, self.half)

    def _project(self, q: np.ndarray, j: np.ndarray):
        p0, v = self.p0[j], self.p1[j] - self.p0[j]
        vv = np.einsum("...i,...i->...", v, v)
        w = q - p0
        u = np.clip(np.divide(np.einsum("...i,...i->...", w, v), vv, out=np.zeros_like(vv), where=vv > 0),
                    0.0, 1.0)
        proj = p0 + u[..., None] * v
        return np.linalg.norm(q - proj, axis=-1), u, proj

    def _nearest_one(self, qx: float, qy: float, bound: float | None) -> tuple:
        """:meth:`nearest` for one point: (segment or -1, fraction, distance or inf, x, y).

        A point in a cell of :attr:`grid` reads the cell's list (every piece that can
        be nearest there, sorted by a lower bound of its distance) and stops at the
        first piece whose bound exceeds the best distance found; this is
        :meth:`_best_of` written out over the grid's flat arrays, with the same float
        formula and ties (the lowest piece), so both give the same piece. Points off
        the grid use the KD-tree scan.
        """
        x0, y0, cell, nx, ny, off, cand, low, f, f0s, f1s, segs = self._cells
        i = math.floor((qx - x0) / cell)
        j = math.floor((qy - y0) / cell)
        lo = hi = 0
        if 0 <= i < nx and 0 <= j < ny:
            k = j * nx + i
            lo, hi = off[k], off[k + 1]
        if hi > lo:
            bd, bj, bu, bx, by = math.inf, -1, 0.0, math.nan, math.nan
            sqrt = math.sqrt
            for at in range(lo, hi):
                if low[at] > bd:
                    break
                jj = cand[at]
                k = 5 * jj
                ax, ay, vx, vy, vv = f[k], f[k + 1], f[k + 2], f[k + 3], f[k + 4]
                u = ((qx - ax) * vx + (qy - ay) * vy) / vv if vv > 0 else 0.0
                u = 0.0 if u < 0.0 else 1.0 if u > 1.0 else u  # the foot stays on the piece
                px, py = ax + u * vx, ay + u * vy
                d = sqrt((qx - px) * (qx - px) + (qy - py) * (qy - py))
                if d < bd or (d == bd and jj < bj):
                    bd, bj, bu, bx, by = d, jj, u, px, py
            d, jj, u, sx, sy = bd, bj, bu, bx, by
        else:
            d, jj, u, sx, sy = self._scan_one(qx, qy, bound)
        if jj < 0 or (bound is not None and d > bound):
            return -1, 0.0, math.inf, math.nan, math.nan
        f0, f1 = f0s[jj], f1s[jj]
        t = f0 + u * (f1 - f0)
        return segs[jj], (0.0 if t < 0.0 else 1.0 if t > 1.0 else t), d, sx, sy  # min(max(t, 0), 1)

    @cached_property
    def _cells(self) -> tuple:
        """What :meth:`_nearest_one` reads, in one tuple: the grid's origin, cell size and shape,
        its offsets, candidates and lower bounds, and the pieces' vectors, fractions and segments."""
        g = self.grid
        return (g.x0, g.y0, g.cell, g.nx, g.ny, *g._views, g._low, self._vec, *self._plain)

    def _scan_one(self, qx: float, qy: float, bound: float | None) -> tuple:
        """The nearest piece by the KD-tree scan: (distance, piece, u, foot x, foot y)."""
        total = len(self.p0)
        probe = _PROBE_M if bound is None else min(_PROBE_M, bound + self.half)
        best = self._best_of(qx, qy, self.tree.query_ball_point((qx, qy), probe))
        if not best[0] + self.half <= probe:
            k = min(8, total)
            ub = np.inf if bound is None else bound + self.half
            dmid, j = self.tree.query((qx, qy), k=k, distance_upper_bound=ub)
            dmid, j = np.atleast_1d(dmid).tolist(), np.atleast_1d(j).tolist()
            best = self._best_of(qx, qy, [jj for jj in j if jj < total])
            if not (j[-1] >= total or dmid[-1] >= best[0] + self.half or k == total):
                # not proven by the k nearest midpoints: every piece that can be nearer is in this ball
                best = self._best_of(qx, qy, self.tree.query_ball_point((qx, qy), best[0] + self.half))
        return best

    @cached_property
    def _plain(self) -> tuple[memoryview, memoryview, memoryview]:
        """``f0``, ``f1`` and ``seg`` as flat views: one point reads them as plain floats and ints."""
        return (memoryview(np.ascontiguousarray(self.f0, float)), memoryview(np.ascontiguousarray(self.f1, float)),
                memoryview(np.ascontiguousarray(self.seg, np.int64)))

    @cached_property
    def _vec_array(self) -> np.ndarray:
        """``ax, ay, bx - ax, by - ay, |b - a|²`` of every piece: what the nearest-piece tests read."""
        v = self.p1 - self.p0
        return np.ascontiguousarray(np.column_stack([self.p0, v, v[:, 0] * v[:, 0] + v[:, 1] * v[:, 1]]))

    @cached_property
    def _vec_cols(self) -> np.ndarray:
        """:attr:`_vec_array` as five contiguous rows, for gathers over many pieces."""
        return np.ascontiguousarray(self._vec_array.T)

    @cached_property
    def _vec(self) -> memoryview:
        """:attr:`_vec_array` flat, for plain-float reads in :meth:`_best_of`."""
        return memoryview(self._vec_array).cast("B").cast("d")

    def _best_of(self, qx: float, qy: float, cand, low=None) -> tuple[float, int, float, float, float]:
        """The nearest of pieces ``cand`` to (qx, qy): (distance, piece, fraction, foot x, foot y).

        With ``low`` (a lower bound of each piece's distance, ascending), the scan stops at
        the first piece whose bound exceeds the best distance found: no later piece can be
        nearer, nor tie."""
        bd, bj, bu, bx, by = math.inf, -1, 0.0, math.nan, math.nan
        f = self._vec
        sqrt = math.sqrt
        for jj, lb in zip(cand, repeat(-1.0) if low is None else low):
            if lb > bd:
                break
            k = 5 * jj
            ax, ay, vx, vy, vv = f[k], f[k + 1], f[k + 2], f[k + 3], f[k + 4]
            u = ((qx - ax) * vx + (qy - ay) * vy) / vv if vv > 0 else 0.0
            u = 0.0 if u < 0.0 else 1.0 if u > 1.0 else u  # the foot stays on the piece
            px, py = ax + u * vx, ay + u * vy
            d = sqrt((qx - px) * (qx - px) + (qy - py) * (qy - py))
            if d < bd or (d == bd and jj < bj):
                bd, bj, bu, bx, by = d, jj, u, px, py
        return bd, bj, bu, bx, by

    def nearest(self, x: np.ndarray, y: np.ndarray, bound: float | None):
        """For each point: (segment or -1, fraction along it, distance or inf, snapped x, y).

        Points in a cell of :attr:`grid` are answered from the cell's list in one
        gather; the rest by the KD-tree scan (:meth:`_scan_many`).
        """
        x, y = np.asarray(x, float), np.asarray(y, float)
        npts, total = len(x), len(self.p0)
        seg = np.full(npts, -1, np.int64)
        t = np.zeros(npts)
        dist = np.full(npts, np.inf)
        sx, sy = np.full(npts, np.nan), np.full(npts, np.nan)
        if total == 0 or npts == 0:
            return seg, t, dist, sx, sy
        if npts == 1:  # one point (a route end, an incident): plain floats beat small arrays
            seg[0], t[0], dist[0], sx[0], sy[0] = self._nearest_one(float(x[0]), float(y[0]), bound)
            return seg, t, dist, sx, sy
        cells = self.grid.cells_of(x, y)
        on = cells >= 0
        if on.all():
            db, pj, pu, px, py = nearest_in_cells(self.grid, self._vec_cols, x, y, cells)
        else:
            db, pj, pu, px, py = np.full(npts, np.inf), np.zeros(npts, np.int64), np.zeros(npts), \
                np.full(npts, np.nan), np.full(npts, np.nan)
            off = ~on
            scan = self._scan_many(x[off], y[off], bound) if off.sum() > _FEW else \
                tuple(np.array(v) for v in zip(*(self._scan_one(float(a), float(b), bound)
                                                  for a, b in zip(x[off], y[off]))))
            parts = [(scan, off)]
            if on.any():
                parts.append((nearest_in_cells(self.grid, self._vec_cols, x[on], y[on], cells[on]), on))
            for part, rows in parts:
                db[rows], pj[rows], pu[rows], px[rows], py[rows] = part
        hit = np.isfinite(db) if bound is None else db <= bound
        if not hit.all():
            pj, pu, db, px, py = pj[hit], pu[hit], db[hit], px[hit], py[hit]
        seg[hit] = self.seg[pj]
        f0 = self.f0[pj]
        t[hit] = np.clip(f0 + pu * (self.f1[pj] - f0), 0.0, 1.0)
        dist[hit], sx[hit], sy[hit] = db, px, py
        return seg, t, dist, sx, sy

    def _scan_many(self, x: np.ndarray, y: np.ndarray, bound: float | None):
        """The KD-tree scan for a batch: (distance or inf, piece, u, foot x, foot y) per point."""
        q = np.column_stack([x, y])
        npts, total = len(q), len(self.p0)
        k = min(8, total)
        ub = np.inf if bound is None else bound + self.half
        dmid, j = self.tree.query(q, k=k, distance_upper_bound=ub)
        dmid, j = dmid.reshape(npts, k), j.reshape(npts, k)
        valid = j < total
        js = np.where(valid, j, 0)
        d, u, proj = self._project(q[:, None, :], js)
        d = np.where(valid, d, np.inf)
        best = np.lexsort((js, d))[:, 0]  # nearest; ties to the lowest piece
        rows = np.arange(npts)
        db = d[rows, best]
        # proven when the k-th midpoint is beyond best + half (or fewer than k were in range)
        proven = ~valid[:, -1] | (dmid[:, -1] >= db + self.half) | (k == total)
        pick_j = js[rows, best]
        pick_u = u[rows, best]
        pick_p = proj[rows, best]
        for r in np.flatnonzero(~proven).tolist():
            cand = np.asarray(self.tree.query_ball_point(q[r], db[r] + self.half), np.int64)
            dd, uu, pp = self._project(q[r][None, :], cand)
            c = int(np.lexsort((cand, dd))[0])
            db[r], pick_j[r], pick_u[r], pick_p[r] = dd[c], cand[c], uu[c], pp[c]
        return db, pick_j, pick_u, pick_p[:, 0], pick_p[:, 1]


def _snap_arrays(graph: RoadGraph, x: np.ndarray, y: np.ndarray, to: str,
                 max_distance: float | None = None):
    """Vectorised snapping in metric coordinates → (node, segment, t, distance, sx, sy).

    With ``max_distance``, points farther than that from every segment (or
    node) get ``distance = inf``, ``node = segment = -1``; the bounded search
    is several times faster than an unbounded one.
    """
    k = len(x)
    bound = None if max_distance is None or not math.isfinite(max_distance) else float(max_distance)
    if to == "node":
        tree, usable = graph._node_tree
        if len(usable) == 0:
            raise NotFoundError("路网没有可吸附的边 / the graph has no edges to snap to.", field="graph",
                                fix="请至少用一条道路线建图 / Build the graph from at least one road line.")
        d, i = tree.query(np.column_stack([x, y]), distance_upper_bound=bound if bound is not None else np.inf)
        found = np.isfinite(d)
        node = np.where(found, usable[np.minimum(i, len(usable) - 1)], -1)
        safe = np.maximum(node, 0)
        return (node, np.full(k, -1), np.zeros(k), d, np.where(found, graph.x[safe], np.nan),
                np.where(found, graph.y[safe], np.nan))
    if to != "edge":
        raise InputError(f"to 须为 'edge' 或 'node' / "
                         f"to must be 'edge' or 'node', got {to!r}.", field="to", value=to,
                         fix="最近道路用 to='edge', 最近路口用 to='node' / "
                             "Use to='edge' (nearest road) or to='node' (nearest junction).")
    seg, t, d, sx, sy = graph._memo("pieces", _PieceIndex.build).nearest(np.asarray(x, float), np.asarray(y, float), bound)
    if graph.n_segments == 0:
        raise NotFoundError("路网没有可吸附的路段 / the graph has no segments to snap to.", field="graph",
                            fix="请至少用一条道路线建图 / Build the graph from at least one road line.")
    found = seg >= 0
    safe = np.maximum(seg, 0)
    node = np.where(found, np.where(t <= 0.5, graph.seg_a[safe], graph.seg_b[safe]), -1)
    return node, seg, t, d, sx, sy


def _points_at(graph: RoadGraph, seg: np.ndarray, t: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Points at fractions ``t`` along segments ``seg`` (vectorised), in ``coords``' space.

    Segment index plus vertex fraction is non-decreasing over the flat vertex
    array, so one ``searchsorted`` finds every point's vertex pair.
    """
    seg = np.asarray(seg, np.int64)
    t = np.asarray(t, float)
    pos = np.searchsorted(graph._frac_key, seg + t, side="right")
    k = np.clip(pos, graph.seg_offsets[seg] + 1, graph.seg_offsets[seg + 1] - 1)
    f0, f1 = graph.coords_frac[k - 1], graph.coords_frac[k]
    span = f1 - f0
    r = np.clip(np.divide(t - f0, span, out=np.zeros_like(t), where=span > 0), 0.0, 1.0)
    return coords[k - 1] + r[:, None] * (coords[k] - coords[k - 1])


def snap(graph: RoadGraph, lon, lat, *, to: str = "edge") -> Snap | list[Snap]:
    """Snap lon/lat point(s) in EPSG:4490 to the nearest segment (``to="edge"``) or node.

    Scalars give one :class:`Snap`, arrays a list. Isolated nodes are never
    snapped to.
    """
    scalar = np.ndim(lon) == 0
    lon_a = np.atleast_1d(np.asarray(lon, float))
    lat_a = np.atleast_1d(np.asarray(lat, float))
    if lon_a.shape != lat_a.shape or not (np.isfinite(lon_a).all() and np.isfinite(lat_a).all()):
        raise InputError("lon 与 lat 须为有限数且形状相同 / "
                         "lon and lat must be finite and of the same shape.", field="lon",
                         value=(lon, lat), fix="请传入长度一致的有限坐标数组 / Pass matching arrays of finite coordinates.")
    x, y = graph.project(lon_a, lat_a)
    node, seg, t, d, sx, sy = _snap_arrays(graph, x, y, to)
    if to == "node":
        sll = np.column_stack([graph.lon[node], graph.lat[node]])
    else:
        sll = _points_at(graph, seg, t, graph.coords_lonlat)
    out = [Snap(float(lon_a[j]), float(lat_a[j]), int(node[j]), int(seg[j]), float(t[j]),
                float(d[j]), float(sll[j, 0]), float(sll[j, 1])) for j in range(len(lon_a))]
    return out[0] if scalar else out


@dataclass(slots=True)
class _Anchor:
    """A route end: the query point and how it joins the graph."""

    lon: float
    lat: float
    x: float
    y: float
    node: int = -1          # a node anchor
    seg: int = -1           # or a point on a segment
    t: float = 0.0
    access_m: float = 0.0


def _anchors(graph: RoadGraph, places: Sequence[Any], names: Sequence[str], snap_to: str,
             max_snap_m: float | None = None) -> list[_Anchor]:
    """Route ends from node indices, :class:`Snap` objects or (lon, lat) pairs (snapped together)."""
    if snap_to == "edge":  # the common call, (lon, lat) tuples: no per-place dispatch
        fast: list[_Anchor] = []
        for w in places:
            if type(w) is not tuple or len(w) != 2:
                break
            try:
                fast.append(_lonlat_anchor(graph, float(w[0]), float(w[1]), max_snap_m))
            except (TypeError, ValueError, _NotFinite):
                break  # the general loop below names the bad place
        else:
            return fast
    out: list[_Anchor | None] = []
    todo: list[tuple[int, float, float]] = []
    for k, (where, name) in enumerate(zip(places, names)):
        if isinstance(where, Snap):
            x, y = graph.project([where.lon], [where.lat])
            out.append(_Anchor(where.lon, where.lat, float(x[0]), float(y[0]),
                               node=where.node if where.segment < 0 else -1, seg=where.segment,
                               t=where.t, access_m=where.distance_m))
        elif isinstance(where, int | np.integer) and not isinstance(where, bool):
            i = int(where)
            if not 0 <= i < graph.n_nodes:
                raise InputError(f"{name} 节点 {i} 不在路网中 / "
                                 f"{name} node {i} is not in the graph (0..{graph.n_nodes - 1}).",
                                 field=name, value=i, fix="请传入节点序号或 (经度, 纬度) / "
                                                          "Pass a node index or a (lon, lat) pair.")
            out.append(_Anchor(float(graph.lon[i]), float(graph.lat[i]), float(graph.x[i]),
                               float(graph.y[i]), node=i))
        else:
            try:
                lon, lat = where
                lon, lat = float(lon), float(lat)
            except (TypeError, ValueError):
                raise InputError(f"{name} 须为节点序号、(经度, 纬度) 或 Snap / "
                                 f"{name} must be a node index, a (lon, lat) pair or a Snap; got {where!r}.",
                                 field=name, value=where,
                                 fix="例如 EPSG:4490 下的 (121.5, 31.23) / "
                                     "Pass e.g. (121.5, 31.23) in EPSG:4490.") from None
            if not (math.isfinite(lon) and math.isfinite(lat)):
                raise InputError(f"{name} 含非有限坐标 / "
                                 f"{name} has a non-finite coordinate: {where!r}.", field=name, value=where,
                                 fix="请传入 EPSG:4490 的有限 (经度, 纬度) / Pass finite (lon, lat) in EPSG:4490.")
            out.append(None)
            todo.append((k, lon, lat))
    for k, lo, la in todo:  # a route has two ends: plain floats beat arrays at that size
        x, y = graph._to_metric.transform(lo, la)
        node, seg, t, d = _snap_one(graph, x, y, snap_to, max_snap_m)
        out[k] = _Anchor(lo, la, x, y, node=node if seg < 0 else -1, seg=seg, t=t, access_m=d)
    return out


class _NotFinite(Exception):
    """A lon/lat that is not finite (reported by :func:`_anchors`' general loop)."""


def _lonlat_anchor(graph: RoadGraph, lon: float, lat: float, max_snap_m: float | None) -> _Anchor:
    """:func:`_anchors` for one finite (lon, lat) snapped to the nearest segment."""
    if not (-math.inf < lon < math.inf and -math.inf < lat < math.inf):
        raise _NotFinite
    pieces = graph._memoised("pieces")
    if pieces is None or len(pieces.p0) == 0:  # not built yet, or no segment (it says so)
        x, y = graph._to_metric.transform(lon, lat)
        node, seg, t, d = _snap_one(graph, x, y, "edge", max_snap_m)
        return _Anchor(lon, lat, x, y, node=node if seg < 0 else -1, seg=seg, t=t, access_m=d)
    x, y = graph._to_metric.transform(lon, lat)
    bound = None if max_snap_m is None or not math.isfinite(max_snap_m) else float(max_snap_m)
    seg, t, d, _, _ = pieces._nearest_one(x, y, bound)
    if seg < 0:
        return _Anchor(lon, lat, x, y, -1, -1, 0.0, math.inf)
    return _Anchor(lon, lat, x, y, -1, seg, t, d)


def _snap_one(graph: RoadGraph, x: float, y: float, to: str,
              max_distance: float | None) -> tuple[int, int, float, float]:
    """:func:`_snap_arrays` for one point in metric coordinates: (node, segment, t, distance)."""
    pieces = graph._memo("pieces", _PieceIndex.build) if to == "edge" else None
    if pieces is None or len(pieces.p0) == 0:  # nodes, or nothing to snap to (it says so)
        node, seg, t, d, _, _ = _snap_arrays(graph, np.array([x]), np.array([y]), to, max_distance)
        return int(node[0]), int(seg[0]), float(t[0]), float(d[0])
    bound = None if max_distance is None or not math.isfinite(max_distance) else float(max_distance)
    seg, t, d, _, _ = pieces._nearest_one(float(x), float(y), bound)
    if seg < 0:
        return -1, -1, 0.0, math.inf
    seg_a, seg_b = graph._seg_lists[:2]
    return (seg_a[seg] if t <= 0.5 else seg_b[seg]), seg, t, d
