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

import io
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from .._errors import InputError, NotFoundError, StateError
from ..model import Level
from ..partition import (PartitionOptions, diff_assignments, merge_microgrids, move_cells,
                         move_objects, partition, restore_result, split_microgrid)
from ..validate import validate_plan
from . import schema as S
from .repo import Store, now

__all__ = ["PlanningService", "microgrid_uid"]

EDIT_OPS = ("move_objects", "move_cells", "split", "merge", "lock", "unlock")


def microgrid_uid(parent_uid: str, mg_id: int, code: str | None) -> str:
    return f"mg-{code}" if code else f"{parent_uid}-mg{int(mg_id):03d}"


def _to_bytes(frame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf)
    return buf.getvalue()


def _frame(blob: bytes, geo: bool = True):
    buf = io.BytesIO(blob)
    return gpd.read_parquet(buf) if geo else pd.read_parquet(buf)


class PlanningService:
    def __init__(self, store: Store):
        self.store = store

    # -- inputs -------------------------------------------------------------------------
    def _parent(self, plan_id: int, parent_uid: str) -> gpd.GeoDataFrame:
        parent = self.store.areas(plan_id, uids=[parent_uid])
        if parent.empty:
            raise NotFoundError(f"area {parent_uid!r} is not in plan {plan_id}.",
                                field="grid_id", value=parent_uid,
                                fix="Use a grid or community id from GET /areas?level=grid.")
        if parent["level"].iat[0] not in (Level.GRID.value, Level.COMMUNITY.value):
            raise InputError(f"area {parent_uid!r} is a {parent['level'].iat[0]}; only grids and "
                             "communities are partitioned into microgrids.", field="grid_id",
                             value=parent_uid, fix="Pass a grid or community id.")
        return parent

    def _objects_in(self, parent: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        geom = parent.geometry.iat[0]
        objs = self.store.objects(bbox=tuple(parent.total_bounds))
        if objs.empty:
            return objs
        inside = objs.geometry.representative_point().intersects(geom)
        return objs[inside.to_numpy()].reset_index(drop=True)

    # -- partition ----------------------------------------------------------------------
    def partition_grid(self, plan_id: int, grid_uid: str, *, actor: str,
                       expected_version: int | None = None, **options) -> dict:
        """Partition one grid of a draft plan into microgrids; returns the report."""
        with self.store.read() as conn:
            plan = self.store.plan(plan_id, conn)
        if plan["status"] != "draft":
            raise StateError(f"plan {plan_id} is {plan['status']}; partition a draft.",
                             field="plan_id", value=plan_id,
                             fix="Copy it first (POST /plans/{id}/copy) and partition the copy.")
        parent = self._parent(plan_id, grid_uid)
        locked = self.store.areas(plan_id, level="microgrid", parent=grid_uid)
        if len(locked) and locked["locked"].fillna(False).astype(bool).any():
            raise StateError(f"grid {grid_uid} has locked microgrids.", field="grid_id",
                             value=grid_uid, fix="Unlock them before partitioning the grid again.")
        objects = self._objects_in(parent)
        roads = self.store.roads(bbox=tuple(parent.total_bounds))
        opts = PartitionOptions.from_kwargs(**options)
        result = partition(parent, objects, roads if len(roads) else None, options=opts)
        with self.store.write() as conn:
            version = self.store.bump_version(conn, plan_id, expected_version)
            state_id = self._save_state(conn, plan_id, grid_uid, result)
            self._materialise(conn, plan_id, grid_uid, result)
            self._truncate_redo(conn, plan_id)
            self._push_edit(conn, plan_id, "partition", {"grid_id": grid_uid, **_plain(options)},
                            before=None, after=state_id, actor=actor)
            self.store.audit(conn, actor=actor, action="plan.partition", entity="plan",
                             entity_id=plan_id, after={"grid": grid_uid,
                                                       "microgrids": len(result.microgrids)})
        return {"plan_id": plan_id, "version": version, "grid_id": grid_uid,
                "microgrids": len(result.microgrids), "report": result.report}

    def _save_state(self, conn, plan_id: int, parent_uid: str, result) -> int:
        cells = result.cells.copy()
        cells["object_ids"] = cells["object_ids"].map(lambda v: [str(x) for x in (v or [])])
        cells["compound_id"] = cells["compound_id"].astype(object).where(
            cells["compound_id"].notna(), None).map(lambda v: None if v is None else str(v))
        objects = result.objects.copy()
        for col in objects.columns:
            if objects[col].dtype == object and col not in ("geometry", "seed"):
                objects[col] = objects[col].map(lambda v: None if v is None or v != v else str(v))
        res = conn.execute(sa.insert(S.partition_states).values(
            plan_id=plan_id, parent_uid=parent_uid, created_at=now(),
            options=_plain(result.options.to_dict()), report=_plain(result.report),
            cells=_to_bytes(cells), edges=_to_bytes(result.edges), objects=_to_bytes(objects)))
        return int(res.inserted_primary_key[0])

    def _load_state(self, conn, state_id: int, plan_id: int):
        row = conn.execute(sa.select(S.partition_states).where(
            S.partition_states.c.id == state_id)).first()
        if row is None:
            raise NotFoundError(f"partition state {state_id} is gone.", field="state")
        parent = self.store.areas(plan_id, uids=[row.parent_uid], conn=conn)
        options = PartitionOptions.from_kwargs(**{k: v for k, v in (row.options or {}).items()
                                                  if k not in ("weights", "estimation")})
        return row.parent_uid, restore_result(parent, _frame(row.cells), _frame(row.edges, False),
                                              _frame(row.objects), options=options)

    def _current_state_id(self, conn, plan_id: int, parent_uid: str) -> int:
        """The state the plan shows now: the newest non-undone edit of that parent."""
        e = S.plan_edits.c
        rows = conn.execute(sa.select(e.undo).where(e.plan_id == plan_id, e.undone.is_(False))
                            .order_by(e.seq.desc())).scalars().all()
        for undo in rows:
            if (undo or {}).get("parent_uid") == parent_uid and undo.get("after") is not None:
                return int(undo["after"])
        raise StateError(f"grid {parent_uid} of plan {plan_id} was not partitioned in geogrid.",
                         field="microgrid", value=parent_uid,
                         fix="Partition the grid first (POST /plans/{id}/partition); imported "
                             "microgrids are edited by re-importing.")

    def _materialise(self, conn, plan_id: int, parent_uid: str, result) -> None:
        """Make the plan's microgrids, 楼组 and memberships under ``parent_uid`` those of ``result``."""
        a = S.areas.c
        old = conn.execute(sa.select(a.uid, a.locked).where(
            a.plan_id == plan_id, a.parent_uid == parent_uid, a.level == "microgrid")).all()
        old_uids = [u for u, _ in old]
        locked = {u for u, lk in old if lk}
        if old_uids:
            conn.execute(sa.delete(S.areas).where(a.plan_id == plan_id, a.parent_uid.in_(old_uids)))
            conn.execute(sa.delete(S.areas).where(a.plan_id == plan_id, a.uid.in_(old_uids)))
        mg = result.microgrids
        uids = [microgrid_uid(parent_uid, i, c) for i, c in zip(mg["id"], mg.get("code", [None] * len(mg)))]
        frame = gpd.GeoDataFrame({
            "id": uids, "level": "microgrid", "kind": result.context.get("kind") or "mixed",
            "name": [f"第{int(i)}微网格" for i in mg["id"]],
            "code": mg["code"] if "code" in mg else None, "parent_id": parent_uid,
            "attrs": [{"workload": float(w), "households": float(h), "n_objects": int(n),
                       "n_building_groups": int(g), "estimated_households": bool(e),
                       "compactness": float(c)}
                      for w, h, n, g, e, c in zip(mg["workload"], mg["households"], mg["n_objects"],
                                                  mg["n_building_groups"],
                                                  mg["estimated_households"] > 0,
                                                  mg["compactness"])],
        }, geometry=mg.geometry.values, crs=mg.crs)
        self.store.add_areas(conn, plan_id, frame)
        groups = self._building_groups(result, dict(zip(mg["id"], uids)))
        if len(groups):
            self.store.add_areas(conn, plan_id, groups)
        if locked:
            conn.execute(sa.update(S.areas).where(a.plan_id == plan_id, a.uid.in_(sorted(locked)))
                         .values(locked=True))
        # memberships of this parent's objects
        mg_uid = dict(zip(mg["id"], uids))
        assignment = result.assignment.map(mg_uid)
        m = S.memberships.c
        ids = [str(i) for i in result.objects["id"]]
        for i in range(0, len(ids), 500):
            conn.execute(sa.delete(S.memberships).where(m.plan_id == plan_id,
                                                        m.object_uid.in_(ids[i:i + 500])))
        rows = [{"plan_id": plan_id, "object_uid": str(k), "area_uid": str(v)}
                for k, v in assignment.items() if v is not None and v == v]
        if rows:
            conn.execute(sa.insert(S.memberships), rows)

    @staticmethod
    def _building_groups(result, mg_uid: dict) -> gpd.GeoDataFrame:
        """楼组 as areas: the union of the cells of each group's objects, inside its microgrid."""
        groups = result.groups
        if groups is None or groups.empty:
            return gpd.GeoDataFrame(columns=["id", "geometry"], geometry="geometry",
                                    crs=result.cells.crs)
        cell_of = dict(zip(result.objects["id"].astype(str), result.objects["cell"]))
        cell_geom = dict(zip(result.cells["cell"], result.cells.geometry.values))
        rows, geoms = [], []
        for g in groups.itertuples():
            cells = {cell_of[str(o)] for o in g.object_ids if str(o) in cell_of}
            if not cells:
                continue
            geom = shapely.union_all([cell_geom[c] for c in sorted(cells)])
            parent = mg_uid.get(g.microgrid)
            if parent is None or geom.is_empty:
                continue
            rows.append({"id": f"{parent}-lz{str(g.group_id).split('-')[-1]}",
                         "level": "building_group", "kind": "residential",
                         "name": f"第{str(g.group_id).split('-')[-1].lstrip('0') or '0'}楼组",
                         "code": None, "parent_id": parent,
                         "attrs": {"households": float(g.households), "estimated": bool(g.estimated),
                                   "objects": [str(o) for o in g.object_ids]}})
            geoms.append(geom)
        return gpd.GeoDataFrame(rows, geometry=geoms, crs=result.cells.crs)

    # -- edit stack ---------------------------------------------------------------------
    def _push_edit(self, conn, plan_id: int, op: str, params: dict, *, before, after,
                   actor: str, parent_uid: str | None = None) -> int:
        e = S.plan_edits.c
        seq = (conn.execute(sa.select(sa.func.max(e.seq)).where(e.plan_id == plan_id)).scalar()
               or 0) + 1
        conn.execute(sa.insert(S.plan_edits).values(
            plan_id=plan_id, seq=seq, op=op, params=params, actor=actor, at=now(),
            undo={"parent_uid": parent_uid or params.get("grid_id"), "before": before,
                  "after": after, "locks": params.get("locks")}))
        return seq

    def _truncate_redo(self, conn, plan_id: int) -> None:
        e = S.plan_edits.c
        conn.execute(sa.delete(S.plan_edits).where(e.plan_id == plan_id, e.undone.is_(True)))

    def edit(self, plan_id: int, op: str, *, actor: str, expected_version: int | None = None,
             **params) -> dict:
        """Apply one edit: move_objects, move_cells, split, merge, lock, unlock."""
        if op not in EDIT_OPS:
            raise InputError(f"op {op!r} is not an edit.", field="op", value=op,
                             fix=f"Use one of {', '.join(EDIT_OPS)}.")
        with self.store.write() as conn:
            self.store.require_draft(conn, plan_id)
            version = self.store.bump_version(conn, plan_id, expected_version)
            if op in ("lock", "unlock"):
                uid = self._require_microgrid(conn, plan_id, params.get("microgrid"))
                conn.execute(sa.update(S.areas).where(S.areas.c.plan_id == plan_id,
                                                      S.areas.c.uid == uid)
                             .values(locked=op == "lock"))
                self._truncate_redo(conn, plan_id)
                self._push_edit(conn, plan_id, op, {"microgrid": uid}, before=None, after=None,
                                actor=actor, parent_uid=None)
                self.store.audit(conn, actor=actor, action=f"plan.{op}", entity="area",
                                 entity_id=uid)
                return {"plan_id": plan_id, "version": version, "op": op, "microgrid": uid}
            parent_uid, mg_map = self._parent_of_edit(conn, plan_id, op, params)
            before = self._current_state_id(conn, plan_id, parent_uid)
            _, result = self._load_state(conn, before, plan_id)
            inverse = {v: k for k, v in mg_map.items()}
            self._refuse_locked(conn, plan_id, op, params, inverse, result)
            new = self._apply(result, op, params, inverse)
            after = self._save_state(conn, plan_id, parent_uid, new)
            self._materialise(conn, plan_id, parent_uid, new)
            self._truncate_redo(conn, plan_id)
            seq = self._push_edit(conn, plan_id, op, _plain(params), before=before, after=after,
                                  actor=actor, parent_uid=parent_uid)
            moved = diff_assignments(result.assignment, new.assignment)
            self.store.audit(conn, actor=actor, action=f"plan.{op}", entity="plan",
                             entity_id=plan_id, before={"state": before},
                             after={"state": after, "moved": int(len(moved))})
        return {"plan_id": plan_id, "version": version, "op": op, "seq": seq,
                "moved_objects": int(len(moved)), "microgrids": len(new.microgrids)}

    def _require_microgrid(self, conn, plan_id: int, uid) -> str:
        if not uid:
            raise InputError("microgrid is required.", field="microgrid",
                             fix="Pass a microgrid id from GET /areas?level=microgrid.")
        a = S.areas.c
        row = conn.execute(sa.select(a.uid).where(a.plan_id == plan_id, a.uid == str(uid),
                                                  a.level == "microgrid")).first()
        if row is None:
            raise NotFoundError(f"microgrid {uid!r} is not in plan {plan_id}.", field="microgrid",
                                value=uid, fix="Pass a microgrid id from GET /areas?level=microgrid.")
        return row[0]

    def _parent_of_edit(self, conn, plan_id: int, op: str, params: dict) -> tuple[str, dict]:
        keys = {"move_objects": ["to"], "move_cells": ["to"], "split": ["microgrid"],
                "merge": ["a", "b"]}[op]
        a = S.areas.c
        uids = [self._require_microgrid(conn, plan_id, params.get(k)) for k in keys]
        parents = set(conn.execute(sa.select(a.parent_uid).where(
            a.plan_id == plan_id, a.uid.in_(uids))).scalars())
        if len(parents) != 1:
            raise InputError("the microgrids of one edit must share a grid.", field=keys[-1],
                             value=uids, fix="Edit within one grid at a time.")
        parent_uid = parents.pop()
        rows = conn.execute(sa.select(a.uid, a.code).where(
            a.plan_id == plan_id, a.parent_uid == parent_uid, a.level == "microgrid")).all()
        # area uid ↔ partition microgrid id (the serial at the end of the code / uid)
        mg_map = {}
        for uid, code in rows:
            tail = (code or uid)[-3:]
            mg_map[int(tail)] = uid
        return parent_uid, mg_map

    def _refuse_locked(self, conn, plan_id, op, params, inverse, result) -> None:
        a = S.areas.c
        locked = set(conn.execute(sa.select(a.uid).where(a.plan_id == plan_id,
                                                         a.locked.is_(True))).scalars())
        touched: set[str] = set()
        if op == "split":
            touched.add(params["microgrid"])
        elif op == "merge":
            touched.update([params["a"], params["b"]])
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
            raise StateError(f"microgrid(s) {bad} are locked.", field="microgrid", value=bad,
                             fix="Unlock them first (op=unlock).")

    @staticmethod
    def _apply(result, op: str, params: dict, inverse: dict):
        def mg(uid):
            if uid not in inverse:
                raise NotFoundError(f"microgrid {uid!r} is not in this grid.", field="microgrid",
                                    value=uid)
            return inverse[uid]

        if op == "move_objects":
            objects = params.get("objects") or []
            if not objects:
                raise InputError("objects is empty.", field="objects", fix="Pass object ids.")
            return move_objects(result, [str(o) for o in objects], mg(params["to"]),
                                with_cellmates=bool(params.get("with_cellmates", False)))
        if op == "move_cells":
            return move_cells(result, [int(c) for c in params.get("cells") or []], mg(params["to"]))
        if op == "split":
            return split_microgrid(result, mg(params["microgrid"]))
        return merge_microgrids(result, mg(params["a"]), mg(params["b"]))

    def undo(self, plan_id: int, *, actor: str, expected_version: int | None = None) -> dict:
        return self._step(plan_id, actor=actor, expected_version=expected_version, undo=True)

    def redo(self, plan_id: int, *, actor: str, expected_version: int | None = None) -> dict:
        return self._step(plan_id, actor=actor, expected_version=expected_version, undo=False)

    def _step(self, plan_id: int, *, actor: str, expected_version, undo: bool) -> dict:
        e = S.plan_edits.c
        with self.store.write() as conn:
            self.store.require_draft(conn, plan_id)
            q = sa.select(S.plan_edits).where(e.plan_id == plan_id, e.undone.is_(not undo),
                                              e.op != "base")
            q = q.order_by(e.seq.desc() if undo else e.seq.asc())
            row = conn.execute(q).first()
            if row is None:
                raise StateError(f"nothing to {'undo' if undo else 'redo'} in plan {plan_id}.",
                                 field="plan_id", value=plan_id)
            version = self.store.bump_version(conn, plan_id, expected_version)
            info = row.undo or {}
            if row.op in ("lock", "unlock"):
                lock = (row.op == "lock") != undo
                conn.execute(sa.update(S.areas).where(S.areas.c.plan_id == plan_id,
                                                      S.areas.c.uid == row.params["microgrid"])
                             .values(locked=lock))
            else:
                target = info.get("before") if undo else info.get("after")
                if target is None:  # undoing the first partition: remove its microgrids
                    self._clear(conn, plan_id, info["parent_uid"])
                else:
                    _, result = self._load_state(conn, int(target), plan_id)
                    self._materialise(conn, plan_id, info["parent_uid"], result)
            conn.execute(sa.update(S.plan_edits).where(e.id == row.id).values(undone=undo))
            self.store.audit(conn, actor=actor, action="plan.undo" if undo else "plan.redo",
                             entity="plan", entity_id=plan_id, after={"seq": row.seq, "op": row.op})
        return {"plan_id": plan_id, "version": version, "op": row.op, "seq": row.seq,
                "undone": undo}

    def _clear(self, conn, plan_id: int, parent_uid: str) -> None:
        a, m = S.areas.c, S.memberships.c
        uids = conn.execute(sa.select(a.uid).where(a.plan_id == plan_id, a.parent_uid == parent_uid,
                                                   a.level == "microgrid")).scalars().all()
        if uids:
            conn.execute(sa.delete(S.memberships).where(m.plan_id == plan_id, m.area_uid.in_(uids)))
            conn.execute(sa.delete(S.areas).where(a.plan_id == plan_id, a.uid.in_(uids)))

    def history(self, plan_id: int) -> list[dict]:
        e = S.plan_edits.c
        with self.store.read() as conn:
            rows = conn.execute(sa.select(e.seq, e.op, e.params, e.actor, e.at, e.undone)
                                .where(e.plan_id == plan_id).order_by(e.seq)).all()
        return [dict(r._mapping) for r in rows]

    # -- read side ------------------------------------------------------------------------
    def diff(self, plan_id: int, against: int) -> dict:
        """Objects whose microgrid differs between two plans, and where they went."""
        old = self.store.memberships(against)
        new = self.store.memberships(plan_id)
        table = diff_assignments(old, new)
        return {"plan_id": plan_id, "against": against, "moved": int(len(table)),
                "changes": [{k: _plain(v) for k, v in r.items()} for r in table.to_dict("records")]}

    def validate(self, plan_id: int, grid_uid: str | None = None) -> dict:
        areas = self.store.areas(plan_id)
        grids = areas[areas["level"].isin(["grid", "community"])]
        if grid_uid:
            grids = grids[grids["id"] == grid_uid]
            if grids.empty:
                raise NotFoundError(f"grid {grid_uid!r} is not in plan {plan_id}.", field="grid",
                                    value=grid_uid)
        assignment = self.store.memberships(plan_id)
        reports = []
        for _, g in grids.iterrows():
            mgs = areas[(areas["level"] == "microgrid") & (areas["parent_id"] == g["id"])]
            if mgs.empty:
                continue
            parent = gpd.GeoDataFrame([g], crs=areas.crs)
            objects = self._objects_in(parent)
            sub = assignment[assignment.isin(set(mgs["id"]))] if len(assignment) else None
            rep = validate_plan(parent, mgs.reset_index(drop=True), objects,
                                assignment=sub if sub is not None and len(sub) else None)
            d = rep.to_dict()
            d["grid_id"], d["grid_name"] = g["id"], g["name"]
            d["text"] = f"{g['name']} ({g['id']})\n{rep.to_text()}"
            reports.append(d)
        return {"plan_id": plan_id, "ok": all(r["ok"] for r in reports), "grids": reports}

    def stats(self, plan_id: int) -> dict:
        """Live numbers per microgrid, and balance per grid (for the editor)."""
        areas = self.store.areas(plan_id)
        mgs = areas[areas["level"] == "microgrid"]
        assignment = self.store.memberships(plan_id)
        objects = self.store.objects()
        per = pd.DataFrame({"area": assignment}) if len(assignment) else pd.DataFrame(columns=["area"])
        if len(per):
            o = objects.set_index("id").reindex(per.index)
            per["households"] = o["households"].fillna(0).to_numpy()
            per["type"] = o["type"].to_numpy()
        rows = []
        for _, m in mgs.iterrows():
            mine = per[per["area"] == m["id"]] if len(per) else per
            attrs = m.get("attrs") or {}
            rows.append({"id": m["id"], "code": m["code"], "grid_id": m["parent_id"],
                         "locked": bool(m.get("locked") or False),
                         "households": float(mine["households"].sum()) if len(mine) else 0.0,
                         "objects": int(len(mine)),
                         "buildings": int((mine["type"] == "building").sum()) if len(mine) else 0,
                         "building_groups": int(attrs.get("n_building_groups", 0)),
                         "workload": float(attrs.get("workload", 0.0))})
        frame = pd.DataFrame(rows)
        grids = []
        if len(frame):
            for gid, g in frame.groupby("grid_id"):
                w = g["workload"].to_numpy(float)
                grids.append({"grid_id": gid, "microgrids": int(len(g)),
                              "cv": float(w.std() / w.mean()) if w.mean() > 0 else None,
                              "max_min": float(w.max() / w.min()) if w.min() > 0 else None})
        return {"plan_id": plan_id, "microgrids": rows, "grids": grids}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    try:
        if value != value:
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
