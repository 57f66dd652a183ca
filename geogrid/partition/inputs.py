"""Inputs of the partition engine: checked at the door, normalised, estimated.

Everything the engine consumes passes through here once:

* the **parent** polygon (one grid or community) and its metric CRS;
* the **management objects** (points or polygons) with their workload;
* the **roads** and **barriers**, each line given a *barrier class*;
* the **compounds** (小区) whose walls are *not* barriers but which the engine
  keeps whole when they fit in one microgrid.

Workload
--------
The workload of an object is ::

    workload = households + w[type]

with per-type weights from :class:`WorkloadWeights` (defaults: a shop counts
as 1 household, an institution as 5, a building as 2, a plaza as 2). The
household count of a compound is reconciled with the buildings inside it: a
compound contributes only the households its member buildings do not already
carry (``max(0, compound − Σ members)``), so nothing is counted twice.

Estimates
---------
Missing household counts (``NaN``) are estimated and every estimate is listed
in the report, never applied silently:

* residential building with a footprint: ``footprint × floors × 0.75 / 60 m²``
  (floors 6 when unknown), the same rule as the demo data builder;
* residential building given only as a point: ``default_households`` (60);
* compound with no member footprints: ``area × FAR × 0.75 / 60 m²`` (FAR 1.6);
* address points and non-residential objects: 0, listed as "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import InputError, ValidationError, ValidationProblem
from ..crs import metric_crs, require_crs, require_same_crs
from ..model import ObjectType
from ..road_kinds import road_rank
from ..validate import DENSIFY_DEG
from ..workload import WorkloadWeights

__all__ = [
    "WorkloadWeights",
    "EstimationRules",
    "BarrierClass",
    "road_class",
    "walk_lines",
    "prepare_parent",
    "prepare_objects",
    "prepare_lines",
    "prepare_compounds",
    "RESIDENTIAL_BUSINESS_TYPES",
]

#: ``business_type`` values that still mean housing
RESIDENTIAL_BUSINESS_TYPES = frozenset({"", "residential", "apartments", "housing", "house",
                                        "住宅", "类住宅", "dormitory"})
_TYPES = {t.value for t in ObjectType}


@dataclass(frozen=True)
class EstimationRules:
    """How missing household counts are estimated (each use is reported)."""

    floor_height_m: float = 3.0
    default_floors: float = 6.0
    net_ratio: float = 0.75           # share of floor area that is dwelling
    dwelling_m2: float = 60.0         # floor area per household
    default_households: float = 60.0  # a residential building known only as a point
    compound_far: float = 1.6         # floor-area ratio of a compound without footprints


class BarrierClass(IntEnum):
    """How strongly a line separates the two sides (higher: stronger)."""

    NONE = 0      # a Voronoi edge inside a block
    WALL = 1      # a compound wall: explicitly not a barrier
    PATH = 2      # footway, service road, pedestrian street
    MINOR = 3     # residential / tertiary street
    MAJOR = 4     # primary / secondary / trunk road
    BARRIER = 5   # river, rail line, explicit barrier
    OUTER = 6     # the parent's own boundary


#: a road's rank (:func:`geogrid.road_kinds.road_rank`, one table with the rule metrics)
_RANK_CLASS = {"major": BarrierClass.MAJOR, "minor": BarrierClass.MINOR,
               "path": BarrierClass.PATH, "rail": BarrierClass.BARRIER}


def road_class(kind: Any, kind_detail: Any) -> BarrierClass | None:
    """Barrier class of an OSM-style road; ``None`` for lines that are not on the ground.

    ``kind_detail`` (the OSM ``highway``/``railway`` value) decides; ``kind``
    (``major_road``, ``minor_road``, ``path``, ``rail``, ``ferry``) is the
    fallback. Ferries, piers and subway lines do not divide the land.

    >>> road_class("major_road", "secondary").name, road_class("path", "footway").name
    ('MAJOR', 'PATH')
    """
    rank = road_rank(kind, kind_detail)
    return None if rank is None else _RANK_CLASS[rank]


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) \
        and value is not pd.NA and str(value) != ""


def _geoms_of(frame) -> np.ndarray:
    if isinstance(frame, gpd.GeoDataFrame):
        return np.asarray(frame.geometry.values, dtype=object)
    return np.asarray(frame.values, dtype=object)


def prepare_parent(parent, name: str = "parent"):
    """Return ``(parent_metric, crs, metric_crs, parent_id, parent_row, parent_as_given)``.

    ``parent`` is a GeoDataFrame or GeoSeries holding exactly one Polygon or
    MultiPolygon, with a CRS.
    """
    if not isinstance(parent, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise InputError(f"{name} 须为 GeoDataFrame 或 GeoSeries, 收到 {type(parent).__name__}。"
                         f"{name} must be a GeoDataFrame or GeoSeries, "
                         f"got {type(parent).__name__}.",
                         field=name, value=type(parent).__name__,
                         fix="把多边形包起来 wrap the polygon: "
                             "gpd.GeoSeries([poly], crs='EPSG:4490').")
    crs = require_crs(parent, name)
    if len(parent) != 1:
        raise InputError(f"{name} 须恰为一个多边形, 收到 {len(parent)} 行。{name} must hold "
                         f"exactly one polygon, got {len(parent)} rows.",
                         field=name, value=len(parent),
                         fix="一次划分一个网格 (选出该行), 或用 partition_files 逐行划分。"
                             "Partition one grid at a time (select the row), or use "
                             "partition_files, which loops over the rows.")
    geom = _geoms_of(parent)[0]
    problems = []
    if geom is None or shapely.is_empty(geom):
        problems.append(ValidationProblem(0, "geometry", "几何为空 null or empty"))
    elif shapely.get_type_id(geom) not in (3, 6):
        problems.append(ValidationProblem(0, "geometry", f"{geom.geom_type} 不是多边形 is not a "
                                          "polygon",
                                          value=geom.geom_type))
    elif not shapely.is_valid(geom):
        rp = shapely.point_on_surface(geom)
        problems.append(ValidationProblem(0, "geometry", shapely.is_valid_reason(geom),
                                          location=(rp.x, rp.y)))
    if problems:
        raise ValidationError(f"{name} 的几何不可用。{name} geometry is unusable", problems,
                              fix="明确修复后再检查, 如 shapely.make_valid(geom, method="
                                  "'structure')。Repair it explicitly, e.g. shapely.make_valid("
                                  "geom, method='structure'), and check the result.")
    mcrs = metric_crs(parent)
    given = geom
    if crs.is_geographic:  # straight lon/lat edges are curves in metres: densify first
        geom = shapely.segmentize(geom, DENSIFY_DEG)
    geom_m = gpd.GeoSeries([geom], crs=crs).to_crs(mcrs).values[0]
    row: dict[str, Any] = {}
    if isinstance(parent, gpd.GeoDataFrame):
        row = {k: v for k, v in parent.iloc[0].items() if k != parent.geometry.name}
    parent_id = row.get("id", parent.index[0])
    return geom_m, crs, mcrs, parent_id, row, given


def _col(frame: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([default] * len(frame), index=frame.index, dtype=object)


def _is_residential(type_: str, btype) -> bool:
    if type_ not in ("building", "compound", "address"):
        return False
    if not _present(btype):
        return True
    return str(btype).strip().lower() in RESIDENTIAL_BUSINESS_TYPES


def prepare_objects(objects: gpd.GeoDataFrame, parent_m, crs, mcrs, *,
                    weights: WorkloadWeights, rules: EstimationRules, parent_src=None,
                    name: str = "objects", snap_m: float = 1.0
                    ) -> tuple[gpd.GeoDataFrame, dict]:
    """Check, normalise and weigh the management objects.

    Returns a metric-CRS frame sorted by ``id`` with columns ``id, type, name,
    households, business_type, estimated, estimate_method, residential,
    hh_work, workload, seed`` (a Point in the parent), and a dict of notes for
    the report (``outside_parent``, ``estimated``, ``unknown_households``,
    ``reconciled_compounds``). Objects whose location lies outside the parent
    (by more than ``snap_m`` metres) are left out and listed.
    """
    if not isinstance(objects, gpd.GeoDataFrame):
        raise InputError(f"{name} 须为 GeoDataFrame, 收到 {type(objects).__name__}。{name} must "
                         f"be a GeoDataFrame, got {type(objects).__name__}.",
                         field=name, value=type(objects).__name__,
                         fix="用 geopandas 读入对象文件。Read the objects with geopandas.")
    require_same_crs(gpd.GeoSeries([], crs=crs), objects, names=("parent", name))
    problems = _object_problems(objects, name)
    ids, types = objects["id"], objects["type"].astype(object)
    geoms = np.asarray(objects.geometry.values, dtype=object)
    if problems:
        raise ValidationError(f"{name} 有不可用的行。{name} has unusable rows", problems,
                              fix="改正或删去所列的行; 几何用 shapely.make_valid(..., method="
                                  "'structure') 明确修复。Fix or drop the listed rows; repair "
                                  "geometry explicitly with shapely.make_valid(..., "
                                  "method='structure').")

    df = pd.DataFrame({
        "id": ids.to_numpy(dtype=object),
        "type": types.astype(str).to_numpy(dtype=object),
        "name": _col(objects, "name", None).to_numpy(dtype=object),
        "households": pd.to_numeric(_col(objects, "households"), errors="coerce").to_numpy(float),
        "floors": pd.to_numeric(_col(objects, "floors"), errors="coerce").to_numpy(float),
        "height": pd.to_numeric(_col(objects, "height"), errors="coerce").to_numpy(float),
        "business_type": _col(objects, "business_type", None).to_numpy(dtype=object),
        "estimated": _col(objects, "estimated", False).fillna(False).astype(bool).to_numpy(),
        "estimate_method": _col(objects, "estimate_method", None).to_numpy(dtype=object),
        "compound_id": _col(objects, "compound_id", None).to_numpy(dtype=object),
    })
    df["business_type"] = [str(b).strip().lower() if _present(b) else None
                           for b in df["business_type"]]
    gm = gpd.GeoSeries(geoms, crs=crs).to_crs(mcrs).values
    out = gpd.GeoDataFrame(df, geometry=np.asarray(gm, dtype=object), crs=mcrs)
    out["_key"] = out["id"].astype(str)
    out = out.sort_values("_key", kind="stable").reset_index(drop=True)

    seed, ok = _locations(objects, out, parent_m, parent_src, crs, mcrs, snap_m)
    notes: dict[str, Any] = {"outside_parent": out.loc[~ok, "id"].tolist()}
    out["seed"] = gpd.GeoSeries(seed, crs=mcrs)
    out = out.loc[ok].reset_index(drop=True)
    out["residential"] = [_is_residential(t, b) for t, b in zip(out["type"], out["business_type"])]
    notes.update(_estimate_households(out, rules))
    out["hh_work"] = out["households"].fillna(0.0).to_numpy(float)
    notes["reconciled_compounds"] = _reconcile_compounds(out)
    out["workload"] = weights.workload(out["hh_work"].to_numpy(float), out["type"].to_numpy())
    return out, notes


def _object_problems(objects: gpd.GeoDataFrame, name: str) -> list[ValidationProblem]:
    """Every unusable row: missing or duplicate id, unknown type, bad geometry."""
    problems: list[ValidationProblem] = []
    if "id" not in objects.columns:
        raise InputError(f"{name} 没有 'id' 列。{name} has no 'id' column.", field=f"{name}.id",
                         fix="给每个对象一个唯一编号 (id 列)。Give every object a unique id "
                             "(see geogrid.model).")
    if "type" not in objects.columns:
        raise InputError(f"{name} 没有 'type' (类型) 列。{name} has no 'type' column.",
                         field=f"{name}.type", value=sorted(objects.columns.astype(str))[:20],
                         fix=f"加上 type 列, 取值为 {sorted(_TYPES)} 之一。"
                             f"Set type to one of {sorted(_TYPES)}.")
    ids = objects["id"]
    if ids.isna().any():
        for idx in objects.index[ids.isna()]:
            problems.append(ValidationProblem(idx, "id", "缺少编号 missing id"))
    dup = ids[ids.duplicated(keep=False) & ids.notna()]
    for value in sorted(set(dup.astype(str))):
        problems.append(ValidationProblem(value, "id", "编号重复 duplicate id", value=value))
    types = objects["type"].astype(object)
    for idx, t in types.items():
        if not _present(t) or str(t) not in _TYPES:
            problems.append(ValidationProblem(ids.get(idx, idx), "type",
                                              f"类型 {t!r} 未知 unknown type {t!r}; 用 use one "
                                              f"of {sorted(_TYPES)}",
                                              value=t))
    geoms = np.asarray(objects.geometry.values, dtype=object)
    for pos, g in enumerate(geoms):
        oid = ids.iloc[pos]
        if g is None or shapely.is_empty(g):
            problems.append(ValidationProblem(oid, "geometry", "几何为空 null or empty"))
        elif shapely.get_type_id(g) not in (0, 3, 4, 6):
            problems.append(ValidationProblem(oid, "geometry",
                                              f"{g.geom_type} 不是点或多边形 is not a Point or "
                                              "Polygon",
                                              value=g.geom_type))
        elif not shapely.is_valid(g):
            rp = shapely.point_on_surface(g)
            problems.append(ValidationProblem(oid, "geometry", shapely.is_valid_reason(g),
                                              location=(rp.x, rp.y)))
    return problems


def _locations(objects, out, parent_m, parent_src, crs, mcrs, snap_m: float):
    """Each object's location (metric CRS) and whether it lies in the parent."""
    # location: the point itself, or a point on the surface of the polygon as stored
    # (in its own CRS, so that every tool finds the same point); for a polygon
    # straddling the parent, a point on its part inside the parent
    if parent_src is None:
        parent_src = gpd.GeoSeries([parent_m], crs=mcrs).to_crs(crs).values[0]
    g = np.asarray(out.geometry.values, dtype=object)
    src = np.asarray(objects.geometry.values, dtype=object)[
        np.argsort(objects["id"].astype(str).to_numpy(), kind="stable")]
    is_point = shapely.get_type_id(src) == 0
    seed_src = np.where(is_point, src, None)
    poly = np.flatnonzero(~is_point)
    if len(poly):
        seed_src[poly] = shapely.point_on_surface(src[poly])
        outside = poly[~shapely.covers(parent_src, seed_src[poly])]
        for i in outside:
            part = shapely.intersection(src[i], parent_src)
            if shapely.area(part) > 0:
                seed_src[i] = shapely.point_on_surface(part)
    seed = np.asarray(gpd.GeoSeries(seed_src, crs=crs).to_crs(mcrs).values, dtype=object)
    ok = np.array([s is not None and bool(shapely.covers(parent_m, s)) for s in seed])
    # a location on the parent's edge may fall a hair outside after reprojection:
    # within snap_m it is moved onto the edge
    edge = shapely.boundary(parent_m)
    for i in np.flatnonzero(~ok):
        p = seed[i] if seed[i] is not None else shapely.point_on_surface(g[i])
        if shapely.distance(parent_m, p) <= snap_m:
            seed[i] = shapely.line_interpolate_point(edge, shapely.line_locate_point(edge, p))
            ok[i] = True
    return seed, ok


def _estimate_households(out: gpd.GeoDataFrame, rules: EstimationRules) -> dict:
    """Fill missing households in place; return the lists of what was estimated."""
    estimated, unknown = [], []
    hh = out["households"].to_numpy(float).copy()
    flags = out["estimated"].to_numpy(bool).copy()
    methods = out["estimate_method"].to_numpy(dtype=object).copy()
    geoms = np.asarray(out.geometry.values, dtype=object)
    is_poly = shapely.get_type_id(geoms) != 0
    # member footprints per compound, for the "compound without footprints" rule
    has_members = _compound_members(out)
    for i in np.flatnonzero(np.isnan(hh)):
        t, res = out.at[i, "type"], out.at[i, "residential"]
        if t == "building" and res:
            if is_poly[i]:
                floors = out.at[i, "floors"]
                method = "footprint×floors×0.75/60m²"
                if np.isnan(floors) and not np.isnan(out.at[i, "height"]):
                    floors = max(1.0, round(out.at[i, "height"] / rules.floor_height_m))
                if np.isnan(floors):
                    floors = rules.default_floors
                    method += f" ({rules.default_floors:g} floors assumed)"
                hh[i] = round(shapely.area(geoms[i]) * floors * rules.net_ratio
                              / rules.dwelling_m2, 1)
            else:
                method = f"point building: {rules.default_households:g} households assumed"
                hh[i] = rules.default_households
        elif t == "compound" and res and is_poly[i] and not has_members.get(i, False):
            method = f"area×FAR{rules.compound_far:g}×0.75/60m²"
            hh[i] = round(shapely.area(geoms[i]) * rules.compound_far * rules.net_ratio
                          / rules.dwelling_m2, 1)
        else:
            unknown.append(out.at[i, "id"])
            hh[i] = 0.0
            continue
        flags[i], methods[i] = True, method
        estimated.append({"id": out.at[i, "id"], "field": "households", "value": float(hh[i]),
                          "method": method})
    out["households"] = hh
    out["estimated"] = flags
    out["estimate_method"] = methods
    # estimates that came with the input (flagged ``estimated``) are listed too
    made = {e["id"] for e in estimated}
    given = [{"id": oid, "field": "households", "value": float(h), "method": m}
             for oid, h, m, f in zip(out["id"], hh, methods, flags) if f and oid not in made]
    return {"estimated": given + estimated, "estimated_here": [e["id"] for e in estimated],
            "unknown_households": unknown}


def _compound_members(out: gpd.GeoDataFrame) -> dict[int, bool]:
    """Row of each compound → whether residential buildings lie inside it."""
    members = _members_by_compound(out)
    return {c: len(m) > 0 for c, m in members.items()}


def _members_by_compound(out: gpd.GeoDataFrame) -> dict[int, list[int]]:
    """Row of each compound → rows of the residential buildings inside it.

    Membership is ``compound_id`` when an object names its compound, else the
    object's location inside the compound polygon.
    """
    types = out["type"].to_numpy(dtype=object)
    geoms = np.asarray(out.geometry.values, dtype=object)
    comp_rows = np.flatnonzero((types == "compound") & (shapely.get_type_id(geoms) != 0))
    result: dict[int, list[int]] = {int(c): [] for c in comp_rows}
    if len(comp_rows) == 0:
        return result
    cand = np.flatnonzero((types == "building") | (types == "address"))
    by_id = {str(out.at[c, "id"]): int(c) for c in comp_rows}
    named = out["compound_id"].to_numpy(dtype=object)
    unnamed = []
    for r in cand:
        cid = named[r]
        if _present(cid) and str(cid) in by_id:
            result[by_id[str(cid)]].append(int(r))
        else:
            unnamed.append(r)
    if unnamed:
        seeds = np.asarray(out["seed"].values, dtype=object)[unnamed]
        tree = shapely.STRtree(geoms[comp_rows])
        pi, ci = tree.query(seeds, predicate="within")
        seen = set()
        for p, c in zip(pi, ci):
            if p in seen:
                continue
            seen.add(p)
            result[int(comp_rows[c])].append(int(unnamed[p]))
    return result


def _reconcile_compounds(out: gpd.GeoDataFrame) -> list[dict]:
    """Count a compound's households once: only the part its buildings do not carry."""
    notes = []
    hh_work = out["hh_work"].to_numpy(float).copy()
    for c, members in _members_by_compound(out).items():
        inside = float(sum(hh_work[m] for m in members if out.at[m, "residential"]))
        if inside <= 0:
            continue
        own = hh_work[c]
        hh_work[c] = max(0.0, own - inside)
        notes.append({"id": out.at[c, "id"], "compound_households": own,
                      "member_households": round(inside, 1), "counted": round(hh_work[c], 1)})
    out["hh_work"] = hh_work
    return notes


def walk_lines(frame, parent_m, mcrs, *, reach_m: float = 400.0) -> np.ndarray:
    """Every road line within ``reach_m`` of the parent (metric CRS, not clipped):
    the walking network, as :func:`geogrid.rule_metrics.rule_metrics` takes it."""
    if frame is None or len(frame) == 0:
        return np.empty(0, dtype=object)
    geoms = np.asarray(frame.to_crs(mcrs).geometry.values if isinstance(frame, gpd.GeoDataFrame)
                       else frame.to_crs(mcrs).values, dtype=object)
    geoms = geoms[[g is not None and not shapely.is_empty(g) for g in geoms]]
    return geoms[shapely.intersects(geoms, shapely.buffer(parent_m, reach_m))]


def prepare_lines(frame: gpd.GeoDataFrame | None, parent_m, crs, mcrs, *, name: str,
                  barrier: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lines of ``frame`` clipped to the parent, with barrier class and source id.

    Roads get their class from :func:`road_class`; tunnels are dropped. With
    ``barrier=True`` every line (or polygon boundary, e.g. water) is a
    :attr:`BarrierClass.BARRIER`. Returns ``(lines, classes, source_ids)``; the
    source id of a line is its ``name`` when it has one (the two carriageways
    of 世纪大道 are one road), else its ``id``.
    """
    if frame is None or len(frame) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=int), np.empty(0, dtype=object)
    if not isinstance(frame, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise InputError(f"{name} 须为 GeoDataFrame, 收到 {type(frame).__name__}。{name} must "
                         f"be a GeoDataFrame, got {type(frame).__name__}.",
                         field=name, value=type(frame).__name__,
                         fix="用 geopandas 读入该文件。Read it with geopandas.")
    require_same_crs(gpd.GeoSeries([], crs=crs), frame, names=("parent", name))
    is_gdf = isinstance(frame, gpd.GeoDataFrame)
    n = len(frame)
    ids = frame["id"].to_numpy(dtype=object) if is_gdf and "id" in frame.columns \
        else np.array([f"{name}-{i}" for i in range(n)], dtype=object)
    if is_gdf and "name" in frame.columns:  # a named road is one road, whatever its ways
        names = frame["name"].to_numpy(dtype=object)
        ids = np.array([str(nm) if _present(nm) else i for nm, i in zip(names, ids)],
                       dtype=object)
    if barrier:
        classes = np.full(n, int(BarrierClass.BARRIER))
        keep = np.ones(n, dtype=bool)
    else:
        kinds = _col(frame, "kind", None) if is_gdf else pd.Series([None] * n)
        details = _col(frame, "kind_detail", None) if is_gdf else pd.Series([None] * n)
        cls = [road_class(k, d) for k, d in zip(kinds, details)]
        tunnel = _col(frame, "is_tunnel", False).fillna(False).astype(bool).to_numpy() \
            if is_gdf else np.zeros(n, dtype=bool)
        keep = np.array([c is not None for c in cls]) & ~tunnel
        classes = np.array([int(c) if c is not None else -1 for c in cls])
    geoms = np.asarray(frame.to_crs(mcrs).geometry.values if is_gdf else frame.to_crs(mcrs).values,
                       dtype=object)
    valid = np.array([g is not None and not shapely.is_empty(g) for g in geoms])
    keep &= valid
    geoms, classes, ids = geoms[keep], classes[keep], ids[keep]
    if len(geoms) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=int), np.empty(0, dtype=object)
    polys = np.isin(shapely.get_type_id(geoms), [3, 6])
    geoms = geoms.copy()
    geoms[polys] = shapely.boundary(geoms[polys])
    geoms = shapely.intersection(geoms, parent_m)
    parts, index = shapely.get_parts(geoms, return_index=True)
    # keep linear pieces only (intersection may leave points where a line touches)
    linear = np.isin(shapely.get_type_id(parts), [1, 2])
    parts, index = parts[linear], index[linear]
    nonzero = shapely.length(parts) > 1e-6
    parts, index = parts[nonzero], index[nonzero]
    return parts, classes[index], ids[index]


def prepare_compounds(objects_m: gpd.GeoDataFrame, compounds, parent_m, crs, mcrs
                      ) -> gpd.GeoDataFrame:
    """Disjoint compound polygons in the metric CRS, each with its object row if any.

    Compounds come from the objects (``type == 'compound'`` with a polygon) and
    from the optional ``compounds`` frame (matched by ``id``). Where compounds
    overlap, the smaller one keeps the shared area.
    """
    rows = []
    types = objects_m["type"].to_numpy(dtype=object)
    geoms = np.asarray(objects_m.geometry.values, dtype=object)
    for i in np.flatnonzero((types == "compound") & (shapely.get_type_id(geoms) != 0)):
        rows.append((str(objects_m.at[i, "id"]), geoms[i], int(i)))
    if compounds is not None and len(compounds):
        if not isinstance(compounds, gpd.GeoDataFrame):
            raise InputError("小区 (compounds) 须为 GeoDataFrame。compounds must be a "
                             "GeoDataFrame.", field="compounds", value=type(compounds).__name__,
                             fix="用 geopandas 读入小区文件。Read the compounds with geopandas.")
        require_same_crs(gpd.GeoSeries([], crs=crs), compounds, names=("parent", "compounds"))
        known = {r[0] for r in rows}
        cm = compounds.to_crs(mcrs)
        cids = cm["id"].astype(str).tolist() if "id" in cm.columns \
            else [f"compound-{i}" for i in range(len(cm))]
        for cid, g in zip(cids, cm.geometry.values):
            if cid in known or g is None or shapely.is_empty(g):
                continue
            if shapely.get_type_id(g) not in (3, 6) or not shapely.is_valid(g):
                raise InputError(f"小区 {cid} 不是有效的多边形。compound {cid} is not a valid "
                                 "polygon.", field="compounds", value=cid,
                                 fix="先用 shapely.make_valid 修复。Repair it with "
                                     "shapely.make_valid first.")
            rows.append((cid, g, -1))
    if not rows:
        return gpd.GeoDataFrame({"compound_id": [], "object_row": []},
                                geometry=gpd.GeoSeries([], crs=mcrs), crs=mcrs)
    cid = np.array([r[0] for r in rows], dtype=object)
    g = shapely.intersection(np.array([r[1] for r in rows], dtype=object), parent_m)
    obj_row = np.array([r[2] for r in rows])
    order = np.lexsort((cid, shapely.area(g)))
    taken = None
    out_g = []
    for i in order:
        gi = g[i] if taken is None else shapely.difference(g[i], taken)
        gi = _polygonal(gi)
        out_g.append(gi)
        taken = g[i] if taken is None else shapely.union(taken, g[i])
    frame = gpd.GeoDataFrame({"compound_id": cid[order], "object_row": obj_row[order]},
                             geometry=np.asarray(out_g, dtype=object), crs=mcrs)
    frame = frame[~frame.geometry.is_empty & (frame.geometry.area > 1.0)]
    return frame.reset_index(drop=True)


def _polygonal(g):
    """The polygonal part of ``g`` (overlay results can carry stray lines)."""
    if g is None or shapely.is_empty(g):
        return shapely.Polygon()
    tid = shapely.get_type_id(g)
    if tid in (3, 6):
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else shapely.Polygon()
