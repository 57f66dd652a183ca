"""Validating a stored plan: every level, then each grid's microgrids with their rules.

A stored plan changes after import (moved boundaries, redraws, partitions), so its
validation runs the import-time check of the whole hierarchy
(:func:`geogrid.hierarchy.check_plan`: street → grid → 居民区/商务区 → microgrid → 楼组,
every level, skipped levels and mixed siblings included), and for each grid or
居民区/商务区 holding microgrids the microgrid report of
:func:`geogrid.validate.validate_plan` (objects, assignments, workload balance, slivers,
compactness, cut compounds, the division-rule metrics). One implementation measures the
tiling everywhere: a parent whose tiling children are all microgrids is measured by its
microgrid report (``check_plan(checked=…)`` leaves it out), any other parent by
``check_plan``.

The answer keeps the shape every reader knows: ``grids`` lists reports, each with
``grid_id``, ``grid_name``, ``ok``, ``counts``, ``issues`` and ``text``. The findings
above the microgrids (the street's grids, a grid's 居民区/商务区, 楼组, orphans, duplicate
ids) come first, as the report of the street (``scope: "hierarchy"``), when there are any.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from .._errors import NotFoundError
from ..hierarchy import check_plan
from ..locate.chain import ancestor_at
from ..model import DEFAULT_LEVELS
from ..validate import validate_plan
from .reportcache import fingerprint

__all__ = ["validate_stored", "TILING_KINDS"]

#: what the tiling check reports, for a parent measured by ``check_plan``
TILING_KINDS = ("gap", "overlap", "outside_parent")


def validate_stored(planning, plan_id: int, grid_uid: str | None = None) -> dict:
    """The report of stored plan ``plan_id`` (see the module docstring); ``grid_uid``: only
    that grid (with its 居民区/商务区) or that 居民区/商务区, and the findings naming an area
    of it."""
    store = planning.store
    levels = store.plan_levels(plan_id)  # NotFoundError for a missing plan
    areas = store.areas(plan_id)
    if levels != DEFAULT_LEVELS:
        return _declared(planning, plan_id, areas, levels, grid_uid)
    parents = areas[areas["level"].isin(["grid", "community"])]
    scope = None
    if grid_uid:   # that area, or a grid with every 居民区/商务区 in it
        grid_of = ancestor_at(areas, parents["id"].to_numpy(object), "grid")
        parents = parents[(parents["id"] == grid_uid).to_numpy() | (grid_of == grid_uid)]
        if parents.empty:
            raise NotFoundError(f"网格 {grid_uid!r} 不在方案 {plan_id} 中。grid {grid_uid!r} is "
                                f"not in plan {plan_id}.", field="grid", value=grid_uid,
                                fix="用 GET /plans/{id}/areas 中的网格 id。"
                                    "Use a grid id from GET /plans/{id}/areas.")
        scope = _subtree(areas, set(parents["id"]))
    mixed, reports = _mixed_parents(areas), []
    assignment = store.memberships(plan_id)
    for _, g in parents.iterrows():
        mgs = areas[(areas["level"] == "microgrid") & (areas["parent_id"] == g["id"])]
        if not mgs.empty:
            reports.append(_grid(planning, gpd.GeoDataFrame([g], crs=areas.crs),
                                 mgs.reset_index(drop=True), assignment,
                                 tiling=g["id"] not in mixed))
    checked = {r["grid_id"] for r in reports} - mixed
    whole = _hierarchy(planning, areas, checked, scope)
    reports = ([whole] if whole["issues"] else []) + reports
    return {"plan_id": plan_id, "ok": all(r["ok"] for r in reports), "grids": reports}


def _hierarchy(planning, areas: gpd.GeoDataFrame, checked: set, scope: set | None) -> dict:
    """``check_plan`` of the whole plan but the microgrids measured per grid, as the report
    of the street; ``scope``: keep only the findings that name one of these ids."""
    def compute() -> dict:
        report = check_plan(areas, DEFAULT_LEVELS, checked=sorted(checked))
        if scope is not None:
            report.issues = [i for i in report.issues if scope & set(map(str, i.ids))]
        street = areas[areas["level"] == "street"]
        sid, name = (street["id"].iat[0], street["name"].iat[0]) if len(street) else ("", "")
        head = f"{name} ({sid}) 各层级 every level"
        return {**report.to_dict(), "grid_id": sid, "grid_name": name, "scope": "hierarchy",
                "text": f"{head}\n{report.to_text()}"}

    key = ("hierarchy", fingerprint(areas, sorted(checked), sorted(scope or ())))
    return planning.plan_reports.get(key, compute)


def _declared(planning, plan_id: int, areas, levels, only: str | None) -> dict:
    """Every problem of a plan with declared levels (:func:`geogrid.hierarchy.check_plan`);
    ``only`` keeps the issues that name that area."""
    def compute() -> dict:
        report = check_plan(areas, levels)
        if only is not None:
            report.issues = [i for i in report.issues if only in map(str, i.ids)]
        return {**report.to_dict(), "grids": [], "text": report.to_text()}

    key = ("declared", fingerprint(areas, levels.to_list(), only))
    return {"plan_id": plan_id, "levels": levels.to_list(), **planning.reports.get(key, compute)}


def _mixed_parents(areas: gpd.GeoDataFrame) -> set:
    """Grids holding microgrids beside 居民区/商务区: their microgrids alone do not tile them,
    so ``check_plan`` measures all their children together."""
    level, parent = areas["level"].to_numpy(object), areas["parent_id"].to_numpy(object)
    direct = set(parent[level == "microgrid"])
    return direct & set(parent[level == "community"])


def _grid(planning, parent: gpd.GeoDataFrame, mgs: gpd.GeoDataFrame, assignment, *,
          tiling: bool = True) -> dict:
    """One grid's microgrid report, computed again only when what it is computed from
    changed; ``tiling=False`` leaves gaps, overlaps and area outside to ``check_plan``
    (a grid with 居民区/商务区 beside its microgrids)."""
    objects = planning._objects_in(parent)
    sub = assignment[assignment.isin(set(mgs["id"]))] if len(assignment) else None
    sub = sub if sub is not None and len(sub) else None
    # the same road lines as the partition, so store and file mode measure alike
    roads = planning._roads_in(parent)

    def compute() -> dict:
        rep = validate_plan(parent, mgs, objects, assignment=sub, roads=roads)
        if not tiling:
            rep.issues = [i for i in rep.issues if i.kind not in TILING_KINDS]
        g = parent.iloc[0]
        d = rep.to_dict()
        d["grid_id"], d["grid_name"] = g["id"], g["name"]
        d["text"] = f"{g['name']} ({g['id']})\n{rep.to_text()}"
        return d

    key = ("grid", tiling, fingerprint(parent, mgs, objects, sub, roads))
    return planning.reports.get(key, compute)


def _subtree(areas: gpd.GeoDataFrame, roots: set) -> set[str]:
    """``roots`` and every area below them, as text ids."""
    ids = areas["id"].astype(str).to_numpy()
    parent = areas["parent_id"].astype(str).to_numpy()
    found, frontier = {str(r) for r in roots}, {str(r) for r in roots}
    while frontier:
        frontier = set(ids[np.isin(parent, list(frontier))]) - found
        found |= frontier
    return found
