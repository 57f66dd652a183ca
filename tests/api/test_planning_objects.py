"""GET /plans/{id}/objects: management objects as GeoJSON with their microgrid in the plan."""

from __future__ import annotations

import pytest
import shapely

from geogrid.store.users import create_user, issue_token

GRID = "grid-310115005002-c001"  # 陆家嘴金融城商务区: the parent its microgrids are cut in
FIELDS = {"id", "type", "name", "address", "households", "estimated", "business_type", "microgrid"}


@pytest.fixture
def h(demo_store):
    out = {}
    for name, role in [("pl", "planner"), ("disp", "dispatcher")]:
        create_user(demo_store, name, role)
        out[name] = {"Authorization": f"Bearer {issue_token(demo_store, name)}"}
    return out


@pytest.fixture
def draft(client, h):
    plan = client.post("/plans/1/copy", json={"name": "对象草稿"}, headers=h["pl"]).json()
    return plan["id"]


def test_anonymous_callers_get_401_and_no_objects(client, draft):
    for plan in (1, draft):
        r = client.get(f"/plans/{plan}/objects")
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthenticated" and "features" not in r.text


def test_membership_is_the_plans(client, h, draft, demo_store):
    r = client.get(f"/plans/{draft}/objects", headers=h["disp"])  # any staff role may read
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["plan_id"] == draft and "OpenStreetMap" in fc["attribution"]
    members = demo_store.memberships(draft)
    objects = demo_store.objects()
    assert len(fc["features"]) == len(objects) > 0
    for f in fc["features"]:
        p = f["properties"]
        assert set(p) == FIELDS and f["id"] == p["id"]
        assert p["microgrid"] == members.get(p["id"])
        assert f["geometry"]["type"] in ("Point", "Polygon", "MultiPolygon")
        assert isinstance(p["estimated"], bool) and p["households"] >= 0
    # every microgrid named is one of the plan's microgrids
    mgs = {f["properties"]["id"] for f in client.get(
        f"/plans/{draft}/areas", params={"level": "microgrid"}, headers=h["pl"]).json()["features"]}
    assert {f["properties"]["microgrid"] for f in fc["features"]} - {None} <= mgs


def test_a_move_shows_in_the_objects_of_the_draft_only(client, h, draft):
    def membership(plan):
        fc = client.get(f"/plans/{plan}/objects", params={"grid": GRID}, headers=h["pl"]).json()
        return {f["id"]: f["properties"]["microgrid"] for f in fc["features"]}

    before = membership(draft)
    stats = [m for m in client.get(f"/plans/{draft}/stats", headers=h["pl"]).json()["microgrids"]
             if m["parent_id"] == GRID]
    biggest = max(stats, key=lambda m: m["objects"])
    version = client.get(f"/plans/{draft}", headers=h["pl"]).json()["version"]
    r = client.post(f"/plans/{draft}/edits", json={"op": "split", "microgrid": biggest["id"],
                                                   "version": version}, headers=h["pl"])
    assert r.status_code == 200, r.json()
    after = membership(draft)
    moved = {k for k in before if after.get(k) != before[k]}
    assert moved and all(after[k] not in before.values() for k in moved)  # the new microgrid
    diff = client.get(f"/plans/{draft}/diff", headers=h["pl"]).json()
    assert {c["object_id"] for c in diff["changes"]} == moved
    assert membership(1) == before  # the active plan is untouched


def test_grid_and_bbox_filters(client, h, draft):
    fc = client.get(f"/plans/{draft}/objects", params={"grid": GRID}, headers=h["pl"]).json()
    mgs = {f["properties"]["id"] for f in client.get(
        f"/plans/{draft}/areas", params={"level": "microgrid", "parent": GRID},
        headers=h["pl"]).json()["features"]}
    assert fc["features"] and {f["properties"]["microgrid"] for f in fc["features"]} <= mgs
    everything = client.get(f"/plans/{draft}/objects", headers=h["pl"]).json()["features"]
    assert len(fc["features"]) == sum(f["properties"]["microgrid"] in mgs for f in everything)
    bbox = (121.510, 31.232, 121.515, 31.236)
    boxed = client.get(f"/plans/{draft}/objects", params={"bbox": ",".join(map(str, bbox))},
                       headers=h["pl"]).json()["features"]
    assert 0 < len(boxed) < len(everything)
    box = shapely.box(*bbox)
    assert all(shapely.geometry.shape(f["geometry"]).intersects(box) for f in boxed)


@pytest.mark.parametrize("params, status, field", [
    ({"grid": "grid-nope"}, 404, "grid"),
    ({"grid": "mg-310115005002001001"}, 404, "grid"),      # a microgrid is not a grid
    ({"bbox": "121.52,31.23,121.51,31.24"}, 422, "bbox"),
])
def test_bad_filters_name_the_parameter(client, h, draft, params, status, field):
    r = client.get(f"/plans/{draft}/objects", params=params, headers=h["pl"])
    assert r.status_code == status and r.json()["error"]["field"] == field


def test_unknown_plan_is_404(client, h):
    r = client.get("/plans/9999/objects", headers=h["pl"])
    assert r.status_code == 404 and r.json()["error"]["field"] == "plan_id"
