"""楼组 areas that tile their microgrid: no overlap, no gap, each building in its own.

A microgrid is a set of cells (:mod:`geogrid.partition.tessellate`), and its 楼组 are
runs of its residential items (:func:`geogrid.partition.groups.building_groups`). A 楼组
*claims* the cells its members lie in, each claim anchored at a point (a building's
seed). The cells are then shared out so that the 楼组 of a microgrid tile it exactly:

1. a cell claimed by one 楼组 is its own;
2. a cell claimed by several (two buildings of one location cell in different 楼组) is
   cut between them along the Voronoi diagram of their points, so every building's
   point stays in the 楼组 that lists it;
3. a cell claimed by none (a street corner, a shop, a square: 全覆盖、无缝隙) goes to
   the claimed cell nearest along the cell graph of its own microgrid (multi-source
   Dijkstra over shared edges, ``scipy.sparse.csgraph``), and among the 楼组 of a cut cell
   to the one whose point is nearest; a cell no path reaches takes the nearest point of
   its microgrid;
4. the estimated 楼组 of one compound (``ceil(households / group_households)`` of them,
   which all list the compound) share its area, cut into strips of equal area across its
   long axis (:func:`equal_strips`).

>>> import shapely
>>> cells = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1)])
>>> out = claimed_areas(cells, np.zeros(3, int), np.array([0, 1]), np.array([1, 2]),
...                     np.array([7, 8]), np.array([0, 0]),
...                     shapely.points([(0.2, 0.5), (0.8, 0.5)]))
>>> sorted((int(k), round(g.area, 6)) for k, g in out.items())
[(7, 0.5), (8, 2.5)]
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

__all__ = ["claimed_areas", "equal_strips"]

#: points closer than this (m) are one location: the Voronoi diagram cannot part them
_SAME_M = 1e-6
#: the cuts between the estimated 楼组 of one compound are found to this precision (m)
_CUT_M = 0.01


def claimed_areas(cells: np.ndarray, cell_mg: np.ndarray, edge_a: np.ndarray,
                  edge_b: np.ndarray, claimant: np.ndarray, claim_cell: np.ndarray,
                  claim_point: np.ndarray) -> dict:
    """Claimant → its area: the cells (metric polygons ``cells``, in microgrids
    ``cell_mg``, adjacent along edges ``edge_a``–``edge_b``) shared out by the claims
    (``claimant[i]`` claims cell ``claim_cell[i]`` at point ``claim_point[i]``) as the
    module docstring describes. Claimants of one microgrid tile the claimed microgrid;
    a microgrid nobody claims is left out."""
    cells = np.asarray(cells, dtype=object)
    claimant, claim_cell = np.asarray(claimant), np.asarray(claim_cell, dtype=np.int64)
    claim_point = np.asarray(claim_point, dtype=object)
    owner = np.full(len(cells), -1, dtype=np.int64)      # -1 nobody, -2 cut between several
    keys = pd.unique(claimant)
    code = {k: i for i, k in enumerate(keys)}
    kc = np.array([code[k] for k in claimant], dtype=np.int64)
    pieces: dict[int, list] = defaultdict(list)
    cut: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for c, rows in pd.Series(np.arange(len(kc))).groupby(claim_cell).agg(list).items():
        rows = np.asarray(rows)
        if len(np.unique(kc[rows])) == 1:
            owner[c] = kc[rows[0]]
            continue
        owner[c] = -2
        cut[c] = (kc[rows], claim_point[rows])
        for k, piece in _voronoi_split(cells[c], claim_point[rows], kc[rows]):
            pieces[k].append(piece)
    _fill(owner, cells, np.asarray(cell_mg), edge_a, edge_b, cut, kc, claim_cell, claim_point)
    out = {}
    for k in range(len(keys)):
        parts = [*cells[owner == k], *pieces.get(k, [])]
        if parts:
            out[keys[k]] = _polygons(shapely.union_all(parts))
    return out


def _fill(owner, cells, cell_mg, edge_a, edge_b, cut, kc, claim_cell, claim_point) -> None:
    """Give every unclaimed cell of a claimed microgrid to a claimant (in place)."""
    todo = np.flatnonzero(owner == -1)
    sources = np.flatnonzero(owner != -1)
    if not len(todo) or not len(sources):
        return
    rep = shapely.point_on_surface(cells)
    a, b = np.asarray(edge_a, dtype=np.int64), np.asarray(edge_b, dtype=np.int64)
    same = cell_mg[a] == cell_mg[b]
    a, b = a[same], b[same]
    w = shapely.distance(rep[a], rep[b]) + 1e-6           # a zero weight is no edge
    graph = coo_matrix((w, (a, b)), shape=(len(cells), len(cells))).tocsr()
    _, _, nearest = dijkstra(graph, directed=False, indices=sources, min_only=True,
                             return_predecessors=True)
    claim_mg = cell_mg[claim_cell]
    for c in todo:
        s = nearest[c]
        if s >= 0 and owner[s] >= 0:
            owner[c] = owner[s]
            continue
        if s >= 0:                        # a cut cell: the nearest of its points
            ks, pts = cut[s]
        else:                             # out of reach: the nearest point of its microgrid
            mine = claim_mg == cell_mg[c]
            if not mine.any():
                continue
            ks, pts = kc[mine], claim_point[mine]
        owner[c] = ks[int(np.argmin(shapely.distance(pts, rep[c])))]


def _voronoi_split(cell, points: np.ndarray, owners: np.ndarray):
    """(owner, piece of ``cell``) along the Voronoi diagram of ``points``; points at one
    location go to the first owner listed there."""
    xy = shapely.get_coordinates(points)
    _, first = np.unique(np.round(xy / _SAME_M), axis=0, return_index=True)
    first = np.sort(first)
    if len(first) == 1:
        return [(owners[first[0]], cell)]
    regions = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(xy[first]), extend_to=cell, ordered=True))
    out = []
    for k, region in zip(owners[first], regions):
        piece = _polygons(shapely.intersection(region, cell))
        if not piece.is_empty:
            out.append((k, piece))
    return out


def equal_strips(region, k: int) -> list:
    """``region`` cut into ``k`` strips of equal area (to a centimetre of cut) across the
    long axis of its minimum rotated rectangle, in order along that axis.

    The cuts are found by bisection in the rectangle's own frame, where a strip is an
    axis-aligned clip (``clip_by_rect``, no full overlay); the strips themselves are then
    cut from ``region`` in its own coordinates, so they tile it.

    >>> import shapely
    >>> [round(p.area) for p in equal_strips(shapely.box(0, 0, 400, 100), 4)]
    [10000, 10000, 10000, 10000]
    """
    if k <= 1 or region.is_empty:
        return [region] + [shapely.MultiPolygon()] * max(0, k - 1)
    u = _long_axis(region)
    v = np.array([-u[1], u[0]])
    rot = shapely.transform(region, lambda xy: np.column_stack([xy @ u, xy @ v]))
    x0, y0, x1, y1 = shapely.bounds(rot)
    total, cuts = shapely.area(rot), [x0 - 1.0]
    for i in range(1, k):
        lo, hi = max(cuts[-1], x0), x1
        while hi - lo > _CUT_M:
            mid = 0.5 * (lo + hi)
            below = shapely.area(shapely.clip_by_rect(rot, x0 - 1.0, y0 - 1.0, mid, y1 + 1.0))
            lo, hi = (mid, hi) if below < total * i / k else (lo, mid)
        cuts.append(0.5 * (lo + hi))
    cuts.append(x1 + 1.0)
    t0, t1 = y0 - 1.0, y1 + 1.0
    bands = [shapely.Polygon([a * u + t0 * v, b * u + t0 * v, b * u + t1 * v, a * u + t1 * v])
             for a, b in zip(cuts, cuts[1:])]
    return [_polygons(p) for p in shapely.intersection(region, bands)]


def _long_axis(region) -> np.ndarray:
    """Unit vector along the longer side of ``region``'s minimum rotated rectangle,
    pointing east (or north)."""
    ring = shapely.get_coordinates(shapely.oriented_envelope(region))
    u = np.array([1.0, 0.0])
    if len(ring) >= 4:
        longer = max((ring[1] - ring[0], ring[2] - ring[1]), key=lambda s: float(np.hypot(*s)))
        if np.hypot(*longer) > 0:
            u = longer / np.hypot(*longer)
    return u if (u[0], u[1]) >= (0.0, 0.0) else -u


def _polygons(geom) -> shapely.MultiPolygon:
    """The polygon parts of ``geom`` (what an overlay leaves besides lines and points)."""
    if geom is None or geom.is_empty:
        return shapely.MultiPolygon()
    return shapely.MultiPolygon([p for p in shapely.get_parts(shapely.get_parts(geom))
                                 if p.geom_type == "Polygon" and not p.is_empty])
