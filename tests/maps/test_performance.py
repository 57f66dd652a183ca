"""The coverage map's budget: under 2 MB of HTML+JSON in headless Chromium, with no failed request.

The live store is the demo street with all its levels, so the page carries every level it
will carry in practice. Weight is the sum of the bodies of the document and of every
fetch/XHR response. Time to interactive is measured, not asserted, by
``python -m benchmarks.maps.bench_pages``.
"""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.browser

MAX_BYTES = 2 * 1024 * 1024


def measure(page, url: str) -> dict:
    sizes: dict[str, int] = {}
    failed: list[str] = []

    def on_response(r):
        if r.request.resource_type in ("document", "fetch", "xhr"):
            try:
                sizes[r.url] = len(r.body())
            except Exception:  # redirects have no body
                sizes[r.url] = 0
        if r.status >= 400:
            failed.append(f"{r.status} {r.url}")

    page.on("response", on_response)
    page.on("requestfailed", lambda r: failed.append(f"{r.failure} {r.url}"))
    page.goto(url, wait_until="load")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    page.wait_for_load_state("networkidle")
    paths = page.locator("path.leaflet-interactive").count()
    return {"html_json_bytes": sum(sizes.values()), "failed": failed, "paths": paths}


@pytest.mark.parametrize("query", ["", "?choropleth=workload"])
def test_coverage_map_weight_and_no_failed_request(page, live_server, artifacts, query):
    url = live_server + "/" + query
    httpx.get(url, timeout=30).raise_for_status()   # the server builds its page cache once
    m = measure(page, url)
    (artifacts / f"perf{query.replace('?', '-').replace('=', '-')}.json").write_text(
        json.dumps(m, indent=2))
    assert 0 < m["html_json_bytes"] < MAX_BYTES
    assert m["failed"] == []
    assert m["paths"] > 0
    assert page.console_errors == []
