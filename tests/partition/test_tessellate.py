"""The tessellation: exact coverage, roads as hard limits, footprints never cut."""

from __future__ import annotations

import numpy as np
import geopandas as gpd
import pytest
import shapely

from geogrid.partition.inputs import BarrierClass
from geogrid.partition.tessellate import tessellate

SQUARE = shapely.box(0, 0, 400, 300)


def _grid_points(n, rng, geom=SQUARE):
    minx, miny, maxx, maxy = geom.bounds
    pts = shapely.points(rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n))
    return pts[shapely.contains(geom, pts)][:n]


def test_cells_tile_the_parent_exactly_and_keep_their_seed():
    rng = np.random.default_rng(0)
    pts = _grid_points(150, rng)
    road = shapely.LineString([(200, -10), (210, 310)])
    t = tessellate(SQUARE, pts, np.arange(len(pts)), lines=np.array([road]),
                   line_classes=np.array([int(BarrierClass.MAJOR)]), line_ids=np.array(["r1"]))
    cells = np.asarray(t.cells.geometry.values)
    assert len(cells) == len(pts)
    assert abs(shapely.area(shapely.union_all(cells)) - SQUARE.area) < 1e-6
    assert abs(shapely.area(cells).sum() - SQUARE.area) < 1e-6
    assert (t.cells.geom_type == "Polygon").all()
    # every seed lies in (or on) its own cell
    for i, p in enumerate(pts):
        assert shapely.distance(cells[t.label_cell[i]], p) < 1e-6


def test_a_cell_never_crosses_a_road_between_seeded_blocks():
    rng = np.random.default_rng(1)
    pts = _grid_points(80, rng)
    road = shapely.LineString([(200, -10), (200, 310)])
    t = tessellate(SQUARE, pts, np.arange(len(pts)), lines=np.array([road]),
                   line_classes=np.array([int(BarrierClass.MINOR)]), line_ids=np.array(["r"]))
    west = shapely.box(0, 0, 200, 300)
    for g in t.cells.geometry:
        inside = shapely.area(shapely.intersection(g, west)) / shapely.area(g)
        assert inside < 1e-9 or inside > 1 - 1e-9
    crossing = t.edges[t.edges["cls"] == int(BarrierClass.MINOR)]
    assert crossing["length"].sum() == pytest.approx(300, abs=1e-6)
    assert set(crossing["source"]) == {"r"}


def test_empty_block_is_shared_out_and_dangling_roads_do_not_break_coverage():
    rng = np.random.default_rng(2)
    pts = _grid_points(40, rng, shapely.box(0, 0, 180, 300))  # nothing east of x=200
    lines = np.array([shapely.LineString([(200, -10), (200, 310)]),
                      shapely.LineString([(50, 50), (120, 80)])])  # dangling
    t = tessellate(SQUARE, pts, np.arange(len(pts)), lines=lines,
                   line_classes=np.array([3, 2]), line_ids=np.array(["a", "b"]))
    assert abs(shapely.area(np.asarray(t.cells.geometry.values)).sum() - SQUARE.area) < 1e-6
    assert len(t.cells) == len(pts)  # the empty block joined seeded cells
    assert (t.cells.geom_type == "Polygon").all()


def test_footprint_goes_whole_to_its_building():
    big = shapely.box(100, 100, 220, 140)
    pts = np.array([shapely.point_on_surface(big), shapely.Point(160, 150),
                    shapely.Point(160, 90), shapely.Point(90, 120), shapely.Point(230, 120)])
    t = tessellate(SQUARE, pts, np.arange(5), footprints=np.array([big]),
                   footprint_label=np.array([0]))
    cell = t.cells.geometry.values[t.label_cell[0]]
    assert shapely.area(shapely.intersection(cell, big)) == pytest.approx(big.area, rel=1e-9)


def test_compound_interior_belongs_to_its_own_seeds():
    comp = shapely.box(50, 50, 250, 250)
    inside = [shapely.Point(100, 100), shapely.Point(200, 200)]
    outside = [shapely.Point(260, 60), shapely.Point(40, 240)]  # street-front shops
    pts = np.array(inside + outside)
    frame = gpd.GeoDataFrame({"compound_id": ["c1"]}, geometry=[comp])
    t = tessellate(SQUARE, pts, np.arange(4), compounds=frame)
    cells = t.cells.geometry.values
    covered = sum(shapely.area(shapely.intersection(cells[t.label_cell[i]], comp))
                  for i in (0, 1))
    assert covered == pytest.approx(comp.area, rel=1e-9)
    assert list(t.cells["compound_id"][[t.label_cell[0], t.label_cell[2]]]) == ["c1", None]


def test_parent_with_hole_and_two_parts():
    a = shapely.Polygon([(0, 0), (100, 0), (100, 100), (0, 100)],
                        [[(40, 40), (60, 40), (60, 60), (40, 60)]])
    b = shapely.box(200, 0, 300, 100)
    parent = shapely.MultiPolygon([a, b])
    pts = np.array([shapely.Point(10, 10), shapely.Point(90, 90), shapely.Point(250, 50)])
    t = tessellate(parent, pts, np.arange(3))
    assert abs(shapely.area(np.asarray(t.cells.geometry.values)).sum() - parent.area) < 1e-6
    assert not shapely.intersects(shapely.union_all(t.cells.geometry.values),
                                  shapely.box(45, 45, 55, 55))
