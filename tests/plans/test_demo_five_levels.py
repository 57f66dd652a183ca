"""The demo street: five levels, derived communities, pro-rata microgrid counts, placed teams."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
import shapely

from geogrid.communities import derive_communities, extent_edges, pro_rata_quota
from geogrid.services.demo import (REPORTED_MICROGRIDS, STREET_KM2, covered_km2,
                                   demo_communities, load_demo)
from tests.support.tiling import plan_problems

LEVELS = ("street", "grid", "community", "microgrid", "building_group")


@pytest.fixture(scope="module")
def communities(demo_frames):
    return demo_communities(demo_frames)


def test_derived_communities_tile_every_grid(demo_frames, communities):
    grids = demo_frames["grids"]
    for grid in grids.itertuples():
        mine = communities[communities["parent_id"] == grid.id]
        assert len(mine) >= 1
        union = shapely.union_all(mine.geometry.values)
        assert shapely.symmetric_difference(union, grid.geometry).area < 1e-12
        overlap = sum(a.intersection(b).area for i, a in enumerate(mine.geometry)
                      for b in mine.geometry.values[i + 1:])
        assert overlap < 1e-12
    assert all(a["derived"] is True and a["note"] for a in communities["attrs"])


def test_each_compound_lies_in_the_residential_community_named_after_it(demo_frames, communities):
    objs = demo_frames["objects"]
    compounds = objs[objs["type"] == "compound"]
    for c in compounds.itertuples():
        home = communities[communities.geometry.contains(c.geometry.representative_point())]
        assert len(home) == 1
        if home["kind"].iat[0] == "residential":
            assert home["name"].iat[0] == f"{c.name}居民区"
    business = communities[communities["kind"] == "business"]
    assert set(business["name"]) == {f"{n}商务区" for n in
                                     demo_frames["grids"].query("kind == 'business'")["name"]}


def test_quota_is_the_reported_count_scaled_to_the_covered_area(demo_frames, communities):
    share = covered_km2(demo_frames["street"]) / STREET_KM2
    assert 0.5 < share < 1.0
    for kind, reported in REPORTED_MICROGRIDS.items():
        got = int(communities.loc[communities["kind"] == kind, "n_microgrids"].sum())
        assert got == round(reported * share)
    assert (communities["n_microgrids"] >= 1).all()


def test_pro_rata_quota_shares_by_largest_remainder():
    assert pro_rata_quota(10, 1.0, 1.0, {"a": 1.0, "b": 1.0, "c": 1.0}) == {"a": 4, "b": 3, "c": 3}
    assert pro_rata_quota(10, 1.0, 2.0, {"a": 0.0, "b": 0.0}) == {"a": 3, "b": 2}
    assert sum(pro_rata_quota(252, 5.0, 6.89, {"a": 5.0, "b": 2.0, "c": 0.1}).values()) == 183


def test_a_grid_without_compounds_is_one_community():
    grid = gpd.GeoDataFrame({"id": ["g"], "name": ["甲"], "kind": ["residential"], "code": ["1"]},
                            geometry=[shapely.box(0, 0, 1, 1)], crs=4490)
    none = gpd.GeoDataFrame({"id": [], "name": []}, geometry=[], crs=4490)
    out = derive_communities(grid, none)
    assert list(out["name"]) == ["甲居民区"] and out.geometry.iat[0].equals(grid.geometry.iat[0])


def test_extent_edges_are_the_cut_lines_only(demo_frames):
    poly = shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1.5), (0, 1)])
    edges = extent_edges(poly, (-1, -1, 2, 2))
    assert [round(g.length, 4) for g in edges.geoms] == [1.0]      # the x = 2 side only
    assert extent_edges(poly, (-1, -1, 3, 3)).is_empty
    extent = demo_frames["data_extent"]
    street = demo_frames["street"].geometry.iat[0]
    assert len(extent) >= 1 and not extent["real_boundary"].any()
    assert set(extent["label"]) == {"数据范围边界"}
    frame = shapely.box(*shapely.MultiLineString(list(extent.geometry)).bounds)
    for line in extent.geometry:   # on the street's boundary, and on the extract's rectangle
        assert street.boundary.buffer(1e-6).contains(line)
        assert frame.boundary.buffer(1e-6).contains(line)
        assert line.length > 1e-3


def test_demo_store_has_five_levels_and_the_quota(demo_store, demo_frames, communities):
    plan = demo_store.active_plan()
    areas = demo_store.areas(int(plan["id"]))
    assert set(LEVELS) <= set(areas["level"])
    mg = areas[areas["level"] == "microgrid"]
    comm = areas[areas["level"] == "community"].set_index("id")
    assert set(mg["parent_id"]) <= set(comm.index)
    assert (mg.to_crs(32651).area > 10.0).all()     # no sliver microgrid (m²)
    for kind, reported in REPORTED_MICROGRIDS.items():
        kids = mg[mg["parent_id"].map(comm["kind"]) == kind]
        assert len(kids) == int(communities.loc[communities["kind"] == kind, "n_microgrids"].sum())
    assert all(a.get("derived") for a in comm["attrs"])
    assert plan["attrs"]["data_extent"]["features"]


def test_demo_texts_are_readable(demo_store):
    objs = demo_store.objects()
    assert not objs["address"].dropna().str.contains("号号").any()
    import pandas as pd
    import sqlalchemy as sa

    from geogrid.store import schema as S

    with demo_store.read() as conn:
        rows = conn.execute(sa.select(S.objects.c.uid, S.objects.c.attrs)).all()
    titles = pd.Series([(a or {}).get("title") for _, a in rows])
    assert len(titles) == len(objs) and titles.notna().all()
    assert not titles.str.contains(r"bldg-|addr-|poi-|\d{6,}", regex=True).any()
    assert titles.str.contains("未命名办公楼 #").any()


def test_every_microgrid_team_has_a_placed_responder_with_a_fictional_number(demo_store_any):
    store = demo_store_any  # what load_demo wrote, copied from one build on each store
    plan_id = load_demo(store)
    mg = store.areas(plan_id, level="microgrid").set_index("code")
    teams = store.responders.teams()
    by_code = {code: contact for code, _name, contact in teams}
    assert set(mg.index) <= set(by_code)
    phones = [c["office_phone"] for c in by_code.values()]
    assert len(set(phones)) == len(phones)
    assert all(p.startswith("021-5550") and "演示数据" in c["note"]
               for p, c in zip(phones, by_code.values()))
    placed = {}
    for r in store.responders.list():
        placed.setdefault(r["area_code"], []).append(r)
    for code, geom in zip(mg.index, mg.geometry):
        here = placed.get(code) or []
        assert here and all(geom.contains(shapely.Point(r["lon"], r["lat"])) for r in here)
        assert all(r["phone"].startswith("021-5550") for r in here)
    json.dumps(phones)
    names = [r["name"] for r in store.responders.list()]
    assert len(names) == len(mg) and len(set(names)) == len(names)
    assert all(re.fullmatch(r"演示网格员\d{3}", n) for n in names)


def test_demo_plan_tiles_at_every_level_with_unit_grid_codes(demo_store):
    """No gap or overlap at any level (across communities too), 楼组 inside their
    microgrid; microgrids 15-digit CJ/T 213 codes under their grid's; a community
    its grid's code, a dash and a serial, which no unit-grid code can equal."""
    areas = demo_store.areas(int(demo_store.active_plan()["id"]))
    assert plan_problems(areas) == []
    by_id = areas.set_index("id")
    comm = by_id[by_id["level"] == "community"]
    for cid, row in comm.iterrows():
        grid_code = by_id.loc[row["parent_id"], "code"]
        assert re.fullmatch(rf"{grid_code}-\d{{2}}", row["code"]), (cid, row["code"])
    mg = by_id[by_id["level"] == "microgrid"]
    assert mg["code"].str.fullmatch(r"\d{15}").all() and mg["code"].is_unique
    names = mg.groupby(mg["code"].str[:12])["name"].agg(lambda s: s.is_unique)
    assert names.all()   # 第N微网格 numbered across the grid, as the codes are
