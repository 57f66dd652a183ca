"""Seeds of the tessellation: where each object's cell grows from.

An object's own location seeds its cell; a large footprint adds seeds along
its outline so its cell wraps the whole building; a compound too heavy for one
cell gets a lattice of *virtual* seeds, so it can be shared out between
microgrids along its inner cells rather than in one piece.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["object_seeds", "LATTICE_PER_TARGET"]

#: virtual seeds per target workload in a compound too heavy for one cell: finer
#: cells let a split compound's boundary take a shorter line
LATTICE_PER_TARGET = 4.0


def object_seeds(objs: gpd.GeoDataFrame, comps: gpd.GeoDataFrame, target: float, *,
                 outline_m2: float = 500.0):
    """Seeds and their cell labels.

    The first ``len(objs)`` seeds are the objects' own locations, in row order;
    label ``i`` is object row ``i``'s, except that a point inside a building
    footprint takes the building's label and coincident points share one.
    Extra seeds follow: outline points of large footprints (the building's
    label) and lattices of virtual seeds in compounds too heavy for one cell
    (new labels, recorded in ``virtual``: label → compound row).
    """
    n = len(objs)
    seeds = np.asarray(objs["seed"].values, dtype=object)
    label = np.arange(n, dtype=np.int64)
    if n == 0:
        return seeds, label, {}
    geoms = np.asarray(objs.geometry.values, dtype=object)
    types = objs["type"].to_numpy(dtype=object)
    is_point = shapely.get_type_id(geoms) == 0
    bldg = np.flatnonzero((types == "building") & ~is_point)
    # points inside a footprint belong to that building's cell
    if len(bldg) and is_point.any():
        pts = np.flatnonzero(is_point)
        pi, bi = shapely.STRtree(geoms[bldg]).query(seeds[pts], predicate="within")
        if len(pi):
            frame = pd.DataFrame({"p": pts[pi], "b": bldg[bi], "a": shapely.area(geoms[bldg[bi]])})
            frame = frame.sort_values(["p", "a", "b"]).drop_duplicates("p")
            label[frame["p"].to_numpy()] = frame["b"].to_numpy()
    # coincident seeds (within 1 cm) share a label
    key = pd.DataFrame({"x": np.round(shapely.get_x(seeds), 2),
                        "y": np.round(shapely.get_y(seeds), 2), "lab": label})
    first = key.groupby(["x", "y"], sort=False)["lab"].transform("min").to_numpy()
    label = np.minimum(label, first)
    # resolve chains (a point joined to a building that itself shares a location)
    for _ in range(3):
        label = label[label]
    extra_pts, extra_lab = [], []
    # outline seeds: large footprints get points along a slightly shrunk outline
    big = bldg[shapely.area(geoms[bldg]) > outline_m2] if len(bldg) else bldg
    for i in big:
        g = geoms[i]
        inset = shapely.buffer(g, -min(2.0, 0.05 * math.sqrt(shapely.area(g))))
        if shapely.is_empty(inset):
            continue
        ring = shapely.simplify(shapely.boundary(inset), 2.0)
        length = shapely.length(ring)
        npts = int(min(24, max(4, length // 25)))
        pts = shapely.line_interpolate_point(ring, np.linspace(0, 1, npts, endpoint=False),
                                             normalized=True)
        pts = shapely.get_parts(pts)
        pts = pts[shapely.within(pts, g)]
        extra_pts.append(pts)
        extra_lab.append(np.full(len(pts), label[i]))
    # virtual seeds in heavy compounds without footprints
    virtual: dict[int, int] = {}
    next_label = n
    if target > 0 and len(comps):
        rows = comps["object_row"].to_numpy()
        for j, row in enumerate(rows):
            if row < 0:
                continue
            w = float(objs.at[row, "workload"])
            if w <= 0.5 * target:
                continue
            poly = comps.geometry.values[j]
            nv = int(min(400, math.ceil(w / (target / LATTICE_PER_TARGET))))
            lattice = _axis_row(poly, nv)
            if len(lattice) < 2:
                lattice = _lattice(poly, nv)
            if len(lattice) == 0:
                continue
            labs = np.arange(next_label, next_label + len(lattice))
            next_label += len(lattice)
            virtual.update(dict.fromkeys(labs.tolist(), int(row)))
            extra_pts.append(lattice)
            extra_lab.append(labs)
    if extra_pts:
        seeds = np.concatenate([seeds] + extra_pts)
        label = np.concatenate([label] + [np.asarray(x, dtype=np.int64) for x in extra_lab])
    return seeds, label, virtual


def _axis_row(poly, n: int) -> np.ndarray:
    """``n`` points evenly spaced along the long axis of ``poly``'s minimum rotated
    rectangle, or none when the axis leaves the compound.

    Their cells are slices across the compound, so wherever the compound is
    split, the boundary runs straight across it at its narrowest, the
    shortest line the split can take (a square lattice splits in steps).
    """
    rect = shapely.minimum_rotated_rectangle(poly)
    xy = shapely.get_coordinates(rect)
    if n < 2 or len(xy) < 4:
        return np.empty(0, dtype=object)
    side = np.hypot(*np.diff(xy[:3], axis=0).T)
    i = int(np.argmax(side))  # xy[i] → xy[i+1] is a long side
    half = (xy[(i + 1) % 4] - xy[(i + 2) % 4]) / 2.0  # from the long side to the axis
    a, b = xy[i] - half, xy[i + 1] - half
    t = (np.arange(n) + 0.5) / n
    pts = shapely.points(a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))
    if not shapely.contains_properly(poly, pts).all():
        return np.empty(0, dtype=object)
    # keep clear of the representative seed of the compound itself
    rep = shapely.point_on_surface(poly)
    return pts[shapely.distance(pts, rep) > side[i] / n / 4]


def _lattice(poly, n: int) -> np.ndarray:
    """About ``n`` points on a square lattice inside ``poly`` (deterministic)."""
    area = shapely.area(poly)
    if area <= 0 or n <= 1:
        return np.empty(0, dtype=object)
    step = math.sqrt(area / n)
    minx, miny, maxx, maxy = shapely.bounds(poly)
    xs = np.arange(minx + step / 2, maxx, step)
    ys = np.arange(miny + step / 2, maxy, step)
    gx, gy = np.meshgrid(xs, ys)
    pts = shapely.points(gx.ravel(), gy.ravel())
    inside = shapely.contains_properly(poly, pts)
    pts = pts[inside]
    # keep clear of the representative seed of the compound itself
    rep = shapely.point_on_surface(poly)
    return pts[shapely.distance(pts, rep) > step / 4]
