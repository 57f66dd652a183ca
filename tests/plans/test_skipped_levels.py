"""A plan that skips a level is checked like any other: its children tile their nearest
present ancestor, and the skipped level is named (a warning: Lujiazui's grids hold their
microgrids directly, with no 居民区 between).

The real case is the demo street built from OpenStreetMap (© OpenStreetMap contributors,
ODbL 1.0): its partitioned microgrids hung straight under their grids, one of them grown
285 m into its neighbour.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from geogrid.cli import app
from geogrid.crs import metric_crs
from geogrid.hierarchy import check_plan, link_parents
from geogrid.model import DEFAULT_LEVELS
from tests.plans.conftest import CRS

runner = CliRunner()
M = "EPSG:32651"  # UTM 51N, metres, for building the fixtures
GROW_M = 285.0
X0, Y0 = 357_000, 3_455_000  # by Lujiazui
X2, X25, X3 = X0 + 2000, X0 + 2500, X0 + 3000
Y1, Y05 = Y0 + 1100, Y0 + 500


def _frame(rows, crs=M) -> gpd.GeoDataFrame:
    """Areas drawn in metres; edges densified to 10 m first, so that edges shared in metres
    stay shared in lon/lat."""
    ids, levels, parents, geoms = zip(*rows)
    geoms = shapely.segmentize(list(geoms), 10.0)
    return gpd.GeoDataFrame({"id": ids, "level": levels, "name": ids, "code": [None] * len(ids),
                             "parent_id": parents}, geometry=list(geoms), crs=crs).to_crs(CRS)


def _street_grid_microgrids(*, community: bool, west_east=(1000.0, 1000.0)):
    """A 2 km × 1.1 km street of one grid; two microgrids split at x = 1000 m, the west one
    reaching ``west_east[0]`` and the east one starting at ``west_east[1]``."""
    box = shapely.box(X0, Y0, X2, Y1)
    west = shapely.box(X0, Y0, X0 + west_east[0], Y1)
    east = shapely.box(X0 + west_east[1], Y0, X2, Y1)
    mid = "C" if community else "G"
    rows = [("S", "street", None, box), ("G", "grid", "S", box)]
    if community:
        rows.append(("C", "community", "G", box))
    rows += [("M1", "microgrid", mid, west), ("M2", "microgrid", mid, east)]
    return _frame(rows)


@pytest.mark.parametrize("community", [True, False])
def test_the_overlap_is_found_with_or_without_the_level_between(community):
    areas = _street_grid_microgrids(community=community, west_east=(1000 + GROW_M, 1000.0))
    report = check_plan(areas, DEFAULT_LEVELS)
    assert not report.ok
    [overlap] = report.of_kind("overlap")
    assert set(overlap.ids) == {"M1", "M2"}
    assert overlap.value == pytest.approx(GROW_M * 1100, rel=0.01)
    msg = overlap.message
    # Chinese first, then English: ids, area, size and the fix in both
    assert msg.index("重叠") < msg.index("overlap") and msg.index("修改") < msg.index("redraw")
    assert "M1" in msg and "M2" in msg and f"{overlap.value:.1f} m²" in msg
    assert "285 m × 1100 m" in msg
    skipped = report.of_kind("skipped_level")
    if community:
        assert not skipped
    else:
        [warn] = skipped
        assert warn.severity == "warning" and warn.ids == ("G",) and warn.value == 2
        assert "跳过了居民区/商务区层" in warn.message and "skipping the community level" in \
            warn.message


def test_a_sound_plan_without_the_level_between_passes_with_a_notice():
    report = check_plan(_street_grid_microgrids(community=False), DEFAULT_LEVELS)
    assert report.ok, report.to_text()
    assert report.counts_nonzero() == {"skipped_level": 1}
    assert report.to_text().startswith("方案通过: 0 个错误, 1 个警告。Plan OK")


def test_gaps_orphans_and_missing_children_hold_across_a_skipped_level():
    # M2 starts 100 m east of M1's edge: a gap in G; M3 names a parent that is not there;
    # grid H has no microgrids although the plan has them
    areas = _frame([("S", "street", None, shapely.box(X0, Y0, X3, Y1)),
                    ("G", "grid", "S", shapely.box(X0, Y0, X2, Y1)),
                    ("H", "grid", "S", shapely.box(X2, Y0, X3, Y1)),
                    ("M1", "microgrid", "G", shapely.box(X0, Y0, X0 + 1000, Y1)),
                    ("M2", "microgrid", "G", shapely.box(X0 + 1100, Y0, X2, Y1)),
                    ("M3", "microgrid", "G9", shapely.box(X2, Y0, X25, Y05))])
    report = check_plan(areas, DEFAULT_LEVELS)
    [gap] = report.of_kind("gap")
    assert gap.ids[0] == "G" and set(gap.ids[1:]) == {"M1", "M2"}
    assert gap.value == pytest.approx(100 * 1100, rel=0.01)
    assert [i.ids for i in report.of_kind("orphan")] == [("M3",)]
    assert "找不到上级网格 'G9'" in report.of_kind("orphan")[0].message
    assert [i.ids for i in report.of_kind("missing_children")] == [("H",)]


def test_a_microgrid_under_a_microgrid_is_a_wrong_parent():
    areas = _street_grid_microgrids(community=False)
    areas.loc[areas["id"] == "M2", "parent_id"] = "M1"
    report = check_plan(areas, DEFAULT_LEVELS)
    assert [i.ids for i in report.of_kind("wrong_parent_level")] == [("M2", "M1")]


@pytest.mark.parametrize("by", ["code-prefix", "contains"])
def test_parents_are_linked_across_a_skipped_level(by):
    areas = _street_grid_microgrids(community=False)
    areas["code"] = ["310115005", "310115005001", "310115005001001", "310115005001002"]
    areas["parent_id"] = None
    linked = link_parents(areas, DEFAULT_LEVELS, by)
    assert dict(zip(linked["id"], linked["parent_id"])) == {"S": None, "G": "S", "M1": "G",
                                                            "M2": "G"}


# --------------------------------------------------------------------------- the real plan
@pytest.fixture
def lujiazui_skipping(demo_store, tmp_path):
    """The demo's street, grids and microgrids (no 居民区: each microgrid under its grid),
    one microgrid grown 285 m into a neighbour it shares a long edge with."""
    areas = demo_store.areas(int(demo_store.active_plan()["id"]))
    comm = areas[areas["level"] == "community"]
    grid_of = dict(zip(comm["id"], comm["parent_id"]))
    plan = areas[areas["level"].isin(["street", "grid", "microgrid"])][
        ["id", "level", "name", "parent_id", "geometry"]].copy()
    mg = plan["level"] == "microgrid"
    plan.loc[mg, "parent_id"] = plan.loc[mg, "parent_id"].map(grid_of)
    assert plan.loc[mg, "parent_id"].notna().all()
    sound = tmp_path / "lujiazui_sound.geojson"
    plan.to_file(sound, driver="GeoJSON")
    m = metric_crs(plan)
    mgs = plan[mg].to_crs(m)
    tree = shapely.STRtree(mgs.geometry.values)
    pairs = [(a, b) for a, b in zip(*tree.query(mgs.geometry.values, predicate="touches"))
             if a < b and mgs["parent_id"].iat[a] == mgs["parent_id"].iat[b]
             and mgs.geometry.iat[a].boundary.intersection(mgs.geometry.iat[b].boundary).length
             > 2 * GROW_M]
    a, b = pairs[0]
    ga, gb = mgs.geometry.iat[a], mgs.geometry.iat[b]
    taken = gb.intersection(ga.buffer(GROW_M))
    grown = gpd.GeoSeries([ga.union(taken)], crs=m).to_crs(plan.crs).iat[0]
    plan.loc[plan["id"] == mgs["id"].iat[a], "geometry"] = grown
    path = tmp_path / "lujiazui_skipping.geojson"
    plan.to_file(path, driver="GeoJSON")
    return sound, path, (mgs["id"].iat[a], mgs["id"].iat[b]), taken.area, mgs["parent_id"].iat[a]


def test_the_real_plan_without_communities_reports_the_overlap(lujiazui_skipping, cli_store):
    sound, path, pair, area, grid = lujiazui_skipping
    args = ["-d", "cgcs2000", "--level-column", "level", "--json"]
    base = json.loads(runner.invoke(app, ["import", str(sound), *args]).stdout)["report"]
    assert base["counts"]["overlap"] == 0 and base["counts"]["skipped_level"] == 6
    res = runner.invoke(app, ["import", str(path), *args])
    assert res.exit_code == 1 and "Traceback" not in res.output
    report = json.loads(res.stdout)["report"]
    assert report["ok"] is False and report["counts"]["overlap"] == 1
    [overlap] = [i for i in report["issues"] if i["kind"] == "overlap"]
    assert set(overlap["ids"]) == set(pair)
    assert overlap["value"] == pytest.approx(area, rel=0.01)
    assert overlap["message"].index("重叠") < overlap["message"].index("overlap")
    skipped = [i for i in report["issues"] if i["kind"] == "skipped_level"]
    assert grid in {i["ids"][0] for i in skipped} and len(skipped) == 6
    assert all(i["severity"] == "warning" for i in skipped)
    # --commit refuses it and the store stays empty
    res = runner.invoke(app, ["import", str(path), "-d", "cgcs2000", "--level-column", "level",
                              "--street-code", "310115005", "--commit"])
    assert res.exit_code == 2 and "overlap" in res.output and "Traceback" not in res.output
    assert cli_store().counts()["areas"] == 0
