"""Validate any microgrid plan: generated, imported or hand-drawn.

:func:`validate_plan` measures a plan against its parent in a local metric CRS
and lists every problem with the ids involved and a lon/lat location (a point
on the problem's surface), all at once:

errors (``report.ok`` is False when any is found)
    ``invalid_geometry``  a microgrid that is not valid (``is_valid_reason``)
    ``empty_geometry``    null or empty microgrid
    ``gap``               part of the parent covered by no microgrid
    ``overlap``           area covered by two microgrids
    ``outside_parent``    microgrid area outside the parent
    ``multipart``         a microgrid in several pieces (not contiguous)
    ``sliver``            a thin or tiny microgrid, or a thin piece of one
    ``orphan_object``     an object inside no microgrid
    ``double_covered_object`` an object inside two microgrids
    ``misassigned_object`` an object whose given assignment is not where it lies
warnings
    ``object_on_boundary`` an object exactly on a shared edge
    ``imbalance``         workload CV above ``cv_max`` or max/min above ``ratio_max``
    ``low_compactness``   Polsby–Popper below ``compactness_min``
    ``cut_compound``      a compound divided between microgrids (second-largest
                          share above ``cut_share`` of its area)
    ``cut_building``      the same for a building footprint

Areas below ``area_tol_m2`` (default 1 m²) are measurement noise and ignored;
an object within ``edge_tol_m`` (0.5 m) of the plan's outer edge counts as on it.
A *sliver* has mean width ``2A/P`` below ``sliver_width_m`` (default 3 m) or
area below ``sliver_area_m2`` (default 50 m²).

Example
-------
>>> import geopandas as gpd, shapely
>>> parent = gpd.GeoSeries([shapely.box(121.50, 31.23, 121.51, 31.24)], crs="EPSG:4490")
>>> plan = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[shapely.box(121.50, 31.23, 121.505, 31.24),
...                          shapely.box(121.505, 31.23, 121.51, 31.24)], crs="EPSG:4490")
>>> validate_plan(parent, plan).ok
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import InputError
from .crs import STORAGE_CRS, metric_crs, require_crs, require_same_crs
from .rule_metrics import rule_metrics, rule_metrics_text
from .workload import WorkloadWeights

__all__ = ["Issue", "ValidationReport", "validate_plan", "ERROR_KINDS", "WARNING_KINDS"]

#: geographic geometries are densified to this segment length (degrees, ~20 m)
#: before reprojection; the chord error left is a few micrometres
DENSIFY_DEG = 0.0002

#: what :func:`validate_plan` calls the pieces of a plan, Chinese and English
UNIT = ("微网格", "microgrid")
ERROR_KINDS = ("empty_geometry", "invalid_geometry", "gap", "overlap", "outside_parent",
               "multipart", "sliver", "orphan_object", "double_covered_object",
               "misassigned_object")
WARNING_KINDS = ("object_on_boundary", "imbalance", "low_compactness", "cut_compound",
                 "cut_building")


@dataclass(frozen=True)
class Issue:
    """One problem: what, where (lon/lat), which ids, how much."""

    kind: str
    message: str
    ids: tuple = ()
    location: tuple[float, float] | None = None
    value: float | None = None

    @property
    def severity(self) -> str:
        return "error" if self.kind in ERROR_KINDS else "warning"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "severity": self.severity,
                               "message": self.message, "ids": [_plain(i) for i in self.ids]}
        if self.location is not None:
            out["location"] = [round(self.location[0], 7), round(self.location[1], 7)]
        if self.value is not None:
            out["value"] = round(float(self.value), 4)
        return out


@dataclass
class ValidationReport:
    """All issues of a plan, with summary statistics."""

    issues: list[Issue] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no error-level issue was found (warnings allowed)."""
        return not any(i.severity == "error" for i in self.issues)

    @property
    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ERROR_KINDS + WARNING_KINDS}
        for i in self.issues:
            out[i.kind] = out.get(i.kind, 0) + 1
        return out

    def of_kind(self, kind: str) -> list[Issue]:
        return [i for i in self.issues if i.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok,
                "n_errors": sum(1 for i in self.issues if i.severity == "error"),
                "n_warnings": sum(1 for i in self.issues if i.severity == "warning"),
                "counts": self.counts, "stats": self.stats,
                "issues": [i.to_dict() for i in self.issues]}

    def to_text(self) -> str:
        n_err = sum(1 for i in self.issues if i.severity == "error")
        n_warn = sum(1 for i in self.issues if i.severity == "warning")
        lines = [f"方案{'通过' if self.ok else '未通过'}: {n_err} 个错误, {n_warn} 个警告。"
                 f"Plan {'OK' if self.ok else 'NOT OK'}: {n_err} error(s), {n_warn} warning(s)."]
        s = self.stats
        if s:
            lines.append(_summary(s))
        if isinstance(s.get("rules"), dict) and "grid" in s["rules"]:
            lines += rule_metrics_text(s["rules"])
        counts = {k: v for k, v in self.counts.items() if v}
        if counts:
            lines.append("  " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
        for i in self.issues:
            where = f" at {i.location[0]:.6f},{i.location[1]:.6f}" if i.location else ""
            ids = f" [{', '.join(str(_plain(x)) for x in i.ids)}]" if i.ids else ""
            lines.append(f"  {_SEVERITY[i.severity]} {i.kind}{ids}{where}: {i.message}")
        return "\n".join(lines)


_SEVERITY = {"error": "错误 ERROR  ", "warning": "警告 WARNING"}


def _summary(s: dict) -> str:
    """The statistics line of :meth:`ValidationReport.to_text`, Chinese first."""
    out = (f"  {s.get('n_microgrids', 0)} 个微网格 microgrids; 缝隙 gap {s.get('gap_m2', 0):.2f} m², "
           f"重叠 overlap {s.get('overlap_m2', 0):.2f} m²; ")
    if s.get("workload_cv") is not None:
        out += (f"工作量变异系数 workload CV {s['workload_cv']:.3f}, 最大/最小 max/min "
                f"{s['workload_max_min']}; ")
    if s.get("compactness_min") is not None:
        return out + f"最低紧凑度 compactness min {s['compactness_min']:.3f}."
    return out + "没有微网格 no microgrids."


def _plain(v):
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _checked_inputs(parent, microgrids, **frames):
    """The plan's CRS and parent geometry, once the inputs' types and CRSs agree."""
    if not isinstance(microgrids, gpd.GeoDataFrame):
        raise InputError("微网格须为 GeoDataFrame。microgrids must be a GeoDataFrame.",
                         field="microgrids", value=type(microgrids).__name__,
                         fix="用 geopandas 读入方案文件。Read the plan with geopandas.")
    crs = require_crs(microgrids, "microgrids")
    parent_geom = _parent_geometry(parent, microgrids)
    for name, frame in frames.items():
        if frame is not None:
            require_same_crs(microgrids, frame, names=("microgrids", name))
    return crs, parent_geom


def validate_plan(parent, microgrids: gpd.GeoDataFrame, objects: gpd.GeoDataFrame | None = None,
                  compounds: gpd.GeoDataFrame | None = None,
                  buildings: gpd.GeoDataFrame | None = None, *,
                  assignment: pd.Series | None = None, id_column: str = "id",
                  area_tol_m2: float = 1.0, sliver_width_m: float = 3.0,
                  sliver_area_m2: float = 50.0, cv_max: float = 0.15, ratio_max: float = 2.0,
                  compactness_min: float = 0.1, cut_share: float = 0.05,
                  cut_area_m2: float = 20.0, edge_tol_m: float = 0.5,
                  workload: pd.Series | None = None,
                  weights=None, roads: gpd.GeoDataFrame | None = None, water=None,
                  rules: bool = True, unit: tuple[str, str] = UNIT) -> ValidationReport:
    """Check a plan; return a :class:`ValidationReport` listing every issue.

    Parameters
    ----------
    parent : GeoDataFrame/GeoSeries with one (Multi)Polygon, or a shapely
        geometry in the microgrids' CRS.
    microgrids : the plan; ids from ``id_column`` (default ``id``, else the index).
    objects : optional management objects (``id``, ``type``, ``households``…);
        each must lie in exactly one microgrid. Compounds and buildings default
        to the polygonal objects of those types.
    assignment : optional object id → microgrid id to check against locations.
    workload : optional microgrid id → workload; else computed from
        ``objects`` with :class:`~geogrid.workload.WorkloadWeights`
        (``weights``), by location.
    roads, water : optional lines/polygons for the division-rule metrics.
    rules : add :func:`~geogrid.rule_metrics.rule_metrics` under
        ``stats["rules"]`` (skipped, with the reason, when a microgrid is
        empty or invalid).
    unit : what the pieces are called, Chinese and English (``("网格", "grid")`` when
        checking the grids of a street); the messages name them so.
    """
    crs, parent_geom = _checked_inputs(parent, microgrids, objects=objects,
                                       compounds=compounds, buildings=buildings)
    mcrs = metric_crs(gpd.GeoSeries([parent_geom], crs=crs))
    to_m = _Projector(crs, mcrs)
    ids = microgrids[id_column].tolist() if id_column in microgrids.columns \
        else list(microgrids.index)
    raw = np.asarray(microgrids.geometry.values, dtype=object)

    geoms_m = to_m(raw)
    parent_m = to_m(np.array([parent_geom], dtype=object))[0]
    issues: list[Issue] = _parent_issues(parent_geom, crs)
    if issues:  # measured against its valid form, so GEOS cannot fail on it
        parent_m = shapely.make_valid(parent_m, method="structure")
    usable = _geometry_issues(raw, geoms_m, ids, crs, issues)
    idx = np.flatnonzero(usable)
    gm = geoms_m[idx]

    gap_area, overlap_area = _coverage(parent_m, gm, ids, idx, to_m, area_tol_m2, issues, unit)
    pp = _shapes(gm, ids, idx, to_m, area_tol_m2, sliver_area_m2, sliver_width_m,
                 compactness_min, issues)
    stats: dict[str, Any] = {"n_microgrids": int(len(raw)), "gap_m2": round(gap_area, 3),
                             "overlap_m2": round(overlap_area, 3),
                             "parent_area_m2": round(float(shapely.area(parent_m)), 1),
                             "compactness_min": round(float(pp.min()), 4) if len(pp) else None,
                             "compactness_mean": round(float(pp.mean()), 4) if len(pp) else None,
                             "workload_cv": None, "workload_max_min": None}
    where = None
    if objects is not None and len(objects):
        where, obj_issues = _locate_objects(objects, gm, ids, idx, to_m, parent_geom, assignment,
                                            edge_tol_m)
        issues += obj_issues
        stats["n_objects"] = int(len(objects))
    wl = np.array([float(workload.get(i, 0.0)) for i in ids]) if workload is not None else \
        _workload(objects, where, gm, idx, to_m, len(raw), weights) if where is not None else None
    if wl is not None and len(wl) > 1:
        _balance(wl, ids, geoms_m, to_m, cv_max, ratio_max, stats, issues)
    issues += _cut_issues(objects, compounds, buildings, gm, ids, idx, to_m, cut_share,
                          cut_area_m2)
    if rules:
        clean = usable.all() and not any(i.kind == "invalid_geometry" for i in issues)
        stats["rules"] = rule_metrics(parent_geom, microgrids, objects, roads, water,
                                      id_column=id_column, weights=weights) if clean \
            else {"skipped": "empty or invalid microgrids / 微网格为空或无效"}
    return ValidationReport(issues=issues, stats=stats)


def _geometry_issues(raw, geoms_m, ids, crs, issues) -> np.ndarray:
    """Empty, non-polygonal and invalid microgrids; True where a microgrid is usable
    (an invalid one is measured made valid, ``structure`` method)."""
    usable = np.ones(len(raw), dtype=bool)
    for i, g in enumerate(raw):
        if g is None or shapely.is_empty(g):
            issues.append(Issue("empty_geometry", "几何为空: 补上边界或删去该行。null or empty "
                                "geometry: give it a boundary or drop the row.", (ids[i],)))
            usable[i] = False
            continue
        if shapely.get_type_id(g) not in (3, 6):
            issues.append(Issue("invalid_geometry", f"{g.geom_type} 不是多边形。{g.geom_type} is not a "
                                f"polygon.", (ids[i],),
                                _loc(g, crs)))
            usable[i] = False
            continue
        if not shapely.is_valid(g):
            issues.append(Issue("invalid_geometry", f"几何无效 (导入时加 --repair 可修复)。"
                                f"invalid geometry: {shapely.is_valid_reason(g)} (--repair "
                                "fixes it on import).", (ids[i],), _loc(g, crs)))
            geoms_m[i] = shapely.make_valid(geoms_m[i], method="structure")
    return usable


def _cut_issues(objects, compounds, buildings, gm, ids, idx, to_m, cut_share, cut_area_m2):
    """Compounds and building footprints divided between microgrids."""
    issues: list[Issue] = []
    if compounds is None and objects is not None and "type" in objects.columns:
        compounds = _polys_of_type(objects, "compound")
    if buildings is None and objects is not None and "type" in objects.columns:
        buildings = _polys_of_type(objects, "building")
    for frame, kind in ((compounds, "cut_compound"), (buildings, "cut_building")):
        if frame is not None and len(frame):
            issues += _cuts(frame, gm, ids, idx, to_m, kind, cut_share, cut_area_m2)
    return issues


def _parent_geometry(parent, microgrids):
    """The parent as one shapely geometry in the microgrids' CRS."""
    if isinstance(parent, (gpd.GeoDataFrame, gpd.GeoSeries)):
        require_same_crs(microgrids, parent, names=("microgrids", "parent"))
        if len(parent) != 1:
            raise InputError(f"上级须恰为一个多边形, 收到 {len(parent)} 个。parent must hold one "
                             f"polygon, got {len(parent)}.", field="parent", value=len(parent),
                             fix="逐个上级检查, 或先合并。Check one parent at a time, or dissolve "
                                 "them first.")
        return np.asarray(parent.geometry.values if isinstance(parent, gpd.GeoDataFrame)
                          else parent.values, dtype=object)[0]
    if isinstance(parent, shapely.Geometry):
        return parent
    raise InputError("上级须为 GeoDataFrame、GeoSeries 或 shapely 几何。parent must be a "
                     "GeoDataFrame, GeoSeries or shapely geometry.", field="parent",
                     value=type(parent).__name__, fix="传入上级区域的多边形。Pass the parent's "
                     "polygon.")


def _balance(wl, ids, geoms_m, to_m, cv_max, ratio_max, stats, issues) -> None:
    """Workload CV and max/min into ``stats``; an ``imbalance`` issue when too high."""
    mean = wl.mean()
    cvv = float(wl.std() / mean) if mean > 0 else 0.0
    ratio = float(wl.max() / wl.min()) if wl.min() > 0 else math.inf
    stats["workload_cv"] = round(cvv, 4)
    stats["workload_max_min"] = round(ratio, 3) if math.isfinite(ratio) else None
    if cvv > cv_max or ratio > ratio_max:
        hi, lo = int(np.argmax(wl)), int(np.argmin(wl))
        issues.append(Issue("imbalance", f"工作量不均衡 workload CV {cvv:.3f} (max {cv_max}), max/min "
                            f"{ratio:.2f} (max {ratio_max}); heaviest {wl[hi]:.0f}, "
                            f"lightest {wl[lo]:.0f}", (ids[hi], ids[lo]),
                            _safe_point(to_m, geoms_m[hi]), cvv))


def _coverage(parent_m, gm, ids, idx, to_m, area_tol_m2, issues, unit=UNIT
              ) -> tuple[float, float]:
    """Gaps, overlaps and area outside the parent (appended to ``issues``)."""
    zh, en = unit
    union = shapely.union_all(gm) if len(gm) else shapely.Polygon()
    gap = shapely.difference(parent_m, union)
    gap_area = 0.0
    for part in _poly_parts(gap):
        a = shapely.area(part)
        gap_area += a
        if a > area_tol_m2:
            near = _touching(gm, part, ids, idx)
            issues.append(Issue("gap", f"{a:.1f} m² 不在任何{zh}内: 并入相邻的{zh}或移动边界把它"
                                f"盖住。{a:.1f} m² of the parent is in no {en}: add it to a "
                                f"neighbouring {en} or move a boundary over it.", near,
                                to_m.back_point(part), a))
    outside = shapely.difference(union, parent_m)
    for part in _poly_parts(outside):
        a = shapely.area(part)
        if a > area_tol_m2:
            near = _touching(gm, part, ids, idx, predicate="intersects")
            issues.append(Issue("outside_parent", f"{a:.1f} m² 超出上级范围: 把{_names(near)}的"
                                f"边界收回上级之内。{a:.1f} m² lies outside the parent: pull the "
                                f"boundary of {_names(near)} back inside it.", near,
                                to_m.back_point(part), a))
    overlap_area = 0.0
    if len(gm) > 1:
        tree = shapely.STRtree(gm)
        qa, qb = tree.query(gm, predicate="intersects")
        m = qa < qb
        qa, qb = qa[m], qb[m]
        if len(qa):
            inter = shapely.intersection(gm[qa], gm[qb])
            areas = shapely.area(inter)
            for a_, b_, geom, a in zip(qa, qb, inter, areas):
                overlap_area += a
                if a > area_tol_m2:
                    pair = (ids[idx[a_]], ids[idx[b_]])
                    issues.append(Issue("overlap", _overlap_text(pair, a, unit, geom), pair,
                                        to_m.back_point(geom), a))
    return gap_area, overlap_area


def _names(ids) -> str:
    return ", ".join(str(_plain(i)) for i in ids) or "?"


def _overlap_text(pair, a: float, unit, geom=None) -> str:
    """Chinese first: the two ids, the area they share (and its size) and the fix."""
    zh, en = unit
    x, y = (_plain(i) for i in pair)
    size = f" (≈ {_extent(geom)})" if geom is not None else ""
    return (f"{zh} {x} 与 {y} 重叠 {a:.1f} m²{size}: 修改二者的共同边界, 使每处只属于其中一个。"
            f"{en}s {x} and {y} overlap by {a:.1f} m²{size}: redraw their shared boundary so "
            f"that every place is in one of them only.")


def _extent(geom) -> str:
    """Width × length of a metric geometry's minimum rotated rectangle (``285 m × 1159 m``),
    of its polygons only (two shapes touching along an edge share lines and points too)."""
    polys = _poly_parts(geom)
    geom = shapely.multipolygons(polys) if polys else geom
    ring = shapely.get_coordinates(shapely.oriented_envelope(geom))
    if len(ring) < 4:
        return f"{shapely.length(geom):.0f} m"
    w, h = sorted(float(np.hypot(*(ring[k + 1] - ring[k]))) for k in (0, 1))
    return f"{w:.0f} m × {h:.0f} m"


def _shapes(gm, ids, idx, to_m, area_tol_m2, sliver_area_m2, sliver_width_m, compactness_min,
            issues) -> np.ndarray:
    """Multipart, sliver and low-compactness issues; returns Polsby–Popper per microgrid."""
    pp = np.zeros(len(gm))
    for j, g in enumerate(gm):
        mid = ids[idx[j]]
        parts = _poly_parts(g)
        big = [p for p in parts if shapely.area(p) > area_tol_m2]
        if len(big) > 1:
            issues.append(Issue("multipart", f"分成 {len(big)} 块, 不连续。{len(big)} separate "
                                f"pieces.", (mid,),
                                to_m.back_point(sorted(big, key=shapely.area)[0]), len(big)))
        a, p = shapely.area(g), shapely.length(g)
        pp[j] = 4 * math.pi * a / (p * p) if p > 0 else 0.0
        for part in (big or parts):
            pa, pl = shapely.area(part), shapely.length(part)
            width = 2 * pa / pl if pl > 0 else 0.0
            if pa < sliver_area_m2 or width < sliver_width_m:
                issues.append(Issue("sliver", f"碎片 {pa:.1f} m², 平均宽 {width:.2f} m: 并入邻区。"
                                    f"piece of {pa:.1f} m², mean width {width:.2f} m: merge it "
                                    "into a neighbour.",
                                    (mid,), to_m.back_point(part), width))
        if pp[j] < compactness_min:
            issues.append(Issue("low_compactness", f"形状细长 (紧凑度 Polsby–Popper "
                                f"{pp[j]:.3f} < {compactness_min})。elongated shape (Polsby–Popper "
                                f"{pp[j]:.3f} < {compactness_min}).", (mid,), to_m.back_point(g),
                                pp[j]))
    return pp


class _Projector:
    def __init__(self, crs, mcrs):
        self.crs, self.mcrs = crs, mcrs

    def __call__(self, geoms: np.ndarray) -> np.ndarray:
        geoms = np.asarray(geoms, dtype=object)
        if self.crs.is_geographic:
            # a straight lon/lat edge is a curve in the metric CRS but reprojection
            # moves vertices only: densify first, or two plans that agree in lon/lat
            # (one with a vertex mid-edge) would differ by centimetres
            geoms = shapely.segmentize(geoms, DENSIFY_DEG)
        return np.asarray(gpd.GeoSeries(geoms, crs=self.crs).to_crs(self.mcrs).values,
                          dtype=object)

    def back_point(self, geom) -> tuple[float, float] | None:
        """A point on ``geom`` (metric CRS) as lon/lat in the storage CRS."""
        if geom is None or shapely.is_empty(geom):
            return None
        p = shapely.point_on_surface(geom)
        q = gpd.GeoSeries([p], crs=self.mcrs).to_crs(STORAGE_CRS).values[0]
        return (float(q.x), float(q.y))


def _parent_issues(parent_geom, crs) -> list[Issue]:
    """An invalid parent is itself a located problem (GEOS overlays would fail on it)."""
    if parent_geom is None or shapely.is_empty(parent_geom) or shapely.is_valid(parent_geom):
        return []
    return [Issue("invalid_geometry", f"parent: {shapely.is_valid_reason(parent_geom)}",
                  ("parent",), _loc(parent_geom, crs))]


def _safe_point(to_m, geom):
    try:
        return to_m.back_point(geom)
    except Exception:  # pragma: no cover - unusable geometry has no location
        return None


def _loc(g, crs) -> tuple[float, float] | None:
    """lon/lat (storage CRS) of a point on a possibly invalid geometry."""
    try:
        p = shapely.point_on_surface(shapely.make_valid(g))
        q = gpd.GeoSeries([p], crs=crs).to_crs(STORAGE_CRS).values[0]
        return (float(q.x), float(q.y))
    except Exception:  # pragma: no cover - nothing to point at
        return None


def _poly_parts(g) -> list:
    if g is None or shapely.is_empty(g):
        return []
    return [p for p in shapely.get_parts(g) if shapely.get_type_id(p) == 3 and
            not shapely.is_empty(p)] + \
        [q for p in shapely.get_parts(g) if shapely.get_type_id(p) == 7
         for q in _poly_parts(p)]


def _touching(gm, part, ids, idx, predicate: str = "touches") -> tuple:
    tree = shapely.STRtree(gm)
    hits = tree.query(shapely.buffer(part, 0.01), predicate="intersects")
    return tuple(ids[idx[h]] for h in sorted(hits))


def _object_points(objects, to_m, parent_src) -> np.ndarray:
    """Location of each object in the metric CRS: the point, or a point on the surface
    of the polygon as stored (on its part inside the parent if it straddles it)."""
    g = np.asarray(objects.geometry.values, dtype=object)
    pts = np.empty(len(g), dtype=object)
    is_pt = shapely.get_type_id(g) == 0
    pts[is_pt] = g[is_pt]
    pts[~is_pt] = shapely.point_on_surface(g[~is_pt])
    straddle = np.flatnonzero(~is_pt & ~shapely.covers(parent_src, pts))
    for i in straddle:
        inside = shapely.intersection(g[i], parent_src)
        if shapely.area(inside) > 0:
            pts[i] = shapely.point_on_surface(inside)
    return to_m(pts)


def _locate_objects(objects, gm, ids, idx, to_m, parent_src, assignment, edge_tol):
    """Microgrid position (in ``ids``) of each object, and the object issues."""
    issues = []
    oids = objects["id"].tolist() if "id" in objects.columns else list(objects.index)
    pts = _object_points(objects, to_m, parent_src)
    tree = shapely.STRtree(gm)
    inner = pd.DataFrame(dict(zip(("o", "g"), tree.query(pts, predicate="within"))))
    touch = pd.DataFrame(dict(zip(("o", "g"), tree.query(pts, predicate="intersects"))))
    n_in = np.bincount(inner["o"], minlength=len(pts)) if len(inner) else np.zeros(len(pts), int)
    n_touch = np.bincount(touch["o"], minlength=len(pts)) if len(touch) else \
        np.zeros(len(pts), int)
    # within edge_tol of a microgrid (an object on the parent's edge): that microgrid
    lost = np.flatnonzero(n_touch == 0)
    if len(lost):
        li, lg = tree.query(pts[lost], predicate="dwithin", distance=edge_tol)
        if len(li):
            extra = pd.DataFrame({"o": lost[li], "g": lg})
            touch = pd.concat([touch, extra], ignore_index=True)
            n_touch = np.bincount(touch["o"], minlength=len(pts))
    where = np.full(len(pts), -1, dtype=int)
    if len(inner):
        first = inner.sort_values(["o", "g"]).drop_duplicates("o")
        where[first["o"].to_numpy()] = idx[first["g"].to_numpy()]
    on_edge = (n_in == 0) & (n_touch > 0)
    if on_edge.any():
        first = touch[on_edge[touch["o"].to_numpy()]].sort_values(["o", "g"]).drop_duplicates("o")
        where[first["o"].to_numpy()] = idx[first["g"].to_numpy()]
    for o in range(len(pts)):
        loc = to_m.back_point(pts[o])
        if n_touch[o] == 0:
            issues.append(Issue("orphan_object", "不在任何微网格内。inside no microgrid.",
                                (oids[o],), loc))
        elif n_in[o] > 1:
            gids = tuple(ids[idx[g]] for g in sorted(inner.loc[inner["o"] == o, "g"]))
            issues.append(Issue("double_covered_object", f"同时在 {n_in[o]} 个微网格内。inside "
                                f"{n_in[o]} microgrids.",
                                (oids[o],) + gids, loc))
        elif n_in[o] == 0:
            gids = tuple(ids[idx[g]] for g in sorted(touch.loc[touch["o"] == o, "g"]))
            issues.append(Issue("object_on_boundary", "在微网格的共同边界上。on the edge between "
                                "microgrids.",
                                (oids[o],) + gids, loc))
    if assignment is not None:
        pos = {i: p for p, i in enumerate(ids)}
        for o, oid in enumerate(oids):
            if oid not in assignment.index:
                issues.append(Issue("misassigned_object", "未分配微网格。has no assignment.", (oid,),
                                    to_m.back_point(pts[o])))
                continue
            given = assignment.loc[oid]
            p = pos.get(given)
            if p is None:
                issues.append(Issue("misassigned_object", f"分配到不存在的微网格 {given!r}。"
                                    f"assigned to unknown microgrid {given!r}.", (oid, given),
                                    to_m.back_point(pts[o])))
            elif where[o] >= 0 and p != where[o]:
                # on-edge objects may belong to either side
                sides = set(idx[touch.loc[touch["o"] == o, "g"].to_numpy()])
                if p not in sides:
                    issues.append(Issue("misassigned_object", f"分配到 {given!r}, 实际位于 "
                                        f"{ids[where[o]]!r}。assigned to {given!r} but lies "
                                        f"in {ids[where[o]]!r}.", (oid, given, ids[where[o]]),
                                        to_m.back_point(pts[o])))
    return where, issues


def _workload(objects, where, gm, idx, to_m, k, weights) -> np.ndarray:
    """Workload per microgrid: a point's load where it lies; a polygon's households
    shared by the area of the polygon in each microgrid (a compound split in two
    loads both), its per-type weight where its location is."""
    w = WorkloadWeights.coerce(weights)
    hh = pd.to_numeric(objects["households"], errors="coerce").fillna(0.0).to_numpy(float) \
        if "households" in objects.columns else np.zeros(len(objects))
    types = objects["type"].astype(str).to_numpy() if "type" in objects.columns \
        else np.full(len(objects), "")
    hh_load, per_type = w.loads(hh, types)
    out = np.zeros(k)
    ok = where >= 0
    np.add.at(out, where[ok], per_type[ok])
    geoms = np.asarray(objects.geometry.values, dtype=object)
    poly = (shapely.get_type_id(geoms) != 0) & (hh > 0)
    pt = ~poly & ok
    np.add.at(out, where[pt], hh_load[pt])
    if poly.any():
        pm = to_m(geoms[poly])
        rows = np.flatnonzero(poly)
        pi, gi = shapely.STRtree(gm).query(pm, predicate="intersects")
        areas = shapely.area(shapely.intersection(pm[pi], gm[gi])) if len(pi) else np.empty(0)
        tot = np.bincount(pi, weights=areas, minlength=len(pm))
        for p, g, a in zip(pi, gi, areas):
            if tot[p] > 0:
                out[idx[g]] += hh_load[rows[p]] * a / tot[p]
    return out


def _polys_of_type(objects, type_: str):
    sel = objects[(objects["type"].astype(str) == type_).to_numpy()
                  & np.isin(shapely.get_type_id(np.asarray(objects.geometry.values,
                                                           dtype=object)), [3, 6])]
    return sel if len(sel) else None


def _cuts(frame, gm, ids, idx, to_m, kind, cut_share, cut_area_m2) -> list[Issue]:
    issues = []
    fids = frame["id"].tolist() if "id" in frame.columns else list(frame.index)
    polys = to_m(np.asarray(frame.geometry.values, dtype=object))
    tree = shapely.STRtree(gm)
    pi, gi = tree.query(polys, predicate="intersects")
    if len(pi) == 0:
        return issues
    inter = shapely.area(shapely.intersection(polys[pi], gm[gi]))
    tab = pd.DataFrame({"p": pi, "g": gi, "a": inter})
    tab = tab[tab["a"] > 0]
    for p, grp in tab.groupby("p"):
        if len(grp) < 2:
            continue
        grp = grp.sort_values("a", ascending=False)
        total = float(shapely.area(polys[p]))
        second = float(grp["a"].iloc[1])
        if total > 0 and second / total > cut_share and second > cut_area_m2:
            mids = tuple(ids[idx[g]] for g in grp["g"])
            shares = ", ".join(f"{ids[idx[g]]}: {a / total:.0%}" for g, a in
                               zip(grp["g"], grp["a"]))
            issues.append(Issue(kind, f"被分到多个微网格 divided between microgrids ({shares})",
                                (fids[p],) + mids, to_m.back_point(polys[p]), second / total))
    return issues
