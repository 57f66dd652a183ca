"""Tests of geogrid.locate: exactness against shapely, ties, snapping, validation."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box

from benchmarks.locate.bench_locate import voronoi_cells
from geogrid._errors import CRSError, InputError, OutOfCoverageError, ValidationError
from geogrid.locate import AreaIndex, Located, ancestors

LON0, LAT0 = 121.50, 31.23
STEP = 0.0025                      # about 240 m east-west, 280 m north-south


# ------------------------------------------------------------------ helpers
def frame(geoms, ids=None, **columns) -> gpd.GeoDataFrame:
    ids = ids if ids is not None else [f"A{i:03d}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"id": ids, **columns}, geometry=list(geoms), crs="EPSG:4490")


def expected(areas: gpd.GeoDataFrame, x, y, key: str = "id") -> np.ndarray:
    """What shapely says, with the documented tie-break: among the areas that
    cover a point (``intersects`` for a point), the smallest key, then the
    smallest position; -1 where none does."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    tree = shapely.STRtree(np.asarray(areas.geometry.values))
    qi, qa = tree.query(shapely.points(x, y), predicate="intersects")
    rank = np.empty(len(areas), dtype=np.intp)
    rank[np.argsort(areas[key].to_numpy(), kind="stable")] = np.arange(len(areas))
    out = np.full(len(x), -1, dtype=np.intp)
    best = np.full(len(x), len(areas), dtype=np.intp)
    np.minimum.at(best, qi, rank[qa])
    found = best < len(areas)
    order = np.argsort(rank)
    out[found] = order[best[found]]
    return out


def cover_count(areas, x, y) -> np.ndarray:
    tree = shapely.STRtree(np.asarray(areas.geometry.values))
    qi, _ = tree.query(shapely.points(np.asarray(x, float), np.asarray(y, float)),
                       predicate="intersects")
    return np.bincount(qi, minlength=len(x))


def squares(n: int = 4, ids=None) -> gpd.GeoDataFrame:
    """An n x n block of squares whose edges sit on exactly representable
    shared coordinates, so points can lie exactly on them."""
    xs = [LON0 + i * STEP for i in range(n + 1)]
    ys = [LAT0 + j * STEP for j in range(n + 1)]
    geoms = [box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for j in range(n) for i in range(n)]
    # ids run against the positions, so a tie won by position would be caught
    ids = ids if ids is not None else [f"Q{len(geoms) - 1 - k:02d}" for k in range(len(geoms))]
    return frame(geoms, ids)


def voronoi(n: int, bounds=(121.49, 31.225, 121.52, 31.25), seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    cells = voronoi_cells(n, bounds, rng)
    order = rng.permutation(len(cells))       # ids unrelated to position
    return frame(cells, [f"MG{int(k):04d}" for k in order])


def vertices(areas) -> np.ndarray:
    return np.unique(shapely.get_coordinates(np.asarray(areas.geometry.values)), axis=0)


def edge_points(areas, per_edge: int = 3) -> np.ndarray:
    """Points along every edge (on it up to rounding), plus the vertices."""
    xy = shapely.get_coordinates(shapely.get_rings(shapely.get_parts(
        np.asarray(areas.geometry.values))))
    t = np.linspace(0, 1, per_edge + 2)[1:-1]
    a, b = xy[:-1], xy[1:]
    along = (a[:, None, :] + t[None, :, None] * (b - a)[:, None, :]).reshape(-1, 2)
    return np.vstack([along, xy])


def uniform(bounds, n, seed=1, margin=0.002):
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = bounds
    return (rng.uniform(minx - margin, maxx + margin, n),
            rng.uniform(miny - margin, maxy + margin, n))


# --------------------------------------------------------------- exactness
def test_random_points_match_shapely_on_a_voronoi_tiling():
    areas = voronoi(300)
    index = AreaIndex.from_frame(areas)
    x, y = uniform(areas.total_bounds, 100_000)
    got = index.locate(x, y)
    assert np.array_equal(got, expected(areas, x, y))
    assert (got == -1).any() and (got >= 0).mean() > 0.7
    assert not index.stats["overlaps"]
    # at most 128 cells per ring segment: about 10 % boundary cells here
    assert 0 < index.stats["boundary_fraction"] < 0.2
    assert index.stats["grid"][0] * index.stats["grid"][1] <= 128 * index.stats["vertices"]


def test_points_on_shared_edges_and_vertices_go_to_exactly_one_area():
    areas = squares(4)
    index = AreaIndex.from_frame(areas)
    lines_x = [LON0 + i * STEP for i in range(5)]
    lines_y = [LAT0 + j * STEP for j in range(5)]
    t = np.linspace(LAT0, LAT0 + 4 * STEP, 97)
    x = np.concatenate([np.repeat(lines_x, len(t)), np.tile(t - LAT0 + LON0, len(lines_y))])
    y = np.concatenate([np.tile(t, len(lines_x)), np.repeat(lines_y, len(t))])
    covers = cover_count(areas, x, y)
    assert (covers >= 2).sum() > 300                  # many points really on shared edges
    assert (covers == 4).sum() == 2 * 9               # inner vertices (on a row and a column)
    got = index.locate(x, y)
    want = expected(areas, x, y)
    assert np.array_equal(got, want)
    assert (got >= 0).all()                           # the outer edge is covered too
    # ids run against positions, so the smallest id is the last covering row
    geoms = np.asarray(areas.geometry.values)
    last_row = [np.flatnonzero(shapely.intersects_xy(geoms, a, b)).max() for a, b in zip(x, y)]
    assert got.tolist() == last_row
    # single lookups apply the same rule
    assert [index.locate_one(a, b) for a, b in zip(x, y)] == got.tolist()


def test_shared_edges_of_a_voronoi_tiling():
    areas = voronoi(120, seed=3)
    index = AreaIndex.from_frame(areas)
    xy = edge_points(areas)
    got = index.locate(xy[:, 0], xy[:, 1])
    assert (cover_count(areas, xy[:, 0], xy[:, 1]) >= 2).sum() > 100
    assert np.array_equal(got, expected(areas, xy[:, 0], xy[:, 1]))
    assert [index.locate_one(a, b) for a, b in xy[::7]] == got[::7].tolist()


def test_tie_break_column_decides_shared_edges():
    areas = squares(2, ids=["a", "b", "c", "d"])
    areas["code"] = ["310115007001004", "310115007001003", "310115007001002", "310115007001001"]
    x_mid, y_mid = LON0 + STEP, LAT0 + STEP          # the vertex all four share
    by_id = AreaIndex.from_frame(areas)
    by_code = AreaIndex.from_frame(areas, tie_break="code")
    assert by_id.locate_one(x_mid, y_mid) == 0
    assert by_code.locate_one(x_mid, y_mid) == 3
    assert by_code.locate([x_mid], [y_mid]).tolist() == [3]
    xy = edge_points(areas, per_edge=5)
    assert np.array_equal(by_code.locate(xy[:, 0], xy[:, 1]),
                          expected(areas, xy[:, 0], xy[:, 1], key="code"))


def test_holes_and_multipolygons():
    outer = box(LON0, LAT0, LON0 + 4 * STEP, LAT0 + 4 * STEP)
    hole_b = box(LON0 + STEP, LAT0 + STEP, LON0 + 2 * STEP, LAT0 + 2 * STEP)
    hole_empty = box(LON0 + 2.5 * STEP, LAT0 + 2.5 * STEP, LON0 + 3.5 * STEP, LAT0 + 3.5 * STEP)
    donut = Polygon(outer.exterior.coords,
                    [hole_b.exterior.coords, hole_empty.exterior.coords])
    island = Polygon([(LON0 + 1.2 * STEP, LAT0 + 1.2 * STEP),
                      (LON0 + 1.8 * STEP, LAT0 + 1.3 * STEP),
                      (LON0 + 1.5 * STEP, LAT0 + 1.8 * STEP)])
    inner = hole_b.difference(island)                   # polygon with a hole, filled by island
    split = MultiPolygon([box(LON0 + 4 * STEP, LAT0, LON0 + 5 * STEP, LAT0 + STEP),
                          box(LON0 + 4 * STEP, LAT0 + 3 * STEP, LON0 + 5 * STEP, LAT0 + 4 * STEP)])
    areas = frame([donut, inner, island, split])
    index = AreaIndex.from_frame(areas)
    x, y = uniform(areas.total_bounds, 40_000, margin=0.0005)
    xy = edge_points(areas, per_edge=4)
    x, y = np.r_[x, xy[:, 0]], np.r_[y, xy[:, 1]]
    got = index.locate(x, y)
    assert np.array_equal(got, expected(areas, x, y))
    assert set(np.unique(got)) == {-1, 0, 1, 2, 3}
    # inside the unfilled hole: nothing; inside the island: the island
    assert index.locate_one(LON0 + 1.5 * STEP, LAT0 + 1.4 * STEP) == 2
    assert index.locate([LON0 + 3 * STEP], [LAT0 + 3 * STEP]).tolist() == [-1]
    assert index.locate_one(LON0 + 4.5 * STEP, LAT0 + 3.5 * STEP) == 3


def test_overlapping_areas_are_still_exact():
    """Not a coverage (e.g. parents passed with their children): the smallest
    key among all covering areas wins, exactly as shapely says."""
    children = squares(3)
    parent = box(LON0 + 0.5 * STEP, LAT0 + 0.5 * STEP, LON0 + 2.3 * STEP, LAT0 + 2.9 * STEP)
    sliver = box(LON0 + 0.999 * STEP, LAT0, LON0 + 1.001 * STEP, LAT0 + 3 * STEP)
    areas = frame(list(children.geometry) + [parent, sliver],
                  list(children["id"]) + ["P", "A-sliver"])
    index = AreaIndex.from_frame(areas)
    assert index.stats["overlaps"]
    x, y = uniform(areas.total_bounds, 50_000, margin=0.0005)
    xy = edge_points(areas)
    x, y = np.r_[x, xy[:, 0]], np.r_[y, xy[:, 1]]
    got = index.locate(x, y)
    assert np.array_equal(got, expected(areas, x, y))
    assert (got == len(areas) - 1).any()              # the sliver wins where it lies


@pytest.mark.parametrize("max_cells", [64, 5_000, 1 << 22])
def test_any_grid_resolution_is_exact(max_cells):
    areas = voronoi(60, seed=7)
    index = AreaIndex.from_frame(areas, max_cells=max_cells)
    assert index.stats["grid"][0] * index.stats["grid"][1] <= max_cells
    x, y = uniform(areas.total_bounds, 20_000, seed=max_cells)
    xy = vertices(areas)
    x, y = np.r_[x, xy[:, 0]], np.r_[y, xy[:, 1]]
    assert np.array_equal(index.locate(x, y), expected(areas, x, y))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_seeds=st.integers(2, 80),
    seed=st.integers(0, 2**32 - 1),
    lon=st.floats(73.0, 135.0),
    lat=st.floats(18.0, 53.0),
    width=st.floats(1e-4, 0.3),
    aspect=st.floats(0.1, 10.0),
    max_cells=st.sampled_from([64, 4_096, 200_000, 1 << 22]),
)
def test_property_random_voronoi_tilings(n_seeds, seed, lon, lat, width, aspect, max_cells):
    bounds = (lon, lat, lon + width, lat + width * aspect)
    areas = voronoi(n_seeds, bounds, seed)
    index = AreaIndex.from_frame(areas, max_cells=max_cells)
    x, y = uniform(bounds, 3_000, seed=seed % 1000, margin=width * 0.05)
    got = index.locate(x, y)
    want = expected(areas, x, y)
    off_edge = cover_count(areas, x, y) <= 1
    assert np.array_equal(got[off_edge], want[off_edge])   # shapely's answer
    assert np.array_equal(got, want)                       # and the tie-break on edges
    xy = vertices(areas)
    assert np.array_equal(index.locate(xy[:, 0], xy[:, 1]), expected(areas, xy[:, 0], xy[:, 1]))


# ----------------------------------------------------- outside and snapping
@pytest.fixture(scope="module")
def block():
    areas = squares(2, ids=["SW", "SE", "NW", "NE"])
    return areas, AreaIndex.from_frame(areas)


def east_of(metres: float, lat: float):
    """A point ``metres`` east of the block's east edge, on latitude ``lat``."""
    lon, _, _ = Geod(ellps="GRS80").fwd(LON0 + 2 * STEP, lat, 90, metres)
    return lon, lat


def test_outside_and_missing_points(block):
    _, index = block
    x = [LON0 - 0.01, LON0 + 0.5 * STEP, np.nan, LON0 + STEP, np.inf, -np.inf]
    y = [LAT0 + 0.5 * STEP, np.nan, LAT0 + STEP, LAT0 + 0.5 * STEP, LAT0, LAT0]
    assert index.locate(x, y).tolist() == [-1, -1, -1, 1, -1, -1]
    hit = index.locate_detail(x, y, snap_m=10_000)
    assert isinstance(hit, Located)
    assert hit.position.tolist() == [0, -1, -1, 1, -1, -1]
    assert hit.snapped.tolist() == [True, False, False, False, False, False]
    assert np.isnan(hit.distance_m[[1, 2, 4, 5]]).all()


def test_snapping_within_and_beyond_the_distance(block):
    areas, index = block
    lon, lat = east_of(50.0, LAT0 + 0.5 * STEP)         # 50 m east of "SE"
    assert index.locate([lon], [lat]).tolist() == [-1]
    assert index.locate([lon], [lat], snap_m=100).tolist() == [1]
    assert index.locate([lon], [lat], snap_m=40).tolist() == [-1]
    near = index.locate_detail([lon], [lat], snap_m=100)
    assert near.position.tolist() == [1] and near.snapped.tolist() == [True]
    assert near.distance_m[0] == pytest.approx(50.0, abs=0.01)      # metres, not degrees
    far = index.locate_detail([lon], [lat], snap_m=40)
    assert far.position.tolist() == [-1] and far.snapped.tolist() == [False]
    assert far.distance_m[0] == pytest.approx(50.0, abs=0.01)
    assert index.locate_one(lon, lat, snap_m=100) == 1
    with pytest.raises(OutOfCoverageError) as caught:
        index.locate_one(lon, lat, snap_m=40)
    text = str(caught.value)
    assert "'SE'" in text and "50.0 m" in text and "snap_m >= 51" in text
    assert caught.value.to_dict()["code"] == "out_of_coverage"
    positions, distances = index.nearest([lon, LON0 + 0.1 * STEP], [lat, LAT0 + 0.1 * STEP])
    assert positions.tolist() == [1, 0] and distances[1] == 0
    positions, _ = index.nearest([lon], [lat], max_distance_m=10)
    assert positions.tolist() == [-1]


def test_snapping_tie_goes_to_the_smallest_key(block):
    _, index = block
    lon, lat = east_of(30.0, LAT0 + STEP)             # level with the SE/NE shared corner
    hit = index.locate_detail([lon], [lat], snap_m=100)
    assert hit.position.tolist() == [3]               # "NE" < "SE"
    assert index.locate_one(lon, lat, snap_m=100) == 3


def test_out_of_coverage_message_hints_at_swapped_coordinates(block):
    _, index = block
    with pytest.raises(OutOfCoverageError, match="swapped"):
        index.locate_one(LAT0 + 0.5 * STEP, LON0 + 0.5 * STEP)
    with pytest.raises(OutOfCoverageError, match="GCJ-02"):
        index.locate_one(LON0 + 0.01, LAT0)


def test_locate_frame(block):
    _, index = block
    points = gpd.GeoDataFrame(
        {"name": ["in", "snapped", "missing", "far"]},
        geometry=[shapely.Point(LON0 + 1.5 * STEP, LAT0 + 0.5 * STEP),
                  shapely.Point(*east_of(20.0, LAT0 + 1.5 * STEP)), None,
                  shapely.Point(LON0 + 0.1, LAT0)],
        index=[10, 11, 12, 13], crs="EPSG:4326")
    out = index.locate_frame(points, snap_m=25)
    assert list(out.columns) == ["position", "area_id", "snapped", "distance_m"]
    assert out.index.tolist() == [10, 11, 12, 13]
    assert out["position"].tolist() == [1, 3, -1, -1]
    assert out["area_id"].tolist()[:2] == ["SE", "NE"] and out["area_id"].iloc[2:].isna().all()
    assert out["snapped"].tolist() == [False, True, False, False]
    assert out["distance_m"].iloc[1] == pytest.approx(20.0, abs=0.01)
    assert np.isnan(out["distance_m"].iloc[2]) and out["distance_m"].iloc[3] > 9_000
    assert index.locate_frame(points.geometry)["position"].tolist() == [1, -1, -1, -1]


def test_shapes_are_kept(block):
    _, index = block
    x = np.full((2, 3), LON0 + 0.5 * STEP)
    y = np.full((2, 3), LAT0 + 1.5 * STEP)
    assert index.locate(x, y).shape == (2, 3)
    assert (index.locate(x, y) == 2).all()
    assert index.locate([], []).shape == (0,)


# -------------------------------------------------------------- validation
def test_length_mismatch_names_the_field(block):
    _, index = block
    with pytest.raises(InputError) as caught:
        index.locate([121.5, 121.6], [31.2])
    assert caught.value.field == "lat"
    with pytest.raises(InputError):
        index.locate(["a"], [31.2])
    with pytest.raises(InputError, match="snap_m"):
        index.locate([121.5], [31.2], snap_m=-1)
    with pytest.raises(InputError):
        index.locate_one(float("nan"), 31.2)


def test_crs_is_checked():
    areas = squares(2)
    with pytest.raises(CRSError, match="no CRS"):
        AreaIndex.from_frame(areas.set_crs(None, allow_override=True))
    with pytest.raises(CRSError, match="EPSG:3857"):
        AreaIndex.from_frame(areas.to_crs(3857))
    index = AreaIndex.from_frame(areas.set_crs(4326, allow_override=True))   # same as 4490 here
    points = gpd.GeoSeries([shapely.Point(LON0 + 0.1 * STEP, LAT0 + 0.1 * STEP)])
    with pytest.raises(CRSError):
        index.locate_frame(points)
    with pytest.raises(CRSError):
        index.locate_frame(points.set_crs(3857))
    assert index.locate_frame(points.set_crs(4490))["position"].tolist() == [0]


def test_bad_areas_are_reported_all_at_once():
    bowtie = Polygon([(LON0, LAT0), (LON0 + STEP, LAT0 + STEP), (LON0 + STEP, LAT0),
                      (LON0, LAT0 + STEP)])
    areas = frame([box(LON0, LAT0, LON0 + STEP, LAT0 + STEP), bowtie, None,
                   shapely.LineString([(LON0, LAT0), (LON0 + STEP, LAT0)]), Polygon()],
                  ["a", "b", "a", "c", None])
    with pytest.raises(ValidationError) as caught:
        AreaIndex.from_frame(areas)
    problems = {(p.index, p.field) for p in caught.value.problems}
    assert problems == {(1, "geometry"), (2, "geometry"), (2, "id"), (3, "geometry"),
                        (4, "id"), (4, "geometry")}
    assert "Self-intersection" in str(caught.value)
    with pytest.raises(InputError, match="no column 'code'"):
        AreaIndex.from_frame(squares(2), id_column="code")
    with pytest.raises(InputError, match="empty"):
        AreaIndex.from_frame(squares(2).iloc[:0])
    with pytest.raises(InputError):
        AreaIndex.from_frame(pd.DataFrame({"id": [1]}))
    with pytest.raises(ValidationError):
        AreaIndex.from_frame(frame([box(400_000, 3_000_000, 400_100, 3_000_100)]))
    with pytest.raises(ValidationError, match="not a Point"):
        AreaIndex.from_frame(squares(2)).locate_frame(squares(2))


def test_ids_and_repr(block):
    areas, index = block
    assert len(index) == 4 and index.ids.tolist() == ["SW", "SE", "NW", "NE"]
    assert index.ids_at([1, -1]).tolist() == ["SE", None]
    assert "4 areas" in repr(index)


# --------------------------------------------------------------- ancestors
def test_ancestors():
    tree = pd.DataFrame({
        "id": ["S", "G1", "G2", "C1", "M1", "M2"],
        "parent_id": [None, "S", "S", "G1", "C1", "C1"],
    })
    chains = ancestors(tree)
    assert chains["S"] == ()
    assert chains["M2"] == ("C1", "G1", "S")
    assert chains["G2"] == ("S",)
    with pytest.raises(InputError, match="unknown ancestor 'X'"):
        ancestors(pd.DataFrame({"id": ["a"], "parent_id": ["X"]}))
    with pytest.raises(InputError, match="own ancestor"):
        ancestors(pd.DataFrame({"id": ["a", "b"], "parent_id": ["b", "a"]}))
    with pytest.raises(InputError, match="parent"):
        ancestors(tree.rename(columns={"parent_id": "up"}))


def test_locate_one_agrees_with_locate_everywhere():
    areas = voronoi(80, seed=11)
    index = AreaIndex.from_frame(areas)
    x, y = uniform(areas.total_bounds, 5_000, seed=5)
    got = index.locate(x, y)
    assert [index.locate_one(a, b) if g >= 0 else -1 for a, b, g in zip(x, y, got)] == \
        got.tolist()
    assert math.isclose(index.stats["cell_m"] * index.stats["grid"][1],
                        (areas.total_bounds[2] - areas.total_bounds[0]) * 111_320
                        * math.cos(math.radians(31.24)), rel_tol=0.05)
