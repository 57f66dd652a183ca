"""Vector tiles of the demo plan, on SpatiaLite (Python encoder) and PostGIS (ST_AsMVT)."""

from __future__ import annotations

import math

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from geogrid._errors import InputError
from geogrid.crs import STORAGE_CRS
from geogrid.datum import from_storage
from geogrid.services.demo import load_demo
from geogrid.store.tiles import (
    BUFFER,
    EXTENT,
    LEVEL_MIN_ZOOM,
    TILE_FIELDS,
    TileCache,
    check_tile,
    encode_tile,
    levels_at,
    render_tile,
    tile_lonlat_bounds,
)

#: a point in the Lujiazui residential blocks (storage datum)
LON, LAT = 121.51, 31.237


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def tile_px(lon: float, lat: float, z: int, x: int, y: int) -> tuple[float, float]:
    """Position of lon/lat in tile units (y down) of tile z/x/y."""
    n = 1 << z
    fx = (lon + 180.0) / 360.0 * n
    fy = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return (fx - x) * EXTENT, (fy - y) * EXTENT


def decode(data: bytes) -> dict[str, list[dict]]:
    tile = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    for layer in tile.values():
        assert layer["extent"] == EXTENT
    return {name: layer["features"] for name, layer in tile.items()}


def expected_ids(areas: gpd.GeoDataFrame, z: int, x: int, y: int) -> dict[str, set[str]]:
    """What a tile must hold: areas at the levels shown at z meeting the buffered tile."""
    env = shapely.box(*tile_lonlat_bounds(z, x, y, BUFFER / EXTENT))
    hit = areas[areas["level"].isin(levels_at(z)) & areas.intersects(env)]
    return {lv: set(g["id"]) for lv, g in hit.groupby("level")}


def _opt(value):
    return None if value is None or pd.isna(value) else value


@pytest.fixture
def demo(demo_store_any):
    store = demo_store_any
    plan_id = load_demo(store)  # the copied demo's plan id
    return store, plan_id, store.areas(plan_id)


def test_tiles_over_lujiazui_hold_the_areas_of_each_level(demo):
    store, plan_id, areas = demo
    by_id = areas.set_index("id")
    for z in (14, 15, 16):
        x, y = tile_of(LON, LAT, z)
        layers = decode(render_tile(store, plan_id, z, x, y))
        want = expected_ids(areas, z, x, y)
        assert list(layers) == [lv for lv in levels_at(z) if lv in want]   # in level order
        assert {lv: {f["properties"]["id"] for f in feats} for lv, feats in layers.items()} == want
        assert {"street", "grid", "microgrid"} <= set(layers)
        assert ("building_group" in layers) == (z >= LEVEL_MIN_ZOOM["building_group"])
        for level, feats in layers.items():
            for f in feats:
                props = f["properties"]
                assert set(props) <= set(TILE_FIELDS)             # no team, attrs, people
                row = by_id.loc[props["id"]]
                assert props["level"] == level == row["level"]
                assert props["name"] == row["name"] and props["kind"] == row["kind"]
                assert props.get("code") == _opt(row["code"])
                assert props.get("parent_id") == _opt(row["parent_id"])
                g = shape(f["geometry"])
                assert g.geom_type in ("Polygon", "MultiPolygon") and g.is_valid
                lo, hi = -BUFFER, EXTENT + BUFFER
                minx, miny, maxx, maxy = g.bounds
                assert lo <= minx and maxx <= hi and lo <= miny and maxy <= hi
        # the microgrid that holds the point is drawn where the point is
        mg = areas[(areas["level"] == "microgrid") & areas.contains(shapely.Point(LON, LAT))]
        assert len(mg) == 1
        feat = next(f for f in layers["microgrid"] if f["properties"]["id"] == mg["id"].iloc[0])
        px = shapely.Point(tile_px(LON, LAT, z, x, y))
        assert shape(feat["geometry"]).buffer(2).contains(px)


def test_a_tile_with_no_area_is_empty(demo):
    store, plan_id, _ = demo
    assert render_tile(store, plan_id, 15, *tile_of(121.40, 31.10, 15)) == b""   # west of the street
    assert render_tile(store, plan_id, 3, 0, 0) == b""                          # other side of the world
    # below the microgrid zoom a tile carries streets, grids and communities only
    z = LEVEL_MIN_ZOOM["microgrid"] - 1
    assert set(decode(render_tile(store, plan_id, z, *tile_of(LON, LAT, z)))) == \
        {"street", "grid", "community"}


def test_gcj02_tiles_are_shifted_into_the_basemap_datum(demo):
    store, plan_id, areas = demo
    z = 16
    lon, lat = (float(v[0]) for v in from_storage(np.array([LON]), np.array([LAT]), "gcj02"))
    x, y = tile_of(lon, lat, z)
    layers = decode(render_tile(store, plan_id, z, x, y, datum="gcj02"))
    mg = areas[(areas["level"] == "microgrid") & areas.contains(shapely.Point(LON, LAT))]
    feat = next(f for f in layers["microgrid"] if f["properties"]["id"] == mg["id"].iloc[0])
    assert shape(feat["geometry"]).buffer(2).contains(shapely.Point(tile_px(lon, lat, z, x, y)))
    # the unshifted point is ~500 m away: not in the same place on GCJ-02 tiles
    assert not shape(feat["geometry"]).contains(shapely.Point(tile_px(LON, LAT, z, x, y)))


def test_postgis_and_spatialite_tiles_agree(demo_store, pg_cluster):
    from tests.conftest import postgis_demo_store

    pg = postgis_demo_store(pg_cluster)
    try:
        stores = [(demo_store, load_demo(demo_store)), (pg, load_demo(pg))]
        for z in (13, 14, 15, 16, 17):
            cx, cy = tile_of(LON, LAT, z)
            for x, y in [(cx + dx, cy + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]:
                sl, pgt = (decode(render_tile(s, p, z, x, y)) for s, p in stores)
                assert list(sl) == list(pgt), (z, x, y)
                for level in sl:
                    a = {f["properties"]["id"]: f for f in sl[level]}
                    b = {f["properties"]["id"]: f for f in pgt[level]}
                    assert set(a) == set(b), (z, x, y, level)
                    for fid in a:
                        assert a[fid]["properties"] == b[fid]["properties"]
                        ga, gb = shape(a[fid]["geometry"]), shape(b[fid]["geometry"])
                        # both snap to the same grid: shapes agree to about a tile unit
                        assert ga.symmetric_difference(gb).area <= 0.02 * gb.area + 0.5 * gb.length
    finally:
        pg.dispose()


def _frame(geoms, **cols) -> gpd.GeoDataFrame:
    n = len(geoms)
    base = {"id": [f"a{i}" for i in range(n)], "name": [f"区{i}" for i in range(n)],
            "code": [f"31011500{i:04d}" for i in range(n)], "level": "grid", "kind": "mixed",
            "parent_id": None}
    base.update(cols)
    return gpd.GeoDataFrame(base, geometry=list(geoms), crs=STORAGE_CRS)


def test_encode_tile_clips_snaps_and_drops_what_collapses():
    z, (x, y) = 15, tile_of(LON, LAT, 15)
    minx, miny, maxx, maxy = tile_lonlat_bounds(z, x, y)
    big = shapely.box(minx - 1, miny - 1, maxx + 1, maxy + 1)                 # covers the tile
    tiny = shapely.box(LON, LAT, LON + 1e-7, LAT + 1e-7)                    # ~1 cm: collapses
    away = shapely.box(minx + 2, miny, minx + 3, maxy)                       # another tile
    layers = decode(encode_tile(_frame([big, tiny, away], code=["1", float("nan"), "3"]), z, x, y))
    assert list(layers) == ["grid"] and len(layers["grid"]) == 1
    feat = layers["grid"][0]
    assert feat["properties"] == {"id": "a0", "name": "区0", "code": "1", "level": "grid",
                                  "kind": "mixed"}                           # no null parent_id
    assert shape(feat["geometry"]).bounds == (-BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    assert encode_tile(_frame([away]), z, x, y) == b""
    # levels below their minimum zoom are left out
    assert encode_tile(_frame([big], level="building_group"), 10, *tile_of(LON, LAT, 10)) == b""


@pytest.mark.parametrize("z,x,y,field", [(-1, 0, 0, "z"), (23, 0, 0, "z"), (3, 8, 0, "x"),
                                         (3, 0, -1, "y"), (0, 0, 1, "y")])
def test_check_tile_names_the_bad_field(z, x, y, field):
    with pytest.raises(InputError) as err:
        check_tile(z, x, y)
    assert err.value.field == field


def test_tile_cache_is_a_bounded_lru():
    cache = TileCache(max_entries=3, max_bytes=10_000)
    for i in range(4):
        cache.put(i, bytes([i]) * 100)
    assert len(cache) == 3 and cache.get(0) is None
    assert cache.get(1).body == bytes([1]) * 100                             # 1 is now newest
    cache.put(4, b"x" * 100)
    assert cache.get(2) is None and cache.get(1) is not None
    big = cache.put("big", b"\x00" * 9_000)                                  # evicts by bytes
    assert big.gzipped is not None and len(big.gzipped) < 100
    assert cache.nbytes <= 10_000 and cache.get("big") is not None
