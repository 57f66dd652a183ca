"""Per-microgrid figures and the partition report.

Balance
    ``CV = σ / μ`` of microgrid workloads (population σ) and ``max / min``.
Compactness
    Polsby–Popper ``PP = 4πA / P²`` (Polsby & Popper, 1991, *Yale Law & Policy
    Review* 9): 1 for a disc, about 0.785 for a square, near 0 for a sliver.
Road crossings
    A microgrid *crosses* a major road, river or rail line when two of its
    cells meet along one. ``road_crossings`` counts the distinct roads so
    crossed (by name, else by id), ``crossing_length_m`` their length inside
    the microgrid. The
    engine avoids crossings; a non-zero count is where balance won.
Estimates
    Every household count that is an estimate (from the input's ``estimated``
    flag or made by the engine) is listed with its method, and each
    microgrid's ``estimated_households`` says how much of its load is guessed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .inputs import BarrierClass

__all__ = ["microgrid_table", "summary", "jsonable", "polsby_popper"]

_TYPES = ["building", "compound", "shop", "institution", "plaza", "address"]


def polsby_popper(geoms) -> np.ndarray:
    """Polsby–Popper compactness ``4πA/P²`` of each geometry (metric CRS).

    >>> float(np.round(polsby_popper([shapely.box(0, 0, 10, 10)])[0], 3))
    0.785
    """
    g = np.asarray(geoms, dtype=object)
    a = shapely.area(g)
    p = shapely.length(g)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, 4 * math.pi * a / (p * p), 0.0)


def microgrid_table(geoms_m: np.ndarray, ids: np.ndarray, cells, edges: pd.DataFrame, objs,
                    groups: pd.DataFrame) -> pd.DataFrame:
    """One row per microgrid: ``ids[i]`` with geometry ``geoms_m[i]`` (metric CRS)."""
    k = len(geoms_m)
    ids = np.asarray(ids, dtype=np.int64)
    pos = {int(i): j for j, i in enumerate(ids)}
    mg_cell = np.array([pos[int(m)] for m in cells["microgrid"].to_numpy()], dtype=np.int64)
    work = np.bincount(mg_cell, weights=cells["workload"].to_numpy(float), minlength=k)
    hh = np.bincount(mg_cell, weights=cells["households"].to_numpy(float), minlength=k)
    ncell = np.bincount(mg_cell, minlength=k)
    table = pd.DataFrame({"id": ids, "workload": np.round(work, 2), "households": np.round(hh, 1)})
    omg = np.array([pos[int(m)] for m in objs["microgrid"].to_numpy()], dtype=np.int64) \
        if len(objs) else np.empty(0, dtype=np.int64)
    table["n_objects"] = np.bincount(omg, minlength=k) if len(objs) else 0
    types = objs["type"].to_numpy(dtype=object) if len(objs) else np.empty(0, dtype=object)
    for t in _TYPES:
        sel = types == t
        table[f"n_{t}"] = np.bincount(omg[sel], minlength=k) if sel.any() else 0
    est = objs["estimated"].to_numpy(bool) if len(objs) else np.empty(0, dtype=bool)
    table["estimated_households"] = np.round(
        np.bincount(omg[est], weights=objs["hh_work"].to_numpy(float)[est], minlength=k), 1) \
        if est.any() else 0.0
    table["n_cells"] = ncell
    if len(groups):
        gcount = groups.groupby("microgrid").size()
        table["n_building_groups"] = [int(gcount.get(i, 0)) for i in ids]
        glist = groups.groupby("microgrid")["object_ids"].apply(list)
        table["building_groups"] = [glist.get(i, []) for i in ids]
    else:
        table["n_building_groups"] = 0
        table["building_groups"] = [[] for _ in ids]
    table["area_m2"] = np.round(shapely.area(geoms_m), 1)
    table["perimeter_m"] = np.round(shapely.length(geoms_m), 1)
    table["compactness"] = np.round(polsby_popper(geoms_m), 4)
    table["n_parts"] = shapely.get_num_geometries(geoms_m)
    cross_n, cross_len = road_crossings(edges, mg_cell + 1, k)
    table["road_crossings"] = cross_n
    table["crossing_length_m"] = np.round(cross_len, 1)
    return table


def road_crossings(edges: pd.DataFrame, mg_cell: np.ndarray, k: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per microgrid: distinct major roads/barriers inside it, and their length."""
    if len(edges) == 0:
        return np.zeros(k, dtype=int), np.zeros(k)
    a, b = edges["a"].to_numpy(), edges["b"].to_numpy()
    inside = (mg_cell[a] == mg_cell[b]) & (edges["cls"].to_numpy() >= int(BarrierClass.MAJOR)) \
        & (edges["cls"].to_numpy() < int(BarrierClass.OUTER))
    if not inside.any():
        return np.zeros(k, dtype=int), np.zeros(k)
    frame = pd.DataFrame({"mg": mg_cell[a[inside]],
                          "src": edges["source"].to_numpy(dtype=object)[inside],
                          "len": edges["length"].to_numpy(float)[inside]})
    frame["src"] = frame["src"].astype(str)
    n = frame.groupby("mg")["src"].nunique()
    length = frame.groupby("mg")["len"].sum()
    return (np.array([int(n.get(i, 0)) for i in range(1, k + 1)]),
            np.array([float(length.get(i, 0.0)) for i in range(1, k + 1)]))


def summary(mg, cells, edges, objs, groups, options, context: dict) -> dict[str, Any]:
    """The JSON-able report of a partition."""
    notes = context.get("notes", {})
    work = mg["workload"].to_numpy(float)
    mean = float(work.mean()) if len(work) else 0.0
    cvv = float(work.std() / mean) if mean > 0 else 0.0
    mn, mx = (float(work.min()), float(work.max())) if len(work) else (0.0, 0.0)
    warnings = []
    target = float(context.get("target", 0.0))
    k_req = int(context.get("k_requested", len(mg)))
    if len(mg) != k_req:
        warnings.append(f"{len(mg)} microgrids instead of the {k_req} asked for "
                        "(the parent has fewer indivisible units or more separate parts).")
    if cvv > options.cv_target and len(work) > 1:
        heaviest_cell = float(cells["workload"].max()) if len(cells) else 0.0
        lb = float(context.get("cv_lower_bound", 0.0))
        reason = (f" No partition of these indivisible units can go below {lb:.3f}."
                  if lb > options.cv_target else "")
        if target > 0 and heaviest_cell > 0.5 * target:
            reason += (f" The heaviest indivisible cell weighs {heaviest_cell:.0f} "
                      f"({heaviest_cell / target:.0%} of the target {target:.0f}).")
        kept = context.get("kept_whole", [])
        if kept:
            reason += f" {len(kept)} compound(s) are kept whole."
        warnings.append(f"workload CV {cvv:.3f} is above the goal {options.cv_target}.{reason}")
    if notes.get("zero_workload"):
        warnings.append("no object carries any workload; microgrids balance object counts.")
    outside = notes.get("outside_parent", [])
    if outside:
        warnings.append(f"{len(outside)} object(s) lie outside the parent and were not assigned.")
    split = []
    for row, parts in context.get("shares", {}).items():
        per: dict[int, float] = {}
        mgc = cells["microgrid"].to_numpy()
        for c, h in parts.items():
            per[int(mgc[c])] = per.get(int(mgc[c]), 0.0) + h
        if len(per) > 1:
            split.append({"id": objs["id"].iloc[row] if row < len(objs) else row,
                          "households_by_microgrid": {str(k): round(v, 1)
                                                      for k, v in sorted(per.items())}})
    est = notes.get("estimated", [])
    by_type = objs["type"].value_counts().sort_index().to_dict() if len(objs) else {}
    table = mg.drop(columns=mg.geometry.name).copy()
    report = {
        "parent_id": context.get("parent_id"),
        "kind": context.get("kind"),
        "n_microgrids": int(len(mg)),
        "k_requested": k_req,
        **_count(notes.get("count")),
        "target_workload": round(target, 2),
        "total_workload": round(float(work.sum()), 2),
        "total_households": round(float(mg["households"].sum()), 1),
        "workload": {"mean": round(mean, 2), "min": round(mn, 2), "max": round(mx, 2),
                     "cv": round(cvv, 4),
                     "cv_lower_bound": round(float(context.get("cv_lower_bound", 0.0)), 4),
                     "max_min_ratio": round(mx / mn, 3) if mn > 0 else None},
        "compactness": {"mean": round(float(mg["compactness"].mean()), 4) if len(mg) else None,
                        "min": round(float(mg["compactness"].min()), 4) if len(mg) else None},
        "road_crossings": int(mg["road_crossings"].sum()),
        "crossing_length_m": round(float(mg["crossing_length_m"].sum()), 1),
        "all_single_polygon": bool((mg["n_parts"] == 1).all()),
        "n_cells": int(len(cells)),
        "n_regions": context.get("n_regions"),
        "objects": {"assigned": int(len(objs)), "by_type": by_type,
                    "outside_parent": list(outside)},
        "estimated": {"count": len(est),
                      "households": round(float(sum(e["value"] for e in est)), 1),
                      "made_by_engine": list(notes.get("estimated_here", [])),
                      "items": est},
        "unknown_households": list(notes.get("unknown_households", [])),
        "reconciled_compounds": notes.get("reconciled_compounds", []),
        "compounds": {"kept_whole": list(context.get("kept_whole", [])), "split": split},
        "building_groups": {"total": int(len(groups)),
                            "estimated": int(groups["estimated"].sum()) if len(groups) else 0},
        "warnings": warnings,
        "options": options.to_dict(),
        "timings_s": {k: round(v, 3) for k, v in context.get("timings", {}).items()},
        "microgrids": table.to_dict(orient="records"),
    }
    return jsonable(report)


def _count(choice: dict | None) -> dict[str, Any]:
    """``count``: how a target gave the count (:mod:`.count`; None for a count given),
    ``notes``: why, in Chinese and English."""
    if not choice:
        return {"count": None, "notes": []}
    return {"count": {k: v for k, v in choice.items() if k != "note"}, "notes": [choice["note"]]}


def jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers to plain JSON types."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [jsonable(v) for v in list(value)]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        v = float(value)
        return None if math.isnan(v) else v
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
