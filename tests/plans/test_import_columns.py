"""A plan file with Chinese column names, or with rows it cannot import: what the planner is
told (Chinese first, with the option or the fix), and what the store holds afterwards."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from typer.testing import CliRunner

from geogrid._errors import InputError
from geogrid.cli import app
from geogrid.hierarchy import ColumnMap, column_aliases
from tests.plans.conftest import CRS

runner = CliRunner()
STREET = shapely.box(121.50, 31.23, 121.52, 31.25)
WEST, EAST = shapely.box(121.50, 31.23, 121.51, 31.25), shapely.box(121.51, 31.23, 121.52, 31.25)


def _write(tmp_path, columns: dict, geoms=(STREET, WEST, EAST), name="plan.geojson"):
    path = tmp_path / name
    gpd.GeoDataFrame(columns, geometry=list(geoms), crs=CRS).to_file(path)
    return path


def _state(store) -> tuple[dict, int]:
    return store.counts(), len(store.audit_entries(limit=10_000))


def _import(path, *extra):
    return runner.invoke(app, ["import", str(path), "-d", "cgcs2000", "--level-column", "层级",
                               "--parent-column", "上级", *extra])


def test_chinese_id_and_name_columns_are_read_and_said(tmp_path, cli_store):
    path = _write(tmp_path, {"编号": ["S", "G1", "G2"], "名字": ["陆家嘴街道", "崂山住区", "梅园住区"],
                             "层级": ["街道", "网格", "网格"], "上级": [None, "S", "S"]})
    res = _import(path, "--json")
    report = json.loads(res.stdout)["report"]
    notes = [i for i in report["issues"] if i["kind"] == "columns"]
    assert {n["message"].split("'")[1] for n in notes} == {"编号", "名字"}
    assert all(n["severity"] == "warning" and n["message"].index("读作") < n["message"].index(
        "is read as") for n in notes)
    assert report["ok"] is True
    res = _import(path, "--street-code", "310115005", "--commit")
    assert res.exit_code == 0, res.output
    store = cli_store()
    areas = store.areas(int(store.plans()[0]["id"]))
    assert dict(zip(areas["id"], areas["name"])) == {"S": "陆家嘴街道", "G1": "崂山住区",
                                                     "G2": "梅园住区"}
    assert dict(zip(areas["id"], areas["parent_id"]))["G2"] == "S"


def test_a_file_without_a_name_column_is_told_how_to_name_it(tmp_path, cli_store):
    path = _write(tmp_path, {"id": ["S", "G1", "G2"], "标签": ["陆家嘴街道", "崂山住区", "梅园住区"],
                             "层级": ["街道", "网格", "网格"], "上级": [None, "S", "S"]})
    res = _import(path, "--json")
    [note] = [i for i in json.loads(res.stdout)["report"]["issues"] if i["kind"] == "columns"]
    msg = note["message"]
    assert "没有名称列" in msg and "no name column" in msg and msg.count("--name-column") == 2
    assert "标签" in msg and note["ids"] == ["plan.geojson"]
    res = _import(path, "--name-column", "标签", "--json")
    assert not [i for i in json.loads(res.stdout)["report"]["issues"] if i["kind"] == "columns"]


def test_an_explicit_column_wins_and_is_not_read_twice():
    frame = gpd.GeoDataFrame({"编码": ["1"], "名称": ["甲"], "编号": ["x"]}, geometry=[STREET],
                             crs=CRS)
    mapped, notes = column_aliases(frame, ColumnMap(id="编码"), source="f")
    assert (mapped.id, mapped.name, mapped.code) == ("编码", "名称", None)
    assert len(notes) == 1 and "'名称'" in notes[0]
    mapped, notes = column_aliases(frame.rename(columns={"名称": "name"}), ColumnMap(), source="f")
    assert (mapped.id, mapped.name, mapped.code) == ("编号", None, "编码") and len(notes) == 2


def test_a_row_without_geometry_gets_its_own_fix_and_nothing_is_written(tmp_path, cli_store):
    runner.invoke(app, ["import", str(_write(tmp_path, {
        "id": ["S"], "name": ["街道"], "层级": ["街道"], "上级": [None]}, geoms=[STREET],
        name="street.geojson")), "-d", "cgcs2000", "--level-column", "层级", "--street-code",
        "310115005", "--commit"])
    before = _state(cli_store())
    assert before[0]["areas"] == 1
    path = _write(tmp_path, {"id": ["G1", "G2"], "name": ["甲", "乙"], "层级": ["网格", "网格"],
                             "上级": ["S", "S"]}, geoms=[WEST, None], name="grids.geojson")
    res = _import(path, "--plan", "1", "--commit")
    text = " ".join(res.output.split())
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "几何为空 geometry is null" in text and "没有几何的行" in text and \
        "Rows without geometry" in text
    assert "lon/lat range" not in text and "EPSG:3857" not in text
    assert _state(cli_store()) == before


def test_projected_coordinates_keep_the_crs_fix(tmp_path, cli_store):
    metres = gpd.GeoDataFrame({"id": ["S"], "层级": ["街道"], "上级": [None]},
                              geometry=[STREET], crs=CRS).to_crs(3857).set_crs(CRS,
                                                                               allow_override=True)
    path = tmp_path / "metres.geojson"
    metres.to_file(path)
    text = " ".join(_import(path).output.split())
    assert "坐标超出经纬度范围" in text and "give the file its CRS" in text
    assert "Rows without geometry" not in text


@pytest.mark.parametrize("call, zh, en", [
    (lambda: __import__("geogrid.security", fromlist=["x"]).parse_role("boss"),
     "角色 'boss' 不存在", "role 'boss' is not known"),
    (lambda: __import__("geogrid.partition.engine", fromlist=["x"]).PartitionOptions.from_kwargs(
        n_microgrids=0), "微网格数须为正整数", "n_microgrids must be a positive integer"),
    (lambda: __import__("geogrid.partition.engine", fromlist=["x"]).PartitionOptions.from_kwargs(
        kind="farm"), "类型须为 residential", "kind must be residential"),
    (lambda: __import__("geogrid.partition.engine", fromlist=["x"]).PartitionOptions.from_kwargs(
        n_microgrids=3, target_workload=100), "只能给一个", "not both"),
    (lambda: __import__("geogrid.basemap.sources", fromlist=["x"]).read_layers("/no/such/dir"),
     "文件或目录不存在", "does not exist"),
])
def test_errors_read_chinese_first_with_english_kept(call, zh, en):
    with pytest.raises(InputError) as err:
        call()
    msg = err.value.message
    assert zh in msg and en in msg and msg.index(zh) < msg.index(en)
    fix = err.value.fix or ""
    assert any("\u4e00" <= c <= "\u9fff" for c in fix) and any(c.isascii() and c.isalpha()
                                                               for c in fix)


def test_objects_without_a_type_column_are_named_in_both_languages():
    from geogrid.partition.inputs import prepare_objects
    from geogrid.workload import WorkloadWeights

    objects = gpd.GeoDataFrame({"id": ["o1"]}, geometry=[shapely.Point(121.505, 31.24)], crs=CRS)
    with pytest.raises(InputError) as err:
        prepare_objects(objects, None, objects.crs, None, weights=WorkloadWeights(), rules=None)
    msg = err.value.message
    assert msg.index("没有 'type' (类型) 列") < msg.index("has no 'type' column")
    assert "加上 type 列" in err.value.fix and "Set type to one of" in err.value.fix
