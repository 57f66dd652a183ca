"""Open311 reads are public but show no personal data and no position finer than a microgrid;
staff in scope get the full record; a scoped dispatcher never sees another grid's personal
fields. Checked against what intake stored, on both stores."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
import shapely
import sqlalchemy as sa
import xmltodict

from geogrid.store import schema as S

from .conftest import GRID1

PERSONAL_KEYS = {"reporter_name", "phone", "email", "device_id", "account_id", "attributes"}


def _microgrids(live) -> dict[str, shapely.Geometry]:
    fc = httpx.get(f"{live.url}/areas", params={"level": "microgrid"}).json()
    return {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in fc["features"]}


def _inside_points(poly, n: int) -> list[tuple[float, float]]:
    """n points inside ``poly``, away from its representative point and from each other."""
    rep = shapely.point_on_surface(poly)
    x0, y0, x1, y1 = poly.bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, 25)[1:-1], np.linspace(y0, y1, 25)[1:-1])
    out = []
    for x, y in zip(xs.ravel(), ys.ravel()):
        p = shapely.Point(x, y)
        if poly.contains(p) and p.distance(rep) > 0.0008 and \
                all(p.distance(shapely.Point(q)) > 0.0006 for q in out):
            out.append((round(x, 6), round(y, 6)))
        if len(out) == n:
            return out
    raise AssertionError("microgrid too small for the test points")


@pytest.fixture(scope="module")
def reports(live_any):
    """Requests in grid 1 and grid 3 with every personal field, as intake stored them."""
    live = live_any
    mgs = _microgrids(live)
    g1 = max((c for c in mgs if c.startswith(GRID1)), key=lambda c: mgs[c].area)
    g3 = max((c for c in mgs if c.startswith("310115005003")), key=lambda c: mgs[c].area)
    spots = [(g1, p, "0101") for p in _inside_points(mgs[g1], 2)[:1]] + \
        [(g3, p, code) for p, code in zip(_inside_points(mgs[g3], 2), ("0101", "0102"))]
    out = []
    for i, (mg, (lon, lat), code) in enumerate(spots):
        r = httpx.post(f"{live.url}/open311/v2/requests.json", data={
            "service_code": code, "lat": lat, "long": lon, "api_key": live.tokens["dispatcher"],
            "first_name": f"名{i}", "last_name": "隐私", "phone": f"1370000{i:04d}",
            "email": f"secret{i}@example.org", "description": f"机密描述{i} 住户电话在内",
            "address_string": f"测试路{100 + i}号", "device_id": f"device-{i}",
            "account_id": f"account-{i}", "attribute[location_detail]": f"{i}号楼2单元"})
        assert r.status_code == 201, r.text
        uid = r.json()[0]["service_request_id"]
        store = live.store()
        try:
            with store.read() as conn:
                row = dict(conn.execute(sa.select(S.incidents).where(S.incidents.c.uid == uid))
                           .first()._mapping)
        finally:
            store.dispose()
        out.append({"uid": uid, "microgrid": mg, "poly": mgs[mg], "row": row,
                    "secrets": [row["reporter_name"], row["reporter_phone"], row["description"],
                                row["address"], f"secret{i}@example.org", f"device-{i}",
                                f"account-{i}", f"{i}号楼2单元"]})
    return live, out


def _get(live, path: str, fmt: str, headers=None, **params) -> list[dict]:
    r = httpx.get(f"{live.url}/open311/v2/{path}.{fmt}", params=params, headers=headers or {})
    assert r.status_code == 200, r.text
    if fmt == "json":
        return r.json()
    req = (xmltodict.parse(r.content)["service_requests"] or {}).get("request", [])
    return req if isinstance(req, list) else [req]


def _views(live, uid: str, fmt: str, headers=None, **params) -> list[dict]:
    """The record of ``uid`` from the list, the service_request_id filter and the single read."""
    listed = [r for r in _get(live, "requests", fmt, headers, **params)
              if r["service_request_id"] == uid]
    by_id = _get(live, "requests", fmt, headers, service_request_id=uid, **params)
    return listed + by_id + _get(live, f"requests/{uid}", fmt, headers, **params)


def _assert_public(view: dict, rep: dict) -> None:
    assert not PERSONAL_KEYS & set(view), view
    text = repr(view)
    assert not [s for s in rep["secrets"] if s and s in text], view
    assert view["position_precision"] == "microgrid"
    public = shapely.Point(float(view["long"]), float(view["lat"]))
    exact = shapely.Point(rep["row"]["lon"], rep["row"]["lat"])
    assert rep["poly"].contains(public) and public.distance(exact) > 0.0005


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_public_reads_show_no_personal_data_and_no_exact_position(reports, fmt):
    live, reps = reports
    publics = {}
    for rep in reps:
        views = _views(live, rep["uid"], fmt)
        assert len(views) == 3
        for view in views:
            _assert_public(view, rep)
        publics[rep["uid"]] = (views[0]["lat"], views[0]["long"])
    # two reports in one microgrid share one public point: nothing finer leaks
    assert publics[reps[1]["uid"]] == publics[reps[2]["uid"]]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_scoped_dispatcher_gets_full_records_only_in_scope(reports, fmt):
    live, reps = reports
    own, other = reps[0], reps[1]
    for view in _views(live, own["uid"], fmt, live.auth("dispatcher_g1")):
        assert view["phone"] == own["row"]["reporter_phone"]
        assert view["description"] == own["row"]["description"]
        assert view["position_precision"] == "exact"
        assert float(view["lat"]) == pytest.approx(own["row"]["lat"], abs=1e-9)
    for view in _views(live, other["uid"], fmt, live.auth("dispatcher_g1")):
        _assert_public(view, other)
    # the spec's api_key parameter works for reads too, with the same scope rule
    for view in _views(live, other["uid"], fmt, api_key=live.tokens["dispatcher_g1"]):
        _assert_public(view, other)


def test_responder_sees_the_record_but_no_personal_fields(reports):
    live, reps = reports
    rep = reps[1]
    for view in _views(live, rep["uid"], "json", live.auth("responder")):
        assert view["description"] == rep["row"]["description"]
        assert view["attributes"] == {"location_detail": "1号楼2单元"}
        assert not {"phone", "email", "reporter_name"} & set(view)


def test_admin_sees_every_field_intake_stored(reports):
    live, reps = reports
    rep = reps[2]
    view = _views(live, rep["uid"], "json", api_key=live.tokens["admin"])[0]
    assert view["phone"] == rep["row"]["reporter_phone"]
    assert view["reporter_name"] == rep["row"]["reporter_name"]
    assert (view["email"], view["device_id"], view["account_id"]) == \
        ("secret2@example.org", "device-2", "account-2")
    assert view["address"] == rep["row"]["address"]
