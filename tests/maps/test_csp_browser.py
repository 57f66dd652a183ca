"""The pages run in a real Chromium under their Content-Security-Policy.

Every page carries ``script-src 'self'`` plus the hashes of its own inline
scripts. Chromium enforces it: an inline script the server did not hash is
refused (the control below), and the pages' own scripts still run: zero
console errors and the map drawn. Waits use selectors, never string
predicates (Playwright evaluates those, which the CSP rightly forbids).
"""

from __future__ import annotations

import pytest

from tests.maps.conftest import PLANNER, offline_page

pytestmark = pytest.mark.browser


@pytest.fixture
def csp_page(browser, live_server):
    """An offline page that enforces the pages' CSP (no bypass)."""
    context, pg = offline_page(browser, live_server, bypass_csp=False)
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
