"""Drawing one level up, stored on SpatiaLite and PostGIS alike: a line across a 社区 or a
网格 moves whole children to the other side, keeps every level tiling, and is one edit
that undo and redo put back exactly."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid._errors import GeoGridError
from geogrid.hierarchy import check_plan
from geogrid.model import parse_levels
from geogrid.services.planning import PlanningService

HZ = parse_levels("街道=street,社区=community,网格=grid")
W, H = 0.004, 0.003   # a 网格 is 4 × 3 milli-degrees (about 380 m × 330 m)


def _hangzhou(store) -> int:
    """街道 → two 社区 side by side → three 网格 in a row in each (exact tiling)."""
    rows = [{"id": "jd", "level": "街道", "name": "留下街道", "parent_id": None,
             "geometry": shapely.box(120.0, 30.0, 120.0 + 6 * W, 30.0 + H)}]
    for s in range(2):
        sq = f"SQ-{s + 1}"
        rows.append({"id": sq, "level": "社区", "name": f"第{s + 1}社区", "parent_id": "jd",
                     "geometry": shapely.box(120.0 + 3 * s * W, 30.0, 120.0 + 3 * (s + 1) * W,
                                             30.0 + H)})
        for g in range(3):
            x = 120.0 + (3 * s + g) * W
            rows.append({"id": f"{sq}-{g + 1}", "level": "网格", "name": f"{sq}第{g + 1}网格",
                         "parent_id": sq, "geometry": shapely.box(x, 30.0, x + W, 30.0 + H)})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4490")
    with store.write() as conn:
        plan = store.create_plan(conn, name="留下", street_code="330106001", levels=HZ)
        store.add_areas(conn, plan, frame)
    return plan


def _snapshot(store, plan_id):
    a = store.areas(plan_id).sort_values("id")
    return list(zip(a["id"], a["parent_id"], shapely.to_wkb(a.geometry.values)))


def _same_plan(store, plan_id, snapshot) -> None:
    """The plan's areas are those of ``snapshot``: same ids and parents, and outlines equal
    to within 0.01 m² (microgrids are re-dissolved from their saved cells)."""
    now = _snapshot(store, plan_id)
    assert [(i, p) for i, p, _ in now] == [(i, p) for i, p, _ in snapshot]
    for (i, _, a), (_, _, b) in zip(now, snapshot):
        diff = shapely.from_wkb(a).symmetric_difference(shapely.from_wkb(b)).area
        assert diff < 1e-12, i


def _tiles(store, plan_id):
    """Every problem of the plan (gaps, overlaps, containment, orphans, …)."""
    return [(i.kind, i.ids) for i in check_plan(store.areas(plan_id), HZ).issues]


def test_split_and_redraw_one_level_up(store):
    plan = _hangzhou(store)
    svc = PlanningService(store)
    version = lambda: store.plan(plan)["version"]  # noqa: E731
    start = _snapshot(store, plan)
    # a line across 第1社区 just past its first 网格 (10 % into the second): split
    x = 120.0 + 1.1 * W
    out = svc.edit(plan, "cut", actor="t", expected_version=version(), microgrids=["SQ-1"],
                   line=[[x, 29.999], [x, 30.0 + H + 0.001]])
    assert out["moved_areas"] == ["SQ-1-2", "SQ-1-3"] or out["moved_areas"] == ["SQ-1-1"]
    [new] = out["new_areas"]
    areas = store.areas(plan).set_index("id")
    assert areas.loc[new, "level"] == "community" and areas.loc[new, "parent_id"] == "jd"
    assert "（新" in areas.loc[new, "name"]
    kids = {k: areas.loc[k, "parent_id"] for k in ("SQ-1-1", "SQ-1-2", "SQ-1-3")}
    assert sorted(kids.values()) == sorted(["SQ-1", new, new]) or \
        sorted(kids.values()) == sorted(["SQ-1", "SQ-1", new])
    for sq in ("SQ-1", new):   # each 社区 is exactly the union of its 网格
        mine = [areas.loc[k, "geometry"] for k, p in kids.items() if p == sq]
        assert shapely.union_all(mine).symmetric_difference(areas.loc[sq, "geometry"]).area < 1e-12
    assert _tiles(store, plan) == []
    after_split = _snapshot(store, plan)
    # a shared boundary redrawn between the two original 社区: SQ-2-1 goes west
    x = 120.0 + 4.1 * W
    out = svc.edit(plan, "cut", actor="t", expected_version=version(),
                   microgrids=["SQ-2", new if kids["SQ-1-3"] == new else "SQ-1"],
                   line=[[x, 29.999], [x, 30.0 + H + 0.001]])
    assert out["moved_areas"] == ["SQ-2-1"] and out["new_areas"] == []
    assert store.areas(plan, uids=["SQ-2-1"])["parent_id"].iat[0] != "SQ-2"
    assert _tiles(store, plan) == []
    # one edit each: undo puts back exactly, twice over, and redo again
    svc.undo(plan, actor="t", expected_version=version())
    assert _snapshot(store, plan) == after_split
    svc.undo(plan, actor="t", expected_version=version())
    assert _snapshot(store, plan) == start
    svc.redo(plan, actor="t", expected_version=version())
    assert _snapshot(store, plan) == after_split


def test_a_child_cut_by_the_line_is_refused_and_nothing_changes(store):
    plan = _hangzhou(store)
    svc = PlanningService(store)
    start = _snapshot(store, plan)
    x = 120.0 + 1.5 * W   # through the middle of SQ-1-2
    with pytest.raises(GeoGridError, match="穿过了下级区域 SQ-1第2网格") as err:
        svc.edit(plan, "cut", actor="t", expected_version=store.plan(plan)["version"],
                 microgrids=["SQ-1"], line=[[x, 29.999], [x, 30.0 + H + 0.001]])
    assert err.value.field == "line" and "SQ-1-2" in err.value.value
    with pytest.raises(GeoGridError, match="没有穿过"):   # a line beside the 社区
        svc.edit(plan, "cut", actor="t", expected_version=store.plan(plan)["version"],
                 microgrids=["SQ-1"], line=[[121.0, 29.9], [121.0, 30.1]])
    assert _snapshot(store, plan) == start and svc.history(plan) == []


def test_demo_grid_redrawn_moves_its_communities(demo_store_any):
    """On the five-level demo: a line across a 网格 moves whole 居民区 (and their microgrids
    with them), one undoable edit."""
    store = demo_store_any  # the demo copied from one build; load_demo returns its plan id
    from geogrid.services.demo import load_demo
    from geogrid.partition.redraw import regroup_along_line

    active = load_demo(store)
    svc = PlanningService(store)
    plan = store.copy_plan(active, name="redraw", actor="t")
    areas = store.areas(plan)
    comms = areas[areas["level"] == "community"]
    grid_id = comms["parent_id"].value_counts().index[0]   # the grid with most 居民区
    grid = areas[areas["id"] == grid_id]
    kids = comms[comms["parent_id"] == grid_id]
    x0, y0, x1, y1 = grid.total_bounds
    line = None   # the first vertical line that moves communities without cutting one
    for x in np.linspace(x0, x1, 41)[1:-1]:
        try:
            regroup_along_line(grid, kids, [[x, y0 - 1e-3], [x, y1 + 1e-3]])
            line = [[float(x), y0 - 1e-3], [float(x), y1 + 1e-3]]
            break
        except GeoGridError:
            continue
    assert line is not None
    members = store.memberships(plan).sort_index()
    before = _snapshot(store, plan)
    out = svc.edit(plan, "cut", actor="t", expected_version=store.plan(plan)["version"],
                   microgrids=[grid_id], line=line)
    [new] = out["new_areas"]
    moved = store.areas(plan, uids=out["moved_areas"])
    assert set(moved["parent_id"]) == {new} and len(moved) >= 1
    assert store.memberships(plan).sort_index().equals(members)   # objects stay in their microgrid
    report = check_plan(store.areas(plan), store.plan_levels(plan))
    assert not [i for i in report.issues if i.kind in ("gap", "overlap", "outside_parent",
                                                        "topology_error", "missing_children")
                and set(map(str, i.ids)) & {grid_id, new, *out["moved_areas"]}]
    mg = svc.stats(plan)["microgrids"]
    under = {m["grid_id"] for m in mg if m["parent_id"] in set(out["moved_areas"])}
    assert under == {new}   # the balance table follows the new parent
    svc.undo(plan, actor="t", expected_version=store.plan(plan)["version"])
    assert _snapshot(store, plan) == before


def _a_line(parent, kids):
    """The first vertical line across ``parent`` that moves children without cutting one."""
    from geogrid.partition.redraw import regroup_along_line

    x0, y0, x1, y1 = parent.total_bounds
    for x in np.linspace(x0, x1, 41)[1:-1]:
        line = [[float(x), y0 - 1e-3], [float(x), y1 + 1e-3]]
        try:
            regroup_along_line(parent, kids, line)
            return line
        except GeoGridError:
            continue
    return None


def test_demo_community_redrawn_carries_its_partitioned_microgrids(demo_store_any):
    """A line across a 居民区 whose microgrids were made by partitioning it: the microgrids
    on the far side go to a new 居民区 with their cells and objects; the new 居民区 can be
    edited at once (a cut of one of its microgrids); undo twice puts everything back."""
    store = demo_store_any  # the demo copied from one build; load_demo returns its plan id
    from geogrid.services.demo import load_demo

    active = load_demo(store)
    svc = PlanningService(store)
    plan = store.copy_plan(active, name="redraw-community", actor="t")
    areas = store.areas(plan)
    mgs = areas[areas["level"] == "microgrid"]
    line = None
    for cid in mgs["parent_id"].value_counts().index[:6]:   # the 居民区 with most microgrids
        comm = areas[areas["id"] == cid]
        line = _a_line(comm, mgs[mgs["parent_id"] == cid])
        if line:
            break
    assert line is not None
    before, members = _snapshot(store, plan), store.memberships(plan).sort_index()
    groups = sum(m["building_groups"] for m in svc.stats(plan)["microgrids"])
    version = lambda: store.plan(plan)["version"]  # noqa: E731
    out = svc.edit(plan, "cut", actor="t", expected_version=version(), microgrids=[cid],
                   line=line)
    [new] = out["new_areas"]
    now = store.areas(plan)
    theirs = now[(now["level"] == "microgrid") & (now["parent_id"] == new)]
    assert len(theirs) == len(out["moved_areas"]) > 0
    after = store.memberships(plan)
    assert sorted(after.index) == sorted(members.index)        # every object still held once
    moved = after[after.isin(set(theirs["id"]))]
    assert out["moved_objects"] == len(moved)
    assert set(members.reindex(moved.index)) <= set(out["moved_areas"])
    assert sum(m["building_groups"] for m in svc.stats(plan)["microgrids"]) == groups
    for area in (cid, new):   # each 居民区 still tiled by its microgrids
        [rep] = [g for g in svc.validate(plan, area)["grids"] if g["grid_id"] == area]
        c = rep["counts"]
        assert c["gap"] == 0 and c["overlap"] == 0 and c["multipart"] == 0, (area, c)
    # both rewritten tessellations are live: a microgrid of one of them is cut along a line
    cut = None
    both = now[(now["level"] == "microgrid") & now["parent_id"].isin([new, cid])]
    for uid, big in zip(both["id"], both.geometry.values):   # one with several cells
        x0, _, x1, _ = big.bounds
        y = big.representative_point().y
        try:
            cut = svc.edit(plan, "cut", actor="t", expected_version=version(),
                           microgrids=[uid], line=[[x0 - 3e-4, y], [x1 + 3e-4, y]])
            break
        except GeoGridError as e:
            assert e.field in ("line", "microgrid")   # a one-cell microgrid has nothing to cut
    assert cut is not None
    assert cut["microgrids"] == int((both["parent_id"] == both.set_index("id").loc[uid,
                                                                            "parent_id"]).sum()) + 1
    svc.undo(plan, actor="t", expected_version=version())
    svc.undo(plan, actor="t", expected_version=version())
    _same_plan(store, plan, before)
    assert store.memberships(plan).sort_index().equals(members)
    svc.redo(plan, actor="t", expected_version=version())
    assert store.memberships(plan).sort_index().equals(after.sort_index())
