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

:func:`group_areas` gives the 楼组 their areas, which tile the microgrid
(:mod:`geogrid.partition.group_tiles`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .group_tiles import claimed_areas, equal_strips

__all__ = ["building_groups", "hilbert_order", "group_areas", "GRID_M"]

#: 楼组 areas are snapped to this grid (m) in the metric CRS before they are projected
GRID_M = 1e-6


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
        # buildings at one location (within 1 cm, e.g. the parts of one tower) are one
        # place on the ground: one 楼组, so no area has to be shared between two
        at = np.round(np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]), 2)
        r = pd.DataFrame({"microgrid": real["microgrid"].to_numpy(),
                          "object_id": real["object_id"].to_numpy(dtype=object),
                          "households": real["households"].to_numpy(float), "h": h,
                          "x": at[:, 0], "y": at[:, 1]})
        # along one Hilbert curve over all points, neighbours within a microgrid
        # stay neighbours; cut each microgrid's run into ~group_size pieces
        r = r.sort_values(["microgrid", "h"], kind="stable")
        rank = r.groupby("microgrid").cumcount()
        rank = rank.groupby([r["microgrid"], r["x"], r["y"]]).transform("min").to_numpy()
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
    """楼组 as areas of a partition ``result`` that tile each microgrid holding any
    (:mod:`geogrid.partition.group_tiles`); ``mg_uid``: microgrid id → area uid.

    Each 楼组 claims the cells of its members in its microgrid: a building's cell at its
    seed; a compound's cells there (a compound split over several microgrids has a 楼组
    in each, made of its cells in that one). The cells are shared out so that no two
    楼组 overlap, none leaves a gap and every building's point lies in its own 楼组; the
    estimated 楼组 of one compound share its area in strips of equal area.
    """
    groups = result.groups
    crs = result.cells.crs
    if groups is None or groups.empty:
        return gpd.GeoDataFrame(columns=["id", "geometry"], geometry="geometry", crs=crs)
    state = result.context
    cells, objs = state["cells"], state["objs"]
    bundle = _bundles(groups)
    claims = _claims(groups, bundle, cells, objs, state["context"].get("shares", {}))
    area = claimed_areas(cells.geometry.values, cells["microgrid"].to_numpy(),
                         result.edges["a"].to_numpy(), result.edges["b"].to_numpy(), *claims)
    geom_m = {}
    for key, rows in enumerate(bundle):
        strips = equal_strips(area.get(key, shapely.MultiPolygon()), len(rows))
        # on a micrometre grid: vertices a Voronoi cut leaves closer than that would
        # turn a valid piece into a self-intersecting one once projected to lon/lat
        geom_m.update(zip(rows, shapely.set_precision(np.asarray(strips, dtype=object),
                                                      GRID_M)))
    rows, geoms = [], []
    for r, g in enumerate(groups.itertuples()):
        parent, geom = mg_uid.get(g.microgrid), geom_m.get(r)
        if parent is None or geom is None or geom.is_empty:
            continue
        serial = str(g.group_id).split("-")[-1]
        rows.append({"id": f"{parent}-lz{serial}", "level": "building_group",
                     "kind": "residential", "name": f"第{serial.lstrip('0') or '0'}楼组",
                     "code": None, "parent_id": parent,
                     "attrs": {"households": float(g.households), "estimated": bool(g.estimated),
                               "objects": [str(o) for o in g.object_ids]}})
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=cells.crs).to_crs(crs).values,
                            crs=crs)


def _bundles(groups: pd.DataFrame) -> list[list[int]]:
    """The rows of ``groups`` that share one area (a claimant each): the estimated 楼组 of
    one compound in one microgrid together (they list the same object), any other alone."""
    out: dict = {}
    for r, (mg, ids, est) in enumerate(zip(groups["microgrid"], groups["object_ids"],
                                           groups["estimated"])):
        key = ("est", mg, tuple(str(o) for o in ids)) if est else ("one", r)
        out.setdefault(key, []).append(r)
    return list(out.values())


def _claims(groups, bundle: list[list[int]], cells, objs, shares: dict):
    """(claimant, cell, point) arrays: each claimant's members' cells in its microgrid.

    A building claims its cell and, where its seed lies in another cell of the
    microgrid (a point inside a larger footprint takes that building's cell), that one
    too, at its seed; a compound its cells, at its seed or a point on each. A claim of a
    cell the seed is not in is anchored at a point on that cell."""
    row_of = {str(o): i for i, o in enumerate(objs["id"])}
    home = objs["cell"].to_numpy()
    seeds = np.asarray(objs["seed"].values, dtype=object)
    geoms = np.asarray(cells.geometry.values, dtype=object)
    cell_mg = cells["microgrid"].to_numpy()
    at_cell = np.full(len(seeds), -1, dtype=np.int64)
    si, ci = shapely.STRtree(geoms).query(seeds, predicate="intersects")
    at_cell[si[::-1]] = ci[::-1]                     # the first cell holding each seed
    comp = cells["compound_id"].astype(object).to_numpy() if "compound_id" in cells \
        else np.full(len(cells), None, dtype=object)
    has = pd.notna(comp)
    comp_cells = pd.Series(np.flatnonzero(has)).groupby([str(c) for c in comp[has]]).agg(
        list).to_dict() if has.any() else {}
    inner = shapely.point_on_surface(geoms)
    who, where, at = [], [], []
    for key, rows in enumerate(bundle):
        g = groups.iloc[rows[0]]
        for r in (row_of.get(str(o)) for o in g["object_ids"]):
            if r is None:
                continue
            mine = {int(home[r]), int(at_cell[r])} - {-1}
            if g["estimated"]:
                mine |= set(comp_cells.get(str(objs["id"].iat[r]), [])) | set(shares.get(r, {}))
            for c in sorted(c for c in mine if cell_mg[c] == g["microgrid"]):
                who.append(key)
                where.append(c)
                at.append(seeds[r] if c == at_cell[r] else inner[c])
    return (np.asarray(who, dtype=np.int64), np.asarray(where, dtype=np.int64),
            np.asarray(at, dtype=object))
