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


import numpy as np
import pandas as pd
import shapely

__all__ = ["building_groups", "hilbert_order"]


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
