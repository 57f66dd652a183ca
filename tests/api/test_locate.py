from __future__ import annotations

import numpy as np
import pytest
import shapely

from geogrid.datum import from_storage


def test_single_locate_returns_chain(client):
    body = client.get("/locate", params={"lon": 121.512, "lat": 31.237, "datum": "wgs84"}).json()
    assert body["chain"]["street"]["name"] == "陆家嘴街道"
    assert body["chain"]["grid"]["name"] == "崂山住区"
    assert body["snapped"] is False and body["distance_m"] == 0.0


@pytest.mark.parametrize("datum", ["gcj02", "bd09", "cgcs2000"])
def test_every_datum_lands_in_the_same_area(client, datum):
    x, y = from_storage(np.array([121.512]), np.array([31.237]), datum)
    body = client.get("/locate", params={"lon": float(x[0]), "lat": float(y[0]), "datum": datum}).json()
    assert body["chain"]["grid"]["name"] == "崂山住区"
    assert body["point"] == pytest.approx([121.512, 31.237], abs=1e-7)


def test_gcj02_point_sent_as_wgs84_is_hundreds_of_metres_off(client):
    x, y = from_storage(np.array([121.512]), np.array([31.237]), "gcj02")
    body = client.get("/locate", params={"lon": float(x[0]), "lat": float(y[0]), "datum": "wgs84"}).json()
    dx = (body["point"][0] - 121.512) * 95_000
    dy = (body["point"][1] - 31.237) * 111_000
    assert 300 < np.hypot(dx, dy) < 700


def test_wrong_datum_is_flagged(client, demo_frames):
    # a riverside building: sent in WGS84 but labelled GCJ-02, it would land in the river
    objs = demo_frames["objects"]
    street = demo_frames["street"].geometry.iloc[0]
    bld = objs[(objs["type"] == "building") & (objs.geom_type == "Polygon")]
    west = bld.loc[bld.geometry.representative_point().x.idxmin()]
    p = west.geometry.representative_point()
    from geogrid.datum import to_storage
    mis = to_storage(np.array([p.x]), np.array([p.y]), "gcj02")
    assert not street.contains(shapely.Point(mis[0][0], mis[1][0]))
    r = client.get("/locate", params={"lon": p.x, "lat": p.y, "datum": "gcj02", "snap_m": 0})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "out_of_coverage" and err["field"] == "datum"
    assert "wgs84" in err["fix"]


def test_outside_coverage_snaps_within_distance_then_errors(client):
    near = client.get("/locate", params={"lon": 121.5199, "lat": 31.236, "datum": "wgs84",
                                         "snap_m": 200}).json()
    # ~12 m east of the street's edge: snapped to the nearest microgrid and flagged
    assert near["snapped"] is True and 0 < near["distance_m"] < 50
    assert near["warnings"] and near["chain"]["microgrid"] is not None
    far = client.get("/locate", params={"lon": 121.40, "lat": 31.10, "datum": "wgs84"})
    assert far.status_code == 422 and far.json()["error"]["code"] == "out_of_coverage"
    assert "snap_m" in far.json()["error"]["message"]


def test_batch_locate_matches_single(client):
    rng = np.random.default_rng(1)
    pts = np.column_stack([rng.uniform(121.495, 121.52, 200), rng.uniform(31.228, 31.248, 200)])
    body = client.post("/locate", json={"datum": "wgs84", "points": pts.tolist(), "snap_m": 0}).json()
    assert body["count"] == 200
    for (x, y), res in list(zip(pts, body["results"]))[:40]:
        single = client.get("/locate", params={"lon": x, "lat": y, "datum": "wgs84", "snap_m": 0})
        if res["area_id"] is None:
            assert single.status_code == 422
        else:
            assert single.json()["leaf"] == res["area_id"]


def test_batch_limits_and_bad_points(client):
    r = client.post("/locate", json={"datum": "wgs84", "points": [[121.5, 31.2], [500, 1]]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "points[1]"
    r = client.post("/locate", json={"points": [[121.5, 31.2]]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "datum"


def test_unknown_datum_names_the_choices(client):
    r = client.get("/locate", params={"lon": 121.5, "lat": 31.2, "datum": "mars"})
    assert r.status_code == 422 and "gcj02" in r.json()["error"]["message"]


@pytest.mark.parametrize("snap_m, status", [(False, 422), (True, 422), ("50", 422), (50, 200),
                                            (12.5, 200), (None, 200), (6000, 422), (-1, 422)])
def test_batch_snap_m_is_a_number_not_a_flag(client, snap_m, status):
    """``{"snap_m": false}`` is not 0 m: a JSON boolean or text is refused as the number it is
    not, with the field named; numbers within 0..5000 are taken."""
    r = client.post("/locate", json={"datum": "wgs84", "points": [[121.505, 31.235]],
                                     "snap_m": snap_m})
    assert r.status_code == status, r.text
    if status == 422:
        assert "snap_m" in r.text
    else:
        assert r.json()["count"] == 1


def test_batch_bad_point_reads_chinese_first(client):
    r = client.post("/locate", json={"datum": "wgs84", "points": [[500, 1]]})
    err = r.json()["error"]
    assert r.status_code == 422 and err["message"].startswith("points[0] = [500, 1] 不是经纬度")
    assert err["fix"].startswith("发送 [经度, 纬度]")
