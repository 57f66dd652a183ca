"""Graph algorithms: METIS wrapper, contiguity repair, balance refinement, bounds."""

from __future__ import annotations

import numpy as np
import pytest

from geogrid.partition.graph import (CellGraph, allocate_parts, cv, cv_lower_bound,
                                     ensure_parts, is_contiguous, metis_partition,
                                     refine_balance, repair_contiguity, split_part)


def lattice(nx, ny, weight=None, barrier_col=None):
    """A grid graph; edges crossing column ``barrier_col`` are barriers (soft = 0)."""
    idx = np.arange(nx * ny).reshape(ny, nx)
    a, b, soft = [], [], []
    for y in range(ny):
        for x in range(nx):
            if x + 1 < nx:
                a.append(idx[y, x]); b.append(idx[y, x + 1])
                soft.append(0.0 if barrier_col is not None and x + 1 == barrier_col else 1.0)
            if y + 1 < ny:
                a.append(idx[y, x]); b.append(idx[y + 1, x]); soft.append(1.0)
    n = nx * ny
    w = np.ones(n) if weight is None else weight
    length = np.ones(len(a))
    aff = np.where(np.array(soft) > 0, 1.0, 0.01)
    return CellGraph.from_edges(n, w, np.array(a), np.array(b), length, aff, np.array(soft))


def test_metis_balanced_contiguous_and_seeded():
    g = lattice(20, 20)
    labels = metis_partition(g, 8, seed=1)
    assert labels.max() + 1 == 8
    assert is_contiguous(g, labels)
    assert cv(np.bincount(labels, weights=g.weight)) < 0.05
    assert np.array_equal(labels, metis_partition(g, 8, seed=1))


def test_metis_cuts_along_barrier():
    g = lattice(10, 10, barrier_col=5)
    labels = metis_partition(g, 2, seed=0)
    left = labels.reshape(10, 10)[:, :5]
    right = labels.reshape(10, 10)[:, 5:]
    assert len(np.unique(left)) == 1 and len(np.unique(right)) == 1
    assert left[0, 0] != right[0, 0]


def test_repair_moves_fragment_to_longest_boundary_neighbour():
    g = lattice(6, 1)
    labels = np.array([0, 0, 1, 0, 1, 1])  # 3 is a fragment of part 0, 2 one of part 1
    fixed = repair_contiguity(g, labels)
    assert is_contiguous(g, fixed)
    assert fixed.tolist() == [0, 0, 0, 1, 1, 1]
    g3 = lattice(3, 3)
    labels = np.array([0, 0, 1,
                       0, 1, 1,
                       1, 1, 0])  # the corner 8 is a fragment of part 0 inside part 1
    assert repair_contiguity(g3, labels).tolist() == [0, 0, 1, 0, 1, 1, 1, 1, 1]


def test_refine_lowers_cv_and_keeps_contiguity():
    rng = np.random.default_rng(4)
    g = lattice(15, 15, weight=rng.uniform(1, 3, 225))
    labels = np.repeat(np.arange(5), 45)  # 5 horizontal bands of 3 rows, unbalanced weights
    before = cv(np.bincount(labels, weights=g.weight))
    after_labels = refine_balance(g, labels, cv_target=0.0)
    after = cv(np.bincount(after_labels, weights=g.weight))
    assert after < before
    assert after < 0.02
    assert is_contiguous(g, after_labels)


def test_refine_respects_barriers_unless_needed():
    g = lattice(10, 4, barrier_col=5)
    # parts split at column 3; the barrier is at column 5: part 1 is heavier
    labels = np.tile(np.r_[np.zeros(3, int), np.ones(7, int)], 4)
    out = refine_balance(g, labels, cross_barriers=False, cv_target=0.0)
    assert cv(np.bincount(out)) < cv(np.bincount(labels))
    assert is_contiguous(g, out)
    # with the parts split exactly at the barrier and balanced, nothing moves
    labels = np.tile(np.r_[np.zeros(5, int), np.ones(5, int)], 4)
    assert np.array_equal(refine_balance(g, labels, cross_barriers=False), labels)


def test_allocate_parts_and_lower_bound():
    assert allocate_parts(10, np.array([70.0, 30.0]), np.array([50, 50])).tolist() == [7, 3]
    assert allocate_parts(1, np.array([1.0, 1.0, 1.0]), np.array([2, 2, 2])).tolist() == [1, 1, 1]
    assert cv_lower_bound(np.ones(100), 10) == 0.0
    lb = cv_lower_bound(np.array([500.0] + [10.0] * 100), 6)
    assert lb == pytest.approx(cv(np.array([500, 200, 200, 200, 200, 200.0])))


def test_split_and_ensure_parts():
    g = lattice(8, 8)
    labels = np.zeros(64, dtype=int)
    two = split_part(g, labels, 0, 1)
    assert set(two) == {0, 1} and is_contiguous(g, two)
    assert abs(np.bincount(two)[0] - 32) <= 4
    five = ensure_parts(g, labels, 5)
    assert five.max() + 1 == 5 and is_contiguous(g, five)


def test_engine_and_metrics_agree_on_the_nearest_housing():
    """An office between two housing blocks joins the one nearer on foot, not in a line."""
    import geopandas as gpd
    import shapely

    from geogrid.partition import partition
    from geogrid.rule_metrics import rule_metrics

    local = "+proj=tmerc +lat_0=31.23 +lon_0=121.5 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m"

    def frame(geoms, **cols):
        gs = gpd.GeoSeries(list(geoms), crs=local).to_crs("EPSG:4490")
        return gpd.GeoDataFrame(cols, geometry=gs.values, crs="EPSG:4490")

    parent = frame([shapely.box(0, 0, 400, 200)], id=["g"])
    homes = [shapely.box(20, 80, 60, 120), shapely.box(340, 80, 380, 120)]
    # the office at x=230 is nearer the east block in a straight line (110 m against
    # 170 m) but a path leads from it straight to the west block, while the east one
    # is reached only by a detour far to the north
    objs = frame(homes + [shapely.box(225, 95, 235, 105)], id=["west", "east", "office"],
                 type=["building", "building", "building"], households=[250.0, 250.0, 0.0],
                 business_type=[None, None, "office"])
    roads = frame([shapely.LineString([(60, 100), (230, 100)]),
                   shapely.LineString([(230, 100), (230, 600), (360, 600), (360, 120)])],
                  kind=["path", "path"])
    # boundary smoothing off: it may trade an attachment for a boundary on a road
    res = partition(parent, objs, roads, n_microgrids=2, kind="residential", cv_target=0.5,
                    smooth_boundaries=False)
    assert res.assignment["office"] == res.assignment["west"] != res.assignment["east"]
    near = rule_metrics(parent, res.microgrids, objs, roads)["grid"]["nearest"]
    assert near["method"] == "walking" and near["not_nearest"] == 0
