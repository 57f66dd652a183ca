"""The pages over HTTP (no browser): offline assets, headers, languages, basemaps, the snippet."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api import create_app
from geogrid.settings import Settings

CDNS = ("cdn.jsdelivr", "unpkg.com", "cdnjs", "code.jquery", "bootstrapcdn", "googleapis")
PAGES = ["/", "/console", "/embed/coverage", "/embed/snippet"]


@pytest.fixture
def client(demo_store):
    app = create_app(Settings(database_url=str(demo_store.engine.url),
                              frame_ancestors="'self' https://community.example.org"),
                     store=demo_store)
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_offline_and_attributed(client, path):
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for cdn in CDNS:
        assert cdn not in r.text
    assert "OpenStreetMap" in r.text
    # every script and stylesheet is served by the app itself
    for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', r.text):
        if src.startswith("/static/"):
            assert client.get(src).status_code == 200, src
        else:
            assert not src.startswith(("http:", "https:", "//")), src


def test_modules_are_served_as_javascript(client):
    for name in ("common", "datum", "coverage", "console", "embed", "permalink"):
        r = client.get(f"/static/js/{name}.js")
        assert r.status_code == 200 and "javascript" in r.headers["content-type"]


def test_embed_may_be_framed_by_the_configured_ancestors_only(client):
    r = client.get("/embed/coverage")
    assert r.headers["content-security-policy"].endswith(
        "; frame-ancestors 'self' https://community.example.org")
    assert "x-frame-options" not in r.headers
    for path in ("/", "/console"):
        r = client.get(path)
        assert r.headers["x-frame-options"] == "SAMEORIGIN"
        assert r.headers["content-security-policy"].endswith("; frame-ancestors 'self'")


def test_embed_redirects_with_its_query(client):
    r = client.get("/embed?lang=en&days=7", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/embed/coverage?lang=en&days=7"


def test_snippet_is_an_escaped_iframe_to_the_embed(client):
    html = client.get("/embed/snippet").text
    assert "&lt;iframe src=&quot;http://testserver/embed/coverage&quot;" in html
    assert '<iframe src="http://testserver/embed/coverage"' in html
    assert "/embed/coverage?lang=en" in client.get("/embed/snippet?lang=en").text


def test_english_and_chinese(client):
    zh = client.get("/console").text
    en = client.get("/console", params={"lang": "en"}).text
    assert "派单指挥台" in zh and "Dispatch console" in en
    assert 'href="/console?lang=en"' in zh
    assert "Community grid map" in client.get("/embed/coverage?lang=en").text
    assert "Coverage map" in client.get("/?lang=en").text


def test_basemaps_set_the_overlay_datum(client):
    amap = client.get("/", params={"basemap": "amap"}).text
    assert "autonavi.com" in amap and '"datum":"gcj02"' in amap
    assert '"datum":"cgcs2000"' in client.get("/console", params={"basemap": "tianditu"}).text
    none = client.get("/embed/coverage", params={"basemap": "none"}).text
    assert "tile.openstreetmap.org" not in none and "OpenStreetMap" in none
    assert client.get("/", params={"basemap": "bing"}).status_code == 422


def test_coverage_grids_shift_onto_gcj02_tiles(client):
    """On Amap tiles the grids are drawn about 500 m off their WGS84 place (east and south)."""
    def first_coord(html):
        m = re.search(r'"id": "grid-310115005003".*?"coordinates": \[\[\[\[([\d.]+), ([\d.]+)\]',
                      html, re.S)
        return float(m.group(1)), float(m.group(2))

    x0, y0 = first_coord(client.get("/").text)
    x1, y1 = first_coord(client.get("/", params={"basemap": "amap"}).text)
    assert 0.003 < x1 - x0 < 0.006 and -0.003 < y1 - y0 < 0.0


def test_choropleth_link_only_with_memberships(demo_store):
    import sqlalchemy as sa

    from geogrid.store import schema as S

    def pages():
        app = create_app(Settings(database_url=str(demo_store.engine.url)), store=demo_store)
        with TestClient(app) as c:
            return c.get("/").text, c.get("/", params={"choropleth": "workload"}).text

    plain, coloured = pages()
    assert "按工作量着色" in plain and "gg-workload-legend" in coloured
    with demo_store.write() as conn:  # without memberships there is nothing to colour by
        conn.execute(sa.delete(S.memberships))
    plain, coloured = pages()
    assert "按工作量着色" not in plain and "gg-workload-legend" not in coloured


def test_config_json_cannot_break_out_of_its_script(client):
    html = client.get("/").text
    config = re.search(r'<script type="application/json" id="gg-config">(.*?)</script>', html, re.S)
    assert config and "<" not in config.group(1)


def test_plan_names_are_escaped_everywhere(demo_store):
    import sqlalchemy as sa

    from geogrid.store import schema as S

    with demo_store.write() as conn:
        conn.execute(sa.update(S.plans).values(name='<script>alert("x")</script>'))
    app = create_app(Settings(database_url=str(demo_store.engine.url)), store=demo_store)
    with TestClient(app) as c:
        for path in ("/", "/console", "/?lang=en"):
            html = c.get(path).text
            assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_every_string_has_both_languages():
    from maps.i18n import ALWAYS, LANGS, STRINGS, bundle, t

    for key, entry in STRINGS.items():
        assert set(entry) == set(LANGS), key
        assert entry["zh"].count("{") == entry["en"].count("{"), key
    assert t("console.count", "en", n=3) == "3 incidents"
    assert t("no.such.key") == "no.such.key"
    assert set(bundle("en", "status.")) == {k for k in STRINGS
                                            if k.startswith(("status.", *ALWAYS))}


def test_validation_problems_are_highlighted_when_asked(client, demo_store, stand_in):
    pytest.importorskip("geogrid.validate")
    import sqlalchemy as sa

    from geogrid.store import schema as S

    plan_id = int(demo_store.active_plan()["id"])
    first = demo_store.areas(plan_id, level="microgrid")["id"].iloc[0]
    with demo_store.write() as conn:   # leave a gap in 滨江船厂带
        conn.execute(sa.delete(S.areas).where(S.areas.c.plan_id == plan_id,
                                              S.areas.c.uid == first))
    html = client.get("/", params={"check": True}).text
    assert "gg-problem" in html and re.search(r"校验问题 \d+ 处", html)
    assert "gg-problem" not in client.get("/").text
