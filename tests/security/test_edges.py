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


def test_without_host_settings_no_forged_host_or_port_reaches_a_link(demo_store, monkeypatch):
    """GEOGRID_ALLOWED_HOSTS and GEOGRID_PUBLIC_BASE_URL unset: only loopback names pass,
    and absolute URLs carry the port the server listens on, never the one in the Host."""
    from fastapi.testclient import TestClient

    from api import create_app
    from geogrid.settings import Settings

    monkeypatch.delenv("GEOGRID_ALLOWED_HOSTS", raising=False)
    monkeypatch.delenv("GEOGRID_PUBLIC_BASE_URL", raising=False)
    app = create_app(Settings(database_url=str(demo_store.engine.url)), store=demo_store)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:  # listening on 8000
        for forged in ("evil.example.com", "evil.example.com:8000", "127.0.0.1.evil.com"):
            err = _shape(client.get("/embed/snippet", headers={"host": forged}), 400, "bad_host")
            assert err["value"] == forged
        for sent, base in (("127.0.0.1:8000", "http://127.0.0.1:8000"),
                           ("localhost:9999", "http://localhost:8000"),
                           ("[::1]:1", "http://[::1]:8000")):
            html = client.get("/embed/snippet", headers={"host": sent}).text
            assert f'<iframe src="{base}/embed/coverage"' in html, (sent, html[:300])
            assert ":9999" not in html and ":1/" not in html
        links = client.get("/ogc", headers={"host": "localhost:9999"}).json()["links"]
        assert links and all(link["href"].startswith("http://localhost:8000/") for link in links)


@pytest.mark.parametrize("path", ["/tokens", "/webhooks", "/webhooks/deliveries"])
def test_no_store_on_tokens_and_webhooks(make_client, admin, path):
    r = make_client().get(path, headers=admin)
    assert r.status_code == 200 and r.headers.get("cache-control") == "no-store"


def test_every_page_has_script_src_self(make_client, admin):
    """Every HTML page the app documents (and the docs pages) sends a CSP whose script-src
    is 'self' plus hashes only."""
    client = make_client()
    spec = client.get("/openapi.json").json()
    pages = ["/docs", "/redoc"] + [
        path for path, ops in spec["paths"].items() if "get" in ops and "{" not in path
        and "text/html" in ops["get"]["responses"].get("200", {}).get("content", {})
        and not any(p.get("required") for p in ops["get"].get("parameters", []))]
    assert {"/", "/editor", "/console", "/embed/coverage"} <= set(pages)
    for path in pages:
        r = client.get(path, headers=admin)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
        sources = csp["script-src"].split()
        assert sources[0] == "'self'", path
        assert all(s.startswith("'sha256-") for s in sources[1:]), (path, sources)
