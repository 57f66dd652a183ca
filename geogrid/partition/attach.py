"""Shops, institutions, offices and plazas join the microgrid of the nearest housing.

The residential rule (内外一网覆盖) puts every managed object outside the
compounds into the microgrid of its nearest housing. Walking distance is
approximated on the cell graph (:func:`walking_graph`): an edge costs the
distance between the two cells' interior points plus a detour for the line
crossed (:data:`CROSSING_PENALTY_M`). A multi-source Dijkstra from every cell
with households gives each other cell its nearest housing cell, and
:func:`attach_nearest` moves object cells (and the empty cells on their way)
into that housing's microgrid where the move keeps the tiling's rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from .graph import CellGraph, cv, stays_connected
from .inputs import BarrierClass

__all__ = ["CROSSING_PENALTY_M", "walking_graph", "attach_nearest"]

#: walking detour (metres) charged for crossing a line of each class
CROSSING_PENALTY_M = {
    BarrierClass.NONE: 0.0, BarrierClass.WALL: 0.0, BarrierClass.PATH: 0.0,
    BarrierClass.MINOR: 20.0, BarrierClass.MAJOR: 120.0, BarrierClass.BARRIER: 600.0,
    BarrierClass.OUTER: 600.0,
}
_PENALTY = np.array([CROSSING_PENALTY_M[BarrierClass(i)] for i in range(len(BarrierClass))])


def walking_graph(cells, edges: pd.DataFrame) -> tuple[sparse.csr_matrix, dict]:
    """Walking costs between neighbouring cells, and which pairs a major line parts."""
    n = len(cells)
    pts = shapely.point_on_surface(np.asarray(cells.geometry.values, dtype=object))
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    pair = edges.groupby(["a", "b"], sort=True)["cls"].max().reset_index()
    a, b = pair["a"].to_numpy(), pair["b"].to_numpy()
    hard = {(int(i), int(j)): bool(c >= int(BarrierClass.MAJOR))
            for i, j, c in zip(a, b, pair["cls"].to_numpy())}
    cost = np.hypot(x[a] - x[b], y[a] - y[b]) + _PENALTY[pair["cls"].to_numpy()] + 1e-6
    m = sparse.coo_matrix((np.concatenate([cost, cost]),
                           (np.concatenate([a, b]), np.concatenate([b, a]))),
                          shape=(n, n)).tocsr()
    return m, hard


def attach_nearest(graph: CellGraph, labels: np.ndarray, cells, objs, edges: pd.DataFrame,
                   cv_target: float, *, cv_allowance: float = 0.0) -> np.ndarray:
    """Non-residential cells join the microgrid nearest by walking distance.

    Walking distance is approximated on the cell graph: an edge costs the
    distance between the two cells' interior points plus a detour for the line
    crossed (:data:`CROSSING_PENALTY_M`: 0 for walls and paths, 20 m for a
    minor street, 120 m for a major road, 600 m for a river or rail line).
    A multi-source Dijkstra from all residential cells (households > 0) finds,
    for every other cell, the nearest residential cell and so the nearest
    microgrid. A shop, institution, plaza or office cell is moved there when
    it touches that microgrid other than across a major road, river or rail
    line, the move keeps both microgrids contiguous, and the workload CV does
    not rise above ``max(cv_target, current CV) + cv_allowance``. The empty
    cells on an object's shortest path to its housing are candidates too, so
    an object one cell away can follow them. Cells inside compounds are left
    alone (their pieces are fixed by the compound rule).
    """
    hh = cells["households"].to_numpy(float)
    res = np.flatnonzero(hh > 0)
    if len(res) == 0 or graph.n < 2:
        return labels
    m, hard = walking_graph(cells, edges)
    dist, pred, src = dijkstra(m, directed=False, indices=res, min_only=True,
                               return_predecessors=True)
    labels = labels.copy()
    in_comp = cells["compound_id"].notna().to_numpy()
    has_obj = np.bincount(objs["cell"].to_numpy(), minlength=graph.n) > 0 if len(objs) \
        else np.zeros(graph.n, dtype=bool)
    cand = np.flatnonzero((hh <= 0) & has_obj & ~in_comp & (src >= 0))
    if len(cand) == 0:
        return labels
    # the empty cells on the way to the nearest housing may move too (a chain)
    on_way = set()
    for v in cand:
        u = int(pred[v])
        while u >= 0 and hh[u] <= 0 and not in_comp[u]:
            on_way.add(u)
            u = int(pred[u])
    cand = np.union1d(cand, np.fromiter(on_way, dtype=np.int64, count=len(on_way)))
    k = int(labels.max()) + 1
    w = np.bincount(labels, weights=graph.weight, minlength=k)
    limit = max(cv_target, cv(w[w > 0])) + cv_allowance
    nbr = graph.neighbour_lists()
    for _ in range(6):
        moved = False
        for v in cand[np.argsort(dist[cand], kind="stable")]:
            q = labels[src[v]]
            p = labels[v]
            if q == p:
                continue
            nb = np.asarray(nbr[v], dtype=np.int64)
            into_q = nb[labels[nb] == q]
            if len(into_q) == 0 or any(hard.get((min(v, u), max(v, u)), False) for u in into_q):
                continue  # not touching q, or touching it across a major road
            if not stays_connected(nbr, labels, v):
                continue
            w2 = w.copy()
            w2[p] -= graph.weight[v]
            w2[q] += graph.weight[v]
            if (w2[p] <= 0) or cv(w2[w2 > 0]) > limit:
                continue
            labels[v] = q
            w = w2
            moved = True
        if not moved:
            break
    return labels
