"""Refinement passes on small graphs whose best answers are known by construction:
pair re-cuts onto roads, the merge of over-cut compounds, and business moves
through corridors (业态相近)."""

from __future__ import annotations

import numpy as np

from geogrid.partition.business import group_by_type, majority_share
from geogrid.partition.compounds import PieceLimit, enforce_pieces
from geogrid.partition.graph import CellGraph, cv, is_contiguous
from geogrid.partition.roadcuts import offroad_cut, rebisect_on_roads


def _lattice(nx: int, ny: int, road_x: float):
    """``nx × ny`` unit cells; edges between columns ``road_x - ½`` and ``road_x + ½``
    lie on a road (0 off-road metres), every other edge is 1 m off-road."""
    a, b, off = [], [], []
    vid = lambda x, y: y * nx + x  # noqa: E731
    for y in range(ny):
        for x in range(nx):
            if x + 1 < nx:
                a.append(vid(x, y)), b.append(vid(x + 1, y))
                off.append(0.0 if x + 0.5 == road_x else 1.0)
            if y + 1 < ny:
                a.append(vid(x, y)), b.append(vid(x, y + 1)), off.append(1.0)
    n = nx * ny
    g = CellGraph.from_edges(n, np.ones(n), a, b, np.ones(len(a)), np.asarray(off),
                             np.zeros(len(a)))
    off_entry = g.affinity.copy()  # off-road metres per CSR entry
    return g, off_entry, np.array([v % nx for v in range(n)])


def test_recut_moves_an_offroad_boundary_onto_the_road():
    g, off, col = _lattice(8, 4, road_x=3.5)  # the road splits the lattice 4 | 4
    start = np.where(col < 3, 0, 1)  # 3 | 5 columns: the boundary runs 4 m off-road
    start[[3, 11]] = 0  # and is ragged
    assert offroad_cut(g, start, off) > 0
    out = rebisect_on_roads(g, start, off, cv_limit=1.0)
    assert offroad_cut(g, out, off) == 0.0
    assert is_contiguous(g, out)
    assert np.array_equal(out, np.where(col < 4, out[0], out[-1]))


def test_recut_respects_the_balance_limit_and_kept_cells():
    g, off, col = _lattice(8, 4, road_x=2.5)  # the road leaves 3 | 5 columns
    start = np.where(col < 4, 0, 1)  # balanced, 4 m off-road
    w = np.bincount(start, weights=g.weight)
    # the road cut would weigh 12 against 20: beyond a limit of the current CV
    same = rebisect_on_roads(g, start, off, cv_limit=cv(w))
    assert np.array_equal(same, start)
    # cells to stay in their part (their nearest housing's microgrid) stay there
    g, off, col = _lattice(8, 4, road_x=3.5)
    start = np.where(col < 3, 0, 1)
    keep = np.where(col == 3, 1, -1)
    kept = rebisect_on_roads(g, start, off, cv_limit=1.0, keep=keep)
    assert (kept[col == 3] == 1).all()
    assert offroad_cut(g, kept, off) > 0  # the road cut would have taken them


def test_recut_never_spreads_a_compound_beyond_its_need():
    g, off, col = _lattice(8, 4, road_x=3.5)
    start = np.where(col < 3, 0, 1)
    comp = np.where(col == 3, 0, -1)  # a compound on column 3, allowed one part
    out = rebisect_on_roads(g, start, off, cv_limit=1.0,
                            limit=PieceLimit(comp, np.array([1]), start, 2))
    assert len(np.unique(out[col == 3])) == 1
    assert is_contiguous(g, out)


def test_overcut_compound_is_merged_back_within_the_balance_limit():
    g, _, col = _lattice(6, 2, road_x=10)
    labels = np.array([0, 0, 1, 1, 2, 2] * 2)  # three parts of four cells
    comp = np.where(col >= 1, 0, -1)  # one compound over columns 1..5: needs two parts
    # too tight a limit: nothing moves
    assert np.array_equal(enforce_pieces(g, labels, PieceLimit(comp, np.array([2]), labels, 3),
                                         cv_limit=0.0), labels)
    out = enforce_pieces(g, labels, PieceLimit(comp, np.array([2]), labels, 3), cv_limit=1.0)
    assert len(np.unique(out[comp == 0])) == 2
    assert is_contiguous(g, out)
    assert len(np.unique(out)) == 3  # no part emptied


def _line(n: int) -> CellGraph:
    a = np.arange(n - 1)
    return CellGraph.from_edges(n, np.ones(n), a, a + 1, np.ones(n - 1), np.ones(n - 1),
                                np.zeros(n - 1))


def test_typed_cell_reaches_its_type_through_a_corridor():
    # cells 0-1-2 | 3-4-5 on a line: finance, office, (none) | office × 3
    g = _line(6)
    counts = np.zeros((6, 2))  # columns: finance, office
    counts[0, 0] = 1
    counts[[1, 3, 4, 5], 1] = 1
    start = np.array([0, 0, 0, 1, 1, 1])
    assert majority_share(start, counts) == 0.8
    out = group_by_type(g, start, counts, 1.0, cv_allowance=1.0)
    # the office cell cannot touch the office part alone: it goes with the empty cell 2
    assert np.array_equal(out, [0, 1, 1, 1, 1, 1])
    assert majority_share(out, counts) == 1.0
    assert is_contiguous(g, out)
    # weight 0 is adjacency only; a balance allowance too tight keeps the start
    assert np.array_equal(group_by_type(g, start, counts, 0.0, cv_allowance=1.0), start)
    assert np.array_equal(group_by_type(g, start, counts, 1.0, cv_allowance=0.1), start)
