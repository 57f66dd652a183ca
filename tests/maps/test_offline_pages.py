"""Every page in a browser cut off from the internet: no failed request, no console error,
the offline basemap drawn under the grids, and no untranslated English in Chinese mode."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

PAGES = ["/", "/editor", "/console", "/embed/coverage", "/embed/snippet", "/docs", "/redoc"]
MAP_PAGES = ["/", "/editor", "/console", "/embed/coverage"]
#: proper names and technical tokens that stay as they are in a Chinese UI
ALLOWED = {"GeoJSON", "GeoPackage", "JSON", "PNG", "PDF", "API", "OpenAPI", "OpenStreetMap", "ODbL", "Leaflet",
           "CSV", "CRS84", "WGS84", "GCJ", "CGCS2000", "BD", "Swagger", "UI", "ReDoc", "geogrid",
           "English", "CV", "A4", "A3", "km", "m", "iframe", "HTML", "URL", "OSM", "Amap"}
#: the ODbL attribution is kept in its legal wording; user names and what users typed (the
#: XSS probes of other tests) are data, not UI text
KEPT_PHRASES = ("OpenStreetMap contributors", "disp1", "plan1", "<script>",
                "<img src=x onerror=alert(1)>")
#: identifiers (incident numbers) are not words
IDENTIFIER = re.compile(r"\b[A-Z]{2,5}-\d{8}-[0-9A-F]{6,}\b")
#: basemap colours (maps/…/style): water fill and road-name ink
WATER = (185, 211, 232)
ROAD_INK = (91, 89, 85)

VISIBLE_TEXT = """() => {
  const skip = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEXTAREA", "CODE", "PRE"]);
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const n = walker.currentNode, e = n.parentElement;
    if (!e || skip.has(e.tagName) || e.closest("code, pre, textarea")) continue;
    if (!e.getClientRects().length) continue;
    const cs = getComputedStyle(e);
    if (cs.visibility === "hidden" || cs.display === "none") continue;
    out.push(n.textContent);
  }
  for (const e of document.querySelectorAll("[placeholder], [title], [aria-label], img[alt]")) {
    if (!e.getClientRects().length) continue;
    for (const a of ["placeholder", "title", "aria-label", "alt"]) {
      if (e.getAttribute(a)) out.push(e.getAttribute(a));
    }
  }
  return out.join("\\n");
}"""

BASEMAP_INK = """([water, ink]) => {
  let w = 0, k = 0;
  for (const c of document.querySelectorAll("canvas.gg-basemap-tile")) {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) {
      const near = (rgb, tol) => Math.abs(d[i] - rgb[0]) <= tol
        && Math.abs(d[i + 1] - rgb[1]) <= tol && Math.abs(d[i + 2] - rgb[2]) <= tol;
      if (near(water, 3)) w++;
      else if (near(ink, 40) && d[i + 3] > 200) k++;
    }
  }
  return [w, k];
}"""


def english_words(text: str) -> list[str]:
    """Latin-letter words in ``text`` that are not allowed tokens (with their context)."""
    text = IDENTIFIER.sub("", re.sub(r"\s+", " ", text))
    for phrase in KEPT_PHRASES:
        text = text.replace(phrase, "")
    found = set()
    for m in re.finditer(r"[A-Za-z][A-Za-z_]*(?:-[A-Za-z]+)*", text):
        if m.group() not in ALLOWED:
            found.add(f"{m.group()} «{text[max(m.start() - 15, 0):m.end() + 15]}»")
    return sorted(found)


def watch(page):
    """Record failed requests and error responses on ``page``."""
    page.failed = []
    page.on("requestfailed", lambda r: page.failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: page.failed.append(f"{r.url} {r.status}")
            if r.status >= 400 else None)
    return page


def settle(page):
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_without_errors(page, live_server, artifacts, path):
    watch(page)
    page.goto(live_server + path)
    settle(page)
    name = path.strip("/").replace("/", "-") or "index"
    page.screenshot(path=str(artifacts / f"offline-{name}.png"))
    assert page.failed == []
    assert page.external_requests == []
    assert page.console_errors == []
    assert page.get_attribute("html", "lang") == "zh-CN"


@pytest.mark.parametrize("path", MAP_PAGES)
def test_basemap_draws_water_and_road_names_under_the_grids(page, live_server, path):
    watch(page)
    page.goto(live_server + path)
    settle(page)
    page.wait_for_function("document.querySelectorAll('canvas.gg-basemap-tile').length >= 4")
    water, ink = page.evaluate(BASEMAP_INK, [WATER, ROAD_INK])
    assert water > 2000, "the river is not drawn"
    assert ink > 200, "no road names are drawn"
    assert page.failed == [] and page.console_errors == []


def test_one_screen_of_basemap_tiles_is_under_500_kb_on_the_wire(page, live_server):
    sizes = []
    page.on("requestfinished", lambda r: sizes.append(r.sizes()["responseBodySize"])
            if "/basemap/" in r.url else None)
    page.goto(live_server + "/")
    settle(page)
    assert len(sizes) >= 12
    assert sum(sizes) < 500 * 1024


@pytest.mark.parametrize("path", ["/", "/embed/coverage", "/embed/snippet", "/editor", "/console"])
def test_no_untranslated_english_in_chinese_mode(page, live_server, path):
    page.goto(live_server + path)
    settle(page)
    words = english_words(page.evaluate(VISIBLE_TEXT))
    assert words == [], "\n".join(words)


def test_no_untranslated_english_in_the_signed_in_console(page, live_server, live_incidents,
                                                          live_login):
    page.goto(live_server + "/console")
    settle(page)
    page.fill("#gg-username", "nobody")
    page.fill("#gg-password", "wrong")
    page.click("#gg-signin button[type=submit]")
    page.wait_for_function("document.getElementById('gg-signin-error').textContent.length > 0")
    failure = page.inner_text("#gg-signin-error")
    assert english_words(failure) == [] and "登录失败" in failure
    page.fill("#gg-username", live_login[0])
    page.fill("#gg-password", live_login[1])
    page.click("#gg-signin button[type=submit]")
    page.wait_for_selector(".gg-inc")
    page.locator(".gg-inc").first.click()
    page.wait_for_selector("#gg-timeline li")
    settle(page)
    words = english_words(page.evaluate(VISIBLE_TEXT))
    assert words == [], "\n".join(words)


def test_no_untranslated_english_in_the_editor_validation(page, live_server, live_planner):
    page.goto(live_server + "/editor")
    settle(page)
    page.fill("#gg-username", live_planner[0])
    page.fill("#gg-password", live_planner[1])
    page.click("#gg-signin button[type=submit]")
    page.wait_for_selector("#gg-plans:not([hidden]) #gg-view-active")
    page.click("#gg-view-active")
    page.wait_for_selector("#gg-workspace:not([hidden])")
    page.click("#gg-validate")
    page.wait_for_selector("#gg-problems-panel:not([hidden])")
    settle(page)
    problems = page.inner_text("#gg-problems")
    assert "mg-" not in problems and "imbalance" not in problems
    words = english_words(page.evaluate(VISIBLE_TEXT))
    assert words == [], "\n".join(words)
