"""An Open311 POST writes its incident and its extras (email, device and account ids,
attributes) in one transaction, on both stores: when the extras cannot be written,
no incident is left behind, and the next request goes through whole."""

from __future__ import annotations

from geogrid.store.open311 import extras_for
from geogrid.store.users import create_user, issue_token
from tests.api.conftest import client_for
from tests.support.faults import count_rows, refuse_inserts

FORM = {"service_code": "0101", "lat": 31.2375, "long": 121.5185, "email": "resident@example.org",
        "device_id": "device-7", "account_id": "account-7", "description": "楼道积水"}


def test_a_failed_extras_write_leaves_no_incident(demo_any):
    create_user(demo_any, "d311", "dispatcher")
    before = count_rows(demo_any, "incidents"), count_rows(demo_any, "incident_events")
    with client_for(demo_any, issue_token(demo_any, "d311"),
                    raise_server_exceptions=False) as c:
        refuse_inserts(demo_any, "open311_requests", True)
        r = c.post("/open311/v2/requests.json", data=FORM)
        assert r.status_code >= 500
        assert (count_rows(demo_any, "incidents"), count_rows(demo_any, "incident_events")) == before
        refuse_inserts(demo_any, "open311_requests", False)
        r = c.post("/open311/v2/requests.json", data=FORM)
        assert r.status_code == 201, r.text
    uid = r.json()[0]["service_request_id"]
    assert count_rows(demo_any, "incidents") == before[0] + 1
    extras = extras_for(demo_any, [uid])[uid]
    assert (extras["email"], extras["device_id"], extras["account_id"]) == \
        ("resident@example.org", "device-7", "account-7")
    assert extras["token"] == r.json()[0]["token"]
