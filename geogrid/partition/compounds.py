"""Compounds too heavy for one microgrid, split only as far as their workload needs.

A compound (小区) that fits in one microgrid is kept whole. One that does not
is cut into :func:`pieces_needed` pieces (``⌈w / (keep_whole · target)⌉``),
each contiguous, by :func:`compound_groups`: METIS on the compound's own cells,
whose edges are cheapest to cut along internal paths, so the pieces part along
paths and the gaps between building rows rather than wherever balance is easiest.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .graph import CellGraph, connected_set, cv, metis_partition, repair_contiguity

__all__ = ["compound_groups", "pieces_needed", "PieceLimit", "keep_whole_groups",
           "connected_pieces", "piece_limit", "enforce_pieces"]


def compound_groups(graph: CellGraph, verts: np.ndarray, need: int, seed: int = 0
                    ) -> list[np.ndarray]:
    """The cells ``verts`` of one compound in ``need`` contiguous groups of like weight.

    A compound cut by a public road is partitioned piece by piece, each piece
    getting its share of ``need`` (at least one group per piece).
    """
    verts = np.asarray(verts, dtype=np.int64)
    if need <= 1 or len(verts) <= 1:
        return [verts]
    sub = graph.subgraph(verts)
    lab = repair_contiguity(sub, metis_partition(sub, min(need, len(verts)), seed=seed))
    return [verts[lab == c] for c in np.unique(lab)]


def pieces_needed(weight: float, target: float, keep_whole: float) -> int:
    """Microgrids a compound of ``weight`` needs: ``⌈weight / (keep_whole · target)⌉``.

    >>> pieces_needed(700, 300, 1.15), pieces_needed(300, 300, 1.15)
    (3, 1)
    """
    if target <= 0:
        return 1
    return max(1, math.ceil(weight / (keep_whole * target)))


class PieceLimit:
    """Keeps each compound within the microgrids it may span while cells move.

    ``compound``: compound index per cell (-1: none); ``need``: pieces each
    compound may span; ``labels``: the starting part of each cell. A compound
    already spread over more parts than ``need`` may shrink but never grow.
    """

    def __init__(self, compound: np.ndarray, need: np.ndarray, labels: np.ndarray, k: int):
        self.comp = np.asarray(compound, dtype=np.int64)
        n_comp = int(self.comp.max()) + 1 if len(self.comp) and self.comp.max() >= 0 else 0
        self.cnt = np.zeros((max(n_comp, 1), max(k, 1)), dtype=np.int64)
        inside = self.comp >= 0
        np.add.at(self.cnt, (self.comp[inside], np.asarray(labels)[inside]), 1)
        self.need = np.asarray(need, dtype=np.int64) if len(need) else np.ones(1, np.int64)

    def allows(self, v: int, p: int, q: int) -> bool:
        """May cell ``v`` leave part ``p`` for part ``q``?"""
        c = self.comp[v]
        if c < 0 or self.cnt[c, q] > 0:
            return True
        spread = int((self.cnt[c] > 0).sum()) - int(self.cnt[c, p] == 1)
        return spread < self.need[c]

    def move(self, v: int, p: int, q: int) -> None:
        c = self.comp[v]
        if c >= 0:
            self.cnt[c, p] -= 1
            self.cnt[c, q] += 1


def keep_whole_groups(graph: CellGraph, cells, target: float, options):
    """Vertex → group: the cells of a compound that fits in one microgrid move together.

    A compound fits when its cells weigh at most ``keep_whole × target``. Its
    cells are grouped per connected piece (a compound cut by a public road is
    two pieces, each kept whole).
    """
    group = np.arange(graph.n, dtype=np.int64)
    kept: list[str] = []
    comp_ids = pd.Series(cells["compound_id"].to_numpy(dtype=object))
    if comp_ids.isna().all() or target <= 0:
        return group, kept
    a, b, _ = graph.edge_list()
    keys = comp_ids.where(comp_ids.isna(), comp_ids.astype(str))
    for cid, verts in keys.dropna().groupby(keys.dropna()).groups.items():
        verts = np.asarray(verts, dtype=np.int64)
        w = graph.weight[verts].sum()
        if w > options.keep_whole * target:
            if options.compound_need:
                need = pieces_needed(w, target, options.keep_whole)
                for vs in compound_groups(graph, verts, need, seed=options.seed):
                    group[vs] = vs.min()
            continue
        kept.append(str(cid))
        for vs in connected_pieces(graph, verts, a, b):
            group[vs] = vs.min()
    return group, sorted(kept)


def connected_pieces(graph: CellGraph, verts: np.ndarray, a, b) -> list[np.ndarray]:
    """``verts`` split into the pieces connected within ``verts``."""
    if len(verts) < 2:
        return [verts]
    pos = np.full(graph.n, -1)
    pos[verts] = np.arange(len(verts))
    m = (pos[a] >= 0) & (pos[b] >= 0)
    sub = sparse.coo_matrix((np.ones(int(m.sum())), (pos[a[m]], pos[b[m]])),
                            shape=(len(verts), len(verts)))
    ncomp, comp = connected_components(sub, directed=False)
    return [verts[comp == c] for c in range(ncomp)]


def piece_limit(graph: CellGraph, labels, cells, target: float, options) -> PieceLimit:
    """:class:`.compounds.PieceLimit` for the compounds of ``cells`` (with
    ``compound_need`` off, a compound may keep the pieces it has)."""
    codes, uniq = pd.factorize(cells["compound_id"].astype(object).where(
        cells["compound_id"].notna(), None), use_na_sentinel=True)
    inside = codes >= 0
    cw = np.bincount(codes[inside], weights=graph.weight[inside], minlength=len(uniq))
    need = np.array([pieces_needed(x, target, options.keep_whole) for x in cw], dtype=np.int64)
    if not options.compound_need:
        seen = pd.DataFrame({"c": codes, "p": labels})[inside].drop_duplicates()
        need = np.maximum(need, np.bincount(seen["c"], minlength=len(uniq)))
    return PieceLimit(codes, need, labels, int(labels.max()) + 1)


def enforce_pieces(graph: CellGraph, labels: np.ndarray, limit: PieceLimit, *,
                   cv_limit: float, rebalance=None) -> np.ndarray:
    """Merge the pieces of compounds cut into more microgrids than they need.

    While a compound spans more parts than ``limit.need``, one of its pieces
    (its cells in one part) moves whole into a neighbouring part that holds
    the compound too, when the part it leaves stays connected and not empty.
    Each such merge is followed by ``rebalance(labels) -> labels`` (if given),
    and the merge whose result has the lowest workload CV is kept if that CV is
    at most ``cv_limit``. Every merge lowers the compound's spread by one, so
    the loop ends; a compound no merge can fix is left as it is (the rule
    metrics report it).
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    k = int(labels.max()) + 1 if len(labels) else 0
    comp = np.asarray(limit.comp, dtype=np.int64)
    nbr = graph.neighbour_lists()
    for c in np.unique(comp[comp >= 0]):
        while True:
            verts = np.flatnonzero(comp == c)
            parts = np.unique(labels[verts])
            if len(parts) <= limit.need[c]:
                break
            best = None
            for piece, q in _merges(labels, nbr, verts, parts):
                trial = labels.copy()
                trial[piece] = q
                if rebalance is not None:
                    trial = rebalance(trial)
                w = np.bincount(trial, weights=graph.weight, minlength=k)
                score = cv(w[w > 0])
                if len(np.unique(trial[verts])) < len(parts) and score <= cv_limit + 1e-12 \
                        and (best is None or score < best[0]):
                    best = (score, trial)
            if best is None:
                break
            labels = best[1]
    return labels


def _merges(labels, nbr, verts, parts):
    """(cells, part): each piece of a compound that can join a neighbouring piece."""
    for p in parts:
        piece = verts[labels[verts] == p]
        rest = np.flatnonzero(labels == p)
        rest = rest[~np.isin(rest, piece)]
        if len(rest) == 0 or not connected_set(set(rest.tolist()), nbr):
            continue
        touching = {int(labels[u]) for v in piece for u in nbr[v]} & set(parts.tolist())
        for q in sorted(touching - {int(p)}):
            joined = np.concatenate([piece, np.flatnonzero(labels == q)])
            if connected_set(set(joined.tolist()), nbr):
                yield piece, q
