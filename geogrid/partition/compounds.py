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

__all__ = ["compound_groups", "pieces_needed"]


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
