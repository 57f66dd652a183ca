"""Open311 ``start_date`` / ``end_date`` are W3C date-times. A bare number was read by the
validator as seconds since 1970 and answered 200 (``requests.xml?start_date=0.5``, found by
schemathesis): it is refused in the spec's error shape, and real date-times still work."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("value", ["0.5", "1700000000", "-3", "abc"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_number_is_not_a_date(client, fmt, value):
    r = client.get(f"/open311/v2/requests.{fmt}", params={"start_date": value})
    assert r.status_code == 400
    if fmt == "json":
        (err,) = r.json()
        assert err["code"] == 400 and "start_date" in err["description"]
        assert "请求有误" in err["description"]
    else:
        assert "<errors><error><code>400</code>" in r.text and "start_date" in r.text


@pytest.mark.parametrize("value", ["2026-01-01T00:00:00Z", "2026-01-01T08:00:00+08:00",
                                   "2026-01-01"])
def test_w3c_dates_are_taken(client, value):
    r = client.get("/open311/v2/requests.json", params={"start_date": value,
                                                         "end_date": "2026-03-01T00:00:00Z"})
    assert r.status_code == 200 and isinstance(r.json(), list)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_token_and_key_say_the_fix_in_chinese(client, fmt):
    r = client.get(f"/open311/v2/tokens/nope.{fmt}")
    assert r.status_code == 404 and "用 POST requests 返回的 token" in r.text
    r = client.post(f"/open311/v2/requests.{fmt}", data={"service_code": "0101", "lat": "31.23",
                                                         "long": "121.51", "api_key": "ggt_nope"})
    assert r.status_code == 401 and "向管理员申请 API 令牌" in r.text
