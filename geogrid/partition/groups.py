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

import math

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
    ``estimated``.
    """
    rows = []
    if group_size < 1:
        group_size = 1
    for mg, sub in items.groupby("microgrid", sort=True):
        serial = 0
        real = sub[sub["footprint"].to_numpy(bool)]
        area = sub[~sub["footprint"].to_numpy(bool)]
        if len(real):
            pts = np.asarray(real["point"].values, dtype=object)
            order = hilbert_order(shapely.get_x(pts), shapely.get_y(pts))
            ids = real["object_id"].to_numpy(dtype=object)[order]
            hh = real["households"].to_numpy(float)[order]
            n_groups = max(1, round(len(ids) / group_size))
            for chunk in np.array_split(np.arange(len(ids)), n_groups):
                serial += 1
                rows.append({"group_id": f"{mg}-{serial:02d}", "microgrid": mg,
                             "object_ids": [ids[i] for i in chunk],
                             "households": round(float(hh[chunk].sum()), 1),
                             "estimated": False})
        for oid, h in zip(area["object_id"], area["households"]):
            n = max(1, math.ceil(float(h) / group_households)) if h > 0 else 0
            for j in range(n):
                serial += 1
                rows.append({"group_id": f"{mg}-{serial:02d}", "microgrid": mg,
                             "object_ids": [oid], "households": round(float(h) / n, 1),
                             "estimated": True})
    return pd.DataFrame(rows, columns=["group_id", "microgrid", "object_ids", "households",
                                       "estimated"])
