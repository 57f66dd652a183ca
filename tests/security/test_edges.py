"""Body limits, JSON depth, the Host header, security headers and no-store, over HTTP."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from api.middleware import json_depth, script_hashes
from geogrid.store.users import create_user, issue_token

POINT = {"category": "积水", "lon": 121.51, "lat": 31.237, "datum": "cgcs2000"}


def _shape(r, status, code):
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert "detail" not in r.json() and err["code"] == code
    assert set(err) >= {"code", "message", "field", "value", "fix"}
    assert re.search(r"[\u4e00-\u9fff]", err["message"]) and re.search(r"[A-Za-z]", err["message"])
    return err


@pytest.fixture
def admin(demo_store):
    create_user(demo_store, "root1", "admin")
    return {"Authorization": f"Bearer {issue_token(demo_store, 'root1')}"}


def test_oversize_json_without_length_is_413_in_the_error_shape(make_client, admin):
    client = make_client(max_body_bytes=4096)

    def chunks():  # chunked: no Content-Length to refuse up front
        yield b'{"category": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    r = client.post("/incidents", content=chunks(), headers={**admin,
                                                            "content-type": "application/json"})
    err = _shape(r, 413, "limit_exceeded")
    assert err["field"] == "body" and err["value"] == 4096
    r = client.post("/incidents", content=b"{" * 5000, headers={**admin,
                                                               "content-type": "application/json"})
    _shape(r, 413, "limit_exceeded")


@pytest.mark.parametrize("depth", [65, 5000])
def test_deeply_nested_json_is_422_in_the_error_shape(make_client, admin, depth):
    client = make_client()
    body = '{"category": "积水", "x": ' + "[" * depth + "]" * depth + "}"
    r = client.post("/incidents", content=body.encode(),
                    headers={**admin, "content-type": "application/json"})
    err = _shape(r, 422, "invalid_input")
    assert err["field"] == "body" and err["value"] == ">64"


def test_normal_json_still_reaches_the_handler(make_client, admin):
    client = make_client()
    r = client.post("/incidents", json=POINT, headers=admin)
    assert r.status_code == 201 and r.json()["category"] == "waterlogging"


def test_json_depth_ignores_brackets_in_strings():
    assert json_depth(b'{"a": "[[[[[[", "b": [[1]]}') == 3
    assert json_depth(b'"\\"[["') == 0
    assert json_depth(b"[" * 100 + b"]" * 100, stop_at=10) == 11


def test_forged_host_is_refused_and_never_reaches_the_snippet(make_client):
    client = make_client(allowed_hosts="grid.example.cn")
    r = client.get("/embed/snippet", headers={"host": "evil.example.com"})
    err = _shape(r, 400, "bad_host")
    assert err["field"] == "Host" and err["value"] == "evil.example.com"
    ok = client.get("/embed/snippet", headers={"host": "grid.example.cn:8443"})
    assert ok.status_code == 200 and "http://grid.example.cn:8443/embed/coverage" in ok.text


def test_public_base_url_pins_absolute_urls(make_client):
    client = make_client(allowed_hosts="*", public_base_url="https://grid.example.cn")
    html = client.get("/embed/snippet", headers={"host": "evil.example.com"}).text
    assert "evil.example.com" not in html
    assert '<iframe src="https://grid.example.cn/embed/coverage"' in html


def test_wildcard_hosts(make_client):
    client = make_client(allowed_hosts="*.example.cn")
    assert client.get("/health", headers={"host": "a.example.cn"}).status_code == 200
    assert client.get("/health", headers={"host": "example.cn.evil.com"}).status_code == 400


def test_csp_lists_the_hash_of_every_inline_script_of_each_page(make_client):
    client = make_client()
    for path in ("/", "/console", "/embed/coverage", "/embed/snippet"):
        r = client.get(path)
        csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
        assert csp["object-src"] == "'none'" and csp["base-uri"] == "'self'"
        sources = csp["script-src"].split()
        assert sources[0] == "'self'" and "'unsafe-inline'" not in sources
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", r.text, re.S)
        expected = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
                    + "'" for s in inline}
        assert set(sources[1:]) == expected, path
        assert r.headers["x-content-type-options"] == "nosniff"


def test_script_hashes_skip_external_scripts():
    assert script_hashes(b'<script src="/static/a.js"></script>') == []
    assert len(script_hashes(b"<SCRIPT type='module'>a()</SCRIPT><script>b()</script>")) == 2


@pytest.mark.parametrize("path,personal", [
    ("/incidents", True), ("/users", True), ("/audit", True), ("/responders", True),
    ("/geocode?q=%E4%B8%96%E7%BA%AA%E5%A4%A7%E9%81%93", True), ("/auth/me", True),
    ("/health", False), ("/public/areas", False)])
def test_no_store_on_personal_data(make_client, admin, path, personal):
    r = make_client().get(path, headers=admin)
    assert r.status_code == 200, (path, r.text[:200])
    assert (r.headers.get("cache-control") == "no-store") is personal
