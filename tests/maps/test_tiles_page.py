"""The coverage map drawn from vector tiles: the builder, and ``/?tiles=1`` in headless Chromium."""

from __future__ import annotations

import re

import geopandas as gpd
import httpx
import pandas as pd
import pytest
import shapely

import maps.coverage as coverage
from maps import coverage_map

pytestmark = pytest.mark.browser

MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture(scope="module")
def demo_areas(demo_frames, stand_in):
    areas = gpd.GeoDataFrame(pd.concat([demo_frames["street"], demo_frames["grids"]]), crs=4490)
    return gpd.GeoDataFrame(pd.concat([areas, stand_in(areas)]), crs=4490)


def test_small_plans_inline_and_large_ones_switch_to_tiles(demo_areas, monkeypatch):
    assert not coverage.use_tiles(demo_areas)
    inline = coverage_map(demo_areas).get_root().render()
    assert "FeatureCollection" in inline and "/tiles/" not in inline
    # on a raster basemap the decoder is loaded only for tiled plans
    raster = coverage_map(demo_areas, basemap="none").get_root().render()
    assert "vectorgrid" not in raster.lower()
    # a city: more areas than the limit, or more GeoJSON than the budget
    cells = shapely.box(121.0, 31.0, 121.0001, 31.0001)
    city = gpd.GeoDataFrame({"id": [f"b{i}" for i in range(coverage.INLINE_MAX_AREAS + 1)],
                             "level": "building_group", "name": "楼组", "code": None,
                             "kind": "residential", "parent_id": None},
                            geometry=[cells] * (coverage.INLINE_MAX_AREAS + 1), crs=4490)
    assert coverage.use_tiles(city)
    monkeypatch.setattr(coverage, "INLINE_MAX_BYTES", coverage.geojson_size_estimate(demo_areas) - 1)
    assert coverage.use_tiles(demo_areas)
    html = coverage_map(demo_areas, tile_url="/tiles/7/{z}/{x}/{y}.mvt").get_root().render()
    assert "FeatureCollection" not in html                 # no GeoJSON: tiles only
    assert "/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js" in html
    assert "/tiles/7/{z}/{x}/{y}.mvt" in html and "/static/js/coverage.js" in html
    assert html.count("gg-label-code") >= 6 and "OpenStreetMap" in html
    # microgrids are not in the page at all; grids are (colours, labels, search)
    assert "mg-310115005003001" not in html and "grid-310115005003" in html
    # on GCJ-02 basemaps the tiles are asked for in GCJ-02
    amap = coverage_map(demo_areas, basemap="amap", tiles=True).get_root().render()
    assert "/tiles/active/{z}/{x}/{y}.mvt?datum=gcj02" in amap


def _wait_for_tiles(page):
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    page.wait_for_function("""() => {
        const t = window.geogrid.tiles;
        return t && t.seen.size > 0 && !document.querySelector('.leaflet-tile-pane .leaflet-tile-loading');
    }""")


def test_tiles_page_draws_microgrids_from_tiles(page, live_server, artifacts):
    tiles = []
    page.on("response", lambda r: tiles.append(r) if "/tiles/" in r.url else None)
    page.goto(live_server + "/?tiles=1", wait_until="networkidle")
    _wait_for_tiles(page)
    html = httpx.get(live_server + "/?tiles=1").text
    assert "FeatureCollection" not in html
    # every microgrid of the plan came from the tiles (the street fits in the view)
    want = {f["properties"]["id"]
            for f in httpx.get(live_server + "/areas", params={"level": "microgrid"}).json()["features"]}
    assert len(want) >= 30
    seen = page.evaluate("""() => [...window.geogrid.tiles.seen.values()]
        .filter(f => f.level === 'microgrid').map(f => f.props.id)""")
    assert set(seen) == want
    n_paths = page.locator(".leaflet-tile-pane svg path").count()
    assert n_paths >= len(want) + 7
    # one request per tile (the level layers share it), MVT or 204, from this server only
    urls = [r.url for r in tiles]
    assert len(urls) == len(set(urls)) > 0
    assert all(r.status in (200, 204) for r in tiles)
    assert all(r.headers["content-type"] == MVT for r in tiles if r.status == 200)
    assert all(re.search(r"/tiles/\d+/\d+/\d+/\d+\.mvt$", u) for u in urls)
    # microgrids take their grid's colour: the legend's swatches
    swatches = set(page.evaluate("""() => [...document.querySelectorAll('#gg-legend .gg-swatch')]
        .map(s => getComputedStyle(s).backgroundColor)"""))
    fills = set(page.evaluate("""() => [...document.querySelectorAll('.leaflet-tile-pane svg path')]
        .map(p => p.getAttribute('fill')).filter(f => f && f !== 'none')"""))
    rgb = {"rgb({}, {}, {})".format(*(int(c[i:i + 2], 16) for i in (1, 3, 5))) for c in fills}
    assert len(rgb) >= 6 and rgb <= swatches | {"rgb(85, 85, 85)"}
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    page.screenshot(path=str(artifacts / "coverage-tiles.png"))
    assert page.console_errors == []
    assert page.external_requests == []


def test_tiles_page_levels_toggle_and_features_show_name_and_code(page, live_server):
    page.goto(live_server + "/?tiles=1", wait_until="networkidle")
    _wait_for_tiles(page)
    overlays = [o.strip() for o in
                page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
    assert overlays[:4] == ["街道", "网格", "居民区/商务区", "微网格"]
    count = "() => document.querySelectorAll('.leaflet-tile-pane svg path').length"
    before = page.evaluate(count)
    page.locator(".leaflet-control-layers-overlays label", has_text="微网格").click()
    assert page.evaluate("!window.geogrid.map.hasLayer(window.geogrid.layers.microgrid)")
    assert page.evaluate(count) < before
    page.locator(".leaflet-control-layers-overlays label", has_text="网格").first.click()
    assert page.locator(".gg-label").count() == 0            # grid labels go with the grids
    page.locator(".leaflet-control-layers-overlays label", has_text="网格").first.click()
    page.locator(".leaflet-control-layers-overlays label", has_text="微网格").click()
    page.wait_for_function(f"({count})() >= {before}")
    assert page.locator(".gg-label").count() >= 6
    # hover and click a microgrid: its name and code
    page.evaluate("void window.geogrid.map.setView([31.2370, 121.5100], 17, {animate: false})")
    _wait_for_tiles(page)
    page.mouse.move(640, 430)
    page.wait_for_selector(".leaflet-tooltip .gg-tip")
    tip = page.locator(".leaflet-tooltip .gg-tip").inner_text()
    assert "微网格" in tip and re.search(r"310115005\d{6}", tip)
    page.mouse.click(640, 430)
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert re.search(r"编码: 310115005\d{6}", popup)
    assert page.console_errors == [] and page.external_requests == []


def test_tiles_page_search_finds_grids_and_microgrids(page, live_server):
    page.goto(live_server + "/?tiles=1", wait_until="networkidle")
    _wait_for_tiles(page)
    box = page.locator("#gg-search")
    box.fill("梅园")
    page.wait_for_selector(".gg-result")
    assert all("梅园" in r for r in page.locator(".gg-result").all_inner_texts())
    box.fill("310115005003002")
    page.wait_for_selector(".gg-result >> text=310115005003002")
    page.locator(".gg-result").first.click()
    page.wait_for_function("window.geogrid.map.getZoom() >= 16")
    assert "310115005003002" in page.locator(".leaflet-popup-content").inner_text()
    _wait_for_tiles(page)
    outlined = page.evaluate("""() => [...document.querySelectorAll('.leaflet-tile-pane svg path')]
        .filter(p => p.getAttribute('stroke') === '#000').length""")
    assert outlined >= 1
    assert page.console_errors == [] and page.external_requests == []
