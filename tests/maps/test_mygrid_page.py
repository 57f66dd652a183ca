"""我的网格 in the browser: the public embed's address box, the coverage map's search and taps."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser
ADDRESS = "东昌路498号"


@pytest.fixture(scope="module")
def expected(live_server):
    body = httpx.get(f"{live_server}/public/mygrid", params={"q": ADDRESS}).json()
    assert body["found"]
    return body


def test_embed_address_box_shows_microgrid_and_contact(page, live_server, expected, artifacts):
    page.goto(live_server + "/embed/coverage")
    page.wait_for_load_state("networkidle")
    page.fill("#gg-mygrid-q", ADDRESS)
    page.press("#gg-mygrid-q", "Enter")
    page.wait_for_selector("#gg-mygrid:not([hidden]) .gg-mygrid-chain")
    card = page.inner_text("#gg-mygrid")
    assert "我的网格" in card and ADDRESS in card
    assert expected["microgrid"]["name"] in card
    for c in expected["chain"]:
        assert c["name"] in card
    page.screenshot(path=str(artifacts / "embed-mygrid.png"))
    assert page.console_errors == [] and page.external_requests == []


def test_coverage_search_offers_the_lookup_to_anonymous_visitors(page, live_server, expected):
    page.goto(live_server + "/")
    page.wait_for_load_state("networkidle")
    page.fill("#gg-search", ADDRESS)
    page.click(".gg-result-mygrid")
    page.wait_for_selector("#gg-mygrid:not([hidden]) .gg-mygrid-chain")
    assert expected["microgrid"]["name"] in page.inner_text("#gg-mygrid")


def test_a_tap_on_the_coverage_map_names_that_microgrid(page, live_server, live_api):
    page.goto(live_server + "/")
    page.wait_for_load_state("networkidle")
    box = page.locator("#map, .folium-map").first.bounding_box()
    x, y = box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.5
    point = page.evaluate(f"(() => {{ const ll = window.geogrid.map.containerPointToLatLng("
                          f"[{x - box['x']}, {y - box['y']}]); return [ll.lng, ll.lat]; }})()")
    page.mouse.click(x, y)
    page.wait_for_selector("#gg-mygrid:not([hidden])")
    want = live_api.get("/locate", params={"lon": point[0], "lat": point[1],
                                           "datum": "wgs84"}).json()
    assert want["chain"]["microgrid"]["name"] in page.inner_text("#gg-mygrid")
