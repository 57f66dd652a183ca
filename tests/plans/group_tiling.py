"""楼组 tile their microgrid: an invariant measured independently of the code under test.

Every 楼组 is a valid geometry where it is stored (lon/lat). For every microgrid that has
楼组: no two of them share area, their union is the microgrid
(symmetric difference), and every building a 楼组 lists has its point (the point itself, or
``point_on_surface`` of its footprint in the storage CRS, as the partition seeds it) inside
that 楼组. Measured in metres in UTM 51N (Shanghai), not in the partition's own metric CRS;
an area below ``AREA_TOL_M2`` (the validators' default ``area_tol_m2``) is measurement
noise, and a point counts as inside when it lies within ``POINT_TOL_M`` of the 楼组.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["group_problems", "AREA_TOL_M2", "POINT_TOL_M"]

AREA_TOL_M2 = 1.0
POINT_TOL_M = 0.01
_METRIC = 32651


def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    dense = shapely.segmentize(np.asarray(frame.geometry.values, dtype=object), 0.0002)
    return gpd.GeoSeries(dense, crs=frame.crs, index=frame.index).to_crs(_METRIC)


def group_problems(microgrids: gpd.GeoDataFrame, groups: gpd.GeoDataFrame,
                   objects: gpd.GeoDataFrame | None = None) -> list[str]:
    """Every broken invariant. ``microgrids``: ``id, geometry``; ``groups``: ``id,
    parent_id, attrs`` (``objects``: the ids it lists, ``estimated``), ``geometry``;
    ``objects``: ``id, type, geometry`` (the buildings checked are those of type
    ``building`` listed by a 楼组 that is not an estimate)."""
    out = [f"楼组 {gid}: {shapely.is_valid_reason(g)}"
           for gid, g in zip(groups["id"], groups.geometry.values) if not shapely.is_valid(g)]
    mg = _metric(microgrids.set_index("id"))
    gm = _metric(groups.set_index("id"))
    for parent, kids in groups.groupby("parent_id"):
        geoms = gm.loc[kids["id"]].to_numpy()
        if parent not in mg.index:
            out.append(f"{parent}: 楼组 {list(kids['id'])[:3]} of a microgrid not in the plan")
            continue
        for i in range(len(geoms)):
            for j in range(i + 1, len(geoms)):
                a = float(shapely.intersection(geoms[i], geoms[j]).area)
                if a > AREA_TOL_M2:
                    out.append(f"{parent}: 楼组 {kids['id'].iat[i]} and {kids['id'].iat[j]} "
                               f"overlap by {a:.1f} m²")
        diff = float(shapely.symmetric_difference(shapely.union_all(geoms), mg[parent]).area)
        if diff > AREA_TOL_M2:
            out.append(f"{parent}: its 楼组 differ from it by {diff:.1f} m² (gap or spill)")
    return out + _misplaced(groups, gm, objects)


def _misplaced(groups, gm: gpd.GeoSeries, objects) -> list[str]:
    """Buildings listed by a 楼组 whose point is not in it."""
    if objects is None or objects.empty:
        return []
    bldg = objects[objects["type"].astype(str) == "building"]
    geoms = np.asarray(bldg.geometry.values, dtype=object)
    pts = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    where = dict(zip(bldg["id"].astype(str),
                     gpd.GeoSeries(pts, crs=objects.crs).to_crs(_METRIC).values))
    out = []
    for gid, attrs in zip(groups["id"], groups["attrs"]):
        if attrs.get("estimated"):
            continue
        for oid in attrs.get("objects", []):
            p = where.get(str(oid))
            if p is not None and shapely.distance(gm[gid], p) > POINT_TOL_M:
                out.append(f"building {oid} listed by 楼组 {gid} lies "
                           f"{shapely.distance(gm[gid], p):.1f} m outside it")
    return out
