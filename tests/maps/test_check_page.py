"""/?check=1: the editor's validation on the map, every finding located and listed by name."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest

from maps import coverage_map

pytestmark = pytest.mark.browser


def test_no_findings_is_said_plainly(demo_frames, stand_in):
    upper = gpd.GeoDataFrame(pd.concat([demo_frames["street"], demo_frames["grids"]]), crs=4490)
    areas = gpd.GeoDataFrame(pd.concat([upper, stand_in(upper)]), crs=4490)
    html = coverage_map(areas, problems=[]).get_root().render()
    assert 'id="gg-check"' in html and 'data-state="ok"' in html
    assert "校验通过: 没有发现问题" in html
    assert 'id="gg-check"' not in coverage_map(areas).get_root().render()  # only when asked
    en = coverage_map(areas, problems=[], lang="en").get_root().render()
    assert "Validation passed: no problems found" in en


def test_check_lists_and_marks_every_finding_of_the_editor_validation(page, live_server, live_api,
                                                                      artifacts):
    plan = live_api.get("/plans/active").json()["id"]
    report = live_api.get(f"/plans/{plan}/validate").json()
    issues = [i for g in report["grids"] for i in g["issues"]]
    assert issues, "the live plan is expected to have findings"
    page.goto(live_server + "/?check=1")
    page.wait_for_load_state("networkidle")
    items = page.locator("#gg-check-list li")
    assert items.count() == len(issues)
    assert page.locator("path.gg-problem").count() == sum("location" in i for i in issues)
    text = page.inner_text("#gg-check")
    assert f"发现 {len(issues)} 个问题" in text
    # names, not ids; sentences, not raw kinds
    assert not re.search(r"\bmg-\d+", text)
    assert not any(k in text for k in {i["kind"] for i in issues})
    assert "微网格" in text
    first = page.locator("#gg-check-list li[data-lat]").first
    lat, lon = float(first.get_attribute("data-lat")), float(first.get_attribute("data-lon"))
    first.click()
    page.wait_for_timeout(600)
    page.wait_for_load_state("networkidle")
    center = page.evaluate("(() => { const c = window.geogrid.map.getCenter(); "
                           "return [c.lat, c.lng]; })()")
    assert abs(center[0] - lat) < 1e-4 and abs(center[1] - lon) < 1e-4
    page.screenshot(path=str(artifacts / "coverage-check.png"))
    assert page.console_errors == [] and page.external_requests == []
