"""Plans (versioned boundary sets, kept like MapIt generations) and their areas.

A plan is ``draft``, ``active`` or ``retired``. At most one plan per street is
active, enforced by a partial unique index on both stores: two activations
racing on one street leave one active plan and answer the loser with a
conflict.
"""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from .._errors import ConflictError, InputError, NotFoundError, StateError
from ..crs import require_storage_crs
from ..model import DEFAULT_LEVELS, Level, PlanLevels, PlanStatus
from . import schema as S
from ._sql import bbox_clause, clean, frame, json_safe, now, to_multi, wkb_param
from .audit import AuditRepository
from .database import Database

__all__ = ["PlanRepository", "record_dataset", "datasets"]

AREA_COLUMNS = ["id", "level", "kind", "name", "code", "parent_id", "locked", "team", "attrs"]


class PlanRepository:
    def __init__(self, db: Database, audit: AuditRepository):
        self.db, self.audit = db, audit

    # -- plans ------------------------------------------------------------------------
    def create(self, conn: Connection, *, name: str, street_code: str,
               parent_plan_id: int | None = None, description: str | None = None,
               actor: str | None = None, attrs: dict | None = None,
               levels: PlanLevels | None = None) -> int:
        if not name or not name.strip():
            raise InputError("方案名称为空。plan name is empty.", field="name", value=name,
                             fix="给方案起个名字, 例如 '陆家嘴街道 2026 微网格'。"
                                 "Give the plan a name, e.g. '陆家嘴街道 2026 微网格'.")
        res = conn.execute(sa.insert(S.plans).values(
            name=name.strip(), street_code=street_code, status=PlanStatus.DRAFT.value,
            parent_plan_id=parent_plan_id, description=description, created_at=now(),
            created_by=actor, attrs=attrs or {}, version=1,
            levels=None if levels is None or levels == DEFAULT_LEVELS else levels.to_list()))
        plan_id = int(res.inserted_primary_key[0])
        self.audit.record(conn, actor=actor, action="plan.create", entity="plan",
                          entity_id=plan_id, after={"name": name, "street_code": street_code,
                                                    "parent_plan_id": parent_plan_id})
        return plan_id

    def list(self, status: str | None = None) -> list[dict]:
        q = sa.select(S.plans).order_by(S.plans.c.id)
        if status:
            q = q.where(S.plans.c.status == status)
        return self.db.rows(q)

    def get(self, plan_id: int, conn: Connection | None = None) -> dict:
        with self.db.reading(conn) as c:
            row = c.execute(sa.select(S.plans).where(S.plans.c.id == plan_id)).first()
        if row is None:
            raise NotFoundError(f"方案 {plan_id} 不存在。plan {plan_id} does not exist.",
                                field="plan_id", value=plan_id,
                                fix="用 GET /plans 列出方案。List plans with GET /plans.")
        return dict(row._mapping)

    def levels(self, plan_id: int, conn: Connection | None = None) -> PlanLevels:
        """The plan's declared hierarchy (the default five levels for older plans)."""
        return PlanLevels.from_list(self.get(plan_id, conn).get("levels"))

    def active(self, street_code: str | None = None) -> dict | None:
        q = sa.select(S.plans).where(S.plans.c.status == PlanStatus.ACTIVE.value)
        if street_code:
            q = q.where(S.plans.c.street_code == street_code)
        with self.db.read() as conn:
            row = conn.execute(q.order_by(S.plans.c.effective_at.desc())).first()
        return dict(row._mapping) if row else None

    def on(self, when: datetime, street_code: str | None = None) -> dict | None:
        """The plan that was active at ``when`` (MapIt-style generation lookup)."""
        p = S.plans.c
        q = sa.select(S.plans).where(p.effective_at.is_not(None), p.effective_at <= when,
                                     sa.or_(p.retired_at.is_(None), p.retired_at > when))
        if street_code:
            q = q.where(p.street_code == street_code)
        with self.db.read() as conn:
            row = conn.execute(q.order_by(p.effective_at.desc())).first()
        return dict(row._mapping) if row else None

    def bump_version(self, conn: Connection, plan_id: int, expected_version: int | None) -> int:
        """Optimistic lock: raise ConflictError unless the plan is still at ``expected_version``."""
        current = self.check_version(self.get(plan_id, conn), expected_version)
        res = conn.execute(sa.update(S.plans).where(S.plans.c.id == plan_id,
                                                    S.plans.c.version == current)
                           .values(version=current + 1))
        if res.rowcount != 1:
            raise ConflictError(f"方案 {plan_id} 在保存时被修改。plan {plan_id} changed while saving.",
                                field="version", value=current,
                                fix="重新加载方案后再修改。Reload the plan and re-apply your change.")
        return current + 1

    @staticmethod
    def check_version(plan: dict, expected_version: int | None) -> int:
        """``plan``'s version; ConflictError if the caller read another one (None: no check)."""
        if expected_version is not None and plan["version"] != expected_version:
            plan_id = plan["id"]
            raise ConflictError(
                f"方案 {plan_id} 已是第 {plan['version']} 版, 不是第 {expected_version} 版: 他人已修改。"
                f"plan {plan_id} is at version {plan['version']}, not {expected_version}: "
                "someone else changed it.", field="version", value=expected_version,
                fix="重新加载方案后再修改。Reload the plan and re-apply your change.")
        return plan["version"]

    def require_draft(self, conn: Connection, plan_id: int) -> dict:
        plan = self.get(plan_id, conn)
        if plan["status"] != PlanStatus.DRAFT.value:
            raise StateError(
                f"方案 {plan_id} 状态为 {plan['status']}, 只能编辑草稿。"
                f"plan {plan_id} is {plan['status']}; only drafts can be edited.",
                field="plan_id", value=plan_id,
                fix="先复制为草稿再编辑 (POST /plans/{id}/copy)。"
                    "Create a draft from it (POST /plans/{id}/copy) and edit that.")
        return plan

    def activate(self, plan_id: int, *, expected_version: int | None = None,
                 actor: str | None = None, when: datetime | None = None) -> dict:
        """Make a draft the active plan of its street and retire the old one, atomically."""
        when = when or now()
        try:
            with self.db.write() as conn:
                self._activate(conn, plan_id, expected_version, actor, when)
        except IntegrityError as exc:  # the one-active-plan index: another activation won
            raise ConflictError(
                f"方案 {plan_id} 所在街道已有另一方案同时启用。another plan of the street of plan "
                f"{plan_id} was activated at the same moment.", field="plan_id", value=plan_id,
                fix="重新加载方案列表再决定。Reload the plans and decide again.") from exc
        return self.get(plan_id)

    def _activate(self, conn, plan_id, expected_version, actor, when) -> None:
        plan = self.require_draft(conn, plan_id)
        self.bump_version(conn, plan_id, expected_version)
        old = conn.execute(sa.select(S.plans.c.id).where(
            S.plans.c.status == PlanStatus.ACTIVE.value,
            S.plans.c.street_code == plan["street_code"])).scalars().all()
        if old:
            conn.execute(sa.update(S.plans).where(S.plans.c.id.in_(old)).values(
                status=PlanStatus.RETIRED.value, retired_at=when,
                version=S.plans.c.version + 1))
        conn.execute(sa.update(S.plans).where(S.plans.c.id == plan_id).values(
            status=PlanStatus.ACTIVE.value, effective_at=when))
        self.audit.record(conn, actor=actor, action="plan.activate", entity="plan",
                          entity_id=plan_id, before={"status": "draft", "retired": old},
                          after={"status": "active", "effective_at": when.isoformat()})

    def copy(self, plan_id: int, *, name: str | None = None, actor: str | None = None,
             conn: Connection | None = None) -> int:
        """A new draft with the same areas and memberships, for editing (inside ``conn``'s
        transaction when given, so a write that fails after it leaves no copy behind)."""
        if conn is None:
            with self.db.write() as own:
                return self.copy(plan_id, name=name, actor=actor, conn=own)
        src = self.get(plan_id, conn)
        new_id = self.create(conn, name=name or f"{src['name']} (草稿)",
                             street_code=src["street_code"], parent_plan_id=plan_id,
                             description=src["description"], actor=actor,
                             attrs=src.get("attrs"),
                             levels=PlanLevels.from_list(src.get("levels")))
        cols = [c for c in S.areas.c if c.name not in ("id", "plan_id")]
        conn.execute(sa.insert(S.areas).from_select(
            ["plan_id", *[c.name for c in cols]],
            sa.select(sa.literal(new_id), *cols).where(S.areas.c.plan_id == plan_id)))
        conn.execute(sa.insert(S.memberships).from_select(
            ["plan_id", "object_uid", "area_uid"],
            sa.select(sa.literal(new_id), S.memberships.c.object_uid, S.memberships.c.area_uid)
            .where(S.memberships.c.plan_id == plan_id)))
        _copy_partition_states(conn, plan_id, new_id, actor)
        return new_id

    def delete(self, plan_id: int, *, expected_version: int | None = None,
               actor: str | None = None) -> None:
        with self.db.write() as conn:
            self.check_version(self.require_draft(conn, plan_id), expected_version)
            for table in (S.memberships, S.plan_edits, S.partition_states, S.areas):
                conn.execute(sa.delete(table).where(table.c.plan_id == plan_id))
            conn.execute(sa.delete(S.plans).where(S.plans.c.id == plan_id))
            self.audit.record(conn, actor=actor, action="plan.delete", entity="plan",
                              entity_id=plan_id)

    # -- areas ----------------------------------------------------------------------------
    def add_areas(self, conn: Connection, plan_id: int, areas: gpd.GeoDataFrame,
                  *, actor: str | None = None) -> int:
        """Insert areas (columns id, level, kind, name, code, parent_id, geometry)."""
        if areas.empty:
            return 0
        require_storage_crs(areas, "areas")
        polys = areas.geometry.values
        bad = ~np.isin(shapely.get_type_id(polys), [3, 6])
        if bad.any():
            raise InputError(f"{int(bad.sum())} 个区域几何不是面。{int(bad.sum())} area geometries "
                             "are not polygonal.", field="geometry",
                             value=areas.loc[bad, "id"].tolist()[:5],
                             fix="区域须为 Polygon 或 MultiPolygon。"
                                 "Areas must be Polygon or MultiPolygon.")
        levels = self.levels(plan_id, conn)
        self._refuse_existing(conn, plan_id, areas["id"].astype(str).tolist())
        rows = [_area_row(plan_id, a, w, levels)
                for (_, a), w in zip(areas.iterrows(), to_multi(polys, "polygon"))]
        stmt = sa.insert(S.areas).values(
            plan_id=sa.bindparam("plan_id"), uid=sa.bindparam("uid"), level=sa.bindparam("level"),
            kind=sa.bindparam("kind"), name=sa.bindparam("name"), code=sa.bindparam("code"),
            parent_uid=sa.bindparam("parent_uid"), team=sa.bindparam("team", type_=S.JSON),
            attrs=sa.bindparam("attrs", type_=S.JSON), geom=wkb_param())
        conn.execute(stmt, rows)
        self.audit.record(conn, actor=actor, action="areas.add", entity="plan", entity_id=plan_id,
                          after={"count": len(rows), "levels": sorted({r["level"] for r in rows})})
        return len(rows)

    @staticmethod
    def _refuse_existing(conn: Connection, plan_id: int, uids: list[str]) -> None:
        """A clear conflict, instead of the unique index's IntegrityError, for ids already there."""
        from collections import Counter

        dup = sorted(u for u, n in Counter(uids).items() if n > 1)
        a = S.areas.c
        for i in range(0, len(uids), 500):
            dup += conn.execute(sa.select(a.uid).where(a.plan_id == plan_id,
                                                       a.uid.in_(uids[i:i + 500]))).scalars().all()
        if dup:
            raise ConflictError(
                f"方案 {plan_id} 中已有编号 {dup[:10]} 的区域 (共 {len(dup)} 个)。plan {plan_id} already "
                f"has areas with ids {dup[:10]} ({len(dup)} in all).", field="id", value=dup[:10],
                fix="导入到新方案 (--new-plan), 或先删除这些区域, 或用 --id-column 指定另一列。"
                    "Import into a new plan (--new-plan), delete those areas first, or choose "
                    "another id column with --id-column.")

    def replace_areas(self, conn: Connection, plan_id: int, level: Level | str,
                      areas: gpd.GeoDataFrame, *, parent_uid: str | None = None,
                      actor: str | None = None) -> int:
        level = self.levels(plan_id, conn).key_of(level)
        q = sa.delete(S.areas).where(S.areas.c.plan_id == plan_id, S.areas.c.level == level)
        if parent_uid is not None:
            q = q.where(S.areas.c.parent_uid == parent_uid)
        conn.execute(q)
        return self.add_areas(conn, plan_id, areas, actor=actor)

    def areas(self, plan_id: int, *, level: str | None = None, parent: str | None = None,
              bbox: tuple[float, float, float, float] | None = None,
              uids: list[str] | None = None, conn: Connection | None = None) -> gpd.GeoDataFrame:
        a = S.areas.c
        q = sa.select(a.uid.label("id"), a.level, a.kind, a.name, a.code,
                      a.parent_uid.label("parent_id"), a.locked, a.team, a.attrs,
                      sa.func.ST_AsBinary(a.geom).label("wkb")).where(a.plan_id == plan_id)
        if level:
            q = q.where(a.level == self.levels(plan_id, conn).key_of(level))
        if parent:
            q = q.where(a.parent_uid == parent)
        if uids is not None:
            q = q.where(a.uid.in_(list(uids)))
        if bbox:
            q = q.where(bbox_clause(self.db.dialect, a.geom, bbox))
        with self.db.reading(conn) as c:
            rows = c.execute(q.order_by(a.level, a.code, a.uid)).all()
        return frame(rows, AREA_COLUMNS)


# -- provenance -------------------------------------------------------------------------
def record_dataset(conn: Connection, *, plan_id: int | None, what: str, file: str | None,
                   source: str, licence: str, attribution: str, features: int,
                   actor: str | None = None) -> int:
    """Record where one imported dataset came from and under which licence."""
    res = conn.execute(sa.insert(S.datasets).values(
        plan_id=plan_id, what=what, file=file, source=source, licence=licence,
        attribution=attribution, features=int(features), imported_at=now(), imported_by=actor))
    return int(res.inserted_primary_key[0])


def datasets(conn: Connection, *, plan_id: int | None = None, what: str | None = None
             ) -> list[dict]:
    """The datasets behind a plan's areas (``plan_id``) or behind the objects / roads."""
    d = S.datasets.c
    q = sa.select(S.datasets).order_by(d.id)
    if plan_id is not None:
        q = q.where(d.plan_id == plan_id)
    if what is not None:
        q = q.where(d.what == what)
    return [dict(r._mapping) for r in conn.execute(q)]


def _area_row(plan_id: int, a, wkb: bytes, levels: PlanLevels = DEFAULT_LEVELS) -> dict:
    return {"plan_id": plan_id, "uid": str(a["id"]), "level": levels.key_of(a["level"]),
            "kind": clean(a.get("kind")) or "mixed", "name": clean(a.get("name")) or str(a["id"]),
            "code": clean(a.get("code")), "parent_uid": clean(a.get("parent_id")),
            "team": clean(a.get("team")), "attrs": json_safe(a.get("attrs")) or {}, "wkb": wkb}


def _copy_partition_states(conn: Connection, src: int, dst: int, actor) -> None:
    """Carry each grid's current cell tessellation over, so the copy can be edited.

    The copies enter the new plan's edit stack as ``base`` entries, which
    undo never goes past.
    """
    e, p = S.plan_edits.c, S.partition_states.c
    current: dict[str, int] = {}
    for undo in conn.execute(sa.select(e.undo).where(e.plan_id == src, e.undone.is_(False))
                             .order_by(e.seq.desc())).scalars():
        parent, after = (undo or {}).get("parent_uid"), (undo or {}).get("after")
        if parent and after is not None and parent not in current:
            current[parent] = int(after)
    for seq, (parent, state_id) in enumerate(sorted(current.items()), start=1):
        row = conn.execute(sa.select(S.partition_states).where(p.id == state_id)).first()
        res = conn.execute(sa.insert(S.partition_states).values(
            plan_id=dst, parent_uid=parent, created_at=now(), options=row.options,
            report=row.report, cells=row.cells, edges=row.edges, objects=row.objects))
        conn.execute(sa.insert(S.plan_edits).values(
            plan_id=dst, seq=seq, op="base", params={"copied_from": src}, actor=actor,
            at=now(), undo={"parent_uid": parent, "before": None,
                            "after": int(res.inserted_primary_key[0])}))
