"""Incidents in the store: intake, the closed loop, queues, responders.

The authoritative state of an incident is the :class:`IncidentState` of the
pure workflow (kept in ``incidents.attrs['state']``); the other columns are
denormalised copies for queries (status, microgrid, deadline, handler).
Every transition inserts its :class:`Event` and updates the row in one
transaction, guarded by the state's version (optimistic lock).

Intake is idempotent: a retried submission with the same idempotency key
returns the incident the first attempt created. The key is unique in the
database, so two concurrent retries cannot both insert.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .._errors import ConflictError, InputError, NotFoundError, StateError
from ..datum import parse_datum, to_storage
from ..dispatch import Action, Event, IncidentState, Status, Workflow
from ..dispatch.calendar import BEIJING
from . import schema as S
from .repo import Store, _wkb_param, now

__all__ = ["IncidentService", "Intake", "PERSONAL_FIELDS", "OPEN_STATUSES"]

#: never shown to the public, in exports, logs or embeds
PERSONAL_FIELDS = ("reporter_name", "reporter_phone")
OPEN_STATUSES = ("reported", "accepted", "dispatched", "handling", "verifying", "evaluating")
SYSTEM = "system"


@dataclass
class Intake:
    """One incoming report, already validated for shape by the caller."""

    category: str
    lon: float
    lat: float
    datum: str
    channel: str = "api"
    description: str | None = None
    address: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reported_at: datetime | None = None
    idempotency_key: str | None = None
    footprint: Any = None  # optional polygon/line the incident covers (multi-microgrid)
    auto_dispatch: bool = True


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _new_uid(at: datetime) -> str:
    return f"INC-{at.astimezone(BEIJING):%Y%m%d}-{secrets.token_hex(4).upper()}"


# statements built once: SQLAlchemy caches their compiled form, which matters on the intake path
_INSERT_INCIDENT = sa.insert(S.incidents).values(geom=_wkb_param())
_INSERT_EVENT = sa.insert(S.incident_events)
_INSERT_AUDIT = sa.insert(S.audit_log)
_UID_BY_KEY = sa.select(S.incidents.c.uid).where(
    S.incidents.c.idempotency_key == sa.bindparam("key"))
_NEAR_SAME_CATEGORY = sa.select(S.incidents.c.uid, S.incidents.c.lon, S.incidents.c.lat).where(
    S.incidents.c.category == sa.bindparam("category"),
    S.incidents.c.reported_at >= sa.bindparam("t0"), S.incidents.c.reported_at <= sa.bindparam("t1"),
    S.incidents.c.status.in_(OPEN_STATUSES),
    S.incidents.c.lon.between(sa.bindparam("x0"), sa.bindparam("x1")),
    S.incidents.c.lat.between(sa.bindparam("y0"), sa.bindparam("y1")))


class IncidentService:
    def __init__(self, store: Store, workflow: Workflow | None = None):
        self.store = store
        self.workflow = workflow or Workflow.default()

    # -- intake -----------------------------------------------------------------------------
    def intake(self, item: Intake, *, actor: str, locator, plan_id: int,
               snap_m: float = 50.0, dedupe_radius_m: float = 50.0,
               dedupe_window: timedelta = timedelta(hours=2)) -> tuple[dict, bool]:
        """Create (or, for a known idempotency key, return) an incident. Returns (row, created)."""
        if item.idempotency_key:
            existing = self._by_key(item.idempotency_key)
            if existing is not None:
                return existing, False
        cat = self.workflow.catalogue.find(item.category)
        if cat is None:
            raise InputError(f"category {item.category!r} is not in the catalogue.",
                             field="category", value=item.category,
                             fix="Use one of GET /categories (code, name or alias).")
        datum = parse_datum(item.datum)
        x, y = (float(v[0]) for v in to_storage(np.array([item.lon]), np.array([item.lat]), datum))
        hit = locator.locate_one(x, y, snap_m=snap_m)  # OutOfCoverageError beyond snap_m
        chain = hit["chain"]
        microgrid = (chain.get("microgrid") or {}).get("id")
        territorial = [c["id"] for c in (chain.get("community"), chain.get("grid"), chain.get("street"))
                       if c]
        lead, participants = microgrid or hit["leaf"], ()
        if item.footprint is not None:
            lead, participants = self._footprint_units(locator, item.footprint, lead)
        at = _utc(item.reported_at) or now()
        uid = _new_uid(at)
        wf = self.workflow
        state, ev = wf.report(uid, cat.code, at, actor=actor, channel=item.channel,
                              location=(x, y), microgrid=lead if microgrid else None,
                              participants=participants, chain=territorial)
        events = [ev]
        duplicates = self.find_duplicates(cat.code, x, y, at, dedupe_radius_m, dedupe_window)
        if item.auto_dispatch and not duplicates:
            # 派单直接到微网格: accept and dispatch at once, by the system. A likely
            # duplicate waits in 'reported' so a dispatcher can merge it instead.
            state, ev = wf.apply(state, Action.ACCEPT, actor=SYSTEM, at=at)
            events.append(ev)
            state, ev = wf.apply(state, Action.DISPATCH, actor=SYSTEM, at=at)
            events.append(ev)
        row = {
            "uid": uid, "idempotency_key": item.idempotency_key, "channel": item.channel,
            "category": cat.code, "description": item.description, "address": item.address,
            "lon": x, "lat": y, "input_datum": datum.value, "plan_id": plan_id,
            "microgrid_uid": hit["leaf"], "area_chain": chain,
            "located_by": "snapped" if hit["snapped"] else "inside",
            "reporter_name": item.reporter_name, "reporter_phone": item.reporter_phone,
            "reported_at": at, "attrs": {"state": state.to_dict(),
                                         "duplicates_of": duplicates or None},
        }
        row.update(self._denormalised(state))
        params = {c.name: None for c in S.incidents.c if c.name not in ("id", "geom")}
        params.update(row, merged_into=None, responder_id=None,
                      wkb=shapely.to_wkb(shapely.Point(x, y)))
        try:
            with self.store.write() as conn:
                res = conn.execute(_INSERT_INCIDENT, params)
                incident_id = int(res.inserted_primary_key[0])
                self._insert_events(conn, incident_id, events)
                conn.execute(_INSERT_AUDIT, {
                    "at": now(), "actor": actor, "action": "incident.create", "entity": "incident",
                    "entity_id": uid, "before": None,
                    "after": {"category": cat.code, "microgrid": hit["leaf"],
                              "channel": item.channel}})
        except IntegrityError:
            if item.idempotency_key:
                existing = self._by_key(item.idempotency_key)
                if existing is not None:  # a concurrent retry won the race
                    return existing, False
            raise
        params.pop("wkb")
        return {"id": incident_id, **params}, True

    def _footprint_units(self, locator, footprint, lead):
        geom = shapely.geometry.shape(footprint) if isinstance(footprint, dict) else footprint
        from ..dispatch import lead_microgrid

        lead_id, parts, _ = lead_microgrid(geom, locator.leaves)
        return lead_id or lead, tuple(parts)

    def _denormalised(self, state: IncidentState) -> dict:
        a = state.assignment
        # the workflow speaks Beijing time; the store keeps UTC (SQLite drops the offset)
        return {"status": state.status.value, "deadline_at": _utc(state.deadline),
                "closed_at": _utc(state.closed_at), "extensions": state.extensions,
                "reworks": state.reworks, "satisfaction": state.satisfaction,
                "handler_kind": a.handler_kind if a else None, "handler": a.unit if a else None,
                "participants": list(state.participants), "version": state.version}

    def _insert_events(self, conn, incident_id: int, events: list[Event]) -> None:
        conn.execute(_INSERT_EVENT, [
            {"incident_id": incident_id, "seq": e.seq, "action": e.action.value,
             "from_status": e.from_status.value if e.from_status else None,
             "to_status": e.to_status.value, "actor": e.actor, "at": _utc(e.at), "reason": e.reason,
             "data": _json(e.data)} for e in events])

    def _by_key(self, key: str) -> dict | None:
        with self.store.read() as conn:
            uid = conn.execute(_UID_BY_KEY, {"key": key}).scalar()
        return self.get(uid) if uid else None

    # -- reading ----------------------------------------------------------------------------
    def get(self, uid: str) -> dict:
        with self.store.read() as conn:
            row = conn.execute(sa.select(S.incidents).where(S.incidents.c.uid == uid)).first()
        if row is None:
            raise NotFoundError(f"incident {uid!r} does not exist.", field="incident", value=uid,
                                fix="List incidents with GET /incidents.")
        return self._row(row)

    def _row(self, row) -> dict:
        d = dict(row._mapping)
        d.pop("geom", None)
        for k in ("reported_at", "deadline_at", "closed_at"):
            d[k] = _utc(d[k])
        return d

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
            q = q.where(c.reported_at >= _utc(since))
        if until:
            q = q.where(c.reported_at < _utc(until))
        if handler:
            q = q.where(c.handler == handler)
        if overdue_at:
            q = q.where(c.deadline_at.is_not(None), c.deadline_at < _utc(overdue_at),
                        c.status.in_(("dispatched", "handling")))
        with self.store.read() as conn:
            rows = conn.execute(q.limit(limit).offset(offset)).all()
        return [self._row(r) for r in rows]

    def events(self, uid: str) -> list[dict]:
        e, i = S.incident_events.c, S.incidents.c
        q = (sa.select(S.incident_events).join(S.incidents, e.incident_id == i.id)
             .where(i.uid == uid).order_by(e.seq))
        with self.store.read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q)]
        if not rows:
            self.get(uid)  # raises NotFoundError
        for r in rows:
            r["at"] = _utc(r["at"])
            r["incident_id"] = uid
        return rows

    def state(self, row: dict) -> IncidentState:
        return IncidentState.from_dict(row["attrs"]["state"])

    # -- transitions ------------------------------------------------------------------------
    def transition(self, uid: str, action: str, *, actor: str, reason: str | None = None,
                   expected_version: int | None = None, at: datetime | None = None,
                   locator=None, **payload) -> dict:
        row = self.get(uid)
        state = self.state(row)
        if expected_version is not None and expected_version != state.version:
            raise ConflictError(
                f"incident {uid} is at version {state.version}, not {expected_version}.",
                field="version", value=expected_version, fix="Reload the incident and retry.")
        at = _utc(at) or now()
        if at < state.updated_at:
            at = state.updated_at
        extra: dict[str, Any] = {}
        if action == "relocate" and "lon" in payload:
            if locator is None:
                raise InputError("relocate needs the plan's locator.", field="location")
            datum = parse_datum(payload.pop("datum", None))
            x, y = (float(v[0]) for v in to_storage(np.array([payload.pop("lon")]),
                                                    np.array([payload.pop("lat")]), datum))
            hit = locator.locate_one(x, y, snap_m=payload.pop("snap_m", 50.0))
            chain = hit["chain"]
            mg = (chain.get("microgrid") or {}).get("id")
            payload.update(location=(x, y), microgrid=mg or None,
                           chain=[c["id"] for c in (chain.get("community"), chain.get("grid"),
                                                   chain.get("street")) if c])
            extra = {"lon": x, "lat": y, "microgrid_uid": hit["leaf"], "area_chain": chain,
                     "point": shapely.Point(x, y)}
        new, event = self.workflow.apply(state, action, actor=actor, at=at, reason=reason, **payload)
        values = self._denormalised(new)
        if action == "recategorise":
            values["category"] = new.category
        attrs = dict(row["attrs"] or {})
        attrs["state"] = new.to_dict()
        values["attrs"] = attrs
        point = extra.pop("point", None)
        values.update(extra)
        with self.store.write() as conn:
            stmt = (sa.update(S.incidents)
                    .where(S.incidents.c.uid == uid, S.incidents.c.version == state.version)
                    .values(**values))
            params = {}
            if point is not None:
                stmt = stmt.values(geom=_wkb_param())
                params = {"wkb": shapely.to_wkb(point)}
            res = conn.execute(stmt, params) if params else conn.execute(stmt)
            if res.rowcount != 1:
                raise ConflictError(f"incident {uid} changed while saving.", field="version",
                                    value=state.version, fix="Reload the incident and retry.")
            self._insert_events(conn, row["id"], [event])
            self.store.audit(conn, actor=actor, action=f"incident.{event.action.value}",
                             entity="incident", entity_id=uid,
                             before={"status": state.status.value, "version": state.version},
                             after={"status": new.status.value, "version": new.version,
                                    "reason": reason})
        return self.get(uid)

    def assign_responder(self, uid: str, responder_id: int | None, *, actor: str) -> dict:
        """Name the responder who goes (or clear it), recorded in the audit log."""
        row = self.get(uid)
        with self.store.write() as conn:
            if responder_id is not None:
                exists = conn.execute(sa.select(S.responders.c.id).where(
                    S.responders.c.id == responder_id)).first()
                if exists is None:
                    raise NotFoundError(f"responder {responder_id} does not exist.",
                                        field="responder_id", value=responder_id,
                                        fix="List responders with GET /responders.")
            conn.execute(sa.update(S.incidents).where(S.incidents.c.uid == uid)
                         .values(responder_id=responder_id))
            self.store.audit(conn, actor=actor, action="incident.assign_responder",
                             entity="incident", entity_id=uid,
                             before={"responder_id": row.get("responder_id")},
                             after={"responder_id": responder_id})
        return self.get(uid)

    def merge(self, uid: str, into: str, *, actor: str) -> dict:
        """Close ``uid`` as a duplicate of ``into`` (不予受理 with the link kept)."""
        target = self.get(into)
        if target["uid"] == uid:
            raise InputError("an incident cannot be merged into itself.", field="into", value=into)
        row = self.get(uid)
        state = self.state(row)
        if state.status is not Status.REPORTED:
            raise StateError(f"incident {uid} is {state.status.value}; only reported incidents "
                             "can be merged.", field="incident", value=uid,
                             fix="Merge before dispatching, or close it through the loop.")
        out = self.transition(uid, "reject", actor=actor, reason=f"重复上报, 合并至 {into}")
        with self.store.write() as conn:
            conn.execute(sa.update(S.incidents).where(S.incidents.c.uid == uid)
                         .values(merged_into=into))
        out["merged_into"] = into
        return out

    def find_duplicates(self, category: str, x: float, y: float, at: datetime, radius_m: float,
                        window: timedelta) -> list[str]:
        dlat = radius_m / 111_000.0
        dlon = dlat / max(0.1, math.cos(math.radians(y)))
        with self.store.read() as conn:
            rows = conn.execute(_NEAR_SAME_CATEGORY, {
                "category": category, "t0": at - window, "t1": at + window,
                "x0": x - dlon, "x1": x + dlon, "y0": y - dlat, "y1": y + dlat}).all()
        out = []
        for uid, lon, lat in rows:
            d = math.hypot((lon - x) * 111_000 * math.cos(math.radians(y)), (lat - y) * 111_000)
            if d <= radius_m:
                out.append(uid)
        return out

    # -- frames for metrics ---------------------------------------------------------------
    def frames(self, *, since: datetime | None = None, until: datetime | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(incidents, events) frames in the shape :func:`geogrid.dispatch.incident_metrics` takes."""
        from ..dispatch import events_frame, states_frame

        rows = self.list(since=since, until=until, limit=10_000_000)
        states = [IncidentState.from_dict(r["attrs"]["state"]) for r in rows]
        inc = states_frame(states)
        chains = {r["uid"]: r["area_chain"] or {} for r in rows}
        leaf = {r["uid"]: r["microgrid_uid"] for r in rows}
        if len(inc):
            inc["microgrid"] = inc["id"].map(leaf)
            inc["grid"] = inc["id"].map(lambda i: ((chains[i].get("grid") or {}).get("id")))
            inc["street"] = inc["id"].map(lambda i: ((chains[i].get("street") or {}).get("id")))
            inc["channel"] = inc["id"].map({r["uid"]: r["channel"] for r in rows})
        ids = [r["id"] for r in rows]
        if not ids:
            return inc, pd.DataFrame(columns=["incident_id", "seq", "action", "at"])
        e, i = S.incident_events.c, S.incidents.c
        with self.store.read() as conn:
            evs = [dict(r._mapping) for r in conn.execute(
                sa.select(i.uid.label("incident_id"), e.seq, e.action, e.actor, e.at, e.from_status,
                          e.to_status, e.reason, e.data)
                .join(S.incidents, e.incident_id == i.id).where(e.incident_id.in_(ids)))]
        for ev in evs:
            ev["at"] = _utc(ev["at"])
        return inc, events_frame([Event.from_dict(ev) for ev in evs])

    # -- timers -------------------------------------------------------------------------
    def tick(self, *, at: datetime | None = None, actor: str = SYSTEM) -> dict:
        """Run the escalation timers: every open order whose timer passed a new escalation
        threshold is escalated (one event each, audited). Returns what was done."""
        at = _utc(at) or now()
        rows = self.list(status=["dispatched", "handling"], limit=10_000_000)
        escalated, overdue = [], 0
        for row in rows:
            state = self.state(row)
            timer = self.workflow.timer(state, at)
            if timer is None:
                continue
            overdue += timer.stage in ("overdue", "escalated")
            if timer.escalation_level > state.escalation_level:
                try:
                    self.transition(row["uid"], "escalate", actor=actor, at=at,
                                    level=timer.escalation_level)
                    escalated.append({"uid": row["uid"], "level": timer.escalation_level,
                                      "to": timer.escalate_to})
                except ConflictError:
                    continue  # someone acted on it meanwhile; the next tick sees the new state
        return {"at": at.isoformat(), "open": len(rows), "overdue": overdue,
                "escalated": escalated}

    # -- retention --------------------------------------------------------------------------
    def purge_personal(self, *, older_than_days: int, actor: str = SYSTEM) -> int:
        """Blank reporter name/phone of incidents closed more than ``older_than_days`` ago."""
        cutoff = now() - timedelta(days=older_than_days)
        c = S.incidents.c
        with self.store.write() as conn:
            res = conn.execute(sa.update(S.incidents).where(
                c.closed_at.is_not(None), c.closed_at < cutoff,
                sa.or_(c.reporter_name.is_not(None), c.reporter_phone.is_not(None)))
                .values(reporter_name=None, reporter_phone=None))
            self.store.audit(conn, actor=actor, action="incident.purge_personal", entity="incident",
                             entity_id=None, after={"count": res.rowcount,
                                                    "cutoff": cutoff.isoformat()})
        return res.rowcount


def _json(value):
    import json

    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
