"""/locate on the demo answers all five levels, the derived community flagged as such."""

from __future__ import annotations

import re

import shapely


def test_locate_in_a_compound_returns_five_levels(client, demo_store):
    objs = demo_store.objects(types=["compound"])
    compound = objs[objs["name"] == "崂山二村"].geometry.iat[0]
    p = compound.representative_point()
    r = client.get("/locate", params={"lon": p.x, "lat": p.y, "datum": "cgcs2000"})
    assert r.status_code == 200, r.text
    chain = r.json()["chain"]
    for level in ("street", "grid", "community", "microgrid", "building_group"):
        assert chain.get(level) and chain[level]["id"], (level, chain)
    assert chain["community"]["name"] == "崂山二村居民区"
    assert chain["community"]["derived"] is True
    assert "derived" not in chain["grid"]
    # nested codes: the microgrid's a 15-digit unit-grid code under the grid's, the
    # community's the grid's with a dash serial; the 楼组 is one of the microgrid's
    grid = chain["grid"]["code"]
    assert re.fullmatch(rf"{grid}\d{{3}}", chain["microgrid"]["code"])
    assert re.fullmatch(rf"{grid}-\d{{2}}", chain["community"]["code"])
    assert chain["building_group"]["id"].startswith(chain["microgrid"]["id"] + "-")
    area = client.get("/areas", params={"level": "community"})
    assert area.status_code == 200
    feats = area.json()["features"]
    assert feats and all(f["properties"]["attrs"]["derived"] is True for f in feats)
    assert any(shapely.geometry.shape(f["geometry"]).contains(p) for f in feats)


def test_routing_works_on_the_demo_without_set_up(client, demo_store):
    from geogrid.store.users import create_user, issue_token

    create_user(demo_store, "disp", "dispatcher")
    h = {"Authorization": f"Bearer {issue_token(demo_store, 'disp')}"}
    r = client.post("/incidents", json={"category": "积水", "lon": 121.512, "lat": 31.237,
                                        "datum": "wgs84"}, headers=h)
    assert r.status_code == 201, r.text
    inc = r.json()
    route = client.get(f"/incidents/{inc['uid']}/route", headers=h)
    assert route.status_code == 200, route.text
    body = route.json()
    assert body["responder"]["role"] == "专职网格员" and "演示" in body["responder"]["name"]
    assert body["route"]["geometry"]["type"] == "LineString"
    assert 0 <= body["route"]["distance_m"] < 1000
