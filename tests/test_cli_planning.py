"""The partition / validate / simulate commands on files and on the store."""

from __future__ import annotations

import json

import geopandas as gpd
from typer.testing import CliRunner

from geogrid.cli import app

D = "data/boundaries/"


def test_partition_files_then_validate(tmp_path):
    out = tmp_path / "plan.gpkg"
    res = CliRunner().invoke(app, ["partition", D + "lujiazui_grids.geojson",
                                   D + "lujiazui_objects.geojson", "-o", str(out),
                                   "--roads", D + "lujiazui_roads.geojson", "--parent-id",
                                   "grid-310115005004", "--target", "300", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout[res.stdout.index("{"):])
    assert report["n_microgrids"] >= 3 and report["validation"]["grid-310115005004"]["ok"]
    mgs = gpd.read_file(out, layer="microgrids")
    grid = gpd.read_file(D + "lujiazui_grids.geojson").set_index("id").loc[["grid-310115005004"]]
    metric = "+proj=tmerc +lat_0=31.24 +lon_0=121.5 +ellps=GRS80 +units=m"

    def to_m(frame):  # densify first: a straight lon/lat edge is not straight in metres
        return frame.set_geometry(frame.geometry.segmentize(1e-5)).to_crs(metric)

    union = to_m(mgs).union_all()
    parent = to_m(grid).geometry.iloc[0]
    assert union.symmetric_difference(parent).area < 1.0  # tiles the grid to within 1 m²
    res = CliRunner().invoke(app, ["validate", D + "lujiazui_grids.geojson", str(out)])
    assert "Plan OK" in res.output


def test_partition_files_says_why_a_target_gave_another_count(tmp_path):
    # 梅园住区: 300 per microgrid rounds to 8, but its compounds allow a balanced plan of 7 only
    res = CliRunner().invoke(app, ["partition", D + "lujiazui_grids.geojson",
                                   D + "lujiazui_objects.geojson", "-o", str(tmp_path / "p.gpkg"),
                                   "--roads", D + "lujiazui_roads.geojson", "--parent-id",
                                   "grid-310115005004", "--target", "300"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "grid-310115005004: 7 个微网格 / 7 microgrids" in text
    assert "取整应划 8 个微网格" in text and "so 7 were drawn" in text


def test_store_partition_validate_and_simulate(tmp_path, monkeypatch, demo_db_path):
    import shutil

    from geogrid.settings import get_settings

    db = tmp_path / "cli.sqlite"
    shutil.copy(demo_db_path, db)
    monkeypatch.setenv("GEOGRID_DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        # a grid with 居民区/商务区 is cut community by community: refused, no draft left
        res = runner.invoke(app, ["partition", "--grid", "grid-310115005004", "--n", "6"])
        assert res.exit_code != 0 and "grid-310115005004-c002" in res.output
        assert "Traceback" not in res.output
        res = runner.invoke(app, ["partition", "--grid", "grid-310115005004-c002", "--n", "6"])
        assert res.exit_code == 0, res.output
        assert "6 microgrids" in res.output
        from geogrid.store import open_store

        drafts = [p["id"] for p in open_store().plans("draft")]
        assert len(drafts) == 1                                # the refused one left none
        res = runner.invoke(app, ["validate", "--plan", str(drafts[0]), "--grid",
                                  "grid-310115005004"])
        assert res.exit_code == 0 and "Plan OK" in res.output
        res = runner.invoke(app, ["simulate", "--day", "2026-11-25", "--n", "40"])
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout[res.stdout.index("{"):])
        assert out["lost"] == 0 and out["duplicated"] == 0 and out["reports"] == 40
    finally:
        get_settings.cache_clear()
