"""File-to-file mode: GeoJSON and GeoPackage in, plan and JSON report out."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest

from geogrid._errors import InputError
from geogrid.partition import partition_files, validate_files

from partition_helpers import synthetic_case


@pytest.fixture(scope="module")
def layers(tmp_path_factory):
    d = tmp_path_factory.mktemp("layers")
    parent, objects, roads = synthetic_case(150, seed=2)
    grids = gpd.GeoDataFrame({"id": ["g1"], "kind": ["residential"], "code": ["310115005003"]},
                             geometry=parent.values, crs="EPSG:4490")
    grids.to_file(d / "grids.geojson")
    objects.to_file(d / "objects.gpkg")
    roads.to_file(d / "roads.geojson")
    return d


def test_geojson_output_and_report(layers, tmp_path):
    out = tmp_path / "plan.geojson"
    rep = partition_files(layers / "grids.geojson", layers / "objects.gpkg", out,
                          roads_path=layers / "roads.geojson", n_microgrids={"g1": 4})
    assert rep["n_microgrids"] == 4
    assert rep["validation"]["g1"]["ok"]
    plan = gpd.read_file(out)
    assert len(plan) == 4 and plan.crs.to_epsg() == 4490
    assert plan["id"].str.fullmatch(r"310115005003\d{3}").all()
    groups = plan["building_groups"].iloc[0]  # written as JSON text; GDAL may parse it back
    assert (json.loads(groups) if isinstance(groups, str) else list(groups))
    for key in ("cells", "assignment", "groups", "report"):
        assert (tmp_path / rep["outputs"][key].split("/")[-1]).exists()
    saved = json.loads((tmp_path / "plan.report.json").read_text(encoding="utf-8"))
    assert saved["parents"]["g1"]["n_microgrids"] == 4
    check = validate_files(layers / "grids.geojson", out, layers / "objects.gpkg")
    assert check["ok"], check


def test_gpkg_output_has_layers(layers, tmp_path):
    out = tmp_path / "plan.gpkg"
    rep = partition_files(layers / "grids.geojson", layers / "objects.gpkg", out,
                          roads_path=layers / "roads.geojson", target_workload=1500)
    import pyogrio
    names = {row[0] for row in pyogrio.list_layers(out)}
    assert {"microgrids", "cells", "objects"} <= names
    objs = gpd.read_file(out, layer="objects")
    assert objs["microgrid_id"].notna().all()
    assert rep["n_microgrids"] == len(gpd.read_file(out, layer="microgrids"))


def test_bad_paths_and_formats(layers, tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        partition_files(layers / "nope.geojson", layers / "objects.gpkg", tmp_path / "p.geojson")
    with pytest.raises(InputError, match="unknown output format"):
        partition_files(layers / "grids.geojson", layers / "objects.gpkg", tmp_path / "p.shp")
