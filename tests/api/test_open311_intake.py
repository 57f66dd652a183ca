"""An Open311 POST writes its incident and its extras (email, device and account ids,
attributes) in one transaction, on both stores: when the extras cannot be written,
no incident is left behind, and the next request goes through whole."""

from __future__ import annotations

import sqlalchemy as sa

from geogrid.store.open311 import extras_for
from geogrid.store.users import create_user, issue_token
from tests.api.conftest import client_for

FORM = {"service_code": "0101", "lat": 31.2375, "long": 121.5185, "email": "resident@example.org",
        "device_id": "device-7", "account_id": "account-7", "description": "楼道积水"}


def _refuse_extras(store, on: bool) -> None:
    """A database-side fault: every insert into open311_requests fails while ``on``."""
    with store.write() as conn:
        if store.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS refuse_extras")
            if on:
                conn.exec_driver_sql("CREATE TRIGGER refuse_extras BEFORE INSERT ON "
                                     "open311_requests BEGIN SELECT RAISE(ABORT, 'refused'); END")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS refuse_extras ON open311_requests")
            if on:
                conn.exec_driver_sql(
                    "CREATE OR REPLACE FUNCTION refuse_extras() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql")
                conn.exec_driver_sql("CREATE TRIGGER refuse_extras BEFORE INSERT ON "
                                     "open311_requests FOR EACH ROW EXECUTE FUNCTION refuse_extras()")


def _count(store, table: str) -> int:
    with store.read() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def test_a_failed_extras_write_leaves_no_incident(demo_any):
    create_user(demo_any, "d311", "dispatcher")
    before = _count(demo_any, "incidents"), _count(demo_any, "incident_events")
    with client_for(demo_any, issue_token(demo_any, "d311"),
                    raise_server_exceptions=False) as c:
        _refuse_extras(demo_any, True)
        r = c.post("/open311/v2/requests.json", data=FORM)
        assert r.status_code >= 500
        assert (_count(demo_any, "incidents"), _count(demo_any, "incident_events")) == before
        _refuse_extras(demo_any, False)
        r = c.post("/open311/v2/requests.json", data=FORM)
        assert r.status_code == 201, r.text
    uid = r.json()[0]["service_request_id"]
    assert _count(demo_any, "incidents") == before[0] + 1
    extras = extras_for(demo_any, [uid])[uid]
    assert (extras["email"], extras["device_id"], extras["account_id"]) == \
        ("resident@example.org", "device-7", "account-7")
    assert extras["token"] == r.json()[0]["token"]
