"""File-to-file mode: read layers, partition every parent, write the plan and a report.

The only module of the partition package that touches files. Formats follow
the suffix: ``.geojson``/``.json`` (GeoJSON) or ``.gpkg`` (GeoPackage).

Outputs of :func:`partition_files` for ``out = plan.gpkg``: layers
``microgrids``, ``cells`` and ``objects`` (each object's location with its
``microgrid``) in the GeoPackage, and ``plan.report.json``. For
``out = plan.geojson``: the microgrids in ``plan.geojson``, and next to it
``plan.cells.geojson``, ``plan.assignment.csv``, ``plan.groups.csv`` and
``plan.report.json``. List columns are written as JSON text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import InputError
from ..validate import validate_plan
from .engine import PartitionOptions, partition
from .report import jsonable

__all__ = ["partition_files", "validate_files", "read_layer", "write_layer"]

_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}


def _driver(path: Path) -> str:
    try:
        return _DRIVERS[path.suffix.lower()]
    except KeyError:
        raise InputError(f"{path.name}: unknown output format {path.suffix!r}.", field="path",
                         value=str(path), fix="Use .geojson or .gpkg.") from None


def read_layer(path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector file; refuse a missing file or a file without CRS."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"文件 {path} 不存在 / {path} does not exist.", field="path",
                         value=str(path), fix="检查路径 / Check the path.")
    frame = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    if frame.crs is None:
        raise InputError(f"{path.name} 没有坐标系 / {path.name} has no CRS.", field="path",
                         value=str(path), fix="保存文件时写明坐标系（入库用 EPSG:4490）/ Write the "
                                              "file with a CRS (EPSG:4490 for storage).")
    return frame


def write_layer(frame: gpd.GeoDataFrame, path, layer: str | None = None) -> None:
    """Write ``frame``; list/dict columns become JSON text."""
    path = Path(path)
    out = frame.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        if out[col].map(lambda v: isinstance(v, (list, dict, tuple, np.ndarray))).any():
            out[col] = out[col].map(lambda v: json.dumps(jsonable(v), ensure_ascii=False))
    kwargs = {"driver": _driver(path)}
    if layer and kwargs["driver"] == "GPKG":
        kwargs["layer"] = layer
    out.to_file(path, **kwargs)


def _by_parent(objects: gpd.GeoDataFrame, parents: gpd.GeoDataFrame) -> np.ndarray:
    """Row of the parent holding each object's location (-1: none); one parent each."""
    g = np.asarray(objects.geometry.values, dtype=object)
    pts = np.where(shapely.get_type_id(g) == 0, g, shapely.point_on_surface(g))
    oi, pi = shapely.STRtree(np.asarray(parents.geometry.values, dtype=object)).query(
        pts, predicate="intersects")
    out = np.full(len(objects), -1)
    frame = pd.DataFrame({"o": oi, "p": pi}).sort_values(["o", "p"]).drop_duplicates("o")
    out[frame["o"].to_numpy()] = frame["p"].to_numpy()
    # polygons whose interior point falls outside every parent: the parent
    # holding most of them
    lost = np.flatnonzero((out < 0) & (shapely.get_type_id(g) != 0))
    if len(lost):
        parent_geoms = np.asarray(parents.geometry.values, dtype=object)
        for o in lost:
            areas = shapely.area(shapely.intersection(g[o], parent_geoms))
            if areas.max() > 0:
                out[o] = int(np.argmax(areas))
    return out


def partition_files(boundary_path, objects_path, out_path, roads_path=None, compounds_path=None,
                    *, barriers_path=None, parent_ids=None, progress=None,
                    **options) -> dict[str, Any]:
    """Partition every polygon of ``boundary_path``; write the plan; return the report.

    Parameters
    ----------
    boundary_path : parents (grids or communities), one row each, with ``id``,
        optionally ``kind`` and a 12-digit ``code``.
    objects_path, roads_path, compounds_path, barriers_path : input layers.
    out_path : ``.geojson`` or ``.gpkg`` (see the module docstring).
    parent_ids : only these parents (default: all).
    progress : optional ``callable(done, total, parent_id)`` called after each parent.
    options : :class:`~geogrid.partition.engine.PartitionOptions` fields.
        ``n_microgrids`` may be a dict ``{parent_id: n}``.

    Returns
    -------
    dict with ``parents`` (one partition report per parent, keyed by id),
    ``n_microgrids``, ``outputs`` (paths written) and ``validation`` (the
    :func:`~geogrid.validate.validate_plan` summary per parent).
    """
    out_path = Path(out_path)
    driver = _driver(out_path)
    parents = read_layer(boundary_path)
    objects = read_layer(objects_path)
    roads = read_layer(roads_path) if roads_path else None
    compounds = read_layer(compounds_path) if compounds_path else None
    barriers = read_layer(barriers_path) if barriers_path else None
    if "id" not in parents.columns:
        parents = parents.assign(id=[str(i) for i in parents.index])
    if parent_ids is not None:
        wanted = {str(p) for p in parent_ids}
        parents = parents[parents["id"].astype(str).isin(wanted)]
        if parents.empty:
            raise InputError(f"none of parent_ids {sorted(wanted)} is in {boundary_path}.",
                             field="parent_ids", value=sorted(wanted))
    n_opt = options.pop("n_microgrids", None)
    base = PartitionOptions.from_kwargs(**options)  # checks names early
    owner = _by_parent(objects, parents)
    mgs, cells, objs, groups, reports, checks = [], [], [], [], {}, {}
    for row in range(len(parents)):
        parent = parents.iloc[[row]]
        pid = str(parent["id"].iloc[0])
        n = n_opt.get(pid, n_opt.get(parent["id"].iloc[0])) if isinstance(n_opt, dict) else n_opt
        opts = base if n is None else PartitionOptions.from_kwargs(
            **{**options, "n_microgrids": int(n), "target_workload": None})
        out = _one_parent(parent, pid, objects[owner == row], roads, compounds, barriers, opts)
        for acc, item in zip((mgs, cells, objs, groups), out[:4]):
            acc.append(item)
        reports[pid], checks[pid] = out[4], out[5]
        if progress is not None:
            progress(row + 1, len(parents), pid)
    mg_all = pd.concat(mgs, ignore_index=True)
    cells_all = pd.concat(cells, ignore_index=True)
    objs_all = pd.concat(objs, ignore_index=True)
    groups_all = pd.concat(groups, ignore_index=True)
    written = _write_outputs(out_path, driver, mg_all, cells_all, objs_all, groups_all)
    summary = {
        "n_parents": len(parents),
        "n_microgrids": int(len(mg_all)),
        "parents": reports,
        "validation": checks,
        "unassigned_objects": objects.loc[owner < 0, "id"].tolist()
        if "id" in objects.columns else int((owner < 0).sum()),
        "outputs": written,
        "attribution": "Derived from OpenStreetMap data, © OpenStreetMap contributors, ODbL 1.0"
        if _looks_like_osm(objects) else None,
    }
    report_path = out_path.with_suffix(".report.json")
    summary["outputs"]["report"] = str(report_path)
    report_path.write_text(json.dumps(jsonable(summary), ensure_ascii=False, indent=1),
                           encoding="utf-8")
    return jsonable(summary)


def _one_parent(parent, pid: str, objects, roads, compounds, barriers, opts):
    """Partition one parent: its microgrids, cells, objects and groups tagged with the
    parent, its report and its validation summary (the rule metrics are in the report)."""
    res = partition(parent, objects, roads, compounds, barriers, options=opts)
    check = validate_plan(parent, res.microgrids, objects, assignment=res.assignment,
                          rules=False)
    mg = res.microgrids.copy()
    mg.insert(1, "serial", mg["id"])
    mg["id"] = mg["code"] if "code" in mg.columns else [f"{pid}-{i:03d}" for i in mg["id"]]
    to_id = dict(zip(mg["serial"], mg["id"]))
    c = res.cells.copy()
    c["parent_id"] = pid
    c["microgrid_id"] = c["microgrid"].map(to_id)
    o = res.objects[["id", "type", "households", "workload", "estimated", "microgrid",
                     "seed"]].copy()
    o["parent_id"] = pid
    o["microgrid_id"] = o["microgrid"].map(to_id)
    o = gpd.GeoDataFrame(o.drop(columns="seed"), geometry=o["seed"].values, crs=res.objects.crs)
    g = res.groups.copy()
    g["parent_id"] = pid
    summary = {"ok": check.ok, "counts": {k: v for k, v in check.counts.items() if v},
               "stats": check.stats}
    return mg, c, o, g, res.report, summary


def _looks_like_osm(objects) -> bool:
    return "source" in objects.columns and objects["source"].astype(str).str.contains(
        "osm", case=False).any()


def _write_outputs(out_path: Path, driver: str, mg, cells, objs, groups) -> dict[str, str]:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if driver == "GPKG":
        if out_path.exists():
            out_path.unlink()
        write_layer(mg, out_path, layer="microgrids")
        write_layer(cells, out_path, layer="cells")
        write_layer(objs, out_path, layer="objects")
        gj = groups.copy()
        gj["object_ids"] = gj["object_ids"].map(lambda v: json.dumps(jsonable(v),
                                                                     ensure_ascii=False))
        groups_path = out_path.with_suffix(".groups.csv")
        gj.to_csv(groups_path, index=False)
        return {"plan": str(out_path), "groups": str(groups_path)}
    stem = out_path.with_suffix("")
    write_layer(mg, out_path)
    cells_path = Path(f"{stem}.cells.geojson")
    write_layer(cells, cells_path)
    assign_path = Path(f"{stem}.assignment.csv")
    objs.drop(columns=objs.geometry.name).to_csv(assign_path, index=False)
    groups_path = Path(f"{stem}.groups.csv")
    gj = groups.copy()
    gj["object_ids"] = gj["object_ids"].map(lambda v: json.dumps(jsonable(v), ensure_ascii=False))
    gj.to_csv(groups_path, index=False)
    return {"plan": str(out_path), "cells": str(cells_path), "assignment": str(assign_path),
            "groups": str(groups_path)}


def validate_files(boundary_path, plan_path, objects_path=None, *, plan_layer=None,
                   parent_column: str = "parent_id", roads_path=None, water_path=None,
                   **kwargs) -> dict[str, Any]:
    """Validate a plan file against its parents (one report per parent, with ``text``).

    Microgrids are matched to parents by ``parent_column`` when the plan has
    it and every value names a parent; otherwise the whole plan is checked
    against the union of the parents. Roads and water (optional files) feed
    the division-rule metrics. ``kwargs`` go to
    :func:`~geogrid.validate.validate_plan`.
    """
    if roads_path:
        kwargs["roads"] = read_layer(roads_path)
    if water_path:
        kwargs["water"] = read_layer(water_path)
    parents = read_layer(boundary_path)
    plan = read_layer(plan_path, layer=plan_layer)
    objects = read_layer(objects_path) if objects_path else None
    if "id" not in parents.columns:
        parents = parents.assign(id=[str(i) for i in parents.index])
    pid = parents["id"].astype(str)
    out: dict[str, Any] = {}
    if parent_column in plan.columns and plan[parent_column].astype(str).isin(set(pid)).all():
        owner = _by_parent(objects, parents) if objects is not None else None
        for row, p in enumerate(pid):
            sub = plan[plan[parent_column].astype(str) == p]
            objs = objects[owner == row] if objects is not None else None
            rep = validate_plan(parents.iloc[[row]], sub, objs, **kwargs)
            out[p] = {**rep.to_dict(), "text": rep.to_text()}
    else:
        whole = gpd.GeoSeries([shapely.union_all(parents.geometry.values)], crs=parents.crs)
        rep = validate_plan(whole, plan, objects, **kwargs)
        out["all"] = {**rep.to_dict(), "text": rep.to_text()}
    return {"ok": all(r["ok"] for r in out.values()), "parents": out}
