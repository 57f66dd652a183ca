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

from .graph import CellGraph, metis_partition, repair_contiguity

__all__ = ["compound_groups", "pieces_needed", "PieceLimit"]


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
