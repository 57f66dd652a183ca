"""The coverage map: the folium builder, and the page at / in headless Chromium."""

from __future__ import annotations

import httpx

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from maps import coverage_map

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_areas(demo_frames):
    return gpd.GeoDataFrame(pd.concat([demo_frames["street"], demo_frames["grids"]]), crs=4490)


def test_coverage_map_builder_is_offline_and_labelled(demo_areas):
    html = coverage_map(demo_areas).get_root().render()
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "code.jquery", "bootstrapcdn"):
        assert cdn not in html
    assert html.count("gg-label-code") >= 6 and "崂山住区" in html
    assert "OpenStreetMap" in html
    assert "/static/js/coverage.js" in html


def test_builder_workload_choropleth_and_problems(demo_areas, stand_in):
    mgs = stand_in(demo_areas)
    areas = gpd.GeoDataFrame(pd.concat([demo_areas, mgs]), crs=4490)
    ids = list(mgs["id"])
    load = {mid: float(i) for i, mid in enumerate(ids)}
    bad = ids[3]
    where = shapely.get_coordinates(mgs.geometry.iloc[3].representative_point())[0]
    problems = [{"kind": "gap", "severity": "error", "message": "uncovered",
                 "ids": [bad], "location": [float(where[0]), float(where[1])], "value": 12.5}]
    html = coverage_map(areas, workload=load, estimated=True, problems=problems,
                        names={bad: "第四<b>微网格</b>"},
                        links=[("按网格着色", "/?x=1&y=2")]).get_root().render()
    assert "gg-workload-legend" in html and "户数为估算值" in html
    assert "校验问题 1 处" in html and "gg-problem" in html
    # the finding is a Chinese sentence naming the area (as text, never markup)
    assert "第四&lt;b&gt;微网格&lt;/b&gt; 附近有 12.5 平方米未被任何微网格覆盖" in html
    assert "<b>微网格</b>" not in html and "uncovered" not in html
    assert 'href="/?x=1&amp;y=2"' in html
    # the flagged microgrid is outlined in red; microgrid fills follow the ramp
    feats = _features(html, "microgrid")
    flagged = next(f for f in feats if f["id"] == bad)
    assert flagged["properties"]["problem"] is True
    fills = {f["properties"]["fill"] for f in feats}
    assert len(fills) > 20
    assert feats[0]["properties"]["workload"] == 0.0


def _features(html: str, level: str) -> list[dict]:
    """The GeoJSON features folium embedded for ``level``."""
    out = []
    for blob in re.findall(r"_add\((\{\"features\".*?\})\);\n", html, re.S):
        fc = json.loads(blob)
        out += [f for f in fc["features"] if f["properties"].get("level") == level]
    return out


def test_index_loads_grids_and_microgrids_without_console_errors(page, live_server, artifacts):
    page.goto(live_server + "/", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    # the street, six grids and every microgrid are drawn as SVG paths
    n_mg = len(httpx.get(live_server + "/areas", params={"level": "microgrid"}).json()["features"])
    assert n_mg >= 30
    assert page.locator("path.leaflet-interactive").count() >= 7 + n_mg
    labels = page.locator(".gg-label").all_inner_texts()
    names = {lbl.split("\n")[0] for lbl in labels}
    assert names >= {"崂山住区", "梅园住区", "滨江住区", "陆家嘴金融城", "新上海商业城", "滨江船厂带"}
    assert any("310115005003" in lbl for lbl in labels)
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    assert page.locator(".leaflet-control-attribution").is_visible()
    # layer toggles for the levels present; the workload toggle is offered
    overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert {"街道", "网格", "微网格"} <= {o.strip() for o in overlays}
    assert page.locator("#gg-legend a", has_text="按工作量着色").count() == 1
    page.screenshot(path=str(artifacts / "coverage.png"))
    assert page.console_errors == []
    assert page.external_requests == []


def test_search_by_name_and_code_is_local_for_the_public(page, live_server):
    api_calls = []
    page.on("request", lambda r: api_calls.append(r.url) if "/geocode" in r.url else None)
    page.goto(live_server + "/", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    box = page.locator("#gg-search")
    assert box.get_attribute("placeholder") == "搜索名称或编码"
    box.fill("梅园")
    page.wait_for_selector(".gg-result")
    results = page.locator(".gg-result").all_inner_texts()
    assert results and all("梅园" in r for r in results)
    box.fill("310115005003002")
    page.wait_for_selector(".gg-result >> text=310115005003002")
    page.locator(".gg-result").first.click()
    # the map zooms onto the microgrid and outlines it
    page.wait_for_function("window.geogrid.map.getZoom() >= 16")
    box.fill("不存在的名称")
    page.wait_for_selector("#gg-results li >> text=无结果")
    box.fill("富城路99号")           # an address: the public is offered 我的网格, not /geocode
    page.wait_for_selector(".gg-result-mygrid")
    assert "富城路99号" in page.inner_text(".gg-result-mygrid")
    assert api_calls == []          # no sign-in: names and codes only, nothing sent
    assert page.console_errors == []


def test_search_geocodes_addresses_for_signed_in_staff(page, live_server, live_store, artifacts):
    token = live_store[1]
    page.add_init_script(
        "sessionStorage.setItem('geogrid.session', JSON.stringify("
        f"{{token: {json.dumps(token)}, role: 'dispatcher', username: 'disp1'}}))")
    page.goto(live_server + "/", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    assert page.locator("#gg-search").get_attribute("placeholder") == "搜索名称、编码或地址"
    page.locator("#gg-search").fill("富城路99号")
    page.locator(".gg-result-address").click()
    page.wait_for_selector("path.gg-address")
    tip = page.locator(".leaflet-tooltip", has_text="富城路99号").inner_text()
    assert "陆家嘴金融城" in tip and "微网格" in tip
    page.screenshot(path=str(artifacts / "coverage-address.png"))
    assert page.console_errors == []


def test_workload_choropleth_and_codes_at_close_zoom(page, live_server, artifacts):
    page.goto(live_server + "/?choropleth=workload", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    legend = page.locator("#gg-workload-legend").inner_text()
    assert "微网格工作量" in legend and "估算" in legend
    fills = page.evaluate("""() => {
        const out = new Set();
        window.geogrid.layers.microgrid.eachLayer(l => out.add(l.options.fillColor));
        return out.size; }""")
    assert fills > 5
    assert page.locator("#gg-legend a", has_text="按网格着色").count() == 1
    page.screenshot(path=str(artifacts / "coverage-workload.png"))
    assert page.locator(".gg-code-label").count() == 0
    page.evaluate("void window.geogrid.map.setView([31.2370, 121.5120], 17, {animate: false})")
    page.wait_for_selector(".gg-code-label")
    # a microgrid's code: 15 digits (CJ/T 213), under a derived community too
    code = page.locator(".gg-code-label").first.inner_text()
    assert re.fullmatch(r"310115005\d{6}", code)
    assert page.console_errors == []


def test_english_on_amap_tiles(page, live_server):
    page.goto(live_server + "/?lang=en&basemap=amap", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    assert page.locator("#gg-search").get_attribute("placeholder") == "Search name or code"
    assert "Grids" in page.locator(".leaflet-control-layers-overlays").inner_text()
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    assert page.console_errors == [] and page.external_requests == []


@pytest.mark.parametrize("lang,label,derived", [("zh", "数据范围边界", "推算"),
                                                ("en", "data extent boundary", "Derived")])
def test_data_extent_edges_and_derived_communities_are_marked(page, live_server, lang, label,
                                                              derived):
    url = live_server + "/" + ("?lang=en" if lang == "en" else "")
    html = httpx.get(url, timeout=60).text
    communities = _features(html, "community")
    assert communities and all(f["properties"]["derived"] is True for f in communities)
    assert all("derived" not in f["properties"] for f in _features(html, "grid"))
    page.goto(url, wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    marks = page.locator(".gg-extent-label")
    assert marks.count() >= 1
    assert all(label in text for text in marks.all_inner_texts())
    assert page.locator("path.gg-data-extent").count() == marks.count()
    tip = page.evaluate("""() => {
      let out = null;
      window.geogrid.layers.community.eachLayer((l) => {
        if (out === null && l.feature) { l.openTooltip(l.getBounds().getCenter());
          out = l.getTooltip().getElement().innerText; }
      });
      return out;
    }""")
    assert derived in tip
    assert page.console_errors == [] and page.external_requests == []
