"""The pages run in a real Chromium under their Content-Security-Policy.

Every page carries ``script-src 'self'`` plus the hashes of its own inline
scripts. Chromium enforces it: an inline script the server did not hash is
refused (the control below), and the pages' own scripts still run: zero
console errors and the map drawn.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PAGES = ["/", "/console", "/embed/coverage", "/embed/snippet"]


@pytest.mark.parametrize("path", PAGES)
def test_page_runs_under_its_csp(page, live_server, live_incidents, path):
    response = page.goto(live_server + path, wait_until="networkidle")
    csp = response.headers["content-security-policy"]
    assert csp.startswith("script-src 'self'") and "unsafe-inline" not in csp
    if path != "/embed/snippet":  # folium pages carry inline scripts, each hashed
        assert "'sha256-" in csp.split(';')[0]
    assert "object-src 'none'" in csp and "base-uri 'self'" in csp
    if path != "/embed/snippet":
        page.wait_for_function("document.documentElement.dataset.ready === '1'")
        drawn = page.evaluate("""() => ({
            maps: document.querySelectorAll('.leaflet-container').length,
            shapes: document.querySelectorAll('path.leaflet-interactive').length})""")
        assert drawn["maps"] >= 1, drawn
        if path != "/console":  # the console draws its layers after sign-in
            assert drawn["shapes"] > 0, drawn
    else:
        assert page.locator("#gg-embed-snippet").input_value().startswith("<iframe")
    assert page.console_errors == [], page.console_errors
    assert page.external_requests == []


def test_an_unhashed_inline_script_is_refused(page, live_server):
    page.goto(live_server + "/", wait_until="networkidle")
    ran = page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = 1';
        document.body.appendChild(s);
        return window.__injected === 1; }""")
    assert ran is False
    assert any("Content Security Policy" in e for e in page.console_errors)
