"""The personal Open311 extras (email, device and account ids) are purged once the incident
has ended (closed, rejected or merged) and the retention period has passed; open ones keep
them, and so does the rest of the record."""

from __future__ import annotations

import sqlalchemy as sa

from geogrid.locator import PlanLocator
from geogrid.store import open311 as store311
from geogrid.services.incidents import Reporter
from geogrid.store.incidents import IncidentService, Intake


def test_purge_blanks_personal_extras_of_ended_requests_only(demo_store):
    svc = IncidentService(demo_store)
    plan_id = int(demo_store.active_plan()["id"])
    locator = PlanLocator(demo_store.areas(plan_id))
    uids = []
    for i, lon in enumerate((121.5120, 121.5010)):
        row, _ = svc.intake(Intake(category="噪声", lon=lon, lat=31.2370 - i * 0.007,
                                   datum="wgs84", channel="open311", auto_dispatch=False),
                            actor="t", locator=locator, plan_id=plan_id)
        store311.save_extras(demo_store, row["uid"], {
            "email": f"p{i}@example.org", "device_id": f"d{i}", "account_id": f"a{i}",
            "media_url": f"https://example.org/{i}.jpg", "attributes": {"hazard": "no"}})
        uids.append(row["uid"])
    svc.transition(uids[0], "reject", actor="t", reason="重复")  # ended, never closed_at
    assert store311.purge_personal(demo_store, older_than_days=1) == 0  # too recent
    assert store311.purge_personal(demo_store, older_than_days=0) == 1
    extras = store311.extras_for(demo_store, uids)
    assert (extras[uids[0]]["email"], extras[uids[0]]["device_id"],
            extras[uids[0]]["account_id"]) == (None, None, None)
    assert extras[uids[0]]["media_url"] == "https://example.org/0.jpg"
    assert extras[uids[1]]["email"] == "p1@example.org"  # still open
    with demo_store.read() as conn:
        audit = conn.execute(sa.text(
            "SELECT count(*) FROM audit_log WHERE action = 'open311.purge_personal'")).scalar()
    assert audit == 2


def test_the_retention_command_purges_the_open311_extras_too(demo_store):
    """`geogrid purge-personal` runs IncidentService.purge_personal: it must blank the Open311
    extras as well as the reporter's name and phone."""
    svc = IncidentService(demo_store)
    plan_id = int(demo_store.active_plan()["id"])
    row, _ = svc.intake(Intake(category="噪声", lon=121.5120, lat=31.2370, datum="wgs84",
                               channel="open311", auto_dispatch=False,
                               reporter=Reporter("张三", "13800000000")),
                        actor="t", locator=PlanLocator(demo_store.areas(plan_id)),
                        plan_id=plan_id)
    store311.save_extras(demo_store, row["uid"], {"email": "p@example.org", "device_id": "d",
                                                  "account_id": "a"})
    svc.transition(row["uid"], "reject", actor="t", reason="重复")
    svc.purge_personal(older_than_days=0, actor="t")
    extras = store311.extras_for(demo_store, [row["uid"]])[row["uid"]]
    assert (extras["email"], extras["device_id"], extras["account_id"]) == (None, None, None)
    assert svc.get(row["uid"])["reporter_phone"] is None
