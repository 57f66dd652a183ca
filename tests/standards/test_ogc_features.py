"""OGC API – Features read by GDAL's own OAPIF driver (through pyogrio), against a live server
on both stores: every collection, the same features and identical geometry as the GeoJSON
API; CRS84 and CGCS2000; bbox, datetime, drafts, single features; paging over 30,000 areas."""

from __future__ import annotations

import geopandas as gpd
import httpx
import numpy as np
import pyogrio
import pytest
import shapely

from benchmarks._server import ApiServer
from geogrid.store import Store

CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"


def _api(live, cid: str) -> dict[str, shapely.Geometry]:
    """The GeoJSON API's areas for what a collection id names (id → geometry)."""
    if cid.startswith("plan-"):
        fc = httpx.get(f"{live.url}/plans/{cid[5:]}/areas").json()
    else:
        fc = httpx.get(f"{live.url}/plans/active/areas", params={"level": cid}).json()
    return {f["id"]: shapely.geometry.shape(f["geometry"]) for f in fc["features"]}


def _same(frame: gpd.GeoDataFrame, expected: dict[str, shapely.Geometry]) -> None:
    assert len(frame) == len(expected) and set(frame["id"]) == set(expected)
    differ = [i for i, g in zip(frame["id"], frame.geometry)
              if not shapely.equals_exact(g, expected[i], tolerance=0)]
    assert differ == []


def _n_microgrids(live) -> int:
    """The demo's microgrids, as the GeoJSON API counts them."""
    return len(_api(live, "microgrid"))


def test_gdal_reads_every_collection_with_identical_geometry(live_any):
    live = live_any
    ids = [c["id"] for c in httpx.get(f"{live.url}/ogc/collections").json()["collections"]]
    layers = pyogrio.list_layers(f"OAPIF:{live.url}/ogc")
    assert sorted(layers[:, 0]) == sorted(ids)
    assert {"street", "grid", "microgrid", "building_group", "plan-1"} <= set(ids)
    for cid in ids:
        frame = pyogrio.read_dataframe(f"OAPIF:{live.url}/ogc", layer=cid)
        _same(frame, _api(live, cid))
    microgrids = pyogrio.read_dataframe(f"OAPIF:{live.url}/ogc", layer="microgrid")
    assert len(microgrids) == _n_microgrids(live) > 0 and microgrids.crs.to_epsg() in (4490, 4326)


@pytest.mark.parametrize("crs", ["OGC:CRS84", "EPSG:4490"])
def test_both_crs_give_the_same_geometry(live, crs):
    frame = pyogrio.read_dataframe(f"OAPIF:{live.url}/ogc", layer="grid", CRS=crs)
    assert frame.crs.to_string() in (crs, "EPSG:4490" if crs == "EPSG:4490" else "OGC:CRS84")
    _same(frame, _api(live, "grid"))


def test_cgcs2000_swaps_to_its_axis_order(live):
    url = f"{live.url}/ogc/collections/grid/items"
    lonlat = httpx.get(url).json()
    r = httpx.get(url, params={"crs": CGCS2000})
    assert r.headers["content-crs"] == f"<{CGCS2000}>"
    for a, b in zip(lonlat["features"], r.json()["features"]):
        ga, gb = shapely.geometry.shape(a["geometry"]), shapely.geometry.shape(b["geometry"])
        swapped = shapely.transform(gb, lambda xy: xy[:, ::-1])
        assert shapely.equals_exact(ga, swapped, tolerance=0)
        assert 30 < gb.bounds[0] < 32 and 121 < gb.bounds[1] < 122  # lat first


def test_bbox_in_either_crs_matches_the_geojson_api(live):
    box = (121.500, 31.230, 121.510, 31.240)
    api = httpx.get(f"{live.url}/areas", params={"level": "microgrid",
                                                 "bbox": ",".join(map(str, box))}).json()
    want = {f["id"] for f in api["features"]}
    url = f"{live.url}/ogc/collections/microgrid/items"
    a = httpx.get(url, params={"bbox": ",".join(map(str, box)), "limit": 1000}).json()
    b = httpx.get(url, params={"bbox": f"{box[1]},{box[0]},{box[3]},{box[2]}",
                               "bbox-crs": CGCS2000, "limit": 1000}).json()
    assert 0 < len(want) < _n_microgrids(live)
    assert {f["id"] for f in a["features"]} == want == {f["id"] for f in b["features"]}
    assert a["numberMatched"] == len(want)
    bad = httpx.get(url, params={"bbox": "1,2,3"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "bbox"


def test_datetime_selects_the_plan_active_then(live):
    plan = httpx.get(f"{live.url}/plans/active").json()
    url = f"{live.url}/ogc/collections/microgrid/items"
    before = httpx.get(url, params={"datetime": "2000-01-01T00:00:00Z"}).json()
    now = httpx.get(url, params={"datetime": plan["effective_at"][:19] + "Z", "limit": 100})
    assert before["numberMatched"] == 0 and before["features"] == []
    # effective_at is stored in UTC; a second later the plan is certainly active
    later = httpx.get(url, params={"datetime": "2099-01-01T00:00:00Z"}).json()
    n = _n_microgrids(live)
    assert later["numberMatched"] == n or now.json()["numberMatched"] == n
    interval = httpx.get(f"{live.url}/ogc/collections/plan-1/items",
                         params={"datetime": "../2000-01-01T00:00:00Z"}).json()
    assert interval["numberMatched"] == 0
    open_end = httpx.get(f"{live.url}/ogc/collections/plan-1/items",
                         params={"datetime": "2000-01-01T00:00:00Z/..", "limit": 1}).json()
    assert open_end["numberMatched"] == len(_api(live, "plan-1"))


def test_single_feature_and_missing_ones(live):
    expected = _api(live, "microgrid")
    fid = sorted(expected)[3]
    f = httpx.get(f"{live.url}/ogc/collections/microgrid/items/{fid}").json()
    assert f["id"] == fid and shapely.equals_exact(shapely.geometry.shape(f["geometry"]),
                                                   expected[fid], tolerance=0)
    assert httpx.get(f"{live.url}/ogc/collections/microgrid/items/nope").status_code == 404
    assert httpx.get(f"{live.url}/ogc/collections/nope/items").status_code == 404


def test_drafts_only_for_staff(live):
    r = httpx.post(f"{live.url}/plans/1/copy", json={}, headers=live.auth("planner"))
    assert r.status_code in (200, 201), r.text
    draft = f"plan-{r.json()['id']}"
    public = [c["id"] for c in httpx.get(f"{live.url}/ogc/collections").json()["collections"]]
    staff = [c["id"] for c in httpx.get(f"{live.url}/ogc/collections",
                                        headers=live.auth("planner")).json()["collections"]]
    assert draft not in public and draft in staff
    assert httpx.get(f"{live.url}/ogc/collections/{draft}/items").status_code == 404
    items = httpx.get(f"{live.url}/ogc/collections/{draft}/items",
                      headers=live.auth("planner")).json()
    assert items["numberMatched"] == len(_api(live, "plan-1"))


def test_landing_conformance_and_openapi(live):
    landing = httpx.get(f"{live.url}/ogc").json()
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    conf = httpx.get(rels["conformance"]).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    doc = httpx.get(rels["service-desc"]).json()
    assert doc["openapi"].startswith("3.0")
    assert "/collections/{collectionId}/items" in doc["paths"]


def _synthetic_plan(path, n_x: int = 200, n_y: int = 150) -> None:
    """A plan of n_x × n_y = 30,000 square microgrids (about 50 m), active."""
    x0, y0, d = 121.40, 31.15, 0.0005
    ix, iy = np.meshgrid(np.arange(n_x), np.arange(n_y))
    ix, iy = ix.ravel(), iy.ravel()
    geoms = shapely.box(x0 + ix * d, y0 + iy * d, x0 + (ix + 1) * d, y0 + (iy + 1) * d)
    n = len(geoms)
    frame = gpd.GeoDataFrame({
        "id": [f"mg-{i:06d}" for i in range(n)], "level": "microgrid", "kind": "mixed",
        "name": [f"第{i}微网格" for i in range(n)],
        "code": [f"310115999{i:06d}" for i in range(n)], "parent_id": None}, geometry=geoms,
        crs="EPSG:4490")
    store = Store.open(f"sqlite:///{path}")
    try:
        with store.write() as conn:
            plan_id = store.create_plan(conn, name="合成 30000", street_code="310115999")
            store.add_areas(conn, plan_id, frame)
        store.activate_plan(plan_id)
    finally:
        store.dispose()


@pytest.mark.slow
def test_paging_over_30000_areas(tmp_path):
    db = tmp_path / "big.sqlite"
    _synthetic_plan(db)
    with ApiServer(f"sqlite:///{db}", env={"GEOGRID_WEBHOOK_ENABLED": "0"}) as server:
        seen, url, pages = [], f"{server.url}/ogc/collections/microgrid/items?limit=7000", 0
        while url:
            page = httpx.get(url, timeout=60).json()
            assert page["numberMatched"] == 30_000
            seen += [f["id"] for f in page["features"]]
            url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
            pages += 1
        assert pages == 5 and len(seen) == 30_000 == len(set(seen))
        frame = pyogrio.read_dataframe(f"OAPIF:{server.url}/ogc", layer="microgrid")
        assert len(frame) == 30_000 and set(frame["id"]) == set(seen)
        expected = {f"mg-{i:06d}" for i in range(30_000)}
        assert set(seen) == expected
        corner = frame.set_index("id").geometry["mg-000000"]
        square = shapely.MultiPolygon([shapely.box(121.40, 31.15, 121.4005, 31.1505)])
        assert shapely.equals_exact(shapely.normalize(corner), shapely.normalize(square),
                                    tolerance=1e-9)
