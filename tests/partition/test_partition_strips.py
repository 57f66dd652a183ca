"""Strips outside compound walls join the compound's microgrid (内外一网覆盖), on
small graphs whose answers are known by construction."""

from __future__ import annotations

import numpy as np

from geogrid.partition.boundary import strips_to_compounds
from geogrid.partition.graph import CellGraph
from geogrid.partition.roadcuts import offroad_cut


def _row(weights, off_between):
    """Cells 0..n-1 in a row; edge ``i``–``i+1`` lies ``off_between[i]`` m off roads."""
    n = len(weights)
    a, b = np.arange(n - 1), np.arange(1, n)
    g = CellGraph.from_edges(n, np.asarray(weights, float), a, b, np.full(n - 1, 50.0),
                             np.asarray(off_between, float), np.zeros(n - 1))
    return g, g.affinity.copy()


# cells: 0, 1 a compound (part 0); 2, 3 the strip outside its wall (part 1); a street
# between 3 and 4; 4, 5 the next block (part 1). The wall 1|2 is 50 m off roads.
COMP = np.array([True, True, False, False, False, False])
BLOCK = np.array([0, 0, 0, 0, 1, 1])
OFF = [50.0, 50.0, 50.0, 0.0, 50.0]


def test_strip_moves_whole_and_the_boundary_reaches_the_street():
    g, off = _row([100, 100, 2, 3, 100, 100], OFF)
    start = np.array([0, 0, 1, 1, 1, 1])
    assert offroad_cut(g, start, off) == 50.0
    out = strips_to_compounds(g, start, off, COMP, BLOCK, cv_limit=1.0)
    assert out.tolist() == [0, 0, 0, 0, 1, 1]  # both strip cells, not one
    assert offroad_cut(g, out, off) == 0.0


def test_strip_stays_when_the_balance_limit_forbids_it():
    g, off = _row([100, 100, 80, 80, 60, 60], OFF)
    start = np.array([0, 0, 1, 1, 1, 1])  # 200 | 280: moving 160 makes 360 | 120
    out = strips_to_compounds(g, start, off, COMP, BLOCK, cv_limit=0.2)
    assert out.tolist() == start.tolist()
    # the balance alone held it: allowed to, it moves
    assert strips_to_compounds(g, start, off, COMP, BLOCK, cv_limit=0.6).tolist() == \
        [0, 0, 0, 0, 1, 1]


def test_strip_stays_where_a_cell_is_pinned_or_its_part_would_vanish():
    g, off = _row([100, 100, 2, 3, 100, 100], OFF)
    start = np.array([0, 0, 1, 1, 1, 1])
    pinned = np.array([False, False, True, False, False, False])  # e.g. with its nearest housing
    out = strips_to_compounds(g, start, off, COMP, BLOCK, cv_limit=1.0, movable=~pinned)
    assert out.tolist() == start.tolist()
    # a part made of the strip alone is not emptied
    alone = np.array([0, 0, 1, 1, 2, 2])
    out = strips_to_compounds(g, alone, off, COMP, BLOCK, cv_limit=1.0)
    assert out.tolist() == alone.tolist()


def test_strip_never_leaves_its_part_in_two():
    # the strip's part continues past it on both sides: 2 (strip) links 4 and 5 only through it
    a, b = [0, 1, 2, 2], [1, 2, 3, 4]
    g = CellGraph.from_edges(5, np.array([100.0, 100, 2, 100, 100]), a, b, np.full(4, 50.0),
                             np.array([0.0, 50.0, 0.0, 0.0]), np.zeros(4))
    comp = np.array([True, True, False, False, False])
    out = strips_to_compounds(g, np.array([0, 0, 1, 1, 1]), g.affinity.copy(), comp,
                              np.array([0, 0, 0, 1, 2]), cv_limit=1.0)
    assert out.tolist() == [0, 0, 1, 1, 1]
