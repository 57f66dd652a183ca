"""Webhook management has its own permission, and the delivery log a retention, on both
stores."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from geogrid import security
from geogrid.security import Role
from geogrid.services import IncidentService
from geogrid.store._sql import now
from geogrid.store.users import create_user, issue_token
from geogrid.store.webhooks import add_subscriber, deliveries, delivery_log
from tests.api.conftest import client_for


def test_webhooks_are_managed_under_their_own_permission(demo_any, monkeypatch):
    create_user(demo_any, "ops", "dispatcher")
    token = issue_token(demo_any, "ops")
    with client_for(demo_any, token) as c:
        assert c.get("/webhooks").status_code == 403
        monkeypatch.setitem(security.PERMISSIONS, "webhooks.manage",
                            frozenset({Role.ADMIN, Role.DISPATCHER}))
        r = c.post("/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]})
        assert r.status_code == 201, r.text
        assert [w["id"] for w in c.get("/webhooks").json()] == [r.json()["id"]]
        assert c.get("/webhooks/deliveries").status_code == 200
        assert c.get("/users").status_code == 403      # no user management with it
        assert c.delete(f"/webhooks/{r.json()['id']}").status_code in (200, 204)
        assert c.get("/webhooks").json() == []


def test_the_personal_data_purge_trims_the_delivery_log(demo_any):
    sub = add_subscriber(demo_any, url="http://127.0.0.1:9/hook", secret="whsec_" + "x" * 32,
                         events=["*"], description=None, actor="t")
    old, recent = now() - timedelta(days=400), now() - timedelta(days=2)
    rows = [(status, at) for status in ("delivered", "failed", "pending") for at in (old, recent)]
    with demo_any.write() as conn:
        conn.execute(sa.insert(deliveries), [
            {"subscriber_id": sub["id"], "source": "events", "source_id": i,
             "event_type": "incident.created", "entity_id": f"I{i}",
             "payload": {"data": {"incident": f"I{i}"}}, "status": status, "attempts": 1,
             "next_attempt_at": at, "created_at": at} for i, (status, at) in enumerate(rows)])
    IncidentService(demo_any).purge_personal(older_than_days=365, actor="t")
    kept = {(d["status"], d["entity_id"]) for d in delivery_log(demo_any, limit=100)}
    # finished and older than the retention: gone; recent or still pending: kept
    assert kept == {("delivered", "I1"), ("failed", "I3"), ("pending", "I4"), ("pending", "I5")}
