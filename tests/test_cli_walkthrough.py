"""A new user's mistakes with real files: each is named (file or option, value, fix) in
Chinese first with English kept, the exit code is not 0, no traceback is printed, and a
refused write leaves every table of the store exactly as it was."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geogrid.cli import app

ROOT = Path(__file__).resolve().parents[1]
OSM = ROOT / "data" / "osm" / "lujiazui"              # © OpenStreetMap contributors, ODbL 1.0
_CJK = re.compile(r"[\u4e00-\u9fff]")
#: file names, options and quoted values, which may stand before the Chinese
_NAMES = re.compile(r"\S+\.[A-Za-z]{2,8}\b|--[\w-]+|'[^']*'|geogrid(?: [a-z][\w-]*)*")


def _dump(store) -> dict[str, str]:
    """Every table of the store's file: a digest of its rows in order."""
    db = sqlite3.connect(store.engine.url.database)
    out = {}
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        try:
            rows = db.execute(f'SELECT * FROM "{name}"').fetchall()
        except sqlite3.Error:      # SpatiaLite's virtual tables
            continue
        out[name] = hashlib.sha1(repr(rows).encode()).hexdigest()
    db.close()
    return out


def _run(args) -> tuple[int, str]:
    res = CliRunner().invoke(app, [str(a) for a in args])
    text = " ".join(res.output.split())
    assert "Traceback" not in text and "unexpected error" not in text, text
    return res.exit_code, text


def _refused(store, args, *parts, code=2) -> str:
    before = _dump(store)
    exit_code, text = _run(args)
    assert exit_code == code, text
    assert _dump(store) == before, "a refused command changed the store"
    for part in parts:
        assert part in text, (part, text)
    if "错误 error:" in text:
        error = _NAMES.sub("", text[text.index("错误 error:") + 10:])
        assert _CJK.search(error).start() < re.search(r"[A-Za-z]{3}", error).start(), error
    return text


def test_objects_csv_with_words_for_coordinates(demo_cli, tmp_path):
    csv = tmp_path / "shops.csv"
    csv.write_text("name,lon,lat\n便利店,abc,31.2370\n理发店,121.5120,北纬31度\n",
                   encoding="utf-8")
    text = _refused(demo_cli, ["import", csv, "-d", "wgs84", "--as", "objects", "--commit"],
                    "shops.csv 有 3 处问题, 未写入任何数据。", "nothing was written",
                    "经纬度不是数字或为空", "(got ['abc', '31.2370'])",
                    "(got ['121.5120', '北纬31度'])", "--id-column", "decimal degrees")
    assert "缺少此列 / column 'id' is missing" in text


def test_osm_roads_without_an_id_column(demo_cli, tmp_path):
    import geopandas as gpd

    roads = tmp_path / "roads.geojson"
    gpd.read_file(OSM / "roads.geojson").drop(columns="id").to_file(roads)
    text = _refused(demo_cli, ["import", roads, "-d", "wgs84", "--as", "roads", "--commit",
                                "--source", "OSM", "--licence", "ODbL"],
                    "roads.geojson 有 1 处问题", "用 --id-column 指明", "'kind_detail'")
    assert "repair=True" not in text


@pytest.mark.parametrize("name, content, reason", [
    ("empty.geojson", b"", "文件为空 (0 字节)"),
    ("notes.geojson", "居民名单\n".encode(), "内容不是可识别的地理数据格式"),
])
def test_import_of_a_file_that_is_not_geodata(demo_cli, tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    _refused(demo_cli, ["import", path, "-d", "wgs84", "--commit", "--new-plan", "x",
                         "--street-code", "310115005"],
             f"无法读取 {name}: {reason}。cannot read {name}", "not recognized", "修正 fix:")


def test_import_of_a_directory(demo_cli, tmp_path):
    _refused(demo_cli, ["import", tmp_path, "-d", "wgs84", "--commit"],
             "不支持", "is not supported")
    folder = tmp_path / "grids.gpkg"
    folder.mkdir()
    _refused(demo_cli, ["import", folder, "-d", "wgs84", "--commit"],
             "无法读取 grids.gpkg: 这是一个目录, 不是文件", "Pass a file inside it")


def test_addresses_with_a_word_for_the_source_date(demo_cli, tmp_path):
    csv = tmp_path / "addr.csv"
    csv.write_text("address,lon,lat\n崂山路638弄1号,121.5120,31.2370\n", encoding="utf-8")
    base = ["import", csv, "--as", "addresses", "-d", "wgs84", "--source", "街道标准地址库",
            "--licence", "内部", "--commit"]
    _refused(demo_cli, [*base, "--source-date", "去年"], "--source-date '去年' 不是日期",
             "is not a date", "2026-11-01")
    _refused(demo_cli, base, "缺少 --source-date", "is required", "--source-date '2026-11-01'")
    _refused(demo_cli, [*base, "--source-date", "2026-11-01", "--address-col", "地址"],
             "addr.csv 中没有列 '地址' (--address-col)", "Pass --address-col with one of")


def test_partition_of_an_unknown_grid_makes_no_draft(demo_cli):
    _refused(demo_cli, ["partition", "--grid", "grid-nope"],
             "区域 'grid-nope' 不在方案 1 中", "geogrid export grids.csv --plan 1 --level grid")


def test_partition_options_are_checked_before_any_work(demo_cli):
    _refused(demo_cli, ["partition", "--grid", "grid-310115005004", "--target", "-5"],
             "--target 须为正数", "must be positive", "--target 300")
    _refused(demo_cli, ["partition", "--grid", "grid-310115005004", "--n", "3", "--target", "9"],
             "只能给一个", "not both")


def test_a_refused_partition_of_the_active_plan_leaves_no_trace(demo_cli):
    """The grid holds 居民区/商务区, so the engine refuses it after the checks: no draft
    copy and no create/delete pair in the audit log (the digest covers every table)."""
    text = _refused(demo_cli, ["partition", "--grid", "grid-310115005004", "--n", "6"],
                    "grid-310115005004-c002")
    assert "草稿方案" not in text


def test_a_partition_of_the_active_plan_writes_its_draft_once(demo_cli):
    plans = {p["id"] for p in demo_cli.plans()}
    code, text = _run(["partition", "--grid", "grid-310115005004-c002", "--n", "6"])
    assert code == 0 and "6 microgrids" in text, text
    (draft,) = [p for p in demo_cli.plans("draft") if p["id"] not in plans]
    assert f"草稿方案 {draft['id']} 复制自方案 1" in text
    assert len(demo_cli.areas(draft["id"], parent="grid-310115005004-c002")) == 6


def test_unknown_plan_points_at_the_command_that_lists_plans(demo_cli, tmp_path):
    for args in (["export", tmp_path / "x.gpkg", "--plan", "99"], ["validate", "--plan", "99"],
                 ["activate", "99"]):
        _refused(demo_cli, args, "方案 99 不存在", "plan 99 does not exist",
                 "用 geogrid plans 查看方案编号")
    assert not (tmp_path / "x.gpkg").exists()


def test_export_to_a_path_without_extension(demo_cli, tmp_path):
    _refused(demo_cli, ["export", tmp_path / "plan"], "不能写出无扩展名的文件 plan",
             "no extension", ".gpkg")


def test_users_with_an_unknown_role_or_token(demo_cli):
    _refused(demo_cli, ["users", "add", "bob", "--role", "boss"], "--role 的值 'boss' 无效",
             "is not one of", "admin, planner, dispatcher, responder, public")
    _refused(demo_cli, ["users", "revoke", "999"], "令牌 999 不存在",
             "geogrid users tokens")


def test_incidents_csv_that_cannot_be_read(demo_cli, tmp_path):
    gbk = tmp_path / "12345.csv"
    gbk.write_bytes("category,lon,lat\n暴露垃圾,121.512,31.237\n".encode("gbk"))
    _refused(demo_cli, ["incidents", "import", gbk, "-d", "wgs84"],
             "无法读取 12345.csv: 文字不是 UTF-8 编码", "--encoding GBK")
    before = _dump(demo_cli)
    code, text = _run(["incidents", "import", gbk, "-d", "wgs84", "--encoding", "GBK"])
    assert code == 0 and '"created": 1' in text and _dump(demo_cli) != before


def test_incident_rows_with_words_for_numbers_are_named(demo_cli, tmp_path):
    csv = tmp_path / "hotline.csv"
    csv.write_text("id,category,lon,lat,reported_at\nB1,积水,东经121度,31.237,\n"
                   "B2,积水,121.512,31.237,昨天\n", encoding="utf-8")
    text = _refused(demo_cli, ["incidents", "import", csv, "-d", "wgs84", "--key-column", "id"],
                    "lon 列的值 '东经121度' 不是数字", "reported_at 的值 '昨天' 不是时间",
                    "2 行未导入", "2 row(s) not taken in", code=1)
    assert '"row": 2' in text and '"row": 3' in text and "Write decimal degrees" in text


def test_activate_a_draft_then_refuse_it_again(demo_cli):
    plan = demo_cli.copy_plan(1, actor="test")
    code, text = _run(["activate", plan])
    assert code == 0 and f"方案 {plan} 已启用" in text
    assert demo_cli.active_plan()["id"] == plan and demo_cli.plan(1)["status"] == "retired"
    _refused(demo_cli, ["activate", plan], f"方案 {plan} 状态为 active, 只有草稿可以启用",
             "only a draft can be activated")


def test_validate_of_a_plan_with_nothing_to_check_says_so(demo_cli):
    import geopandas as gpd
    from shapely.geometry import box

    grid = gpd.GeoDataFrame({"id": ["g1"], "level": ["grid"], "name": ["网格"]},
                            geometry=[box(121.50, 31.23, 121.51, 31.24)], crs="EPSG:4490")
    with demo_cli.write() as conn:
        plan = demo_cli.create_plan(conn, name="空方案", street_code="310115005")
        demo_cli.add_areas(conn, plan, grid)
    code, text = _run(["validate", "--plan", plan])
    assert code == 0 and f"方案 {plan} 还没有划分了微网格的网格" in text and "partition" in text


def test_every_problem_with_the_address_options_is_listed_at_once(demo_cli, tmp_path):
    csv = tmp_path / "addr.csv"
    csv.write_text("address,lon,lat\n崂山路638弄1号,121.5120,31.2370\n", encoding="utf-8")
    text = _refused(demo_cli, ["import", csv, "--as", "addresses", "-d", "wgs84", "--source",
                                "s", "--source-date", "d", "--licence", "l", "--address-col",
                                "addr", "--commit"],
                    "选项有 2 处问题, 未写入任何数据", "--source-date 'd' 不是日期",
                    "没有列 'addr' (--address-col)")
    assert "2026-11-01" in text and "Pass --address-col with one of ['address']" in text
