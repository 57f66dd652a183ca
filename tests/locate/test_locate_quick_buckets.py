"""The buckets of the quick lookup list, for every grid cell, exactly the areas whose
bounding box touches it: boxes of one cell, of many cells, far larger than a cell,
sharing their first cell, and areas without vertices."""

from __future__ import annotations

import numpy as np
import pytest

from geogrid.locate._quick import _SMALL, Rings, _tables


def _boxes(rng, n: int, big_share: float, empty_share: float) -> Rings:
    xs, ys, count = [], [], []
    for _ in range(n):
        if rng.random() < empty_share:
            count.append(0)
            continue
        x0, y0 = rng.uniform(0, 100, 2)
        w, h = rng.exponential(40 if rng.random() < big_share else 2, 2)
        xs += [x0, x0 + w, x0 + w, x0, x0]
        ys += [y0, y0, y0 + h, y0 + h, y0]
        count.append(5)
    ptr = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(count, out=ptr[1:])
    return Rings(np.array(xs, dtype=float), np.array(ys, dtype=float), ptr,
                 np.zeros(0, dtype=np.intp))


def _brute_force(tables: dict) -> list[set[int]]:
    """Per cell, the areas whose box touches it, one area and one cell at a time."""
    x0, y0, scale, nx, ny = tables["grid"]
    cells: list[set[int]] = [set() for _ in range(nx * ny)]
    for a, (minx, miny, maxx, maxy) in enumerate(zip(tables["minx"], tables["miny"],
                                                     tables["maxx"], tables["maxy"])):
        if np.isnan(minx):
            continue
        c0, c1 = (min(max(int(np.floor((v - x0) * scale)), 0), nx - 1) for v in (minx, maxx))
        r0, r1 = (min(max(int(np.floor((v - y0) * scale)), 0), ny - 1) for v in (miny, maxy))
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                cells[r * nx + c].add(a)
    return cells


@pytest.mark.parametrize("seed,n,big_share,empty_share", [
    (1, 1, 0.0, 0.0), (2, 50, 0.0, 0.0), (3, 400, 0.1, 0.05), (4, 400, 0.5, 0.2),
    (5, 2_000, 0.02, 0.01), (6, 30, 1.0, 0.0)])
def test_every_cell_lists_exactly_the_boxes_that_touch_it(seed, n, big_share, empty_share):
    rng = np.random.default_rng(seed)
    rings = _boxes(rng, n, big_share, empty_share)
    if not len(rings.x):
        pytest.skip("no vertices drawn")
    tables = _tables(rings, np.arange(n), None)
    ptr, items = tables["ptr"], tables["items"]
    want = _brute_force(tables)
    assert ptr[0] == 0 and ptr[-1] == len(items) and (np.diff(ptr) >= 0).all()
    got = [items[ptr[j]:ptr[j + 1]].tolist() for j in range(len(ptr) - 1)]
    assert all(len(g) == len(set(g)) for g in got)             # no area twice in a cell
    assert [set(g) for g in got] == want


def test_boxes_that_share_a_first_cell_and_boxes_beyond_the_offset_loop():
    # twenty boxes from the same corner, of growing size; one spans the whole grid
    sizes = np.r_[np.linspace(0.01, 3.0, 19), 100.0]
    xs = np.concatenate([[0.0, s, s, 0.0, 0.0] for s in sizes]) + 0.001
    ys = np.concatenate([[0.0, 0.0, s, s, 0.0] for s in sizes]) + 0.001
    ptr = np.arange(0, 5 * len(sizes) + 1, 5, dtype=np.intp)
    rings = Rings(xs, ys, ptr, np.zeros(0, dtype=np.intp))
    tables = _tables(rings, np.arange(len(sizes)), None)
    want = _brute_force(tables)
    ptr, items = tables["ptr"], tables["items"]
    assert [set(items[ptr[j]:ptr[j + 1]].tolist()) for j in range(len(ptr) - 1)] == want
    x0, y0, scale, nx, ny = tables["grid"]
    assert max(nx, ny) > _SMALL                 # some boxes took the one-by-one way
    assert set(items[ptr[0]:ptr[1]].tolist()) == set(range(len(sizes)))
