"""Independent GeoReport v2 clients from PyPI against a live server, in JSON and XML.

``georeport`` (reads: service list, definition, requests, one request, in both encodings)
and ``civicbot`` (its Open311 client builds and posts the spec's form with ``api_key``,
``attribute[...]`` and the rest). No Python 3 client on PyPI posts XML, so the XML post sends
civicbot's form to ``requests.xml`` and parses the answer with xmltodict (georeport's parser).
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

import pytest
import xmltodict
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import CONFIRM_TOKEN, Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

from geogrid.dispatch.catalogue import Catalogue
from geogrid.store import schema as S

OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
TIMES = ("requested_datetime", "updated_datetime", "expected_datetime")
POINT = {"lat": 31.2370, "lng": 121.5120}  # inside 崂山住区, grid 3
#: one spot per encoding: two reports of one kind within 50 m wait for a dispatcher to merge
SPOT = {"json": {"lat": 31.2370, "lng": 121.5120}, "xml": {"lat": 31.2330, "lng": 121.5150}}


def _civic(live, fmt="json") -> Open311Client:
    ep = Endpoint(id="geogrid", name="geogrid", base_url=f"{live.url}/open311/v2", write=True)
    return Open311Client(ep, HttpTransport(rate_limiter=RateLimiter(min_interval=0)), fmt=fmt)


def _form(live, code: str, key: str, n: int, fmt: str):
    return _civic(live, fmt).build_request(
        code, **SPOT[fmt], description=f"楼道积水 {fmt} {n}", attributes={"hazard": "no",
                                                                    "location_detail": "3号楼"},
        media_url="https://example.org/p.jpg", email=f"r{n}@example.org", first_name="三",
        last_name="张", phone="13900000001", device_id=f"dev-{n}", account_id=f"acct-{n}",
        address_string="崂山路638弄1号", api_key=key)


def _stored(live, uid: str) -> dict:
    import sqlalchemy as sa

    store = live.store()
    try:
        with store.read() as conn:
            return dict(conn.execute(sa.select(S.incidents).where(S.incidents.c.uid == uid))
                        .first()._mapping)
    finally:
        store.dispose()


def _post_xml(live, form: dict) -> dict:
    body = urllib.parse.urlencode(form, doseq=True).encode()
    req = urllib.request.Request(f"{live.url}/open311/v2/requests.xml", data=body, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 201 and resp.headers["content-type"].startswith("text/xml")
        return xmltodict.parse(resp.read())["service_requests"]["request"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_every_georeport_call_in_both_encodings(live, fmt):
    catalogue = Catalogue.default()
    client = GeoReport(f"{live.url}/open311/v2", jurisdiction="310115005", output_format=fmt)

    services = client.get_service_list()
    assert [s["service_code"] for s in services] == [c.service_code for c in catalogue]
    assert {s["metadata"] for s in services} == ({"true"} if fmt == "xml" else {True})
    code = next(s["service_code"] for s in services if s["service_name"] == "积水")

    definition = client.get_service_definition(code)
    attrs = definition["attributes"]["attribute"] if fmt == "xml" else definition["attributes"]
    assert definition["service_code"] == code
    assert [a["code"] for a in attrs] == ["time_limit", "location_detail", "hazard"]
    assert "4个工作时" in attrs[0]["description"]  # 积水: 4 working hours, from the catalogue

    form = _form(live, code, live.tokens["dispatcher"], 1, fmt).form
    assert form["api_key"] == live.tokens["dispatcher"] and "attribute[hazard]" in form
    if fmt == "json":
        sent = _civic(live).create_request(code, dry_run=False, confirm=CONFIRM_TOKEN,
                                           api_key=form["api_key"], **SPOT[fmt],
                                           description=form["description"],
                                           attributes={"hazard": "no",
                                                       "location_detail": "3号楼"},
                                           email=form["email"], phone=form["phone"],
                                           first_name="三", last_name="张",
                                           device_id="dev-1", account_id="acct-1",
                                           media_url=form["media_url"])
        created = sent.response[0]
    else:
        created = _post_xml(live, form)
    uid = created["service_request_id"]
    assert created["token"] and "微网格" in created["agency_responsible"]
    row = _stored(live, uid)
    assert row["channel"] == "open311" and row["category"] == "waterlogging"
    assert row["reporter_phone"] == "13900000001" and row["reporter_name"] == "张 三"

    listed = client.get_service_requests(service_request_id=uid)
    listed = [listed] if isinstance(listed, dict) else listed
    one = client.get_service_request(uid)
    for got in (listed[0], one):
        assert got["service_request_id"] == uid and got["service_code"] == code
        assert got["status"] == "open" and got["position_precision"] == "microgrid"
        assert all(OFFSET.match(got[k]) for k in TIMES), [got[k] for k in TIMES]
        assert "phone" not in got and "email" not in got and not got.get("description")
        assert (float(got["lat"]), float(got["long"])) != (row["lat"], row["lon"])

    token = _civic(live).get_token(created["token"])
    assert token[0]["service_request_id"] == uid


def test_civicbot_reads_and_validates_against_the_live_definition(live):
    client = _civic(live)
    services = client.list_services()
    code = next(s["service_code"] for s in services if s["service_name"] == "噪声")
    definition = client.get_service_definition(code)
    hazard = next(a for a in definition["attributes"] if a["code"] == "hazard")
    assert [v["key"] for v in hazard["values"]] == ["yes", "no"]
    # the client's own check against our definition catches a bad answer before sending
    from civicbot.open311 import ValidationError

    with pytest.raises(ValidationError):
        client.build_request(code, **POINT, attributes={"hazard": "maybe"}, definition=definition)
    ok = client.create_request(code, dry_run=False, confirm=CONFIRM_TOKEN,
                               api_key=live.tokens["dispatcher"], **POINT,
                               attributes={"hazard": "yes"}, validate_remote=True)
    uid = ok.response[0]["service_request_id"]
    assert client.get_request(uid)["service_name"] == "噪声"
    assert uid in {r["service_request_id"] for r in client.list_requests(status="open")}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_in_the_spec_format(live, fmt):
    import httpx

    def errors(resp) -> list[dict]:
        if fmt == "xml":
            err = xmltodict.parse(resp.content)["errors"]["error"]
            return err if isinstance(err, list) else [err]
        return resp.json()

    base = f"{live.url}/open311/v2"
    cases = [
        (httpx.get(f"{base}/services/9999.{fmt}"), 404),
        (httpx.get(f"{base}/requests/INC-NOPE.{fmt}"), 404),
        (httpx.post(f"{base}/requests.{fmt}", data={"service_code": "0101", "lat": 31.237,
                                                    "long": 121.512}), 401),
        (httpx.post(f"{base}/requests.{fmt}", data={"service_code": "0101", "lat": 31.237,
                                                    "long": 121.512, "api_key": "ggt_forged"}),
         401),
        (httpx.post(f"{base}/requests.{fmt}", data={
            "service_code": "0101", "lat": 31.237, "long": 121.512, "attribute[hazard]": "maybe",
            "api_key": live.tokens["dispatcher"]}), 400),
        (httpx.post(f"{base}/requests.{fmt}", data={
            "service_code": "0101", "lat": 95, "long": 121.512,
            "api_key": live.tokens["dispatcher"]}), 400),
        (httpx.post(f"{base}/requests.{fmt}", data={
            "service_code": "0101", "lat": 31.237, "long": 121.512,
            "api_key": live.tokens["planner"]}), 403),
    ]
    for resp, status in cases:
        assert resp.status_code == status, resp.text
        body = errors(resp)
        assert len(body) == 1 and int(body[0]["code"]) == status
        assert re.search(r"[\u4e00-\u9fff]", body[0]["description"]), body  # Chinese first
    assert "lat" in errors(cases[5][0])[0]["description"]
    assert "hazard" in errors(cases[4][0])[0]["description"]


def test_discovery_lists_both_formats(live):
    import httpx

    for fmt in ("json", "xml"):
        r = httpx.get(f"{live.url}/open311/v2/discovery.{fmt}")
        doc = r.json() if fmt == "json" else xmltodict.parse(r.content)["discovery"]
        ep = doc["endpoints"][0] if fmt == "json" else doc["endpoints"]["endpoint"]
        formats = ep["formats"] if fmt == "json" else ep["formats"]["format"]
        assert set(formats) == {"text/xml", "application/json"}
        assert ep["url"] == f"{live.url}/open311/v2" and OFFSET.match(doc["changeset"])
