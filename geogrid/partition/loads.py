"""Workload and households per cell, and the business-type profile of each cell.

A compound seeded with virtual seeds (:mod:`.seeds`) spreads its own
households over its cells in proportion to each cell's area inside the
compound; every other object weighs on the cell it lies in.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["cell_loads", "type_profiles"]


def cell_loads(objs, cells, tess, virtual, comps):
    """Workload and households per cell; compounds spread over their virtual cells.

    A compound with virtual seeds spreads its own households over its cells in
    proportion to the area of each cell *inside the compound* (cells may also
    hold seed-less land outside the walls, which houses nobody).
    """
    n = len(cells)
    work = np.bincount(objs["cell"].to_numpy(), weights=objs["workload"].to_numpy(float),
                       minlength=n) if len(objs) else np.zeros(n)
    hh = np.bincount(objs["cell"].to_numpy(), weights=objs["hh_work"].to_numpy(float),
                     minlength=n) if len(objs) else np.zeros(n)
    shares: dict[int, dict[int, float]] = {}
    by_row: dict[int, list[int]] = {}
    for lab, row in virtual.items():
        c = tess.label_cell.get(lab)
        if c is not None:
            by_row.setdefault(row, []).append(c)
    cell_geoms = np.asarray(cells.geometry.values, dtype=object)
    comp_geom = dict(zip(comps["object_row"].to_numpy(), comps.geometry.values))
    for row, vcells in by_row.items():
        home = int(objs.at[row, "cell"])
        group = np.array(sorted(set(vcells) | {home}))
        poly = comp_geom.get(row, objs.geometry.values[row])
        a = shapely.area(shapely.intersection(cell_geoms[group], poly))
        frac = a / a.sum() if a.sum() > 0 else np.full(len(group), 1 / len(group))
        h = float(objs.at[row, "hh_work"])
        wk = float(objs.at[row, "workload"])
        # move the compound's households from its home cell to all its cells
        work[home] -= wk
        hh[home] -= h
        for c, f in zip(group, frac):
            work[c] += f * h + ((wk - h) if c == home else 0.0)
            hh[c] += f * h
        shares[row] = {int(c): float(f * h) for c, f in zip(group, frac) if f > 0 or c == home}
    return work, hh, shares


def type_profiles(objs, n_cells: int) -> list[dict[str, float]]:
    profiles: list[dict[str, float]] = [{} for _ in range(n_cells)]
    bt = objs["business_type"].to_numpy(dtype=object)
    w = objs["workload"].to_numpy(float)
    for c, t, wk in zip(objs["cell"].to_numpy(), bt, w):
        if t is None:
            continue
        profiles[c][t] = profiles[c].get(t, 0.0) + max(wk, 1e-6)
    for p in profiles:
        s = sum(p.values())
        for key in p:
            p[key] /= s
    return profiles
