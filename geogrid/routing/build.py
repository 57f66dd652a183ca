"""Build a :class:`~geogrid.routing.graph.RoadGraph` from road centrelines that are not noded.

Lines that cross without a shared vertex are split at the crossing (unless
they are on different levels, i.e. a bridge over a road), end points closer
than ``snap_tolerance_m`` are merged, and a dangling end point that stops
short of another line by less than the tolerance is extended onto it. Every
repair is counted in :attr:`RoadGraph.notes`.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .._errors import InputError, ValidationError, ValidationProblem
from ..crs import STORAGE_CRS, metric_crs, require_storage_crs
from .graph import (
    _NODE_EPS_M,
    EXCLUDED_KINDS,
    RoadGraph,
    _assemble,
    _check_weight,
    _ragged_arange,
    _speed_kmh,
    _text,
    _truthy,
    parse_oneway,
)

__all__ = ["graph_from_lines"]


# --------------------------------------------------------------------------- from lines


def _level(layer: Any, bridge: Any, tunnel: Any) -> int:
    """Vertical level of a road: OSM ``layer`` if numeric, else +1 bridge, -1 tunnel, 0."""
    try:
        value = float(layer)
        if math.isfinite(value):
            return int(value)
    except (TypeError, ValueError):
        pass
    if _truthy(bridge):
        return 1
    if _truthy(tunnel):
        return -1
    return 0


def graph_from_lines(roads: gpd.GeoDataFrame, *, snap_tolerance_m: float = 2.0,
                     weight: str = "length", respect_oneway: bool = True,
                     respect_levels: bool = True, exclude_kinds: Iterable[str] | None = EXCLUDED_KINDS,
                     default_speed_kmh: float | None = None) -> RoadGraph:
    """Build a :class:`RoadGraph` from road centrelines that may not be noded.

    Parameters
    ----------
    roads
        LineStrings / MultiLineStrings in EPSG:4490. Optional columns:
        ``oneway`` (yes/1/true, -1/reverse, no), ``name``, ``maxspeed`` (km/h),
        ``highway`` / ``kind_detail`` / ``kind`` (road class, for speeds and
        ``exclude_kinds``), ``layer`` / ``bridge`` / ``tunnel`` /
        ``is_bridge`` / ``is_tunnel`` (levels), ``junction`` (roundabouts are
        one-way).
    snap_tolerance_m
        End points closer than this are merged; a dangling end point within
        this distance of another line is extended onto it. ``0`` disables both.
    weight
        ``"length"`` (metres) or ``"time"`` (seconds at ``maxspeed`` or the
        class speed in :data:`DEFAULT_SPEEDS_KMH`).
    respect_oneway
        ``False`` for walking: every segment is two-way.
    respect_levels
        Lines on different levels (a bridge and the road below) are joined
        only where one's end point is on the other, never where they merely
        cross.
    exclude_kinds
        Rows whose ``highway``, ``kind`` or ``kind_detail`` is in this set are
        dropped (rail, ferry, ... by default).

    Raises
    ------
    ValidationError
        listing every row with a null, empty, non-line or non-finite geometry.
    """
    _check_weight(weight)
    require_storage_crs(roads, "roads")
    if snap_tolerance_m < 0 or not math.isfinite(snap_tolerance_m):
        raise InputError(f"snap_tolerance_m 须为不小于 0 的有限数 / "
                         f"snap_tolerance_m must be a finite number >= 0, got {snap_tolerance_m!r}.",
                         field="snap_tolerance_m", value=snap_tolerance_m, fix="例如 2.0 / Use e.g. 2.0.")
    notes: list[str] = []
    frame = _drop_excluded(roads, exclude_kinds, notes)
    _validate_lines(frame)
    crs = metric_crs(frame)
    metric = frame.geometry.to_crs(crs).to_numpy()
    parts, src = shapely.get_parts(metric, return_index=True)
    rows = _row_attributes(frame, respect_oneway=respect_oneway, respect_levels=respect_levels,
                           default_speed_kmh=default_speed_kmh, notes=notes)
    coords, cidx, offsets, line_ids = _line_vertices(parts, notes)
    src = src[line_ids]

    forced: list[tuple[int, float, float]] = []  # (line, x, y) split points from gap snapping
    if snap_tolerance_m > 0:
        _snap_gaps(coords, offsets, snap_tolerance_m, forced, notes)
    lines = shapely.linestrings(coords, indices=cidx)
    pieces = _node_lines(lines, coords, offsets, rows["level"][src], forced, respect_levels)
    piece_line, piece_off, piece_xy, a, b, node_xy = _nodes_from_pieces(*pieces, notes)

    inv = Transformer.from_crs(crs, STORAGE_CRS, always_xy=True)
    lon, lat = inv.transform(piece_xy[:, 0], piece_xy[:, 1])
    nlon, nlat = inv.transform(node_xy[:, 0], node_xy[:, 1])
    row = src[piece_line]
    return _assemble(
        node_lonlat=np.column_stack([nlon, nlat]), node_xy=node_xy,
        node_ids=np.full(len(node_xy), None, object), crs=crs, seg_a=a, seg_b=b, offsets=piece_off,
        coords_lonlat=np.column_stack([lon, lat]), coords_xy=piece_xy, oneway=rows["oneway"][row],
        speed_kmh=rows["speed"][row], names=rows["name"][row], kinds=rows["kind"][row],
        weight=weight, notes=notes)


def _drop_excluded(roads: gpd.GeoDataFrame, exclude_kinds: Iterable[str] | None,
                   notes: list[str]) -> gpd.GeoDataFrame:
    """``roads`` without the rows whose class is in ``exclude_kinds``; raises when none is left."""
    frame = roads
    if exclude_kinds:
        excl = set(exclude_kinds)
        mask = np.zeros(len(frame), bool)
        for col in ("highway", "kind", "kind_detail", "railway", "route"):
            if col in frame.columns:
                mask |= frame[col].isin(excl).to_numpy()
        if mask.any():
            notes.append(f"excluded {int(mask.sum())} non-road line(s) by kind")
            frame = frame.loc[~mask]
    if len(frame) == 0:
        raise InputError("roads 中没有可用的道路线 / roads has no usable lines.", field="roads", value=len(roads),
                         fix="请至少提供一条 LineString 道路 (检查 exclude_kinds) / "
                             "Pass at least one LineString road (check exclude_kinds).")
    return frame


def _validate_lines(frame: gpd.GeoDataFrame) -> None:
    """Raise one :class:`ValidationError` listing every null, empty, non-line or non-finite row."""
    geoms = frame.geometry.to_numpy()
    problems: list[ValidationProblem] = []
    gtype = shapely.get_type_id(geoms)
    for idx, g, t in zip(frame.index, geoms, gtype):
        if g is None:
            problems.append(ValidationProblem(idx, "geometry", "几何为空值 / missing geometry"))
        elif t not in (1, 5):
            problems.append(ValidationProblem(idx, "geometry",
                                              f"{g.geom_type} 不是线 / "
                                              f"{g.geom_type} is not a LineString or MultiLineString"))
        elif shapely.is_empty(g):
            problems.append(ValidationProblem(idx, "geometry", "几何为空 / empty geometry"))
        elif not np.isfinite(shapely.get_coordinates(g)).all():
            problems.append(ValidationProblem(idx, "geometry", "坐标不是有限数 / non-finite coordinate"))
    if problems:
        raise ValidationError("roads 含有不可用的几何 / roads has unusable geometries", problems,
                              fix="建图前请删除或修复这些行 / Drop or repair those rows before building the graph.")


def _row_attributes(frame: gpd.GeoDataFrame, *, respect_oneway: bool, respect_levels: bool,
                    default_speed_kmh: float | None, notes: list[str]) -> dict[str, np.ndarray]:
    """Per source row: one-way code, speed (km/h), name, kind and vertical level."""
    n_rows = len(frame)

    def col(name):
        return frame[name].tolist() if name in frame.columns else [None] * n_rows

    ow_raw, junction = col("oneway"), col("junction")
    highway, kind_detail, kind, maxspeed, name = (col(c) for c in
                                                  ("highway", "kind_detail", "kind", "maxspeed", "name"))
    bad_oneway = 0
    out = {"oneway": np.zeros(n_rows, np.int8), "speed": np.zeros(n_rows),
           "name": np.empty(n_rows, object), "kind": np.empty(n_rows, object),
           "level": np.zeros(n_rows, np.int64)}
    for i in range(n_rows):
        code = 0
        if respect_oneway:
            code = parse_oneway(ow_raw[i])
            if code is None:
                bad_oneway += 1
                code = 0
            elif _text(ow_raw[i]) is None and _text(junction[i]) in ("roundabout", "circular"):
                code = 1
        out["oneway"][i] = code
        classes = (highway[i], kind_detail[i], kind[i])
        out["speed"][i] = _speed_kmh(maxspeed[i], *classes, default=default_speed_kmh)
        out["name"][i] = _text(name[i])
        out["kind"][i] = next((_text(c) for c in classes if _text(c)), None)
    if respect_levels:
        bridge = [b if _truthy(b) else ib for b, ib in zip(col("bridge"), col("is_bridge"))]
        tunnel = [t if _truthy(t) else it for t, it in zip(col("tunnel"), col("is_tunnel"))]
        out["level"][:] = [_level(*v) for v in zip(col("layer"), bridge, tunnel)]
    if bad_oneway:
        notes.append(f"treated {bad_oneway} unrecognised oneway value(s) as two-way")
    return out


def _line_vertices(parts: np.ndarray, notes: list[str]):
    """Vertices of every line part without consecutive duplicates or zero-length parts.

    Returns (coords, line index per vertex, offsets, kept part indices).
    """
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    keep = np.ones(len(coords), bool)
    keep[1:] = ~((cidx[1:] == cidx[:-1]) & np.all(coords[1:] == coords[:-1], axis=1))
    coords, cidx = coords[keep], cidx[keep]
    counts = np.bincount(cidx, minlength=len(parts))
    good = counts >= 2
    if (~good).any():
        notes.append(f"dropped {int((~good).sum())} zero-length line(s)")
    line_ids = np.flatnonzero(good)
    remap = np.full(len(parts), -1)
    remap[line_ids] = np.arange(len(line_ids))
    sel = good[cidx]
    coords, cidx = coords[sel].copy(), remap[cidx[sel]]
    offsets = np.zeros(len(line_ids) + 1, np.int64)
    np.cumsum(np.bincount(cidx, minlength=len(line_ids)), out=offsets[1:])
    return coords, cidx, offsets, line_ids


def _nodes_from_pieces(piece_line: np.ndarray, piece_off: np.ndarray, piece_xy: np.ndarray,
                       notes: list[str]):
    """Nodes from piece end points (merged within ``_NODE_EPS_M``); loops dropped.

    Returns (line of piece, offsets, vertices, node a, node b, node coordinates).
    """
    m = len(piece_line)
    ep = np.vstack([piece_xy[piece_off[:-1]], piece_xy[piece_off[1:] - 1]])
    labels, node_xy = _cluster(ep, _NODE_EPS_M)
    a, b = labels[:m], labels[m:]
    piece_xy[piece_off[:-1]] = node_xy[a]
    piece_xy[piece_off[1:] - 1] = node_xy[b]
    loops = a == b
    if loops.any():
        notes.append(f"dropped {int(loops.sum())} degenerate loop piece(s)")
        kept = np.flatnonzero(~loops)
        cnt = np.diff(piece_off)[kept]
        sel = np.repeat(piece_off[:-1][kept], cnt) + _ragged_arange(cnt)
        piece_xy = piece_xy[sel]
        piece_off = np.zeros(len(kept) + 1, np.int64)
        np.cumsum(cnt, out=piece_off[1:])
        piece_line, a, b = piece_line[kept], a[kept], b[kept]
    # drop unused nodes (all nodes are piece ends, but loops may orphan some)
    used = np.zeros(len(node_xy), bool)
    used[a] = True
    used[b] = True
    new_id = np.cumsum(used) - 1
    return piece_line, piece_off, piece_xy, new_id[a], new_id[b], node_xy[used]


def _cluster(points: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Label points that are within ``radius`` of each other (transitively); return labels and centres."""
    n = len(points)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros((0, 2))
    pairs = cKDTree(points).query_pairs(radius, output_type="ndarray")
    if len(pairs):
        adj = csr_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, labels = connected_components(adj, directed=False)
    else:
        labels = np.arange(n)
    k = labels.max() + 1
    cnt = np.bincount(labels, minlength=k)
    cx = np.bincount(labels, weights=points[:, 0], minlength=k) / cnt
    cy = np.bincount(labels, weights=points[:, 1], minlength=k) / cnt
    return labels, np.column_stack([cx, cy])


def _snap_gaps(coords: np.ndarray, offsets: np.ndarray, tol: float,
               forced: list[tuple[int, float, float]], notes: list[str]) -> None:
    """Close gaps of at most ``tol`` metres at line ends; mutates ``coords`` in place.

    1. End points within ``tol`` of each other are moved onto one of them:
       preferably one that already lies on another line (so an existing
       T-junction is not broken), else the position most of them share.
    2. An end point that is still alone and touches no other line is moved
       onto the nearest other line within ``tol``; the point is added to
       ``forced`` so that line is split there.
    """
    nl = len(offsets) - 1
    end_pos = np.concatenate([offsets[:-1], offsets[1:] - 1])
    end_line = np.concatenate([np.arange(nl), np.arange(nl)])

    def touching(tree, pos):
        qi, li = tree.query(shapely.points(coords[end_pos[pos]]), predicate="intersects")
        hit = np.zeros(len(pos), bool)
        hit[qi[li != end_line[pos[qi]]]] = True
        return hit

    line_idx = np.repeat(np.arange(nl), np.diff(offsets))
    lines = shapely.linestrings(coords, indices=line_idx)
    tree = shapely.STRtree(lines)
    ends = coords[end_pos]
    labels, _ = _cluster(ends, tol)
    size = np.bincount(labels)
    multi = np.flatnonzero(size[labels] > 1)
    if len(multi):
        touch = touching(tree, multi)
        key = np.column_stack([labels[multi], ends[multi]])
        _, inv, cnt = np.unique(key, axis=0, return_inverse=True, return_counts=True)
        score = touch * 1e6 + cnt[inv.ravel()]
        order = np.lexsort((-score, labels[multi]))
        lab_sorted = labels[multi][order]
        first = np.ones(len(order), bool)
        first[1:] = lab_sorted[1:] != lab_sorted[:-1]
        rep = np.empty((labels.max() + 1, 2))
        rep[lab_sorted[first]] = ends[multi][order][first]
        target = rep[labels[multi]]
        moved = np.any(ends[multi] != target, axis=1)
        if moved.any():
            coords[end_pos[multi[moved]]] = target[moved]
            notes.append(f"merged {int(moved.sum())} end point(s) within {tol:g} m of another end point")
            lines = shapely.linestrings(coords, indices=line_idx)
            tree = shapely.STRtree(lines)
    lone = np.flatnonzero(size[labels] == 1)
    if len(lone) == 0:
        return
    lone = lone[~touching(tree, lone)]
    if len(lone) == 0:
        return
    pts = shapely.points(coords[end_pos[lone]])
    qi, li = tree.query(pts, predicate="dwithin", distance=tol)
    other = li != end_line[lone[qi]]
    qi, li = qi[other], li[other]
    if len(qi) == 0:
        return
    dist = shapely.distance(pts[qi], lines[li])
    order = np.lexsort((li, dist, qi))
    qi, li = qi[order], li[order]
    first = np.ones(len(qi), bool)
    first[1:] = qi[1:] != qi[:-1]
    qi, li = qi[first], li[first]
    proj = shapely.line_interpolate_point(lines[li], shapely.line_locate_point(lines[li], pts[qi]))
    pxy = shapely.get_coordinates(proj)
    coords[end_pos[lone[qi]]] = pxy
    for line, (px, py) in zip(li.tolist(), pxy.tolist()):
        forced.append((line, px, py))
    notes.append(f"extended {len(qi)} dangling end point(s) onto a line within {tol:g} m")


def _split_closed(p: np.ndarray, eps: float) -> list[np.ndarray]:
    """A closed piece split at half its length, so it has two nodes; other pieces unchanged."""
    if not (np.hypot(*(p[0] - p[-1])) <= eps and len(p) > 2):
        return [p]
    pl = shapely.LineString(p)
    mid = pl.length / 2
    hxy = np.asarray(shapely.line_interpolate_point(pl, mid).coords[0])
    ps = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p, axis=0).T))])
    return [np.vstack([p[ps < mid - eps], hxy]), np.vstack([hxy, p[ps > mid + eps]])]


def _node_lines(lines: np.ndarray, coords: np.ndarray, offsets: np.ndarray, level: np.ndarray,
                forced: list[tuple[int, float, float]], respect_levels: bool):
    """Split every line at its crossings with other lines; return (line of piece, offsets, coords)."""
    nl = len(lines)
    tree = shapely.STRtree(lines)
    left, right = tree.query(lines, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    inter = shapely.intersection(lines[left], lines[right])
    parts, pidx = shapely.get_parts(inter, return_index=True)
    pxy, cidx = shapely.get_coordinates(parts, return_index=True)
    pair = pidx[cidx]
    li, ri = left[pair], right[pair]
    if respect_levels and len(pxy):
        diff = level[li] != level[ri]
        if diff.any():
            # different levels: keep only points at an end of either line
            d = np.full(len(pxy), np.inf)
            for line in (li, ri):
                for pos in (offsets[line], offsets[line + 1] - 1):
                    d = np.minimum(d, np.hypot(*(pxy - coords[pos]).T))
            ok = ~diff | (d <= _NODE_EPS_M)
            pxy, li, ri = pxy[ok], li[ok], ri[ok]
    cut_line = np.concatenate([li, ri])
    cut_xy = np.vstack([pxy, pxy]) if len(pxy) else np.zeros((0, 2))
    if forced:
        f = np.asarray(forced, float)
        cut_line = np.concatenate([cut_line, f[:, 0].astype(np.int64)])
        cut_xy = np.vstack([cut_xy, f[:, 1:]])
    cut_pos = shapely.line_locate_point(lines[cut_line], shapely.points(cut_xy)) if len(cut_line) else np.zeros(0)

    step = np.zeros(len(coords))
    step[1:] = np.hypot(*np.diff(coords, axis=0).T)
    step[offsets[:-1]] = 0.0
    cum = np.cumsum(step)
    cum -= np.repeat(cum[offsets[:-1]], np.diff(offsets))
    length = cum[offsets[1:] - 1]

    order = np.lexsort((cut_pos, cut_line))
    cut_line, cut_pos, cut_xy = cut_line[order], cut_pos[order], cut_xy[order]
    bounds = np.searchsorted(cut_line, np.arange(nl + 1))
    eps = _NODE_EPS_M
    out_line: list[int] = []
    out_xy: list[np.ndarray] = []
    for line in range(nl):
        c = coords[offsets[line]:offsets[line + 1]]
        s = cum[offsets[line]:offsets[line + 1]]
        L = length[line]
        lo, hi = bounds[line], bounds[line + 1]
        pos = cut_pos[lo:hi]
        sel = (pos > eps) & (pos < L - eps)
        pos, pts = pos[sel], cut_xy[lo:hi][sel]
        if len(pos) > 1:
            uniq = np.ones(len(pos), bool)
            uniq[1:] = np.diff(pos) > eps
            pos, pts = pos[uniq], pts[uniq]
        if len(pos) == 0:
            pieces = [c]
        else:
            cuts = np.concatenate([[0.0], pos, [L]])
            cpts = np.vstack([c[:1], pts, c[-1:]])
            pieces = []
            for k in range(len(cuts) - 1):
                inner = c[(s > cuts[k] + eps) & (s < cuts[k + 1] - eps)]
                pieces.append(np.vstack([cpts[k:k + 1], inner, cpts[k + 1:k + 2]]))
        for p in pieces:
            for q in _split_closed(p, eps):
                out_line.append(line)
                out_xy.append(q)
    cnt = np.fromiter((len(p) for p in out_xy), np.int64, count=len(out_xy))
    off = np.zeros(len(out_xy) + 1, np.int64)
    np.cumsum(cnt, out=off[1:])
    return np.asarray(out_line, np.int64), off, np.vstack(out_xy)
