"""Invariants of the engine on random parents and objects (hypothesis).

A partition must tile its parent exactly (no gap or overlap over 1 m²), give
one polygon per microgrid and assign every object exactly once — for convex
and concave parents, parents with holes, roads or none, points and polygons,
coincident points and points on the parent's edge.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geogrid.partition import partition
from geogrid.validate import validate_plan

from partition_helpers import tiling_errors, to_storage


@st.composite
def parents(draw):
    """A random star-shaped (often concave) polygon, possibly with a hole, in metres."""
    n = draw(st.integers(5, 14))
    radii = draw(st.lists(st.floats(250, 900), min_size=n, max_size=n))
    jitter = draw(st.lists(st.floats(-0.2, 0.2), min_size=n, max_size=n))
    angles = np.sort((np.arange(n) + np.array(jitter)) * 2 * np.pi / n)
    shell = np.c_[np.cos(angles) * radii, np.sin(angles) * radii]
    poly = shapely.Polygon(shell)
    if draw(st.booleans()):
        r = draw(st.floats(40, 120))
        hole = shapely.Point(draw(st.floats(-60, 60)), draw(st.floats(-60, 60))).buffer(r, 3)
        if poly.contains(hole.buffer(20)):
            poly = shapely.Polygon(shell, [np.asarray(hole.exterior.coords)])
    return shapely.make_valid(poly) if not poly.is_valid else poly


@st.composite
def cases(draw):
    poly = draw(parents())
    if poly.geom_type != "Polygon":
        poly = max(shapely.get_parts(poly), key=shapely.area)
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(1, 120))
    minx, miny, maxx, maxy = poly.bounds
    pts = shapely.points(rng.uniform(minx, maxx, 6 * n), rng.uniform(miny, maxy, 6 * n))
    pts = list(pts[shapely.contains(poly, pts)][:n])
    if not pts:
        pts = [shapely.point_on_surface(poly)]
    geoms, types = [], []
    for i, p in enumerate(pts):
        kind = rng.random()
        if kind < 0.25:
            w = rng.uniform(4, 30)
            geoms.append(shapely.box(p.x - w / 2, p.y - w / 2, p.x + w / 2, p.y + w / 2)
                         .intersection(poly))
            types.append("building")
        else:
            geoms.append(p)
            types.append(["building", "shop", "address", "institution", "plaza"][i % 5])
    if draw(st.booleans()) and len(geoms) > 2:      # coincident points
        geoms.append(shapely.Point(pts[0].x, pts[0].y))
        types.append("shop")
    if draw(st.booleans()):                         # a point on the parent's edge
        geoms.append(shapely.line_interpolate_point(poly.exterior, 0.37, normalized=True))
        types.append("address")
    keep = [not g.is_empty and g.area >= 0 for g in geoms]
    geoms = [g if g.geom_type in ("Point", "Polygon") else
             max(shapely.get_parts(g), key=shapely.area) for g, k in zip(geoms, keep) if k]
    types = [t for t, k in zip(types, keep) if k]
    hh = rng.integers(0, 90, len(geoms)).astype(float)
    objects = gpd.GeoDataFrame({"id": [f"x{i}" for i in range(len(geoms))], "type": types,
                                "households": hh}, geometry=to_storage(geoms).values,
                               crs="EPSG:4490")
    roads = None
    if draw(st.booleans()):
        lines = []
        for _ in range(draw(st.integers(1, 6))):
            a = rng.uniform(0, 2 * np.pi)
            c = rng.uniform(-200, 200, 2)
            d = np.array([np.cos(a), np.sin(a)]) * 1500
            lines.append(shapely.LineString([c - d, c + d]))
        roads = gpd.GeoDataFrame({"id": [f"r{i}" for i in range(len(lines))],
                                  "kind_detail": rng.choice(["primary", "residential", "footway"],
                                                            len(lines))},
                                 geometry=to_storage(lines).values, crs="EPSG:4490")
    k = draw(st.integers(1, 12))
    parent = gpd.GeoSeries(to_storage([poly]).values, crs="EPSG:4490")
    return parent, objects, roads, k


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_partition_tiles_parent_and_assigns_every_object_once(case):
    parent, objects, roads, k = case
    res = partition(parent, objects, roads, n_microgrids=k)
    mg = res.microgrids
    gap, overlap = tiling_errors(parent, mg)
    assert gap < 1.0, f"gap/outside area {gap} m²"
    assert overlap < 1.0, f"overlap {overlap} m²"
    assert (mg.geom_type == "Polygon").all(), mg.geom_type.value_counts().to_dict()
    assert mg.is_valid.all()
    assert 1 <= len(mg) <= k
    # every object exactly once, into an existing microgrid
    assert res.assignment.index.is_unique
    assert set(res.assignment.index) == set(objects["id"])
    assert set(res.assignment.unique()) <= set(mg["id"])
    report = validate_plan(parent, mg, objects, assignment=res.assignment)
    errors = [i for i in report.issues if i.severity == "error"]
    assert not errors, report.to_text()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_partition_is_deterministic_and_order_independent(case):
    parent, objects, roads, k = case
    a = partition(parent, objects, roads, n_microgrids=k)
    shuffled = objects.sample(frac=1.0, random_state=7)
    b = partition(parent, shuffled, roads, n_microgrids=k)
    assert a.assignment.sort_index().equals(b.assignment.sort_index())
    wa = [g.wkb for g in a.microgrids.geometry]
    wb = [g.wkb for g in b.microgrids.geometry]
    assert wa == wb
    assert a.microgrids["workload"].tolist() == b.microgrids["workload"].tolist()
