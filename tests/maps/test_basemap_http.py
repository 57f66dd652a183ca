"""The basemap over HTTP and the CLI that imports an OSM extract for it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import create_app
from geogrid.basemap import decode, lonlat_to_tile
from geogrid.cli import app as cli
from geogrid.settings import Settings


@pytest.fixture
def client(demo_store, tmp_path):
    app = create_app(Settings(database_url=str(demo_store.engine.url), data_dir=tmp_path),
                     store=demo_store)
    with TestClient(app) as c:
        yield c


def test_style_document(client):
    doc = client.get("/basemap/style.json").json()
    assert doc["tiles"] == "/basemap/{z}/{x}/{y}.pbf" and doc["datum"] == "wgs84"
    assert "OpenStreetMap" in doc["attribution"]
    w, s, e, n = doc["bounds"]
    assert 121.47 < w < e < 121.53 and 31.22 < s < n < 31.26
    assert doc["style"]["roads"]["primary"]["color"]


def test_tiles_gzip_etag_and_empty(client):
    x, y = lonlat_to_tile(121.5070, 31.2330, 16)
    r = client.get(f"/basemap/16/{x}/{y}.pbf", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert r.headers["content-encoding"] == "gzip" and "max-age" in r.headers["cache-control"]
    tile = decode(r.content)  # httpx has already inflated it
    names = {f["properties"]["name"] for f in tile["road_labels"]["features"]}
    assert names and all(any("\u4e00" <= ch <= "\u9fff" for ch in n) for n in names)
    raw = client.get(f"/basemap/16/{x}/{y}.pbf", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and decode(raw.content) == tile
    again = client.get(f"/basemap/16/{x}/{y}.pbf", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/basemap/16/0/0.pbf").status_code == 204
    assert client.get("/basemap/25/0/0.pbf").status_code == 422


def test_pages_use_the_offline_basemap_by_default_and_others_by_setting(client, monkeypatch):
    page = client.get("/").text
    assert 'id="gg-basemap"' in page and "/static/js/basemap.js" in page
    assert "tile.openstreetmap.org" not in page
    osm = client.get("/embed/coverage?basemap=osm").text
    assert "tile.openstreetmap.org" in osm and 'id="gg-basemap"' not in osm
    monkeypatch.setenv("GEOGRID_BASEMAP", "amap")
    assert "autonavi" in client.get("/console").text


def test_cli_imports_an_osm_extract_dry_run_then_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOGRID_DATA_DIR", str(tmp_path))
    from geogrid.settings import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    src = "data/osm/huangpu-drive/huangpu_drive_osmnx.osm"
    dry = runner.invoke(cli, ["basemap", "import", src])
    assert dry.exit_code == 0 and "691" in dry.output and not (tmp_path / "basemap.gpkg").exists()
    done = runner.invoke(cli, ["basemap", "import", src, "--commit"])
    assert done.exit_code == 0 and (tmp_path / "basemap.gpkg").exists()
    bad = runner.invoke(cli, ["basemap", "import", str(tmp_path / "missing")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    get_settings.cache_clear()


def test_the_server_draws_the_imported_extract(demo_store, tmp_path):
    from geogrid.basemap import read_layers
    from geogrid.basemap.sources import write_layers

    write_layers(read_layers("data/osm/huangpu-drive/huangpu_drive_osmnx.osm"),
                 tmp_path / "basemap.gpkg")
    app = create_app(Settings(database_url=str(demo_store.engine.url), data_dir=tmp_path),
                     store=demo_store)
    with TestClient(app) as c:
        w, s, e, n = c.get("/basemap/style.json").json()["bounds"]
        assert w < 121.47  # Huangpu, west of the river, not the shipped Lujiazui extract
        x, y = lonlat_to_tile(121.4735, 31.2300, 15)
        tile = decode(c.get(f"/basemap/15/{x}/{y}.pbf").content)
        assert "roads" in tile
