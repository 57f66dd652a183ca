"""What the editor reads after every edit, on both stores: the objects with their
microgrid (geometry text cached per worker, re-read when any worker imports objects) and
the stats (summed in the database), checked against the store read independently."""

from __future__ import annotations

import time

import pandas as pd
import shapely

from geogrid.store.users import create_user, issue_token
from tests.api.conftest import client_for


def test_objects_follow_an_import_by_another_worker(demo_any):
    create_user(demo_any, "pl", "planner")
    with client_for(demo_any, issue_token(demo_any, "pl")) as c:
        plan = c.get("/plans/active").json()["id"]
        first = c.get(f"/plans/{plan}/objects").json()["features"]
        stored = demo_any.objects()
        assert {f["id"] for f in first} == set(stored["id"])
        oid = first[0]["id"]
        geom = dict(zip(stored["id"], stored.geometry))[oid]
        got = shapely.geometry.shape(first[0]["geometry"])
        assert shapely.equals_exact(got, shapely.set_precision(geom, 1e-7), tolerance=1e-9)
        member = demo_any.memberships(plan)
        assert all(f["properties"]["microgrid"] == member.get(f["id"]) for f in first)
        # another worker imports a moved footprint: this worker's cache must not hide it
        moved = demo_any.objects(uids=[oid])
        moved["geometry"] = moved.geometry.translate(xoff=1e-4)
        with demo_any.write() as conn:
            demo_any.upsert_objects(conn, moved)
        time.sleep(1.2)  # the cache checks the objects' revision at most once a second
        again = {f["id"]: f for f in c.get(f"/plans/{plan}/objects").json()["features"]}
        x_before = shapely.geometry.shape(first[0]["geometry"]).centroid.x
        assert abs(shapely.geometry.shape(again[oid]["geometry"]).centroid.x - x_before
                   - 1e-4) < 1e-6


def test_stats_match_the_memberships_and_objects(demo_any):
    create_user(demo_any, "pl", "planner")
    with client_for(demo_any, issue_token(demo_any, "pl")) as c:
        plan = c.get("/plans/active").json()["id"]
        rows = {r["id"]: r for r in c.get(f"/plans/{plan}/stats").json()["microgrids"]}
    member = demo_any.memberships(plan)
    objects = demo_any.objects().set_index("id")
    frame = pd.DataFrame({"mg": member.to_numpy(), "id": member.index})
    frame["households"] = objects["households"].reindex(frame["id"]).fillna(0).to_numpy()
    frame["building"] = (objects["type"].reindex(frame["id"]) == "building").to_numpy()
    mgs = set(demo_any.areas(plan, level="microgrid")["id"])
    assert set(rows) == mgs
    for mg in mgs:
        mine = frame[frame["mg"] == mg]
        assert rows[mg]["objects"] == len(mine)
        assert rows[mg]["buildings"] == int(mine["building"].sum())
        assert abs(rows[mg]["households"] - float(mine["households"].sum())) < 1e-6


def test_areas_after_an_edit_are_the_stored_ones(demo_any):
    """The areas' GeoJSON text is kept per geometry across versions: after a split the
    answer must still be exactly the store's areas (the reshaped ones new, the rest reused)."""
    if demo_any.dialect != "sqlite":
        return  # the PostGIS demo is loaded unpartitioned: nothing to split there
    create_user(demo_any, "pl", "planner")
    with client_for(demo_any, issue_token(demo_any, "pl")) as c:
        active = c.get("/plans/active").json()["id"]
        plan = c.post(f"/plans/{active}/copy", json={"name": "split"}).json()["id"]
        first = c.get(f"/plans/{plan}/areas").json()["features"]
        stats = c.get(f"/plans/{plan}/stats").json()["microgrids"]
        big = max(stats, key=lambda m: m["objects"])["id"]
        v = c.get(f"/plans/{plan}").json()["version"]
        r = c.post(f"/plans/{plan}/edits", json={"op": "split", "microgrid": big, "version": v})
        assert r.status_code == 200, r.text
        after = {f["id"]: f for f in c.get(f"/plans/{plan}/areas").json()["features"]}
    stored = demo_any.areas(plan)
    assert set(after) == set(stored["id"]) and len(after) > len(first)
    for uid, geom in zip(stored["id"], stored.geometry):
        got = shapely.geometry.shape(after[uid]["geometry"])
        assert shapely.equals_exact(got, shapely.set_precision(geom, 1e-7), tolerance=1e-9), uid
