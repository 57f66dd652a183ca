"""Sign-in: lockout per user name and per address, the same hash work for unknown names,
and one signing key shared by every worker of a store."""

from __future__ import annotations

import hashlib
import logging
import os
import stat

import httpx
import pytest

from geogrid import security
from geogrid.security import SignInThrottle, hash_password, verify_password
from geogrid.store.users import create_user

PASSWORD = "correct horse"


@pytest.fixture
def users(demo_store):
    create_user(demo_store, "amy", "dispatcher", password=PASSWORD)
    create_user(demo_store, "bob", "dispatcher", password=PASSWORD)
    return demo_store


def _sign_in(client, user, password=PASSWORD, address=None):
    return client.post("/auth/token", data={"username": user, "password": password})


def test_user_is_locked_after_repeated_failures_then_released(make_client, users):
    client = make_client(signin_max_failures=3, signin_max_failures_per_address=100)
    for _ in range(3):
        assert _sign_in(client, "amy", "wrong pass").status_code == 401
    locked = _sign_in(client, "amy")                     # the right password, but locked
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    err = locked.json()["error"]
    assert err["code"] == "too_many_attempts" and err["field"] == "username"
    assert "锁定" in err["message"] and "locked" in err["message"]
    assert _sign_in(client, "bob").status_code == 200     # other users are unaffected
    client.app.state.signin_throttle.clear()              # an admin's reset
    assert _sign_in(client, "amy").status_code == 200


def test_success_clears_the_user_count(make_client, users):
    client = make_client(signin_max_failures=3, signin_max_failures_per_address=100)
    for _ in range(4):                                    # 8 failures, never 3 in a row
        assert _sign_in(client, "amy", "wrong pass").status_code == 401
        assert _sign_in(client, "amy", "wrong pass").status_code == 401
        assert _sign_in(client, "amy").status_code == 200


def test_multipart_bodies_count_for_the_same_user(make_client, users):
    client = make_client(signin_max_failures=3, signin_max_failures_per_address=100)
    for _ in range(3):
        r = client.post("/auth/token", files={"username": (None, "amy"),
                                              "password": (None, "wrong pass")})
        assert r.status_code == 401
    assert _sign_in(client, "amy").status_code == 429      # the urlencoded form is locked too
    r = client.post("/auth/token", files={"username": (None, "amy"), "password": (None, PASSWORD)})
    assert r.status_code == 429


def test_address_is_locked_across_user_names(make_client, users):
    client = make_client(signin_max_failures=100, signin_max_failures_per_address=4)
    for name in ("u1", "u2", "u3", "amy"):                # spraying many names
        assert _sign_in(client, name, "wrong pass").status_code == 401
    assert _sign_in(client, "bob").status_code == 429


def test_throttle_window_and_lockout_with_a_clock():
    now = [0.0]
    t = SignInThrottle(max_failures=3, max_per_address=50, window_s=60, lockout_s=300,
                       clock=lambda: now[0])
    t.failed("amy", "a"); now[0] = 50; t.failed("amy", "a")
    now[0] = 100                                          # the first failure left the window
    t.failed("amy", "a")
    assert t.locked_for("amy", "b") == 0
    t.failed("amy", "a")
    assert t.locked_for("amy", "b") == 300
    now[0] = 399
    assert t.locked_for("amy", "b") == 1
    now[0] = 400
    assert t.locked_for("amy", "b") == 0


def test_unknown_user_does_the_same_password_hash_work(make_client, users, monkeypatch):
    """Through the sign-in endpoint: a wrong password for a real user, an unknown user name
    and a right password each cost exactly one scrypt of the same parameters."""
    client = make_client(signin_max_failures=100, signin_max_failures_per_address=100)
    calls = []
    real = hashlib.scrypt

    def counting(password, **kw):
        calls.append((len(kw["salt"]), kw["n"], kw["r"], kw["p"], kw["dklen"]))
        return real(password, **kw)

    monkeypatch.setattr(security.hashlib, "scrypt", counting)
    work = {}
    for case, (user, password, status) in {"known": ("amy", "wrong pass", 401),
                                           "unknown": ("nobody", "wrong pass", 401),
                                           "right": ("amy", PASSWORD, 200)}.items():
        calls.clear()
        assert _sign_in(client, user, password).status_code == status
        work[case] = list(calls)
    assert len(work["known"]) == 1
    assert work["unknown"] == work["known"] == work["right"]


def test_verify_password_is_false_without_a_stored_hash():
    assert verify_password("anything at all", None) is False
    assert verify_password("anything at all", "garbage") is False
    assert verify_password(PASSWORD, hash_password(PASSWORD)) is True
    assert verify_password("wrong pass", hash_password(PASSWORD)) is False


def test_shared_key_file_is_private_and_its_choice_logged(make_client, demo_store, caplog):
    caplog.set_level(logging.INFO, logger="geogrid.api")
    make_client()
    path = demo_store.engine.url.database + ".jwt-secret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(open(path).read()) >= 32
    assert any("GEOGRID_JWT_SECRET" in r.getMessage() and path in r.getMessage()
               and "未设置" in r.getMessage() for r in caplog.records)
    caplog.clear()
    make_client(jwt_secret="s" * 40)
    assert any("使用 GEOGRID_JWT_SECRET" in r.getMessage() for r in caplog.records)


@pytest.mark.slow
def test_two_workers_without_a_secret_accept_each_others_tokens(users, monkeypatch):
    from benchmarks._server import ApiServer

    monkeypatch.delenv("GEOGRID_JWT_SECRET", raising=False)
    url = str(users.engine.url)
    refused = 0
    with ApiServer(url, workers=2) as server:
        for _ in range(60):
            with httpx.Client(base_url=server.url) as a:  # a new connection per call
                token = a.post("/auth/token", data={"username": "amy", "password": PASSWORD})
                assert token.status_code == 200
                jwt_token = token.json()["access_token"]
            with httpx.Client(base_url=server.url) as b:
                me = b.get("/auth/me", headers={"Authorization": f"Bearer {jwt_token}"})
            refused += me.status_code == 401
            if me.status_code == 200:
                assert me.json()["username"] == "amy"
    assert refused == 0


def test_a_failure_is_counted_before_the_client_hears_it(make_client, users):
    """The lock the third failure causes is in force when its 401 starts: a client that
    retries at once, on this worker or another, is refused, whatever the scheduling."""
    client = make_client(signin_max_failures=3, signin_max_failures_per_address=100)
    app, throttle = client.app, client.app.state.signin_throttle
    seen = []

    async def call(body: bytes):
        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":  # what the shared store holds now
                seen.append((message["status"], throttle.locked_for("amy", "192.0.2.9") > 0))

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": "/auth/token", "raw_path":
                 b"/auth/token", "root_path": "", "query_string": b"",
                 "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode()),
                             (b"content-type", b"application/x-www-form-urlencoded")],
                 "client": ("192.0.2.1", 50000), "server": ("testserver", 80)}
        await app(scope, receive, send)

    for _ in range(3):
        client.portal.call(call, b"username=amy&password=wrong+pass")
    assert seen == [(401, False), (401, False), (401, True)]


@pytest.mark.slow
def test_two_workers_share_the_lockout(users):
    """Two server processes on one store: failures counted by one lock the name on the
    other. Each request goes to a named process (two single-worker servers rather than
    ``--workers 2``, where the kernel picks the worker and one may still be starting), and
    alternating them needs both processes' counts for the lock."""
    from benchmarks._server import ApiServer

    env = {"GEOGRID_SIGNIN_MAX_FAILURES": "3", "GEOGRID_JWT_SECRET": "k" * 40}
    url = str(users.engine.url)
    with ApiServer(url, env=env) as a, ApiServer(url, env=env) as b:
        for server in (a, b, a):                           # 2 failures on a, 1 on b
            with httpx.Client(base_url=server.url) as c:
                assert _sign_in(c, "amy", "wrong pass").status_code == 401
        answers = []
        for server in (b, a) * 4:
            with httpx.Client(base_url=server.url) as c:
                answers.append(_sign_in(c, "amy").status_code)
        with httpx.Client(base_url=b.url) as c:            # other names are not locked
            assert _sign_in(c, "bob").status_code == 200
    assert answers == [429] * 8
