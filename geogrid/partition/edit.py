"""Pure editing helpers for a partition: every edit returns a new result.

Microgrids are unions of the cells of the tessellation kept in
:class:`~geogrid.partition.engine.PartitionResult`, so an edit only relabels
cells and re-dissolves them: the plan keeps tiling the parent exactly. An
edit that would leave a microgrid in two pieces (or empty) is refused with
:class:`PlanEditError`, which names the microgrid and how to fix the request.
Microgrid ids survive edits (a split adds the next free id, a merge retires
one), so codes and references stay stable; undo is keeping the old result.

>>> # new = move_cells(result, [12, 13], to_microgrid=4)
>>> # changes = diff_assignments(result.assignment, new.assignment)
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .._errors import InputError
from .engine import PartitionOptions, PartitionResult, assemble
from .inputs import prepare_parent
from .graph import split_part

__all__ = ["PlanEditError", "move_cells", "move_objects", "split_microgrid", "merge_microgrids",
           "diff_assignments", "restore_result", "move_options"]


class PlanEditError(InputError):
    """An edit that would break the plan (a microgrid in pieces, empty, unknown)."""

    code = "plan_edit_refused"


def _labels(result: PartitionResult) -> np.ndarray:
    return result.context["cells"]["microgrid"].to_numpy().astype(np.int64).copy()


def _check_id(result: PartitionResult, mg, name: str = "microgrid") -> int:
    ids = set(int(i) for i in result.microgrids["id"])
    try:
        value = int(mg)
    except (TypeError, ValueError):
        value = None
    if value not in ids:
        raise PlanEditError(f"{name} {mg!r} is not a microgrid of this plan.", field=name,
                            value=mg, fix=f"Use one of {sorted(ids)}.")
    return value


def _pieces(result: PartitionResult, labels: np.ndarray, mg: int) -> int:
    """Number of connected pieces of microgrid ``mg`` under ``labels``."""
    verts = np.flatnonzero(labels == mg)
    if len(verts) == 0:
        return 0
    e = result.edges
    a, b = e["a"].to_numpy(), e["b"].to_numpy()
    pos = np.full(len(labels), -1)
    pos[verts] = np.arange(len(verts))
    m = (pos[a] >= 0) & (pos[b] >= 0)
    g = sparse.coo_matrix((np.ones(int(m.sum())), (pos[a[m]], pos[b[m]])),
                          shape=(len(verts), len(verts)))
    return connected_components(g, directed=False)[0]


def _rebuild(result: PartitionResult, labels: np.ndarray, touched: Iterable[int]
             ) -> PartitionResult:
    for mg in sorted(set(int(t) for t in touched)):
        n = _pieces(result, labels, mg)
        if n == 0:
            raise PlanEditError(f"the edit would leave microgrid {mg} empty.", field="microgrid",
                                value=mg, fix="Merge it into a neighbour instead "
                                              "(merge_microgrids).")
        if n > 1:
            raise PlanEditError(f"the edit would split microgrid {mg} into {n} pieces; every "
                                "microgrid must stay one contiguous polygon.", field="microgrid",
                                value=mg, fix="Move cells on its edge, or move the cells that "
                                              "connect the pieces too.")
    return assemble(result.context, labels, renumber=False)


def move_cells(result: PartitionResult, cells: Iterable[int], to_microgrid) -> PartitionResult:
    """Move cells (by ``cell`` number) to ``to_microgrid``; re-dissolve; refuse breaks."""
    target = _check_id(result, to_microgrid, "to_microgrid")
    labels = _labels(result)
    cells = sorted(set(int(c) for c in cells))
    bad = [c for c in cells if not 0 <= c < len(labels)]
    if bad or not cells:
        raise PlanEditError(f"cells {bad or cells} are not cells of this plan.", field="cells",
                            value=bad or cells, fix=f"Cell numbers run 0..{len(labels) - 1}.")
    sources = set(labels[cells].tolist()) - {target}
    labels[cells] = target
    return _rebuild(result, labels, sources | {target})


def move_objects(result: PartitionResult, object_ids: Iterable, to_microgrid, *,
                 with_cellmates: bool = False) -> PartitionResult:
    """Move objects to ``to_microgrid`` by moving their cells.

    An object's cell may hold other objects (points inside a footprint, an
    address on a building); they move too only when ``with_cellmates`` is
    true, otherwise the edit is refused listing them.
    """
    objs = result.context["objs"]
    by_id = {str(i): c for i, c in zip(objs["id"], objs["cell"])}
    ids = [str(o) for o in object_ids]
    missing = [o for o in ids if o not in by_id]
    if missing:
        raise PlanEditError(f"objects {missing[:10]} are not in this plan.", field="object_ids",
                            value=missing[:10])
    cells = sorted({int(by_id[o]) for o in ids})
    mates = sorted(str(i) for i, c in zip(objs["id"], objs["cell"])
                   if int(c) in cells and str(i) not in ids)
    if mates and not with_cellmates:
        raise PlanEditError(f"objects {mates[:10]} share a cell with the objects moved.",
                            field="object_ids", value=mates[:10],
                            fix="Pass with_cellmates=True to move them together.")
    return move_cells(result, cells, to_microgrid)


def move_options(result: PartitionResult, object_ids: Iterable) -> list[dict]:
    """Where the objects could go as one move, without making it (for the editor's list).

    One row per microgrid that shares a cell edge with the objects' cells:
    ``microgrid``, ``ok``, and when not ok the ``reason`` — ``mates`` (other
    objects share their cells: ``value`` lists them), ``split`` (a microgrid
    would fall apart or be emptied: ``value`` names it). The sources themselves
    are not listed. Only connectivity is checked, so this is cheap.
    """
    objs = result.context["objs"]
    by_id = {str(i): int(c) for i, c in zip(objs["id"], objs["cell"])}
    ids = [str(o) for o in object_ids if str(o) in by_id]
    if not ids:
        return []
    cells = np.array(sorted({by_id[o] for o in ids}), dtype=np.int64)
    mates = sorted(str(i) for i, c in zip(objs["id"], objs["cell"])
                   if int(c) in set(cells.tolist()) and str(i) not in set(ids))
    labels = _labels(result)
    e = result.edges
    a, b = e["a"].to_numpy(), e["b"].to_numpy()
    mine = np.zeros(len(labels), bool)
    mine[cells] = True
    touching = set(labels[b[mine[a] & ~mine[b]]].tolist()) | set(labels[a[mine[b] & ~mine[a]]].tolist())
    sources = set(labels[cells].tolist())
    out = []
    for mg in sorted(touching - sources):
        new = labels.copy()
        new[cells] = mg
        broken = [s for s in sorted(sources | {mg}) if _pieces(result, new, s) != 1]
        row = {"microgrid": int(mg), "ok": not broken and not mates}
        if broken:
            row.update(reason="split", value=int(broken[0]))
        elif mates:
            row.update(reason="mates", value=mates[:20])
        out.append(row)
    return out


def split_microgrid(result: PartitionResult, microgrid, *, seed: int = 0) -> PartitionResult:
    """Cut a microgrid in two (METIS k=2 on its cells, contiguous, balanced).

    The half holding the microgrid's first cell keeps the id; the other half
    gets the next free id.
    """
    mg = _check_id(result, microgrid)
    labels = _labels(result)
    if (labels == mg).sum() < 2:
        raise PlanEditError(f"microgrid {mg} is a single cell and cannot be split.",
                            field="microgrid", value=mg)
    graph = result.graph()
    new = int(result.microgrids["id"].max()) + 1
    labels = split_part(graph, labels, mg, new, seed=seed)
    return _rebuild(result, labels, {mg, new})


def merge_microgrids(result: PartitionResult, a, b) -> PartitionResult:
    """Merge microgrid ``b`` into ``a`` (they must share a boundary); ``a`` keeps its id."""
    ia, ib = _check_id(result, a, "a"), _check_id(result, b, "b")
    if ia == ib:
        raise PlanEditError("a and b are the same microgrid.", field="b", value=b)
    labels = _labels(result)
    e = result.edges
    la, lb = labels[e["a"].to_numpy()], labels[e["b"].to_numpy()]
    if not np.any(((la == ia) & (lb == ib)) | ((la == ib) & (lb == ia))):
        raise PlanEditError(f"microgrids {ia} and {ib} do not share a boundary.", field="b",
                            value=b, fix="Merge neighbours only; move cells in between first.")
    labels[labels == ib] = ia
    return _rebuild(result, labels, {ia})


def diff_assignments(old: pd.Series, new: pd.Series) -> pd.DataFrame:
    """Objects whose microgrid differs between two assignments.

    Returns ``object_id, from_microgrid, to_microgrid, change`` with ``change``
    one of ``moved``, ``added`` (only in ``new``), ``removed`` (only in ``old``).
    """
    old_map, new_map = old.to_dict(), new.to_dict()
    rows = []
    for oid in sorted(set(old_map) | set(new_map), key=str):
        f, t = old_map.get(oid), new_map.get(oid)
        f = None if f is None or pd.isna(f) else _plain(f)
        t = None if t is None or pd.isna(t) else _plain(t)
        if f is None and t is not None:
            rows.append((oid, None, t, "added"))
        elif t is None and f is not None:
            rows.append((oid, f, None, "removed"))
        elif f is not None and f != t:
            rows.append((oid, f, t, "moved"))
    out = pd.DataFrame(rows, columns=["object_id", "from_microgrid", "to_microgrid", "change"],
                       dtype=object)
    return out


def _plain(v):
    return int(v) if isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer()) \
        else v


def restore_result(parent, cells, edges: pd.DataFrame, objects, *,
                   options: PartitionOptions | None = None) -> PartitionResult:
    """Rebuild an editable result from its stored parts.

    ``cells``, ``edges`` and ``objects`` are ``PartitionResult.cells``,
    ``.edges`` and ``.objects`` as persisted (``cells.cell`` numbers 0..n-1,
    ``cells.microgrid`` the plan; ``objects`` keep ``id, type, hh_work,
    workload, estimated, cell, seed``). Microgrid ids are kept. The
    households a heavy compound spread over its cells are recovered from the
    cells (:func:`_compound_shares`), so its 楼组 per microgrid are those of the
    first run.
    """
    parent_m, crs, mcrs, parent_id, row, _ = prepare_parent(parent)
    cells = cells.sort_values("cell").reset_index(drop=True)
    if not (cells["cell"].to_numpy() == np.arange(len(cells))).all():
        raise PlanEditError("cells must be numbered 0..n-1 without gaps.", field="cells",
                            fix="Persist and reload PartitionResult.cells whole.")
    keep = [c for c in ("cell", "label", "block", "compound_id", "area_m2", "workload",
                        "households", "microgrid") if c in cells.columns]
    cells_m = cells[keep + [cells.geometry.name]].to_crs(mcrs)
    cells_m["compound_id"] = cells_m["compound_id"].astype(object).where(
        cells_m["compound_id"].notna(), None) if "compound_id" in cells_m else None
    objs = objects.to_crs(mcrs)
    if "seed" in objs.columns:
        objs["seed"] = gpd.GeoSeries(objects["seed"].values, crs=objects.crs).to_crs(mcrs).values
    else:
        objs["seed"] = objs.geometry.representative_point()
    options = options or PartitionOptions()
    context = {"parent_id": row.get("id", parent_id), "parent_code": row.get("code"),
               "kind": row.get("kind"), "notes": {}, "kept_whole": [],
               "shares": _compound_shares(objs, cells_m),
               "target": float(cells["workload"].sum()) / max(1, cells["microgrid"].nunique()),
               "k_requested": int(cells["microgrid"].nunique())}
    state = {"parent_m": parent_m, "crs": crs, "mcrs": mcrs, "objs": objs, "cells": cells_m,
             "edges": edges.reset_index(drop=True), "options": options, "context": context}
    return assemble(state, cells["microgrid"].to_numpy(), renumber=False)


def _compound_shares(objs, cells) -> dict[int, dict[int, float]]:
    """Object row → {cell: households} of each compound spread over several cells.

    A cell's stored households are those of the objects in it plus the share
    of a compound spread over it, so the share is what is left after the
    cell's own objects (the compound's home cell holds the compound itself).
    """
    if "compound_id" not in cells.columns or not len(objs):
        return {}
    hh = objs["hh_work"].to_numpy(float) if "hh_work" in objs.columns \
        else pd.to_numeric(objs["households"], errors="coerce").fillna(0.0).to_numpy(float)
    obj_cell = objs["cell"].to_numpy()
    own = np.bincount(obj_cell, weights=hh, minlength=len(cells))
    cell_hh = cells["households"].to_numpy(float)
    comp_of = cells["compound_id"].astype(object).to_numpy()
    ids = objs["id"].astype(str).to_numpy()
    types = objs["type"].astype(str).to_numpy()
    out: dict[int, dict[int, float]] = {}
    for r in np.flatnonzero((types == "compound") & (hh > 0)):
        cs = np.flatnonzero(np.array([c is not None and str(c) == ids[r] for c in comp_of]))
        home = int(obj_cell[r])
        share = {int(c): float(cell_hh[c] - own[c] + (hh[r] if c == home else 0.0)) for c in cs}
        share = {c: h for c, h in share.items() if h > 1e-9 or c == home}
        if len(share) > 1:
            out[int(r)] = share
    return out
