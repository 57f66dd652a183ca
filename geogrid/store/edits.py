"""The planners' edit stack and the cell tessellations behind partitioned grids.

``partition_states`` is append-only: each partition or edit of a grid saves
the result (cells, edges, objects as GeoParquet). ``plan_edits`` is the
undo/redo stack, each entry pointing at the state before and after it.
Everything here runs inside the caller's transaction.
"""

from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._errors import InputError, NotFoundError, StateError
from . import schema as S
from ._sql import chunks, now, wkb_param

__all__ = ["EditRepository", "SavedState"]


def _to_bytes(data) -> bytes:
    buf = io.BytesIO()
    data.to_parquet(buf)
    return buf.getvalue()


def _from_bytes(blob: bytes, geo: bool = True):
    buf = io.BytesIO(blob)
    return gpd.read_parquet(buf) if geo else pd.read_parquet(buf)


class SavedState:
    """One saved partition of a grid: its frames and the options it ran with."""

    def __init__(self, row):
        self.parent_uid: str = row.parent_uid
        self.options: dict = row.options or {}
        self.cells = _from_bytes(row.cells)
        self.edges = _from_bytes(row.edges, geo=False)
        self.objects = _from_bytes(row.objects)


class EditRepository:
    # -- partition states -------------------------------------------------------------
    def save_state(self, conn: Connection, plan_id: int, parent_uid: str, *, cells, edges,
                   objects, options: dict, report: dict) -> int:
        res = conn.execute(sa.insert(S.partition_states).values(
            plan_id=plan_id, parent_uid=parent_uid, created_at=now(), options=options,
            report=report, cells=_to_bytes(cells), edges=_to_bytes(edges),
            objects=_to_bytes(objects)))
        return int(res.inserted_primary_key[0])

    def state_meta(self, conn: Connection, state_id: int) -> dict:
        """The parent and time of saving of a state, without its frames."""
        t = S.partition_states.c
        row = conn.execute(sa.select(t.parent_uid, t.created_at).where(t.id == state_id)).first()
        if row is None:
            raise NotFoundError(f"划分状态 {state_id} 已不存在。partition state {state_id} is gone.",
                                field="state")
        return {"parent_uid": row.parent_uid, "created_at": row.created_at}

    def load_state(self, conn: Connection, state_id: int) -> SavedState:
        row = conn.execute(sa.select(S.partition_states).where(
            S.partition_states.c.id == state_id)).first()
        if row is None:
            raise NotFoundError(f"划分状态 {state_id} 已不存在。partition state {state_id} is gone.",
                                field="state")
        return SavedState(row)

    def current_state_id(self, conn: Connection, plan_id: int, parent_uid: str) -> int:
        """The state the plan shows now: the newest non-undone edit of that parent."""
        e = S.plan_edits.c
        rows = conn.execute(sa.select(e.undo).where(e.plan_id == plan_id, e.undone.is_(False))
                            .order_by(e.seq.desc())).scalars().all()
        for undo in rows:
            if (undo or {}).get("parent_uid") == parent_uid and undo.get("after") is not None:
                return int(undo["after"])
            # a boundary redrawn one level up rewrites the partitions it moved microgrids between
            carried = ((undo or {}).get("redraw") or {}).get("states") or {}
            if carried.get(parent_uid, {}).get("after") is not None:
                return int(carried[parent_uid]["after"])
        raise StateError(f"方案 {plan_id} 的网格 {parent_uid} 不是在 geogrid 中划分的。"
                         f"grid {parent_uid} of plan {plan_id} was not partitioned in geogrid.",
                         field="microgrid", value=parent_uid,
                         fix="先划分该网格 (POST /plans/{id}/partition); 导入的微网格请重新导入修改。"
                             "Partition the grid first (POST /plans/{id}/partition); imported "
                             "microgrids are edited by re-importing.")

    # -- the stack --------------------------------------------------------------------
    def push(self, conn: Connection, plan_id: int, op: str, params: dict, *, before, after,
             actor: str, parent_uid: str | None = None, extra: dict | None = None) -> int:
        """Push one edit; ``extra`` goes with the undo record (a redrawn boundary one level
        up keeps the outlines and parents before and after it there)."""
        e = S.plan_edits.c
        seq = (conn.execute(sa.select(sa.func.max(e.seq)).where(e.plan_id == plan_id)).scalar()
               or 0) + 1
        conn.execute(sa.insert(S.plan_edits).values(
            plan_id=plan_id, seq=seq, op=op, params=params, actor=actor, at=now(),
            undo={"parent_uid": parent_uid or params.get("grid_id"), "before": before,
                  "after": after, "locks": params.get("locks"), **(extra or {})}))
        return seq

    def truncate_redo(self, conn: Connection, plan_id: int) -> None:
        e = S.plan_edits.c
        conn.execute(sa.delete(S.plan_edits).where(e.plan_id == plan_id, e.undone.is_(True)))

    def next_step(self, conn: Connection, plan_id: int, *, undo: bool):
        """The edit that undo (or redo) would act on, or None."""
        e = S.plan_edits.c
        q = sa.select(S.plan_edits).where(e.plan_id == plan_id, e.undone.is_(not undo),
                                          e.op != "base")
        return conn.execute(q.order_by(e.seq.desc() if undo else e.seq.asc())).first()

    def mark(self, conn: Connection, edit_id: int, *, undone: bool) -> None:
        conn.execute(sa.update(S.plan_edits).where(S.plan_edits.c.id == edit_id)
                     .values(undone=undone))

    def history(self, conn: Connection, plan_id: int) -> list[dict]:
        e = S.plan_edits.c
        rows = conn.execute(sa.select(e.seq, e.op, e.params, e.actor, e.at, e.undone)
                            .where(e.plan_id == plan_id).order_by(e.seq)).all()
        return [dict(r._mapping) for r in rows]

    # -- microgrids of a plan -----------------------------------------------------------
    def require_microgrid(self, conn: Connection, plan_id: int, uid,
                          levels: tuple[str, ...] = ("microgrid",)) -> str:
        """``uid`` if it is an area of one of ``levels`` (the plan's partition parts)."""
        fix = ("用 GET /areas?level=microgrid 中的微网格 id。"
               "Pass a microgrid id from GET /areas?level=microgrid.")
        if not uid:
            raise InputError("缺少 microgrid。microgrid is required.", field="microgrid", fix=fix)
        a = S.areas.c
        row = conn.execute(sa.select(a.uid).where(a.plan_id == plan_id, a.uid == str(uid),
                                                  a.level.in_(list(levels)))).first()
        if row is None:
            raise NotFoundError(f"微网格 {uid!r} 不在方案 {plan_id} 中。microgrid {uid!r} is not "
                                f"in plan {plan_id}.", field="microgrid", value=uid, fix=fix)
        return row[0]

    def parents(self, conn: Connection, plan_id: int, uids: list[str]) -> set[str]:
        a = S.areas.c
        return set(conn.execute(sa.select(a.parent_uid).where(
            a.plan_id == plan_id, a.uid.in_(uids))).scalars())

    def microgrids(self, conn: Connection, plan_id: int, parent_uid: str, *,
                   level: str = "microgrid") -> list[tuple]:
        """(uid, code, locked) of the microgrids (or the parts of ``level``) under ``parent_uid``."""
        a = S.areas.c
        return [tuple(r) for r in conn.execute(sa.select(a.uid, a.code, a.locked).where(
            a.plan_id == plan_id, a.parent_uid == parent_uid, a.level == level))]

    def parts(self, conn: Connection, plan_id: int, parent_uid: str, *,
              level: str = "microgrid") -> list[tuple]:
        """(uid, code, attrs) of the parts of ``level`` under ``parent_uid``."""
        a = S.areas.c
        return [(r.uid, r.code, r.attrs or {}) for r in conn.execute(
            sa.select(a.uid, a.code, a.attrs).where(
                a.plan_id == plan_id, a.parent_uid == parent_uid, a.level == level))]

    def codes_under(self, conn: Connection, plan_id: int, prefix: str, *,
                    level: str = "microgrid") -> list[str]:
        """Codes of the areas of ``level`` whose code begins with ``prefix``."""
        a = S.areas.c
        return list(conn.execute(sa.select(a.code).where(
            a.plan_id == plan_id, a.level == level,
            a.code.startswith(prefix, autoescape=True))).scalars())

    def reshape(self, conn: Connection, plan_id: int, rows: list[dict]) -> None:
        """Set the outline (``wkb``) and parent (``parent_uid``) of the areas ``uid``."""
        a = S.areas.c
        if rows:
            conn.execute(sa.update(S.areas).where(a.plan_id == sa.bindparam("b_plan"),
                                                  a.uid == sa.bindparam("b_uid"))
                         .values(parent_uid=sa.bindparam("b_parent"), geom=wkb_param("b_wkb")),
                         [{"b_plan": plan_id, "b_uid": r["uid"], "b_parent": r["parent_uid"],
                           "b_wkb": r["wkb"]} for r in rows])

    def locked(self, conn: Connection, plan_id: int) -> set[str]:
        a = S.areas.c
        return set(conn.execute(sa.select(a.uid).where(a.plan_id == plan_id,
                                                       a.locked.is_(True))).scalars())

    def set_locked(self, conn: Connection, plan_id: int, uids, locked: bool) -> None:
        a = S.areas.c
        conn.execute(sa.update(S.areas).where(a.plan_id == plan_id, a.uid.in_(sorted(uids)))
                     .values(locked=locked))

    def clear(self, conn: Connection, plan_id: int, parent_uid: str, *,
              level: str = "microgrid") -> None:
        """Delete the microgrids (or parts of ``level``) under ``parent_uid``, the areas under
        them (their 楼组) and their memberships."""
        m = S.memberships.c
        uids = [u for u, _, _ in self.microgrids(conn, plan_id, parent_uid, level=level)]
        if uids:
            conn.execute(sa.delete(S.memberships).where(m.plan_id == plan_id, m.area_uid.in_(uids)))
            self.delete_areas(conn, plan_id, uids)

    def delete_areas(self, conn: Connection, plan_id: int, uids: list[str]) -> None:
        """Delete these areas of the plan and the areas under them (their 楼组)."""
        a = S.areas.c
        if uids:
            conn.execute(sa.delete(S.areas).where(a.plan_id == plan_id, a.parent_uid.in_(uids)))
            conn.execute(sa.delete(S.areas).where(a.plan_id == plan_id, a.uid.in_(uids)))

    def area_shape(self, conn: Connection, plan_id: int, uid: str) -> tuple[str, bytes] | None:
        """(level, WKB of the geometry) of one area, without building a frame; None if absent."""
        a = S.areas.c
        row = conn.execute(sa.select(a.level, sa.func.ST_AsBinary(a.geom)).where(
            a.plan_id == plan_id, a.uid == uid)).first()
        return None if row is None else (row[0], bytes(row[1]))

    def children(self, conn: Connection, plan_id: int, uids: list[str]) -> list[str]:
        """The uids of the areas directly under ``uids`` (their 楼组)."""
        a = S.areas.c
        out: list[str] = []
        for chunk in chunks(list(uids), 500):
            out += conn.execute(sa.select(a.uid).where(a.plan_id == plan_id,
                                                       a.parent_uid.in_(chunk))).scalars().all()
        return out

    def delete_exact(self, conn: Connection, plan_id: int, uids: list[str]) -> None:
        """Delete exactly these areas of the plan (not the areas under them)."""
        a = S.areas.c
        for chunk in chunks(list(uids), 500):
            conn.execute(sa.delete(S.areas).where(a.plan_id == plan_id, a.uid.in_(chunk)))

    def replace_memberships(self, conn: Connection, plan_id: int, object_ids,
                            assignment: pd.Series) -> None:
        """Set the microgrid of ``object_ids`` in the plan to ``assignment`` (index: object uid;
        missing or null: in none), leaving the plan's other objects alone."""
        m = S.memberships.c
        ids = [str(i) for i in object_ids]
        for chunk in chunks(ids, 500):
            conn.execute(sa.delete(S.memberships).where(m.plan_id == plan_id,
                                                        m.object_uid.in_(chunk)))
        rows = [{"plan_id": plan_id, "object_uid": str(k), "area_uid": str(v)}
                for k, v in assignment.items() if v is not None and v == v]
        if rows:
            conn.execute(sa.insert(S.memberships), rows)
