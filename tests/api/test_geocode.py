from __future__ import annotations

import pytest

from geogrid.store.users import create_user, issue_token


@pytest.fixture
def headers(demo_store):
    create_user(demo_store, "d1", "dispatcher")
    return {"Authorization": f"Bearer {issue_token(demo_store, 'd1')}"}


@pytest.mark.parametrize("q,level,grid", [
    ("陆家嘴西路168号正大广场B1层", "门牌", "陆家嘴金融城"),
    ("上海市浦东新区世纪大道１号", "门牌", None),
    ("崂山五村", "小区", "崂山住区"),
    ("东方路与浦东大道交叉口东50米", "交叉口", None),
])
def test_geocode_levels_and_microgrid(client, headers, q, level, grid):
    r = client.get("/geocode", params={"q": q}, headers=headers).json()
    assert r["ok"] is True and r["level"] == level
    assert 0 < r["confidence"] <= 1
    assert r["chain"]["street"]["name"] == "陆家嘴街道"
    if grid:
        assert r["chain"]["grid"]["name"] == grid


def test_no_match_gives_a_reason(client, headers):
    r = client.get("/geocode", params={"q": "火星路1号"}, headers=headers).json()
    assert r["ok"] is False and "火星路" in r["reason"]


def test_batch_geocode_in_order(client, headers):
    body = client.post("/geocode", json={"queries": ["世纪大道1号", "火星路1号", "崂山五村"]},
                       headers=headers).json()
    assert [r["ok"] for r in body["results"]] == [True, False, True]
    assert body["found"] == 2 and body["results"][2]["area_id"]


def test_reverse_nearest_address(client, headers):
    r = client.get("/reverse", params={"lon": 121.4952604, "lat": 31.2419463, "datum": "cgcs2000"},
                   headers=headers).json()
    assert r["ok"] and r["address"] == "世纪大道1号" and r["distance_m"] < 1


def test_geocode_needs_staff(client):
    assert client.get("/geocode", params={"q": "世纪大道1号"}).status_code == 401


def _add_addresses(store, rows):
    """Rows (address, name, lon, lat) into the store's address database, as an import would."""
    import geopandas as gpd
    from shapely.geometry import Point

    from geogrid.geocode.addressdb import prepare_addresses
    from geogrid.store.addresses import AddressBook

    frame = gpd.GeoDataFrame({"address": [r[0] for r in rows], "name": [r[1] for r in rows]},
                             geometry=[Point(r[2], r[3]) for r in rows], crs="EPSG:4490")
    prepared, _ = prepare_addresses(frame, name_column="name", source="t",
                                    source_date="2026-11-01", licence="l")
    with store.write() as conn:
        AddressBook(store).upsert(conn, prepared, actor="test")


BRANCHES = [("张杨路500号", "星巴克(张杨路店)", 121.5150, 31.2320),
            ("世纪大道100号", "星巴克(世纪大道店)", 121.5060, 31.2390),
            ("银城中路501号", "星巴克(银城中路店)", 121.5010, 31.2410)]


def test_a_place_name_query_returns_its_branch_and_each_microgrid(client, headers, demo_store):
    _add_addresses(demo_store, BRANCHES)
    r = client.get("/geocode", params={"q": "星巴克(张杨路店)"}, headers=headers).json()
    assert r["ok"] and r["matched"] == "星巴克(张杨路店)"
    assert (r["lon"], r["lat"]) == pytest.approx((121.5150, 31.2320), abs=1e-6)
    # the brand alone is ambiguous: every branch comes back, none confidently
    r = client.get("/geocode", params={"q": "星巴克"}, headers=headers).json()
    assert r["ok"] and r["needs_review"] and r["confidence"] < 0.8
    places = {(round(a["lon"], 4), round(a["lat"], 4)) for a in (r, *r["alternatives"])}
    assert {(b[2], b[3]) for b in BRANCHES} <= places
    for a in (r, *r["alternatives"]):  # each alternative says where it would be dispatched
        assert "chain" in a and (a["chain"] is None or a["chain"]["street"]["name"] == "陆家嘴街道")


def test_the_given_name_picks_a_record_and_answers_an_empty_address(client, headers, demo_store):
    site = [("浦东南路1000号", "某医院门诊楼", 121.5100, 31.2300),
            ("浦东南路1000号", "某医院急诊", 121.5130, 31.2300)]  # about 290 m apart
    _add_addresses(demo_store, site)
    plain = client.get("/geocode", params={"q": "浦东南路1000号"}, headers=headers).json()
    named = client.get("/geocode", params={"q": "浦东南路1000号", "name": "某医院急诊"},
                       headers=headers).json()
    assert named["lon"] == pytest.approx(121.5130, abs=1e-6)
    assert named["confidence"] > plain["confidence"]
    body = client.post("/geocode", headers=headers, json={
        "queries": ["浦东南路1000号", "浦东南路1000号"], "names": ["某医院门诊楼", "某医院急诊"]}).json()
    assert [round(x["lon"], 4) for x in body["results"]] == [121.51, 121.513]
    bad = client.post("/geocode", headers=headers, json={"queries": ["a", "b"], "names": ["x"]})
    assert bad.status_code == 422 and "names" in bad.json()["error"]["message"]
