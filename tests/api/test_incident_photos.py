"""Incident photos on both stores: attached with the report (one transaction) or after it,
recognised by content, stored without EXIF GPS, served only to staff who may read the
incident, and named as Open311 ``media_url``."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from geogrid.store.users import create_user, issue_token
from tests.api.conftest import client_for
from tests.support.faults import count_rows, refuse_inserts

#: the tables an incident with a photo writes
WRITTEN = ("incidents", "incident_events", "incident_photos")
BODY = {"category": "积水", "lon": 121.512, "lat": 31.237, "datum": "wgs84",
        "description": "楼道积水", "reporter": {"name": "王先生", "phone": "13800000000"}}


def png(w: int = 24, h: int = 16, colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(buf, "PNG")
    return buf.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 10.0), 3: "E", 4: (121.0, 30.0, 5.0)}
    exif[0x0112] = 6  # rotated: stored 40×30, shown 30×40
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


@pytest.fixture
def users(demo_any):
    for name, role, scope in [("disp", "dispatcher", None), ("plan", "planner", None),
                              ("far", "dispatcher", "310115005001")]:
        create_user(demo_any, name, role, scope=scope)
    return {n: {"Authorization": f"Bearer {issue_token(demo_any, n)}"}
            for n in ("disp", "plan", "far")}


def _with_photo(c, headers, data: bytes, body=BODY, name="call.png", ctype="image/png"):
    return c.post("/incidents/with-photo", headers=headers,
                  data={"incident": json.dumps(body, ensure_ascii=False)},
                  files={"photo": (name, data, ctype)})


def test_report_with_photo_is_served_back_to_staff_only(demo_any, users):
    data = png()
    with client_for(demo_any) as c:
        r = _with_photo(c, users["disp"], data)
        assert r.status_code == 201, r.text
        uid = r.json()["uid"]
        detail = c.get(f"/incidents/{uid}", headers=users["disp"]).json()
        [photo] = detail["photos"]
        assert (photo["content_type"], photo["width"], photo["height"]) == ("image/png", 24, 16)
        got = c.get(photo["url"], headers=users["disp"])
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        assert "no-store" in got.headers["cache-control"]
        assert Image.open(io.BytesIO(got.content)).getpixel((3, 3)) == (200, 30, 30)
        # no token, and a dispatcher whose scope is another street
        assert c.get(photo["url"]).status_code == 401
        assert c.get(photo["url"], headers=users["far"]).status_code == 403
        assert c.get(f"/incidents/{uid}/photos/{photo['id'] + 99}",
                     headers=users["disp"]).status_code == 404
        # public endpoints never carry it
        for path in ("/public/incidents", "/open311/v2/requests.json"):
            text = c.get(path).text
            assert f"/incidents/{uid}/photos" not in text


def test_open311_media_url_points_at_the_photo_for_staff(demo_any, users):
    with client_for(demo_any) as c:
        uid = _with_photo(c, users["disp"], png()).json()["uid"]
        [photo] = c.get(f"/incidents/{uid}/photos", headers=users["disp"]).json()
        staff = c.get(f"/open311/v2/requests/{uid}.json", headers=users["disp"]).json()[0]
        assert staff["media_url"] == f"http://testserver{photo['url']}"
        assert c.get(staff["media_url"].replace("http://testserver", ""),
                     headers=users["disp"]).status_code == 200
        public = c.get(f"/open311/v2/requests/{uid}.json").json()[0]
        assert public["media_url"] is None


def test_gps_exif_is_stripped_and_orientation_kept(demo_any, users):
    with client_for(demo_any) as c:
        uid = c.post("/incidents", json=BODY, headers=users["disp"]).json()["uid"]
        r = c.post(f"/incidents/{uid}/photos", headers=users["disp"],
                   files={"photo": ("x.bin", jpeg_with_gps(), "application/octet-stream")})
        assert r.status_code == 201, r.text
        assert (r.json()["content_type"], r.json()["width"], r.json()["height"]) == \
            ("image/jpeg", 30, 40)
        raw = c.get(r.json()["url"], headers=users["disp"]).content
    img = Image.open(io.BytesIO(raw))
    assert dict(img.getexif()) == {} and b"Exif" not in raw


@pytest.mark.parametrize("data, ctype, field, value", [
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/png", "photo", None),
    (b"%PDF-1.4 not an image", "image/jpeg", "photo", None),
    (b"", "image/png", "photo", 0),
])
def test_bad_file_is_refused_and_nothing_is_written(demo_any, users, data, ctype, field, value):
    before = {t: count_rows(demo_any, t) for t in WRITTEN}
    with client_for(demo_any) as c:
        r = _with_photo(c, users["disp"], data, ctype=ctype)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["field"] == field and "JPEG" in err["fix"] and "照片" in err["fix"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"])
    if value is not None:
        assert err["value"] == value
    assert {t: count_rows(demo_any, t) for t in before} == before


def test_a_png_claiming_to_be_jpeg_is_stored_as_png(demo_any, users):
    with client_for(demo_any) as c:
        uid = _with_photo(c, users["disp"], png(), name="a.jpg", ctype="image/jpeg").json()["uid"]
        [p] = c.get(f"/incidents/{uid}/photos", headers=users["disp"]).json()
    assert p["content_type"] == "image/png"


def test_a_bad_incident_body_names_the_field(demo_any, users):
    with client_for(demo_any) as c:
        r = _with_photo(c, users["disp"], png(), body={**BODY, "lon": 500})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "incident.lon"
    assert count_rows(demo_any, "incident_photos") == 0


def test_a_failed_photo_write_leaves_no_incident(demo_any, users):
    before = {t: count_rows(demo_any, t) for t in WRITTEN}
    with client_for(demo_any, raise_server_exceptions=False) as c:
        refuse_inserts(demo_any, "incident_photos", True)
        r = _with_photo(c, users["disp"], png())
        assert r.status_code >= 500
        assert {t: count_rows(demo_any, t) for t in before} == before
        refuse_inserts(demo_any, "incident_photos", False)
        r = _with_photo(c, users["disp"], png())
        assert r.status_code == 201, r.text
    assert count_rows(demo_any, "incidents") == before["incidents"] + 1
    assert count_rows(demo_any, "incident_photos") == before["incident_photos"] + 1
