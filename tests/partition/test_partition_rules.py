"""The division rules on the demo street, judged by the independent rule metrics.

The engine is measured with :func:`geogrid.rule_metrics.rule_metrics`, which
reads only the resulting polygons, the objects and the roads. Balance stays
within 0.05 of what the engine reached before the rules were enforced
(崂山住区 0.163, 梅园住区 0.083, 滨江住区 0.655, 陆家嘴金融城 1.227).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geogrid.partition import partition
from geogrid.rule_metrics import rule_metrics
from geogrid.validate import validate_plan
from geogrid.workload import WorkloadWeights

from partition_helpers import tiling_errors

#: CV the engine reached on each grid before the rules were enforced
CV_BEFORE = {"崂山住区": 0.163, "梅园住区": 0.083, "滨江住区": 0.655, "陆家嘴金融城": 1.227}
#: internal boundary share within 15 m of a road or water before: 0.548, 0.585, 0.704
#: (崂山住区 0.674 while the smoothing could take back a block that joined its nearest
#: housing whole, 0.683 since; 梅园住区 0.675 in 8 microgrids, 0.689 in the 7 its compounds
#: allow)
SHARE_AT_LEAST = {"崂山住区": 0.68, "梅园住区": 0.68, "滨江住区": 0.80}
#: the share once the compound cuts the data impose are set aside ("wherever the grid
#: has roads", rule metrics ``offroad``): 0.823, 0.898 and 0.803 reached (崂山住区 0.786
#: while offices of one road block could join different microgrids, 0.802 while the
#: smoothing could take back a block that had joined its nearest housing whole; 梅园住区
#: 0.898 in 8 microgrids, 0.934 in 7)
WHERE_ROADS_AT_LEAST = {"崂山住区": 0.82, "梅园住区": 0.93, "滨江住区": 0.80}
#: shops, institutions, offices and plazas not in the microgrid of their nearest housing
#: (walking distance on the roads): 78, 12 and 5 when the engine measured "nearest" on
#: its cell graph instead of on the roads; 51 in 崂山住区 before heavy compounds were
#: seeded along their long axis (36 since; 39 since a road block of offices joins one
#: microgrid whole; 32 since a block votes by the microgrid of its cells' nearest
#: housing, not by the housing cell, and stays once it joined it whole; 19 of the 32
#: are nearest one 499-household building whose microgrid already weighs 527; 梅园住区 12
#: in 8 microgrids, 8 in 7)
NOT_NEAREST_AT_MOST = {"崂山住区": 32, "梅园住区": 8, "滨江住区": 5}
#: internal boundary along compound walls and away from roads (478.8, 0, 0 reached; 608 in
#: 崂山住区 before the rules): about 400 m of it parts two compounds that no road parts
#: (崂山三村 / 崂山四村, 乳山二村 / 乳山三村), in road blocks where the plan's whole
#: off-road boundary is no longer than the block floor's straight cuts
WALLS_AT_MOST = {"崂山住区": 479.0, "梅园住区": 1.0, "滨江住区": 1.0}
#: the share on roads or water once the cuts the road blocks need are set aside (rule
#: metrics ``offroad.share_road_or_water_beyond_blocks``): 0.940, 1.0, 0.832 reached
BEYOND_BLOCKS_AT_LEAST = {"崂山住区": 0.94, "梅园住区": 0.99, "滨江住区": 0.83}


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
    assert m["compounds"]["over_cut"] == 0, m["compounds"]
    assert m["nearest"]["method"] == "walking"
    assert m["nearest"]["not_nearest"] <= NOT_NEAREST_AT_MOST[name], m["nearest"]["items"]
    assert res.report["workload"]["cv"] <= CV_BEFORE[name] + 0.05
    # walls are no boundary where a road could part the microgrids instead
    assert m["walls"]["length_m"] <= WALLS_AT_MOST[name], m["walls"]
    assert off["share_road_or_water_beyond_blocks"] >= BEYOND_BLOCKS_AT_LEAST[name], off
    # the plan leaves roads only in road blocks too heavy for one microgrid
    blocks = m["floor"]["blocks"]
    assert sum(b["plan_offroad_m"] for b in blocks) == pytest.approx(off["length_m"], abs=2.0)
    assert all(b["need"] > 1 for b in blocks if b["plan_offroad_m"] > 1.0), blocks


def test_laoshan_wall_strips_put_the_boundary_on_the_street_at_a_known_price(lujiazui):
    # opt-in: the land between walls and streets joins the compound's microgrid even when
    # its objects' nearest housing on foot lies across the street (the hospital grounds
    # beside 三航小区 are nearer 上港小区 on the roads, nearer 三航小区 in a straight line)
    grid, objs = _grid(lujiazui, "崂山住区")
    roads = lujiazui["roads"]
    plain = partition(grid, objs, roads, target_workload=300, measure_rules=False)
    res = partition(grid, objs, roads, target_workload=300, measure_rules=False,
                    wall_strips=True)
    _tiles(grid, res, objs)
    m0 = rule_metrics(grid, plain.microgrids, objs, roads)["grid"]
    m = rule_metrics(grid, res.microgrids, objs, roads)["grid"]
    # 0.683 → 0.707 on roads; walls 478.8 → 437.0 m; outside compounds 414 → 243 m
    assert m["boundary"]["share_road_or_water"] >= 0.70
    assert m["boundary"]["share_road_or_water"] > m0["boundary"]["share_road_or_water"]
    assert m["walls"]["length_m"] <= 437.5 < m0["walls"]["length_m"]
    assert m["offroad"]["outside_m"] < m0["offroad"]["outside_m"] - 100
    assert m["compounds"]["over_cut"] == 0
    assert res.report["workload"]["cv"] <= CV_BEFORE["崂山住区"] + 0.05
    # the price: objects taken from their nearest housing's microgrid (32 → 37)
    assert m0["nearest"]["not_nearest"] < m["nearest"]["not_nearest"] <= 37
    assert res.options.wall_strips and not plain.options.wall_strips


#: 梅园住区's balance allowance: its CV when the rules were first measured (0.119) + 0.05
MEIYUAN_CV_LIMIT = 0.169


def _cv_floor_within_need(objs, target: float, k: int | None = None) -> float:
    """Lowest workload CV of any plan of ``k`` that cuts no compound beyond its need.

    ``k`` microgrids (default ``round(W / target)``) of mean ``μ = W / k``. A
    compound of workload ``w`` (its own and that of the objects inside it) may
    span at most ``⌈w / (1.15 μ)⌉`` microgrids, so the compounds lie in at most
    ``M`` microgrids between them and the other ``k − M`` hold only the workload
    ``R`` outside compounds, however finely it is split and whatever the
    contiguity. For fixed group totals the variance is least with equal parts
    in each group, and the ``k − M`` weigh least below ``μ`` with all of ``R``
    (at most ``μ`` each): that two-level plan is the floor.
    """
    w = WorkloadWeights().workload(objs["households"].fillna(0).to_numpy(float),
                                   objs["type"].astype(str).to_numpy())
    total = float(w.sum())
    k = k or max(1, round(total / target))
    mu = total / k
    comps = objs[objs["type"] == "compound"]
    inside = np.asarray([objs.representative_point().within(c).to_numpy()
                         for c in comps.geometry], dtype=bool).reshape(len(comps), len(objs))
    inside[np.arange(len(comps)), np.flatnonzero(objs["type"].to_numpy() == "compound")] = True
    comp_w = inside.astype(float) @ w
    m = sum(max(1, math.ceil(x / (1.15 * mu))) for x in comp_w)
    rest = total - float(comp_w.sum())
    if m == 0 or m >= k:
        return 0.0  # no compound, or room for every piece: no floor from this
    low = min(rest / (k - m), mu)
    high = (total - low * (k - m)) / m
    return math.sqrt((m * (high - mu) ** 2 + (k - m) * (low - mu) ** 2) / k) / mu


def test_meiyuan_in_eight_cannot_keep_every_compound_within_need(lujiazui):
    # 梅园住区: W = 2,273.4 in round(W / 300) = 8 microgrids (μ 284.2); its compounds weigh
    # 1,253.3 (need 4) and 620.7 (need 2); the 399.4 outside them cannot raise the other
    # two microgrids above 199.7, so a plan within the need is at best 312.3 × 6 + 199.7 × 2
    grid, objs = _grid(lujiazui, "梅园住区")
    floor = _cv_floor_within_need(objs, 300.0)
    assert floor > MEIYUAN_CV_LIMIT
    # an explicit count is honoured
    res = partition(grid, objs, lujiazui["roads"], n_microgrids=8, measure_rules=False)
    assert len(res.microgrids) == 8 and res.report["count"] is None
    m = rule_metrics(grid, res.microgrids, objs, lujiazui["roads"])["grid"]
    # the metric's own floor (compounds in equal needed pieces, water-filled) agrees
    assert m["floor"]["workload_cv_within_need"] == pytest.approx(floor, abs=0.002)
    # so a plan of 8 either cuts a compound beyond its need or balances above the floor
    assert m["compounds"]["over_cut"] >= 1 or res.report["workload"]["cv"] >= floor


def test_meiyuan_at_target_300_is_cut_in_the_seven_its_compounds_allow(lujiazui):
    grid, objs = _grid(lujiazui, "梅园住区")
    assert _cv_floor_within_need(objs, 300.0, k=7) <= 0.15  # μ 324.8: one microgrid of 399.4
    res = partition(grid, objs, lujiazui["roads"], target_workload=300, measure_rules=False)
    count = res.report["count"]
    assert (count["k"], count["rounded"], count["reason"]) == (7, 8, "need")
    assert count["candidates"]["8"] == pytest.approx(_cv_floor_within_need(objs, 300.0), abs=0.002)
    note = res.report["notes"][0]
    assert "改划 7 个" in note and "so 7 were drawn" in note
    assert len(res.microgrids) == 7
    _tiles(grid, res, objs)
    m = rule_metrics(grid, res.microgrids, objs, lujiazui["roads"])["grid"]
    assert m["compounds"]["over_cut"] == 0, m["compounds"]["items"]
    assert res.report["workload"]["cv"] <= MEIYUAN_CV_LIMIT
    assert m["offroad"]["share_road_or_water_where_roads"] >= 0.80
    # drawn as if 7 had been given
    given = partition(grid, objs, lujiazui["roads"], n_microgrids=7, measure_rules=False)
    assert [g.wkb for g in given.microgrids.geometry] == [g.wkb for g in res.microgrids.geometry]


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
