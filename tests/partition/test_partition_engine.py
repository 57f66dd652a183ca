"""The engine on hand-made cases: targets, estimates, compounds, business rule, errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid._errors import CRSError, InputError, ValidationError
from geogrid.partition import WorkloadWeights, partition
from geogrid.partition.business import type_dissimilarity

from partition_helpers import synthetic_case, tiling_errors, to_storage


def frame(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=to_storage(geoms).values, crs="EPSG:4490")


def test_n_microgrids_and_target_workload(small_case):
    parent, objects, roads = small_case
    a = partition(parent, objects, roads, n_microgrids=6)
    assert len(a.microgrids) == 6
    total = a.report["total_workload"]
    b = partition(parent, objects, roads, target_workload=total / 4)
    assert len(b.microgrids) == 4
    assert b.report["workload"]["cv"] <= 0.15
    assert list(a.microgrids["id"]) == list(range(1, 7))


def test_balance_on_fine_grained_data_beats_goal():
    parent, objects, roads = synthetic_case(600, seed=11)
    res = partition(parent, objects, roads, n_microgrids=10)
    assert res.report["workload"]["cv"] <= 0.05
    assert res.report["all_single_polygon"]
    gap, overlap = tiling_errors(parent, res.microgrids)
    assert gap < 0.01 and overlap < 0.01


def test_major_roads_are_preferred_boundaries():
    # a uniform square cut into four equal blocks by two major roads, plus minor streets
    rng = np.random.default_rng(5)
    xy = rng.uniform(5, 795, (800, 2))
    objs = frame([shapely.Point(x, y) for x, y in xy], id=[f"o{i}" for i in range(800)],
                 type="building", households=rng.integers(10, 30, 800).astype(float))
    parent = gpd.GeoSeries(to_storage([shapely.box(0, 0, 800, 800)]).values, crs="EPSG:4490")
    lines = [(shapely.LineString([(400, -10), (400, 810)]), "primary"),
             (shapely.LineString([(-10, 400), (810, 400)]), "secondary")]
    lines += [(shapely.LineString([(v, -10), (v, 810)]), "residential") for v in (200, 600)]
    lines += [(shapely.LineString([(-10, v), (810, v)]), "residential") for v in (200, 600)]
    roads = frame([g for g, _ in lines], id=[f"r{i}" for i in range(len(lines))],
                  kind_detail=[k for _, k in lines])
    res = partition(parent, objs, roads, n_microgrids=4)
    assert res.report["road_crossings"] == 0
    assert res.report["workload"]["cv"] < 0.1
    # without the roads the engine has no reason to follow those lines
    assert partition(parent, objs, None, n_microgrids=4).report["road_crossings"] == 0


def test_workload_weights_and_counts():
    pts = [shapely.Point(x, y) for x in (100, 300, 500) for y in (100, 300)]
    objs = frame(pts, id=[f"p{i}" for i in range(6)],
                 type=["building", "shop", "institution", "plaza", "address", "building"],
                 households=[10.0, 0, 0, 0, 0, 20.0])
    parent = gpd.GeoSeries(to_storage([shapely.box(0, 0, 600, 400)]).values, crs="EPSG:4490")
    res = partition(parent, objs, n_microgrids=1,
                    weights=WorkloadWeights(shop=3, institution=7, plaza=1, building=0))
    assert res.report["total_workload"] == pytest.approx(10 + 20 + 3 + 7 + 1)
    row = res.microgrids.iloc[0]
    assert (row["n_shop"], row["n_institution"], row["n_plaza"], row["n_address"]) == (1, 1, 1, 1)
    res2 = partition(parent, objs, n_microgrids=1, weights={"shop": 0.0})
    assert res2.report["options"]["weights"]["shop"] == 0.0


def test_missing_households_are_estimated_and_listed():
    fp = shapely.box(100, 100, 140, 120)  # 800 m²
    objs = frame([fp, shapely.Point(300, 300), shapely.Point(320, 300)],
                 id=["b1", "b2", "a1"], type=["building", "building", "address"],
                 households=[np.nan, np.nan, np.nan], floors=[10.0, np.nan, np.nan])
    parent = gpd.GeoSeries(to_storage([shapely.box(0, 0, 600, 400)]).values, crs="EPSG:4490")
    res = partition(parent, objs, n_microgrids=1)
    est = {e["id"]: e for e in res.report["estimated"]["items"]}
    assert est["b1"]["value"] == pytest.approx(800 * 10 * 0.75 / 60, abs=0.5)
    assert est["b2"]["value"] == 60.0 and "point" in est["b2"]["method"]
    assert res.report["unknown_households"] == ["a1"]
    assert set(res.report["estimated"]["made_by_engine"]) == {"b1", "b2"}
    assert res.objects.set_index("id").loc["b1", "estimated"]


def test_compound_fits_stays_whole_and_big_compound_is_split():
    parent = gpd.GeoSeries(to_storage([shapely.box(0, 0, 1000, 600)]).values, crs="EPSG:4490")
    small = shapely.box(50, 50, 250, 250)
    big = shapely.box(400, 50, 950, 550)
    rng = np.random.default_rng(0)
    shops = [shapely.Point(x, y) for x, y in rng.uniform([20, 20], [980, 580], (40, 2))
             if not (small.contains(shapely.Point(x, y)) or big.contains(shapely.Point(x, y)))]
    objs = frame([small, big] + shops,
                 id=["c-small", "c-big"] + [f"s{i}" for i in range(len(shops))],
                 type=["compound", "compound"] + ["shop"] * len(shops),
                 households=[150.0, 1500.0] + [0.0] * len(shops))
    res = partition(parent, objs, target_workload=300)
    assert "c-small" in res.report["compounds"]["kept_whole"]
    split = {s["id"] for s in res.report["compounds"]["split"]}
    assert "c-big" in split
    cells = res.cells
    small_mg = set(cells.loc[cells["compound_id"] == "c-small", "microgrid"])
    assert len(small_mg) == 1
    # households of the big compound are spread over several microgrids by area
    shares = [s for s in res.report["compounds"]["split"] if s["id"] == "c-big"][0]
    assert sum(shares["households_by_microgrid"].values()) == pytest.approx(1500, abs=1)
    assert len(shares["households_by_microgrid"]) >= 4


def test_compound_households_are_not_counted_twice():
    comp = shapely.box(100, 100, 300, 300)
    objs = frame([comp, shapely.box(120, 120, 150, 140), shapely.box(200, 200, 230, 220)],
                 id=["c", "b1", "b2"], type=["compound", "building", "building"],
                 households=[200.0, 80.0, 70.0])
    parent = gpd.GeoSeries(to_storage([shapely.box(0, 0, 400, 400)]).values, crs="EPSG:4490")
    res = partition(parent, objs, n_microgrids=1, weights={"building": 0})
    assert res.report["total_households"] == pytest.approx(200.0)
    rec = res.report["reconciled_compounds"][0]
    assert rec["id"] == "c" and rec["counted"] == pytest.approx(50.0)


def test_business_rule_groups_similar_trades():
    # two rows of towers: finance on the west, catering on the east, interleaved rows
    pts, types = [], []
    for i in range(6):
        for j in range(4):
            pts.append(shapely.box(50 + i * 80, 50 + j * 80, 90 + i * 80, 90 + j * 80))
            types.append("finance" if j < 2 else "catering")
    objs = frame(pts, id=[f"t{i}" for i in range(len(pts))], type="building",
                 households=0.0, business_type=types)
    parent = gpd.GeoDataFrame({"id": ["g"], "kind": ["business"]},
                              geometry=to_storage([shapely.box(0, 0, 520, 360)]).values,
                              crs="EPSG:4490")
    def purity(res):
        a = res.objects[["business_type", "microgrid"]]
        return a.groupby("microgrid")["business_type"].agg(lambda s: s.value_counts().iloc[0]
                                                           / len(s)).mean()
    by_type = partition(parent, objs, n_microgrids=2, type_weight=1.0)
    assert purity(by_type) == pytest.approx(1.0)
    assert type_dissimilarity("bank", "finance") < type_dissimilarity("finance", "catering")


def test_building_groups_are_listed_per_microgrid(small_case):
    parent, objects, roads = small_case
    res = partition(parent, objects, roads, n_microgrids=4, group_size=3)
    g = res.groups
    assert len(g) == res.microgrids["n_building_groups"].sum() > 0
    residential = set(res.objects.loc[res.objects["hh_work"] > 0, "id"])
    grouped = {o for ids in g["object_ids"] for o in ids}
    assert grouped == residential
    for mg, ids in zip(res.microgrids["id"], res.microgrids["building_groups"]):
        members = {o for group in ids for o in group}
        assert members <= set(res.assignment[res.assignment == mg].index)


def test_report_is_json_serialisable(small_case):
    import json
    parent, objects, roads = small_case
    res = partition(parent, objects, roads, n_microgrids=3)
    text = json.dumps(res.report, ensure_ascii=False)
    back = json.loads(text)
    assert back["n_microgrids"] == 3
    assert {"workload", "compactness", "road_crossings", "estimated", "microgrids"} <= set(back)
    assert len(back["microgrids"]) == 3


def test_multipart_parent_gets_a_microgrid_per_part():
    a, b = shapely.box(0, 0, 300, 300), shapely.box(500, 0, 800, 300)
    parent = gpd.GeoSeries(to_storage([shapely.MultiPolygon([a, b])]).values, crs="EPSG:4490")
    pts = [shapely.Point(x, y) for x in (50, 150, 250, 550, 650, 750) for y in (50, 250)]
    objs = frame(pts, id=[f"p{i}" for i in range(12)], type="building", households=10.0)
    res = partition(parent, objs, n_microgrids=1)
    assert len(res.microgrids) == 2
    assert (res.microgrids.geom_type == "Polygon").all()
    assert any("instead of" in w for w in res.report["warnings"])


def test_objects_outside_parent_are_reported_not_assigned():
    parent = gpd.GeoSeries(to_storage([shapely.box(0, 0, 300, 300)]).values, crs="EPSG:4490")
    objs = frame([shapely.Point(100, 100), shapely.Point(900, 900)], id=["in", "out"],
                 type="building", households=5.0)
    res = partition(parent, objs, n_microgrids=1)
    assert list(res.assignment.index) == ["in"]
    assert res.report["objects"]["outside_parent"] == ["out"]


def test_inputs_are_checked_at_the_door():
    parent = gpd.GeoSeries(to_storage([shapely.box(0, 0, 300, 300)]).values, crs="EPSG:4490")
    good = frame([shapely.Point(100, 100)], id=["a"], type="building", households=5.0)
    with pytest.raises(CRSError):
        partition(parent, good.set_crs(None, allow_override=True), n_microgrids=1)
    with pytest.raises(CRSError):
        partition(parent, good.to_crs(3857), n_microgrids=1)
    bad = frame([shapely.Point(100, 100), shapely.Point(50, 50),
                 shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])],
                id=["a", "a", "b"], type=["building", "spaceship", "building"], households=1.0)
    with pytest.raises(ValidationError) as err:
        partition(parent, bad, n_microgrids=1)
    reasons = " ".join(p.reason for p in err.value.problems)
    assert "duplicate id" in reasons and "spaceship" in reasons and "Self-intersection" in reasons
    with pytest.raises(InputError, match="not both"):
        partition(parent, good, n_microgrids=2, target_workload=100)
    with pytest.raises(InputError, match="type_weight"):
        partition(parent, good, n_microgrids=1, type_weight=2)
    with pytest.raises(InputError, match="unknown partition option"):
        partition(parent, good, n_microgrid=1)
