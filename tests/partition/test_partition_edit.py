"""Plan edits: moves, splits and merges keep exact tiling and contiguity, or refuse."""

from __future__ import annotations

import numpy as np
import pytest

from geogrid.partition import (PlanEditError, diff_assignments, merge_microgrids, move_cells,
                               move_objects, partition, restore_result, split_microgrid)
from geogrid.validate import validate_plan

from partition_helpers import synthetic_case, tiling_errors


@pytest.fixture(scope="module")
def plan():
    parent, objects, roads = synthetic_case(300, seed=8)
    return parent, objects, partition(parent, objects, roads, n_microgrids=5)


def _boundary_cell(res):
    """A cell on a microgrid edge whose move keeps its microgrid connected."""
    labels = res.cells["microgrid"].to_numpy()
    e = res.edges
    for a, b in zip(e["a"], e["b"]):
        for v, u in ((a, b), (b, a)):
            if labels[v] != labels[u]:
                try:
                    return v, labels[u], move_cells(res, [v], int(labels[u]))
                except PlanEditError:
                    continue
    raise AssertionError("no movable cell")


def _valid(parent, objects, res):
    report = validate_plan(parent, res.microgrids, objects, assignment=res.assignment)
    assert report.ok, report.to_text()
    gap, overlap = tiling_errors(parent, res.microgrids)
    assert gap < 1.0 and overlap < 1.0
    assert (res.microgrids.geom_type == "Polygon").all()


def test_move_cell_re_dissolves_and_keeps_ids(plan):
    parent, objects, res = plan
    cell, target, moved = _boundary_cell(res)
    _valid(parent, objects, moved)
    assert list(moved.microgrids["id"]) == list(res.microgrids["id"])
    assert moved.cells.set_index("cell").loc[cell, "microgrid"] == target
    changes = diff_assignments(res.assignment, moved.assignment)
    objs_in_cell = set(res.cells.set_index("cell").loc[cell, "object_ids"])
    assert set(changes["object_id"]) == objs_in_cell
    assert (changes["to_microgrid"] == target).all()
    assert res.cells.set_index("cell").loc[cell, "microgrid"] != target  # input unchanged


def test_move_objects_and_cellmates(plan):
    _, _, res = plan
    cell, target, _ = _boundary_cell(res)
    ids = res.cells.set_index("cell").loc[cell, "object_ids"]
    moved = move_objects(res, ids, target)
    assert (moved.assignment[ids] == target).all()
    with pytest.raises(PlanEditError, match="not in this plan"):
        move_objects(res, ["nope"], target)


def test_move_that_breaks_contiguity_is_refused(plan):
    _, _, res = plan
    labels = res.cells["microgrid"].to_numpy()
    mg = int(res.microgrids["id"].iloc[0])
    cells = np.flatnonzero(labels == mg)
    other = int(res.microgrids["id"].iloc[1])
    # moving all but one cell of a microgrid somewhere else cannot stay contiguous for both
    with pytest.raises(PlanEditError):
        for c in cells:
            res = move_cells(res, [int(c)], other)
    with pytest.raises(PlanEditError, match="empty"):
        move_cells(plan[2], cells.tolist(), other)
    with pytest.raises(PlanEditError, match="not a microgrid"):
        move_cells(plan[2], [0], 999)


def test_split_and_merge_round_trip(plan):
    parent, objects, res = plan
    big = int(res.microgrids.sort_values("n_cells").iloc[-1]["id"])
    split = split_microgrid(res, big)
    assert len(split.microgrids) == len(res.microgrids) + 1
    new_id = int(split.microgrids["id"].max())
    _valid(parent, objects, split)
    w = split.microgrids.set_index("id")["workload"]
    assert abs(w[big] - w[new_id]) / (w[big] + w[new_id]) < 0.25
    merged = merge_microgrids(split, big, new_id)
    _valid(parent, objects, merged)
    assert merged.assignment.sort_index().equals(res.assignment.sort_index())
    back = diff_assignments(res.assignment, merged.assignment)
    assert back.empty


def test_merge_requires_neighbours(plan):
    _, _, res = plan
    labels = res.cells["microgrid"].to_numpy()
    e = res.edges
    pairs = {(min(labels[a], labels[b]), max(labels[a], labels[b])) for a, b in zip(e["a"], e["b"])}
    ids = sorted(res.microgrids["id"])
    far = [(a, b) for a in ids for b in ids if a < b and (a, b) not in pairs]
    if far:
        with pytest.raises(PlanEditError, match="do not share"):
            merge_microgrids(res, *far[0])
    with pytest.raises(PlanEditError, match="same"):
        merge_microgrids(res, ids[0], ids[0])


def test_diff_reports_added_and_removed():
    import pandas as pd
    old = pd.Series({"a": 1, "b": 2, "c": 3})
    new = pd.Series({"a": 1, "b": 3, "d": 1})
    d = diff_assignments(old, new)
    assert d.to_dict("records") == [
        {"object_id": "b", "from_microgrid": 2, "to_microgrid": 3, "change": "moved"},
        {"object_id": "c", "from_microgrid": 3, "to_microgrid": None, "change": "removed"},
        {"object_id": "d", "from_microgrid": None, "to_microgrid": 1, "change": "added"}]


def test_restore_from_stored_parts_and_edit(plan, tmp_path):
    parent, objects, res = plan
    # persist the parts as a store would (GeoPackage round trip), then restore
    cells = res.cells.drop(columns=["object_ids"])
    cells.to_file(tmp_path / "p.gpkg", layer="cells")
    objs = res.objects.drop(columns=["seed"])
    objs["seed_wkt"] = res.objects["seed"].to_wkt()
    objs.to_file(tmp_path / "p.gpkg", layer="objects")
    res.edges.to_csv(tmp_path / "edges.csv", index=False)
    import geopandas as gpd
    import pandas as pd
    back_cells = gpd.read_file(tmp_path / "p.gpkg", layer="cells")
    back_objs = gpd.read_file(tmp_path / "p.gpkg", layer="objects")
    back_objs["seed"] = gpd.GeoSeries.from_wkt(back_objs.pop("seed_wkt"), crs=back_objs.crs)
    edges = pd.read_csv(tmp_path / "edges.csv", dtype={"source": object})
    restored = restore_result(parent, back_cells, edges, back_objs)
    assert restored.assignment.sort_index().equals(res.assignment.sort_index())
    assert list(restored.microgrids["id"]) == list(res.microgrids["id"])
    assert np.allclose(restored.microgrids["workload"], res.microgrids["workload"])
    _valid(parent, objects, restored)
    big = int(restored.microgrids.sort_values("n_cells").iloc[-1]["id"])
    _valid(parent, objects, split_microgrid(restored, big))


def test_restore_keeps_building_groups_of_split_compounds(lujiazui):
    """楼组 rebuilt from the stored cells and objects are those of the first run, also
    for a compound shared out over several microgrids (undo/redo must restore them)."""
    grids = lujiazui["grids"]
    grid = grids[grids["name"] == "梅园住区"]
    objs = lujiazui["objects"][lujiazui["objects"].intersects(grid.geometry.iloc[0])]
    res = partition(grid, objs, lujiazui["roads"], target_workload=300, measure_rules=False)
    assert res.report["compounds"]["split"], "the case needs a compound split over microgrids"
    back = restore_result(grid, res.cells, res.edges, res.objects)
    cols = ["id", "n_building_groups", "households"]
    assert back.microgrids[cols].round(6).equals(res.microgrids[cols].round(6))
    assert back.groups["object_ids"].tolist() == res.groups["object_ids"].tolist()
    assert np.allclose(back.groups["households"], res.groups["households"])
