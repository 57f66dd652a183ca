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
