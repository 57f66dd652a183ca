"""The pages run in a real Chromium under their Content-Security-Policy.

Every page carries ``script-src 'self'`` plus the hashes of its own inline
scripts. Chromium enforces it: an inline script the server did not hash is
refused (the control below), and the pages' own scripts still run: zero
console errors and the map drawn. Waits use selectors, never string
predicates (Playwright evaluates those, which the CSP rightly forbids).
"""

from __future__ import annotations

import pytest

from tests.maps.conftest import PLANNER, TRANSPARENT_PNG, _is_tile

pytestmark = pytest.mark.browser


@pytest.fixture
def csp_page(browser, live_server):
    """A fresh page that enforces the pages' CSP (no bypass); tiles answered locally, anything
    else leaving the machine recorded; console errors collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.external_requests, pg.console_errors = [], []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))

    def route(r):
        url = r.request.url
        if url.startswith(live_server) or url.startswith("data:"):
            return r.continue_()
        if _is_tile(r.request):
            return r.fulfill(status=200, content_type="image/png", body=TRANSPARENT_PNG)
        pg.external_requests.append(url)
        return r.abort()

    pg.route("**/*", route)
    yield pg
    context.close()


PAGES = ["/", "/console", "/embed/coverage", "/embed/snippet", "/editor"]
READY = "html[data-ready='1']"


def _drawn(page) -> dict:
    return page.evaluate("""() => ({
        maps: document.querySelectorAll('.leaflet-container').length,
        shapes: document.querySelectorAll('path.leaflet-interactive').length})""")


@pytest.mark.parametrize("path", PAGES)
def test_page_runs_under_its_csp(csp_page, live_server, live_incidents, path):
    page = csp_page
    response = page.goto(live_server + path, wait_until="networkidle")
    csp = response.headers["content-security-policy"]
    assert csp.startswith("script-src 'self'") and "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "object-src 'none'" in csp and "base-uri 'self'" in csp
    if path == "/embed/snippet":
        assert page.locator("#gg-embed-snippet").input_value().startswith("<iframe")
    else:
        assert "'sha256-" in csp.split(";")[0]  # folium pages carry inline scripts, each hashed
        page.wait_for_selector(READY, state="attached")
        drawn = _drawn(page)
        assert drawn["maps"] >= 1, drawn
        if path in ("/", "/embed/coverage"):  # console and editor draw after sign-in
            assert drawn["shapes"] > 0, drawn
    if path == "/editor":  # sign in and open the active plan: the editor's own code runs
        page.fill("#gg-username", PLANNER[0])
        page.fill("#gg-password", PLANNER[1])
        page.click("#gg-signin button[type=submit]")
        page.click("#gg-view-active")
        page.wait_for_selector('#gg-workspace[data-status="active"]')
        page.wait_for_selector("path.gg-obj", state="attached")
    assert page.console_errors == [], page.console_errors
    assert page.external_requests == []


def test_an_unhashed_inline_script_is_refused(csp_page, live_server):
    page = csp_page
    page.goto(live_server + "/", wait_until="networkidle")
    ran = page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = 1';
        document.body.appendChild(s);
        return window.__injected === 1; }""")
    assert ran is False
    assert any("Content Security Policy" in e for e in page.console_errors)
