"""The offline basemap core on the shipped OSM extract: layers, label placement, tiles, sizes."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid._errors import InputError
from geogrid.basemap import BasemapTiles, decode, lonlat_to_tile, read_layers
from geogrid.basemap.labels import CHAR_PX, place_labels
from geogrid.basemap.sources import write_layers
from geogrid.basemap.tiles import EXTENT, world_pixels

ROOT = Path(__file__).resolve().parents[2]
LUJIAZUI = ROOT / "data" / "osm" / "lujiazui"
HUANGPU = ROOT / "data" / "osm" / "huangpu-drive" / "huangpu_drive_osmnx.osm"
#: the screen the size budget is for: a 1280 × 860 desktop map (and a 390 × 844 phone)
SCREENS = [(1280, 860), (390, 844)]


@pytest.fixture(scope="module")
def layers():
    return read_layers(LUJIAZUI)


@pytest.fixture(scope="module")
def tiles(layers):
    return BasemapTiles(layers)


def screen_tiles(lon: float, lat: float, z: int, width: int, height: int):
    """The XYZ tiles a ``width`` × ``height`` map centred on lon/lat shows at ``z``."""
    p = world_pixels(np.array([shapely.Point(lon, lat)], dtype=object))[0]
    cx, cy = p.x * (1 << z), p.y * (1 << z)
    xs = range(math.floor((cx - width / 2) / 256), math.floor((cx + width / 2) / 256) + 1)
    ys = range(math.floor((cy - height / 2) / 256), math.floor((cy + height / 2) / 256) + 1)
    return [(z, x, y) for x in xs for y in ys]


def test_layers_from_the_shipped_extract(layers):
    roads = layers["roads"]
    assert {"primary", "secondary", "minor", "path"} <= set(roads["cls"])
    named = set(roads["name"].dropna())
    assert {"世纪大道", "浦东南路", "东昌路", "陆家嘴环路"} <= named
    assert len(layers["water"]) >= 1 and layers["water"].geom_type.isin(
        ["Polygon", "MultiPolygon"]).all()
    assert {"green", "residential"} <= set(layers["landuse"]["cls"])
    assert len(layers["buildings"]) > 1000
    labels = set(layers["labels"]["name"])
    assert "黄浦江" in labels and "崂山四村" in labels
    # pinyin neighbourhood names are not drawn over a Chinese map
    assert "Lu Jia Du" not in labels


def test_tunnels_are_flagged_in_the_tiles(layers, tiles):
    roads = layers["roads"]
    assert roads.loc[roads["name"] == "人民路隧道", "tunnel"].any()
    assert not roads.loc[roads["name"] == "世纪大道", "tunnel"].any()
    flagged = 0
    x0, y0 = lonlat_to_tile(121.490, 31.245, 16)
    x1, y1 = lonlat_to_tile(121.515, 31.228, 16)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            feats = decode(tiles.tile(16, x, y)).get("roads", {"features": []})["features"]
            flagged += sum(bool(f["properties"].get("tunnel")) for f in feats)
    assert flagged > 0


def test_layers_from_a_raw_osm_extract():
    layers = read_layers(HUANGPU)
    roads = layers["roads"]
    assert len(roads) > 500
    assert {"motorway", "primary", "secondary", "minor"} <= set(roads["cls"])
    assert "南北高架路" in set(roads["name"])


@pytest.mark.parametrize("zoom", [14, 16, 18])
def test_labels_sit_on_their_road_read_forward_and_never_overlap(layers, zoom):
    scale = float(1 << zoom)
    roads = layers["roads"].assign(geometry=shapely.transform(
        world_pixels(layers["roads"].geometry.values), lambda xy: xy * scale))
    pts = layers["labels"].assign(geometry=shapely.transform(
        world_pixels(layers["labels"].geometry.values), lambda xy: xy * scale))
    lines, places = place_labels(roads, pts, zoom)
    assert len(lines) > 5
    for name, line in zip(lines["name"], lines.geometry):
        assert line.length == pytest.approx(CHAR_PX * len(name), rel=1e-6)
        above = roads.loc[(roads["name"] == name) & ~roads["tunnel"]]
        road = shapely.union_all(above.geometry.values)
        # the stretch lies on a road of that name, and not on a tunnel
        assert shapely.hausdorff_distance(line, shapely.intersection(line, road.buffer(0.5))) \
            < 0.5 + 1e-6
        (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
        assert x1 >= x0 or abs(y1 - y0) > 2 * abs(x1 - x0)  # reads left to right
    boxes = [g.buffer(CHAR_PX / 2, cap_style="flat") for g in lines.geometry]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a.intersection(b).area < 1.0


def test_tile_layers_and_zoom_rules(tiles):
    x, y = lonlat_to_tile(121.5070, 31.2330, 16)
    t16 = decode(tiles.tile(16, x, y))
    assert {"landuse", "roads", "buildings", "road_labels"} <= set(t16)
    x, y = lonlat_to_tile(121.5070, 31.2330, 14)
    t14 = decode(tiles.tile(14, x, y))
    assert "buildings" not in t14 and "roads" in t14
    assert {f["properties"]["cls"] for f in t14["roads"]["features"]}.isdisjoint({"path"})
    for layer in t16.values():
        for f in layer["features"]:
            xy = np.array(shapely.get_coordinates(shapely.geometry.shape(f["geometry"])))
            if layer is not t16.get("road_labels") and layer is not t16.get("labels"):
                assert xy.min() >= -64 and xy.max() <= EXTENT + 64


def test_tiles_outside_the_data_are_empty_and_bad_tiles_are_refused(tiles):
    assert tiles.tile(16, 0, 0) == b""
    assert tiles.tile(5, 26, 13) == b""  # below the basemap's zooms
    with pytest.raises(InputError, match="瓦片"):
        tiles.tile(3, 8, 0)


def test_a_name_crossing_a_tile_edge_is_the_same_label_in_both_tiles(tiles):
    z = 17
    found = 0
    x0, y0 = lonlat_to_tile(121.495, 31.245, z)
    x1, y1 = lonlat_to_tile(121.515, 31.228, z)
    for x in range(x0, x1):
        for y in range(y0, y1 + 1):
            a, b = decode(tiles.tile(z, x, y)), decode(tiles.tile(z, x + 1, y))
            la = {(f["properties"]["name"], tuple(map(tuple, f["geometry"]["coordinates"])))
                  for f in a.get("road_labels", {"features": []})["features"]}
            lb = {(f["properties"]["name"], tuple((px + EXTENT, py) for px, py in
                                                  f["geometry"]["coordinates"]))
                  for f in b.get("road_labels", {"features": []})["features"]}
            found += len(la & lb)
    assert found > 0


@pytest.mark.parametrize("zoom", [15, 16, 17, 18])
@pytest.mark.parametrize("screen", SCREENS)
def test_one_screen_of_basemap_tiles_is_under_500_kb(tiles, zoom, screen):
    keys = screen_tiles(121.5040, 31.2380, zoom, *screen)
    raw = [tiles.tile(*k) for k in keys]
    sent = sum(len(gzip.compress(r, 6, mtime=0)) for r in raw if r)
    assert sent < 500 * 1024
    assert sum(map(len, raw)) < 1000 * 1024  # even without compression


def test_write_layers_round_trip_and_failed_write_keeps_the_old_file(layers, tmp_path,
                                                                     monkeypatch):
    target = tmp_path / "basemap.gpkg"
    write_layers(layers, target)
    back = read_layers(target)
    for key in ("roads", "buildings", "labels"):
        assert len(back[key]) == len(layers[key])
    assert set(back["roads"]["name"].dropna()) == set(layers["roads"]["name"].dropna())
    before = target.read_bytes()
    calls = {"n": 0}
    real = gpd.GeoDataFrame.to_file

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", failing)
    with pytest.raises(OSError):
        write_layers(layers, target)
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_unreadable_sources_name_the_path_and_the_fix(tmp_path):
    with pytest.raises(InputError) as err:
        read_layers(tmp_path)
    assert str(tmp_path) in str(err.value) and "roads" in err.value.fix and "请" in err.value.fix
    bad = tmp_path / "x.osm"
    bad.write_text("not xml")
    with pytest.raises(InputError, match="x.osm"):
        read_layers(bad)
