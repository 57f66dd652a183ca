"""Drawn edits of a partition: cut microgrids along a line the planner draws.

One function serves both drawing tools of the editor:

* **split along a line** (one microgrid): the microgrid is cut where the line
  crosses it; the largest piece keeps the microgrid's id, every other piece
  becomes a new microgrid;
* **redraw a shared boundary** (two neighbouring microgrids): their union is
  cut by the new boundary line and each piece goes to the microgrid that held
  most of its outer edge before, so the cells between the old and the new
  boundary change side.

The line never becomes a boundary itself: whole cells of the tessellation go
to the side of the line that holds their representative point, so the new
boundaries run along cell edges, which run along roads, walls and footprints
(the line snaps to them). The plan keeps tiling its parent exactly and every
microgrid stays one piece, or the edit is refused with :class:`PlanEditError`.
Objects follow their cells.

>>> # new = cut_along_line(result, [4], shapely.LineString([(121.50, 31.23), (121.51, 31.24)]))
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from shapely.ops import split as split_by

from .edit import PlanEditError, _check_id, _labels, _rebuild
from .engine import PartitionResult

__all__ = ["cut_along_line"]

#: how far (in metres) the line's ends are pushed on, so that a line drawn up to a
#: boundary (or a shared boundary ending on the outer one) cuts right through it
EXTEND_M = 2.0


def cut_along_line(result: PartitionResult, microgrids: Sequence, line) -> PartitionResult:
    """Cut one microgrid (split) or two neighbours (new shared boundary) along ``line``.

    ``line`` is a shapely LineString (or a list of (x, y)) in the parent's CRS.
    Returns a new result; refuses a line that crosses none of the cells'
    pieces, a boundary that changes nothing, or a cut that would leave a
    microgrid empty or in pieces.
    """
    members = [_check_id(result, m) for m in microgrids]
    if not 1 <= len(set(members)) <= 2 or len(set(members)) != len(members):
        raise PlanEditError("沿线编辑须给出一个微网格（拆分）或两个相邻微网格（调整边界）。"
                            "a drawn edit takes one microgrid (split) or two neighbours "
                            "(new shared boundary).", field="microgrids", value=list(microgrids),
                            fix="选一个或两个微网格。Pick one or two microgrids.")
    cut = _metric_line(result, line)
    labels = _labels(result)
    cells = result.context["cells"]
    mine = np.flatnonzero(np.isin(labels, members))
    geoms = np.asarray(cells.geometry.values, dtype=object)[mine]
    region = shapely.union_all(geoms)
    pieces = [p for p in split_by(region, cut).geoms if p.area > 0]
    if len(pieces) < 2:
        raise PlanEditError("这条线没有穿过所选微网格：请从一侧边界画到另一侧边界。"
                            "the line does not cut across the microgrid(s): draw it from one "
                            "side of the boundary to the other.", field="line",
                            value=[list(c) for c in cut.coords][:4],
                            fix="让线的两端都落在微网格之外。Start and end the line outside the "
                                "microgrid.")
    side = _side_of(geoms, pieces)
    new = labels.copy()
    if len(members) == 1:
        new[mine] = _split_labels(side, pieces, members[0], int(result.microgrids["id"].max()))
    else:
        new[mine] = _boundary_labels(side, labels[mine], len(pieces), members, geoms, region)
    if np.array_equal(new, labels):
        raise PlanEditError("这条线没有让任何单元换边：线要越过单元的边界（道路、围墙、楼栋）。"
                            "no cell changes side: the line must pass cell edges (roads, walls, "
                            "footprints).", field="line", value=members,
                            fix="把线画得离原边界更远，或画过整个单元。Draw the line further from "
                                "the old boundary, across whole cells.")
    touched = set(members) | set(np.unique(new[mine]).tolist())
    return _rebuild(result, _mend(result, new, touched), touched)


def _metric_line(result: PartitionResult, line) -> shapely.LineString:
    geom = line if isinstance(line, shapely.Geometry) else _as_line(line)
    if geom.geom_type != "LineString" or geom.is_empty or len(geom.coords) < 2:
        raise PlanEditError("线至少要有两个点。a line needs at least two points.", field="line",
                            value=str(geom)[:80], fix="在地图上点两个或更多点。Click two or more "
                                                      "points on the map.")
    m = gpd.GeoSeries([geom], crs=result.cells.crs).to_crs(result.metric_crs).iat[0]
    return _extend(m, EXTEND_M)


def _as_line(coords) -> shapely.LineString:
    try:
        pts = [(float(x), float(y)) for x, y in coords]
    except (TypeError, ValueError) as exc:
        raise PlanEditError("线须是 [经度, 纬度] 点的列表。line must be a list of [lon, lat] "
                            "points.", field="line", value=str(coords)[:80],
                            fix="例如 [[121.50, 31.23], [121.51, 31.24]]。e.g. [[121.50, 31.23], "
                                "[121.51, 31.24]].") from exc
    if len(pts) < 2 or not np.isfinite(pts).all():
        raise PlanEditError("线至少要有两个有限的点。a line needs two or more finite points.",
                            field="line", value=pts[:4], fix="在地图上点两个或更多点。Click two "
                                                             "or more points on the map.")
    return shapely.LineString(pts)


def _extend(line: shapely.LineString, by: float) -> shapely.LineString:
    """The line with both end segments pushed on by ``by`` (metric units)."""
    c = np.asarray(line.coords, dtype=float)

    def push(end, prev):
        d = end - prev
        n = float(np.hypot(*d))
        return end if n == 0 else end + d / n * by

    c[0], c[-1] = push(c[0], c[1]), push(c[-1], c[-2])
    return shapely.LineString(c)


def _side_of(geoms: np.ndarray, pieces: list) -> np.ndarray:
    """Index of the piece holding each cell's representative point (largest overlap if none)."""
    pts = shapely.point_on_surface(geoms)
    side = np.full(len(geoms), -1)
    for k, piece in enumerate(pieces):
        shapely.prepare(piece)
        side[(side < 0) & shapely.covers(piece, pts)] = k
    for i in np.flatnonzero(side < 0):
        side[i] = int(np.argmax([shapely.area(shapely.intersection(geoms[i], p)) for p in pieces]))
    return side


def _split_labels(side: np.ndarray, pieces: list, mg: int, max_id: int) -> np.ndarray:
    """The largest piece keeps ``mg``; the others (holding cells) get the next free ids."""
    order = sorted(range(len(pieces)), key=lambda k: -pieces[k].area)
    out = np.full(len(side), mg)
    nxt = max_id
    for k in order[1:]:
        if (side == k).any():
            nxt += 1
            out[side == k] = nxt
    return out


def _boundary_labels(side: np.ndarray, old: np.ndarray, n: int, members: list,
                     geoms: np.ndarray, region) -> np.ndarray:
    """Each piece goes to the member that held most of its outer edge before.

    The outer edge of the two microgrids does not move when their shared boundary is
    redrawn, so it tells which side is whose even when the new line takes a region
    larger than one of them (area would not); area breaks ties.
    """
    outer = shapely.length(shapely.intersection(shapely.boundary(geoms), region.boundary))
    weight = outer + 1e-9 * shapely.area(geoms)
    out = old.copy()
    for k in range(n):
        here = side == k
        if not here.any():
            continue
        held = [float(weight[here & (old == m)].sum()) for m in members]
        out[here] = members[int(np.argmax(held))]
    return out


def _mend(result: PartitionResult, labels: np.ndarray, touched: set) -> np.ndarray:
    """Give each stray fragment of a cut microgrid to the touched neighbour it shares the
    longest boundary with, so that a line across a ragged microgrid still leaves every
    microgrid in one piece (its largest piece, by area, keeps the label)."""
    labels = labels.copy()
    e = result.edges
    a, b, length = e["a"].to_numpy(), e["b"].to_numpy(), e["length"].to_numpy(float)
    area = shapely.area(np.asarray(result.context["cells"].geometry.values, dtype=object))
    for _ in range(8):
        moved = False
        for mg in sorted(touched):
            verts = np.flatnonzero(labels == mg)
            inside = (labels[a] == mg) & (labels[b] == mg)
            pos = np.full(len(labels), -1)
            pos[verts] = np.arange(len(verts))
            g = sparse.coo_matrix((np.ones(int(inside.sum())), (pos[a[inside]], pos[b[inside]])),
                                  shape=(len(verts), len(verts)))
            n, comp = connected_components(g, directed=False)
            if n < 2:
                continue
            keep = int(np.argmax(np.bincount(comp, weights=area[verts])))
            for c in set(range(n)) - {keep}:
                moved |= _join_neighbour(labels, verts[comp == c], a, b, length, touched - {mg})
        if not moved:
            break
    return labels


def _join_neighbour(labels, frag, a, b, length, others) -> bool:
    """Relabel the cells ``frag`` to the label in ``others`` sharing the longest edge with them."""
    inside = np.zeros(len(labels), bool)
    inside[frag] = True
    shared: dict[int, float] = {}
    for x, y in ((a, b), (b, a)):
        m = inside[x] & ~inside[y]
        for lab, ln in zip(labels[y[m]], length[m]):
            if int(lab) in others:
                shared[int(lab)] = shared.get(int(lab), 0.0) + float(ln)
    if not shared:
        return False
    labels[frag] = max(sorted(shared), key=shared.get)
    return True
