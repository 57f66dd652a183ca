"""Import a whole plan in one go: several files or a multi-layer GeoPackage, one plan.

:func:`prepare_plan` reads every source (each file, or each layer of a
GeoPackage, with its level), maps its columns, links parents and checks the
plan as a whole (:func:`geogrid.hierarchy.check_plan`) without touching the
store; the columns it read as id, name or code without being told (编号, 名称 / 名字, 编码:
:func:`geogrid.hierarchy.column_aliases`), or a file with no name column, head the report
as ``columns`` warnings. :meth:`PlanImporter.commit` writes the plan, its areas and the
provenance of each source in one transaction: all or nothing.

Provenance: each source records where it came from and its licence. Data
that looks like OpenStreetMap (``osm_id`` / ``@id`` columns, or a declared
source naming OpenStreetMap) is attributed "© OpenStreetMap contributors,
ODbL 1.0"; anything else carries what was declared, and never the OSM line.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from .._errors import InputError, LimitExceeded, StateError, ValidationError, ValidationProblem
from .._validate import check_frame
from ..codes import parse_street_code
from ..hierarchy import (ColumnMap, PlanIssue, PlanReport, check_plan, column_aliases, link_parents,
                         standard_codes, standardize_areas)
from ..io import list_layers, read_frame
from ..model import PlanLevels
from ..store import Store

__all__ = ["Provenance", "PlanSource", "PreparedPlan", "prepare_plan", "PlanImporter",
           "detect_provenance", "parse_layer_levels", "OSM_ATTRIBUTION", "attribution_of",
           "plan_attribution", "layer_attribution", "plans_attribution", "NOT_RECORDED"]

#: problems that make a plan unusable, so even ``allow_problems`` does not write it
BLOCKING = ("unknown_level", "duplicate_id", "orphan", "wrong_parent_level", "empty_geometry",
            "invalid_geometry", "topology_error")
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
NOT_RECORDED = "来源未登记 source not recorded"
UNDECLARED = "未声明 not declared"
_OSM_COLUMNS = ("osm_id", "@id", "osm_type", "osm_way_id")


@dataclass(frozen=True)
class Provenance:
    source: str
    licence: str
    attribution: str


@dataclass
class PlanSource:
    """One input: a file, or one layer of it, and the level its rows are on (if fixed)."""

    path: Path
    layer: str | None = None
    level: str | None = None

    @property
    def label(self) -> str:
        return f"{self.path.name}:{self.layer}" if self.layer else self.path.name


@dataclass
class PreparedPlan:
    areas: gpd.GeoDataFrame
    levels: PlanLevels
    report: PlanReport
    provenance: dict[str, Provenance] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    repairs: list[str] = field(default_factory=list)


def detect_provenance(columns, *, source: str | None, licence: str | None,
                      file: str) -> Provenance:
    """What was declared, or OSM when the columns say so; never OSM by default."""
    osm = any(c in columns for c in _OSM_COLUMNS) or "openstreetmap" in (source or "").lower() \
        or (source or "").strip().lower() == "osm"
    if osm:
        return Provenance(source or "OpenStreetMap", licence or "ODbL 1.0", OSM_ATTRIBUTION)
    src = source or file
    lic = licence or UNDECLARED
    return Provenance(src, lic, f"来源 source: {src}; 许可 licence: {lic}")


def attribution_of(datasets: list[dict], fallback: str | None = None) -> str:
    """One line naming every distinct attribution of ``datasets`` (or ``fallback``)."""
    lines = list(dict.fromkeys(d["attribution"] for d in datasets if d.get("attribution")))
    if lines:
        return " | ".join(lines)
    return fallback or NOT_RECORDED


def plan_attribution(store, plan: dict) -> str:
    """Exactly the sources of this plan's areas, as recorded when they were imported (the
    OSM line only for an OSM-derived plan such as the demo, whose plan row carries it)."""
    return attribution_of(store.datasets(plan_id=int(plan["id"])),
                          (plan.get("attrs") or {}).get("attribution"))


def plans_attribution(store, plans: list[dict]) -> str:
    """Every distinct source behind ``plans``, once each."""
    lines = dict.fromkeys(plan_attribution(store, p) for p in plans)
    return " | ".join(line for line in lines if line != NOT_RECORDED) or NOT_RECORDED


def layer_attribution(store, what: str, frame=None) -> str:
    """The recorded sources of the store's objects or roads; roads, and objects tagged
    ``osm…``, that were loaded before datasets were recorded are OpenStreetMap's."""
    legacy = OSM_ATTRIBUTION if what == "roads" or (
        frame is not None and "source" in frame
        and frame["source"].astype(str).str.startswith("osm").any()) else None
    return attribution_of(store.datasets(what=what), legacy)


def parse_layer_levels(items: list[str] | None) -> dict[str, str]:
    """``["社区=community", "grids=网格"]`` (or comma-joined) → {layer or file name: level}."""
    out: dict[str, str] = {}
    for item in items or []:
        for entry in str(item).replace("，", ",").split(","):
            name, sep, level = entry.partition("=")
            if not sep or not name.strip() or not level.strip():
                raise InputError(
                    f"--layer-level {entry!r} 应为 图层或文件名=层级。--layer-level {entry!r} is "
                    "not NAME=LEVEL.", field="--layer-level", value=entry,
                    fix="例如 --layer-level 社区=community --layer-level grids.geojson=网格。"
                        "e.g. --layer-level 社区=community --layer-level grids.geojson=网格.")
            out[name.strip()] = level.strip()
    return out


def expand_sources(paths: list[Path], *, layer: str | None, layer_levels: dict[str, str]
                   ) -> list[PlanSource]:
    """Each file, or each layer of a multi-layer file, with the level mapped to it."""
    out = []
    for path in paths:
        layers = [layer] if layer else (list_layers(path) if path.suffix.lower() == ".gpkg"
                                        and path.exists() else [None])
        for name in layers:
            keys = [k for k in (name, path.name, path.stem) if k]
            level = next((layer_levels[k] for k in keys if k in layer_levels), None)
            out.append(PlanSource(path, name if len(layers) > 1 or layer else None, level))
    return out


def _read(src: PlanSource, *, datum, encoding, max_features: int, max_vertices: int
          ) -> gpd.GeoDataFrame:
    frame = read_frame(src.path, datum=datum, layer=src.layer, encoding=encoding)
    if len(frame) > max_features:
        raise LimitExceeded(f"{src.label} 有 {len(frame)} 个要素, 上限 {max_features}。{src.label} "
                            f"has {len(frame)} features; the limit is {max_features}.",
                            field="features", value=len(frame),
                            fix="拆分文件, 或调高 GEOGRID_MAX_IMPORT_FEATURES。Split the file, or "
                                "raise GEOGRID_MAX_IMPORT_FEATURES.")
    heavy = shapely.get_num_coordinates(frame.geometry.values) > max_vertices
    _, problems, _ = check_frame(frame, id_column=None, polygonal=True)
    fatal = [replace(p, reason=_zh_reason(p.reason)) for p in problems
             if not str(p.reason).startswith("invalid geometry")]
    fatal += [ValidationProblem(int(i) + 1, "geometry", f"顶点超过 {max_vertices} 个 more than "
                                f"{max_vertices} vertices") for i in frame.index[heavy][:100]]
    if fatal:
        raise ValidationError(
            f"{src.label}: {len(fatal)} 行无法作为区域导入。{src.label}: {len(fatal)} row(s) cannot "
            "be imported as areas", fatal, fix=_area_fix(fatal))
    return frame


#: what each kind of unusable area row means, Chinese first (the reason starts with the key)
_AREA_FIXES = {
    "geometry is null": ("几何为空", "没有几何的行: 在 GIS 中补画边界, 或删去这些行。Rows without "
                         "geometry: draw their boundary in a GIS, or delete the rows."),
    "geometry is empty": ("几何为空", "几何为空的行: 补画边界或删去。Rows with an empty geometry: "
                          "draw their boundary, or delete the rows."),
    "expected Polygon": ("不是面", "只有面 (Polygon/MultiPolygon) 能作为区域: 删去点、线要素, 或"
                         "只导出面图层。Only polygons can be areas: drop point and line "
                         "features, or export the polygon layer alone."),
    "coordinates out of lon/lat range": (
        "坐标超出经纬度范围", "坐标超出经纬度范围时, 文件多为投影坐标 (如 EPSG:3857) 却缺少或写错 "
        ".prj: 请补上 CRS。Coordinates out of lon/lat range mean a projected file (e.g. "
        "EPSG:3857) without a correct CRS: give the file its CRS (.prj) and import again."),
    "lon/lat look swapped": ("经纬度颠倒", "经纬度颠倒 (纬度在前): 交换两列, 或加 --repair。"
                             "Lat/lon order: swap the coordinates, or add --repair."),
    "outside China": ("不在中国境内", "坐标不在中国境内: 检查文件的 CRS 与 --datum。Coordinates "
                      "outside China: check the file's CRS and --datum."),
    "顶点超过": ("", "几何过于复杂: 先简化或拆分, 或调高 GEOGRID_MAX_VERTICES。Geometries too "
             "detailed: simplify or split them, or raise GEOGRID_MAX_VERTICES."),
}


def _zh_reason(reason: str) -> str:
    """``reason`` with its Chinese in front (unchanged when it has Chinese or is unknown)."""
    zh = next((z for k, (z, _) in _AREA_FIXES.items() if str(reason).startswith(k)), "")
    return f"{zh} {reason}" if zh else reason


def _area_fix(problems: list[ValidationProblem]) -> str:
    """The fix of each kind of problem found, once each, Chinese first."""
    found = [fix for key, (zh, fix) in _AREA_FIXES.items()
             if any(key in str(p.reason) for p in problems)]
    return " ".join(found) or "修正所列的行后再导入。Fix the listed rows and import again."


def prepare_plan(paths: list[Path], *, datum, levels: PlanLevels, columns: ColumnMap,
                 parent_by: str = "id", level: str | None = None,
                 layer_levels: dict[str, str] | None = None, layer: str | None = None,
                 encoding: str | None = None, source: str | None = None,
                 licence: str | None = None, max_features: int = 10**6,
                 max_vertices: int = 10**6, existing: gpd.GeoDataFrame | None = None,
                 repair: bool = False) -> PreparedPlan:
    """Read, map, link and check a whole plan; nothing is written.

    ``repair`` makes invalid geometries valid (``make_valid``, method ``structure``) and
    lists each repair; otherwise they are reported with their reason and location.
    """
    frames, provenance, repairs, column_notes = [], {}, [], []
    for src in expand_sources(paths, layer=layer, layer_levels=layer_levels or {}):
        raw = _read(src, datum=datum, encoding=encoding, max_features=max_features,
                    max_vertices=max_vertices)
        fixed = level or src.level or _level_of_layer(src, levels, columns, raw)
        mapped, notes = column_aliases(raw, columns, source=src.label)
        column_notes += [(src.label, n) for n in notes]
        frame = standardize_areas(raw, mapped, source=src.label,
                                  level=None if fixed is None else levels.key_of(fixed))
        frame["level"] = [_key_or_raw(levels, v) for v in frame["level"]]
        if repair:
            frame, fixed = _repair(frame)
            repairs += [f"{src.label} {r}" for r in fixed]
        frames.append(frame)
        provenance[src.label] = detect_provenance(list(raw.columns), source=source,
                                                  licence=licence, file=src.label)
    areas = pd.concat(frames, ignore_index=True)
    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=frames[0].crs)
    n_new = len(areas)
    if existing is not None and len(existing):
        old = existing.assign(source_file=None)[list(areas.columns)]
        areas = gpd.GeoDataFrame(pd.concat([areas, old.to_crs(areas.crs)], ignore_index=True),
                                 geometry="geometry", crs=areas.crs)
    areas = link_parents(areas, levels, parent_by)
    report = check_plan(areas, levels)
    report.issues[:0] = [PlanIssue("columns", note, (label,)) for label, note in column_notes]
    counts = {k: int((areas["level"].iloc[:n_new] == k).sum()) for k in levels.keys}
    return PreparedPlan(areas.iloc[:n_new].copy(), levels, report, provenance, counts, repairs)


def _repair(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    fixed, _, repairs = check_frame(frame, id_column="id", polygonal=True, repair=True)
    return fixed, [r for r in repairs if "made valid" in r]


def _level_of_layer(src: PlanSource, levels: PlanLevels, columns: ColumnMap, raw) -> str | None:
    """A layer named after a level (``社区``, ``grid``) is on it, unless a level column says."""
    if columns.level is not None or "level" in raw:
        return None
    for name in (src.layer, src.path.stem):
        if name:
            try:
                return levels.key_of(name)
            except InputError:
                continue
    return None


def _key_or_raw(levels: PlanLevels, value):
    try:
        return levels.key_of(value)
    except InputError:
        return value  # reported as unknown_level by check_plan


class PlanImporter:
    """Write a prepared plan: all of it, or (on any error) nothing."""

    def __init__(self, store: Store):
        self.store = store

    def commit(self, prepared: PreparedPlan, *, plan_id: int | None = None,
               name: str | None = None, street_code: str | None = None,
               with_standard_codes: bool = False, allow_problems: bool = False,
               actor: str = "cli") -> int:
        """Write the plan; refused while the report has errors, unless ``allow_problems`` and
        none of them is :data:`BLOCKING` (a draft with gaps or duplicate codes, to fix in place)."""
        errors = {k: v for k, v in prepared.report.counts_nonzero().items()
                  if prepared.report.of_kind(k)[0].severity == "error"}
        blocking = {k: v for k, v in errors.items() if k in BLOCKING or not allow_problems}
        if blocking:
            raise StateError(
                f"方案有错误 {blocking}, 未写入。the plan has errors {blocking}; nothing was written.",
                field="plan", value=blocking,
                fix="先改正报告中的问题 (不加 --commit 可再次检查); 缝隙、重叠、重复编码等可加 "
                    "--with-problems 先导入为草稿再修改。Fix the problems in the report (run without "
                    "--commit to check again); gaps, overlaps or duplicate codes may be imported "
                    "into a draft with --with-problems and fixed there.")
        areas = prepared.areas.copy()
        with self.store.write() as conn:
            if plan_id is None:
                if street_code is None:
                    raise InputError("新方案需要 --street-code (9 位)。a new plan needs "
                                     "--street-code (9 digits).", field="--street-code",
                                     fix="例如 --street-code 330106001。e.g. --street-code 330106001.")
                code = parse_street_code(street_code)
                plan_id = self.store.create_plan(conn, name=name or "imported plan",
                                                 street_code=code, actor=actor,
                                                 levels=prepared.levels)
            else:
                plan = self.store.require_draft(conn, plan_id)
                code = plan["street_code"]
                if self.store.plan_levels(plan_id, conn) != prepared.levels:
                    raise InputError(f"方案 {plan_id} 的层级与声明不同。plan {plan_id} declares "
                                     "other levels.", field="--levels", value=prepared.levels.keys,
                                     fix="去掉 --levels, 或导入为新方案。Drop --levels, or import "
                                         "as a new plan.")
            if with_standard_codes:
                areas["code"] = standard_codes(areas, prepared.levels, parse_street_code(code))
            self.store.add_areas(conn, plan_id, areas.drop(columns=["source_file"]), actor=actor)
            for label, prov in prepared.provenance.items():
                self.store.record_dataset(
                    conn, plan_id=plan_id, what="areas", file=label, source=prov.source,
                    licence=prov.licence, attribution=prov.attribution,
                    features=int((areas["source_file"] == label).sum()), actor=actor)
        return plan_id
