"""Candidate lists grouped without a sort give what sorting the pairs gives."""

from __future__ import annotations

import numpy as np
import pytest

from geogrid.locate._lists import boundary_cells, rank_lists


def reference(b, r, n_lists):
    """Distinct ranks per list, ascending, by sorting (cell, rank) pairs."""
    pairs = np.unique(np.column_stack([b, r]), axis=0)
    counts = np.bincount(pairs[:, 0], minlength=n_lists)
    return np.r_[0, np.cumsum(counts)], pairs[:, 1]


@pytest.mark.parametrize("n_lists, n, size, seed", [
    (1, 1, 5, 0),            # one list, one area, repeats only
    (50, 3, 400, 1),         # few areas: lists of one to three
    (200, 40, 3_000, 2),     # corners of many areas: several rounds
    (1_000, 5_000, 20_000, 3),
    (7, 2**20, 10_000, 4),   # long lists of large ranks
])
def test_lists_match_sorting_the_pairs(n_lists, n, size, seed):
    rng = np.random.default_rng(seed)
    b = rng.integers(0, n_lists, size).astype(np.int32)
    b[:n_lists] = np.arange(n_lists)                    # every list has a pair
    r = rng.integers(0, n, size).astype(np.int32)
    check = rng.integers(0, n + 1, n_lists).astype(np.int32)    # n: nothing to check
    ptr, ranks, found = rank_lists(b.copy(), r.copy(), n_lists, n, check)
    want_ptr, want_ranks = reference(b, r, n_lists)
    assert np.array_equal(ptr, want_ptr)
    assert np.array_equal(ranks, want_ranks)
    member = np.array([c < n and c in set(want_ranks[want_ptr[i]:want_ptr[i + 1]].tolist())
                       for i, c in enumerate(check.tolist())])
    assert np.array_equal(found & (check < n), member)
    assert rank_lists(b, r, n_lists, n)[2] is None


def test_boundary_cells_number_the_cells_in_order():
    blocks = [(np.array([9, 3, 9, 40]), np.array([1, 2, 1, 0], dtype=np.int32)),
              (np.array([3, 17]), np.array([5, 5], dtype=np.int32))]
    cells, b, r = boundary_cells(blocks, 50)
    assert cells.tolist() == [3, 9, 17, 40]
    assert cells[b].tolist() == [9, 3, 9, 40, 3, 17]
    assert r.tolist() == [1, 2, 1, 0, 5, 5]
    assert blocks == []


def test_a_list_without_pairs_is_empty():
    b = np.array([0, 0, 2, 2, 2, 4], dtype=np.int32)
    r = np.array([3, 1, 5, 5, 2, 7], dtype=np.int32)
    check = np.array([1, 10, 5, 10, 6, 3], dtype=np.int32)       # 10: nothing to check
    ptr, ranks, found = rank_lists(b, r, 6, 10, check)
    assert ptr.tolist() == [0, 2, 2, 4, 4, 5, 5]
    assert ranks.tolist() == [1, 3, 2, 5, 7]
    assert (found & (check < 10)).tolist() == [True, False, True, False, False, False]
