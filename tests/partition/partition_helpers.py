"""Helpers of the partition tests: synthetic cases and exact-tiling measurement."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geogrid.crs import metric_crs

LOCAL = "+proj=tmerc +lat_0=31.23 +lon_0=121.5 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"


def to_storage(geoms, crs=LOCAL):
    """Metric shapely geometries (local tmerc at Lujiazui) → EPSG:4490 GeoSeries."""
    return gpd.GeoSeries(list(geoms), crs=crs).to_crs("EPSG:4490")


def synthetic_case(n=300, *, seed=0, size=1000.0, roads=True, holes=False, polygons=0.2):
    """A parent, objects and roads around Lujiazui, built in metres then stored in 4490."""
    rng = np.random.default_rng(seed)
    shell = [(0, 0), (size, 0), (size, 0.7 * size), (0.55 * size, size), (0, 0.85 * size)]
    hole = [[(0.4 * size, 0.3 * size), (0.5 * size, 0.3 * size), (0.5 * size, 0.4 * size),
             (0.4 * size, 0.4 * size)]] if holes else []
    parent = shapely.Polygon(shell, hole)
    pts = shapely.points(rng.uniform(0, size, 3 * n), rng.uniform(0, size, 3 * n))
    pts = pts[shapely.contains(parent, shapely.buffer(pts, 6))][:n]
    geoms = []
    types = []
    for i, p in enumerate(pts):
        if rng.random() < polygons:
            w = rng.uniform(6, 25)
            geoms.append(shapely.box(p.x - w / 2, p.y - w / 3, p.x + w / 2, p.y + w / 3))
            types.append("building")
        else:
            geoms.append(p)
            types.append(["building", "shop", "institution", "address"][i % 4])
    hh = np.where(np.array(types) == "building", rng.integers(10, 80, len(types)), np.nan)
    objects = gpd.GeoDataFrame({"id": [f"o{i:04d}" for i in range(len(geoms))], "type": types,
                                "households": hh.astype(float)},
                               geometry=to_storage(geoms).values, crs="EPSG:4490")
    objects.loc[objects["type"] != "building", "households"] = 0.0
    lines = []
    if roads:
        for x in np.arange(size / 4, size, size / 4):
            lines.append((shapely.LineString([(x, -20), (x + 30, size + 20)]),
                          "primary" if x == size / 2 else "residential"))
        for y in np.arange(size / 3, size, size / 3):
            lines.append((shapely.LineString([(-20, y), (size + 20, y - 25)]), "secondary"))
        lines.append((shapely.LineString([(size * 0.1, size * 0.1), (size * 0.3, size * 0.2)]),
                      "footway"))  # a dangling path
    road_frame = gpd.GeoDataFrame({"id": [f"r{i}" for i in range(len(lines))],
                                   "kind_detail": [k for _, k in lines]},
                                  geometry=to_storage([g for g, _ in lines]).values,
                                  crs="EPSG:4490") if lines else None
    return gpd.GeoSeries(to_storage([parent]).values, crs="EPSG:4490"), objects, road_frame


def tiling_errors(parent, microgrids):
    """(gap + outside m², total pairwise overlap m²).

    The overlays run in the storage CRS, where the plan is defined; only the
    resulting pieces are projected to a metric CRS to measure their area.
    """
    crs = metric_crs(parent)
    p = np.asarray(parent.geometry.values if hasattr(parent, "geometry") else parent.values,
                   dtype=object)[0]
    g = np.asarray(microgrids.geometry.values, dtype=object)
    union = shapely.union_all(g)
    pieces = [shapely.difference(p, union), shapely.difference(union, p)]
    tree = shapely.STRtree(g)
    a, b = tree.query(g, predicate="intersects")
    m = a < b
    overlaps = list(shapely.intersection(g[a[m]], g[b[m]])) if m.any() else []

    def area(geoms):
        if not geoms:
            return 0.0
        dense = shapely.segmentize(np.asarray(geoms, dtype=object), 0.0002)
        return float(gpd.GeoSeries(dense, crs=microgrids.crs).to_crs(crs).area.sum())

    return area(pieces), area(overlaps)
