from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from maps import coverage_map

pytestmark = pytest.mark.browser


def test_coverage_map_builder_is_offline_and_labelled(demo_frames):
    areas = gpd.GeoDataFrame(pd.concat([demo_frames["street"], demo_frames["grids"]]), crs=4490)
    html = coverage_map(areas).get_root().render()
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "code.jquery", "bootstrapcdn"):
        assert cdn not in html
    assert html.count("gg-label") >= 6
    assert "OpenStreetMap" in html


def test_index_loads_grid_layer_without_console_errors(page, live_server, artifacts):
    page.goto(live_server + "/", wait_until="networkidle")
    page.wait_for_selector("path.leaflet-interactive")
    # the six grids and the street outline are drawn as SVG paths
    assert page.locator("path.leaflet-interactive").count() >= 7
    labels = page.locator(".gg-label").all_inner_texts()
    assert set(labels) >= {"崂山住区", "梅园住区", "滨江住区", "陆家嘴金融城", "新上海商业城", "滨江船厂带"}
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    # layer toggles exist for the levels present
    assert page.locator(".leaflet-control-layers-overlays label").count() >= 2
    page.screenshot(path=str(artifacts / "coverage.png"))
    assert page.console_errors == []
    assert page.external_requests == []
