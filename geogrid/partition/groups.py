"""Building groups (楼组): neighbouring residential buildings within one microgrid.

A 楼组 is the unit a 楼组长 (building-group leader) looks after. Inside each
microgrid the residential items (a building, or the share of a compound that
lies in the microgrid) are put in Hilbert-curve order of their location, so
that consecutive items are neighbours, and cut into runs of about
``group_size`` items.

An item known only as a compound without footprints (its households are an
area estimate) cannot be walked building by building; it counts
``ceil(households / group_households)`` groups of its own, and those groups
are flagged ``estimated``.
"""

from __future__ import annotations


import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["building_groups", "hilbert_order", "group_areas"]


def hilbert_order(x: np.ndarray, y: np.ndarray, bits: int = 16) -> np.ndarray:
    """Indices that sort points along a Hilbert curve over their bounding box."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) == 0:
        return np.empty(0, dtype=int)
    side = (1 << bits) - 1
    span = max(x.max() - x.min(), y.max() - y.min(), 1e-9)
    xi = ((x - x.min()) / span * side).astype(np.int64)
    yi = ((y - y.min()) / span * side).astype(np.int64)
    d = np.zeros(len(x), dtype=np.int64)
    s = 1 << (bits - 1)
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx) ^ ry)
        # rotate
        flip = ~ry
        both = flip & rx
        xi = np.where(both, side - xi, xi)
        yi = np.where(both, side - yi, yi)
        xi, yi = np.where(flip, yi, xi), np.where(flip, xi, yi)
        s >>= 1
    return np.lexsort((np.arange(len(x)), d))


def building_groups(items: pd.DataFrame, *, group_size: int = 3,
                    group_households: float = 120.0) -> pd.DataFrame:
    """Form 楼组 per microgrid.

    ``items`` has one row per residential item: ``microgrid``, ``object_id``,
    ``households`` (in this microgrid), ``point`` (a Point), ``footprint``
    (bool: a real building rather than an area estimate). Returns one row per
    group: ``group_id``, ``microgrid``, ``object_ids``, ``households``,
    ``estimated``. Groups are numbered per microgrid, buildings first.
    """
    cols = ["group_id", "microgrid", "object_ids", "households", "estimated"]
    group_size = max(1, int(group_size))
    if len(items) == 0:
        return pd.DataFrame(columns=cols)
    real = items[items["footprint"].to_numpy(bool)]
    area = items[~items["footprint"].to_numpy(bool)]
    parts = []
    if len(real):
        pts = np.asarray(real["point"].values, dtype=object)
        h = np.empty(len(real), dtype=np.int64)
        h[hilbert_order(shapely.get_x(pts), shapely.get_y(pts))] = np.arange(len(real))
        r = pd.DataFrame({"microgrid": real["microgrid"].to_numpy(),
                          "object_id": real["object_id"].to_numpy(dtype=object),
                          "households": real["households"].to_numpy(float), "h": h})
        # along one Hilbert curve over all points, neighbours within a microgrid
        # stay neighbours; cut each microgrid's run into ~group_size pieces
        r = r.sort_values(["microgrid", "h"], kind="stable")
        rank = r.groupby("microgrid").cumcount().to_numpy()
        n = r.groupby("microgrid")["h"].transform("size").to_numpy()
        ngroups = np.maximum(1, np.round(n / group_size)).astype(np.int64)
        r["g"] = rank * ngroups // n
        g = r.groupby(["microgrid", "g"], sort=True).agg(
            object_ids=("object_id", list), households=("households", "sum")).reset_index()
        g["estimated"] = False
        parts.append(g)
    if len(area):
        hh = area["households"].to_numpy(float)
        n = np.where(hh > 0, np.maximum(1, np.ceil(hh / group_households)), 0).astype(np.int64)
        rep = np.repeat(np.arange(len(area)), n)
        g = pd.DataFrame({"microgrid": area["microgrid"].to_numpy()[rep],
                          "g": 10**9 + np.arange(len(rep)),
                          "object_ids": [[o] for o in
                                         area["object_id"].to_numpy(dtype=object)[rep]],
                          "households": (hh / np.maximum(n, 1))[rep], "estimated": True})
        parts.append(g)
    out = pd.concat(parts, ignore_index=True).sort_values(["microgrid", "g"], kind="stable")
    serial = out.groupby("microgrid").cumcount().to_numpy() + 1
    out["group_id"] = [f"{m}-{k:02d}" for m, k in zip(out["microgrid"], serial)]
    out["households"] = out["households"].round(1)
    return out[cols].reset_index(drop=True)


def group_areas(result, mg_uid: dict) -> gpd.GeoDataFrame:
    """楼组 as areas of a partition ``result``: each group's shape is the union of its
    objects' cells, clipped to its microgrid (``mg_uid``: microgrid id → area uid).

    A compound split over several microgrids has one cell (where its seed lies) yet a
    group in each of them: there the group is the compound's part inside the microgrid,
    so every 楼组 lies within its microgrid.
    """
    groups = result.groups
    crs = result.cells.crs
    if groups is None or groups.empty:
        return gpd.GeoDataFrame(columns=["id", "geometry"], geometry="geometry", crs=crs)
    objs = result.objects
    cell_of = dict(zip(objs["id"].astype(str), objs["cell"]))
    obj_geom = dict(zip(objs["id"].astype(str), objs.geometry.values))
    cell_geom = dict(zip(result.cells["cell"], result.cells.geometry.values))
    home = dict(zip(result.microgrids["id"], result.microgrids.geometry.values))
    rows, geoms = [], []
    for g in groups.itertuples():
        members = [str(o) for o in g.object_ids]
        cells = sorted({cell_of[o] for o in members if o in cell_of})
        parent, inside = mg_uid.get(g.microgrid), home.get(g.microgrid)
        if not cells or parent is None or inside is None:
            continue
        geom = _polygons(shapely.intersection(
            shapely.union_all([cell_geom[c] for c in cells]), inside))
        if geom.is_empty:
            geom = _polygons(shapely.intersection(
                shapely.union_all([obj_geom[o] for o in members if o in obj_geom]), inside))
        if geom.is_empty:
            continue
        serial = str(g.group_id).split("-")[-1]
        rows.append({"id": f"{parent}-lz{serial}", "level": "building_group",
                     "kind": "residential", "name": f"第{serial.lstrip('0') or '0'}楼组",
                     "code": None, "parent_id": parent,
                     "attrs": {"households": float(g.households), "estimated": bool(g.estimated),
                               "objects": members}})
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)


def _polygons(geom) -> shapely.MultiPolygon:
    """The polygon parts of ``geom`` (what an intersection leaves besides lines and points)."""
    return shapely.MultiPolygon([p for p in shapely.get_parts(shapely.get_parts(geom))
                                 if p.geom_type == "Polygon" and not p.is_empty]
                                if not geom.is_empty else [])
