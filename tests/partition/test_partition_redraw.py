"""Redrawing one level up (:func:`geogrid.partition.redraw.regroup_along_line`): children
move whole, the pair of parents covers exactly what it did, and every refusal says why."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geogrid.partition.edit import PlanEditError
from geogrid.partition.redraw import regroup_along_line

D = 1e-3   # a child is 1 × 1 milli-degree (about 95 m × 111 m)


def plan(cols: int, rows: int = 2, split_at: int | None = None):
    """Children in a cols × rows grid of boxes; one parent, or two split at column
    ``split_at`` (A west of it, B east)."""
    kids, parent_of = [], []
    for c in range(cols):
        for r in range(rows):
            kids.append(shapely.box(120 + c * D, 30 + r * D, 120 + (c + 1) * D, 30 + (r + 1) * D))
            parent_of.append("A" if split_at is None or c < split_at else "B")
    children = gpd.GeoDataFrame({"id": [f"k{i}" for i in range(len(kids))],
                                 "parent_id": parent_of}, geometry=kids, crs=4490)
    parents = children[["parent_id", "geometry"]].dissolve("parent_id").reset_index()
    return parents.rename(columns={"parent_id": "id"}), children


def vertical(x: float, rows: int = 2) -> list:
    return [(x, 30 - D), (x, 30 + (rows + 1) * D)]


def covered(out, parents) -> float:
    """Area (deg²) where the new outlines and the old ones differ."""
    new = shapely.union_all(list(out.geometries.values()))
    return new.symmetric_difference(shapely.union_all(parents.geometry.values)).area


def test_split_moves_the_smaller_side_to_a_new_area():
    parents, children = plan(4)
    out = regroup_along_line(parents, children, vertical(120 + 1.05 * D))
    assert sorted(out.geometries, key=str) == [1, "A"]
    # columns 0 (and the 5 % of column 1 west of the line) vs columns 1–3: the east keeps A
    assert set(out.moved) == {"k0", "k1"} and (out.parent_of[["k0", "k1"]] == 1).all()
    assert covered(out, parents) < 1e-15
    assert out.geometries[1].equals(shapely.box(120, 30, 120 + D, 30 + 2 * D))


def test_shared_boundary_moves_children_between_two_areas():
    parents, children = plan(4, split_at=2)
    out = regroup_along_line(parents, children, vertical(120 + 2.95 * D))
    assert set(out.moved) == {"k4", "k5"} and set(out.parent_of[out.moved]) == {"A"}
    assert set(out.geometries) == {"A", "B"} and covered(out, parents) < 1e-15
    assert shapely.intersection(out.geometries["A"], out.geometries["B"]).area < 1e-15


@pytest.mark.parametrize("line, match", [
    (vertical(120 + 1.5 * D), "穿过了下级区域"),          # through the middle of k2/k3
    ([(121, 29), (121, 31)], "没有穿过所选区域"),          # nowhere near
    ([(120.0005, 30.0005)] * 2, "没有穿过所选区域"),      # a point, not a line
])
def test_refusals_say_why(line, match):
    parents, children = plan(4)
    with pytest.raises(PlanEditError, match=match) as err:
        regroup_along_line(parents, children, line)
    assert err.value.field == "line"


def test_a_redraw_that_moves_nothing_or_empties_an_area_is_refused():
    parents, children = plan(4, split_at=2)
    with pytest.raises(PlanEditError, match="没有让任何下级区域换边"):
        regroup_along_line(parents, children, vertical(120 + 2.05 * D))
    with pytest.raises(PlanEditError, match="变空"):     # all four columns on one side
        regroup_along_line(parents, children, vertical(120 + 3.9 * D))


@settings(max_examples=40, deadline=None)
@given(cols=st.integers(2, 6), rows=st.integers(1, 4), frac=st.floats(0.02, 0.98),
       slope=st.floats(-0.1, 0.1))
def test_whole_children_and_exact_cover(cols, rows, frac, slope):
    """Any line either is refused or leaves every child whole under exactly one parent,
    parents that are the union of their children, and the same cover as before."""
    parents, children = plan(cols, rows)
    x = 120 + frac * cols * D
    line = [(x - slope * D, 30 - D), (x + slope * D, 30 + (rows + 1) * D)]
    try:
        out = regroup_along_line(parents, children, line)
    except PlanEditError as e:
        assert e.fix and e.field in ("line", "microgrids")
        return
    assert covered(out, parents) < 1e-14
    kid = dict(zip(children["id"], children.geometry.values))
    for p, geom in out.geometries.items():
        mine = [kid[k] for k, q in out.parent_of.items() if q == p]
        assert mine and shapely.union_all(mine).symmetric_difference(geom).area < 1e-14
    assert np.isin(out.moved, children["id"]).all() and len(out.moved) > 0
