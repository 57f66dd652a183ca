"""Incident rows, their event trail, and the queries over them.

The authoritative state of an incident is the workflow's ``IncidentState``
(kept in ``incidents.attrs['state']``); the other columns are denormalised
copies for queries (status, microgrid, deadline, handler). Every transition
updates the row guarded by its version (optimistic lock) and inserts its
event in one transaction. The use cases (intake, the loop, merging) live in
:mod:`geogrid.services.incidents`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._errors import ConflictError, NotFoundError
from . import schema as S
from ._sql import now, utc, wkb_param
from .audit import AuditRepository
from .database import Database

__all__ = ["IncidentRepository", "PERSONAL_FIELDS", "OPEN_STATUSES", "TERMINAL_STATUSES"]

#: never shown to the public, in exports, logs or embeds
PERSONAL_FIELDS = ("reporter_name", "reporter_phone")
OPEN_STATUSES = ("reported", "accepted", "dispatched", "handling", "verifying", "evaluating")
#: states an incident never leaves: retention runs from the moment it entered one
TERMINAL_STATUSES = ("closed", "rejected")


def _insert_incident():
    # built per call: geoalchemy2's SQLite compiler renames the WKB function inside the
    # statement it compiles, so a statement shared with a PostGIS store would break there
    return sa.insert(S.incidents).values(geom=wkb_param())


# statements built once: SQLAlchemy caches their compiled form, which matters on the intake path
_INSERT_EVENT = sa.insert(S.incident_events)
_INSERT_AUDIT = sa.insert(S.audit_log)
_UID_BY_KEY = sa.select(S.incidents.c.uid).where(
    S.incidents.c.idempotency_key == sa.bindparam("key"))
_NEAR_SAME_CATEGORY = sa.select(S.incidents.c.uid, S.incidents.c.lon, S.incidents.c.lat).where(
    S.incidents.c.category == sa.bindparam("category"),
    S.incidents.c.reported_at >= sa.bindparam("t0"),
    S.incidents.c.reported_at <= sa.bindparam("t1"),
    S.incidents.c.status.in_(OPEN_STATUSES),
    S.incidents.c.lon.between(sa.bindparam("x0"), sa.bindparam("x1")),
    S.incidents.c.lat.between(sa.bindparam("y0"), sa.bindparam("y1")))


def _json(value):
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


class IncidentRepository:
    def __init__(self, db: Database, audit: AuditRepository):
        self.db, self.audit = db, audit

    # -- writing --------------------------------------------------------------------------
    def insert(self, row: dict, events: list[dict], *, actor: str, audit_after: dict,
               also: Callable[[Connection, str], Any] | None = None) -> int:
        """Insert an incident (``row`` has every column but id/geom) and its first events;
        ``also(conn, uid)`` writes what belongs with it in the same transaction.

        Raises IntegrityError when its idempotency key exists already."""
        params = {c.name: None for c in S.incidents.c if c.name not in ("id", "geom")}
        params.update(row, wkb=shapely.to_wkb(shapely.Point(row["lon"], row["lat"])))
        with self.db.write() as conn:
            incident_id = int(conn.execute(_insert_incident(), params).inserted_primary_key[0])
            self.insert_events(conn, incident_id, events)
            conn.execute(_INSERT_AUDIT, {
                "at": now(), "actor": actor, "action": "incident.create", "entity": "incident",
                "entity_id": row["uid"], "before": None, "after": audit_after})
            if also is not None:
                also(conn, row["uid"])
        return incident_id

    def insert_events(self, conn: Connection, incident_id: int, events: list[dict]) -> None:
        conn.execute(_INSERT_EVENT, [{"incident_id": incident_id, **e, "at": utc(e["at"]),
                                      "data": _json(e.get("data"))} for e in events])

    def update(self, uid: str, version: int, values: dict, event: dict, *, actor: str,
               incident_id: int, audit: dict, point=None) -> None:
        """Apply a transition: the row (if still at ``version``), its event and the audit entry."""
        with self.db.write() as conn:
            stmt = (sa.update(S.incidents)
                    .where(S.incidents.c.uid == uid, S.incidents.c.version == version)
                    .values(**values))
            if point is not None:
                res = conn.execute(stmt.values(geom=wkb_param()), {"wkb": shapely.to_wkb(point)})
            else:
                res = conn.execute(stmt)
            if res.rowcount != 1:
                raise ConflictError(f"事件 {uid} 在保存时被修改。incident {uid} changed while saving.",
                                    field="version", value=version,
                                    fix="重新加载事件后重试。Reload the incident and retry.")
            self.insert_events(conn, incident_id, [event])
            self.audit.record(conn, actor=actor, entity="incident", entity_id=uid, **audit)

    def set_columns(self, uid: str, *, actor: str | None, action: str, before: dict | None,
                    **values) -> None:
        with self.db.write() as conn:
            conn.execute(sa.update(S.incidents).where(S.incidents.c.uid == uid).values(**values))
            if actor is not None:
                self.audit.record(conn, actor=actor, action=action, entity="incident",
                                  entity_id=uid, before=before, after=values)

    # -- reading --------------------------------------------------------------------------
    def uid_by_key(self, key: str) -> str | None:
        with self.db.read() as conn:
            return conn.execute(_UID_BY_KEY, {"key": key}).scalar()

    def count_keys_like(self, pattern: str) -> int:
        with self.db.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(S.incidents).where(
                S.incidents.c.idempotency_key.like(pattern))).scalar_one()

    def get(self, uid: str) -> dict:
        with self.db.read() as conn:
            row = conn.execute(sa.select(S.incidents).where(S.incidents.c.uid == uid)).first()
        if row is None:
            raise NotFoundError(f"事件 {uid!r} 不存在。incident {uid!r} does not exist.",
                                field="incident", value=uid,
                                fix="用 GET /incidents 列出事件。List incidents with GET /incidents.")
        return _row(row)

    def list(self, *, status: list[str] | None = None, microgrid: str | None = None,
             category: str | None = None, since: datetime | None = None,
             until: datetime | None = None, handler: str | None = None,
             overdue_at: datetime | None = None, limit: int = 500, offset: int = 0) -> list[dict]:
        c = S.incidents.c
        q = sa.select(S.incidents).order_by(c.reported_at.desc(), c.id.desc())
        if status:
            q = q.where(c.status.in_(status))
        if microgrid:
            q = q.where(sa.or_(c.microgrid_uid == microgrid, c.handler == microgrid))
        if category:
            q = q.where(c.category == category)
        if since:
            q = q.where(c.reported_at >= utc(since))
        if until:
            q = q.where(c.reported_at < utc(until))
        if handler:
            q = q.where(c.handler == handler)
        if overdue_at:
            q = q.where(c.deadline_at.is_not(None), c.deadline_at < utc(overdue_at),
                        c.status.in_(("dispatched", "handling")))
        with self.db.read() as conn:
            rows = conn.execute(q.limit(limit).offset(offset)).all()
        return [_row(r) for r in rows]

    def events(self, uid: str) -> list[dict]:
        e, i = S.incident_events.c, S.incidents.c
        q = (sa.select(S.incident_events).join(S.incidents, e.incident_id == i.id)
             .where(i.uid == uid).order_by(e.seq))
        with self.db.read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q)]
        if not rows:
            self.get(uid)  # raises NotFoundError
        for r in rows:
            r["at"] = utc(r["at"])
            r["incident_id"] = uid
        return rows

    def events_of(self, ids: list[int]) -> list[dict]:
        """Events of these incidents, with ``incident_id`` as the incident's uid."""
        e, i = S.incident_events.c, S.incidents.c
        with self.db.read() as conn:
            evs = [dict(r._mapping) for r in conn.execute(
                sa.select(i.uid.label("incident_id"), e.seq, e.action, e.actor, e.at, e.from_status,
                          e.to_status, e.reason, e.data)
                .join(S.incidents, e.incident_id == i.id).where(e.incident_id.in_(ids)))]
        for ev in evs:
            ev["at"] = utc(ev["at"])
        return evs

    def events_after(self, after: int, limit: int = 500) -> tuple[int, list[dict]]:
        """(newest event id, up to ``limit`` events with id > ``after`` with their incident's
        uid, oldest first). The event id is the store's change sequence."""
        e, i = S.incident_events.c, S.incidents.c
        with self.db.read() as conn:
            last = conn.execute(sa.select(sa.func.max(e.id))).scalar() or 0
            rows = [dict(r._mapping) for r in conn.execute(
                sa.select(e.id, i.uid, e.action, e.to_status, e.at)
                .join(S.incidents, e.incident_id == i.id).where(e.id > after)
                .order_by(e.id).limit(limit))] if last > after else []
        for r in rows:
            r["at"] = utc(r["at"])
        if len(rows) == limit:
            last = rows[-1]["id"]
        return last, rows

    def near_same_category(self, category: str, box: tuple, t0: datetime, t1: datetime
                           ) -> list[tuple[str, float, float]]:
        x0, y0, x1, y1 = box
        with self.db.read() as conn:
            return [tuple(r) for r in conn.execute(_NEAR_SAME_CATEGORY, {
                "category": category, "t0": t0, "t1": t1, "x0": x0, "x1": x1, "y0": y0, "y1": y1})]

    def chains_since(self, since: datetime) -> list[tuple[str, dict]]:
        """(category, area_chain) of every incident reported since ``since`` that was not merged."""
        c = S.incidents.c
        q = sa.select(c.category, c.area_chain).where(c.reported_at >= since,
                                                      c.merged_into.is_(None))
        with self.db.read() as conn:
            return [(row[0], row[1] or {}) for row in conn.execute(q)]

    # -- retention ----------------------------------------------------------------------
    def purge_personal(self, cutoff: datetime, *, actor: str) -> int:
        """Blank reporter fields of incidents that reached a terminal state before ``cutoff``
        (closed, rejected or merged: the time of their last event), then checkpoint the WAL, so
        no copy of the blanked values is left in the database file or its log."""
        c, e = S.incidents.c, S.incident_events.c
        ended = (sa.select(sa.func.max(e.at)).where(e.incident_id == c.id).scalar_subquery())
        terminal = sa.or_(c.status.in_(TERMINAL_STATUSES), c.merged_into.is_not(None))
        with self.db.write() as conn:
            if conn.dialect.name == "sqlite":  # overwrite freed bytes, not only unlink them
                conn.exec_driver_sql("PRAGMA secure_delete=ON")
            res = conn.execute(sa.update(S.incidents).where(
                terminal, sa.func.coalesce(c.closed_at, ended) < cutoff,
                sa.or_(c.reporter_name.is_not(None), c.reporter_phone.is_not(None)))
                .values(reporter_name=None, reporter_phone=None))
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA secure_delete=OFF")
            self.audit.record(conn, actor=actor, action="incident.purge_personal",
                              entity="incident", entity_id=None,
                              after={"count": res.rowcount, "cutoff": cutoff.isoformat()})
        self.db.checkpoint()
        return res.rowcount


def _row(row) -> dict[str, Any]:
    d = dict(row._mapping)
    d.pop("geom", None)
    for k in ("reported_at", "deadline_at", "closed_at"):
        d[k] = utc(d[k])
    return d


def __getattr__(name: str):
    # the use cases moved to geogrid.services.incidents; keep the old import path working
    if name in ("IncidentService", "Intake"):
        from ..services import incidents as service

        return getattr(service, name)
    raise AttributeError(name)
