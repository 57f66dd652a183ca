"""A three-level plan imported in one command, validated, located in its declared chain."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from geogrid.cli import app
from tests.plans.conftest import GAP_M2_MIN, HZ_ARGS, WRITE

runner = CliRunner()


def _json(res):
    assert "Traceback" not in res.output, res.output
    return json.loads(res.stdout)


def test_dry_run_reports_the_real_problems_and_writes_nothing(hangzhou_gpkg, cli_store):
    res = runner.invoke(app, ["import", str(hangzhou_gpkg), *HZ_ARGS, "--json"])
    assert res.exit_code == 1, res.output
    body = _json(res)
    assert body["committed"] is False
    assert body["counts"] == {"street": 1, "community": 2, "grid": 4}
    counts = body["report"]["counts"]
    # the street's strip east of 屏峰社区, and the notch the bow-tie leaves in 杨家牌楼社区
    assert counts["gap"] == 2 and counts["duplicate_code"] == 1
    assert counts["invalid_geometry"] == 1 and counts.get("duplicate_id", 0) == 0
    gaps = {i["ids"][0]: i for i in body["report"]["issues"] if i["kind"] == "gap"}
    assert gaps["330106001"]["value"] > GAP_M2_MIN
    assert 120.138 < gaps["330106001"]["location"][0] < 120.140
    assert 0 < gaps["SQ-1"]["value"] < 5_000 and "SQ-1-1" in gaps["SQ-1"]["ids"]
    dup = next(i for i in body["report"]["issues"] if i["kind"] == "duplicate_code")
    assert "'SQ-3-1'" in dup["message"] and len(dup["ids"]) == 2
    bad = next(i for i in body["report"]["issues"] if i["kind"] == "invalid_geometry")
    assert "Self-intersection" in bad["message"] and bad["ids"] == ["SQ-1-1"]
    assert cli_store().counts()["areas"] == 0


def test_commit_refuses_a_flawed_plan_and_writes_nothing(hangzhou_gpkg, cli_store):
    res = runner.invoke(app, ["import", str(hangzhou_gpkg), *HZ_ARGS, "--street-code",
                              "330106001", "--commit"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "--with-problems" in res.output
    # an invalid geometry blocks even --with-problems until it is repaired
    res = runner.invoke(app, ["import", str(hangzhou_gpkg), *HZ_ARGS, "--street-code",
                              "330106001", "--with-problems", "--commit"])
    assert res.exit_code == 2 and "invalid_geometry" in res.output
    assert cli_store().counts()["areas"] == 0


def test_one_command_imports_the_plan_and_validate_reports_it(hangzhou_gpkg, cli_store):
    res = runner.invoke(app, ["import", str(hangzhou_gpkg), *HZ_ARGS, *WRITE, "--new-plan",
                              "留下街道网格", "--source", "留下街道办 2025", "--licence",
                              "内部使用 internal use", "--json"])
    assert res.exit_code == 0, res.output
    plan_id = _json(res)["plan_id"]
    store = cli_store()
    plan = store.plan(plan_id)
    assert [lv["key"] for lv in plan["levels"]] == ["street", "community", "grid"]
    areas = store.areas(plan_id).set_index("id")
    assert areas.loc["SQ-3-1", "parent_id"] == "SQ-3" and areas.loc["SQ-3", "parent_id"] == "330106001"
    assert areas.loc["SQ-1-2", "attrs"]["所属组织"] == "杨家牌楼社区"
    assert areas.loc["SQ-1-2", "attrs"]["external_code"] == "SQ-1-2"
    assert areas.loc["SQ-1-2", "name"] == "二网格"

    listed = runner.invoke(app, ["plans"]).output
    assert "留下街道网格  (街道 → 社区 → 网格)" in listed, listed
    res = runner.invoke(app, ["validate", "--plan", str(plan_id), "--json"])
    assert res.exit_code == 1, res.output
    report = _json(res)
    assert report["ok"] is False
    assert report["counts"]["gap"] == 2 and report["counts"]["duplicate_code"] == 1
    assert {i["ids"][0] for i in report["issues"] if i["kind"] == "gap"} == {"330106001", "SQ-1"}


def test_locate_returns_the_declared_chain(hangzhou_gpkg, cli_store):
    from fastapi.testclient import TestClient

    from api import create_app
    from geogrid.settings import Settings

    res = runner.invoke(app, ["import", str(hangzhou_gpkg), *HZ_ARGS, *WRITE, "--json"])
    plan_id = _json(res)["plan_id"]
    store = cli_store()
    store.activate_plan(plan_id)
    with TestClient(create_app(Settings(database_url=str(store.engine.url)), store=store)) as c:
        body = c.get("/locate", params={"lon": 120.125, "lat": 30.255, "datum": "cgcs2000",
                                        "snap_m": 0}).json()
    assert "chain" in body, body
    chain = body["chain"]
    assert list(chain) == ["street", "community", "grid"], body
    assert chain["grid"]["id"] == "SQ-3-1" and chain["grid"]["level"] == "grid"
    assert chain["community"]["name"] == "屏峰社区"
    assert chain["street"]["code"] == "330106001"


def test_standard_codes_kept_alongside_external(hangzhou_gpkg, cli_store):
    res = runner.invoke(app, ["import", str(hangzhou_gpkg), *HZ_ARGS, *WRITE,
                              "--standard-codes", "--json"])
    plan_id = _json(res)["plan_id"]
    areas = cli_store().areas(plan_id).set_index("id")
    # 社区 in reading order (west → east): SQ-1 is 001, SQ-3 is 002; grids under them
    assert areas.loc["SQ-1", "code"] == "330106001001"
    assert areas.loc["SQ-3", "code"] == "330106001002"
    assert areas.loc["SQ-3-1", "code"] == "330106001002002"  # south of 四网格: read second
    assert areas.loc["SQ-3-1", "attrs"]["external_code"] == "SQ-3-1"
    assert all(len(c) == 15 for c in areas.loc[areas["level"] == "grid", "code"])
    # the imported codes are still checked: SQ-3-1 is there twice
    res = runner.invoke(app, ["validate", "--plan", str(plan_id), "--json"])
    dup = [i for i in _json(res)["issues"] if i["kind"] == "duplicate_code"]
    assert len(dup) == 1 and "external_code 'SQ-3-1'" in dup[0]["message"]
