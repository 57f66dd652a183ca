from __future__ import annotations

import pytest

from geogrid.security import PERMISSIONS, Principal, Role, hash_password, verify_password
from geogrid.store.users import create_user, issue_token


@pytest.fixture
def tokens(demo_store):
    out = {}
    for role, scope in [("admin", None), ("planner", "310115005003"), ("dispatcher", "310115005"),
                        ("responder", "310115005003"), ("public", None)]:
        create_user(demo_store, role + "1", role, scope=scope, password="correct horse")
        out[role] = issue_token(demo_store, role + "1")
    return out


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_token_identifies_user(client, tokens):
    me = client.get("/auth/me", headers=auth(tokens["planner"])).json()
    assert me == {"username": "planner1", "role": "planner", "scope": "310115005003"}
    assert client.get("/auth/me").json()["role"] == "public"


def test_password_sign_in_gives_jwt(client, tokens):
    r = client.post("/auth/token", data={"username": "dispatcher1", "password": "correct horse"})
    assert r.status_code == 200
    jwt_token = r.json()["access_token"]
    assert client.get("/auth/me", headers=auth(jwt_token)).json()["username"] == "dispatcher1"
    bad = client.post("/auth/token", data={"username": "dispatcher1", "password": "wrong one"})
    assert bad.status_code == 401 and bad.json()["error"]["field"] == "password"


def test_unknown_and_malformed_tokens_are_401(client):
    assert client.get("/auth/me", headers=auth("ggt_nope")).status_code == 401
    assert client.get("/auth/me", headers=auth("not.a.jwt")).status_code == 401
    assert client.get("/auth/me", headers={"Authorization": "Basic abc"}).status_code == 401


@pytest.mark.parametrize("role,status", [("admin", 201), ("planner", 403), ("dispatcher", 403),
                                         ("responder", 403), ("public", 403), (None, 401)])
def test_only_admin_creates_users(client, tokens, role, status):
    headers = auth(tokens[role]) if role else {}
    r = client.post("/users", json={"username": f"new{role}", "role": "responder"}, headers=headers)
    assert r.status_code == status
    if status == 201:
        assert r.json()["token"].startswith("ggt_")


def test_audit_is_admin_only_and_records_actor(client, tokens):
    client.post("/users", json={"username": "x1", "role": "planner"}, headers=auth(tokens["admin"]))
    rows = client.get("/audit", params={"entity": "user"}, headers=auth(tokens["admin"])).json()
    assert any(r["actor"] == "admin1" and (r["after"] or {}).get("username") == "x1" for r in rows)
    assert client.get("/audit", headers=auth(tokens["planner"])).status_code == 403


def test_tokens_are_stored_hashed(demo_store, tokens):
    import sqlalchemy as sa

    from geogrid.store import schema as S
    with demo_store.read() as conn:
        stored = conn.execute(sa.select(S.api_tokens.c.token_hash)).scalars().all()
    assert tokens["admin"] not in stored and len(stored[0]) == 64


def test_scope_is_a_code_prefix():
    p = Principal("p", Role.PLANNER, scope="310115005003")
    assert p.in_scope("310115005003007") and not p.in_scope("310115005004001")
    assert Principal("a", Role.ADMIN, scope="1").in_scope("9")


def test_every_action_has_admin():
    assert all(Role.ADMIN in roles for roles in PERMISSIONS.values())


def test_password_hashing():
    h = hash_password("s3cret-pass")
    assert verify_password("s3cret-pass", h) and not verify_password("other-pass", h)
    assert "s3cret" not in h
