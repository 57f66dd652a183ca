"""Division-rule metrics: hand-built plans with known answers, and the demo street."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid.rule_metrics import rule_metrics, rule_metrics_text
from geogrid.validate import validate_plan

LOCAL = "+proj=tmerc +lat_0=31.23 +lon_0=121.5 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
DATA = Path(__file__).resolve().parents[1] / "data" / "boundaries"


def frame(geoms, **cols):
    """Metric shapely geometries (local tmerc) → EPSG:4490 GeoDataFrame."""
    gs = gpd.GeoSeries(list(geoms), crs=LOCAL).to_crs("EPSG:4490")
    return gpd.GeoDataFrame(cols, geometry=gs.values, crs="EPSG:4490")


PARENT = frame([shapely.box(0, 0, 400, 200)], id=["g"])
HALVES = frame([shapely.box(0, 0, 200, 200), shapely.box(200, 0, 400, 200)], id=[1, 2])


def test_boundary_on_a_road_is_counted_by_class():
    road = frame([shapely.LineString([(205, -10), (205, 210)])], kind=["major_road"],
                 kind_detail=["primary"])
    m = rule_metrics(PARENT, HALVES, roads=road)["grid"]["boundary"]
    assert m["internal_m"] == pytest.approx(200, abs=1)
    assert m["share_major"] == pytest.approx(1.0, abs=0.01)
    assert m["share_minor"] == 0.0 and m["share_road_or_water"] == pytest.approx(1.0, abs=0.01)
    far = frame([shapely.LineString([(300, -10), (300, 210)])], kind=["minor_road"])
    m = rule_metrics(PARENT, HALVES, roads=far)["grid"]["boundary"]
    assert m["share_road_or_water"] == 0.0
    assert m["road_or_water_inside_m"] > 150  # the road exists; the boundary just misses it


def test_water_counts_and_a_grid_without_roads_says_so():
    river = frame([shapely.box(210, -10, 240, 210)])
    m = rule_metrics(PARENT, HALVES, water=river)["grid"]["boundary"]
    assert m["share_water"] == pytest.approx(1.0, abs=0.01)
    bare = rule_metrics(PARENT, HALVES)["grid"]["boundary"]
    assert bare["share_road_or_water"] == 0.0 and bare["road_or_water_inside_m"] == 0.0
    assert "no road or water inside" in rule_metrics_text({"grid": {"boundary": bare}})[0]


def _objects():
    # a compound straddling the boundary (300 households), two housing points, a shop
    return frame([shapely.box(150, 50, 250, 150), shapely.Point(20, 100), shapely.Point(380, 100),
                  shapely.Point(190, 10), shapely.Point(30, 150)],
                 id=["c", "h1", "h2", "shop", "office"],
                 type=["compound", "building", "building", "shop", "building"],
                 households=[300.0, 100.0, 100.0, 0.0, 0.0],
                 business_type=[None, None, None, "retail", "finance"])


def test_walls_compounds_nearest_and_business():
    m = rule_metrics(PARENT, HALVES, _objects(), target_workload=400)
    g = m["grid"]
    # the boundary x=200 crosses the compound: 100 m inside it, no road anywhere
    assert g["walls"]["length_m"] == pytest.approx(0.0, abs=1)  # crossing is not along
    items = {i["id"]: i for i in g["compounds"]["items"]}
    assert items["c"]["pieces"] == 2 and items["c"]["need"] == 1
    assert g["compounds"]["over_cut"] == 1
    # the shop (190, 10) is in microgrid 1 and 10 m from the compound's half there
    n = g["nearest"]
    assert n["method"] == "straight-line" and n["n"] == 2 and n["not_nearest"] == 0
    b = g["business"]
    assert b["n_typed"] == 2 and b["majority_share"] == 0.5  # retail and finance, both in 1
    assert b["grid_majority_share"] == 0.5
    per = {r["id"]: r for r in m["microgrids"]}
    assert per[1]["entropy_bits"] == pytest.approx(1.0)  # retail + finance, one each
    assert math.isnan(per[2]["entropy_bits"]) if isinstance(per[2]["entropy_bits"], float) \
        else per[2]["entropy_bits"] is None
    assert per[1]["compactness"] == pytest.approx(math.pi / 4, abs=0.01)


def test_wall_along_a_boundary_away_from_roads_is_measured():
    comp = frame([shapely.box(100, 20, 200, 180)], id=["c"], type=["compound"],
                 households=[50.0])
    g = rule_metrics(PARENT, HALVES, comp)["grid"]
    assert g["walls"]["length_m"] == pytest.approx(160, abs=8)  # the compound's east wall
    near = frame([shapely.LineString([(195, -10), (195, 210)])], kind=["path"])
    g = rule_metrics(PARENT, HALVES, comp, near)["grid"]
    assert g["walls"]["length_m"] == pytest.approx(0, abs=1)


def test_object_away_from_its_nearest_housing_is_flagged():
    objs = frame([shapely.Point(20, 100), shapely.Point(380, 100), shapely.Point(195, 100)],
                 id=["h1", "h2", "shop"], type=["building", "building", "shop"],
                 households=[100.0, 100.0, 0.0])
    housing_right = frame([shapely.box(0, 0, 190, 200), shapely.box(190, 0, 400, 200)], id=[1, 2])
    n = rule_metrics(PARENT, housing_right, objs)["grid"]["nearest"]
    # the shop at x=195 is in 2, but h1 (175 m) in 1 is nearer than h2 (185 m)
    assert n["not_nearest"] == 1 and n["items"][0]["excess_m"] == pytest.approx(10, abs=0.5)
    n = rule_metrics(PARENT, HALVES, objs)["grid"]["nearest"]
    assert n["not_nearest"] == 0
    moved = frame([shapely.Point(20, 100), shapely.Point(380, 100), shapely.Point(215, 100)],
                  id=["h1", "h2", "shop"], type=["building", "building", "shop"],
                  households=[100.0, 100.0, 0.0])
    split = frame([shapely.box(0, 0, 230, 200), shapely.box(230, 0, 400, 200)], id=[1, 2])
    n = rule_metrics(PARENT, split, moved)["grid"]["nearest"]
    assert n["not_nearest"] == 1 and n["items"][0]["nearest"] == 2
    assert n["items"][0]["excess_m"] == pytest.approx(195 - 165, abs=0.5)


def test_walking_distance_is_used_where_a_network_exists():
    objs = frame([shapely.Point(20, 100), shapely.Point(380, 100), shapely.Point(215, 100)],
                 id=["h1", "h2", "shop"], type=["building", "building", "shop"],
                 households=[100.0, 100.0, 0.0])
    split = frame([shapely.box(0, 0, 230, 200), shapely.box(230, 0, 400, 200)], id=[1, 2])
    # a road that reaches h1 directly but h2 only by a long detour north
    roads = frame([shapely.LineString([(20, 100), (215, 100)]),
                   shapely.LineString([(215, 100), (215, 190), (380, 190), (380, 100)])],
                  kind=["path", "path"])
    n = rule_metrics(PARENT, split, objs, roads)["grid"]["nearest"]
    assert n["method"] == "walking"
    assert n["not_nearest"] == 0  # by walking h1 (195 m) beats h2 (345 m)


def test_floor_of_one_huge_building():
    objs = frame([shapely.Point(50, 50), shapely.Point(300, 50), shapely.Point(310, 150)],
                 id=["big", "a", "b"], type=["building"] * 3, households=[900.0, 50.0, 50.0])
    g = rule_metrics(PARENT, HALVES, objs)["grid"]
    # two parts can at best be {big} and {a, b}: weights 902 and 104
    assert g["floor"]["workload_cv"] == pytest.approx((902 - 104) / (902 + 104), abs=0.002)


def test_validate_reports_the_rules():
    rep = validate_plan(PARENT, HALVES, _objects())
    # target = mean workload ≈ 254: the 300-household compound needs 2 pieces and has 2
    item = rep.stats["rules"]["grid"]["compounds"]["items"][0]
    assert (item["pieces"], item["need"]) == (2, 2)
    assert rep.stats["rules"]["grid"]["compounds"]["over_cut"] == 0
    assert "划分规则" in rep.to_text()
    assert "rules" not in validate_plan(PARENT, HALVES, rules=False).stats


@pytest.fixture(scope="module")
def demo():
    names = ["grids", "objects", "roads"]
    if not all((DATA / f"lujiazui_{n}.geojson").exists() for n in names):
        pytest.skip("Lujiazui demo files are not built")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {n: gpd.read_file(DATA / f"lujiazui_{n}.geojson") for n in names}


def test_demo_partition_report_carries_the_rules(demo):
    from geogrid.partition import partition

    grids = demo["grids"]
    grid = grids[grids["name"] == "崂山住区"]
    objs = demo["objects"][demo["objects"].intersects(grid.geometry.iloc[0])]
    res = partition(grid, objs, demo["roads"], target_workload=300)
    rules = res.report["rules"]
    again = rule_metrics(grid, res.microgrids, objs, demo["roads"])
    assert rules["grid"] == again["grid"]
    assert len(rules["microgrids"]) == len(res.microgrids)
    # no compound is cut into more microgrids than its workload needs
    assert rules["grid"]["compounds"]["over_cut"] == 0
    assert rules["grid"]["nearest"]["method"] == "walking"
    assert rules["grid"]["boundary"]["share_road_or_water"] >= 0.6
    # within the balance allowance: today's CV 0.163 + 0.05
    assert res.report["workload"]["cv"] <= 0.213


def test_store_validate_measures_the_rules_on_the_stored_roads(store):
    """Store mode reads the roads the store holds, as file mode reads the roads file."""
    from geogrid.services.demo import demo_frames
    from geogrid.services.planning import PlanningService

    frames = demo_frames()
    if "grids" not in frames:
        pytest.skip("Lujiazui demo files are not built")
    grid = frames["grids"][frames["grids"]["name"] == "滨江住区"]
    with store.write() as conn:
        plan_id = store.create_plan(conn, name="rules", street_code="310115005")
        store.add_areas(conn, plan_id, grid.reset_index(drop=True))
        store.upsert_objects(conn, frames["objects"])
        store.add_roads(conn, frames["roads"])
    planning = PlanningService(store)
    planning.partition_grid(plan_id, grid["id"].iat[0], actor="test", target_workload=300)
    report = planning.validate(plan_id, grid["id"].iat[0])
    stored = report["grids"][0]["stats"]["rules"]["grid"]
    mgs = store.areas(plan_id, level="microgrid").reset_index(drop=True)
    objs = frames["objects"][frames["objects"].intersects(grid.geometry.iloc[0])]
    files = rule_metrics(grid, mgs, objs, frames["roads"])["grid"]
    assert stored["boundary"]["road_or_water_inside_m"] > 0  # the roads were passed
    assert stored["boundary"] == files["boundary"]
    assert stored["nearest"]["method"] == files["nearest"]["method"] == "walking"
    assert stored["nearest"]["not_nearest"] == files["nearest"]["not_nearest"]


def test_floor_of_splitting_a_compound_without_inner_roads():
    # a 300 × 60 m compound of 600 households, two microgrids of ~300: it needs two
    # pieces, and a straight cut across it is 60 m long
    objs = frame([shapely.box(50, 70, 350, 130)], id=["c"], type=["compound"],
                 households=[600.0])
    g = rule_metrics(PARENT, HALVES, objs)["grid"]
    assert g["compounds"]["items"][0]["need"] == 2
    assert g["floor"]["compound_split_offroad_m"] == pytest.approx(60, abs=1)
    # this plan's internal boundary is 200 m: at most 70 % of it can lie on roads
    assert g["floor"]["share_road_or_water_max"] == pytest.approx(0.7, abs=0.01)
    # a road along the cut leaves nothing forced off-road
    road = frame([shapely.LineString([(200, -10), (200, 210)])], kind=["minor_road"])
    g = rule_metrics(PARENT, HALVES, objs, roads=road)["grid"]
    assert g["floor"]["compound_split_offroad_m"] == pytest.approx(0, abs=0.5)
    assert g["floor"]["share_road_or_water_max"] == 1.0
    # a compound that fits one microgrid (target 300) forces nothing
    g = rule_metrics(PARENT, HALVES, objs.assign(households=[300.0]), target_workload=300.0)["grid"]
    assert g["floor"]["compound_split_offroad_m"] == 0.0


def test_floor_of_balance_when_compounds_keep_to_their_need():
    # 900 households in three microgrids (target 300): a 660-household compound may
    # take two of them (⌈660 / 345⌉), so its two pieces weigh 330 each and the 240 left
    # for the third; cut freely into three it could balance perfectly
    thirds = frame([shapely.box(0, 0, 133, 200), shapely.box(133, 0, 266, 200),
                    shapely.box(266, 0, 400, 200)], id=[1, 2, 3])
    objs = frame([shapely.box(20, 20, 250, 180), shapely.Point(330, 100)], id=["c", "b"],
                 type=["compound", "building"], households=[660.0, 240.0])
    g = rule_metrics(PARENT, thirds, objs)["grid"]
    assert g["compounds"]["items"][0]["need"] == 2
    assert g["floor"]["workload_cv"] == pytest.approx(0.0, abs=0.01)
    w = [330.0, 330.0, 240.0]
    assert g["floor"]["workload_cv_within_need"] == pytest.approx(
        float(np.std(w) / np.mean(w)), abs=0.01)


def test_floor_finds_the_short_cut_in_any_direction():
    # the same 300 × 60 m compound turned by 30°: a cut across it is still 60 m
    comp = shapely.affinity.rotate(shapely.box(50, 70, 350, 130), 30, origin=(200, 100))
    objs = frame([comp], id=["c"], type=["compound"], households=[600.0])
    g = rule_metrics(PARENT, HALVES, objs)["grid"]
    assert g["floor"]["compound_split_offroad_m"] == pytest.approx(60, abs=3)


def test_floor_cut_follows_an_inner_path_anywhere_the_workload_allows():
    # pieces may hold up to 1.15 × 300 = 345 of 600 households: a cut between 42.5 %
    # and 57.5 % of the compound's length; a footway at 55 % takes the cut off the floor
    objs = frame([shapely.box(50, 70, 350, 130)], id=["c"], type=["compound"],
                 households=[600.0])
    path = frame([shapely.LineString([(215, 60), (215, 140)])], kind=["path"],
                 kind_detail=["footway"])
    g = rule_metrics(PARENT, HALVES, objs, roads=path)["grid"]
    assert g["floor"]["compound_split_offroad_m"] == pytest.approx(0, abs=0.5)
    # at 70 % it is out of reach: a piece would hold 420 households
    far = frame([shapely.LineString([(260, 60), (260, 140)])], kind=["path"],
                kind_detail=["footway"])
    g = rule_metrics(PARENT, HALVES, objs, roads=far)["grid"]
    assert g["floor"]["compound_split_offroad_m"] == pytest.approx(60, abs=1)


def test_offroad_boundary_by_where_it_lies():
    # the halves' boundary at x = 200 (199 m once 0.5 m is left at the parent's edge)
    # crosses a compound (54 m inside it, 12 m in its 3 m wall rims) and runs along the
    # wall two compounds share (46 m with the rims); a road 10 m away covers its south
    objs = frame([shapely.box(150, 70, 250, 130), shapely.box(120, 140, 200, 180),
                  shapely.box(200, 140, 280, 180)], id=["c", "w", "e"],
                 type=["compound"] * 3, households=[600.0, 100.0, 100.0])
    road = frame([shapely.LineString([(190, -10), (190, 35)])], kind=["minor_road"],
                 kind_detail=["residential"])
    g = rule_metrics(PARENT, HALVES, objs, roads=road, target_workload=300.0)["grid"]
    off = g["offroad"]
    on = 35 + math.sqrt(15 ** 2 - 10 ** 2) - 0.5
    assert off["length_m"] == pytest.approx(199 - on, abs=1)
    assert off["in_compounds_m"] == pytest.approx(54, abs=1)
    assert off["on_walls_m"] == pytest.approx(12 + 46, abs=1)
    assert off["on_shared_walls_m"] == pytest.approx(46, abs=1)
    assert off["outside_m"] == pytest.approx(199 - on - 54 - 58, abs=1)
    # the floor (a 60 m cut across c) is set aside only up to what the plan spends in
    # compounds; the plain share stays the share of the whole boundary
    assert off["floor_m"] == pytest.approx(60, abs=1)
    assert off["share_road_or_water_where_roads"] == pytest.approx(on / (199 - 54), abs=0.01)
    assert g["boundary"]["share_road_or_water"] == pytest.approx(on / 199, abs=0.01)


def test_engine_and_metrics_read_road_classes_from_one_table():
    from geogrid.partition.inputs import BarrierClass, road_class
    from geogrid.rule_metrics import road_classes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        roads = gpd.read_file(DATA / "lujiazui_roads.geojson")
    pairs = roads[["kind", "kind_detail"]].drop_duplicates()
    metric = road_classes(gpd.GeoDataFrame(pairs, geometry=[None] * len(pairs)))
    as_metric = {BarrierClass.MAJOR: "major", BarrierClass.MINOR: "minor",
                 BarrierClass.PATH: "path", BarrierClass.BARRIER: "rail", None: "none"}
    engine = [as_metric[road_class(k, d)] for k, d in zip(pairs["kind"], pairs["kind_detail"])]
    assert metric.tolist() == engine
    by = dict(zip(pairs["kind_detail"], metric))
    assert by["tertiary"] == "minor" and by["service"] == "path" and by["pier"] == "none"


def test_road_blocks_are_the_land_between_dividing_lines():
    from geogrid.rule_metrics import road_blocks

    grid = shapely.box(0, 0, 400, 200)
    lines = np.array([shapely.LineString([(200, -10), (200, 210)]),   # divides
                      shapely.LineString([(100, 0), (100, 120)]),     # dead end: does not
                      shapely.LineString([(0, 150), (400, 150)])],    # a pier: divides nothing
                     dtype=object)
    blocks = road_blocks(grid, lines, np.array(["minor", "path", "none"]), [])
    assert sorted(shapely.area(blocks).round().tolist()) == [40000.0, 40000.0]
    # water: its area is no land, its outline divides
    pond = np.array([shapely.box(250, -10, 270, 210)], dtype=object)
    blocks = road_blocks(grid, lines[:1], np.array(["minor"]), pond)
    assert sorted(shapely.area(blocks).round().tolist()) == [10000.0, 26000.0, 40000.0]


def test_block_floor_two_compounds_with_no_road_between():
    # two 300-household compounds side by side in one road block: whichever way the two
    # microgrids are drawn, a 200 m cut without a road is needed; the halves' boundary
    # runs along the walls, and the block floor says the data impose all of it
    objs = frame([shapely.box(5, 5, 198, 195), shapely.box(202, 5, 395, 195)], id=["w", "e"],
                 type=["compound"] * 2, households=[300.0, 300.0])
    g = rule_metrics(PARENT, HALVES, objs, target_workload=300.0)["grid"]
    assert g["compounds"]["over_cut"] == 0
    assert g["floor"]["compound_split_offroad_m"] == 0.0  # neither compound needs a cut
    assert g["walls"]["length_m"] > 150                    # the halves meet along walls
    assert g["floor"]["blocks_needing_cuts"] == 1
    assert g["floor"]["block_split_offroad_m"] == pytest.approx(200, abs=1)
    assert g["offroad"]["share_road_or_water_beyond_blocks"] is None  # nothing left
    (blk,) = g["floor"]["blocks"]
    assert blk["need"] == 2 and blk["workload"] == pytest.approx(600, abs=1)
    assert blk["plan_offroad_m"] == pytest.approx(199, abs=1)
    # a street between them: two blocks of one microgrid each, nothing imposed
    street = frame([shapely.LineString([(200, -10), (200, 210)])], kind=["minor_road"],
                   kind_detail=["residential"])
    g = rule_metrics(PARENT, HALVES, objs, roads=street, target_workload=300.0)["grid"]
    assert g["floor"]["block_split_offroad_m"] == 0.0
    assert g["floor"]["blocks_needing_cuts"] == 0
    assert g["walls"]["length_m"] == 0.0
    assert g["offroad"]["share_road_or_water_beyond_blocks"] == pytest.approx(1.0, abs=0.01)


def test_block_floor_cuts_between_the_buildings_where_they_stand():
    # two 300-household buildings at x = 50 and x = 350 in one block; a dead-end street
    # at x = 300 reaches y = 150: a cut along it is off-road only for its last 35 m,
    # where a cut through the middle of the area (x ≈ 200) would be 200 m
    objs = frame([shapely.Point(50, 100), shapely.Point(350, 100)], id=["a", "b"],
                 type=["building"] * 2, households=[300.0, 300.0])
    lane = frame([shapely.LineString([(300, -10), (300, 150)])], kind=["minor_road"],
                 kind_detail=["residential"])
    g = rule_metrics(PARENT, HALVES, objs, roads=lane, target_workload=300.0)["grid"]
    assert g["floor"]["blocks_needing_cuts"] == 1
    assert g["floor"]["block_split_offroad_m"] == pytest.approx(35, abs=5)


def test_block_floor_leaves_one_heavy_building_whole():
    # a 500-household building cannot be split whatever the target: no cut is imposed
    objs = frame([shapely.Point(100, 100), shapely.Point(300, 100)], id=["big", "shop"],
                 type=["building", "shop"], households=[500.0, 0.0])
    g = rule_metrics(PARENT, HALVES, objs, target_workload=300.0)["grid"]
    assert g["floor"]["block_split_offroad_m"] == 0.0
    # two of them must be parted: one cut between them
    objs = frame([shapely.Point(100, 100), shapely.Point(300, 100)], id=["a", "b"],
                 type=["building"] * 2, households=[500.0, 400.0])
    g = rule_metrics(PARENT, HALVES, objs, target_workload=300.0)["grid"]
    assert g["floor"]["block_split_offroad_m"] == pytest.approx(200, abs=1)
