"""GET /tiles/{plan}/{z}/{x}/{y}.mvt on the demo (SpatiaLite store, Python encoder)."""

from __future__ import annotations

import gzip
import math

import mapbox_vector_tile
import pytest

from geogrid.store.tiles import MVT_MEDIA_TYPE
from geogrid.store.users import create_user, issue_token

Z = 15


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    return (int((lon + 180.0) / 360.0 * n),
            int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n))


X, Y = tile_of(121.51, 31.237, Z)
URL = f"/tiles/active/{Z}/{X}/{Y}.mvt"


def test_tile_is_mvt_with_one_layer_per_level(client):
    r = client.get(URL)
    assert r.status_code == 200
    assert r.headers["content-type"] == MVT_MEDIA_TYPE
    assert r.headers["content-encoding"] == "gzip"        # the client asked for it
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["cache-control"] == "public, max-age=60"
    layers = mapbox_vector_tile.decode(r.content)
    assert list(layers) == ["street", "grid", "community", "microgrid", "building_group"]
    mgs = {f["properties"]["id"] for f in layers["microgrid"]["features"]}
    assert len(mgs) >= 10 and all(m.startswith("mg-310115005") for m in mgs)
    plan = client.get("/plans/active").json()
    by_id = client.get(f"/tiles/{plan['id']}/{Z}/{X}/{Y}.mvt")
    assert by_id.content == r.content
    assert by_id.headers["cache-control"] == "public, max-age=3600"
    plain = client.get(URL, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == r.content


def test_etag_revalidates_with_304_and_tiles_are_cached(client, monkeypatch):
    import api.routers.tiles as tiles_router

    calls = []
    real = tiles_router.render_tile
    monkeypatch.setattr(tiles_router, "render_tile",
                        lambda *a, **k: calls.append(a[2:]) or real(*a, **k))
    first = client.get(URL)
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and str(client.get("/plans/active").json()["version"]) in etag
    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(URL).content == first.content
    assert len(calls) <= 1                       # built once (or not at all: cached earlier)
    gcj = client.get(URL, params={"datum": "gcj02"})
    assert gcj.status_code == 200 and gcj.headers["etag"] != etag and gcj.content != first.content


def test_empty_tile_is_204(client):
    x, y = tile_of(121.40, 31.10, Z)
    r = client.get(f"/tiles/active/{Z}/{x}/{y}.mvt")
    assert r.status_code == 204 and r.content == b""
    assert r.headers["etag"] and r.headers["cache-control"]


def test_drafts_are_hidden_from_anonymous_users(client, demo_store):
    draft = demo_store.copy_plan(1, name="草稿")
    url = f"/tiles/{draft}/{Z}/{X}/{Y}.mvt"
    r = client.get(url)
    assert r.status_code == 404 and r.json()["error"]["field"] == "plan"
    create_user(demo_store, "pl", "planner")
    staff = {"Authorization": f"Bearer {issue_token(demo_store, 'pl')}"}
    r = client.get(url, headers=staff)
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-cache"
    assert "microgrid" in mapbox_vector_tile.decode(r.content)


@pytest.mark.parametrize("path,field", [
    ("/tiles/active/23/0/0.mvt", "z"),
    ("/tiles/active/-1/0/0.mvt", "z"),
    (f"/tiles/active/{Z}/{1 << Z}/0.mvt", "x"),
    (f"/tiles/active/{Z}/-3/0.mvt", "x"),
    (f"/tiles/active/{Z}/0/{1 << Z}.mvt", "y"),
    (f"/tiles/active/{Z}/0/abc.mvt", "y"),
    ("/tiles/active/3/0/99999999999999999999999.mvt", "y"),
    (f"/tiles/active/{Z}/{X}/{Y}.mvt?datum=mars", "datum"),
])
def test_bad_tile_coordinates_are_422_naming_the_field(client, path, field):
    r = client.get(path)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field


def test_unknown_plans_are_404(client):
    assert client.get(f"/tiles/999/{Z}/{X}/{Y}.mvt").status_code == 404
    assert client.get(f"/tiles/nope/{Z}/{X}/{Y}.mvt").status_code == 404


def test_gzip_body_is_the_tile(client):
    with client.stream("GET", URL) as r:         # the raw body, before the client decodes it
        raw = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip"
    assert len(raw) < len(client.get(URL, headers={"Accept-Encoding": "identity"}).content)
    assert "microgrid" in mapbox_vector_tile.decode(gzip.decompress(raw))
