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


def _arrays(areas):
    return (np.asarray(areas.geometry.values, dtype=object).copy(),
            areas["id"].to_numpy(object))


def test_tables_built_ahead_are_taken_over_only_for_the_same_polygons_and_order(monkeypatch):
    from geogrid.locate import _quick

    areas = voronoi(500, seed=2)
    x, y = uniform(areas.total_bounds, 20_000, seed=9)
    want = expected(areas, x, y)
    taken = []
    adopt = _quick._adopt
    monkeypatch.setattr(_quick, "_adopt", lambda g, r: taken.append(adopt(g, r)) or taken[-1])
    geoms, ids = _arrays(areas)
    with _quick.build_ahead(geoms, ids):
        index = AreaIndex.from_arrays(geoms, ids, lazy=True)
    assert taken[-1] is not None and not _quick._AHEAD
    assert np.array_equal(index.locate(x, y), want)
    rank = np.empty(len(ids), dtype=np.intp)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    geoms = _arrays(areas)[0]
    plain = _quick._tables(_quick.rings_of(geoms), rank, geoms)     # the same tables, built here
    for name in ("items", "ptr", "vertex_ptr", "x", "y_next", "minx"):
        assert np.array_equal(plain[name], getattr(index._quick, name), )
    # another tie-break order than the index's: built again, answers unchanged
    geoms, ids = _arrays(areas)
    with _quick.build_ahead(geoms, ids[::-1].copy()):
        index = AreaIndex.from_arrays(geoms, ids, lazy=True)
    assert taken[-1] is None and not _quick._AHEAD
    assert np.array_equal(index.locate(x, y), want)
    # other polygons (a copy): built again
    geoms, ids = _arrays(areas)
    with _quick.build_ahead(geoms.copy(), ids):
        index = AreaIndex.from_arrays(geoms, ids, lazy=True)
    assert taken[-1] is None and not _quick._AHEAD
    assert np.array_equal(index.locate(x, y), want)


def test_a_failed_check_leaves_nothing_built_ahead_behind():
    from shapely.geometry import Polygon

    from geogrid import ValidationError
    from geogrid.locate import _quick

    areas = voronoi(50, seed=4)
    geoms, ids = _arrays(areas)
    geoms[3] = Polygon([(121.5, 31.2), (121.51, 31.21), (121.51, 31.2), (121.5, 31.21)])
    geoms[7] = None
    with pytest.raises(ValidationError) as err:
        with _quick.build_ahead(geoms, ids):
            AreaIndex.from_arrays(geoms, ids, lazy=True)
    assert len(err.value.problems) == 2 and not _quick._AHEAD
