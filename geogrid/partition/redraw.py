"""Redraw a boundary one level up: a line across 网格 or 居民区 moves their children along.

The drawn-line tools of :mod:`geogrid.partition.draw` cut a microgrid's cells. An area
higher up (a 网格 over its 居民区, a 居民区 over its 微网格, a 社区 over its 网格) has
no cells of its own: its children are its cells. So here

* **split along a line** (one area): the area is cut where the line crosses it; the
  largest piece keeps the area, every other piece that holds children becomes a new
  area of the same level under the same parent;
* **redraw a shared boundary** (two neighbouring areas): their union is cut by the line
  and each piece goes to the area that held most of its outer edge before.

Each child goes whole to the side of the line that holds most of its area, and the new
boundary runs along the children's edges, so the children (and everything below them)
never change and the parents keep tiling theirs. A child the line really cuts (more than
:data:`CUT_SHARE` of its area on the minority side) is refused, named, rather than split:
the planner draws along its edge or splits it first at its own level. An edit that would
leave an area empty or in pieces is refused too.

New parent outlines are the old ones minus the children that left plus those that came,
so the outline of the pair (and hence the level above) is exactly what it was.

>>> import geopandas as gpd, shapely
>>> parents = gpd.GeoDataFrame({"id": ["A"]}, geometry=[shapely.box(0, 0, 2e-3, 1e-3)],
...                            crs=4490)
>>> kids = gpd.GeoDataFrame({"id": ["a1", "a2"], "parent_id": ["A", "A"]},
...     geometry=[shapely.box(0, 0, 1e-3, 1e-3), shapely.box(1e-3, 0, 2e-3, 1e-3)], crs=4490)
>>> out = regroup_along_line(parents, kids, [(1.1e-3, -1e-3), (1.1e-3, 2e-3)])
>>> out.parent_of.to_dict(), list(out.geometries), out.moved
({'a1': 'A', 'a2': 1}, ['A', 1], ['a2'])
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import split as split_by

from ..crs import metric_crs
from .draw import EXTEND_M, _as_line, _extend
from .edit import PlanEditError

__all__ = ["Regrouped", "regroup_along_line", "CUT_SHARE"]

#: a child with more than this share of its area on the minority side of the line is cut
#: by it (refused); below it, the child goes whole to its majority side
CUT_SHARE = 0.2
#: parts smaller than this (m²) are slivers of floating point, not pieces of an area
SLIVER_M2 = 1.0


@dataclass
class Regrouped:
    """``parent_of``: child id → its parent after the edit (an existing id, or 1, 2, … for
    each new area); ``geometries``: parent (existing id or number) → its new outline, in
    the input CRS; ``moved``: ids of the children whose parent changed."""

    parent_of: pd.Series
    geometries: dict
    moved: list


def regroup_along_line(parents: gpd.GeoDataFrame, children: gpd.GeoDataFrame, line, *,
                       cut_share: float = CUT_SHARE, names: dict | None = None) -> Regrouped:
    """Cut one area (split) or two neighbours (new shared boundary) along ``line``,
    moving whole children (``id``, ``parent_id``, geometry) from side to side.

    ``line`` is a shapely LineString or a list of (x, y) in the frames' CRS; ``names``
    (child id → display name) names refused children. Raises :class:`PlanEditError`.
    """
    names = names or {}
    ids = [str(i) for i in parents["id"]]
    if not 1 <= len(ids) <= 2 or len(set(ids)) != len(ids):
        raise PlanEditError("沿线编辑须给出一个区域（拆分）或两个相邻区域（调整边界）。a drawn edit "
                            "takes one area (split) or two neighbours (new shared boundary).",
                            field="microgrids", value=ids, fix="选一个或两个区域。Pick one or two areas.")
    kids = children[children["parent_id"].astype(str).isin(ids)].reset_index(drop=True)
    if kids.empty:
        raise PlanEditError(f"区域 {ids} 下没有下级区域, 无法沿线调整。areas {ids} have no "
                            "children to regroup.", field="microgrids", value=ids,
                            fix="先划分或导入其下级区域。Partition or import their children first.")
    mcrs = metric_crs(parents)
    cut = _extend(_metric(line, parents.crs, mcrs), EXTEND_M)
    pm = parents.to_crs(mcrs)
    km = np.asarray(kids.to_crs(mcrs).geometry.values, dtype=object)
    region = shapely.union_all(pm.geometry.values)
    pieces = [p for p in split_by(region, cut).geoms if p.area > SLIVER_M2]
    if len(pieces) < 2:
        raise PlanEditError("这条线没有穿过所选区域：请从一侧边界画到另一侧边界。the line does not "
                            "cut across the area(s): draw it from one side of the boundary to the "
                            "other.", field="line", value=[list(c) for c in cut.coords][:4],
                            fix="让线的两端都落在区域之外。Start and end the line outside the area.")
    share = np.array([[shapely.area(shapely.intersection(g, p)) for p in pieces] for g in km])
    side = share.argmax(axis=1)
    total = np.maximum(share.sum(axis=1), 1e-12)
    minority = 1.0 - share.max(axis=1) / total
    _refuse_cut(kids, minority, cut_share, names)
    old = kids["parent_id"].astype(str).to_numpy(object)
    if len(ids) == 1:
        new = _split_sides(side, pieces, ids[0])
    else:
        new = _boundary_sides(side, old, len(pieces), ids, km, region)
    moved = np.flatnonzero(new != old)
    if not len(moved):
        raise PlanEditError("这条线没有让任何下级区域换边：线要越过下级区域的大部分。no child changes "
                            "side: the line must pass most of a child area.", field="line",
                            value=ids, fix="把线画得离原边界更远。Draw the line further from the "
                                           "old boundary.")
    geoms = _outlines(parents, kids, old, new, ids)
    pieces_before = {str(i): _n_pieces(g, parents.crs, mcrs)
                     for i, g in zip(parents["id"], parents.geometry.values)}
    _refuse_broken(geoms, parents.crs, mcrs, pieces_before)
    return Regrouped(pd.Series(new, index=kids["id"].astype(str).to_numpy()), geoms,
                     kids["id"].astype(str).to_numpy()[moved].tolist())


def _metric(line, crs, mcrs) -> shapely.LineString:
    geom = line if isinstance(line, shapely.Geometry) else _as_line(line)
    if geom.geom_type != "LineString" or geom.is_empty or len(geom.coords) < 2:
        raise PlanEditError("线至少要有两个点。a line needs at least two points.", field="line",
                            value=str(geom)[:80], fix="在地图上点两个或更多点。Click two or more "
                                                      "points on the map.")
    return gpd.GeoSeries([geom], crs=crs).to_crs(mcrs).iat[0]


def _refuse_cut(kids, minority: np.ndarray, limit: float, names: dict) -> None:
    bad = np.flatnonzero(minority > limit)
    if not len(bad):
        return
    listed = "、".join(f"{names.get(str(kids['id'].iat[i]), kids['id'].iat[i])}"
                      f"({minority[i]:.0%})" for i in bad[:5])
    raise PlanEditError(
        f"这条线穿过了下级区域 {listed}（括号内为线另一侧的面积占比）, 下级区域只能整体换边。the line "
        f"cuts through the child area(s) {listed} (share on the other side); children move whole.",
        field="line", value=[str(kids["id"].iat[i]) for i in bad[:10]],
        fix="沿下级区域的边界画线, 或先在下级层级拆分它们。Draw the line along the children's "
            "edges, or split those children at their own level first.")


def _split_sides(side: np.ndarray, pieces: list, parent: str) -> np.ndarray:
    """The largest piece keeps ``parent``; each other piece holding children is a new area."""
    order = sorted(range(len(pieces)), key=lambda k: -pieces[k].area)
    out = np.full(len(side), parent, dtype=object)
    nxt = 0
    for k in order[1:]:
        if (side == k).any():
            nxt += 1
            out[side == k] = nxt
    return out


def _boundary_sides(side, old, n: int, ids: list, km, region) -> np.ndarray:
    """Each piece goes to the area that held most of its outer edge (the edge that the
    redraw does not move); area breaks ties."""
    outer = shapely.length(shapely.intersection(shapely.boundary(km), region.boundary))
    weight = outer + 1e-9 * shapely.area(km)
    out = old.copy()
    for k in range(n):
        here = side == k
        if here.any():
            held = [float(weight[here & (old == p)].sum()) for p in ids]
            out[here] = ids[int(np.argmax(held))]
    return out


def _outlines(parents, kids, old, new, ids) -> dict:
    """Each parent's outline: the old one, minus children that left, plus those that came."""
    kg = np.asarray(kids.geometry.values, dtype=object)
    was = dict(zip(parents["id"].astype(str), parents.geometry.values))
    out = {}
    for p in [*ids, *sorted({v for v in new if not isinstance(v, str)})]:
        gone = kg[(old == p) & (new != p)] if isinstance(p, str) else kg[:0]
        came = kg[(new == p) & (old != p)]
        geom = was.get(p, shapely.Polygon())
        if len(gone):
            geom = shapely.difference(geom, shapely.union_all(gone))
        if len(came):
            geom = shapely.union_all([geom, *came])
        out[p] = shapely.make_valid(geom) if not geom.is_valid else geom
    return out


def _n_pieces(geom, crs, mcrs) -> int:
    parts = gpd.GeoSeries(shapely.get_parts(geom), crs=crs).to_crs(mcrs)
    return int(((parts.geom_type == "Polygon") & (parts.area > SLIVER_M2)).sum())


def _refuse_broken(geoms: dict, crs, mcrs, before: dict) -> None:
    """Refuse an area left empty or in more pieces than it had (slivers aside)."""
    for p, g in geoms.items():
        n = _n_pieces(g, crs, mcrs)
        if n == 0:
            raise PlanEditError(f"这次调整会让区域 {p} 变空。the edit would leave area {p} empty.",
                                field="line", value=p, fix="换一条线, 或改用合并。Draw another "
                                                           "line, or merge instead.")
        if n > max(1, before.get(p, 1)):
            raise PlanEditError(f"这次调整会把区域 {p} 分成 {n} 块, 区域须连成一片。the edit would "
                                f"split area {p} into {n} pieces; an area must stay in one piece.",
                                field="line", value=p, fix="让线只在所选区域之间穿过一次。Let the "
                                                           "line cross the areas once.")
