"""Residential boundaries on streets and rivers, not on walls (打破围墙边界).

A microgrid boundary should lie on a street, a path, a river or a rail line;
a compound wall is no boundary. Between two cells of one block the shared edge
is a Voronoi edge or a wall, and its barrier class alone cannot say whether it
runs beside a street, so :func:`offroad_lengths` looks at the geometry: the
part of each shared edge farther than ``near_m`` (15 m) from every road and
water line is *off-road*.

:func:`smooth_boundaries` then moves single cells between neighbouring
microgrids while that shortens the off-road boundary, never splitting a
microgrid, never cutting a compound into more pieces than its workload needs,
and never letting the workload CV rise above a limit. Each accepted move
strictly lowers the off-road length, so the loop ends.

:func:`strips_to_compounds` moves whole *strips* instead: where a microgrid
boundary runs along a compound's wall, off roads, the land outside the wall
(the cells of that road block outside every compound, in the microgrid across
the wall, connected to the wall) joins the compound's microgrid when that
shortens the off-road boundary, so the boundary moves out to the street: the
compound and its outside up to the street belong together (内外一网覆盖).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from collections import deque

from .graph import CellGraph, connected_set, cv, stays_connected
from .inputs import BarrierClass

__all__ = ["offroad_lengths", "smooth_boundaries", "strips_to_compounds", "NEAR_ROAD_M"]

#: a shared edge this close (metres) to a road or water line is "on" it
NEAR_ROAD_M = 15.0


def offroad_lengths(cells, edges: pd.DataFrame, lines: np.ndarray, *,
                    near_m: float = NEAR_ROAD_M) -> np.ndarray:
    """Metres of each edge row farther than ``near_m`` from every line in ``lines``.

    Rows on a path, street, river, rail line or the parent's edge lie on a line
    and are 0. Rows inside a block or on a wall get their pair's off-road share
    of their length (the pair's shared boundary measured against the lines).
    """
    cls = edges["cls"].to_numpy()
    length = edges["length"].to_numpy(float)
    out = np.where(cls <= int(BarrierClass.WALL), length, 0.0)
    rows = np.flatnonzero(cls <= int(BarrierClass.WALL))
    if len(lines) == 0 or len(rows) == 0:
        return out
    zone = shapely.buffer(shapely.union_all(lines), near_m)
    pairs = edges.iloc[rows][["a", "b"]].drop_duplicates()
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    geoms = np.asarray(cells.geometry.values, dtype=object)
    shared = shapely.intersection(shapely.boundary(geoms[a]), shapely.boundary(geoms[b]))
    total = shapely.length(shared)
    near = shapely.length(shapely.intersection(shared, zone))
    share = pd.Series(np.where(total > 0, near / np.maximum(total, 1e-12), 0.0),
                      index=pd.MultiIndex.from_arrays([a, b]))
    key = pd.MultiIndex.from_arrays([edges["a"].to_numpy()[rows], edges["b"].to_numpy()[rows]])
    out[rows] = length[rows] * (1.0 - share.reindex(key).fillna(0.0).to_numpy())
    return out


def smooth_boundaries(graph: CellGraph, labels: np.ndarray, off: np.ndarray, *,
                      cv_limit: float, limit=None, movable: np.ndarray | None = None,
                      max_passes: int = 30) -> np.ndarray:
    """Move boundary cells while that shortens the off-road boundary.

    ``off``: off-road metres per CSR entry of ``graph`` (both directions).
    A cell ``v`` of part ``A`` moves to a neighbouring part ``B`` when the
    off-road length of its edges into ``B`` exceeds that into ``A`` (the
    boundary gets shorter), ``A`` stays connected, ``limit`` allows it (a
    :class:`~geogrid.partition.compounds.PieceLimit`: no compound enters one
    more part than it needs), and the CV stays at most ``cv_limit`` (or does
    not rise). Only ``movable`` cells move (default all). Largest gain first;
    deterministic.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    k = int(labels.max()) + 1 if len(labels) else 0
    if k < 2:
        return labels
    nbr = graph.neighbour_lists()
    offs = [off[graph.indptr[v]:graph.indptr[v + 1]].tolist() for v in range(graph.n)]
    w = np.bincount(labels, weights=graph.weight, minlength=k)
    for _ in range(max_passes):
        moves = []
        for v in (range(graph.n) if movable is None else np.flatnonzero(movable)):
            into: dict[int, float] = {}
            for u, o in zip(nbr[v], offs[v]):
                into[labels[u]] = into.get(labels[u], 0.0) + o
            own = into.get(labels[v], 0.0)
            moves += [(own - o, v, q) for q, o in into.items()
                      if q != labels[v] and o - own > 1e-6]
        moved = False
        for _gain, v, q in sorted(moves):
            if _try_move(graph, labels, nbr, offs, w, limit, cv_limit, v, q):
                moved = True
        if not moved:
            break
    return labels


def _try_move(graph, labels, nbr, offs, w, limit, cv_limit, v, q) -> bool:
    """Move ``v`` to ``q`` if it still shortens the boundary and breaks no rule."""
    p = labels[v]
    if p == q:
        return False
    gain = sum(o for u, o in zip(nbr[v], offs[v]) if labels[u] == q) \
        - sum(o for u, o in zip(nbr[v], offs[v]) if labels[u] == p)
    if gain <= 1e-6 or not stays_connected(nbr, labels, v):
        return False
    if limit is not None and not limit.allows(v, p, q):
        return False
    w2 = w.copy()
    w2[p] -= graph.weight[v]
    w2[q] += graph.weight[v]
    if cv(w2[w2 > 0]) > max(cv_limit, cv(w[w > 0])) + 1e-12:
        return False
    w[:] = w2
    if limit is not None:
        limit.move(v, p, q)
    labels[v] = q
    return True


def strips_to_compounds(graph: CellGraph, labels: np.ndarray, off: np.ndarray, compound,
                        block, *, cv_limit: float, movable: np.ndarray | None = None,
                        max_passes: int = 6) -> np.ndarray:
    """Move the land between a compound's wall and the street to the compound's part.

    ``off``: off-road metres per CSR entry; ``compound``: True for cells inside
    a compound; ``block``: road block of each cell. For each cell ``v`` outside
    compounds whose off-road edge meets a compound cell of another part ``A``,
    its *strip* (the cells of ``v``'s part and block, outside compounds,
    connected to ``v``) moves to ``A`` when that shortens the off-road
    boundary by more than a metre, ``v``'s part stays connected and not
    empty, every strip cell is ``movable`` (default all) and the workload CV
    stays at most ``cv_limit`` (or does not rise). Deterministic; each move
    strictly shortens the off-road boundary, so the loop ends.

    >>> g = CellGraph.from_edges(3, np.array([0.0, 5, 5]), [0, 1], [1, 2], [50.0, 50.0],
    ...                          [50.0, 0.0], [0.0, 0.0])
    >>> # cell 0: a compound (part 0); cell 1: the strip outside its wall, in part 1 with
    >>> # cell 2 across the street: the wall edge is off-road, the street edge is not
    >>> strips_to_compounds(g, np.array([0, 1, 1]), g.affinity, np.array([True, False, False]),
    ...                     np.array([0, 0, 1]), cv_limit=1.0).tolist()
    [0, 0, 1]
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    comp, block = np.asarray(compound, dtype=bool), np.asarray(block)
    nbr = graph.neighbour_lists()
    offs = [off[graph.indptr[v]:graph.indptr[v + 1]].tolist() for v in range(graph.n)]
    w = np.bincount(labels, weights=graph.weight)
    for _ in range(max_passes):
        moved = False
        for v in np.flatnonzero(~comp):
            B = labels[v]
            for A in sorted({labels[u] for u, o in zip(nbr[v], offs[v])
                             if comp[u] and labels[u] != B and o > 0}):
                strip = _strip(nbr, labels, comp, block, v)
                if _move_strip(graph, labels, w, nbr, offs, strip, A, B, cv_limit, movable):
                    moved = True
                    break
        if not moved:
            break
    return labels


def _strip(nbr, labels, comp, block, v) -> list[int]:
    """Cells of ``v``'s part and block, outside compounds, connected to ``v``."""
    seen, queue = {int(v)}, deque([int(v)])
    while queue:
        x = queue.popleft()
        for u in nbr[x]:
            if u not in seen and labels[u] == labels[v] and not comp[u] \
                    and block[u] == block[v]:
                seen.add(u)
                queue.append(u)
    return sorted(seen)


def _move_strip(graph, labels, w, nbr, offs, strip, A, B, cv_limit, movable) -> bool:
    """Move ``strip`` from ``B`` to ``A`` if it shortens the off-road boundary and
    breaks no rule (see :func:`strips_to_compounds`)."""
    if movable is not None and not movable[strip].all():
        return False
    inside = set(strip)
    delta = sum((o if labels[u] != A else 0.0) - (o if labels[u] != B else 0.0)
                for s in strip for u, o in zip(nbr[s], offs[s]) if u not in inside)
    rest = set(np.flatnonzero(labels == B).tolist()) - inside
    if delta > -1.0 or not connected_set(rest, nbr):
        return False  # no shorter, or part B would be empty or fall apart
    w2 = w.copy()
    load = float(graph.weight[strip].sum())
    w2[B] -= load
    w2[A] += load
    if w2[B] <= 0 or cv(w2[w2 > 0]) > max(cv_limit, cv(w[w > 0])) + 1e-12:
        return False
    labels[strip] = A
    w[:] = w2
    return True
