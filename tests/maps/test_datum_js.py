"""The browser's WGS84 → GCJ-02 (static/js/datum.js) against geogrid.datum, in Chromium."""

from __future__ import annotations

import numpy as np
import pytest

from geogrid.datum import gcj02_to_wgs84, wgs84_to_gcj02

pytestmark = pytest.mark.browser

POINTS = [
    (121.5055, 31.2352),    # Lujiazui
    (121.4800, 31.2260),    # the demo's south-west corner
    (116.3975, 39.9087),    # Beijing
    (87.6168, 43.8256),     # Ürümqi
    (113.2644, 23.1291),    # Guangzhou
    (126.6424, 45.7569),    # Harbin
    (72.0041, 0.8294),      # just inside the GCJ-02 box
    (-0.1276, 51.5072),     # London: outside China, unchanged
]


def test_js_gcj02_matches_python(page, live_server):
    page.goto(live_server + "/health")
    got = page.evaluate("""async (pts) => {
        const d = await import('/static/js/datum.js');
        return pts.map(([x, y]) => ({fwd: d.wgs84ToGcj02(x, y), inv: d.gcj02ToWgs84(...d.wgs84ToGcj02(x, y)),
                                      amap: d.fromStorage(x, y, 'gcj02'), tdt: d.fromStorage(x, y, 'cgcs2000')}));
    }""", [list(p) for p in POINTS])
    lon, lat = np.array(POINTS).T
    glon, glat = wgs84_to_gcj02(lon, lat)
    for i, (x, y) in enumerate(POINTS):
        assert got[i]["fwd"] == pytest.approx([glon[i], glat[i]], abs=1e-12)
        assert got[i]["amap"] == got[i]["fwd"]
        assert got[i]["tdt"] == [x, y]
        assert got[i]["inv"] == pytest.approx([x, y], abs=1e-9)
    # the shift is real in China (hundreds of metres) and absent abroad
    assert 300 < np.hypot((glon[0] - lon[0]) * 95_000, (glat[0] - lat[0]) * 111_000) < 700
    assert got[-1]["fwd"] == list(POINTS[-1])
    # and the inverse agrees with Python's iterated one
    back = page.evaluate("""async ([x, y]) => (await import('/static/js/datum.js')).gcj02ToWgs84(x, y)""",
                         [float(glon[0]), float(glat[0])])
    plon, plat = gcj02_to_wgs84(glon[:1], glat[:1])
    assert back == pytest.approx([plon[0], plat[0]], abs=1e-10)
