"""Shops, institutions, offices and plazas join the microgrid of the nearest housing.

The residential rule (内外一网覆盖) puts every managed object outside the
compounds into the microgrid of its nearest housing. "Nearest" is walking
distance over the road and path lines (:class:`geogrid.walking.WalkNetwork`),
the same distance :func:`geogrid.rule_metrics.rule_metrics` judges by:
:func:`nearest_housing` runs one multi-source Dijkstra from the housing and
:func:`attach_nearest` moves object cells (and the empty cells between them and
the target microgrid) there where the move keeps the tiling's rules. Without
road lines the cell graph stands in (:func:`walking_graph`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from ..walking import WalkNetwork, outline_points
from .graph import CellGraph, cv, stays_connected
from .inputs import BarrierClass

__all__ = ["CROSSING_PENALTY_M", "walking_graph", "nearest_housing", "attach_nearest", "settled"]

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


def nearest_housing(cells, objs, net: WalkNetwork) -> np.ndarray:
    """Per cell, the housing cell nearest on foot to the cell's objects (-1: none).

    Only cells without households, outside compounds, holding objects get one.
    Housing (objects with households) is reached along the outline of its
    piece in each cell it covers, every :data:`geogrid.walking.ANCHOR_STEP_M`
    metres, as :func:`geogrid.rule_metrics.rule_metrics` measures it; an
    object is reached at a point on its surface. The cell takes the target of
    its object nearest to housing (:func:`attach_nearest` then gives every cell
    of a road block the microgrid most of them aim at, :func:`_one_per_block`).
    """
    out = np.full(len(cells), -1, dtype=np.int64)
    if net is None or net.empty or len(objs) == 0:
        return out
    hh = objs["hh_work"].to_numpy(float)
    geoms = np.asarray(objs.geometry.values, dtype=object)
    cell_geoms = np.asarray(cells.geometry.values, dtype=object)
    obj_cell = objs["cell"].to_numpy()
    empty = (cells["households"].to_numpy(float) <= 0) & cells["compound_id"].isna().to_numpy()
    movers = np.flatnonzero((hh <= 0) & empty[obj_cell])
    homes = np.flatnonzero(hh > 0)
    if len(movers) == 0 or len(homes) == 0:
        return out
    poly = shapely.get_type_id(geoms[homes]) != 0
    hi, ci = shapely.STRtree(cell_geoms).query(geoms[homes][poly], predicate="intersects")
    pieces = shapely.intersection(geoms[homes][poly][hi], cell_geoms[ci])
    big = shapely.area(pieces) > 1.0
    anchors = np.concatenate([geoms[homes][~poly], pieces[big]])
    anchor_cell = np.concatenate([obj_cell[homes][~poly], ci[big]])
    pts, owner = outline_points(anchors)
    dist, src = net.nearest(shapely.point_on_surface(geoms[movers]), pts)
    ok = src >= 0
    order = np.argsort(-dist[ok], kind="stable")  # the nearest object writes last
    out[obj_cell[movers][ok][order]] = anchor_cell[owner[src[ok]]][order]
    return out


def _one_per_block(target: np.ndarray, cells) -> np.ndarray:
    """The cells of one road block take the target part most of them have (ties:
    the lowest), so a block of offices or shops joins one microgrid whole and
    its roads stay the boundary, instead of a boundary running between its
    buildings wherever two homes are about equally near.

    >>> import pandas as pd
    >>> _one_per_block(np.array([5, 7, 7, -1, 9]), pd.DataFrame({"block": [0, 0, 0, 0, 1]})).tolist()
    [7, 7, 7, -1, 9]
    """
    if "block" not in cells.columns:
        return target
    has = np.flatnonzero(target >= 0)
    blk = cells["block"].to_numpy()[has]
    top = pd.DataFrame({"blk": blk, "t": target[has]}).groupby(["blk", "t"]).size()
    top = top.reset_index(name="n").sort_values(["blk", "n", "t"], ascending=[True, False, True])
    pick = dict(top.drop_duplicates("blk")[["blk", "t"]].to_numpy())
    out = target.copy()
    out[has] = [pick[b] for b in blk]
    return out


def settled(goal: np.ndarray, labels: np.ndarray, cells) -> np.ndarray:
    """Cells of a road block that lies whole in one microgrid, where every cell
    with a goal (``goal`` ≥ 0, from :func:`attach_nearest`) reached it: the block
    joined its nearest housing whole and its boundary is the block's roads.

    >>> import pandas as pd
    >>> blocks = pd.DataFrame({"block": [0, 0, 0, 1, 1, 2, 2]})
    >>> settled(np.array([2, 2, -1, 3, 3, 4, -1]), np.array([2, 2, 2, 3, 1, 4, 5]),
    ...         blocks).tolist()
    [True, True, True, False, False, False, False]
    """
    goal, labels = np.asarray(goal), np.asarray(labels)
    block = cells["block"].to_numpy() if "block" in cells.columns else np.arange(len(goal))
    part = labels.astype(float)
    if "households" in cells.columns:  # the block's housing and compounds may lie elsewhere
        part[(cells["households"].to_numpy(float) > 0)
             | cells["compound_id"].notna().to_numpy()] = np.nan
    frame = pd.DataFrame({"b": block, "part": part, "aim": goal >= 0,
                          "missed": (goal >= 0) & (goal != labels)})
    per = frame.groupby("b").agg(parts=("part", "nunique"), aim=("aim", "any"),
                                 missed=("missed", "any"))
    ok = (per["parts"] == 1) & per["aim"] & ~per["missed"]
    return ok.reindex(block).to_numpy(dtype=bool)


def _chains(m, labels, part, movable) -> tuple[np.ndarray, np.ndarray]:
    """Target ``part`` per cell, extended along the cell graph to the cells between
    an object and its target part (only ``movable`` cells), and each cell's cost to it."""
    goal = np.full(len(labels), -1, dtype=np.int64)
    cost = np.full(len(labels), np.inf)
    want = np.flatnonzero(part >= 0)
    for q in np.unique(part[want]):
        mine = want[part[want] == q]
        d, pred = dijkstra(m, directed=False, indices=np.flatnonzero(labels == q),
                           min_only=True, return_predecessors=True)[:2]
        for v in mine:
            if labels[v] == q:  # there already: its goal too, so later passes keep it
                goal[v], cost[v] = q, 0.0
                continue
            path, u = [], int(v)
            while u >= 0 and labels[u] != q and movable[u]:
                path.append(u)
                u = int(pred[u])
            if u < 0 or labels[u] != q:
                continue  # the way there crosses housing or a compound
            for c in path:
                if goal[c] < 0 or d[c] < cost[c]:
                    goal[c], cost[c] = q, d[c]
    return goal, cost


def attach_nearest(graph: CellGraph, labels: np.ndarray, cells, objs, edges: pd.DataFrame,
                   cv_target: float, *, cv_allowance: float = 0.0,
                   net: WalkNetwork | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Non-residential cells join the microgrid of the housing nearest on foot.

    Returns the new labels and each cell's target part (-1: none), so later
    passes can leave the cells that reached it in place.

    With a road network ``net`` the nearest housing is found by
    :func:`nearest_housing` (walking over the road and path lines, the same
    distance the rule metrics use); without one, on the cell graph
    (:func:`walking_graph`: the distance between the cells' interior points plus
    a detour for the line crossed, :data:`CROSSING_PENALTY_M`). A shop,
    institution, plaza or office cell, and the empty cells between it and its
    target microgrid, move there when the cell touches that microgrid other
    than across a major road, river or rail line, the move keeps both
    microgrids contiguous, and the workload CV does not rise above
    ``max(cv_target, current CV) + cv_allowance``. Cells inside compounds are
    left alone (their pieces are fixed by the compound rule).
    """
    hh = cells["households"].to_numpy(float)
    res = np.flatnonzero(hh > 0)
    none = np.full(graph.n, -1, dtype=np.int64)
    if len(res) == 0 or graph.n < 2:
        return labels, none
    m, hard = walking_graph(cells, edges)
    labels = labels.copy()
    in_comp = cells["compound_id"].notna().to_numpy()
    has_obj = np.bincount(objs["cell"].to_numpy(), minlength=graph.n) > 0 if len(objs) \
        else np.zeros(graph.n, dtype=bool)
    target = nearest_housing(cells, objs, net) if net is not None and not net.empty \
        else np.full(graph.n, -1, dtype=np.int64)
    if (target < 0).all():
        _, _, src = dijkstra(m, directed=False, indices=res, min_only=True,
                             return_predecessors=True)
        target = np.where((hh <= 0) & has_obj & ~in_comp, src, -1)
    # a road block aims at one microgrid: the one most of its cells' housing is in
    part = _one_per_block(np.where(target >= 0, labels[np.maximum(target, 0)], -1), cells)
    goal, cost = _chains(m, labels, part, (hh <= 0) & ~in_comp)
    cand = np.flatnonzero(goal >= 0)
    if len(cand) == 0:
        return labels, none
    k = int(labels.max()) + 1
    w = np.bincount(labels, weights=graph.weight, minlength=k)
    now = cv(w[w > 0])
    # above the goal the CV may rise by the allowance; below it, not at all
    limit = now + cv_allowance if now > cv_target else now
    nbr = graph.neighbour_lists()
    for _ in range(6):
        moved = False
        for v in cand[np.argsort(cost[cand], kind="stable")]:
            q = goal[v]
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
    return labels, goal

