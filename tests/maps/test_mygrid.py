"""「我的网格」: GET /public/mygrid on the demo street, anonymous, rate-limited, no coordinates."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.routers.mygrid import RATE, RateLimiter
from geogrid.settings import Settings

CONTACT = {"role": "网格长", "office_phone": "021-58880002", "hours": "9:00-17:00"}


@pytest.fixture
def client(demo_store):
    app = create_app(Settings(database_url=str(demo_store.engine.url)), store=demo_store)
    with TestClient(app) as c:
        yield c


def numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from numbers(v)
    elif isinstance(value, float | int) and not isinstance(value, bool):
        yield value


def assert_no_coordinates(body: dict):
    text = json.dumps(body)
    for key in ("lon", "lat", "point", "geometry", "coordinates", "location"):
        assert f'"{key}"' not in text
    assert not [n for n in numbers(body) if 20 <= abs(n) <= 140]  # nothing like lon/lat


def test_an_address_gives_its_microgrid_team_and_contact(client, demo_store):
    from geogrid.store.responders import ensure_team

    by_address = client.get("/public/mygrid", params={"q": "东昌路498号"}).json()
    assert by_address["found"] and by_address["matched"] == "东昌路498号"
    levels = [c["level"] for c in by_address["chain"]]
    assert levels[:2] == ["street", "grid"] and "microgrid" in levels
    mg = by_address["microgrid"]
    assert mg["name"] and mg["code"].startswith("3101150050")
    # the same microgrid as /locate gives for the geocoded point (signed-in staff only)
    assert_no_coordinates(by_address)
    with demo_store.write() as conn:
        ensure_team(conn, mg["code"], "东昌微网格团队", public_contact=CONTACT)
    again = client.get("/public/mygrid", params={"q": "东昌路498号"}).json()
    assert again["contact"]["office_phone"] == CONTACT["office_phone"]
    assert again["contact"]["team"] == "东昌微网格团队"
    assert_no_coordinates(again)


def test_a_tapped_point_in_its_datum(client):
    wgs = client.get("/public/mygrid", params={"lon": 121.5120, "lat": 31.2370,
                                               "datum": "wgs84"}).json()
    loc = client.get("/locate", params={"lon": 121.5120, "lat": 31.2370, "datum": "wgs84"}).json()
    assert wgs["found"] and wgs["microgrid"]["code"] == loc["chain"]["microgrid"]["code"]
    assert_no_coordinates(wgs)
    # the same place read off an Amap (GCJ-02) map lands in the same microgrid
    from geogrid.datum import Datum, from_storage
    import numpy as np

    x, y = from_storage(np.array([121.5120]), np.array([31.2370]), Datum.GCJ02)
    gcj = client.get("/public/mygrid", params={"lon": float(x[0]), "lat": float(y[0]),
                                               "datum": "gcj02"}).json()
    assert gcj["microgrid"] == wgs["microgrid"]


def test_misses_and_bad_requests_say_why(client):
    miss = client.get("/public/mygrid", params={"q": "火星路1号"}).json()
    assert miss == {"found": False, "query": "火星路1号", "reason": "address_not_found"}
    far = client.get("/public/mygrid", params={"lon": 121.40, "lat": 31.10, "datum": "wgs84"})
    assert far.status_code == 200 and far.json()["found"] is False
    no_datum = client.get("/public/mygrid", params={"lon": 121.5, "lat": 31.23})
    assert no_datum.status_code in (400, 422) and "datum" in no_datum.text
    nothing = client.get("/public/mygrid")
    assert nothing.status_code in (400, 422) and "请输入地址" in nothing.text


def test_rate_limited_per_client(client):
    codes = [client.get("/public/mygrid", params={"q": "东昌路498号"}).status_code
             for _ in range(RATE + 2)]
    assert codes[:RATE] == [200] * RATE and codes[RATE:] == [429, 429]
    r = client.get("/public/mygrid", params={"q": "东昌路498号"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "查询过于频繁" in r.json()["error"]["message"]


def test_rate_limiter_window_slides():
    lim = RateLimiter(rate=2, window=10)
    assert lim.retry_after("a", now=0) == 0 and lim.retry_after("a", now=1) == 0
    assert lim.retry_after("a", now=2) == pytest.approx(8)
    assert lim.retry_after("b", now=2) == 0  # per client
    assert lim.retry_after("a", now=10.5) == 0  # the first call left the window


@pytest.mark.parametrize("q, road", [("崂山路", "崂山路"), ("崂山路638弄1号", "崂山路")])
def test_a_road_alone_names_no_microgrid(client, q, road):
    """A whole road crosses many microgrids: the public is asked for the house number (or a
    tap) instead of being sent to the team of wherever the geocoder put the road's point."""
    body = client.get("/public/mygrid", params={"q": q}).json()
    assert body == {"found": False, "query": q, "matched": road, "match_level": "道路",
                    "reason": "address_too_vague"}
    assert_no_coordinates(body)
    precise = client.get("/public/mygrid", params={"q": "东昌路498号"}).json()
    assert precise["found"] is True and precise["microgrid"]["code"]


def test_rate_limit_reads_chinese_first(client):
    for _ in range(RATE):
        client.get("/public/mygrid", params={"q": "东昌路498号"})
    err = client.get("/public/mygrid", params={"q": "东昌路498号"}).json()["error"]
    assert err["message"].startswith("查询过于频繁") and "Too many lookups" in err["message"]
    assert err["fix"].startswith("请稍候再试") and "Wait" in err["fix"]
