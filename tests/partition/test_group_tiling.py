"""楼组 tile their microgrid after every partition, repartition and edit.

:func:`geogrid.partition.groups.group_areas` makes the 楼组 areas every stored plan gets
(partition, edits, undo/redo, redraws all go through it). The invariant is measured by
:func:`tests.plans.group_tiling.group_problems`, in UTM 51N, on the demo layers, on a real
community cut from the OpenStreetMap extract (© OpenStreetMap contributors, ODbL 1.0) and
on synthetic cases over several seeds.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geogrid.partition import (cut_along_line, merge_microgrids, partition, restore_result,
                               split_microgrid)
from geogrid.partition.group_tiles import equal_strips
from geogrid.partition.groups import building_groups, group_areas
from partition_helpers import synthetic_case
from tests.plans.group_tiling import group_problems

OSM = Path(__file__).resolve().parents[2] / "data" / "osm" / "lujiazui"
#: a real stretch of Lujiazui east of Pudong Avenue: 上港小区 and 三航小区 with building
#: footprints, 崂山四/五村 and 招远小区 without (their 楼组 are estimates)
REAL_BOX = (121.5050, 31.2350, 121.5150, 31.2415)


def _groups(res):
    """The 楼组 areas of ``res`` with their microgrids named ``mg<id>``."""
    uid = {i: f"mg{int(i)}" for i in res.microgrids["id"]}
    mgs = gpd.GeoDataFrame({"id": [uid[i] for i in res.microgrids["id"]]},
                           geometry=res.microgrids.geometry.values, crs=res.microgrids.crs)
    return mgs, group_areas(res, uid)


def _assert_tiles(res, objects):
    mgs, groups = _groups(res)
    assert len(groups) == len(res.groups)          # no 楼组 is dropped
    assert groups["parent_id"].nunique() == int((res.microgrids["n_building_groups"] > 0).sum())
    problems = group_problems(mgs, groups, objects)
    assert not problems, "\n".join(problems[:10])
    return groups


@functools.lru_cache(maxsize=8)
def _osm_case(bounds: tuple):
    """Parent box, buildings, residential compounds and roads of ``bounds`` (lon/lat)."""
    if not OSM.exists():
        pytest.skip("the OpenStreetMap extract is not in data/osm")
    box = shapely.box(*bounds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bldg = gpd.read_file(OSM / "buildings.geojson", bbox=bounds)
        land = gpd.read_file(OSM / "landuse.geojson", bbox=bounds)
        roads = gpd.read_file(OSM / "roads.geojson", bbox=bounds)
    bldg = bldg[(bldg.geom_type == "Polygon") & bldg.representative_point().within(box)]
    comp = land[(land["kind"] == "residential") & (land.geom_type == "Polygon")].copy()
    comp["geometry"] = comp.geometry.intersection(box)
    comp = comp[~comp.geometry.is_empty]
    objects = gpd.GeoDataFrame({
        "id": [f"b{i}" for i in bldg["id"]] + [f"c{i}" for i in range(len(comp))],
        "type": ["building"] * len(bldg) + ["compound"] * len(comp),
        "height": list(bldg["height"]) + [np.nan] * len(comp)},
        geometry=list(bldg.geometry) + list(comp.geometry), crs="EPSG:4326").set_crs(
        "EPSG:4490", allow_override=True)   # CGCS2000 = WGS84 to centimetres at city scale
    roads = roads[roads.geom_type.isin(["LineString", "MultiLineString"])][["kind_detail",
                                                                            "geometry"]]
    roads = roads.set_crs("EPSG:4490", allow_override=True).reset_index(drop=True)
    roads["id"] = [f"r{i}" for i in range(len(roads))]
    parent = gpd.GeoSeries([box], crs="EPSG:4490")
    return parent, objects, roads


@pytest.fixture(scope="module")
def real_case():
    return _osm_case(REAL_BOX)


@pytest.mark.parametrize("west, south", [(121.4883, 31.2340), (121.4900, 31.2380),
                                         (121.4824, 31.2278)])
def test_osm_blocks_with_building_parts_tile(west, south):
    """Blocks of the Bund and Lujiazui where towers are mapped as several parts: parts at
    one location, and points inside a larger footprint that the partition puts in that
    footprint's cell, keep their point in their own 楼组."""
    parent, objects, roads = _osm_case((west, south, west + 0.008, south + 0.007))
    for n in (1, 3):
        res = partition(parent, objects, roads, n_microgrids=n, group_size=3,
                        measure_rules=False)
        _assert_tiles(res, objects)


@pytest.mark.parametrize("n, group_size, seed", [(1, 3, 0), (2, 4, 1), (4, 3, 2), (3, 6, 3)])
def test_real_community_groups_tile_each_microgrid(real_case, n, group_size, seed):
    parent, objects, roads = real_case
    res = partition(parent, objects, roads, n_microgrids=n, group_size=group_size, seed=seed,
                    measure_rules=False)
    groups = _assert_tiles(res, objects)
    # the case has both kinds: groups of real buildings and estimated ones of compounds
    assert {a["estimated"] for a in groups["attrs"]} == {True, False}


@pytest.mark.parametrize("grid, n", [("崂山住区", 3), ("崂山住区", 8), ("梅园住区", 2),
                                     ("滨江住区", 4)])
def test_demo_grid_repartitioned_groups_tile_each_microgrid(lujiazui, grid, n):
    """Fewer, larger microgrids than the demo's (a repartition) hold several 楼组 each,
    also several estimated ones of one compound: they still tile."""
    grids = lujiazui["grids"]
    g = grids[grids["name"] == grid]
    objs = lujiazui["objects"][lujiazui["objects"].intersects(g.geometry.iloc[0])]
    res = partition(g, objs, lujiazui["roads"], n_microgrids=n, measure_rules=False)
    assert (res.microgrids["n_building_groups"] > 1).any()
    _assert_tiles(res, objs)


@pytest.mark.parametrize("seed", range(4))
def test_synthetic_groups_tile_after_edits(seed):
    """Several seeds of a synthetic case: partition, merge, split, a restore from the
    stored parts and a boundary drawn across a microgrid all give 楼组 that tile."""
    parent, objects, roads = synthetic_case(200, seed=seed)
    res = partition(parent, objects, roads, n_microgrids=3 + seed % 2, seed=seed,
                    group_size=2 + seed, measure_rules=False)
    _assert_tiles(res, objects)
    merged = merge_microgrids(res, 1, 2)
    _assert_tiles(merged, objects)
    _assert_tiles(split_microgrid(merged, 1, seed=seed), objects)
    back = restore_result(parent, res.cells, res.edges, res.objects)
    _assert_tiles(back, objects)
    big = res.microgrids.loc[res.microgrids["area_m2"].idxmax()]
    x0, y0, x1, y1 = big.geometry.bounds
    line = shapely.LineString([((x0 + x1) / 2, y0 - 0.001), ((x0 + x1) / 2, y1 + 0.001)])
    drawn = cut_along_line(res, [int(big["id"])], line)   # a boundary drawn across it
    assert len(drawn.microgrids) == len(res.microgrids) + 1
    _assert_tiles(drawn, objects)


def test_a_cell_shared_by_two_groups_is_split_between_them():
    """Two buildings of one location cell (a point inside another's footprint shares its
    cell) in different 楼组: each building's point stays in its own 楼组."""
    parent, objects, roads = synthetic_case(60, seed=11, polygons=0.5)
    big = objects[objects.geom_type == "Polygon"].iloc[0]
    inner = shapely.affinity.translate(big.geometry.centroid, 1e-6, 1e-6)
    objects = gpd.GeoDataFrame(
        [*objects.to_dict("records"),
         {"id": "inner", "type": "building", "households": 40.0, "geometry": inner}],
        geometry="geometry", crs=objects.crs)
    res = partition(parent, objects, roads, n_microgrids=1, group_size=1, measure_rules=False)
    cell = res.objects.set_index("id").loc[["inner", big["id"]], "cell"]
    assert cell.nunique() == 1                     # one cell, two 楼组 of one building each
    _assert_tiles(res, objects)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 9))
def test_equal_strips_tile_their_region_in_equal_areas(seed, k):
    """Random star-shaped polygons with a hole (metres): the strips tile it, and each has
    1/k of its area to within a centimetre's width of cut."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 14))
    ang = (np.arange(n) + rng.uniform(0, 0.9, n)) * 2 * np.pi / n   # gaps under π: simple
    r = rng.uniform(80, 400, n)
    shell = shapely.Polygon(np.column_stack([r * np.cos(ang), r * np.sin(ang)]))
    region = shapely.difference(shell, shapely.box(-20, -20, 20, 20))
    strips = equal_strips(region, k)
    assert len(strips) == k
    union = shapely.union_all(strips)
    assert shapely.symmetric_difference(union, region).area < 1e-6 * region.area
    assert sum(shapely.area(strips)) == pytest.approx(region.area, rel=1e-9)
    width = max(region.bounds[2] - region.bounds[0], region.bounds[3] - region.bounds[1])
    assert np.allclose(shapely.area(strips), region.area / k, atol=2 * 0.01 * 2 * width)


def test_buildings_at_one_location_share_a_group():
    """The parts of one tower (footprints with one ``point_on_surface``) are one place on
    the ground: one 楼组 even at one building per 楼组, and the 楼组 still tile."""
    items = pd.DataFrame({"microgrid": [1, 1, 1, 1], "object_id": ["a", "b", "c", "d"],
                          "households": [10.0, 20.0, 30.0, 40.0],
                          "point": shapely.points([(0, 0), (50, 50), (50.001, 50.002),
                                                   (100, 0)]),
                          "footprint": True})
    groups = building_groups(items, group_size=1)
    lists = sorted(sorted(ids) for ids in groups["object_ids"])
    assert lists == [["a"], ["b", "c"], ["d"]]
    assert groups["households"].sum() == 100.0
    parent, objects, roads = synthetic_case(60, seed=11, polygons=0.5)
    tower = objects[objects.geom_type == "Polygon"].iloc[0]
    part = shapely.affinity.scale(tower.geometry, 0.8, 0.8)   # same centre, one seed
    objects = gpd.GeoDataFrame(
        [*objects.to_dict("records"),
         {"id": "part", "type": "building", "households": 40.0, "geometry": part}],
        geometry="geometry", crs=objects.crs)
    res = partition(parent, objects, roads, n_microgrids=1, group_size=1, measure_rules=False)
    [together] = [ids for ids in res.groups["object_ids"] if "part" in ids]
    assert tower["id"] in together
    _assert_tiles(res, objects)
