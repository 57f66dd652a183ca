"""``GET /geocode/suggest``: ranked completions for the console's intake form, staff only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geogrid.settings import Settings
from geogrid.store.users import create_user, issue_token


@pytest.fixture
def client(demo_store):
    app = create_app(Settings(database_url=str(demo_store.engine.url)), store=demo_store)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def headers(demo_store):
    create_user(demo_store, "s1", "dispatcher")
    return {"Authorization": f"Bearer {issue_token(demo_store, 's1')}"}


def test_suggest_completes_a_road_prefix(client, headers):
    r = client.get("/geocode/suggest", params={"q": "崂山"}, headers=headers)
    assert r.status_code == 200
    body = r.json()
    labels = [i["label"] for i in body["items"]]
    assert body["count"] == len(labels) > 0
    assert all("崂山" in x for x in labels)
    # prefix matches rank before labels that merely contain the text
    starts = [x.startswith("崂山") for x in labels]
    assert starts == sorted(starts, reverse=True)
    assert {"label", "kind", "lon", "lat"} <= set(body["items"][0])


def test_suggest_normalises_what_is_typed(client, headers):
    a = client.get("/geocode/suggest", params={"q": "崂山路６"}, headers=headers).json()
    b = client.get("/geocode/suggest", params={"q": "崂山路6"}, headers=headers).json()
    assert a["items"] == b["items"]


def test_suggest_needs_staff_and_a_query(client, headers):
    assert client.get("/geocode/suggest", params={"q": "崂山"}).status_code == 401
    assert client.get("/geocode/suggest", params={"q": ""}, headers=headers).status_code == 422


def test_worker_rebuilds_its_gazetteer_when_the_address_database_changes(spatialite_store):
    import geopandas as gpd
    from shapely.geometry import Point

    from geogrid.geocode.addressdb import prepare_addresses
    from geogrid.store.addresses import AddressBook

    create_user(spatialite_store, "s2", "dispatcher")
    auth = {"Authorization": f"Bearer {issue_token(spatialite_store, 's2')}"}
    app = create_app(Settings(database_url=str(spatialite_store.engine.url)),
                     store=spatialite_store)
    def add(address, lon):
        frame = gpd.GeoDataFrame({"address": [address]}, geometry=[Point(lon, 31.3)],
                                 crs="EPSG:4490")
        rows, _ = prepare_addresses(frame, source="t", source_date="2026-11-01", licence="l")
        with spatialite_store.write() as conn:   # as another worker's import would
            AddressBook(spatialite_store).upsert(conn, rows, actor="test")

    with TestClient(app) as c:
        empty = c.get("/geocode/suggest", params={"q": "新建路"}, headers=auth)
        assert empty.status_code == 422 and "地址库为空" in empty.json()["error"]["message"]
        add("新建路99号", 121.6)
        first = c.get("/geocode/suggest", params={"q": "新建路"}, headers=auth).json()["items"]
        assert [i["label"] for i in first] == ["新建路99号", "新建路"]
        add("新建路101号", 121.6005)
        items = c.get("/geocode/suggest", params={"q": "新建路"}, headers=auth).json()["items"]
        assert [i["label"] for i in items] == ["新建路99号", "新建路101号", "新建路"]
        got = c.get("/geocode", params={"q": "新建路101号"}, headers=auth)
        assert got.json()["lon"] == pytest.approx(121.6005)
        assert got.json()["chain"] is None and "no active plan" in got.json()["area_reason"]
