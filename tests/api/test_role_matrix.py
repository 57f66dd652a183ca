"""Every write endpoint × every role: allowed roles get past auth, the rest get 401/403.

The expected answer comes from the permission table (geogrid.security.PERMISSIONS), so a
route guarded by the wrong action fails here. Bodies are minimal: an allowed role may still
get 404/409/422 for the request itself, never 401/403.
"""

from __future__ import annotations

import pytest

from geogrid.security import PERMISSIONS, Role
from geogrid.store.users import create_user, issue_token

ROLES = ["admin", "planner", "dispatcher", "responder", "public", None]

# (method, path, json body or form, permission the route must demand)
WRITES = [
    ("POST", "/users", {"json": {"username": "x_{role}", "role": "responder"}}, "users.manage"),
    ("GET", "/audit", {}, "audit.read"),
    ("GET", "/users", {}, "users.manage"),
    ("POST", "/plans/1/copy", {"json": {}}, "plan.write"),
    ("POST", "/plans/1/partition", {"json": {"grid_id": "grid-310115005004-c002",
                                               "n_microgrids": 3, "version": 1}},
     "plan.write"),
    ("POST", "/plans/1/edits", {"json": {"op": "lock", "microgrid": "mg-310115005004001",
                                           "version": 1}},
     "plan.write"),
    ("POST", "/plans/1/undo", {"json": {"version": 1}}, "plan.write"),
    ("POST", "/plans/1/redo", {"json": {"version": 1}}, "plan.write"),
    ("POST", "/plans/1/activate", {"json": {"version": 1}}, "plan.activate"),
    ("DELETE", "/plans/1", {"params": {"version": 1}}, "plan.write"),
    ("GET", "/plans/1/stats", {}, "plan.read"),
    ("GET", "/plans/1/validate", {}, "plan.read"),
    ("GET", "/plans/1/diff", {}, "plan.read"),
    ("GET", "/plans/1/history", {}, "plan.read"),
    ("GET", "/plans/1/objects", {}, "plan.read"),
    ("GET", "/geocode?q=崂山五村", {}, "geocode"),
    ("POST", "/geocode", {"json": {"queries": ["崂山五村"]}}, "geocode"),
    ("GET", "/reverse?lon=121.51&lat=31.237&datum=wgs84", {}, "geocode"),
    ("POST", "/incidents", {"json": {"category": "积水", "lon": 121.512, "lat": 31.237,
                                     "datum": "wgs84"}}, "incident.create"),
    ("GET", "/incidents", {}, "incident.read"),
    ("GET", "/queues/mg-310115005004001", {}, "incident.read"),
    ("POST", "/incidents/NOPE/actions", {"json": {"action": "accept"}}, "incident.dispatch"),
    ("POST", "/incidents/NOPE/actions", {"json": {"action": "start"}}, "incident.handle"),
    ("POST", "/incidents/NOPE/merge", {"json": {"into": "X"}}, "incident.dispatch"),
    ("POST", "/incidents/NOPE/responder", {"json": {"responder_id": 1}}, "incident.dispatch"),
    ("POST", "/responders", {"json": {"name": "n"}}, "incident.dispatch"),
    ("PATCH", "/responders/999", {"json": {"available": False}}, "responder.write"),
    ("GET", "/responders", {}, "incident.read"),
    ("GET", "/metrics", {}, "metrics.read"),
    ("GET", "/reports/microgrid/mg-310115005004001?year=2026", {}, "metrics.read"),
    ("POST", "/open311/v2/requests.json",
     {"data": {"service_code": "x", "lat": 31.237, "long": 121.512}}, "incident.create"),
    ("POST", "/webhooks", {"json": {"url": "http://127.0.0.1:9/hook"}}, "webhooks.manage"),
    ("GET", "/webhooks", {}, "webhooks.manage"),
    ("GET", "/webhooks/deliveries", {}, "webhooks.manage"),
    ("DELETE", "/webhooks/999999", {}, "webhooks.manage"),
]


@pytest.fixture
def tokens(demo_store):
    out = {}
    for role in ROLES[:-1]:
        create_user(demo_store, f"u_{role}", role)
        out[role] = issue_token(demo_store, f"u_{role}")
    return out


@pytest.mark.parametrize("role", ROLES)
def test_every_write_endpoint_checks_the_role(client, tokens, role):
    wrong = []
    for method, path, kwargs, action in WRITES:
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        kw = {k: ({kk: (vv.format(role=role) if isinstance(vv, str) else vv)
                   for kk, vv in v.items()} if isinstance(v, dict) else v) for k, v in kwargs.items()}
        r = client.request(method, path, headers=headers, **kw)
        allowed = role is not None and Role(role) in PERMISSIONS[action]
        if allowed and r.status_code in (401, 403):
            wrong.append((method, path, role, "refused", r.status_code))
        if not allowed:
            expected = 401 if role is None else 403
            if r.status_code != expected:
                wrong.append((method, path, role, f"expected {expected}", r.status_code))
    assert wrong == []
