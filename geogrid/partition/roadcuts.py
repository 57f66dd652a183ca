"""Boundaries moved onto roads two microgrids at a time (打破围墙边界、内外一网覆盖).

Single-cell moves (:func:`.boundary.smooth_boundaries`) stall where the
better boundary lies several cells away: the first cell moved lengthens the
boundary before the last one shortens it. :func:`rebisect_on_roads` takes
each pair of neighbouring microgrids ``A``, ``B`` and cuts their union anew
with METIS, the weight of an edge being the *off-road* metres of the shared
boundary (farther than 15 m from every road or water line, see
:func:`.boundary.offroad_lengths`) plus a tenth of its cut affinity, so that
among cuts on roads the one on the bigger road wins. A new cut replaces the
old one only when

* the off-road boundary of the whole plan gets shorter (by at least 1 m),
* both halves are connected and not empty,
* no compound enters more microgrids than its workload needs
  (:class:`~geogrid.partition.compounds.PieceLimit`; one already spread
  wider may shrink but not grow), and
* the workload CV stays at most ``cv_limit`` (or does not rise), and
* no fewer cells sit in the part ``keep`` names for them (the microgrid of
  their nearest housing, from :func:`.attach.attach_nearest`).

Every accepted cut strictly shortens the off-road boundary, so the loop ends.
A cut that lies on roads has nothing to gain and is never touched.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.sparse.csgraph import connected_components

from . import _metis
from .compounds import enforce_pieces, piece_limit
from .graph import CellGraph, cv, refine_balance

__all__ = ["rebisect_on_roads", "offroad_cut", "refine_on_roads"]

#: METIS starts per pair: (seed, ufactor) — ufactor lets a half weigh up to 1 %, 5 %, 15 % more
_STARTS = tuple((s, u) for u in (10, 50, 150) for s in (0, 1))


def offroad_cut(graph: CellGraph, labels: np.ndarray, off: np.ndarray) -> float:
    """Off-road metres of the boundary between parts (``off`` per CSR entry).

    >>> g = CellGraph.from_edges(3, np.ones(3), [0, 1], [1, 2], [10.0, 10.0], [4.0, 0.0],
    ...                          [0.0, 0.0])
    >>> offroad_cut(g, np.array([0, 0, 1]), g.affinity), offroad_cut(g, np.array([0, 1, 1]),
    ...                                                                g.affinity)
    (0.0, 4.0)
    """
    a, b, e = graph.edge_list()
    return float(off[e][labels[a] != labels[b]].sum())


def rebisect_on_roads(graph: CellGraph, labels: np.ndarray, off: np.ndarray, *,
                      cv_limit: float, limit=None, keep: np.ndarray | None = None,
                      max_passes: int = 6) -> np.ndarray:
    """Re-cut pairs of neighbouring parts so their boundary lies on roads.

    ``off``: off-road metres per CSR entry of ``graph``; ``graph.affinity``
    the cut cost of each entry; ``limit``: a
    :class:`~geogrid.partition.compounds.PieceLimit` (``comp``: compound
    code per vertex, -1 none; ``need``: parts each may span); ``keep``: the
    part each vertex should stay in (-1: any). Pairs are
    visited by the off-road length between them, longest first.
    Deterministic.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    k = int(labels.max()) + 1 if len(labels) else 0
    if k < 2 or not np.any(off > 0):
        return labels
    st = _State(graph, labels, off, limit, cv_limit, k, keep)
    for _ in range(max_passes):
        improved = False
        for A, B in st.pairs():
            improved |= st.try_pair(A, B)
        if not improved:
            break
    return st.labels


def refine_on_roads(graph: CellGraph, labels, unrefined: float, reached, cells, edges,
                    target: float, options) -> np.ndarray:
    """Residential refinement within ``road_cv_allowance`` of the ``unrefined`` CV
    (the cut before attachment and smoothing).

    Compounds cut beyond their need are merged back
    (:func:`.compounds.enforce_pieces`, each merge followed by cell-by-cell
    rebalancing), then pairs of microgrids are re-cut onto roads
    (:func:`rebisect_on_roads`), never cutting a compound beyond its need nor
    leaving fewer cells in ``reached`` (each cell's nearest-housing microgrid
    from attachment, -1: none).
    """
    if options.road_cv_allowance <= 0 or "off_m" not in edges.columns:
        return labels
    limit = max(unrefined + options.road_cv_allowance, _cv(graph, labels))
    if options.compound_need:
        # merge over-cut compounds whole, then win the balance back cell by cell
        labels = enforce_pieces(
            graph, labels, piece_limit(graph, labels, cells, target, options), cv_limit=limit,
            rebalance=lambda lab: refine_balance(
                graph, lab, cv_target=min(options.cv_target, unrefined),
                limit=piece_limit(graph, lab, cells, target, options)))
    off = CellGraph.from_edges(graph.n, graph.weight, edges["a"].to_numpy(),
                               edges["b"].to_numpy(), edges["length"].to_numpy(float),
                               edges["off_m"].to_numpy(float), np.zeros(len(edges))).affinity
    return rebisect_on_roads(graph, labels, off, cv_limit=limit, keep=reached,
                             limit=piece_limit(graph, labels, cells, target, options))


def _cv(graph: CellGraph, labels: np.ndarray) -> float:
    w = np.bincount(labels, weights=graph.weight)
    return cv(w[w > 0])


class _State:
    """Labels, part weights and per-edge data shared by the pair re-cuts."""

    def __init__(self, graph, labels, off, limit, cv_limit, k, keep=None):
        self.g, self.labels, self.cv_limit = graph, labels, cv_limit
        self.keep = None if keep is None else np.asarray(keep, dtype=np.int64)
        self.a, self.b, e = graph.edge_list()
        self.off_e = off[e]
        self.cost = replace(graph, affinity=np.maximum(
            1, np.round(10 * off + graph.affinity)).astype(np.int64))
        self.w = np.bincount(labels, weights=graph.weight, minlength=k)
        self.comp = None if limit is None else np.asarray(limit.comp, dtype=np.int64)
        self.need = None if limit is None else np.asarray(limit.need, dtype=np.int64)
        if self.comp is not None:
            self.allowed = np.maximum(self.need[:max(1, len(self.need))],
                                      self._spread(labels, np.arange(len(self.need))))

    def pairs(self) -> list[tuple[int, int]]:
        la, lb = self.labels[self.a], self.labels[self.b]
        m = (la != lb) & (self.off_e > 0)
        if not m.any():
            return []
        lo, hi = np.minimum(la[m], lb[m]), np.maximum(la[m], lb[m])
        key = lo * (int(self.labels.max()) + 1) + hi
        uniq, inv = np.unique(key, return_inverse=True)
        length = np.bincount(inv, weights=self.off_e[m])
        order = np.lexsort((uniq, -length))
        n = int(self.labels.max()) + 1
        return [(int(uniq[i] // n), int(uniq[i] % n)) for i in order]

    def _spread(self, labels, comps) -> np.ndarray:
        """Parts each compound in ``comps`` spans under ``labels``."""
        inside = np.isin(self.comp, comps)
        pairs = np.unique(np.stack([self.comp[inside], labels[inside]]), axis=1)
        return np.bincount(np.searchsorted(comps, pairs[0]), minlength=len(comps))

    def try_pair(self, A: int, B: int) -> bool:
        labels = self.labels
        union = np.flatnonzero((labels == A) | (labels == B))
        if len(union) < 3:
            return False
        touch = np.isin(self.a, union) | np.isin(self.b, union)
        ea, eb, eo = self.a[touch], self.b[touch], self.off_e[touch]
        before = float(eo[labels[ea] != labels[eb]].sum())
        sub = self.g.subgraph(union)
        subcost = self.cost.subgraph(union)
        best = None
        for side in self._splits(subcost, union, A):
            trial = labels.copy()
            trial[union] = np.where(side, A, B)
            gain = before - float(eo[trial[ea] != trial[eb]].sum())
            if gain <= 1.0 or (best is not None and gain <= best[0]):
                continue
            if self._acceptable(sub, side, union, trial, A, B):
                best = (gain, trial)
        if best is None:
            return False
        self.labels[:] = best[1]
        self.w = np.bincount(self.labels, weights=self.g.weight, minlength=len(self.w))
        return True

    def _splits(self, sub: CellGraph, union: np.ndarray, A: int):
        """Candidate halves of ``union`` (True: part ``A``), oriented to keep most cells."""
        wa = float(self.g.weight[union][self.labels[union] == A].sum())
        total = float(self.g.weight[union].sum())
        frac = min(0.95, max(0.05, wa / total)) if total > 0 else 0.5
        vw = np.round(sub.weight * (1e6 / max(total, 1e-9))).astype(np.int64)
        if vw.sum() == 0:
            vw[:] = 1
        adj = _metis.CSRAdjacency(adj_starts=sub.indptr.astype(np.int64),
                                  adjacent=sub.indices.astype(np.int64))
        was_a = self.labels[union] == A
        for seed, uf in _STARTS:
            opts = _metis.Options(seed=int(seed), ufactor=int(uf))
            res = _metis.part_graph(2, adjacency=adj, vweights=vw,
                                    eweights=sub.affinity.astype(np.int64),
                                    tpwgts=[frac, 1.0 - frac], options=opts, recursive=True)
            side = np.asarray(res.vertex_part) == 0
            if (side == was_a).sum() < (side != was_a).sum():
                side = ~side
            yield side

    def _acceptable(self, sub, side, union, trial, A, B) -> bool:
        if side.all() or not side.any():
            return False
        if self.keep is not None:
            kp = self.keep[union]
            if (trial[union] == kp).sum() < (self.labels[union] == kp).sum():
                return False
        for half in (side, ~side):
            idx = np.flatnonzero(half)
            if connected_components(sub.matrix()[idx][:, idx], directed=False)[0] != 1:
                return False
        w2 = self.w.copy()
        w2[A] = self.g.weight[union][side].sum()
        w2[B] = self.g.weight[union][~side].sum()
        if cv(w2[w2 > 0]) > max(self.cv_limit, cv(self.w[self.w > 0])) + 1e-12:
            return False
        if self.comp is not None:
            comps = np.unique(self.comp[union])
            comps = comps[comps >= 0]
            if len(comps) and np.any(self._spread(trial, comps) > self.allowed[comps]):
                return False
        return True
