"""The public endpoints behind the embed: public fields only, and small counts suppressed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from geogrid.store.responders import add_responder, ensure_team
from geogrid.store.users import create_user, issue_token
from tests.support.payload import keys

PERSONAL_KEYS = {"reporter_name", "reporter_phone", "phone", "description", "lon", "lat",
                 "address", "uid", "events"}


@pytest.fixture
def disp(demo_store):
    create_user(demo_store, "disp", "dispatcher")
    return {"Authorization": f"Bearer {issue_token(demo_store, 'disp')}"}


def report(client, headers, lon, lat, category="积水", **kw):
    body = {"category": category, "lon": lon, "lat": lat, "datum": "wgs84",
            "description": "楼下积水很深", "reporter": {"name": "李四", "phone": "13711112222"}} | kw
    r = client.post("/incidents", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def by_id(stats: dict) -> dict[str, dict]:
    return {a["id"]: a for a in stats["areas"]}


def test_public_areas_have_public_fields_and_team_contact(client, demo_store):
    with demo_store.write() as conn:
        ensure_team(conn, "310115005003", "崂山住区网格团队",
                    public_contact={"role": "网格长", "phone": "021-50000000", "hours": "9-17",
                                    "leader_mobile": "13900001111", "leader": "王五"})
    add_responder(demo_store, name="王五", role="网格长", actor="t", area_code="310115005003",
                  phone="13900001111", lon=121.51, lat=31.236)
    r = client.get("/public/areas")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert "OpenStreetMap" in fc["attribution"]
    props = {f["properties"]["code"]: f["properties"] for f in fc["features"]}
    assert set(props["310115005003"]) == {"id", "level", "kind", "name", "code", "parent_id",
                                          "contact", "label"}
    # the office phone is public by design; the leader's mobile and name are dropped
    assert props["310115005003"]["contact"] == {"role": "网格长", "office_phone": "021-50000000",
                                                "hours": "9-17", "team": "崂山住区网格团队"}
    # the demo's teams show a fictional office number, marked as demo data, never a person
    demo = props["310115005004"]["contact"]
    assert demo["office_phone"].startswith("021-5550") and "演示数据" in demo["role"]
    phones = [p["contact"]["office_phone"] for c, p in props.items()
              if p.get("contact") and p["level"] == "microgrid"
              and p["contact"]["office_phone"] != "021-50000000"]
    assert len(phones) > 6 and len(set(phones)) == len(phones) and "12345" not in phones
    assert "13900001111" not in r.text and "王五" not in r.text
    assert not keys(fc) & {"phone", "reporter_name", "reporter_phone", "team_id"}


def test_public_areas_level_filter(client):
    fc = client.get("/public/areas", params={"level": "grid"}).json()
    assert len(fc["features"]) == 6
    assert {f["properties"]["level"] for f in fc["features"]} == {"grid"}


def test_contact_is_inherited_from_the_nearest_ancestor():
    import geopandas as gpd
    import shapely

    from api.routers.public import public_areas_frame

    areas = gpd.GeoDataFrame({
        "id": ["s", "g", "m"], "level": ["street", "grid", "microgrid"], "name": ["S", "G", "M"],
        "code": ["1", "11", "111"], "parent_id": [None, "s", "g"],
        "team": [None, {"role": "网格长", "office_phone": "1", "mobile": "139"}, None]},
        geometry=[shapely.box(0, 0, 1, 1)] * 3, crs=4490)
    out = dict(zip(areas["id"], public_areas_frame(areas, {})["contact"]))
    assert out["s"] is None
    assert out["g"] == {"role": "网格长", "office_phone": "1"}
    assert out["m"] == {"role": "网格长", "office_phone": "1", "inherited": True, "from": "G"}


def test_stats_count_per_area_and_suppress_below_three(client, disp):
    for dx in (0.0, 0.0001, 0.0002, 0.0003):          # 崂山住区: four
        report(client, disp, 121.512 + dx, 31.237, category="积水")
    report(client, disp, 121.4975, 31.2380, category="噪声")   # 陆家嘴金融城: one
    r = client.get("/public/stats", params={"days": 30})
    assert r.status_code == 200
    stats = r.json()
    assert stats["days"] == 30 and stats["threshold"] == 3
    areas = by_id(stats)
    assert areas["grid-310115005003"]["total"] == 4
    assert areas["grid-310115005003"]["by_category"] == {"waterlogging": 4}
    assert areas["grid-310115005002"]["total"] == "<3"
    assert areas["grid-310115005002"]["by_category"] == {}
    assert areas["street-lujiazui"]["total"] == 5
    # the one 噪声 report is pooled, never shown as its own category
    # complementary suppression: 5 - 4 would give the 噪声 cell away, so both are pooled
    assert areas["street-lujiazui"]["by_category"] == {"other": 5}
    assert areas["grid-310115005001"]["total"] == "<3"            # zero is not disclosed either
    assert stats["categories"]["waterlogging"] == "积水"
    assert not keys(stats) & PERSONAL_KEYS
    assert "李四" not in r.text and "13711112222" not in r.text and "积水很深" not in r.text
    assert "121.512" not in r.text


def test_stats_window_excludes_older_incidents(client, disp):
    old = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    for dx in (0.0, 0.0001, 0.0002):
        report(client, disp, 121.512 + dx, 31.237, reported_at=old)
    areas30 = by_id(client.get("/public/stats", params={"days": 30}).json())
    areas60 = by_id(client.get("/public/stats", params={"days": 60}).json())
    assert areas30["grid-310115005003"]["total"] == "<3"
    assert areas60["grid-310115005003"]["total"] == 3


def test_merged_duplicates_are_not_counted_twice(client, disp):
    first = report(client, disp, 121.512, 31.237)
    for _ in range(3):
        dup = report(client, disp, 121.512, 31.237)
        if dup["duplicates_of"]:
            assert client.post(f"/incidents/{dup['uid']}/merge", json={"into": first["uid"]},
                               headers=disp).status_code == 200
    areas = by_id(client.get("/public/stats").json())
    assert areas["grid-310115005003"]["total"] == "<3"


@pytest.mark.parametrize("days", [0, 366, "x"])
def test_stats_days_is_bounded(client, days):
    r = client.get("/public/stats", params={"days": days})
    assert r.status_code == 422 and r.json()["error"]["field"] == "days"


def test_public_endpoints_need_no_sign_in_and_ignore_tokens_scope(client, disp):
    assert client.get("/public/areas").status_code == 200
    assert client.get("/public/stats").status_code == 200
    # a signed-in caller gets exactly the same public view
    assert client.get("/public/stats", headers=disp).json()["areas"] == \
        client.get("/public/stats").json()["areas"]
