"""Each dataset records its source and licence; exports and the areas API attribute exactly
what they show, and keep every imported attribute."""

from __future__ import annotations

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from geogrid.cli import app
from geogrid.services.imports import OSM_ATTRIBUTION, detect_provenance
from tests.plans.conftest import HZ_ARGS, WRITE

runner = CliRunner()


def _import(path, *extra):
    res = runner.invoke(app, ["import", str(path), *HZ_ARGS, *WRITE, *extra, "--json"])
    assert res.exit_code == 0, res.output
    import json

    return json.loads(res.stdout)["plan_id"]


def test_export_names_the_declared_source_and_keeps_attributes(hangzhou_gpkg, cli_store, tmp_path):
    plan_id = _import(hangzhou_gpkg, "--source", "留下街道办 2025", "--licence", "CC BY 4.0")
    out = tmp_path / "export.geojson"
    res = runner.invoke(app, ["export", str(out), "--plan", str(plan_id)])
    assert res.exit_code == 0, res.output
    frame = gpd.read_file(out)
    assert set(frame["attribution"]) == {"来源 source: 留下街道办 2025; 许可 licence: CC BY 4.0"}
    assert not frame["attribution"].str.contains("OpenStreetMap").any()
    grid = frame.set_index("id").loc["SQ-1-2"]
    assert grid["所属组织"] == "杨家牌楼社区" and grid["external_code"] == "SQ-1-2"
    ds = cli_store().datasets(plan_id=plan_id)
    assert sorted(d["file"] for d in ds) == ["liuxia.gpkg:社区", "liuxia.gpkg:网格",
                                             "liuxia.gpkg:街道"]
    assert sum(d["features"] for d in ds) == 7 and {d["licence"] for d in ds} == {"CC BY 4.0"}


def test_undeclared_licence_is_said_so(hangzhou_gpkg, cli_store, tmp_path):
    plan_id = _import(hangzhou_gpkg)
    out = tmp_path / "export.gpkg"
    assert runner.invoke(app, ["export", str(out), "--plan", str(plan_id)]).exit_code == 0
    text = set(gpd.read_file(out)["attribution"])
    assert text == {"来源 source: liuxia.gpkg:街道; 许可 licence: 未声明 not declared | "
                    "来源 source: liuxia.gpkg:社区; 许可 licence: 未声明 not declared | "
                    "来源 source: liuxia.gpkg:网格; 许可 licence: 未声明 not declared"}


@pytest.mark.parametrize("columns, source, osm", [
    (["osm_id", "name"], None, True), (["名称"], "OpenStreetMap", True), (["名称"], "osm", True),
    (["名称"], None, False), (["名称"], "杭州市规划院", False)])
def test_osm_is_detected_or_declared_never_assumed(columns, source, osm):
    prov = detect_provenance(columns, source=source, licence=None, file="x.gpkg")
    assert (prov.attribution == OSM_ATTRIBUTION) is osm
    assert ("OpenStreetMap" in prov.attribution) is osm


def test_areas_api_attributes_the_plan_and_shows_attributes(hangzhou_gpkg, cli_store):
    from fastapi.testclient import TestClient

    from api import create_app
    from geogrid.settings import Settings

    plan_id = _import(hangzhou_gpkg, "--source", "留下街道办", "--licence", "内部")
    store = cli_store()
    store.activate_plan(plan_id)
    with TestClient(create_app(Settings(database_url=str(store.engine.url)), store=store)) as c:
        body = c.get("/areas", params={"level": "社区"}).json()
        plan = c.get(f"/plans/{plan_id}").json()
        unknown = c.get("/areas", params={"level": "片区"})
    assert unknown.status_code == 422, unknown.text
    error = unknown.json()["error"]
    assert "片区" in error["message"] and "街道=street" in error["message"] and error["fix"]
    assert body["attribution"] == "来源 source: 留下街道办; 许可 licence: 内部"
    assert sorted(f["properties"]["id"] for f in body["features"]) == ["SQ-1", "SQ-3"]
    props = {f["properties"]["id"]: f["properties"] for f in body["features"]}
    assert props["SQ-3"]["attrs"]["所属组织"] == "留下街道"
    assert [lv["zh"] for lv in plan["levels"]] == ["街道", "社区", "网格"]


def test_demo_plan_keeps_its_osm_attribution(demo_store):
    from fastapi.testclient import TestClient

    from api import create_app
    from geogrid.settings import Settings

    with TestClient(create_app(Settings(database_url=str(demo_store.engine.url)),
                               store=demo_store)) as c:
        body = c.get("/areas", params={"level": "grid"}).json()
    assert "OpenStreetMap" in body["attribution"] and len(body["features"]) == 6


def test_ogc_and_public_documents_name_the_recorded_source_not_osm(hangzhou_gpkg, cli_store):
    from fastapi.testclient import TestClient

    from api import create_app
    from geogrid.settings import Settings

    plan_id = _import(hangzhou_gpkg, "--source", "留下街道办", "--licence", "内部")
    store = cli_store()
    store.activate_plan(plan_id)
    with TestClient(create_app(Settings(database_url=str(store.engine.url)), store=store)) as c:
        texts = {
            "landing": c.get("/ogc").json()["description"],
            "api": c.get("/ogc/api").json()["info"]["description"],
            "collection": c.get(f"/ogc/collections/plan-{plan_id}").json()["description"],
            "items": c.get(f"/ogc/collections/plan-{plan_id}/items").json()["attribution"],
            "public areas": c.get("/public/areas").json()["attribution"],
            "public stats": c.get("/public/stats").json()["attribution"],
        }
    for where, text in texts.items():
        assert "留下街道办" in text and "OpenStreetMap" not in text, (where, text)


def test_ogc_keeps_the_demo_plans_osm_line(demo_store):
    from fastapi.testclient import TestClient

    from api import create_app
    from geogrid.settings import Settings

    with TestClient(create_app(Settings(database_url=str(demo_store.engine.url)),
                               store=demo_store)) as c:
        [plan] = [p for p in c.get("/ogc/collections").json()["collections"]
                  if p["id"].startswith("plan-")]
        items = c.get(f"/ogc/collections/{plan['id']}/items", params={"limit": 1}).json()
    assert "OpenStreetMap" in plan["description"] and "OpenStreetMap" in items["attribution"]
