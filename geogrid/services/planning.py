"""Planning in the store: partition a grid into a draft, edit it, undo/redo, diff, validate.

Every change runs in one transaction that also bumps the plan's version
(optimistic lock: two planners cannot overwrite each other) and writes the
audit log. The cell tessellation behind each partitioned grid is kept in
``partition_states`` (append-only), so edits re-dissolve cells and keep the
exact tiling; ``plan_edits`` is the undo/redo stack, each entry pointing at
the state before and after it.

Editing an active plan is refused: planners work on a draft copy
(:meth:`Store.copy_plan`) and activate it when done.
"""

from __future__ import annotations

from collections import OrderedDict

import geopandas as gpd
import pandas as pd

from .._errors import InputError, NotFoundError, StateError
from ..codes import allocate_serials
from ..locate.chain import ancestor_at
from ..model import DEFAULT_LEVELS
from ..partition import (PartitionOptions, cut_along_line, diff_assignments, merge_microgrids,
                         move_cells, move_objects, move_options, partition, restore_result,
                         split_microgrid)
from ..partition.groups import group_areas
from ..security import Principal
from ..store import Store
from ..workload import WorkloadWeights
from . import policy
from ._plan_rows import area_changes, part_id, plain, uid_or_none
from .planning_redraw import cut_upper, step_upper, upper_areas
from .plan_validation import validate_stored
from .reportcache import ReportCache

#: the balance band of the editor's chart: a microgrid within ±15 % of its grid's mean
#: workload is balanced (the validator's default CV limit)
BALANCE_TOLERANCE = 0.15

__all__ = ["PlanningService", "ScopedPlanning", "draft_name", "microgrid_uid"]

DRAFT_MARK = " (草稿)"


def draft_name(name: str) -> str:
    """The default name of a draft copied from a plan called ``name``: one 草稿 mark, however
    many copies deep (a copy of a copy was 'X (草稿) (草稿)', and kept it once activated).

    >>> draft_name("陆家嘴 (草稿) (草稿)")
    '陆家嘴 (草稿)'
    """
    base = name
    while base.endswith(DRAFT_MARK):
        base = base[: -len(DRAFT_MARK)]
    return base + DRAFT_MARK if base else name


EDIT_OPS = ("move_objects", "move_cells", "split", "merge", "cut", "lock", "unlock")


def microgrid_uid(parent_uid: str, mg_id: int, code: str | None) -> str:
    return f"mg-{code}" if code else f"{parent_uid}-mg{int(mg_id):03d}"


class PlanningService:
    #: restored partition states kept per process; states are append-only, so an id
    #: always names the same cells (undo, redo and the next edit skip the restore)
    CACHE_SIZE = 16

    def __init__(self, store: Store):
        self.store = store
        self.edits = store.edits
        self._restored: OrderedDict[int, tuple] = OrderedDict()
        #: validation reports by a fingerprint of their inputs (``reports.computed`` counts runs)
        self.reports = ReportCache()
        #: the whole-plan checks of stored plans, apart from the per-grid reports
        self.plan_reports = ReportCache()

    # -- inputs -------------------------------------------------------------------------
    def _parent(self, plan_id: int, parent_uid: str) -> gpd.GeoDataFrame:
        """The area to partition: one of a declared level with a tiling level below it."""
        parent = self.store.areas(plan_id, uids=[parent_uid])
        if parent.empty:
            raise NotFoundError(f"区域 {parent_uid!r} 不在方案 {plan_id} 中。area {parent_uid!r} is "
                                f"not in plan {plan_id}.", field="grid_id", value=parent_uid,
                                fix="用 GET /plans/{id}/areas 中的区域 id。"
                                    "Use an area id from GET /plans/{id}/areas.")
        levels = self.store.plan_levels(plan_id)
        level = parent["level"].iat[0]
        if level not in levels.keys or levels.parts_of(level) is None:
            above = [f"{lv.zh}={lv.key}" for lv in levels if levels.parts_of(lv.key)]
            raise InputError(
                f"区域 {parent_uid!r} 属于 {level} 层, 其下没有可划分的层级。area {parent_uid!r} is "
                f"a {level}: no level of plan {plan_id} tiles it, so it cannot be partitioned.",
                field="grid_id", value=parent_uid,
                fix=f"传这些层级的区域 id: {', '.join(above)}。"
                    f"Pass the id of an area on one of these levels: {', '.join(above)}.")
        if level == "grid" and levels == DEFAULT_LEVELS:
            self._refuse_grid_with_communities(plan_id, parent)
        return parent

    def _refuse_grid_with_communities(self, plan_id: int, grid: gpd.GeoDataFrame) -> None:
        """A grid with 居民区/商务区 is partitioned community by community: its microgrids
        must tile each community, and cutting the grid as a whole would lay a second
        layer of microgrids over theirs."""
        uid = grid["id"].iat[0]
        inside = self.store.areas(plan_id, level="community", parent=uid)
        if inside.empty:
            return
        listed = "; ".join(f"{n} ({i})" for n, i in zip(inside["name"], inside["id"]))
        raise InputError(
            f"网格 {grid['name'].iat[0]} ({uid}) 下有 {len(inside)} 个居民区/商务区, 微网格在"
            f"居民区/商务区内划分, 不能整个网格一起划分。grid {uid} holds {len(inside)} "
            f"居民区/商务区 (communities); its microgrids are cut within each of them, so the "
            f"grid as a whole cannot be partitioned.", field="grid_id", value=uid,
            fix=f"分别划分这些居民区/商务区: {listed}。Partition each of these communities "
                f"instead: {listed}.")

    def _parts_level(self, plan_id: int, parent_uid: str, conn=None) -> tuple[str, str | None]:
        """(level of the parts, level of their 楼组 or None) under ``parent_uid``."""
        levels = self.store.plan_levels(plan_id, conn)
        if conn is None:
            with self.store.read() as own:
                found = self.edits.area_shape(own, plan_id, parent_uid)
        else:
            found = self.edits.area_shape(conn, plan_id, parent_uid)
        parts = levels.parts_of(found[0] if found else None)
        return parts, levels.groups_of(parts)

    def _objects_in(self, parent: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        geom = parent.geometry.iat[0]
        objs = self.store.objects(bbox=tuple(parent.total_bounds))
        if objs.empty:
            return objs
        inside = objs.geometry.representative_point().intersects(geom)
        return objs[inside.to_numpy()].reset_index(drop=True)

    def _roads_in(self, parent: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
        """Stored road lines touching the parent's bounding box (None when there are none)."""
        roads = self.store.roads(bbox=tuple(parent.total_bounds))
        return roads if len(roads) else None

    # -- partition ----------------------------------------------------------------------
    def partition_grid(self, plan_id: int, grid_uid: str, *, actor: str,
                       expected_version: int | None = None, as_draft: bool = False,
                       **options) -> dict:
        """Partition one grid of a draft plan into microgrids; returns the report. With
        ``as_draft`` a plan that is not a draft is copied to one in the same transaction
        as the result, only once the partition has succeeded."""
        with self.store.read() as conn:
            plan = self.store.plan(plan_id, conn)
        copy = as_draft and plan["status"] != "draft"
        if plan["status"] != "draft" and not copy:
            raise StateError(f"方案 {plan_id} 不是草稿 ({plan['status']}), 只能划分草稿。plan {plan_id} "
                             f"is {plan['status']}; partition a draft.", field="plan_id",
                             value=plan_id,
                             fix="先复制 (POST /plans/{id}/copy), 再划分副本。Copy it first "
                                 "(POST /plans/{id}/copy) and partition the copy.")
        self.store.check_version(plan, expected_version)  # fail fast; checked again on write
        parent = self._parent(plan_id, grid_uid)
        locked = self.store.areas(plan_id, level=self._parts_level(plan_id, grid_uid)[0],
                                  parent=grid_uid)
        if len(locked) and locked["locked"].fillna(False).astype(bool).any():
            raise StateError(f"网格 {grid_uid} 有锁定的微网格。grid {grid_uid} has locked "
                             "microgrids.", field="grid_id", value=grid_uid,
                             fix="先解锁再重新划分。Unlock them before partitioning the grid again.")
        objects = self._objects_in(parent)
        opts = PartitionOptions.from_kwargs(**options)
        result = partition(parent, objects, self._roads_in(parent), options=opts)
        with self.store.write() as conn:
            if copy:
                plan_id = self.store.copy_plan(plan_id, actor=actor, conn=conn)
            version = self.store.bump_version(conn, plan_id, None if copy else expected_version)
            state_id = self._save_state(conn, plan_id, grid_uid, result)
            self._materialise(conn, plan_id, grid_uid, result)
            self._truncate_redo(conn, plan_id)
            self._push_edit(conn, plan_id, "partition", {"grid_id": grid_uid, **plain(options)},
                            before=None, after=state_id, actor=actor)
            self.store.audit(conn, actor=actor, action="plan.partition", entity="plan",
                             entity_id=plan_id, after={"grid": grid_uid,
                                                       "microgrids": len(result.microgrids)})
        return {"plan_id": plan_id, "version": version, "grid_id": grid_uid, "copied_from":
                plan["id"] if copy else None, "microgrids": len(result.microgrids),
                "report": result.report}

    def _save_state(self, conn, plan_id: int, parent_uid: str, result) -> int:
        cells = result.cells.copy()
        cells["object_ids"] = cells["object_ids"].map(lambda v: [str(x) for x in (v or [])])
        cells["compound_id"] = cells["compound_id"].astype(object).where(
            cells["compound_id"].notna(), None).map(lambda v: None if v is None else str(v))
        objects = result.objects.copy()
        for col in objects.columns:
            if objects[col].dtype == object and col not in ("geometry", "seed"):
                objects[col] = objects[col].map(lambda v: None if v is None or v != v else str(v))
        return self.edits.save_state(conn, plan_id, parent_uid, cells=cells, edges=result.edges,
                                     objects=objects, options=plain(result.options.to_dict()),
                                     report=plain(result.report))

    def _load_state(self, conn, state_id: int, plan_id: int):
        """The editable result of a saved state, restored once per process: the key holds
        the state's plan, time of saving and its parent's geometry, so a reused id or a
        reshaped grid is restored afresh."""
        meta = self.edits.state_meta(conn, state_id)
        found = self.edits.area_shape(conn, plan_id, meta["parent_uid"])
        key = (int(state_id), int(plan_id), str(meta["created_at"]), hash(found and found[1]))
        if key in self._restored:
            self._restored.move_to_end(key)
            return self._restored[key]
        parent = self.store.areas(plan_id, uids=[meta["parent_uid"]], conn=conn)
        saved = self.edits.load_state(conn, state_id)
        options = PartitionOptions.from_kwargs(**{k: v for k, v in saved.options.items()
                                                  if k not in ("weights", "estimation")})
        out = saved.parent_uid, restore_result(parent, saved.cells, saved.edges, saved.objects,
                                               options=options)
        self._restored[key] = out
        while len(self._restored) > self.CACHE_SIZE:
            self._restored.popitem(last=False)
        return out

    def _current_state_id(self, conn, plan_id: int, parent_uid: str) -> int:
        return self.edits.current_state_id(conn, plan_id, parent_uid)

    def _materialise(self, conn, plan_id: int, parent_uid: str, result) -> None:
        """Make the plan's parts (microgrids, or the declared level below the parent), their 楼组
        and memberships under ``parent_uid`` those of ``result``.

        Incremental: only the areas whose geometry or fields differ from the stored ones
        are rewritten, and only the memberships that change, so an edit that touches two
        microgrids writes about two microgrids, not the whole grid."""
        level, group_level = self._parts_level(plan_id, parent_uid, conn)
        zh = self.store.plan_levels(plan_id, conn).spec(level).zh
        old = self.edits.microgrids(conn, plan_id, parent_uid, level=level)
        locked = {u for u, _, lk in old if lk}
        kept = self._serials_of(conn, plan_id, parent_uid, level)
        mg = result.microgrids
        codes = list(mg["code"]) if "code" in mg else [None] * len(mg)
        serials = [int(i) for i in mg["id"]]
        across = self._grid_serials(conn, plan_id, parent_uid, level, list(mg["id"]), kept)
        if across is not None:   # under a 居民区/商务区: serials run across its grid
            prefix, by_part = across
            serials = [by_part[int(i)] for i in mg["id"]]
            codes = [f"{prefix}{s:03d}" for s in serials]
        uids = [microgrid_uid(parent_uid, i, c) for i, c in zip(mg["id"], codes)]
        frame = gpd.GeoDataFrame({
            "id": uids, "level": level, "kind": result.context.get("kind") or "mixed",
            "name": [f"第{s}{zh}" for s in serials], "code": codes, "parent_id": parent_uid,
            "attrs": [{"workload": float(w), "households": float(h), "n_objects": int(n),
                       "n_building_groups": int(g), "estimated_households": bool(e),
                       "compactness": float(c), "part": int(i)}
                      for w, h, n, g, e, c, i in zip(
                          mg["workload"], mg["households"], mg["n_objects"],
                          mg["n_building_groups"], mg["estimated_households"] > 0,
                          mg["compactness"], mg["id"])],
        }, geometry=mg.geometry.values, crs=mg.crs)
        groups = group_areas(result, dict(zip(mg["id"], uids)))
        if len(groups) and group_level is not None:
            groups["level"] = group_level
            frame = pd.concat([frame, groups], ignore_index=True)
        stored = self._stored_areas(conn, plan_id, [u for u, _, _ in old])
        stale, fresh = area_changes(stored, frame)
        self.edits.delete_exact(conn, plan_id, stale)
        self.store.add_areas(conn, plan_id, frame[frame["id"].isin(fresh)])
        if locked:
            self.edits.set_locked(conn, plan_id, locked & set(fresh), True)
        # memberships of this parent's objects that change
        assignment = result.assignment.map(dict(zip(mg["id"], uids)))
        ids = result.objects["id"].astype(str)
        now_in = self.store.memberships(plan_id, conn).reindex(ids).to_numpy(object)
        after = assignment.reindex(result.objects["id"]).to_numpy(object)
        changed = [i for i, a, b in zip(ids, now_in, after) if uid_or_none(a) != uid_or_none(b)]
        if changed:
            self.edits.replace_memberships(conn, plan_id, changed,
                                           pd.Series(after, index=ids.to_numpy()).loc[changed])

    def _stored_areas(self, conn, plan_id: int, parts: list[str]) -> gpd.GeoDataFrame:
        """The stored parts ``parts`` and the areas under them (their 楼组)."""
        below = self.edits.children(conn, plan_id, parts) if parts else []
        return self.store.areas(plan_id, uids=[*parts, *below], conn=conn)

    def _serials_of(self, conn, plan_id: int, parent_uid: str, level: str) -> dict[int, int]:
        """Part id → the serial its code ends with, for the parts now under ``parent_uid``."""
        out = {}
        for uid, code, attrs in self.edits.parts(conn, plan_id, parent_uid, level=level):
            if code and str(code)[-3:].isdigit():
                out[part_id(uid, code, attrs)] = int(str(code)[-3:])
        return out

    def _grid_serials(self, conn, plan_id: int, parent_uid: str, level: str, parts: list,
                      kept: dict[int, int]) -> tuple[str, dict[int, int]] | None:
        """(grid code, part id → serial) for the microgrids of a 居民区/商务区 whose grid has
        a 12-digit code: 15-digit unit-grid codes numbered across the grid
        (:func:`geogrid.codes.allocate_serials`). None for any other parent."""
        parent = self.store.areas(plan_id, uids=[parent_uid], conn=conn)
        if level != "microgrid" or parent["level"].iat[0] != "community" \
                or not isinstance(parent["parent_id"].iat[0], str):
            return None
        grid = self.store.areas(plan_id, uids=[parent["parent_id"].iat[0]], conn=conn)
        code = grid["code"].iat[0] if len(grid) and grid["level"].iat[0] == "grid" else None
        if not (isinstance(code, str) and len(code) == 12 and code.isdigit()):
            return None
        # serials of the grid's other microgrids (this parent's present ones are ``kept``)
        taken = {int(c[12:]) for c in self.edits.codes_under(conn, plan_id, code, level=level)
                 if len(c) == 15 and c.isdigit()} - set(kept.values())
        by_part = allocate_serials(parts, kept, taken)
        return None if by_part is None else (code, by_part)

    # -- edit stack ---------------------------------------------------------------------
    def _push_edit(self, conn, plan_id: int, op: str, params: dict, *, before, after,
                   actor: str, parent_uid: str | None = None) -> int:
        return self.edits.push(conn, plan_id, op, params, before=before, after=after,
                               actor=actor, parent_uid=parent_uid)

    def _truncate_redo(self, conn, plan_id: int) -> None:
        self.edits.truncate_redo(conn, plan_id)

    def edit(self, plan_id: int, op: str, *, actor: str, expected_version: int | None = None,
             **params) -> dict:
        """Apply one edit: move_objects, move_cells, split, merge, cut (along a drawn line),
        lock, unlock."""
        if op not in EDIT_OPS:
            ops = ", ".join(EDIT_OPS)
            raise InputError(f"{op!r} 不是编辑操作。op {op!r} is not an edit.", field="op",
                             value=op, fix=f"op 取以下之一: {ops}。Use one of {ops}.")
        with self.store.write() as conn:
            self.store.require_draft(conn, plan_id)
            version = self.store.bump_version(conn, plan_id, expected_version)
            if op in ("lock", "unlock"):
                uid = self._require_microgrid(conn, plan_id, params.get("microgrid"))
                self.edits.set_locked(conn, plan_id, [uid], op == "lock")
                self._truncate_redo(conn, plan_id)
                self._push_edit(conn, plan_id, op, {"microgrid": uid}, before=None, after=None,
                                actor=actor, parent_uid=None)
                self.store.audit(conn, actor=actor, action=f"plan.{op}", entity="area",
                                 entity_id=uid)
                return {"plan_id": plan_id, "version": version, "op": op, "microgrid": uid}
            upper = upper_areas(self.store, conn, plan_id, params.get("microgrids") or []) \
                if op == "cut" else None
            if upper is not None:  # one level up: the line moves whole children
                return {"plan_id": plan_id, "version": version,
                        **cut_upper(self, conn, plan_id, upper, params.get("line"), actor=actor,
                                    params=plain(params))}
            parent_uid, mg_map = self._parent_of_edit(conn, plan_id, op, params)
            before = self._current_state_id(conn, plan_id, parent_uid)
            _, result = self._load_state(conn, before, plan_id)
            inverse = {v: k for k, v in mg_map.items()}
            self._refuse_locked(conn, plan_id, op, params, inverse, result)
            new = self._apply(result, op, params, inverse)
            after = self._save_state(conn, plan_id, parent_uid, new)
            self._materialise(conn, plan_id, parent_uid, new)
            self._truncate_redo(conn, plan_id)
            seq = self._push_edit(conn, plan_id, op, plain(params), before=before, after=after,
                                  actor=actor, parent_uid=parent_uid)
            moved = diff_assignments(result.assignment, new.assignment)
            self.store.audit(conn, actor=actor, action=f"plan.{op}", entity="plan",
                             entity_id=plan_id, before={"state": before},
                             after={"state": after, "moved": int(len(moved))})
        return {"plan_id": plan_id, "version": version, "op": op, "seq": seq,
                "moved_objects": int(len(moved)), "microgrids": len(new.microgrids)}

    def _require_microgrid(self, conn, plan_id: int, uid) -> str:
        """``uid`` if it is a partition part of the plan (a microgrid, or the declared level
        that partitioning makes, e.g. 网格 under 社区)."""
        levels = self.store.plan_levels(plan_id, conn)
        parts = tuple(sorted({p for p in map(levels.parts_of, levels.keys) if p})) or ("microgrid",)
        return self.edits.require_microgrid(conn, plan_id, uid, parts)

    def _parent_of_edit(self, conn, plan_id: int, op: str, params: dict) -> tuple[str, dict]:
        keys = {"move_objects": ["to"], "move_cells": ["to"], "split": ["microgrid"],
                "merge": ["a", "b"], "cut": ["microgrids"]}[op]
        wanted = list(params.get("microgrids") or [None]) if op == "cut" \
            else [params.get(k) for k in keys]
        uids = [self._require_microgrid(conn, plan_id, u) for u in wanted]
        parents = self.edits.parents(conn, plan_id, uids)
        if len(parents) != 1:
            raise InputError("一次编辑的微网格须在同一网格内。the microgrids of one edit must share "
                             "a grid.", field=keys[-1], value=uids,
                             fix="一次只编辑一个网格。Edit within one grid at a time.")
        parent_uid = parents.pop()
        return parent_uid, self._mg_map(conn, plan_id, parent_uid)

    def _mg_map(self, conn, plan_id: int, parent_uid: str) -> dict[int, str]:
        """Partition microgrid id → area uid."""
        level = self._parts_level(plan_id, parent_uid, conn)[0] or "microgrid"
        return {part_id(uid, code, attrs): uid
                for uid, code, attrs in self.edits.parts(conn, plan_id, parent_uid, level=level)}

    def move_targets(self, plan_id: int, objects: list[str]) -> dict:
        """Where the objects could move together as one edit (nothing is changed): each
        microgrid their cells touch, ``ok`` or the reason it is not offered."""
        objects = [str(o) for o in objects]
        member = self.store.memberships(plan_id)
        held = sorted({member.get(o) for o in objects} - {None})
        if not held:
            raise InputError("所选对象不属于本方案的任何微网格。the objects are in no microgrid of "
                             "this plan.", field="objects", value=objects[:10],
                             fix="选择已划入微网格的对象。Pick objects that a microgrid holds.")
        with self.store.read() as conn:
            parents = self.edits.parents(conn, plan_id, held)
            if len(parents) != 1:
                raise InputError("一次只能调整同一网格内的对象。objects of one move must lie in one "
                                 "grid.", field="objects", value=held,
                                 fix="分网格分别调整。Move the objects of each grid separately.")
            parent_uid = parents.pop()
            mg_map = self._mg_map(conn, plan_id, parent_uid)
            _, result = self._load_state(conn, self._current_state_id(conn, plan_id, parent_uid),
                                         plan_id)
            locked = self.edits.locked(conn, plan_id)
        targets = []
        for row in move_options(result, objects):
            uid = mg_map.get(row["microgrid"])
            if uid is None:
                continue
            row = {**row, "microgrid": uid}
            if row.get("reason") == "split":
                row["value"] = mg_map.get(row["value"], row["value"])
            if uid in locked:
                row.update(ok=False, reason="locked", value=uid)
            targets.append(row)
        return {"plan_id": plan_id, "grid_id": parent_uid, "objects": objects,
                "targets": targets}

    def _refuse_locked(self, conn, plan_id, op, params, inverse, result) -> None:
        locked = self.edits.locked(conn, plan_id)
        touched: set[str] = set()
        if op == "split":
            touched.add(params["microgrid"])
        elif op == "merge":
            touched.update([params["a"], params["b"]])
        elif op == "cut":
            touched.update(params["microgrids"])
        else:
            touched.add(params["to"])
            mg_of = result.assignment
            inv = {v: k for k, v in inverse.items()}
            if op == "move_objects":
                for oid in params.get("objects") or []:
                    if oid in mg_of.index:
                        touched.add(inv.get(int(mg_of[oid]), ""))
            else:
                cells = result.cells.set_index("cell")["microgrid"]
                for c in params.get("cells") or []:
                    if int(c) in cells.index:
                        touched.add(inv.get(int(cells[int(c)]), ""))
        bad = sorted(touched & locked)
        if bad:
            raise StateError(f"微网格 {bad} 已锁定。microgrid(s) {bad} are locked.", field="microgrid",
                             value=bad, fix="先解锁 (op=unlock)。Unlock them first (op=unlock).")

    @staticmethod
    def _apply(result, op: str, params: dict, inverse: dict):
        def mg(uid):
            if uid not in inverse:
                raise NotFoundError(f"微网格 {uid!r} 不在此网格中。microgrid {uid!r} is not in this "
                                    "grid.", field="microgrid", value=uid,
                                    fix="用本网格的微网格 id。Use a microgrid id of this grid.")
            return inverse[uid]

        if op == "move_objects":
            objects = params.get("objects") or []
            if not objects:
                raise InputError("objects 为空。objects is empty.", field="objects",
                                 fix="给出要移动的对象 id。Pass object ids.")
            return move_objects(result, [str(o) for o in objects], mg(params["to"]),
                                with_cellmates=bool(params.get("with_cellmates", False)))
        if op == "move_cells":
            return move_cells(result, [int(c) for c in params.get("cells") or []], mg(params["to"]))
        if op == "split":
            return split_microgrid(result, mg(params["microgrid"]))
        if op == "cut":
            return cut_along_line(result, [mg(u) for u in params["microgrids"]], params.get("line"))
        return merge_microgrids(result, mg(params["a"]), mg(params["b"]))

    def undo(self, plan_id: int, *, actor: str, expected_version: int | None = None) -> dict:
        return self._step(plan_id, actor=actor, expected_version=expected_version, undo=True)

    def redo(self, plan_id: int, *, actor: str, expected_version: int | None = None) -> dict:
        return self._step(plan_id, actor=actor, expected_version=expected_version, undo=False)

    def _step(self, plan_id: int, *, actor: str, expected_version, undo: bool) -> dict:
        with self.store.write() as conn:
            self.store.require_draft(conn, plan_id)
            version = self.store.bump_version(conn, plan_id, expected_version)
            row = self.edits.next_step(conn, plan_id, undo=undo)
            if row is None:  # raising rolls the version bump back
                raise StateError(f"方案 {plan_id} 没有可{'撤销' if undo else '重做'}的编辑。"
                                 f"nothing to {'undo' if undo else 'redo'} in plan {plan_id}.",
                                 field="plan_id", value=plan_id)
            info = row.undo or {}
            if info.get("redraw"):  # a boundary redrawn one level up
                step_upper(self, conn, plan_id, info, undo=undo)
            elif row.op in ("lock", "unlock"):
                self.edits.set_locked(conn, plan_id, [row.params["microgrid"]],
                                      (row.op == "lock") != undo)
            else:
                target = info.get("before") if undo else info.get("after")
                if target is None:  # undoing the first partition: remove its microgrids
                    self.edits.clear(conn, plan_id, info["parent_uid"],
                                     level=self._parts_level(plan_id, info["parent_uid"], conn)[0])
                else:
                    _, result = self._load_state(conn, int(target), plan_id)
                    self._materialise(conn, plan_id, info["parent_uid"], result)
            self.edits.mark(conn, row.id, undone=undo)
            self.store.audit(conn, actor=actor, action="plan.undo" if undo else "plan.redo",
                             entity="plan", entity_id=plan_id, after={"seq": row.seq, "op": row.op})
        return {"plan_id": plan_id, "version": version, "op": row.op, "seq": row.seq,
                "undone": undo}

    def next_step_area(self, plan_id: int, *, undo: bool) -> str | None:
        """The area (grid or microgrid uid) the next undo/redo would change, for the scope check."""
        with self.store.read() as conn:
            row = self.edits.next_step(conn, plan_id, undo=undo)
        if row is None:
            return None
        return (row.undo or {}).get("parent_uid") or (row.params or {}).get("microgrid")

    def history(self, plan_id: int) -> list[dict]:
        self.store.plan(plan_id)  # NotFoundError for a missing plan
        with self.store.read() as conn:
            return self.edits.history(conn, plan_id)

    # -- read side ------------------------------------------------------------------------
    def diff(self, plan_id: int, against: int) -> dict:
        """Objects whose microgrid differs between two plans, and where they went."""
        self.store.plan(plan_id), self.store.plan(against)  # NotFoundError for a missing plan
        old = self.store.memberships(against)
        new = self.store.memberships(plan_id)
        table = diff_assignments(old, new)
        return {"plan_id": plan_id, "against": against, "moved": int(len(table)),
                "changes": [{k: plain(v) for k, v in r.items()} for r in table.to_dict("records")]}

    def validate(self, plan_id: int, grid_uid: str | None = None) -> dict:
        """Every level of the plan, and each grid's microgrids with their rule metrics
        (:mod:`.plan_validation`); ``grid_uid``: only that grid or 居民区/商务区."""
        return validate_stored(self, plan_id, grid_uid)

    def stats(self, plan_id: int) -> dict:
        """Live numbers per microgrid, and balance per grid (for the editor). The levels are
        the plan's: its lowest tiling level (微网格; a Hangzhou plan's 网格) against the first
        level below the street (网格; Hangzhou's 社区)."""
        levels = self.store.plan_levels(plan_id)  # NotFoundError for a missing plan
        tiling = [k for k in levels.keys if levels.tiles(k)]
        leaf, top = tiling[-1], tiling[min(1, len(tiling) - 1)]
        # only what the numbers need: the units' rows, the levels above them (to find each
        # one's grid) and their members' sums, added up in the database (no object geometry)
        keys = list(levels.keys)
        mgs = self.store.areas(plan_id, level=leaf)
        tree = pd.concat([f[["id", "level", "parent_id"]] for f in
                          [mgs, *(self.store.areas(plan_id, level=k)
                                  for k in keys[:keys.index(leaf)])]], ignore_index=True)
        sums = self.store.member_sums(plan_id)
        # a microgrid's grid is its nearest grid ancestor, past any 居民区/商务区 between
        grid_of = dict(zip(mgs["id"], ancestor_at(tree, mgs["id"].to_numpy(object), top)))
        rows = []
        for m in mgs.to_dict("records"):
            attrs = m.get("attrs") or {}
            got = sums.loc[m["id"]] if m["id"] in sums.index else None
            rows.append({"id": m["id"], "code": m["code"],
                         "grid_id": grid_of.get(m["id"]) or m["parent_id"],
                         "parent_id": m["parent_id"],
                         "locked": bool(m.get("locked") or False),
                         "households": float(got["households"]) if got is not None else 0.0,
                         "objects": int(got["objects"]) if got is not None else 0,
                         "buildings": int(got["buildings"]) if got is not None else 0,
                         "building_groups": int(attrs.get("n_building_groups", 0)),
                         "workload": float(attrs.get("workload", 0.0))})
        frame = pd.DataFrame(rows)
        grids = []
        if len(frame):
            for gid, g in frame.groupby("grid_id"):
                w = g["workload"].to_numpy(float)
                grids.append({"grid_id": gid, "microgrids": int(len(g)),
                              "cv": float(w.std() / w.mean()) if w.mean() > 0 else None,
                              "max_min": float(w.max() / w.min()) if w.min() > 0 else None,
                              "target": float(w.mean())})
        return {"plan_id": plan_id, "levels": {"unit": leaf, "grid": top}, "microgrids": rows,
                "grids": grids,
                "workload": {"weights": WorkloadWeights().to_dict(),
                             "tolerance": BALANCE_TOLERANCE}}


def _required(version: int | None) -> int:
    """A caller's write must name the plan version it read (optimistic lock)."""
    if version is None:
        raise InputError("缺少方案版本 version。the plan version is required.", field="version",
                         value=None, fix="先读取方案 (GET /plans/{id}), 随写入发送其 version。"
                                         "Read the plan (GET /plans/{id}) and send its version.")
    return version


class ScopedPlanning:
    """The planning use cases for one caller: every write asks :mod:`.policy` first and
    names the plan version it was made on (a stale version: ConflictError, nothing changes)."""

    def __init__(self, planning: PlanningService, principal: Principal):
        self.planning, self.store, self.principal = planning, planning.store, principal

    def _plan(self, plan_id: int) -> dict:
        plan = self.store.plan(plan_id)
        policy.require(self.principal, "read", policy.PlanRef.of(plan))
        return plan

    def _area(self, plan_id: int, uid: str | None) -> None:
        if uid is None:
            return
        hit = self.store.areas(plan_id, uids=[uid])
        if hit.empty:
            raise NotFoundError(f"区域 {uid!r} 不在方案 {plan_id} 中。area {uid!r} is not in plan "
                                f"{plan_id}.", field="area", value=uid,
                                fix="用 GET /plans/{id}/areas 中的 id。Use ids from GET /plans/{id}/areas.")
        policy.require(self.principal, "change",
                       policy.AreaRef(uid, hit["code"].iat[0], self._lineage(plan_id, hit)))

    def _lineage(self, plan_id: int, area: gpd.GeoDataFrame) -> tuple:
        """Codes of the area's ancestors, nearest first (scope is decided by ancestry)."""
        codes, parent, seen = [], area["parent_id"].iat[0], set()
        while isinstance(parent, str) and parent not in seen:
            seen.add(parent)
            row = self.store.areas(plan_id, uids=[parent])
            if row.empty:
                break
            codes.append(row["code"].iat[0] if isinstance(row["code"].iat[0], str) else None)
            parent = row["parent_id"].iat[0]
        return tuple(codes)

    def copy(self, plan_id: int, name: str | None) -> dict:
        # any planner may start a draft; what they may change in it is limited by scope
        src = self._plan(plan_id)
        return self.store.plan(self.store.copy_plan(plan_id, name=name or draft_name(src["name"]),
                                                    actor=self.principal.username))

    def partition(self, plan_id: int, grid_uid: str, version: int | None, **options) -> dict:
        version = _required(version)
        self._plan(plan_id)
        self._area(plan_id, grid_uid)
        return self.planning.partition_grid(plan_id, grid_uid, actor=self.principal.username,
                                            expected_version=version, **options)

    def edit(self, plan_id: int, op: str, version: int | None, **params) -> dict:
        version = _required(version)
        self._plan(plan_id)
        for key in ("to", "microgrid", "a", "b"):
            self._area(plan_id, params.get(key))
        for uid in params.get("microgrids") or []:
            self._area(plan_id, uid)
        return self.planning.edit(plan_id, op, actor=self.principal.username,
                                  expected_version=version, **params)

    def step(self, plan_id: int, version: int | None, *, undo: bool) -> dict:
        """Undo (or redo) the last edit, if it lies in the caller's scope."""
        version = _required(version)
        plan = self._plan(plan_id)
        policy.require(self.principal, "change", policy.PlanRef.of(plan))
        self._area(plan_id, self.planning.next_step_area(plan_id, undo=undo))
        step = self.planning.undo if undo else self.planning.redo
        return step(plan_id, actor=self.principal.username, expected_version=version)

    def activate(self, plan_id: int, version: int | None) -> dict:
        version = _required(version)
        policy.require(self.principal, "activate", policy.PlanRef.of(self._plan(plan_id)))
        return self.store.activate_plan(plan_id, expected_version=version,
                                        actor=self.principal.username)

    def delete(self, plan_id: int, version: int | None) -> None:
        version = _required(version)
        policy.require(self.principal, "delete", policy.PlanRef.of(self._plan(plan_id)))
        self.store.delete_plan(plan_id, expected_version=version, actor=self.principal.username)
