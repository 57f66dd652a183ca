"""A large batch on the lazy index is located in tile order: the answers are those of
shapely, point by point, whatever order the points are taken in."""

from __future__ import annotations

import numpy as np
import pytest

from geogrid.locate import AreaIndex
from geogrid.locate._quick import _BLOCK, _TILES
from tests.test_locate import edge_points, expected, uniform, voronoi


@pytest.mark.parametrize("n_areas", [300, 40_000])
def test_a_batch_in_tile_order_answers_as_shapely_and_as_small_batches(n_areas):
    areas = voronoi(n_areas, seed=11)
    index = AreaIndex.from_frame(areas, lazy=True)
    quick = index._quick
    x, y = uniform(areas.total_bounds, 150_000, seed=3)
    xy = edge_points(areas, per_edge=1)[::7]
    x = np.r_[x, xy[:, 0], np.nan, 121.505, -1e9, 1e9]
    y = np.r_[y, xy[:, 1], 31.23, np.nan, -1e9, 1e9]
    assert len(x) >= 4 * _BLOCK                    # the sorted, parallel path
    got = index.locate(x, y)
    assert np.array_equal(got, expected(areas, x, y))
    small = np.concatenate([index.locate(x[lo:lo + _BLOCK], y[lo:lo + _BLOCK])
                            for lo in range(0, len(x), _BLOCK)])
    assert np.array_equal(got, small)
    tiles = quick._tiles(x, y)
    nx, ny = quick.grid[3], quick.grid[4]
    assert tiles.dtype == np.uint16 and len(np.unique(tiles)) > min(nx * ny, _TILES) // 8
    # one tile per cell, and neighbouring cells share tiles (a tile is a block of cells)
    col, row = quick._col_row(x, y)
    cell = row * nx + col
    first = np.unique(cell, return_index=True)[1]
    per_cell = dict(zip(cell[first].tolist(), tiles[first].tolist()))
    assert all(per_cell[c] == t for c, t in zip(cell[::97].tolist(), tiles[::97].tolist()))
    assert len(np.unique(tiles)) <= len(first)
