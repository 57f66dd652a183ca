from __future__ import annotations

import shapely


def test_health_reports_store(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["store"] == "sqlite" and body["active_plan"] == 1


def test_plans_list_and_active(client):
    plans = client.get("/plans").json()
    assert len(plans) == 1 and plans[0]["status"] == "active"
    assert client.get("/plans/active").json()["id"] == plans[0]["id"]


def test_grids_as_geojson(client):
    r = client.get("/areas", params={"level": "grid"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    names = {f["properties"]["name"] for f in fc["features"]}
    assert names == {"崂山住区", "梅园住区", "滨江住区", "陆家嘴金融城", "新上海商业城", "滨江船厂带"}
    assert "OpenStreetMap" in fc["attribution"]
    for f in fc["features"]:
        g = shapely.geometry.shape(f["geometry"])
        assert g.is_valid and g.geom_type == "MultiPolygon"
        assert f["properties"]["code"].startswith("310115005")


def test_bbox_filter_selects_intersecting(client):
    # a small box in the 崂山 residential blocks
    fc = client.get("/areas", params={"level": "grid", "bbox": "121.512,31.237,121.5125,31.2375"}).json()
    assert [f["properties"]["name"] for f in fc["features"]] == ["崂山住区"]


def test_parent_filter(client):
    fc = client.get("/plans/active/areas", params={"parent": "street-lujiazui"}).json()
    assert len(fc["features"]) == 6


def test_bad_bbox_names_field_value_and_fix(client):
    r = client.get("/areas", params={"bbox": "121.5,31.2"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "bbox" and err["value"] == "121.5,31.2" and "minlon" in err["fix"]


def test_bad_level_is_422_with_field(client):
    r = client.get("/areas", params={"level": "district"})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "level"


def test_unknown_plan_is_404(client):
    r = client.get("/plans/999")
    assert r.status_code == 404 and r.json()["error"]["field"] == "plan_id"


def test_openapi_docs(client):
    spec = client.get("/openapi.json").json()
    assert "/areas" in spec["paths"] and "/plans/{plan}/areas" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_index_serves_offline_coverage_map(client):
    r = client.get("/")
    assert r.status_code == 200
    html = r.text
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "cdn.jsdelivr" not in html and "unpkg" not in html and "cdnjs" not in html
    assert "OpenStreetMap" in html and "崂山住区" in html
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200


def test_security_headers(client):
    r = client.get("/health")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'self'" in r.headers["content-security-policy"]


def test_oversized_body_is_413_before_parsing(demo_store):
    from fastapi.testclient import TestClient

    from api import create_app
    from geogrid.settings import Settings

    app = create_app(Settings(max_body_bytes=2048), store=demo_store)
    with TestClient(app) as c:
        r = c.post("/auth/token", content=b"x" * 5000,
                   headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "limit_exceeded"


def test_drafts_are_hidden_from_the_public(client, demo_store):
    from geogrid.store.users import create_user, issue_token

    draft = demo_store.copy_plan(1, name="草稿")
    assert client.get(f"/plans/{draft}").status_code == 404
    assert client.get("/areas", params={"plan": draft}).status_code == 404
    assert client.get("/", params={"plan": draft}).status_code == 404
    assert all(p["status"] != "draft" for p in client.get("/plans").json())
    create_user(demo_store, "pl", "planner")
    h = {"Authorization": f"Bearer {issue_token(demo_store, 'pl')}"}
    assert client.get(f"/plans/{draft}", headers=h).json()["status"] == "draft"
    assert len(client.get("/areas", params={"plan": draft, "level": "grid"}, headers=h).json()["features"]) == 6
