"""The repository against both real stores: SpatiaLite and PostGIS."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from geogrid._errors import ConflictError, InputError, NotFoundError, StateError
from geogrid.crs import STORAGE_CRS


def _areas(n=3, level="grid"):
    geoms = [box(121.50 + i * 0.01, 31.23, 121.51 + i * 0.01, 31.24) for i in range(n)]
    return gpd.GeoDataFrame({
        "id": [f"g{i}" for i in range(n)], "level": level, "kind": "residential",
        "name": [f"网格{i}" for i in range(n)], "code": [f"310115005{i + 1:03d}" for i in range(n)],
        "parent_id": "s1"}, geometry=geoms, crs=STORAGE_CRS)


def test_schema_is_migrated_and_empty(store):
    assert store.counts() == {"plans": 0, "areas": 0, "objects": 0, "memberships": 0,
                              "roads": 0, "incidents": 0}


def test_areas_round_trip_geometry_and_attributes(store):
    areas = _areas()
    # a polygon with a hole and a multipolygon survive the trip
    areas.loc[0, "geometry"] = Polygon(box(121.5, 31.23, 121.51, 31.24).exterior.coords,
                                       [box(121.503, 31.233, 121.506, 31.236).exterior.coords])
    areas.loc[1, "geometry"] = shapely.MultiPolygon([box(121.51, 31.23, 121.515, 31.235),
                                                     box(121.516, 31.236, 121.52, 31.24)])
    with store.write() as conn:
        pid = store.create_plan(conn, name="p", street_code="310115005")
        assert store.add_areas(conn, pid, areas) == 3
    got = store.areas(pid).set_index("id")
    assert list(got.index) == ["g0", "g1", "g2"]
    for _, a in areas.iterrows():
        g = got.loc[a["id"], "geometry"]
        assert g.geom_type == "MultiPolygon"
        assert g.symmetric_difference(a.geometry).area < 1e-14
        assert got.loc[a["id"], "name"] == a["name"] and got.loc[a["id"], "code"] == a["code"]
    assert got.crs == STORAGE_CRS
    assert len(got.loc["g0", "geometry"].geoms[0].interiors) == 1


def test_bbox_and_level_filters(store):
    with store.write() as conn:
        pid = store.create_plan(conn, name="p", street_code="310115005")
        store.add_areas(conn, pid, _areas(3))
        store.add_areas(conn, pid, _areas(1, "street").assign(id="s1", parent_id=None))
    hits = store.areas(pid, bbox=(121.512, 31.235, 121.513, 31.236), level="grid")
    assert list(hits["id"]) == ["g1"]
    assert list(store.areas(pid, level="street")["id"]) == ["s1"]
    assert len(store.areas(pid, parent="s1")) == 3


def test_failed_write_leaves_store_unchanged(store):
    with store.write() as conn:
        pid = store.create_plan(conn, name="p", street_code="310115005")
        store.add_areas(conn, pid, _areas(2))
    before = store.counts()
    bad = _areas(3)
    bad.loc[2, "geometry"] = Point(121.5, 31.2)  # not polygonal: refused mid-write
    with pytest.raises(InputError):
        with store.write() as conn:
            store.create_plan(conn, name="q", street_code="310115005")
            store.add_areas(conn, pid, bad.iloc[:2].assign(id=["x0", "x1"]))
            store.add_areas(conn, pid, bad)
    assert store.counts() == before
    # a database-level failure (duplicate uid) rolls back too
    with pytest.raises(Exception):
        with store.write() as conn:
            store.add_areas(conn, pid, _areas(1).assign(id="new"))
            store.add_areas(conn, pid, _areas(1))  # g0 exists: unique violation
    assert store.counts() == before


def test_activation_is_atomic_and_retires_previous(store):
    with store.write() as conn:
        a = store.create_plan(conn, name="a", street_code="310115005")
        store.add_areas(conn, a, _areas(2))
    store.activate_plan(a)
    b = store.copy_plan(a, name="b")
    assert len(store.areas(b)) == 2
    plan_b = store.activate_plan(b, expected_version=1)
    assert plan_b["status"] == "active"
    assert store.plan(a)["status"] == "retired" and store.plan(a)["retired_at"] is not None
    assert store.active_plan("310115005")["id"] == b
    with pytest.raises(StateError):
        store.activate_plan(a)  # retired plans cannot be activated again


def test_optimistic_lock_refuses_stale_version(store):
    with store.write() as conn:
        pid = store.create_plan(conn, name="a", street_code="310115005")
    with store.write() as conn:
        assert store.bump_version(conn, pid, 1) == 2
    with pytest.raises(ConflictError) as exc:
        with store.write() as conn:
            store.bump_version(conn, pid, 1)
    assert "version 2" in str(exc.value)


def test_objects_mixed_geometry_and_memberships(store):
    objs = gpd.GeoDataFrame({
        "id": ["o1", "o2"], "type": ["building", "shop"], "name": ["1号楼", "便利店"],
        "households": [120.0, 0.0], "estimated": [True, False], "floors": [6, None],
        "business_type": [None, "retail"], "extra_tag": ["x", None]},
        geometry=[box(121.5, 31.23, 121.5005, 31.2305), Point(121.501, 31.231)], crs=STORAGE_CRS)
    with store.write() as conn:
        store.upsert_objects(conn, objs)
        pid = store.create_plan(conn, name="p", street_code="310115005")
        store.set_memberships(conn, pid, pd.Series({"o1": "m1", "o2": "m2"}))
    got = store.objects().set_index("id")
    assert got.loc["o1", "geometry"].geom_type == "Polygon"
    assert got.loc["o2", "geometry"].geom_type == "Point"
    assert bool(got.loc["o1", "estimated"]) and got.loc["o1", "households"] == 120.0
    assert store.memberships(pid).to_dict() == {"o1": "m1", "o2": "m2"}
    # upsert replaces
    with store.write() as conn:
        store.upsert_objects(conn, objs.iloc[[0]].assign(households=10.0))
    assert store.objects(uids=["o1"]).iloc[0]["households"] == 10.0


def test_audit_log_records_who_and_what(store):
    with store.write() as conn:
        pid = store.create_plan(conn, name="audited", street_code="310115005", actor="planner1")
    entries = store.audit_entries(entity="plan", entity_id=str(pid))
    assert entries[0]["actor"] == "planner1" and entries[0]["action"] == "plan.create"
    assert entries[0]["after"]["name"] == "audited"


def test_missing_plan_is_not_found(store):
    with pytest.raises(NotFoundError, match="plan 42"):
        store.plan(42)


def test_demo_loads_into_both_stores(store, demo_frames):
    from geogrid.services.demo import load_demo

    pid = load_demo(store)
    assert store.active_plan()["id"] == pid
    grids = store.areas(pid, level="grid")
    assert sorted(grids["name"]) == sorted(["崂山住区", "梅园住区", "滨江住区", "陆家嘴金融城",
                                            "新上海商业城", "滨江船厂带"])
    assert len(store.objects()) == len(demo_frames["objects"])
    assert load_demo(store) == pid  # idempotent
