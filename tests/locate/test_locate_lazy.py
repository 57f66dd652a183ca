"""The lazy index (``AreaIndex.from_frame(..., lazy=True)``) gives the lookup table's answers.

It answers from bucketed bounding boxes and a numpy crossing test, handing
points within a rounding error of an edge to GEOS; these tests compare it
with shapely and with the built table on interiors, shared edges, vertices,
holes, multipolygons, overlaps and missing coordinates.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from geogrid.locate import AreaIndex
from tests.test_locate import (LAT0, LON0, STEP, edge_points, expected, frame, squares, uniform,
                               vertices, voronoi)


def both(areas, **kw):
    return AreaIndex.from_frame(areas, lazy=True, **kw), AreaIndex.from_frame(areas, **kw)


def test_voronoi_interiors_edges_and_vertices_match_shapely_and_the_table():
    areas = voronoi(300, seed=5)
    lazy, built = both(areas)
    assert "lazy" in repr(lazy)
    x, y = uniform(areas.total_bounds, 50_000)
    xy = np.vstack([edge_points(areas), vertices(areas)])
    x, y = np.r_[x, xy[:, 0], np.nan], np.r_[y, xy[:, 1], 31.23]
    got = lazy.locate(x, y)
    assert np.array_equal(got, expected(areas, x, y))
    assert np.array_equal(got, built.locate(x, y))
    assert got[-1] == -1 and (got == -1).any() and (got >= 0).mean() > 0.7
    assert [lazy.locate_one(a, b) for a, b in xy[::11]] == got[len(x) - len(xy) - 1:-1][::11].tolist()


def test_ties_on_square_edges_follow_the_tie_break_column():
    areas = squares(4)
    areas["code"] = [f"3101{k:02d}" for k in range(len(areas))][::-1]
    lines = [LON0 + i * STEP for i in range(5)]
    t = np.linspace(LAT0, LAT0 + 4 * STEP, 41)
    x = np.r_[np.repeat(lines, len(t)), np.tile(t - LAT0 + LON0, 5)]
    y = np.r_[np.tile(t, 5), np.repeat([LAT0 + j * STEP for j in range(5)], len(t))]
    for key in ("id", "code"):
        lazy, built = both(areas, tie_break=key)
        assert np.array_equal(lazy.locate(x, y), expected(areas, x, y, key=key))
        assert np.array_equal(lazy.locate(x, y), built.locate(x, y))


def test_holes_multipolygons_and_overlaps():
    outer = box(LON0, LAT0, LON0 + 4 * STEP, LAT0 + 4 * STEP)
    hole = box(LON0 + STEP, LAT0 + STEP, LON0 + 2 * STEP, LAT0 + 2 * STEP)
    donut = Polygon(outer.exterior.coords, [hole.exterior.coords])
    split = MultiPolygon([box(LON0 + 4 * STEP, LAT0, LON0 + 5 * STEP, LAT0 + STEP),
                          box(LON0 + 4 * STEP, LAT0 + 3 * STEP, LON0 + 5 * STEP, LAT0 + 4 * STEP)])
    over = box(LON0 + 0.5 * STEP, LAT0 + 0.5 * STEP, LON0 + 1.5 * STEP, LAT0 + 1.5 * STEP)
    areas = frame([donut, split, over], ["B", "C", "A"])
    lazy, built = both(areas)
    x, y = uniform(areas.total_bounds, 30_000, margin=0.0005)
    xy = edge_points(areas, per_edge=4)
    x, y = np.r_[x, xy[:, 0]], np.r_[y, xy[:, 1]]
    got = lazy.locate(x, y)
    assert np.array_equal(got, expected(areas, x, y))
    assert set(np.unique(got)) == {-1, 0, 1, 2}
    assert lazy.find(LON0 + 1.7 * STEP, LAT0 + 1.7 * STEP) == -1   # in the hole, off "A"
    assert lazy.find(LON0 + 1.2 * STEP, LAT0 + 1.2 * STEP) == 2    # "A" overlaps the hole


def test_snapping_and_saving_build_what_they_need(tmp_path):
    areas = squares(2, ids=["SW", "SE", "NW", "NE"])
    lazy, built = both(areas)
    x = np.array([LON0 + 2 * STEP + 0.0002, LON0 + 0.5 * STEP])
    y = np.array([LAT0 + 0.5 * STEP, LAT0 + 0.5 * STEP])
    a, b = lazy.locate_detail(x, y, snap_m=50), built.locate_detail(x, y, snap_m=50)
    assert a.position.tolist() == b.position.tolist() == [1, 0]
    assert np.allclose(a.distance_m, b.distance_m) and a.snapped.tolist() == [True, False]
    loaded = AreaIndex.load(lazy.save(tmp_path / "index"))
    assert loaded.fingerprint == built.fingerprint == lazy.fingerprint
    assert "lazy" not in repr(lazy)                               # saving built the table
    assert lazy.locate(x, y).tolist() == loaded.locate(x, y).tolist() == [-1, 0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_seeds=st.integers(2, 60), seed=st.integers(0, 2**32 - 1), lon=st.floats(73.0, 135.0),
       lat=st.floats(18.0, 53.0), width=st.floats(1e-4, 0.3), aspect=st.floats(0.1, 10.0))
def test_property_random_voronoi_tilings(n_seeds, seed, lon, lat, width, aspect):
    bounds = (lon, lat, lon + width, lat + width * aspect)
    areas = voronoi(n_seeds, bounds, seed)
    lazy = AreaIndex.from_frame(areas, lazy=True)
    x, y = uniform(bounds, 2_000, seed=seed % 1000, margin=width * 0.05)
    xy = np.vstack([vertices(areas), edge_points(areas, per_edge=2)])
    x, y = np.r_[x, xy[:, 0]], np.r_[y, xy[:, 1]]
    assert np.array_equal(lazy.locate(x, y), expected(areas, x, y))


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_coordinates_are_unassigned(bad):
    lazy = AreaIndex.from_frame(squares(2), lazy=True)
    assert lazy.locate([bad, LON0 + 0.1 * STEP], [LAT0 + 0.1 * STEP, bad]).tolist() == [-1, -1]
    assert lazy.find(bad, LAT0) == -1


def test_batch_lookup_from_a_frame_matches_the_plan_locator():
    """The file path of ``geogrid locate`` skips the chains but answers the same columns."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import box as bbox

    from geogrid.batch import BatchLookup
    from geogrid.locate import PlanLocator

    micro = voronoi(80, seed=11)
    micro["level"], micro["code"] = "microgrid", [f"31{k:04d}" for k in range(len(micro))]
    west = micro.bounds["minx"] < micro.bounds["minx"].median()
    micro["parent_id"] = np.where(west, "C-W", "C-E")       # communities, then grids
    minx, miny, maxx, maxy = micro.total_bounds
    upper = gpd.GeoDataFrame({
        "id": ["S", "G-1", "C-W", "C-E"], "level": ["street", "grid", "community", "community"],
        "parent_id": [None, "S", "G-1", "missing-parent"], "code": [None, None, None, None]},
        geometry=[bbox(minx, miny, maxx, maxy)] * 4, crs="EPSG:4490")
    areas = pd.concat([micro, upper], ignore_index=True)
    x, y = uniform(micro.total_bounds, 5_000, seed=4)
    quick = BatchLookup.from_frame(areas)
    assert "lazy" in repr(quick.index)
    got = quick.locate(x, y)
    want = BatchLookup.from_locator(PlanLocator(areas)).locate(x, y)
    pd.testing.assert_frame_equal(got, want)
    assert set(got["grid_id"].dropna()) == {"G-1"} and got["grid_id"].isna().any()


def test_a_parent_cycle_is_named_in_both_languages():
    from geogrid._errors import InputError
    from geogrid.batch import BatchLookup

    areas = squares(2, ids=["a", "b", "c", "d"])
    areas["level"] = ["microgrid", "microgrid", "grid", "community"]
    areas["parent_id"] = ["d", "d", "d", "c"]          # d -> c -> d: no grid above a or b
    areas.loc[2, "level"] = "community"
    with pytest.raises(InputError, match="是自己的上级 / area .* is its own ancestor"):
        BatchLookup.from_frame(areas)
