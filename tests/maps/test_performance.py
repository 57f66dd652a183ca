"""The coverage map's budget: under 2 MB of HTML+JSON, interactive within 2 s in headless Chromium.

The live store is the demo street with its 267 microgrids (stand-ins while the
demo ships none), so the page carries every level it will carry in practice.
Weight is the sum of the bodies of the document and of every fetch/XHR
response; time is measured from navigation start (``performance.now()``) to
the later of the first grid path in the DOM and the page module being ready
(search box and tooltips wired).
"""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.browser

MAX_BYTES = 2 * 1024 * 1024
MAX_MS = 2000.0
FIRST_PATH = """
new MutationObserver((_, obs) => {
  if (document.querySelector('path.leaflet-interactive')) {
    window.__firstPath = performance.now();
    obs.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def measure(page, url: str) -> dict:
    sizes: dict[str, int] = {}

    def on_response(r):
        if r.request.resource_type in ("document", "fetch", "xhr"):
            try:
                sizes[r.url] = len(r.body())
            except Exception:  # redirects have no body
                sizes[r.url] = 0

    page.on("response", on_response)
    page.add_init_script(FIRST_PATH)
    page.goto(url, wait_until="load")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    t = page.evaluate("""() => ({first_path_ms: window.__firstPath, ready_ms: window.geogrid.ready,
        dom_content_loaded_ms: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
        assets_bytes: performance.getEntriesByType('resource')
            .reduce((s, e) => s + (e.decodedBodySize || 0), 0)})""")
    t["html_json_bytes"] = sum(sizes.values())
    t["interactive_ms"] = max(t["first_path_ms"], t["ready_ms"])
    return t


@pytest.mark.parametrize("query", ["", "?choropleth=workload"])
def test_coverage_map_weight_and_time_to_interactive(page, live_server, artifacts, query):
    url = live_server + "/" + query
    httpx.get(url, timeout=30).raise_for_status()   # the server builds its page cache once
    m = measure(page, url)
    (artifacts / f"perf{query.replace('?', '-').replace('=', '-')}.json").write_text(
        json.dumps(m, indent=2))
    print(f"\ncoverage{query}: {m['html_json_bytes'] / 1024:.0f} KiB HTML+JSON, "
          f"{m['assets_bytes'] / 1024:.0f} KiB JS/CSS, first grid path {m['first_path_ms']:.0f} ms, "
          f"interactive {m['interactive_ms']:.0f} ms")
    assert 0 < m["html_json_bytes"] < MAX_BYTES
    assert m["first_path_ms"] is not None and m["interactive_ms"] < MAX_MS
    assert page.console_errors == []
