"""What the build shares with its input checks, and the checks that run beside it.

The checks hand the build the polygons' bounds and key order; the validity of
many polygons is computed on another core while the table is built. These
tests hold both to the contract of one complete error and of tables equal
to those an independent method gives.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from benchmarks.locate.bench_locate import voronoi_cells
from geogrid._errors import ValidationError
from geogrid.locate import AreaIndex, _build, _checks

EXTENT = (121.49, 31.225, 121.52, 31.25)
#: enough areas for the validity to run beside the build
MANY = _checks._AHEAD_AREAS + 100


def voronoi(n: int, seed: int = 0) -> np.ndarray:
    return voronoi_cells(n, EXTENT, np.random.default_rng(seed))


def bowtie(x: float, y: float) -> Polygon:
    """A self-intersecting ring (invalid: shapely.is_valid says so)."""
    d = 1e-4
    return Polygon([(x, y), (x + d, y + d), (x + d, y), (x, y + d), (x, y)])


def frame(geoms, ids=None) -> gpd.GeoDataFrame:
    ids = [f"A{i:05d}" for i in range(len(geoms))] if ids is None else ids
    return gpd.GeoDataFrame({"id": ids}, geometry=list(geoms), crs="EPSG:4490")


@pytest.mark.parametrize("n", [50, MANY])
def test_invalid_polygons_are_each_named_whether_checked_before_or_beside_the_build(n):
    geoms = voronoi(n)
    bad = [3, n - 2]
    for i in bad:
        geoms[i] = bowtie(*shapely.get_coordinates(geoms[i])[0])
    with pytest.raises(ValidationError) as caught:
        AreaIndex.from_frame(frame(geoms))
    rows = sorted(p.index for p in caught.value.problems)
    assert rows == bad
    assert all("Self-intersection" in p.reason for p in caught.value.problems)
    with pytest.raises(ValidationError) as caught:
        AreaIndex.from_arrays(geoms, [f"A{i:05d}" for i in range(n)], where="plan.parquet")
    assert sorted(p.index for p in caught.value.problems) == bad
    assert "plan.parquet" in str(caught.value)


def test_one_error_lists_ids_and_validity_together_beside_the_build():
    geoms = voronoi(MANY)
    geoms[10] = bowtie(*shapely.get_coordinates(geoms[10])[0])
    ids = [f"A{i:05d}" for i in range(MANY)]
    ids[20] = ids[19]
    with pytest.raises(ValidationError) as caught:
        AreaIndex.from_frame(frame(geoms, ids))
    found = {(p.index, p.field) for p in caught.value.problems}
    assert found == {(20, "id"), (10, "geometry")}


def test_the_build_counts_every_coordinate_without_counting_again():
    geoms = voronoi(MANY, seed=1)
    index = AreaIndex.from_frame(frame(geoms))
    assert index.stats["vertices"] == int(shapely.get_num_coordinates(geoms).sum())
    x, y = shapely.get_coordinates(shapely.point_on_surface(geoms)).T
    assert np.array_equal(index.locate(x, y), np.arange(MANY))


@pytest.mark.parametrize("seed", [0, 5])
def test_winding_labels_equal_the_pairing_of_crossings(seed):
    """Two methods for the area holding each cell centre: winding sums of signed
    crossings (the build's), and crossings paired along each row per area (its
    fallback, orientation-free). Away from overlaps they agree on every cell."""
    geoms = voronoi(400, seed=seed)
    # clockwise shells in the mix
    geoms[::7] = [shapely.Polygon(g.exterior.coords[::-1]) for g in geoms[::7]]
    index = AreaIndex.from_arrays(geoms.copy(), np.arange(len(geoms)).astype(object))
    rank = np.asarray(index._rank)
    order = np.argsort(rank)
    seg = _build.signed_segments(geoms)
    _, label = _build._scan(seg, rank, index._grid)
    assert label is not None
    nx, ny = index._grid[4], index._grid[5]
    runs = _build.centre_runs(*_build._grid_units(seg, index._grid), seg.owner, nx, ny)
    paired, _ = _build.label_centres(runs, rank, order, nx * ny)
    assert np.array_equal(label, paired)
    assert (label >= 0).mean() > 0.5


def test_the_storage_crs_codes_are_those_of_the_crs_module():
    from geogrid.crs import _GEOGRAPHIC_EQUIVALENT

    assert _checks.STORAGE_EPSG == frozenset(_GEOGRAPHIC_EQUIVALENT)
