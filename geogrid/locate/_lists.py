"""The candidate lists of the boundary cells, grouped without sorting the pairs.

The build walks every ring segment across the grid and gets, per segment, the
cells it touches: (cell, area rank) pairs, with repeats (a cell touched by two
segments of one area). Each boundary cell needs its distinct areas in rank
order, as CSR. Sorting all pairs by ``cell * n + rank`` did that, and was the
largest step of the build (an int64 sort of two million keys at 30,000 areas).

Here the pairs are grouped without a sort. A boundary cell holds few areas (two
along a shared edge, three or four at a corner): the lowest and highest rank of
every cell (:func:`numpy.minimum.at` and :func:`numpy.maximum.at`, one pass
each) settle the cells of one or two areas, and the few pairs strictly between
go through rounds, each of which takes every cell's lowest remaining rank, puts
it in the cell's next slot and drops every pair equal to it (the repeats go
with it). A cell with ``k`` distinct areas is done after ``k - 2`` rounds, and
each round only touches the pairs left, so the work is close to linear in the
pairs. Slots are filled in rank order, so the lists need no sort either.
"""

from __future__ import annotations

import numpy as np

__all__ = ["boundary_cells", "rank_lists", "index_dtype"]

#: ``np.iinfo(np.int32).max`` (``iinfo`` builds an object per call)
_INT32_MAX = 2_147_483_647


def index_dtype(*sizes: int):
    """int32 when every size fits it (half the memory of int64), else intp."""
    return np.int32 if max(sizes) < _INT32_MAX else np.intp


def boundary_cells(blocks: list[tuple[np.ndarray, np.ndarray]], n_cells: int):
    """The cells that hold a pair (sorted), and every pair's cell replaced in place
    by its boundary cell's number (the blocks are then one pair of arrays)."""
    mark = np.zeros(n_cells, dtype=bool)
    for cell, _ in blocks:
        mark[cell] = True
    cells = np.flatnonzero(mark)
    del mark
    number = np.empty(n_cells, dtype=index_dtype(len(cells)))
    number[cells] = np.arange(len(cells), dtype=number.dtype)
    for i, (cell, rank) in enumerate(blocks):      # each block's cells freed once read
        blocks[i] = (number[cell], rank)
    del number
    b = np.concatenate([cell for cell, _ in blocks]) if blocks else np.empty(0, np.int32)
    r = np.concatenate([rank for _, rank in blocks]) if blocks else np.empty(0, np.int32)
    blocks.clear()
    return cells, b, r


def rank_lists(b: np.ndarray, r: np.ndarray, n_lists: int, n: int,
               check: np.ndarray | None = None):
    """Group pairs (list ``b``, rank ``r``; repeats allowed) into CSR lists of
    distinct ranks, ascending: ``(pointer, ranks, found)``.

    Most lists hold one or two areas (an edge of the coverage, an edge
    shared by two areas): the lowest and the highest rank of every list
    (:func:`numpy.minimum.at`, :func:`numpy.maximum.at`) settle those, and
    only the pairs strictly between them (cells at a corner of three or more
    areas) go through the rounds of :func:`_rounds`. With ``check`` (a rank
    per list, ``n`` for none), ``found`` says, per list, whether that rank is
    in it (else it is ``None``).
    """
    dtype = index_dtype(len(b) + 1, n + 1)
    r = r.astype(np.int32, copy=False)
    lo = np.full(n_lists, n, dtype=np.int32)
    np.minimum.at(lo, b, r)
    hi = np.full(n_lists, -1, dtype=np.int32)
    np.maximum.at(hi, b, r)
    inner = (r != lo[b])
    inner &= r != hi[b]
    inner = np.flatnonzero(inner)
    mid_ptr, mid_ranks, mid_found = _rounds(b[inner], r[inner], n_lists, n, check)
    del inner
    first, last = lo < n, hi > lo
    mid_count = np.diff(mid_ptr)
    ptr = np.zeros(n_lists + 1, dtype=dtype)
    np.cumsum(first.astype(dtype) + last + mid_count, out=ptr[1:])
    ranks = np.empty(int(ptr[-1]), dtype=np.int32)
    ranks[ptr[:-1][first]] = lo[first]
    ranks[ptr[1:][last] - 1] = hi[last]
    if mid_ranks.size:           # after the lowest, in their own (ascending) order
        at = np.repeat(ptr[:-1] + 1 - mid_ptr[:-1], mid_count)
        at += np.arange(len(mid_ranks), dtype=at.dtype)
        ranks[at] = mid_ranks
    found = None if check is None else (check == lo) | (check == hi) | mid_found
    return ptr, ranks, found


def _rounds(b: np.ndarray, r: np.ndarray, n_lists: int, n: int,
            check: np.ndarray | None = None):
    """:func:`rank_lists` in rounds: each takes every list's lowest remaining
    rank, puts it in the list's next slot and drops the pairs equal to it."""
    dtype = index_dtype(len(b) + 1, n + 1)
    best = np.full(n_lists, n, dtype=np.int32)
    count = np.zeros(n_lists, dtype=np.int32)
    found = None if check is None else np.zeros(n_lists, dtype=bool)
    rounds = []
    while b.size:
        np.minimum.at(best, b, r)
        win = r == best[b]
        wb, wr = b[win], r[win]
        count[wb] = len(rounds) + 1           # the same value for every pair of a list
        if found is not None:
            found[wb[wr == check[wb]]] = True
        best[wb] = n
        rounds.append((wb, wr))
        keep = ~win
        b, r = b[keep], r[keep]
    ptr = np.zeros(n_lists + 1, dtype=dtype)
    np.cumsum(count, out=ptr[1:])
    del count
    ranks = np.empty(int(ptr[-1]), dtype=np.int32)
    for slot, (wb, wr) in enumerate(rounds):
        ranks[ptr[wb] + slot] = wr            # repeats write the same rank to one slot
    return ptr, ranks, found
