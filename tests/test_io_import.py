"""File import: every format, every datum, and a catalogue of bad geometries."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box
from typer.testing import CliRunner

from geogrid._errors import InputError, ValidationError
from geogrid._validate import check_frame, validate_frame
from geogrid.cli import app
from geogrid.crs import STORAGE_CRS
from geogrid.datum import wgs84_to_gcj02
from geogrid.io import read_frame, write_frame

SQUARE = box(121.50, 31.23, 121.51, 31.24)
CATALOGUE = {
    "valid": (SQUARE, None),
    "holes": (Polygon(SQUARE.exterior.coords, [box(121.502, 31.232, 121.504, 31.234).exterior.coords]), None),
    "multipart": (MultiPolygon([box(121.50, 31.23, 121.505, 31.235), box(121.506, 31.236, 121.51, 31.24)]), None),
    "self_intersecting": (Polygon([(121.50, 31.23), (121.51, 31.24), (121.51, 31.23), (121.50, 31.24)]), "invalid geometry: Self-intersection"),
    "empty": (Polygon(), "geometry is empty"),
    "null": (None, "geometry is null"),
    "swapped": (box(31.23, 121.50, 31.24, 121.51), "lon/lat look swapped"),
    "outside_china": (box(2.30, 48.80, 2.40, 48.90), "outside China"),
    "out_of_range": (box(500000, 3450000, 500100, 3450100), "out of lon/lat range"),
    "point_not_polygon": (Point(121.5, 31.23), "expected Polygon or MultiPolygon"),
}


def _frame(names):
    return gpd.GeoDataFrame({"id": list(names), "level": "grid", "name": list(names)},
                            geometry=[CATALOGUE[n][0] for n in names], crs=STORAGE_CRS)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_catalogue_each_case(name):
    _, problems, _ = check_frame(_frame([name]), polygonal=True, level_column="level")
    expected = CATALOGUE[name][1]
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1, problems
        assert expected in problems[0].reason
        assert problems[0].index == name


def test_all_problems_reported_at_once():
    frame = _frame(list(CATALOGUE))
    frame.loc[1, "id"] = "valid"          # duplicate id
    frame.loc[2, "level"] = "district"    # unknown level
    with pytest.raises(ValidationError) as exc:
        validate_frame(frame, "grids.geojson", polygonal=True, level_column="level")
    reasons = [p.reason for p in exc.value.problems]
    assert len(exc.value.problems) == 9
    assert any("duplicate id" in r for r in reasons)
    assert any("unknown level" in r for r in reasons)
    assert exc.value.to_dict()["problems"][0]["field"]


def test_repair_only_when_asked():
    frame = _frame(["self_intersecting", "swapped", "valid"])
    with pytest.raises(ValidationError):
        validate_frame(frame, polygonal=True)
    fixed, repairs = validate_frame(frame, polygonal=True, repair=True)
    assert len(repairs) == 2
    assert fixed.geometry.is_valid.all()
    assert fixed.geometry.iloc[1].equals_exact(SQUARE, 1e-12) or \
        fixed.geometry.iloc[1].symmetric_difference(SQUARE).area < 1e-12
    # repair keeps the area of the bow-tie (two triangles), it does not buffer(0) it away
    assert fixed.geometry.iloc[0].area == pytest.approx(SQUARE.area / 2)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet", ".shp"])
def test_formats_round_trip(tmp_path, suffix):
    frame = _frame(["valid", "holes", "multipart"])
    path = tmp_path / f"areas{suffix}"
    if suffix == ".shp":
        frame.to_file(path)
    else:
        write_frame(frame, path)
    got = read_frame(path, datum="wgs84")
    assert got.crs == STORAGE_CRS and len(got) == 3
    for a, b in zip(frame.geometry, got.geometry):
        assert a.symmetric_difference(b).area < 1e-14


def test_gcj02_input_is_shifted_back(tmp_path):
    frame = _frame(["valid"])
    shifted = frame.copy()
    shifted["geometry"] = shapely.transform(frame.geometry.values,
                                            lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    path = tmp_path / "gcj.geojson"
    write_frame(shifted, path)
    got = read_frame(path, datum="gcj02")
    assert got.geometry.iloc[0].symmetric_difference(SQUARE).area / SQUARE.area < 1e-7
    raw = read_frame(path, datum="wgs84")
    assert raw.geometry.iloc[0].symmetric_difference(SQUARE).area / SQUARE.area > 0.05


def test_csv_with_lonlat_columns_and_bad_rows(tmp_path):
    path = tmp_path / "shops.csv"
    path.write_text("id,name,lng,lat\n1,便利店,121.505,31.235\n2,坏行,,31.2\n", encoding="utf-8")
    got = read_frame(path, datum="bd09")
    assert got.geometry.iloc[0].x < 121.505  # BD-09 → CGCS2000 moves west
    assert got.geometry.iloc[1] is None
    _, problems, _ = check_frame(got)
    assert [p.reason for p in problems] == ["geometry is null"]


def test_csv_without_coordinates_names_the_fix(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,addr\n1,崂山路638弄1号\n", encoding="utf-8")
    with pytest.raises(InputError, match="longitude and latitude"):
        read_frame(path, datum="wgs84")


def test_projected_file_cannot_claim_gcj02(tmp_path):
    frame = _frame(["valid"]).to_crs("EPSG:32651")
    path = tmp_path / "utm.gpkg"
    frame.to_file(path)
    with pytest.raises(InputError, match="only as lon/lat"):
        read_frame(path, datum="gcj02")
    got = read_frame(path, datum="wgs84")
    assert got.geometry.iloc[0].symmetric_difference(SQUARE).area / SQUARE.area < 1e-6


def test_datum_is_required():
    with pytest.raises(InputError, match="datum is required"):
        read_frame("whatever.geojson", datum=None)


def test_cli_import_dry_run_then_commit(tmp_path, monkeypatch):
    from geogrid.settings import get_settings
    from geogrid.store import open_store

    monkeypatch.setenv("GEOGRID_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    get_settings.cache_clear()
    try:
        good = tmp_path / "good.geojson"
        write_frame(_frame(["valid", "holes"]), good)
        runner = CliRunner()
        res = runner.invoke(app, ["import", str(good), "--datum", "wgs84", "--json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["committed"] is False
        assert open_store().counts()["areas"] == 0
        res = runner.invoke(app, ["import", str(good), "-d", "wgs84", "--commit", "--json"])
        assert res.exit_code == 2 and "--street-code" in res.stdout  # no default street
        assert open_store().counts()["areas"] == 0
        res = runner.invoke(app, ["import", str(good), "-d", "wgs84", "--street-code", "310115005",
                                  "--commit", "--json"])
        assert res.exit_code == 0 and json.loads(res.stdout)["committed"] is True
        assert open_store().counts()["areas"] == 2

        bad = tmp_path / "bad.geojson"
        write_frame(_frame(["valid", "self_intersecting"]).assign(id=["a", "b"]), bad)
        res = runner.invoke(app, ["import", str(bad), "-d", "wgs84", "--street-code", "310115005",
                                  "--commit"])
        assert res.exit_code == 2
        assert "Self-intersection" in res.output
        assert open_store().counts()["areas"] == 2  # nothing written
    finally:
        get_settings.cache_clear()


def test_import_limits_features_and_vertices(tmp_path, monkeypatch):
    from geogrid.settings import get_settings

    path = tmp_path / "big.geojson"
    frame = _frame(["valid", "holes", "multipart"])
    write_frame(frame, path)
    monkeypatch.setenv("GEOGRID_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    monkeypatch.setenv("GEOGRID_MAX_IMPORT_FEATURES", "2")
    get_settings.cache_clear()
    try:
        res = CliRunner().invoke(app, ["import", str(path), "-d", "wgs84"])
        assert res.exit_code == 2 and "the limit is 2" in " ".join(res.output.split())
        monkeypatch.setenv("GEOGRID_MAX_IMPORT_FEATURES", "100")
        monkeypatch.setenv("GEOGRID_MAX_VERTICES", "6")
        get_settings.cache_clear()
        res = CliRunner().invoke(app, ["import", str(path), "-d", "wgs84"])
        assert res.exit_code == 2 and "more than 6 vertices" in " ".join(res.output.split())
    finally:
        get_settings.cache_clear()


def test_purge_personal_after_retention(demo_store, tmp_path, monkeypatch):
    from datetime import timedelta

    import sqlalchemy as sa

    from geogrid.store import schema as S
    from geogrid.store.incidents import IncidentService
    from geogrid.store.repo import now

    with demo_store.write() as conn:
        conn.execute(sa.insert(S.incidents).values(
            uid="OLD-1", channel="api", category="noise", status="closed", lon=121.51, lat=31.237,
            input_datum="wgs84", reported_at=now() - timedelta(days=400),
            closed_at=now() - timedelta(days=399), reporter_name="张三", reporter_phone="13800000000",
            geom=sa.func.ST_GeomFromText("POINT(121.51 31.237)", 4490)))
    svc = IncidentService(demo_store)
    assert svc.purge_personal(older_than_days=365) == 1
    row = svc.get("OLD-1")
    assert row["reporter_name"] is None and row["reporter_phone"] is None
    assert svc.purge_personal(older_than_days=365) == 0


def test_zip_bombs_and_escaping_entries_are_refused(tmp_path):
    import zipfile

    from geogrid._errors import LimitExceeded

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.shp", b"\0" * (50 * 1024 * 1024))
    with pytest.raises(LimitExceeded, match="unpack"):
        read_frame(bomb, datum="wgs84")
    escape = tmp_path / "escape.zip"
    with zipfile.ZipFile(escape, "w") as zf:
        zf.writestr("../../etc/x.shp", b"x")
    with pytest.raises(InputError, match="outside the archive"):
        read_frame(escape, datum="wgs84")
    frame = _frame(["valid"])
    shp = tmp_path / "ok" / "areas.shp"
    shp.parent.mkdir()
    frame.to_file(shp)
    good = tmp_path / "ok.zip"
    with zipfile.ZipFile(good, "w") as zf:
        for f in shp.parent.iterdir():
            zf.write(f, f.name)
    assert len(read_frame(good, datum="wgs84")) == 1


def test_plain_parquet_with_lonlat_columns_reads_as_points(tmp_path):
    import pandas as pd

    pd.DataFrame({"名称": ["甲", "乙", "丙"], "lng": [121.50, 121.51, None],
                  "lat": [31.23, 31.24, 31.25]}).to_parquet(tmp_path / "p.parquet")
    got = read_frame(tmp_path / "p.parquet", datum="gcj02")
    assert got.crs.to_epsg() == 4490 and got["名称"].tolist() == ["甲", "乙", "丙"]
    assert got.geometry.iloc[2] is None
    wgs = read_frame(tmp_path / "p.parquet", datum="wgs84")
    shift = wgs.geometry.iloc[0].x - got.geometry.iloc[0].x
    assert 0.003 < shift < 0.006           # GCJ-02 → storage moves the point ~450 m west
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "no.parquet")
    with pytest.raises(InputError, match="longitude and latitude"):
        read_frame(tmp_path / "no.parquet", datum="wgs84")


def _unreadable(tmp_path):
    """Files a planner really hands in by mistake, each with what it is and the Chinese reason."""
    (tmp_path / "empty.geojson").write_bytes(b"")
    (tmp_path / "folder.gpkg").mkdir()
    (tmp_path / "notes.geojson").write_text("网格名单, 不是地图\n", encoding="utf-8")
    (tmp_path / "cut.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": '
                                          '"Feature", "properties": {"name": "崂山', encoding="utf-8")
    (tmp_path / "image.gpkg").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "gbk.csv").write_bytes("名称,lon,lat\n商店,121.5,31.2\n".encode("gbk"))
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    return {
        "empty.geojson": ("文件为空 (0 字节)", "not recognized"),
        "folder.gpkg": ("这是一个目录, 不是文件", "not recognized"),
        "notes.geojson": ("内容不是可识别的地理数据格式", "not recognized"),
        "cut.geojson": ("GeoJSON 内容不是完整的 JSON (可能被截断)", "Failed to read GeoJSON data"),
        "image.gpkg": ("内容不是可识别的地理数据格式", "not recognized"),
        "empty.csv": ("文件为空 (0 字节)", "No columns to parse"),
        "gbk.csv": ("文字不是 UTF-8 编码", "codec can't decode"),
        "broken.parquet": ("不是 Parquet 文件, 或文件已损坏", "Parquet"),
    }


def test_unreadable_files_are_named_with_the_reason_in_chinese_and_the_library_s_kept(tmp_path):
    for name, (zh, english) in _unreadable(tmp_path).items():
        with pytest.raises(InputError) as err:
            read_frame(tmp_path / name, datum="wgs84")
        msg, fix = err.value.message, err.value.fix
        assert msg.startswith(f"无法读取 {name}: {zh}。cannot read {name}: "), msg
        assert english in msg, msg                                     # the library's own words
        assert "It might help to specify the correct driver" not in msg
        assert err.value.field == "path" and err.value.value == str(tmp_path / name)
        assert re.search(r"[\u4e00-\u9fff]", fix) and re.search(r"[A-Za-z]{3}", fix), fix


def test_each_unreadable_file_gets_the_fix_for_its_kind(tmp_path):
    _unreadable(tmp_path)

    def fix(name, **kw):
        with pytest.raises(InputError) as err:
            read_frame(tmp_path / name, datum="wgs84", **kw)
        return err.value.fix

    assert fix("folder.gpkg").startswith("请给出目录里的文件, 而不是目录本身。")
    assert "--encoding GBK" in fix("gbk.csv")
    assert "Parquet" in fix("broken.parquet")
    assert "(a .geojson must be JSON)" in fix("cut.geojson")
    assert fix("missing.geojson") == "检查路径 / Check the path."


def test_a_gbk_csv_reads_with_its_declared_encoding(tmp_path):
    _unreadable(tmp_path)
    frame = read_frame(tmp_path / "gbk.csv", datum="wgs84", encoding="GBK")
    assert frame["名称"].tolist() == ["商店"]
    assert frame.geometry.iloc[0].equals_exact(Point(121.5, 31.2), 1e-9)


def test_listing_the_layers_of_a_file_gdal_cannot_open_names_it(tmp_path):
    from geogrid.io import list_layers

    _unreadable(tmp_path)
    with pytest.raises(InputError) as err:
        list_layers(tmp_path / "image.gpkg")
    assert err.value.message.startswith("无法读取 image.gpkg: 内容不是可识别的地理数据格式。")
    assert "not recognized" in err.value.message


def test_an_output_path_without_extension_is_named(tmp_path):
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[SQUARE], crs=STORAGE_CRS)
    with pytest.raises(InputError) as err:
        write_frame(frame, tmp_path / "out")
    assert err.value.message == "不能写出无扩展名的文件 out。cannot write out: no extension."
    assert not (tmp_path / "out").exists()
