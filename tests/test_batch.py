"""Batch locate/geocode on plain files, in-process and with dask, against a brute-force answer."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from geogrid.batch import locate_file
from geogrid.cli import app
from geogrid.datum import from_storage, to_storage
from geogrid.locator import PlanLocator

GRIDS = "data/boundaries/lujiazui_grids.geojson"


@pytest.fixture(scope="module")
def points_csv(tmp_path_factory):
    rng = np.random.default_rng(3)
    n = 20_000
    lon, lat = rng.uniform(121.495, 121.52, n), rng.uniform(31.228, 31.248, n)
    glon, glat = from_storage(lon, lat, "gcj02")  # the file is in GCJ-02, as from a WeChat map
    path = tmp_path_factory.mktemp("b") / "pts.csv"
    pd.DataFrame({"id": np.arange(n), "lng": glon, "lat": glat}).to_csv(path, index=False)
    return path, lon, lat


def _truth(lon, lat):
    grids = gpd.read_file(GRIDS)
    tree = shapely.STRtree(grids.geometry.values)
    pts = shapely.points(lon, lat)
    pi, gi = tree.query(pts, predicate="intersects")
    out = np.full(len(lon), None, dtype=object)
    out[pi] = grids["id"].to_numpy()[gi]
    return out


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_locate_file_matches_brute_force(points_csv, tmp_path, engine):
    path, lon, lat = points_csv
    locator = PlanLocator(gpd.read_file(GRIDS))
    out = tmp_path / ("out.parquet" if engine == "dask" else "out.csv")
    stats = locate_file(path, out, locator, datum="gcj02", chunk_rows=3000, engine=engine)
    got = pd.read_parquet(out) if engine == "dask" else pd.read_csv(out)
    got = got.sort_values("id", key=lambda s: s.astype(int)).reset_index(drop=True)
    truth = _truth(lon, lat)
    assert stats["rows"] == len(lon) == len(got)
    assert stats["located"] == int(pd.notna(truth).sum())
    assert (got["grid_id"].fillna("").to_numpy(str) == pd.Series(truth).fillna("").to_numpy(str)).all()


def test_cli_locate_on_files_only(points_csv, tmp_path):
    path, lon, lat = points_csv
    res = CliRunner().invoke(app, ["locate", str(path), "-o", str(tmp_path / "o.csv"), "-d", "gcj02",
                                   "--areas", GRIDS, "--lon-col", "lng"])
    assert res.exit_code == 0, res.output
    stats = json.loads(res.stdout[res.stdout.index("{"):])
    assert stats["rows"] == len(lon) and stats["located"] > 0.8 * len(lon)


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    res = CliRunner().invoke(app, ["locate", str(path), "-o", str(tmp_path / "o.csv"), "-d", "wgs84",
                                   "--areas", GRIDS])
    assert res.exit_code == 2 and "longitude and latitude" in res.output


def _hangzhou_file(tmp_path, names=("街道", "社区", "网格")):
    """街道 → 社区 → 网格 in one file with Chinese level names: 2 社区 of 2 网格 each."""
    boxes = {"S": (121.50, 31.23, 121.52, 31.25), "SQ-1": (121.50, 31.23, 121.51, 31.25),
             "SQ-2": (121.51, 31.23, 121.52, 31.25), "SQ-1-1": (121.50, 31.23, 121.51, 31.24),
             "SQ-1-2": (121.50, 31.24, 121.51, 31.25), "SQ-2-1": (121.51, 31.23, 121.52, 31.24),
             "SQ-2-2": (121.51, 31.24, 121.52, 31.25)}
    levels = {"S": names[0], "SQ-1": names[1], "SQ-2": names[1]}
    frame = gpd.GeoDataFrame({"id": list(boxes), "code": list(boxes),
                              "level": [levels.get(k, names[2]) for k in boxes],
                              "parent_id": [None, "S", "S", "SQ-1", "SQ-1", "SQ-2", "SQ-2"]},
                             geometry=[shapely.box(*b) for b in boxes.values()], crs="EPSG:4490")
    path = tmp_path / "hz.geojson"
    frame.to_file(path)
    pts = tmp_path / "hz.csv"
    pd.DataFrame({"id": [1, 2, 3], "lon": [121.505, 121.515, 121.519],
                  "lat": [31.235, 31.245, 31.231]}).to_csv(pts, index=False)
    return path, pts


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_locate_columns_follow_the_declared_levels(tmp_path, engine):
    areas, pts = _hangzhou_file(tmp_path)
    out = tmp_path / ("o.parquet" if engine == "dask" else "o.csv")
    res = CliRunner().invoke(app, ["locate", str(pts), "-o", str(out), "-d", "cgcs2000",
                                   "--areas", str(areas), "--engine", engine,
                                   "--levels", "街道=street,社区=community,网格=grid"])
    assert res.exit_code == 0, res.output
    got = (pd.read_parquet(out) if engine == "dask" else pd.read_csv(out)).sort_values("id")
    assert [c for c in got.columns if c.endswith(("_id", "_code"))] == [
        "grid_id", "grid_code", "community_id"]
    assert got["grid_id"].tolist() == ["SQ-1-1", "SQ-2-2", "SQ-2-1"]
    assert got["community_id"].tolist() == ["SQ-1", "SQ-2", "SQ-2"]


def test_locate_off_a_terminal_ends_with_one_plain_progress_line(tmp_path):
    areas, pts = _hangzhou_file(tmp_path)
    res = CliRunner().invoke(app, ["locate", str(pts), "-o", str(tmp_path / "o.csv"), "-d",
                                   "cgcs2000", "--areas", str(areas),
                                   "--levels", "街道=street,社区=community,网格=grid"])
    assert res.exit_code == 0, res.output
    lines = [line for line in res.stderr.splitlines() if "locating" in line]
    assert len(lines) == 1 and re.fullmatch(r"定位 / locating hz\.csv: 3/3 \(\d+\.\d s\)",
                                            lines[0]), res.stderr
    assert "━" not in res.output                  # no bar drawn into a log
    assert json.loads(res.stdout)["rows"] == 3


def test_locate_columns_of_the_default_levels_stay(tmp_path):
    areas, pts = _hangzhou_file(tmp_path, names=("street", "grid", "microgrid"))
    res = CliRunner().invoke(app, ["locate", str(pts), "-o", str(tmp_path / "o.csv"), "-d",
                                   "cgcs2000", "--areas", str(areas)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(tmp_path / "o.csv").sort_values("id")
    assert list(got.columns)[3:] == ["microgrid_id", "microgrid_code", "grid_id", "snapped",
                                     "distance_m"]
    assert got["grid_id"].tolist() == ["SQ-1", "SQ-2", "SQ-2"]


def test_cli_locate_into_the_active_plan_matches_the_plan_locator(points_csv, tmp_path,
                                                                   demo_cli):
    """The store path answers what the server's locator does: leaf, code and grid per point."""
    path, lon, lat = points_csv
    out = tmp_path / "o.parquet"
    res = CliRunner().invoke(app, ["locate", str(path), "-o", str(out), "-d", "gcj02",
                                   "--lon-col", "lng"])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    got = got.sort_values("id", key=lambda s: s.astype(int)).reset_index(drop=True)
    areas = demo_cli.areas(int(demo_cli.active_plan()["id"]))
    x, y = to_storage(*from_storage(lon, lat, "gcj02"), "gcj02")     # what the command reads
    want = PlanLocator(areas).locate_many(x, y, distances=False)
    leaf = want.columns[0]
    assert got[leaf].notna().mean() > 0.5 and got["grid_id"].notna().any()
    for col in (leaf, want.columns[1], "grid_id"):
        assert (got[col].fillna("-").to_numpy(str) == want[col].fillna("-").to_numpy(str)).all()
