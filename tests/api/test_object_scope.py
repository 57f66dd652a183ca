"""Scope on objects, tokens, plan writes and the smaller contract items."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from api import create_app
from geogrid.settings import Settings
from geogrid.services.public import SUPPRESSED, hidden_areas, suppressed_counts
from geogrid.store.users import create_user, issue_token


def _h(store, name, role, scope=None):
    create_user(store, name, role, scope=scope)
    return {"Authorization": f"Bearer {issue_token(store, name)}"}


def test_planner_outside_scope_cannot_undo_or_delete_a_draft(client, demo_store):
    mine = _h(demo_store, "p1", "planner", "310115005")
    other = _h(demo_store, "p2", "planner", "310115006")
    plan = client.post("/plans/1/copy", json={}, headers=mine).json()
    draft, version = plan["id"], {"version": plan["version"]}
    assert client.post(f"/plans/{draft}/undo", json=version, headers=other).status_code == 403
    assert client.delete(f"/plans/{draft}", params=version, headers=other).status_code == 403
    r = client.delete(f"/plans/{draft}", params=version, headers=mine)
    assert r.status_code == 204 and r.content == b""
    assert "content-length" not in r.headers or r.headers["content-length"] == "0"


def test_missing_plan_reads_answer_404(client, demo_store):
    h = _h(demo_store, "p3", "planner")
    for what in ("stats", "history", "validate", "diff"):
        assert client.get(f"/plans/999/{what}", headers=h).status_code == 404, what


def test_locate_batch_refuses_booleans_as_numbers(client):
    r = client.post("/locate", json={"datum": "wgs84", "points": [[0, False]]})
    assert r.status_code == 422


def test_tokens_listed_and_revoked_by_owner_or_admin(client, demo_store):
    admin = _h(demo_store, "root", "admin")
    d1 = _h(demo_store, "d1", "dispatcher")
    d2 = _h(demo_store, "d2", "dispatcher")
    mine = client.get("/tokens", headers=d1).json()
    assert [t["username"] for t in mine] == ["d1"] and "token_hash" not in mine[0]
    tid = mine[0]["id"]
    assert client.delete(f"/tokens/{tid}", headers=d2).status_code == 404
    assert client.delete(f"/tokens/{tid}", headers=admin).json()["revoked_at"] is not None
    assert len(client.get("/tokens", headers=admin).json()) >= 3


def test_bootstrap_token_replaces_the_previous_and_refuses_a_bad_prefix(demo_store, caplog):
    def start(token):
        app = create_app(Settings(database_url=str(demo_store.engine.url), admin_token=token),
                         store=demo_store)
        return TestClient(app)

    with start("ggt_first-token-0123456789") as c:
        assert c.get("/users", headers={"Authorization": "Bearer ggt_first-token-0123456789"}
                     ).status_code == 200
    with start("ggt_second-token-0123456789") as c:
        assert c.get("/users", headers={"Authorization": "Bearer ggt_second-token-0123456789"}
                     ).status_code == 200
        assert c.get("/users", headers={"Authorization": "Bearer ggt_first-token-0123456789"}
                     ).status_code == 401
    with caplog.at_level(logging.ERROR, logger="geogrid.api"), start("no-prefix-token") as c:
        pass
    assert any("ggt_" in r.getMessage() for r in caplog.records)


def test_complementary_suppression_resists_subtraction():
    totals = {"s": 9, "g1": 5, "g2": 2, "g3": 2}           # two hidden siblings: fine
    assert hidden_areas(totals, {"s": None, "g1": "s", "g2": "s", "g3": "s"}) == {"g2", "g3"}
    totals = {"s": 10, "g1": 6, "g2": 3, "g3": 1}          # one hidden: 10 - 6 - 3 = 1
    hidden = hidden_areas(totals, {"s": None, "g1": "s", "g2": "s", "g3": "s"})
    assert hidden == {"g3", "g2"}
    shown = sum(totals[g] for g in ("g1", "g2", "g3") if g not in hidden)
    assert totals["s"] - shown == totals["g2"] + totals["g3"]   # two cells, not one
    cats = suppressed_counts({"a": 4, "b": 1})
    assert cats["by_category"] == {"other": 5} and SUPPRESSED not in cats["by_category"].values()


def test_activation_requires_the_version_reviewed(client, demo_store):
    h = _h(demo_store, "p9", "planner")
    draft = client.post("/plans/1/copy", json={}, headers=h).json()
    r = client.post(f"/plans/{draft['id']}/activate", json={}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "version"
    assert client.get(f"/plans/{draft['id']}", headers=h).json()["status"] == "draft"


def test_personal_data_responses_are_not_cached(client, demo_store):
    admin = _h(demo_store, "root2", "admin")
    disp = _h(demo_store, "d3", "dispatcher")
    made = client.post("/users", json={"username": "x1", "role": "responder"}, headers=admin)
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    client.post("/responders", json={"name": "甲", "phone": "13800000009"}, headers=disp)
    listed = client.get("/responders", headers=disp)
    assert listed.headers["Cache-Control"] == "no-store"
    assert any(r.get("phone") == "13800000009" for r in listed.json())
    public = client.get("/public/stats")
    assert "no-store" not in public.headers.get("Cache-Control", "")
