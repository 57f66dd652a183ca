"""Drawn edits: a line splits a microgrid, a new shared boundary moves the cells between
two neighbours; either way the plan still tiles its parent, each microgrid stays one
piece, objects follow their cells, and a line that cuts nothing is refused."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geogrid.partition import PlanEditError, cut_along_line, diff_assignments, partition

from partition_helpers import synthetic_case, tiling_errors
from test_partition_edit import _valid


@pytest.fixture(scope="module")
def plan():
    parent, objects, roads = synthetic_case(300, seed=8)
    return parent, objects, partition(parent, objects, roads, n_microgrids=5)


def _across(geom, frac: float = 0.5, vertical: bool = False) -> shapely.LineString:
    """A straight line right across ``geom`` (parent CRS) at ``frac`` of its extent."""
    x0, y0, x1, y1 = geom.bounds
    pad = 0.2 * max(x1 - x0, y1 - y0)
    if vertical:
        x = x0 + frac * (x1 - x0)
        return shapely.LineString([(x, y0 - pad), (x, y1 + pad)])
    y = y0 + frac * (y1 - y0)
    return shapely.LineString([(x0 - pad, y), (x1 + pad, y)])


def _invariants(parent, objects, before, after, members):
    _valid(parent, objects, after)
    gap, overlap = tiling_errors(parent, after.microgrids)
    assert gap < 1.0 and overlap < 1.0
    old = before.cells["microgrid"].to_numpy()
    new = after.cells["microgrid"].to_numpy()
    changed = np.flatnonzero(old != new)
    assert len(changed) and set(old[changed]) <= set(members)  # only the members' cells change
    # objects follow their cells, and nothing else moves
    moved = diff_assignments(before.assignment, after.assignment)
    in_changed = {str(o) for c in changed for o in before.cells["object_ids"].iat[c]}
    assert set(moved["object_id"].astype(str)) == in_changed
    assert np.isclose(after.microgrids["workload"].sum(), before.microgrids["workload"].sum())
    return changed


def test_a_line_splits_a_microgrid_along_cell_edges(plan):
    parent, objects, res = plan
    big = res.microgrids.sort_values("n_cells").iloc[-1]
    mg = int(big["id"])
    new = cut_along_line(res, [mg], _across(big.geometry, 0.5, vertical=True))
    assert len(new.microgrids) == len(res.microgrids) + 1
    fresh = int(new.microgrids["id"].max())
    assert fresh == int(res.microgrids["id"].max()) + 1
    changed = _invariants(parent, objects, res, new, [mg])
    assert set(new.cells["microgrid"].to_numpy()[changed]) == {fresh}
    # the two halves together are the old microgrid, cell for cell
    halves = new.microgrids.set_index("id").loc[[mg, fresh]].geometry
    assert abs(shapely.union_all(halves.values).area - big.geometry.area) < 1e-9 * big.geometry.area + 1e-12
    # the line snapped to cell edges: every new microgrid is a union of whole cells
    old_cells = set(np.flatnonzero(res.cells["microgrid"].to_numpy() == mg))
    assert set(np.flatnonzero(new.cells["microgrid"].to_numpy() == fresh)) < old_cells


def test_a_new_shared_boundary_moves_the_cells_between_them(plan):
    parent, objects, res = plan
    labels = res.cells["microgrid"].to_numpy()
    e = res.edges
    pairs = sorted({(int(min(labels[a], labels[b])), int(max(labels[a], labels[b])))
                    for a, b in zip(e["a"], e["b"]) if labels[a] != labels[b]})
    geom = res.microgrids.set_index("id").geometry
    done = 0
    for a, b in pairs:
        union = geom[a].union(geom[b])
        for frac in (0.35, 0.5, 0.65):
            for vertical in (False, True):
                try:
                    new = cut_along_line(res, [a, b], _across(union, frac, vertical))
                except PlanEditError:
                    continue
                assert len(new.microgrids) == len(res.microgrids)
                _invariants(parent, objects, res, new, [a, b])
                done += 1
    assert done >= 3   # the synthetic plan offers several boundaries that can be redrawn


def test_lines_that_cut_nothing_are_refused(plan):
    _, _, res = plan
    mg = res.microgrids.iloc[0]
    x0, y0, x1, y1 = mg.geometry.bounds
    outside = shapely.LineString([(x1 + 1, y1 + 1), (x1 + 2, y1 + 2)])
    with pytest.raises(PlanEditError, match="没有穿过"):
        cut_along_line(res, [int(mg["id"])], outside)
    with pytest.raises(PlanEditError, match="至少要有两个"):
        cut_along_line(res, [int(mg["id"])], [(x0, y0)])
    with pytest.raises(PlanEditError, match="经度, 纬度"):
        cut_along_line(res, [int(mg["id"])], [("a", "b"), (1, 2)])
    with pytest.raises(PlanEditError, match="一个微网格"):
        cut_along_line(res, [], outside)
    with pytest.raises(PlanEditError, match="not a microgrid"):
        cut_along_line(res, [999], outside)
