"""What a planner reads when a command is given a wrong file or too few arguments: Chinese
first, English kept, a fix, exit code 2, and never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geogrid.cli import app

_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("args, english", [
    (["validate", "no-such-file.geojson"], "does not exist"),
    (["import", "no-such-file.geojson", "-d", "wgs84"], "does not exist"),
    (["partition"], "file mode needs BOUNDARY, OBJECTS and --out"),
    (["validate"], "file mode needs"),
])
def test_bad_input_reads_chinese_then_english(args, english):
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())          # the console wraps long lines
    assert english in text and "Traceback" not in text
    error = text[text.index("error:"):text.index("fix:")]
    fix = text[text.index("fix:"):]
    assert _CJK.search(error) and _CJK.search(fix)
    assert _CJK.search(error).start() < error.index(english)   # Chinese comes first
    assert text.index("错误") < text.index("error:") and text.index("修正") < text.index("fix:")


def test_command_list_reads_chinese():
    res = CliRunner().invoke(app, ["--help"])
    assert res.exit_code == 0
    for command in ("demo", "partition", "validate", "simulate", "serve", "purge-personal",
                    "import", "export", "plans", "check"):
        line = next(ln for ln in res.output.splitlines() if f" {command} " in ln)
        assert _CJK.search(line), line


def test_unreadable_file_names_it_once_with_a_fix_for_its_kind(tmp_path):
    bad = tmp_path / "grids.geojson"
    bad.write_text("not json", encoding="utf-8")
    res = CliRunner().invoke(app, ["import", str(bad), "-d", "wgs84"])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "无法读取 grids.geojson: 内容不是可识别的地理数据格式。cannot read grids.geojson" in text
    assert text.count("not recognized") == 1                # GDAL's reason, once
    fix = text[text.index("fix:"):]
    assert "JSON" in fix and ".shx" not in fix and _CJK.search(fix)


@pytest.mark.parametrize("args", [
    ["validate", "--plan", "abc"],
    ["partition", "--grid", "grid-310115005004", "--plan", "abc"],
])
def test_a_plan_that_is_not_an_id_is_named(args, tmp_path, monkeypatch):
    from geogrid.settings import get_settings

    monkeypatch.setenv("GEOGRID_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    get_settings.cache_clear()
    try:
        res = CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "--plan 'abc' is not a plan id" in text and "不是方案编号" in text
    assert "Traceback" not in text and "unexpected" not in text


def test_locate_names_a_missing_points_file_before_indexing_the_areas(tmp_path, monkeypatch):
    """A wrong points path is said at once: the areas (however large) are not indexed first."""
    import geogrid.batch.areas as areas_mod

    built = []
    monkeypatch.setattr(areas_mod, "lookup_from_geoparquet",
                        lambda *a, **k: built.append(a) or None)
    areas = Path(__file__).resolve().parents[1] / "data" / "boundaries" / "lujiazui_grids.geojson"
    res = CliRunner().invoke(app, ["locate", str(tmp_path / "nope.csv"), "-o",
                                   str(tmp_path / "out.parquet"), "-d", "wgs84",
                                   "--areas", str(areas)])
    assert res.exit_code == 2, res.output
    text = "".join(res.output.split())          # the console wraps a long path anywhere
    assert "文件不存在/file" in text and "nope.csv" in text and "doesnotexist" in text
    assert built == [] and not (tmp_path / "out.parquet").exists()


def test_many_rows_failing_one_way_read_as_one_finding(tmp_path):
    """A points layer given as areas: every row fails the same way, reported once with its
    count and first rows, Chinese first, instead of a line per row."""
    import geopandas as gpd
    from shapely.geometry import Point

    pts = gpd.GeoDataFrame({"id": [f"p{i}" for i in range(60)]},
                           geometry=[Point(121.5 + i * 1e-4, 31.2) for i in range(60)],
                           crs="EPSG:4326")
    areas = tmp_path / "areas.geojson"
    pts.to_file(areas)
    csv = tmp_path / "pts.csv"
    csv.write_text("lon,lat\n121.5,31.2\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["locate", str(csv), "-o", str(tmp_path / "out.parquet"),
                                   "-d", "wgs84", "--areas", str(areas), "--areas-datum", "wgs84"])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "须为面（多边形） / is a Point, not a (Multi)Polygon: 60 行 / rows [0, 1, 2" in text
    assert text.count("is a Point") == 1 and "Traceback" not in text
    assert not (tmp_path / "out.parquet").exists()


def _locate_file(tmp_path, text: str, *extra):
    pts = tmp_path / "pts.csv"
    pts.write_text(text, encoding="utf-8")
    grids = Path(__file__).resolve().parents[1] / "data" / "boundaries" / "lujiazui_grids.geojson"
    res = CliRunner().invoke(app, ["locate", str(pts), "-o", str(tmp_path / "out.csv"), "-d",
                                   "wgs84", "--areas", str(grids), "--areas-datum", "wgs84",
                                   *extra])
    return res.exit_code, " ".join(res.output.split())


@pytest.mark.parametrize("text, why", [
    ("lon,lat\n31.23,121.50\n31.235,121.51\n31.24,121.52\n", "look swapped"),
    ("lon,lat\n3460000,350000\n3460100,350100\n", "look projected"),
])
def test_locate_stops_when_most_points_cannot_be_lon_lat(tmp_path, text, why):
    code, out = _locate_file(tmp_path, text)
    assert code == 2, out
    assert "纬度超过 90°" in out and why in out and "--lon-col / --lat-col" in out
    assert not (tmp_path / "out.csv").exists()


def test_locate_of_files_says_the_datum_was_not_checked_and_an_empty_file_is_named(tmp_path):
    code, out = _locate_file(tmp_path, "lon,lat\n121.5,31.23\n200,95\n")
    assert code == 0, out                      # one wild point is only located nowhere
    assert "未做坐标系核对" in out and "the datum was not checked" in out
    assert "--buildings FILE" in out
    code, out = _locate_file(tmp_path, "")
    assert code == 2 and "文件 pts.csv 是空的 / file pts.csv is empty" in out
