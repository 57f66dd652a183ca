"""The maps follow the active plan's declared levels: a Hangzhou-style 街道 → 社区 → 网格
plan served by a real server, seen in headless Chromium (coverage map, its tiled form and
the public embed), and the default five-level demo still showing its five."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from tests.maps.conftest import offline_page
from tests.support.server import serve_store

pytestmark = pytest.mark.browser

LEVELS = "街道=street,社区=community,网格=grid"
W, H = 0.004, 0.003
COMMUNITIES = {"SQ-1": "杨家牌楼社区", "SQ-2": "屏峰社区"}
PLANNER = ("hzplan", "staple battery horse")


def hangzhou_store(path: Path) -> int:
    """A fresh store with one active plan: 留下街道 → two 社区 → three 网格 each."""
    from geogrid.model import parse_levels
    from geogrid.store import Store

    rows = [{"id": "jd", "level": "街道", "name": "留下街道", "code": "330106001",
             "parent_id": None, "geometry": shapely.box(120.0, 30.0, 120.0 + 6 * W, 30.0 + H)}]
    for s, (sq, name) in enumerate(COMMUNITIES.items()):
        rows.append({"id": sq, "level": "社区", "name": name, "code": sq, "parent_id": "jd",
                     "geometry": shapely.box(120.0 + 3 * s * W, 30.0, 120.0 + 3 * (s + 1) * W,
                                             30.0 + H)})
        for g in range(3):
            x = 120.0 + (3 * s + g) * W
            rows.append({"id": f"{sq}-{g + 1}", "level": "网格", "name": f"{name}{g + 1}号网格",
                         "code": f"{sq}-{g + 1}", "parent_id": sq,
                         "geometry": shapely.box(x, 30.0, x + W, 30.0 + H)})
    store = Store.open(f"sqlite:///{path}")
    try:
        with store.write() as conn:
            plan = store.create_plan(conn, name="留下街道网格", street_code="330106001",
                                     levels=parse_levels(LEVELS))
            store.add_areas(conn, plan, gpd.GeoDataFrame(rows, crs="EPSG:4490"))
        store.activate_plan(plan, actor="test")
        from geogrid.store.users import create_user

        create_user(store, PLANNER[0], "planner", password=PLANNER[1])
        return plan
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def hz_server(tmp_path_factory):
    db = tmp_path_factory.mktemp("hz") / "hz.sqlite"
    hangzhou_store(db)
    with serve_store(db) as url:
        yield url


@pytest.fixture
def hz_page(browser, hz_server):
    context, pg = offline_page(browser, hz_server, bypass_csp=True)
    yield pg
    context.close()


def _ready(page, url):
    page.goto(url, wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")


def _overlays(page) -> list[str]:
    return [o.strip() for o in
            page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]


def test_hangzhou_plan_layers_legend_tooltips_and_search(hz_page, hz_server, artifacts):
    page = hz_page
    _ready(page, hz_server + "/")
    assert _overlays(page)[:3] == ["街道", "社区", "网格"]
    assert not {"居民区/商务区", "微网格", "楼组/楼宇"} & set(_overlays(page))
    # the 社区 carry the palette and the labels; the legend lists them and the levels
    labels = {lbl.split("\n")[0] for lbl in page.locator(".gg-label").all_inner_texts()}
    assert labels == set(COMMUNITIES.values())
    legend = page.locator("#gg-legend").inner_text()
    assert "杨家牌楼社区" in legend and "屏峰社区" in legend
    assert page.locator("#gg-legend .gg-legend-levels").inner_text().split(" · ") == \
        ["街道", "社区", "网格"]
    # 6 网格 + 2 社区 + the street, all drawn
    assert page.locator("path.leaflet-interactive").count() >= 9
    # the search names the declared level of each hit
    page.fill("#gg-search", "屏峰")
    page.wait_for_selector("#gg-results .gg-result")
    hits = page.locator("#gg-results .gg-result").all_inner_texts()
    assert any("屏峰社区" in h and "社区" in h.split("屏峰社区", 1)[1] for h in hits)
    assert any("屏峰社区2号网格" in h and h.rstrip().endswith("网格") for h in hits)
    # a tooltip over a 网格 says 网格, with its local code
    page.locator("#gg-results .gg-result", has_text="屏峰社区2号网格").click()
    tip = page.locator(".leaflet-tooltip .gg-tip").last
    tip.wait_for()
    assert "网格" in tip.inner_text() and "SQ-2-2" in tip.inner_text()
    page.screenshot(path=str(artifacts / "coverage-hangzhou-levels.png"))
    assert page.console_errors == [] and page.external_requests == []


def test_hangzhou_plan_in_english_tiles_and_embed(hz_page, hz_server, artifacts):
    page = hz_page
    _ready(page, hz_server + "/?lang=en")
    assert _overlays(page)[:3] == ["street", "community", "grid"]
    _ready(page, hz_server + "/?tiles=1")   # drawn from vector tiles: the same layer list
    assert _overlays(page)[:3] == ["街道", "社区", "网格"]
    _ready(page, hz_server + "/embed/coverage")
    assert _overlays(page)[:2] == ["社区", "网格"]
    page.locator("path.leaflet-interactive").first.wait_for()
    page.screenshot(path=str(artifacts / "embed-hangzhou-levels.png"))
    assert page.console_errors == [] and page.external_requests == []


def test_default_demo_keeps_its_five_levels(page, live_server):
    _ready(page, live_server + "/")
    shown = _overlays(page)
    levels = [lv for lv in ("街道", "网格", "居民区/商务区", "微网格", "楼组/楼宇") if lv in shown]
    assert levels == [o for o in shown if o in levels] and {"街道", "网格", "微网格"} <= set(levels)
    assert "社区" not in shown
    labels = {lbl.split("\n")[0] for lbl in page.locator(".gg-label").all_inner_texts()}
    assert {"崂山住区", "陆家嘴金融城"} <= labels


def test_editor_follows_the_hangzhou_levels(hz_page, hz_server, artifacts):
    """The editor on a 街道 → 社区 → 网格 plan: its layers are named 社区 and 网格, the balance
    table lists the 社区 with their 网格, and the line tool offers 网格 and 社区."""
    page = hz_page
    _ready(page, hz_server + "/editor")
    page.fill("#gg-username", PLANNER[0])
    page.fill("#gg-password", PLANNER[1])
    page.click("#gg-signin button[type=submit]")
    page.wait_for_selector("#gg-plans:not([hidden]) #gg-view-active")
    page.fill("#gg-draft-name", "留下草稿")
    page.click("#gg-create-draft")
    page.wait_for_selector('#gg-workspace:not([hidden])[data-status="draft"]')
    page.wait_for_selector("#gg-grid-stats tbody tr")
    layers = page.evaluate("() => [...document.querySelectorAll("
                           "'.leaflet-control-layers-overlays label')].map(l => l.textContent.trim())")
    assert layers[:2] == ["社区", "网格"] and "微网格" not in layers
    rows = page.locator("#gg-grid-stats tbody tr")
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.grid)")) == ["SQ-1", "SQ-2"]
    assert {t.split("\t")[0].strip() for t in rows.all_inner_texts()} == set(COMMUNITIES.values())
    assert rows.first.locator('td[data-field="microgrids"]').inner_text() == "3"
    heads = page.locator("#gg-grid-stats thead th").all_inner_texts()
    assert [h.strip() for h in heads[:2]] == ["社区", "网格"]
    assert page.locator("#gg-stats-caption").inner_text().endswith("网格 3")
    page.click('#gg-stats tr[data-id="SQ-1-2"]')
    page.click("#gg-tool-line")
    assert page.locator("#gg-line-level option").all_inner_texts() == ["网格", "社区"]
    page.select_option("#gg-line-level", "community")
    assert page.get_attribute("#gg-line-area", "data-id") == "SQ-1"
    page.screenshot(path=str(artifacts / "editor-hangzhou-levels.png"))
    assert page.console_errors == [] and page.external_requests == []
