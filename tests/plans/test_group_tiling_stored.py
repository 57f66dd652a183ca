"""The stored 楼组 of a plan tile their microgrids, as loaded, after a repartition of a
community, after an edit and after its undo; an imported plan whose 楼组 overlap is told
so by the import's check, in Chinese and English, with both ids, the area and the fix.

Measured by :func:`tests.plans.group_tiling.group_problems` (UTM 51N, 1 m²) on the demo
street, built from OpenStreetMap data (© OpenStreetMap contributors, ODbL 1.0).
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from geogrid.services.demo import load_demo
from geogrid.services.planning import PlanningService
from tests.plans.group_tiling import group_problems


def _problems(store, plan_id: int, under: set | None = None) -> list[str]:
    areas = store.areas(plan_id)
    mgs = areas[areas["level"] == "microgrid"]
    groups = areas[areas["level"] == "building_group"]
    if under is not None:
        mgs = mgs[mgs["parent_id"].isin(under)]
        groups = groups[groups["parent_id"].isin(set(mgs["id"]))]
    return group_problems(mgs, groups, store.objects(types=["building"]))


def _largest_residential(store, plan_id: int) -> str:
    areas = store.areas(plan_id)
    res = areas[(areas["level"] == "community") & (areas["kind"] == "residential")]
    counts = areas[areas["level"] == "microgrid"]["parent_id"].value_counts()
    return max(res["id"], key=lambda c: (counts.get(c, 0), c))


def test_the_demo_groups_tile_their_microgrids(demo_store):
    plan_id = int(demo_store.active_plan()["id"])
    assert not _problems(demo_store, plan_id)
    groups = demo_store.areas(plan_id, level="building_group")
    assert len(groups) > 100                        # the demo has 楼组 to measure


def test_a_repartition_an_edit_and_its_undo_keep_the_groups_tiling(demo_store_any):
    demo_store = demo_store_any
    svc = PlanningService(demo_store)
    plan_id = demo_store.copy_plan(load_demo(demo_store), name="re", actor="t")
    community = _largest_residential(demo_store, plan_id)
    svc.partition_grid(plan_id, community, actor="t", n_microgrids=2)
    areas = demo_store.areas(plan_id)
    mgs = areas[(areas["level"] == "microgrid") & (areas["parent_id"] == community)]
    groups = areas[(areas["level"] == "building_group") & areas["parent_id"].isin(mgs["id"])]
    assert len(mgs) == 2 and len(groups) > len(mgs)  # several 楼组 per microgrid now
    assert not _problems(demo_store, plan_id, {community})
    found = [i for g in svc.validate(plan_id)["grids"] for i in g["issues"]
             if set(map(str, i["ids"])) & set(groups["id"])]
    assert not found, found                          # the validator agrees: nothing to report
    a, b = sorted(mgs["id"])
    svc.edit(plan_id, "merge", actor="t", a=a, b=b)
    assert not _problems(demo_store, plan_id, {community})
    merged = demo_store.areas(plan_id, level="building_group")
    assert set(merged["parent_id"]) & set(mgs["id"]) == {a}
    svc.undo(plan_id, actor="t")
    assert not _problems(demo_store, plan_id, {community})
    assert not _problems(demo_store, plan_id)        # the rest of the plan untouched


D = 0.001   # about 100 m


def _box(x0, y0, x1, y1):
    return shapely.box(121.5 + x0 * D, 31.23 + y0 * D, 121.5 + x1 * D, 31.23 + y1 * D)


def test_an_imported_plan_with_overlapping_groups_is_told_in_both_languages(tmp_path):
    """The import's dry run (what a planner runs first) names both 楼组, the shared area,
    where it is and the fix, Chinese first; 楼组 that tile their microgrid pass."""
    from typer.testing import CliRunner

    from geogrid.cli import app

    a, b = _box(0, 0, 0.6, 1), _box(0.4, 0, 1, 1)
    rows = [("S", "street", None, _box(0, 0, 2, 1)), ("G", "grid", "S", _box(0, 0, 2, 1)),
            ("C", "community", "G", _box(0, 0, 2, 1)), ("W", "microgrid", "C", _box(0, 0, 1, 1)),
            ("E", "microgrid", "C", _box(1, 0, 2, 1)), ("A", "building_group", "W", a),
            ("B", "building_group", "W", b), ("X", "building_group", "E", _box(1, 0, 2, 1))]
    path = tmp_path / "plan.geojson"
    gpd.GeoDataFrame({"id": [r[0] for r in rows], "level": [r[1] for r in rows],
                      "parent_id": [r[2] for r in rows], "name": [r[0] for r in rows]},
                     geometry=[r[3] for r in rows], crs=4490).to_file(path)
    res = CliRunner().invoke(app, ["import", str(path), "-d", "cgcs2000", "--parent-column",
                                   "parent_id", "--json"])
    assert "Traceback" not in res.output
    issues = json.loads(res.stdout[res.stdout.index("{"):])["report"]["issues"]
    [over] = [i for i in issues if i["kind"] == "group_overlap"]
    assert set(over["ids"]) == {"A", "B"} and over["severity"] == "warning"
    m2 = float(gpd.GeoSeries([a.intersection(b)], crs=4490).to_crs(32651).area.iloc[0])
    assert over["value"] == pytest.approx(m2, rel=0.01)
    msg = over["message"]
    assert msg.startswith("微网格 W:") and msg.index("重叠") < msg.index("overlap by")
    assert "楼组 A 与 B 重叠" in msg and "building groups A and B overlap by" in msg
    assert "修改二者的共同边界" in msg and "redraw their shared boundary" in msg
    assert over["location"][0] == pytest.approx(121.5 + 0.5 * D, abs=0.2 * D)
    # the same 楼组 cut along one line tile W: nothing to report
    rows[5:7] = [("A", "building_group", "W", _box(0, 0, 0.5, 1)),
                 ("B", "building_group", "W", _box(0.5, 0, 1, 1))]
    gpd.GeoDataFrame({"id": [r[0] for r in rows], "level": [r[1] for r in rows],
                      "parent_id": [r[2] for r in rows], "name": [r[0] for r in rows]},
                     geometry=[r[3] for r in rows], crs=4490).to_file(path)
    res = CliRunner().invoke(app, ["import", str(path), "-d", "cgcs2000", "--parent-column",
                                   "parent_id", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout[res.stdout.index("{"):])["report"]["issues"] == []
