"""A catalogue of real-world-broken files through every command: a clean bilingual
message naming the problem, an exit code other than 0, never a traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from typer.testing import CliRunner

from geogrid.cli import app
from tests.plans.conftest import CRS, HZ_ARGS, WRITE, hangzhou_layers

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def files(tmp_path):
    """Each broken file of the catalogue, by name."""
    layers = hangzhou_layers()
    grids = layers["网格"]
    out = {}
    # GBK-encoded shapefile without a .cpg, as Chinese desktop GIS writes them
    gbk = tmp_path / "gbk" / "grids.shp"
    gbk.parent.mkdir()
    grids.iloc[2:].to_file(gbk, encoding="GBK")
    gbk.with_suffix(".cpg").unlink(missing_ok=True)
    out["gbk"] = gbk
    # Web Mercator metres in a file that says lon/lat
    metres = grids.to_crs("EPSG:3857").set_crs(CRS, allow_override=True)
    out["3857"] = tmp_path / "metres.geojson"
    metres.to_file(out["3857"])
    # a level nobody declared
    unknown = grids.assign(层级=["网格", "网格", "片区", "网格"])
    out["unknown_level"] = tmp_path / "levels.geojson"
    unknown.to_file(out["unknown_level"])
    # a boundary that GEOS cannot overlay (its ring crosses itself)
    out["non_noded"] = tmp_path / "street.geojson"
    crossing = shapely.Polygon([(120.10, 30.25), (120.11, 30.28), (120.11, 30.25), (120.10, 30.28)])
    gpd.GeoDataFrame({"id": ["S"], "name": ["留下街道"]}, geometry=[crossing], crs=CRS).to_file(
        out["non_noded"])
    out["grids"] = tmp_path / "grids.geojson"
    gpd.GeoDataFrame({"id": ["a", "b"], "parent_id": ["S", "S"]},
                     geometry=[shapely.box(120.100, 30.25, 120.105, 30.28),
                               shapely.box(120.105, 30.25, 120.110, 30.28)], crs=CRS).to_file(
        out["grids"])
    out["objects"] = tmp_path / "objects.geojson"
    gpd.GeoDataFrame({"id": ["o1"], "type": ["building"], "households": [10]},
                     geometry=[shapely.Point(120.102, 30.26)], crs=CRS).to_file(out["objects"])
    out["plan"] = tmp_path / "liuxia.gpkg"
    for name, frame in layers.items():
        frame.to_file(out["plan"], layer=name, driver="GPKG")
    return out


def _cases(f, tmp):
    g = ["-d", "cgcs2000"]
    return {
        # import
        "import missing column": (["import", f["plan"], *HZ_ARGS, "--name-column", "名字"],
                                  "名字"),
        "import unknown level": (["import", f["unknown_level"], *g, "--levels",
                                  "街道=street,社区=community,网格=grid", "--level-column", "层级",
                                  "--code-column", "编码", "--street-code", "330106001",
                                  "--commit"], "unknown_level"),
        "import 3857 as lon/lat": (["import", f["3857"], *g, "--level", "grid"],
                                   "out of lon/lat range"),
        "import 6-digit street code": (["import", f["plan"], *HZ_ARGS, "--street-code", "330106",
                                        "--repair", "--with-problems", "--commit"], "9 digits"),
        "import wrong encoding": (["import", f["gbk"], *g, "--level", "grid", "--encoding",
                                   "UTF-8"], "--encoding GBK"),
        "import non-noded": (["import", f["non_noded"], *g, "--level", "street",
                              "--street-code", "330106001", "--commit"], "Self-intersection"),
        # check
        "check 3857 as lon/lat": (["check", f["3857"], *g], "out of lon/lat range"),
        "check unknown level": (["check", f["unknown_level"], *g, "--levels",
                                 "街道=street,社区=community,网格=grid", "--level-column", "层级"],
                                "unknown_level"),
        "check missing column": (["check", f["plan"], *HZ_ARGS, "--parent-column", "上级"],
                                 "上级"),
        "check non-noded": (["check", f["non_noded"], *g, "--polygonal"], "Self-intersection"),
        # validate (files)
        "validate non-noded": (["validate", f["non_noded"], f["grids"]],
                               "parent: Self-intersection"),
        "validate unknown level": (["validate", f["unknown_level"], *g, "--levels",
                                    "街道=street,社区=community,网格=grid", "--level-column",
                                    "层级"], "unknown_level"),
        "validate 3857": (["validate", f["3857"], f["grids"], "--level-column", "x"],
                          "out of lon/lat range"),
        # export
        "export bad plan": (["export", tmp / "out.geojson", "--plan", "abc"], "plan id"),
        "export missing plan": (["export", tmp / "out.geojson", "--plan", "999"], "999"),
        "export bad suffix": (["export", tmp / "out.txt", "--plan", "1"], ".txt"),
        # partition (files)
        "partition missing id column": (["partition", f["gbk"], f["objects"], "-o",
                                         tmp / "p.gpkg", "--id-column", "编号"], "编号"),
        "partition non-noded": (["partition", f["non_noded"], f["objects"], "-o",
                                 tmp / "q.gpkg", "--n", "2"], "error"),
    }


CASES = list(_cases({k: None for k in ("plan", "unknown_level", "3857", "gbk", "non_noded",
                                       "grids", "objects")}, Path(".")))


@pytest.mark.parametrize("case", CASES)
def test_broken_file_gets_a_clean_error(case, files, cli_store, tmp_path):
    runner.invoke(app, ["import", str(files["plan"]), *HZ_ARGS, *WRITE])  # plan 1 exists
    before = cli_store().counts()["areas"]
    argv, expected = _cases(files, tmp_path)[case]
    res = runner.invoke(app, [str(a) for a in argv])
    text = _flat(res.output)
    assert res.exit_code != 0, text
    assert "Traceback" not in res.output and res.exception is None or \
        isinstance(res.exception, SystemExit), text
    assert expected in text, text
    assert cli_store().counts()["areas"] == before


def test_reimporting_the_same_ids_is_a_conflict_not_an_integrity_error(files, cli_store):
    first = runner.invoke(app, ["import", str(files["plan"]), *HZ_ARGS, *WRITE, "--json"])
    assert first.exit_code == 0, first.output
    n = cli_store().counts()["areas"]
    again = runner.invoke(app, ["import", str(files["plan"]), *HZ_ARGS, "--plan", "1", "--repair",
                                "--with-problems", "--commit"])
    text = _flat(again.output)
    assert again.exit_code == 2 and "Traceback" not in again.output and "IntegrityError" not in text
    assert "duplicate_id" in text and cli_store().counts()["areas"] == n


def test_gbk_shapefile_is_read_detected_or_declared(files, cli_store):
    import json

    for extra in ([], ["--encoding", "GBK"]):
        res = runner.invoke(app, ["check", str(files["gbk"]), "-d", "cgcs2000", "--level", "grid",
                                  "--name-column", "名称", "--code-column", "编码", *extra])
        body = json.loads(res.stdout)
        assert body["per_level"]["grid"] == 2 and body["counts"]["duplicate_code"] == 1, body
    from geogrid.io import read_frame

    assert list(read_frame(files["gbk"], datum="cgcs2000")["名称"]) == ["三网格", "四网格"]
