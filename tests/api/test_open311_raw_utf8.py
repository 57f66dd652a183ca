"""An Open311 form posted with raw UTF-8 (``curl -d 'description=垃圾'``, no percent-encoding)
is stored as the Chinese it is. The form parser read such bytes as Latin-1, so the staff
view showed ``çå°æ...`` for ``王小明家门口垃圾`` and the reporter's name likewise."""

from __future__ import annotations

import urllib.parse

import pytest

from geogrid.store.users import create_user, issue_token


@pytest.fixture
def staff(demo_store):
    create_user(demo_store, "disp-raw", "dispatcher")
    return {"Authorization": f"Bearer {issue_token(demo_store, 'disp-raw')}"}


def _post(client, staff, body: bytes):
    return client.post("/open311/v2/requests.json", content=body, headers=staff | {
        "Content-Type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize("encode", [False, True], ids=["raw", "percent-encoded"])
def test_raw_and_encoded_utf8_forms_store_the_same_text(client, staff, demo_store, encode):
    fields = {"service_code": "0101", "lat": "31.2330", "long": "121.5150",
              "first_name": "小明", "last_name": "王", "description": "王小明家门口垃圾 50% 满"}
    body = (urllib.parse.urlencode(fields).encode() if encode else
            "&".join(f"{k}={v.replace('%', '%25').replace(' ', '+')}"
                     for k, v in fields.items()).encode("utf-8"))
    assert (b"\xe7" in body) is not encode
    r = _post(client, staff, body)
    assert r.status_code == 201, r.text
    uid = r.json()[0]["service_request_id"]
    detail = client.get(f"/incidents/{uid}", headers=staff).json()
    assert detail["description"] == "王小明家门口垃圾 50% 满"


def test_a_gbk_form_is_refused_in_the_spec_shape(client, staff):
    body = "service_code=0101&lat=31.2330&long=121.5150&description=垃圾".encode("gbk")
    r = _post(client, staff, body)
    assert r.status_code == 400
    (err,) = r.json()
    assert "不是 UTF-8" in err["description"] and "percent-encoding" in err["description"]
