"""Nearest area and distance of points outside every area, against brute force in metres."""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box

from geogrid.crs import metric_crs
from geogrid.locate import AreaIndex
from geogrid.locate._near import metric_crs_of_bounds, metric_pipeline, to_metric

EXTENT = (121.49, 31.225, 121.52, 31.25)


def areas() -> gpd.GeoDataFrame:
    """Voronoi microgrids with two gaps cut out, and two islands off the coast."""
    rng = np.random.default_rng(0)
    minx, miny, maxx, maxy = EXTENT
    seeds = shapely.multipoints(np.c_[rng.uniform(minx, maxx, 200), rng.uniform(miny, maxy, 200)])
    clip = box(*EXTENT)
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=clip)), clip)
    gaps = shapely.union(box(121.50, 31.23, 121.503, 31.233), box(121.51, 31.24, 121.511, 31.249))
    cells = shapely.difference(cells, gaps)
    cells = list(cells[~shapely.is_empty(cells)])
    cells += [box(121.53, 31.23, 121.531, 31.231), box(121.53, 31.233, 121.531, 31.234)]
    ids = [f"A{k:04d}" for k in rng.permutation(len(cells))]
    return gpd.GeoDataFrame({"id": ids}, geometry=cells, crs="EPSG:4490")


def brute(frame: gpd.GeoDataFrame, x, y, limit=None):
    """Nearest area in the same local metric CRS by distance to every area; lowest id wins ties."""
    crs = metric_crs(frame)
    metric = np.asarray(frame.to_crs(crs).geometry.values)
    pts = np.asarray(gpd.GeoSeries(gpd.points_from_xy(x, y), crs=frame.crs).to_crs(crs).values)
    d = shapely.distance(pts[:, None], metric[None, :])
    ids = frame["id"].to_numpy()
    rank = np.empty(len(ids), dtype=np.intp)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    best = np.lexsort((np.broadcast_to(rank, d.shape), d), axis=1)[:, 0]
    dist = d[np.arange(len(x)), best]
    if limit is not None:
        best = np.where(dist <= limit, best, -1)
    return best, dist


def probe_points():
    rng = np.random.default_rng(4)
    x = np.r_[rng.uniform(121.485, 121.535, 400), 121.5015, 121.5105, 121.5305, 121.53 - 1e-9,
              121.0, 131.0]
    y = np.r_[rng.uniform(31.22, 31.255, 400), 31.2315, 31.245, 31.2320, 31.2305, 31.0, 21.0]
    return x, y


def test_the_metric_crs_is_the_one_the_crs_module_gives():
    frame = areas()
    got = metric_crs_of_bounds(shapely.bounds(np.asarray(frame.geometry.values)))
    assert got == metric_crs(frame)


def test_the_written_out_pipeline_is_the_operation_pyproj_finds():
    """The storage CRSs skip PROJ's database lookup; the operation, and so every
    distance, is the one ``Transformer.from_crs`` gives."""
    from pyproj import CRS, Transformer

    bounds = shapely.bounds(np.asarray(areas().geometry.values))
    x, y = probe_points()
    for source in ("EPSG:4490", "EPSG:4326", CRS("EPSG:4490")):
        want = Transformer.from_crs(source, metric_crs_of_bounds(bounds), always_xy=True)
        got = to_metric(source, bounds)
        assert got.definition == want.definition == metric_pipeline(bounds)[1:].replace(" +", " ")
        assert np.array_equal(np.array(got.transform(x, y)), np.array(want.transform(x, y)))
    # any other CRS (Beijing 1954 here) still goes through pyproj's search
    want = Transformer.from_crs("EPSG:4214", metric_crs_of_bounds(bounds), always_xy=True)
    assert to_metric("EPSG:4214", bounds).definition == want.definition


def test_nearest_areas_and_distances_match_brute_force():
    frame = areas()
    index = AreaIndex.from_frame(frame)
    x, y = probe_points()
    outside = index.locate(x, y) < 0
    x, y = x[outside], y[outside]
    assert len(x) > 100
    want, want_d = brute(frame, x, y)
    # one point at a time before the box tree exists: the boxes are scanned instead
    for i in range(0, len(x), 7):
        one = index.locate_detail(x[i:i + 1], y[i:i + 1])
        assert one.position[0] == -1
        assert index._nearest_outside(x[i:i + 1], y[i:i + 1])[0][0] == want[i]
        np.testing.assert_allclose(one.distance_m[0], want_d[i], rtol=1e-9)
    assert index._metric._tree is None
    hit = index.locate_detail(x, y)
    assert np.array_equal(index._nearest_outside(x, y)[0], want)
    np.testing.assert_allclose(hit.distance_m, want_d, rtol=1e-9)
    assert (hit.distance_m > 1e5).any()                    # far points are measured too
    snapped = index.locate(x, y, snap_m=60)
    want60, _ = brute(frame, x, y, limit=60)
    assert np.array_equal(snapped, want60)
    assert 0 < (want60 >= 0).sum() < len(x)


def test_a_point_equally_near_two_areas_goes_to_the_lowest_id():
    # the same square twice (overlapping areas are allowed): exactly equal distances
    square = box(121.50, 31.23, 121.501, 31.231)
    frame = gpd.GeoDataFrame({"id": ["C", "B", "A"]},
                             geometry=[box(121.51, 31.23, 121.511, 31.231), square, square],
                             crs="EPSG:4490")
    index = AreaIndex.from_frame(frame)
    pos, snapped, dist = index.locate_one_detail(121.5005, 31.2315, snap_m=100)
    assert (pos, snapped) == (2, True) and 50 < dist < 60


def test_a_saved_index_answers_alike_with_or_without_its_bounds_file(tmp_path):
    frame = areas()
    x, y = probe_points()
    built = AreaIndex.from_frame(frame)
    path = built.save(tmp_path / "idx")
    assert (path / "bounds.npy").exists()
    old = tmp_path / "old"
    shutil.copytree(path, old)
    (old / "bounds.npy").unlink()                          # as saved before the file existed
    want = built.locate_detail(x, y, snap_m=80)
    for p in (path, old):
        got = AreaIndex.load(p).locate_detail(x, y, snap_m=80)
        assert np.array_equal(got.position, want.position)
        np.testing.assert_array_equal(got.distance_m, want.distance_m)


def test_the_box_scans_in_blocks_give_the_whole_scans_answer(monkeypatch):
    """The few-point scans (before the tree exists) run in blocks; with blocks of 7 boxes
    they still give the first nearest box and every box meeting a window."""
    import math

    from geogrid.locate import _near

    monkeypatch.setattr(_near, "_SCAN_BLOCK", 7)
    frame = areas()
    bounds = shapely.bounds(np.asarray(frame.geometry.values))
    near = _near.NearestAreas(bounds, "EPSG:4490", lambda p: None, np.arange(len(bounds)))
    rng = np.random.default_rng(3)
    for x, y in zip(rng.uniform(121.48, 121.54, 300), rng.uniform(31.22, 31.26, 300)):
        b = bounds
        dx = np.maximum(np.maximum(b[:, 0] - x, x - b[:, 2]), 0) * math.cos(math.radians(y))
        dy = np.maximum(np.maximum(b[:, 1] - y, y - b[:, 3]), 0)
        assert near._scan_nearest(x, y) == int(np.argmin(dx * dx + dy * dy))
        e = 0.002
        whole = np.flatnonzero((b[:, 0] <= x + e) & (b[:, 2] >= x - e)
                               & (b[:, 1] <= y + e) & (b[:, 3] >= y - e))
        assert near._scan_window(x - e, y - e, x + e, y + e).tolist() == whole.tolist()
