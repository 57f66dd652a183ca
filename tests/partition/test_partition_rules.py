"""The division rules on the demo street, judged by the independent rule metrics.

The engine is measured with :func:`geogrid.rule_metrics.rule_metrics`, which
reads only the resulting polygons, the objects and the roads. Balance stays
within 0.05 of what the engine reached before the rules were enforced
(崂山住区 0.163, 梅园住区 0.083, 滨江住区 0.655, 陆家嘴金融城 1.227).
"""

from __future__ import annotations

import pytest

from geogrid.partition import partition
from geogrid.rule_metrics import rule_metrics
from geogrid.validate import validate_plan

from partition_helpers import tiling_errors

#: CV the engine reached on each grid before the rules were enforced
CV_BEFORE = {"崂山住区": 0.163, "梅园住区": 0.083, "滨江住区": 0.655, "陆家嘴金融城": 1.227}
#: internal boundary share within 15 m of a road or water before: 0.548, 0.585, 0.704
SHARE_AT_LEAST = {"崂山住区": 0.65, "梅园住区": 0.65, "滨江住区": 0.80}
#: the share once the compound cuts the data impose are set aside ("wherever the grid
#: has roads", rule metrics ``offroad``): 0.802, 0.898 and 0.803 reached (崂山住区 0.786
#: while offices of one road block could join different microgrids)
WHERE_ROADS_AT_LEAST = {"崂山住区": 0.80, "梅园住区": 0.89, "滨江住区": 0.80}
#: shops, institutions, offices and plazas not in the microgrid of their nearest housing
#: (walking distance on the roads): 78, 12 and 5 when the engine measured "nearest" on
#: its cell graph instead of on the roads; 51 in 崂山住区 before heavy compounds were
#: seeded along their long axis (36 since; 39 since a road block of offices joins one
#: microgrid whole)
NOT_NEAREST_AT_MOST = {"崂山住区": 40, "梅园住区": 12, "滨江住区": 5}


def _grid(lujiazui, name):
    grids = lujiazui["grids"]
    grid = grids[grids["name"] == name]
    objs = lujiazui["objects"][lujiazui["objects"].intersects(grid.geometry.iloc[0])]
    return grid, objs


def _tiles(grid, res, objs):
    gap, overlap = tiling_errors(grid.geometry, res.microgrids)
    assert gap < 1.0 and overlap < 1.0
    assert (res.microgrids.geom_type == "Polygon").all()  # every part one polygon
    rep = validate_plan(grid, res.microgrids, objs, assignment=res.assignment, rules=False)
    for kind in ("gap", "overlap", "multipart", "orphan_object", "misassigned_object"):
        assert rep.counts[kind] == 0, rep.to_text()


@pytest.mark.parametrize("name", ["崂山住区", "梅园住区", "滨江住区"])
def test_residential_boundaries_follow_roads_and_compounds_are_not_overcut(lujiazui, name):
    grid, objs = _grid(lujiazui, name)
    res = partition(grid, objs, lujiazui["roads"], target_workload=300, measure_rules=False)
    _tiles(grid, res, objs)
    m = rule_metrics(grid, res.microgrids, objs, lujiazui["roads"])["grid"]
    assert m["boundary"]["share_road_or_water"] >= SHARE_AT_LEAST[name], m["boundary"]
    off = m["offroad"]
    assert off["share_road_or_water_where_roads"] >= WHERE_ROADS_AT_LEAST[name], off
    assert off["share_road_or_water_where_roads"] >= m["boundary"]["share_road_or_water"]
    assert off["in_compounds_m"] + off["on_walls_m"] + off["outside_m"] == pytest.approx(
        off["length_m"], abs=1.0)
    # 梅园住区 keeps one compound cut once more than it needs: no plan that keeps every
    # compound to its need balances within the allowance (the floor, contiguity aside,
    # is above it)
    assert m["compounds"]["over_cut"] <= (1 if name == "梅园住区" else 0), m["compounds"]
    if m["compounds"]["over_cut"]:
        assert m["floor"]["workload_cv_within_need"] > CV_BEFORE[name] + 0.05
    assert m["nearest"]["method"] == "walking"
    assert m["nearest"]["not_nearest"] <= NOT_NEAREST_AT_MOST[name], m["nearest"]["items"]
    assert res.report["workload"]["cv"] <= CV_BEFORE[name] + 0.05


@pytest.fixture(scope="module")
def finance_city(lujiazui):
    grid, objs = _grid(lujiazui, "陆家嘴金融城")
    out = {}
    for w in (0.0, 0.5, 1.0):
        res = partition(grid, objs, lujiazui["roads"], n_microgrids=5, type_weight=w,
                        measure_rules=False)
        out[w] = (res, rule_metrics(grid, res.microgrids, objs)["grid"]["business"])
    return grid, objs, out


def test_business_homogeneity_rises_with_the_type_weight(finance_city):
    grid, objs, out = finance_city
    share = {w: b["majority_share"] for w, (_, b) in out.items()}
    assert share[0.0] <= share[0.5] <= share[1.0]
    assert share[1.0] - share[0.0] >= 0.10, share
    # weight 0 is adjacency only: the grid-wide share, three microgrids of leftovers
    assert out[0.0][1]["microgrids_without_typed"] > 0
    # weight 1: no business microgrid is made of leftovers alone
    assert out[1.0][1]["microgrids_without_typed"] == 0
    for w, (res, _) in out.items():
        assert len(res.microgrids) == 5
        _tiles(grid, res, objs)
        assert res.report["workload"]["cv"] <= CV_BEFORE["陆家嘴金融城"] + 0.05
