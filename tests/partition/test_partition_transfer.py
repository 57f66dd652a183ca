"""Moving whole microgrids between two partitions' saved frames
(:func:`geogrid.partition.transfer.take_microgrids`): cells, edges and objects stay
consistent, outlines are unchanged, and both sides restore into editable results."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid.partition import partition, restore_result
from geogrid.partition.transfer import StateFrames, empty_like, take_microgrids

from partition_helpers import synthetic_case


@pytest.fixture(scope="module")
def result():
    parent, objects, roads = synthetic_case(300, seed=8)
    return parent, partition(parent, objects, roads, n_microgrids=5)


def _consistent(f: StateFrames) -> None:
    n = len(f.cells)
    assert (f.cells["cell"].to_numpy() == np.arange(n)).all()
    assert ((f.edges[["a", "b"]] >= 0) & (f.edges[["a", "b"]] < n)).all().all()
    assert f.objects["cell"].between(0, n - 1).all()
    # every object's seed lies in (or on) the cell it is filed under
    cell = f.cells.geometry.values[f.objects["cell"].to_numpy()]
    near = shapely.distance(cell, f.objects.geometry.representative_point().values)
    assert (near < 1e-6).all()


def _parent(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": ["p"], "name": ["p"], "level": ["community"],
                             "kind": ["residential"]},
                            geometry=[shapely.union_all(cells.geometry.values)], crs=cells.crs)


def test_take_two_microgrids_and_give_them_back(result):
    _, res = result
    a = StateFrames(res.cells, res.edges, res.objects)
    src, dst, new_id = take_microgrids(a, empty_like(a), [2, 4])
    assert new_id == {2: 1, 4: 2}
    for f in (src, dst):
        _consistent(f)
    assert len(src.cells) + len(dst.cells) == len(a.cells)
    assert len(src.objects) + len(dst.objects) == len(a.objects)
    assert set(dst.cells["microgrid"]) == {1, 2} and set(src.cells["microgrid"]) == {1, 3, 5}
    old = dict(zip(res.microgrids["id"], res.microgrids.geometry.values))
    for f, ids in ((src, {1: 1, 3: 3, 5: 5}), (dst, {1: 2, 2: 4})):
        back = restore_result(_parent(f.cells), f.cells, f.edges, f.objects)
        got = dict(zip(back.microgrids["id"], back.microgrids.geometry.values))
        for now, was in ids.items():   # every microgrid keeps its outline exactly
            assert got[now].symmetric_difference(old[was]).area < 1e-12
    # and back again: the edges between the two sides are found anew from the cells
    src2, dst2, back_id = take_microgrids(dst, src, [1, 2])
    assert len(src2.cells) == 0 and len(dst2.cells) == len(a.cells)
    _consistent(dst2)
    key = {shapely.to_wkb(g): i for i, g in zip(dst2.cells["cell"], dst2.cells.geometry.values)}
    to_new = np.array([key[shapely.to_wkb(g)] for g in a.cells.geometry.values])
    pairs = lambda e: set(zip(e["a"].tolist(), e["b"].tolist()))  # noqa: E731
    was = {tuple(sorted(p)) for p in zip(to_new[a.edges["a"]], to_new[a.edges["b"]])}
    now = {tuple(sorted(p)) for p in pairs(dst2.edges)}
    assert was <= now   # every adjacency of the original tessellation is there again
    whole = restore_result(_parent(dst2.cells), dst2.cells, dst2.edges, dst2.objects)
    assert len(whole.microgrids) == 5 and sorted(back_id.values()) == [6, 7]
