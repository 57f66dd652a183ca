"""The public embed in headless Chromium: aggregates and public contacts only, and a permalink."""

from __future__ import annotations

import json
import math
import re

import pytest

from tests.support.payload import keys

pytestmark = pytest.mark.browser

PERSONAL_KEYS = {"reporter_name", "reporter_phone", "phone", "description", "address",
                 "lon", "lat", "uid", "events", "responder", "responder_id"}
RESPONDER_PHONE = "13912345678"


def pairs(value):
    """Every [x, y] number pair at any depth (coordinates)."""
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
            yield value
        else:
            for v in value:
                yield from pairs(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from pairs(v)


@pytest.fixture
def embed(page, live_server, live_incidents):
    """The embed page, with every API payload it received recorded."""
    payloads = []

    def on_response(r):
        if r.url.startswith(live_server) and "/static/" not in r.url and \
                "/basemap/" not in r.url and r.request.resource_type in ("fetch", "xhr"):
            payloads.append((r.url, r.text()))

    page.on("response", on_response)
    page.goto(live_server + "/embed/coverage", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    page.payloads = payloads
    return page


def test_embed_receives_and_shows_no_personal_data(embed, live_incidents, artifacts):
    page = embed
    paths = sorted(re.sub(r"^https?://[^/]+", "", u).split("?")[0] for u, _ in page.payloads)
    # besides the offline basemap's tiles (OpenStreetMap only), the embed reads two endpoints
    assert paths == ["/public/areas", "/public/stats"]
    secrets = {RESPONDER_PHONE}
    for inc in live_incidents:
        secrets |= {inc["uid"], inc["reporter_name"], inc["reporter_phone"], inc["description"]}
    for url, text in page.payloads:
        data = json.loads(text)
        assert not keys(data) & PERSONAL_KEYS, url
        for s in secrets:
            assert s not in text, (url, s)
        # no exact incident position, at any precision the API stores
        for x, y in pairs(data):
            for inc in live_incidents:
                assert not (math.isclose(x, inc["lon"], abs_tol=1e-7)
                            and math.isclose(y, inc["lat"], abs_tol=1e-7)), (url, x, y)
    # and nothing personal in the page either, whatever is clicked
    page.locator("path.leaflet-interactive").nth(40).click(force=True)
    page.wait_for_selector("#gg-info:not([hidden])")
    html = page.content()
    for s in secrets:
        assert s not in html
    assert page.evaluate("Object.keys(sessionStorage).length") == 0
    page.screenshot(path=str(artifacts / "embed.png"))
    assert page.console_errors == [] and page.external_requests == []


def test_embed_counts_are_aggregates_with_small_ones_suppressed(embed):
    stats = json.loads(next(t for u, t in embed.payloads if "/public/stats" in u))
    totals = {a["id"]: a["total"] for a in stats["areas"]}
    assert totals["grid-310115005003"] >= 3          # three reports in 崂山住区
    assert all(isinstance(v, int) and v >= 3 or v == "<3" for v in totals.values())
    assert "<3" in totals.values()
    # the info panel of that grid's busiest microgrid shows the count with its window
    page = embed
    page.evaluate("""() => {
        const g = window.geogrid.overlays.grid;
        window.geogrid.map.removeLayer(window.geogrid.overlays.microgrid);
        g.eachLayer(layer => { if (layer.eachLayer) layer.eachLayer(l => {
            if (l.feature && l.feature.properties.id === 'grid-310115005003') l.fire('click'); }); });
    }""")
    info = page.locator("#gg-info").inner_text()
    assert "崂山住区" in info and "近 30 天" in info
    assert page.locator("#gg-info .gg-total").inner_text() == str(totals["grid-310115005003"])


def test_embed_shows_the_public_contact_point(embed):
    page = embed
    page.evaluate("""() => { window.geogrid.overlays.microgrid.eachLayer(l => {
        const c = l.feature.properties.contact;
        if (c && !c.inherited && c.office_phone === '021-58880001') l.fire('click'); }); }""")
    info = page.locator("#gg-info").inner_text()
    assert "网格长" in info and "021-58880001" in info and "9:00-17:00" in info


def test_permalink_keeps_and_restores_the_view(embed, live_server, browser):
    page = embed
    page.evaluate("void window.geogrid.map.setView([31.2370, 121.5120], 17, {animate: false})")
    page.uncheck(".leaflet-control-layers-overlays label:has-text('微网格') input")
    page.wait_for_function("location.hash.includes('map=17/')")
    link = page.url
    assert "layers=grid,stats" not in link and re.search(r"layers=grid(&|$)", link)
    # a fresh tab on the link opens the same view with the same layers
    other = browser.new_context().new_page()
    other.route("**/*", lambda r: r.continue_() if r.request.url.startswith(live_server)
                else r.fulfill(status=200, content_type="image/png", body=b""))
    other.goto(link, wait_until="networkidle")
    other.wait_for_function("document.documentElement.dataset.ready === '1'")
    view = other.evaluate("""() => { const m = window.geogrid.map, o = window.geogrid.overlays;
        return {z: m.getZoom(), lat: m.getCenter().lat, lon: m.getCenter().lng,
                grid: m.hasLayer(o.grid), micro: m.hasLayer(o.microgrid), stats: m.hasLayer(o.stats)}; }""")
    assert view["z"] == 17 and abs(view["lat"] - 31.2370) < 1e-4 and abs(view["lon"] - 121.5120) < 1e-4
    assert view["grid"] and not view["micro"] and not view["stats"]
    other.context.close()


def test_snippet_page_frames_the_embed(page, live_server, artifacts):
    page.goto(live_server + "/embed/snippet", wait_until="networkidle")
    snippet = page.locator("#gg-embed-snippet").input_value()
    assert snippet.startswith(f'<iframe src="{live_server}/embed/coverage"')
    frame = page.frame_locator("iframe")
    frame.locator("html[data-ready='1']").wait_for()
    assert "OpenStreetMap" in frame.locator(".leaflet-control-attribution").inner_text()
    page.screenshot(path=str(artifacts / "embed-snippet.png"))
    assert page.console_errors == [] and page.external_requests == []


def test_coverage_page_offers_the_snippet(page, live_server):
    page.goto(live_server + "/", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    page.click("details.gg-embed > summary")
    value = page.locator("#gg-embed-snippet").input_value()
    assert value.startswith(f'<iframe src="{live_server}/embed/coverage"') and "</iframe>" in value


def test_embed_on_amap_tiles_shifts_areas_into_gcj02(page, live_server):
    from geogrid.datum import wgs84_to_gcj02

    fetched = []
    page.on("response", lambda r: fetched.append(r) if "/public/areas" in r.url else None)
    page.goto(live_server + "/embed/coverage?basemap=amap", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    fc = json.loads(fetched[0].text())
    grid = next(f for f in fc["features"] if f["properties"]["id"] == "grid-310115005003")
    lon, lat = grid["geometry"]["coordinates"][0][0][0]
    drawn = page.evaluate("""() => { let out = null;
        window.geogrid.overlays.grid.eachLayer(g => { if (g.eachLayer) g.eachLayer(l => {
            if (l.feature && l.feature.properties.id === 'grid-310115005003') {
                const p = l.getLatLngs()[0][0][0]; out = [p.lng, p.lat]; } }); });
        return out; }""")
    glon, glat = wgs84_to_gcj02([lon], [lat])
    assert drawn == pytest.approx([glon[0], glat[0]], abs=1e-9)
    assert page.console_errors == [] and page.external_requests == []
