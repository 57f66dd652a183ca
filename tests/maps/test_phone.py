"""The public embed and the coverage map on a 390 px phone; no focus rectangle on click."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith(live_server)
             else r.abort())
    yield pg
    context.close()


def box_area(page, selector: str) -> float:
    b = page.locator(selector).first.bounding_box()
    return 0.0 if b is None else b["width"] * b["height"]


def overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.parametrize("path,legend", [("/", "#gg-legend"),
                                         ("/embed/coverage", "#gg-embed-legend")])
def test_panels_fold_and_the_layer_list_opens_on_tap(phone, live_server, artifacts, path, legend):
    phone.goto(live_server + path)
    phone.wait_for_load_state("networkidle")
    screen = 390 * 844
    assert phone.locator(legend).get_attribute("open") is None
    assert box_area(phone, legend) < 0.05 * screen  # a folded legend, not a third of the map
    layers = phone.locator(".leaflet-control-layers").first
    assert "leaflet-control-layers-expanded" not in layers.get_attribute("class")
    assert box_area(phone, ".leaflet-control-layers") < 0.02 * screen
    name = path.strip("/").replace("/", "-") or "index"
    phone.screenshot(path=str(artifacts / f"phone-{name}.png"))
    phone.tap(".leaflet-control-layers-toggle")
    assert "leaflet-control-layers-expanded" in layers.get_attribute("class")
    phone.tap(".leaflet-container", position={"x": 200, "y": 700})
    assert "leaflet-control-layers-expanded" not in layers.get_attribute("class")
    phone.wait_for_timeout(300)  # that tap only closed the list: no 我的网格 lookup
    assert phone.locator("#gg-mygrid:not([hidden])").count() == 0
    phone.tap(f"{legend} > summary")
    assert phone.locator(legend).get_attribute("open") is not None
    assert phone.console_errors == []


def test_embed_title_and_help_stay_visible(phone, live_server):
    phone.goto(live_server + "/embed/coverage")
    phone.wait_for_load_state("networkidle")
    control = phone.locator(".leaflet-control-layers").first.bounding_box()
    for sel in ("#gg-embed-head b", "#gg-embed-head .gg-muted"):
        box = phone.locator(sel).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert not overlaps(box, control), sel


@pytest.mark.parametrize("path", ["/", "/embed/coverage"])
def test_clicking_a_shape_leaves_no_focus_rectangle(page, live_server, path):
    page.goto(live_server + path)
    page.wait_for_load_state("networkidle")
    page.locator("path.leaflet-interactive").nth(3).click(force=True)
    # whatever took the focus (a shape, or the label over it) draws no outline, and neither
    # does any other shape or label once focused
    styles = page.evaluate("""() => {
        const out = [];
        const focused = document.activeElement;
        const els = [focused, ...document.querySelectorAll(".leaflet-interactive")].slice(0, 40);
        for (const e of els) {
            if (!e.classList || !e.classList.contains("leaflet-interactive")) continue;
            if (e !== focused) { e.setAttribute("tabindex", "0"); e.focus(); }
            const cs = getComputedStyle(e);
            out.push([e.tagName, cs.outlineStyle]);
        }
        return out;
    }""")
    assert len(styles) > 5
    assert all(style == "none" for _, style in styles), styles
