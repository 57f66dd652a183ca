"""The lookup table of :class:`AreaIndex`, checked cell by cell and point by point against shapely.

The build labels cell centres by winding numbers along rows and lists, per
boundary cell, the areas with an edge there (plus any covering the centre
without one). These tests hold it to its contract: every pure cell lies in
one area (or none) and names the lowest-rank area covering it; every area
touching a boundary cell is in that cell's list; and lookups give shapely's
answer, with rings of either orientation, holes, multipolygons and overlaps.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from benchmarks.locate.bench_locate import voronoi_cells
from geogrid.locate import AreaIndex

EXTENT = (121.49, 31.225, 121.52, 31.25)


def voronoi(n: int, seed: int = 0, extent=EXTENT) -> np.ndarray:
    return voronoi_cells(n, extent, np.random.default_rng(seed))


def reversed_rings(geoms: np.ndarray) -> np.ndarray:
    """The same polygons with every ring walked the other way (shells clockwise)."""
    return np.array([_reverse(g) for g in geoms], dtype=object)


def _reverse(g):
    if isinstance(g, MultiPolygon):
        return MultiPolygon([_reverse(p) for p in g.geoms])
    return Polygon(g.exterior.coords[::-1], [r.coords[::-1] for r in g.interiors])


def with_holes_and_parts() -> np.ndarray:
    """A tiling whose pieces have holes (filled by other pieces) and several parts,
    rings oriented both ways."""
    tiles = list(voronoi(60, seed=4))
    lake = shapely.Point(121.505, 31.2375).buffer(0.003, quad_segs=6)
    island = shapely.Point(121.505, 31.2375).buffer(0.0012, quad_segs=5)
    tiles = [t.difference(lake) for t in tiles]
    tiles = [t for t in tiles if not t.is_empty]
    ring = lake.difference(island)                     # a polygon with a hole
    pieces = [ring, island]
    east = box(121.521, 31.226, 121.523, 31.228)
    west = box(121.486, 31.246, 121.488, 31.248)
    pieces.append(MultiPolygon([east, west]))          # two parts outside the tiling
    geoms = np.array(tiles + pieces, dtype=object)
    flip = np.arange(len(geoms)) % 2 == 1
    geoms[flip] = reversed_rings(geoms[flip])
    return geoms


def overlapping() -> np.ndarray:
    """Children, a parent over several of them and a thin sliver over their edges."""
    kids = list(voronoi(40, seed=2))
    parent = box(121.497, 31.231, 121.511, 31.244)
    sliver = box(121.5049, 31.225, 121.5051, 31.25)
    nested = box(121.50, 31.235, 121.503, 31.238)       # inside the parent, no edge of it near
    return np.array(kids + [parent, sliver, nested], dtype=object)


def sliver_inside() -> np.ndarray:
    """A tiling and a sliver 2e-7° wide lying inside one tile: no cell centre is
    covered twice, yet the tile (no edge of it near) must join the lists of the
    cells the sliver's edges cross."""
    tiles = list(voronoi(30, seed=5))
    tile = max(tiles, key=lambda t: t.area)
    c = tile.representative_point()
    sliver = box(c.x - 0.0004, c.y - 1e-7, c.x + 0.0004, c.y + 1e-7).intersection(tile)
    return np.array(tiles + [sliver], dtype=object)


def expected(geoms: np.ndarray, rank: np.ndarray, x, y) -> np.ndarray:
    """shapely's answer with the index's tie-break: lowest rank among covering areas."""
    qi, qa = shapely.STRtree(geoms).query(shapely.points(x, y), predicate="intersects")
    best = np.full(len(x), len(geoms), dtype=np.intp)
    np.minimum.at(best, qi, rank[qa])
    out = np.full(len(x), -1, dtype=np.intp)
    found = best < len(geoms)
    out[found] = np.argsort(rank)[best[found]]
    return out


def index_of(geoms: np.ndarray, **kw) -> tuple[AreaIndex, np.ndarray]:
    # ids unrelated to position, so a tie won by position would be caught
    order = np.random.default_rng(5).permutation(len(geoms))
    ids = np.array([f"A{k:04d}" for k in order], dtype=object)
    rank = np.empty(len(ids), dtype=np.intp)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    return AreaIndex.from_arrays(geoms, ids, **kw), rank


def edge_offsets(geoms: np.ndarray, offsets) -> tuple[np.ndarray, np.ndarray]:
    """Points off the middle of every edge, on both sides, at each offset (degrees)."""
    xy = shapely.get_coordinates(shapely.get_rings(shapely.get_parts(geoms)))
    a, b = xy[:-1], xy[1:]
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    ok = length > 0
    mid, normal = ((a + b) / 2)[ok], (np.c_[-d[:, 1], d[:, 0]] / np.where(ok, length, 1)[:, None])[ok]
    pts = [mid + s * e * normal for e in offsets for s in (-1, 1)] + [mid, xy]
    pts = np.vstack(pts)
    return pts[:, 0], pts[:, 1]


CASES = {"tiling": lambda: voronoi(300), "holes, parts, either orientation": with_holes_and_parts,
         "overlaps": overlapping, "sliver inside an area": sliver_inside}
OVERLAPPING = ("overlaps", "sliver inside an area")


@pytest.mark.parametrize("case", list(CASES))
def test_every_cell_names_what_touches_it(case):
    geoms = CASES[case]()
    index, rank = index_of(geoms, max_cells=1 << 14)
    x0, y0, sx, sy, nx, ny = index._grid
    lut = np.asarray(index._lut)
    cells = np.arange(nx * ny)
    col, row = cells % nx, cells // nx
    eps = 1e-10                                   # well inside the 1e-9° margin
    boxes = shapely.box(x0 + col / sx + eps, y0 + row / sy + eps,
                        x0 + (col + 1) / sx - eps, y0 + (row + 1) / sy - eps)
    ci, ga = shapely.STRtree(geoms).query(boxes, predicate="intersects")
    touching = [set() for _ in cells]
    for c, g in zip(ci.tolist(), ga.tolist()):
        touching[c].add(g)
    pure = np.flatnonzero(lut >= -1)
    assert 0 < len(pure) < len(cells)
    for c in pure:
        areas = touching[c]
        assert all(shapely.covers(geoms[g], boxes[c]) for g in areas), (case, c)
        want = min(areas, key=lambda g: rank[g]) if areas else -1
        assert lut[c] == want, (case, c)
    for c in np.flatnonzero(lut < -1):
        k = -2 - lut[c]
        listed = set(np.asarray(index._set_items[index._set_ptr[k]:index._set_ptr[k + 1]]).tolist())
        assert touching[c] <= listed, (case, c, touching[c] - listed)
    assert index.stats["overlaps"] == (case in OVERLAPPING)


def test_an_area_under_a_sliver_joins_the_lists_without_a_doubly_covered_centre():
    """The winding labels see no overlap here; the check of each boundary cell's
    centre against its list is what finds the tile under the sliver."""
    from geogrid.locate import _build

    geoms = sliver_inside()
    index, rank = index_of(geoms, max_cells=1 << 14)
    seg = _build.signed_segments(geoms)
    _, label = _build._scan(seg, rank, index._grid)
    assert label is not None                       # no centre in two areas
    assert index.stats["overlaps"]
    c = shapely.centroid(geoms[-1])
    x = np.r_[np.linspace(c.x - 0.0005, c.x + 0.0005, 2001), np.full(401, c.x)]
    y = np.r_[np.full(2001, c.y), np.linspace(c.y - 2e-4, c.y + 2e-4, 401)]
    got = index.locate(x, y)
    assert np.array_equal(got, expected(geoms, rank, x, y))
    assert {len(geoms) - 1, int(np.argmax([g.area for g in geoms[:-1]]))} <= set(got.tolist())


@pytest.mark.parametrize("case", list(CASES))
def test_points_at_and_near_edges_match_shapely(case):
    geoms = CASES[case]()
    index, rank = index_of(geoms)
    x, y = edge_offsets(geoms, [1e-6, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13])
    got = index.locate(x, y)
    assert np.array_equal(got, expected(geoms, rank, x, y))
    assert (got >= 0).mean() > 0.5


def test_a_million_random_points_match_shapely():
    geoms = voronoi(300)
    index, rank = index_of(geoms)
    rng = np.random.default_rng(9)
    minx, miny, maxx, maxy = EXTENT
    x = rng.uniform(minx - 0.002, maxx + 0.002, 1_000_000)
    y = rng.uniform(miny - 0.002, maxy + 0.002, 1_000_000)
    got = index.locate(x, y)
    assert np.array_equal(got, expected(geoms, rank, x, y))
    assert 0.7 < (got >= 0).mean() < 1


@pytest.mark.parametrize("make", [with_holes_and_parts, lambda: voronoi(200, seed=3)])
def test_orientation_does_not_change_the_table(make):
    geoms = make()
    a, _ = index_of(geoms)
    b, _ = index_of(reversed_rings(geoms))
    assert np.array_equal(np.asarray(a._lut), np.asarray(b._lut))
    assert np.array_equal(np.asarray(a._set_items), np.asarray(b._set_items))
    assert not a.stats["overlaps"] and not b.stats["overlaps"]     # no fallback either way


def test_an_index_of_a_frame_keeps_its_own_unprepared_copies():
    import geopandas as gpd

    geoms = voronoi(50)
    shapely.prepare(geoms)
    frame = gpd.GeoDataFrame({"id": [f"A{i:03d}" for i in range(len(geoms))]}, geometry=geoms,
                             crs="EPSG:4490")
    index = AreaIndex.from_frame(frame)
    own = index._geoms
    assert not shapely.is_prepared(own).any()
    assert not any(g is h for g, h in zip(own, geoms))
    assert shapely.equals(own, geoms).all()
