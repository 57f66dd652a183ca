"""A whole plan as one hierarchy: map columns, link parents, check it, code it.

A plan is a set of areas on declared levels (:class:`~geogrid.model.PlanLevels`,
top first). This module works on one GeoDataFrame of all of them, in EPSG:4490:

* :func:`standardize_areas` maps a file's own columns (名称, 编码, 层级, 上级编码 …)
  onto ``id, level, name, code, parent_id`` and keeps every other column in
  ``attrs``; imported codes are also kept as ``attrs["external_code"]``;
* :func:`link_parents` finds each area's parent by id, by code prefix or by
  spatial containment;
* :func:`check_plan` reports every problem of the plan at once: unknown levels,
  duplicate ids and codes, orphans (when the plan holds a level above), parents
  on a level not above, invalid geometry (with the GEOS reason and a location),
  and, per parent, gaps, overlaps and area outside the parent
  (:func:`geogrid.validate.validate_plan`), on every level, also where a plan
  skips one (microgrids straight under a grid: a ``skipped_level`` warning);
  楼组 outside their microgrid (an error) or overlapping one another (a warning);
  Topology errors raised inside GEOS ("non-noded intersection", "side
  location conflict") become located problems, never exceptions;
* :func:`standard_codes` generates CJ/T 213 codes (6 admin + 3 street + 3
  community + 3 serial digits) in reading order under each parent.

>>> import geopandas as gpd, shapely
>>> from geogrid.model import parse_levels
>>> hz = parse_levels("街道=street,社区=community,网格=grid")
>>> areas = gpd.GeoDataFrame({"id": ["S", "C", "G1", "G2"],
...     "level": ["street", "community", "grid", "grid"], "parent_id": [None, "S", "C", "C"],
...     "code": [None, "SQ-1", "SQ-1-1", "SQ-1-1"]}, geometry=[shapely.box(121.5, 31.2, 121.51, 31.21),
...     shapely.box(121.5, 31.2, 121.51, 31.21), shapely.box(121.5, 31.2, 121.505, 31.21),
...     shapely.box(121.505, 31.2, 121.509, 31.21)], crs="EPSG:4490")
>>> sorted(check_plan(areas, hz).counts_nonzero())
['duplicate_code', 'gap']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.errors import GEOSException

from ._errors import InputError
from .codes import reading_order
from .crs import require_crs
from .model import PlanLevels
from .validate import ERROR_KINDS, Issue, ValidationReport, validate_plan

__all__ = ["ColumnMap", "PARENT_BY", "COLUMN_ALIASES", "column_aliases", "standardize_areas", "link_parents", "check_plan",
           "PlanReport", "PlanIssue", "standard_codes", "geos_location"]

PARENT_BY = ("id", "code-prefix", "contains")
#: errors of a whole plan, beyond those of :mod:`geogrid.validate`
PLAN_ERROR_KINDS = ("unknown_level", "duplicate_id", "duplicate_code", "orphan",
                    "wrong_parent_level", "topology_error", "missing_children")
_CORE = ("id", "level", "name", "code", "parent_id")


@dataclass(frozen=True)
class ColumnMap:
    """Which column of a file holds each field (``None``: the field's own name, if present)."""

    id: str | None = None
    name: str | None = None
    code: str | None = None
    level: str | None = None
    parent: str | None = None


class PlanIssue(Issue):
    """An :class:`~geogrid.validate.Issue` whose kind may be a plan-level error."""

    @property
    def severity(self) -> str:
        return "error" if self.kind in ERROR_KINDS or self.kind in PLAN_ERROR_KINDS else "warning"


class PlanReport(ValidationReport):
    """The report of a whole plan: :class:`ValidationReport` plus per-level statistics."""

    def counts_nonzero(self) -> dict[str, int]:
        return {k: v for k, v in self.counts.items() if v}

    def to_text(self) -> str:
        lines = super().to_text().splitlines()
        per = ", ".join(f"{k} {v}" for k, v in self.stats.get("levels", {}).items())
        return "\n".join([lines[0], f"  {self.stats.get('n_areas', 0)} areas: {per}", *lines[2:]])


# --------------------------------------------------------------------------- columns
def standardize_areas(frame: gpd.GeoDataFrame, columns: ColumnMap, *, source: str,
                      level: str | None = None) -> gpd.GeoDataFrame:
    """``id, level, name, code, parent_id, attrs, geometry`` from a file's own columns.

    ``level`` (a declared level for every row) wins over the level column. Missing
    mapped columns raise one InputError naming ``source``, the column and the columns
    there are. Ids default to the code (a repeated code: ``<code>~<row>``), else
    ``<source>-<row>``.
    """
    require_crs(frame, source)
    have = [c for c in frame.columns if c != frame.geometry.name]
    wanted = {"id": columns.id, "name": columns.name, "code": columns.code,
              "level": None if level else columns.level, "parent_id": columns.parent}
    missing = [f"{k}={v!r}" for k, v in wanted.items() if v is not None and v not in frame]
    if missing:
        raise InputError(
            f"{source}: 找不到列 {', '.join(missing)}。column(s) {', '.join(missing)} not in "
            f"{source}; it has {have[:20]}.", field="columns", value=missing,
            fix="用 --id-column/--name-column/--code-column/--level-column/--parent-column "
                "指定实际列名。Name the real columns with --id-column, --name-column, "
                "--code-column, --level-column, --parent-column.")
    src = {k: (v if v is not None else (k if k in frame else None)) for k, v in wanted.items()}
    if level is None and src["level"] is None:
        raise InputError(
            f"{source}: 没有层级列, 也未指定层级。{source} has no level column and no level was "
            f"given; it has {have[:20]}.", field="level", value=None,
            fix="用 --level-column 指定层级列, 或用 --level / --layer-level 名称=层级 指定层级。"
                "Name the level column with --level-column, or give the level with --level or "
                "--layer-level NAME=LEVEL.")
    n = len(frame)
    out = pd.DataFrame(index=frame.index)
    for key in _CORE:
        col = src.get(key)
        out[key] = frame[col].map(_text) if col is not None else None
    if level is not None:
        out["level"] = level
    no_id = out["id"].isna()
    out.loc[no_id, "id"] = out.loc[no_id, "code"]
    again = no_id & out["code"].notna() & out["code"].duplicated(keep="first")
    out.loc[again, "id"] = [f"{c}~{i + 1}" for c, i in zip(out.loc[again, "code"],
                                                            np.flatnonzero(again.to_numpy()))]
    still = out["id"].isna().to_numpy()
    out.loc[still, "id"] = [f"{source}-{i + 1}" for i in np.flatnonzero(still)]
    used = {c for c in src.values() if c is not None}
    extra = [c for c in have if c not in used]
    out["attrs"] = [_attrs(row, code) for row, code in
                    zip(frame[extra].to_dict("records") if extra else [{}] * n, out["code"])]
    out["source_file"] = source
    return gpd.GeoDataFrame(out, geometry=frame.geometry.values, crs=frame.crs)


#: common column names of street offices' files, read when the field's own column is absent
COLUMN_ALIASES = {
    "id": ("编号", "ID", "Id"),
    "name": ("名称", "名字", "网格名称", "区域名称", "NAME", "Name"),
    "code": ("编码", "代码", "网格编码", "CODE", "Code"),
}
_OPTION = {"id": "--id-column", "name": "--name-column", "code": "--code-column"}
_FIELD_ZH = {"id": "编号", "name": "名称", "code": "编码"}


def column_aliases(frame: gpd.GeoDataFrame, columns: ColumnMap, *, source: str
                   ) -> tuple[ColumnMap, list[str]]:
    """``columns`` with each unmapped id, name or code field read from a common Chinese
    column (:data:`COLUMN_ALIASES`: 名称 / 名字 for the name, 编号 for the id, 编码 for the
    code) when its own column is absent, and a bilingual note per choice, and when no
    name column is found at all (the areas would have no names)."""
    taken = {v for v in (columns.id, columns.name, columns.code, columns.level, columns.parent)
             if v is not None}
    chosen, notes = {}, []
    for key, aliases in COLUMN_ALIASES.items():
        if getattr(columns, key) is not None or key in frame:
            continue
        hits = [c for c in aliases if c in frame and c not in taken]
        if hits:
            chosen[key] = hits[0]
            taken.add(hits[0])
            notes.append(f"{source}: 列 {hits[0]!r} 读作{_FIELD_ZH[key]} ({key}); 用别的列请加 "
                         f"{_OPTION[key]}。column {hits[0]!r} is read as the {key}; name another "
                         f"with {_OPTION[key]}.")
        elif key == "name":
            have = [str(c) for c in frame.columns if c != frame.geometry.name][:12]
            notes.append(f"{source}: 没有名称列, 区域将没有名称; 用 --name-column 指定 (现有列: "
                         f"{have})。no name column found, so the areas have no names; name it "
                         f"with --name-column (columns: {have}).")
    return replace(columns, **chosen), notes


def _text(v):
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        v = int(v)
    text = str(v).strip()
    return text or None


def _attrs(row: dict, code) -> dict:
    out = {str(k): (None if _text(v) is None else (v.item() if hasattr(v, "item") else v))
           for k, v in row.items()}
    out = {k: (v if isinstance(v, (int, float, bool, str)) or v is None else str(v))
           for k, v in out.items()}
    if code is not None:
        out["external_code"] = code
    return out


# --------------------------------------------------------------------------- parents
def link_parents(areas: gpd.GeoDataFrame, levels: PlanLevels, by: str = "id") -> gpd.GeoDataFrame:
    """Fill ``parent_id`` with the id of each area's parent on the level above: the nearest
    declared level the plan holds (a plan may skip one), then the next up for an area none
    of that level holds.

    ``by="id"``: the parent column holds the parent's id, or its code (either is
    accepted). ``by="code-prefix"``: the parent is the area of the level above whose
    code is the longest prefix of this area's code (``SQ-3`` for ``SQ-3-2``); where no
    code is a prefix (codes of another scheme), the containing area.
    ``by="contains"``: the area of the level above that holds the most of it.
    """
    if by not in PARENT_BY:
        raise InputError(f"--parent-by {by!r} 不可用。--parent-by {by!r} is not known.",
                         field="--parent-by", value=by, fix="用 id、code-prefix 或 contains。"
                         "Use id, code-prefix or contains.")
    out = areas.copy()
    col = out.columns.get_loc("parent_id")
    for key in levels.keys[1:]:
        rows = np.flatnonzero((out["level"] == key).to_numpy())
        # the nearest level above that the plan holds (a plan may skip one), then the next
        above = [k for k in _above(levels, key) if (out["level"] == k).any()]
        if not len(rows) or not above:
            continue
        if by == "id":
            parents = out[out["level"].isin(above)]
            order = parents["level"].map({k: d for d, k in enumerate(above)}).to_numpy()
            parents = parents.iloc[np.argsort(-order, kind="stable")]  # nearest level wins
            coded = parents["code"].notna()
            by_code = dict(zip(parents.loc[coded, "code"], parents.loc[coded, "id"]))
            ids = set(parents["id"])
            cur = out["parent_id"].iloc[rows]
            out.iloc[rows, col] = [p if p in ids or p is None else by_code.get(p, p) for p in cur]
            continue
        found: list = [None] * len(rows)
        for parent_key in above:
            lost = [j for j, f in enumerate(found) if f is None]
            if not lost:
                break
            got = _parent_of(out.iloc[rows[lost]], out[out["level"] == parent_key], by)
            for j, f in zip(lost, got):
                found[j] = f
        out.iloc[rows, col] = found
    return out


def _parent_of(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, by: str) -> list:
    """The parent id of each child among ``parents`` (one level): by code prefix, where no
    code is a prefix (codes of another scheme) by containment; or by containment."""
    if by == "contains":
        return _containing(children, parents)
    codes = sorted(((str(c), i) for c, i in zip(parents["code"], parents["id"])
                    if c is not None), key=lambda t: -len(t[0]))
    found = [next((i for c, i in codes if code is not None and str(code).startswith(c)
                   and str(code) != c), None) for code in children["code"]]
    lost = [r for r, f in enumerate(found) if f is None]
    if lost:  # codes of another scheme (a 9-digit street above SQ-3): by containment
        for r, f in zip(lost, _containing(children.iloc[lost], parents)):
            found[r] = f
    return found


def _containing(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame) -> list:
    """Id of the parent holding the largest share of each child (None when none does)."""
    cg = shapely.make_valid(np.asarray(children.geometry.values, dtype=object))
    pg = shapely.make_valid(np.asarray(parents.geometry.values, dtype=object))
    ci, pi = shapely.STRtree(pg).query(cg, predicate="intersects")
    best = [None] * len(children)
    if len(ci):
        share = shapely.area(shapely.intersection(cg[ci], pg[pi]))
        order = np.lexsort((-share, ci))
        seen = set()
        pids = parents["id"].to_numpy()
        for k in order:
            if ci[k] not in seen and share[k] > 0:
                seen.add(ci[k])
                best[ci[k]] = pids[pi[k]]
    return best


# --------------------------------------------------------------------------- checks
_AT = re.compile(r"at (?:or near point )?(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)")


def geos_location(message: str) -> tuple[float, float] | None:
    """The point a GEOS TopologyException names ("… at 121.5 31.2"), if any."""
    m = _AT.search(str(message))
    return (float(m.group(1)), float(m.group(2))) if m else None


def _rep(g) -> tuple[float, float] | None:
    if g is None or g.is_empty:
        return None
    try:
        p = shapely.point_on_surface(shapely.make_valid(g))
        return (p.x, p.y)
    except GEOSException:
        x, y = shapely.get_coordinates(g)[0]
        return (float(x), float(y))


def check_plan(areas: gpd.GeoDataFrame, levels: PlanLevels, *, checked=(),
               **tolerances) -> PlanReport:
    """Every problem of a whole plan (see the module docstring); never raises for bad data.

    ``areas`` has ``id, level, code, parent_id`` (declared level keys) in a lon/lat CRS.
    ``tolerances`` go to :func:`~geogrid.validate.validate_plan` (e.g. ``area_tol_m2``).
    ``checked``: ids of parents whose children the caller validates itself with
    :func:`~geogrid.validate.validate_plan` (a stored plan's microgrids, with their objects
    and rule metrics): their tiling and their children's geometry are left to it, so no
    finding is reported twice.

    楼组 (a level that does not tile) need not cover their microgrid, but each must lie
    inside it (an error) and should not overlap another (a warning; :func:`_groups`).

    Each area's children are the tiling areas that name it as parent, on any level below
    it: a plan may skip a level (Lujiazui's grids hold their microgrids directly, with no
    居民区 between), and the children then tile their nearest present ancestor. Such a
    parent gets a ``skipped_level`` warning naming the level left out; gaps, overlaps and
    area outside are checked the same on every level.
    """
    require_crs(areas, "areas")
    areas = areas.reset_index(drop=True)
    issues: list[Issue] = []
    geoms = np.asarray(areas.geometry.values, dtype=object)
    ids = areas["id"].astype(str).to_numpy()
    checked = {str(c) for c in checked}
    issues += [i for i in _row_issues(areas, geoms, ids, levels)
               if not _left_to_caller(i, areas, checked)]
    tiling = [k for k in levels.keys if levels.tiles(k)]
    level = areas["level"].to_numpy(object)
    present = [k for k in tiling if (level == k).any()]
    parents = np.array([None if _text(p) is None else str(_text(p)) for p in areas["parent_id"]],
                       dtype=object)
    is_kid = np.isin(level, tiling)
    kids_of = pd.Series(np.flatnonzero(is_kid)).groupby(parents[is_kid]).agg(list).to_dict() \
        if is_kid.any() else {}
    for i in np.flatnonzero(is_kid):
        below = [k for k in present if levels.depth(k) > levels.depth(level[i])]
        if not below or ids[i] in checked:
            continue
        rows = [r for r in kids_of.get(ids[i], []) if level[r] in below]
        issues += _tiling(areas.iloc[[i]], areas.iloc[rows], levels, below[0], **tolerances)
    issues += _groups(areas, levels, parents, **tolerances)
    stats = {"n_areas": int(len(areas)),
             "levels": {k: int((areas["level"] == k).sum()) for k in levels.keys}}
    return PlanReport(issues=issues, stats=stats)


def _left_to_caller(issue: Issue, areas: gpd.GeoDataFrame, checked: set[str]) -> bool:
    """An empty or invalid child of a parent in ``checked``: the caller reports it."""
    if not checked or issue.kind not in ("empty_geometry", "invalid_geometry"):
        return False
    parent = areas["parent_id"].to_numpy(object)[(areas["id"].astype(str) == issue.ids[0])
                                                   .to_numpy()]
    return len(parent) == 1 and str(parent[0]) in checked


def _groups(areas: gpd.GeoDataFrame, levels: PlanLevels, parents: np.ndarray,
            **tolerances) -> list[Issue]:
    """楼组 (building groups) against their microgrid: area outside it (``outside_parent``,
    an error) and two 楼组 of one microgrid sharing area (``group_overlap``, a warning).

    A point is located to its 楼组 and through it to the 楼组's microgrid, where orders go
    (派单直接到微网格): a 楼组 reaching out of its microgrid sends what lies in that part to a
    microgrid that does not hold it, so it is an error. Two 楼组 of one microgrid that
    overlap still send every order to the right microgrid; they leave a building with two
    楼组长, which the microgrid's team settles, so it is a warning. (Two 楼组 of different
    microgrids can only overlap where one is outside its own: an error already.) Gaps
    between 楼组 are allowed: streets, squares and green land lie in no 楼组."""
    keys = [k for k in levels.keys if not levels.tiles(k)]
    level = areas["level"].to_numpy(object)
    rows = np.flatnonzero(np.isin(level, keys))
    out: list[Issue] = []
    by_id = {str(a): r for r, a in enumerate(areas["id"].astype(str))}
    groups = pd.Series(rows).groupby(parents[rows]).agg(list) if len(rows) else {}
    for pid, kids in (groups.items() if len(rows) else ()):
        p = by_id.get(str(pid))
        if p is None:  # an orphan: reported by the row checks
            continue
        spec = levels.spec(level[kids[0]])
        found = _tiling(areas.iloc[[p]], areas.iloc[kids], levels, spec.key,
                        keep=("overlap", "outside_parent"), unit=(spec.zh, spec.en),
                        **tolerances)
        out += [PlanIssue("group_overlap" if i.kind == "overlap" else i.kind, i.message, i.ids,
                          i.location, i.value) for i in found if i.kind != "skipped_level"]
    return out


def _row_issues(areas, geoms, ids, levels: PlanLevels) -> list[Issue]:
    out: list[Issue] = []
    known = set(levels.keys)
    level_of = dict(zip(ids, areas["level"]))
    present = set(areas["level"])
    for i, (aid, lvl, parent) in enumerate(zip(ids, areas["level"], areas["parent_id"])):
        g = geoms[i]
        if lvl not in known:
            out.append(PlanIssue("unknown_level", f"层级 {lvl!r} 未声明。level {lvl!r} is not "
                                 f"declared ({', '.join(levels.keys)}).", (aid,), _rep(g)))
            continue
        if g is None or g.is_empty:
            out.append(PlanIssue("empty_geometry", "几何为空。null or empty geometry.", (aid,)))
        elif not shapely.is_valid(g):
            out.append(PlanIssue("invalid_geometry", f"几何无效。invalid geometry: "
                                 f"{shapely.is_valid_reason(g)}", (aid,), _rep(g)))
        above = _above(levels, lvl)
        want = next((k for k in above if k in present), None)
        if want is None:  # a plan may start below the street
            continue
        if parent is None or parent not in level_of:
            out.append(PlanIssue(
                "orphan", f"找不到上级{levels.spec(want).zh} {parent!r}: 在上级列填上所在"
                f"{levels.spec(want).zh}的编号。no parent {want} {parent!r} for this {lvl}: put "
                f"the id of its {levels.spec(want).en} in the parent column.", (aid,), _rep(g)))
        elif level_of[parent] not in above:
            out.append(PlanIssue(
                "wrong_parent_level", f"上级 {parent!r} 是 {level_of[parent]}, 不在 {lvl} 之上"
                f"。parent {parent!r} is a {level_of[parent]}, not a level above {lvl} "
                f"({', '.join(above)}).", (aid, parent), _rep(g)))
    columns = {"id": areas["id"], "code": areas["code"]}
    if "attrs" in areas:  # imported codes kept beside generated standard ones
        ext = pd.Series([a.get("external_code") if isinstance(a, dict) else None
                         for a in areas["attrs"]], index=areas.index)
        if not ext.fillna("").equals(areas["code"].fillna("")):
            columns["external_code"] = ext
    for col, vals in columns.items():
        kind = "duplicate_id" if col == "id" else "duplicate_code"
        dup = vals[vals.notna() & vals.duplicated(keep=False)]
        for value, group in dup.groupby(dup.astype(str)):
            rows = group.index.to_numpy()
            out.append(PlanIssue(kind, f"{'编号' if col == 'id' else '编码'} {value!r} 重复 "
                                 f"{len(rows)} 次。{col} {value!r} is used {len(rows)} times.",
                                 tuple(ids[rows]), _rep(geoms[rows[0]])))
    return out


def _above(levels: PlanLevels, key: str) -> list[str]:
    """The declared levels above ``key``, nearest first."""
    return levels.keys[:levels.depth(key)][::-1]


def _tiling(parent: gpd.GeoDataFrame, kids: gpd.GeoDataFrame, levels: PlanLevels,
            below: str, keep=("gap", "overlap", "outside_parent"), unit=None,
            **tolerances) -> list[Issue]:
    """Gaps, overlaps and area outside one parent (the kinds in ``keep``), and the levels
    its children skip (``below``: the nearest level under it that the plan holds); GEOS
    failures become located issues. ``unit`` names the children (default: their levels)."""
    pid = str(parent["id"].iat[0])
    pgeom = parent.geometry.iat[0]
    if pgeom is None or pgeom.is_empty:
        return []
    name = parent["name"].iat[0] if "name" in parent else None
    label = f"{levels.spec(parent['level'].iat[0]).zh} {name or pid}"
    if kids.empty:
        spec = levels.spec(below)
        return [PlanIssue("missing_children", f"{label}: 没有下级{spec.zh}, 本方案其他区域有: 补上"
                          f"它的{spec.zh}。has no {spec.en} below it although the plan has "
                          f"{spec.en}s: add its {spec.en}s.", (pid,), _rep(pgeom))]
    issues = _skipped(parent, kids, levels, label)
    pgeom = shapely.make_valid(pgeom) if not shapely.is_valid(pgeom) else pgeom
    kids = kids.reset_index(drop=True)
    kinds = [levels.spec(k) for k in levels.keys if (kids["level"] == k).any()]
    unit = unit or ("/".join(s.zh for s in kinds), "/".join(s.en for s in kinds))
    try:
        rep = validate_plan(pgeom, kids, id_column="id", unit=unit, rules=False, **tolerances)
    except GEOSException as exc:
        where = geos_location(exc) or _rep(pgeom)
        return issues + [PlanIssue(
            "topology_error", f"GEOS 拓扑错误, 无法计算缝隙和重叠: {exc}。修正相交的边界后再检查。"
            f"topology error in GEOS, gaps and overlaps not measured: {exc}. Fix the crossing "
            "edges and check again.", (pid, *kids["id"].astype(str)), where)]
    return issues + [PlanIssue(i.kind, f"{label}: {i.message}",
                               i.ids if i.kind != "gap" else (pid, *i.ids), i.location, i.value)
                     for i in rep.issues if i.kind in keep]


def _skipped(parent: gpd.GeoDataFrame, kids: gpd.GeoDataFrame, levels: PlanLevels,
             label: str) -> list[Issue]:
    """A ``skipped_level`` warning per level of children that sit more than one declared
    level below their parent (a notice, not an error: their tiling is checked here)."""
    pid, top = str(parent["id"].iat[0]), levels.depth(parent["level"].iat[0])
    out = []
    for key, group in kids.groupby("level", sort=False):
        gone = [levels.spec(k) for k in levels.keys[top + 1:levels.depth(key)] if levels.tiles(k)]
        if not gone:
            continue
        spec = levels.spec(key)
        zh, en = "、".join(s.zh for s in gone), ", ".join(s.en for s in gone)
        out.append(PlanIssue(
            "skipped_level", f"{label}: {len(group)} 个{spec.zh}直接挂在它下面, 跳过了{zh}层; 已按它"
            f"检查这些{spec.zh}的缝隙、重叠和越界。若确有{zh}, 请补上并把{spec.zh}的上级改为它。"
            f"{len(group)} {spec.en}(s) sit directly under it, skipping the {en} level; their "
            f"gaps, overlaps and extent were checked against it. If it has areas on the {en} "
            f"level, add them and point the {spec.en}s' parent at them.", (pid,),
            _rep(parent.geometry.iat[0]), float(len(group))))
    return out


# --------------------------------------------------------------------------- codes
def standard_codes(areas: gpd.GeoDataFrame, levels: PlanLevels, street_code: str) -> pd.Series:
    """CJ/T 213-style codes: the street's 9 digits, then a 3-digit serial per level in
    reading order under each parent (the second level below the street gives the
    15-digit unit-grid code). Areas without a parent keep ``None``.
    """
    out = pd.Series([None] * len(areas), index=areas.index, dtype=object)
    code_of: dict[str, str] = {}
    top = areas["level"] == levels.keys[0]
    for i in areas.index[top]:
        code_of[str(areas.at[i, "id"])] = street_code
        out[i] = street_code
    for key in levels.keys[1:]:
        rows = areas[areas["level"] == key]
        for pid, group in rows.groupby(rows["parent_id"].astype(str)):
            prefix = code_of.get(pid)
            if prefix is None:
                continue
            valid = group.set_geometry(shapely.make_valid(np.asarray(group.geometry.values,
                                                                      dtype=object)))
            serial = reading_order(valid)
            if serial.max() > 999:
                raise InputError(f"{pid} 下有 {len(group)} 个区域, 超过 999。{pid} has {len(group)} "
                                 "areas, more than the 3-digit serial allows.", field="code",
                                 value=len(group), fix="先拆分上级区域。Split the parent first.")
            for idx, s in zip(group.index, serial):
                code_of[str(areas.at[idx, "id"])] = out[idx] = f"{prefix}{int(s):03d}"
    return out
