"""Batch locate/geocode on plain files, in-process and with dask, against a brute-force answer."""

from __future__ import annotations

import json

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


def test_cli_locate_into_the_active_plan_matches_the_plan_locator(points_csv, tmp_path,
                                                                   cli_store):
    """The store path answers what the server's locator does: leaf, code and grid per point."""
    path, lon, lat = points_csv
    out = tmp_path / "o.parquet"
    res = CliRunner().invoke(app, ["locate", str(path), "-o", str(out), "-d", "gcj02",
                                   "--lon-col", "lng"])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    got = got.sort_values("id", key=lambda s: s.astype(int)).reset_index(drop=True)
    areas = cli_store.areas(int(cli_store.active_plan()["id"]))
    x, y = to_storage(*from_storage(lon, lat, "gcj02"), "gcj02")     # what the command reads
    want = PlanLocator(areas).locate_many(x, y, distances=False)
    leaf = want.columns[0]
    assert got[leaf].notna().mean() > 0.5 and got["grid_id"].notna().any()
    for col in (leaf, want.columns[1], "grid_id"):
        assert (got[col].fillna("-").to_numpy(str) == want[col].fillna("-").to_numpy(str)).all()
