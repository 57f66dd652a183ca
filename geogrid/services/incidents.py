"""Incidents: intake, the closed loop, merging, timers and retention.

Intake is one path for every channel (API, Open311, CSV, simulation): the
address fallback (geocode when there is no coordinate), the datum-tagged
point → area chain with the datum check (:func:`~.locating.locate_point`),
the dispatch rules, duplicate detection and one transaction that stores the
incident with its first events.

属地兜底: an unknown (or "其他") category, or a point outside every
microgrid but within ``reach_m`` of the street, is never refused: it goes to
the territorial unit (the nearest grid, or the street) and is flagged for a
dispatcher (``attrs.flags``).

Intake is idempotent per caller: the key is stored with its caller and a
hash of the request, so a retry returns the first attempt's incident, the
same key from another caller is another incident, and the same key with a
different body is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy.exc import IntegrityError

from .._errors import ConflictError, InputError, NotFoundError, OutOfCoverageError, StateError
from ..dispatch import Action, Event, IncidentState, Status, Workflow
from ..datum import parse_datum, to_storage
from ..dispatch.calendar import BEIJING
from ..model import DEFAULT_LEVELS
from ..security import Principal
from ..store import Store, open311, webhooks
from ..store._sql import now, utc
from ..store.addresses import AddressBook
from ..store.incidents import OPEN_STATUSES, PERSONAL_FIELDS
from . import policy
from .gazetteer import cached_gazetteer, gazetteer_from_store
from .locating import locate_point, territorial_levels, territorial_unit
from .plancache import PlanCache

__all__ = ["IncidentService", "Intake", "Reporter", "PERSONAL_FIELDS", "OPEN_STATUSES", "SYSTEM",
           "FLAG_UNKNOWN_CATEGORY", "FLAG_OUTSIDE_COVERAGE", "FLAG_DATUM_SUSPECT",
           "FLAG_GEOCODE_REVIEW"]

SYSTEM = "system"
#: flags a dispatcher should look at
FLAG_UNKNOWN_CATEGORY = "unknown_category"
FLAG_OUTSIDE_COVERAGE = "outside_coverage"
FLAG_DATUM_SUSPECT = "datum_suspect"
#: the address was geocoded below the review threshold: a person should confirm the point
FLAG_GEOCODE_REVIEW = "geocode_review"
#: the catch-all category names that go to the territorial unit
OTHER_NAMES = ("其他", "其它", "other")
#: metres per degree of latitude, for the duplicate pre-filter box
_M_PER_DEG = 111_000.0


@dataclass(frozen=True)
class Reporter:
    """Who reported an incident. Personal data: stored with it, shown only to staff, and
    blanked together by the retention purge (:data:`PERSONAL_FIELDS`)."""

    name: str | None = None
    phone: str | None = None


@dataclass
class Intake:
    """One incoming report, already validated for shape by the caller.

    Without ``lon``/``lat`` the ``address`` is geocoded (CGCS2000)."""

    category: str
    lon: float | None
    lat: float | None
    datum: str | None
    channel: str = "api"
    description: str | None = None
    address: str | None = None
    reporter: Reporter | None = None
    reported_at: datetime | None = None
    idempotency_key: str | None = None
    footprint: Any = None  # optional polygon/line the incident covers (multi-microgrid)
    auto_dispatch: bool = True

    def request_hash(self) -> str:
        """SHA-256 of what the caller sent (everything but the key)."""
        body = {k: v for k, v in asdict(self).items() if k not in ("idempotency_key", "reporter")}
        who = self.reporter or Reporter()
        # the stored hashes of earlier requests were taken over the flat names
        body |= {"reporter_name": who.name, "reporter_phone": who.phone}
        text = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _new_uid(at: datetime) -> str:
    return f"INC-{at.astimezone(BEIJING):%Y%m%d}-{secrets.token_hex(4).upper()}"


def stored_key(owner: str | None, key: str | None) -> str | None:
    """A key namespaced to its caller (``owner:key``; hashed when longer than the column)."""
    if key is None or owner is None:
        return key
    full = f"{owner}:{key}"
    if len(full) <= 128:
        return full
    return f"{owner[:40]}:#{hashlib.sha256(full.encode()).hexdigest()}"


@dataclass
class _Where:
    x: float
    y: float
    datum: str
    leaf: str | None
    chain: dict
    located_by: str
    lead: str | None
    participants: tuple
    territorial: list
    flags: list
    warnings: list
    duplicates: list | None = None


class IncidentService:
    def __init__(self, store: Store, cache: PlanCache | None = None, *, snap_m: float = 50.0,
                 reach_m: float = 500.0, fallback_level: str = "grid",
                 workflow: Workflow | None = None, gazetteer=None, review_below: float = 0.6,
                 learning: str = "review"):
        """``review_below``: geocodes under this confidence flag the incident for review
        (setting ``GEOCODE_REVIEW_BELOW``). ``learning``: a dispatcher's confirmed or
        corrected location joins the address database at once (``"auto"``) or as a candidate
        for review (``"review"``; setting ``GEOCODE_LEARNING``)."""
        self.store = store
        self.review_below, self.learning = review_below, learning
        self.repo = store.incidents
        self.cache = cache
        self.snap_m, self.reach_m, self.fallback_level = snap_m, reach_m, fallback_level
        self.workflow = workflow or Workflow.default()
        self._gazetteer = gazetteer

    # -- intake -----------------------------------------------------------------------------
    def intake(self, item: Intake, *, actor: str, locator=None, plan_id: int | None = None,
               snap_m: float | None = None, key_owner: str | None = None,
               dedupe_radius_m: float = 50.0,
               dedupe_window: timedelta = timedelta(hours=2),
               also=None) -> tuple[dict, bool]:
        """Create (or, for a known idempotency key, return) an incident. Returns (row, created).

        ``also(conn, uid)`` is written in the incident's transaction (a failure there leaves
        no incident); a replayed key creates nothing and does not call it."""
        digest = item.request_hash() if key_owner is not None else None
        existing, key = self._claim(key_owner, item.idempotency_key, digest)
        if existing is not None:
            return existing, False
        if plan_id is None:
            plan_id = self.cache.active_plan_id() if self.cache is not None else \
                self._active_plan_id()
        locator = locator if locator is not None else self.cache.locator(plan_id)
        snap = self.snap_m if snap_m is None else snap_m
        cat = self._category(item.category)
        where = self._where(item, locator, plan_id, snap)
        if cat is None:
            where.flags.append(FLAG_UNKNOWN_CATEGORY)
        at = utc(item.reported_at) or now()
        uid = _new_uid(at)
        code = cat.code if cat is not None else item.category.strip()
        manual = cat is not None and cat.command == "manual"
        state, events = self._open(uid, code, at, actor, item, where, dedupe_radius_m,
                                   dedupe_window, manual)
        row = self._row(uid, key, item, code, at, plan_id, where, state)
        row["attrs"].update(request_hash=digest, key_owner=key_owner)
        audit = {"category": code, "microgrid": where.leaf, "channel": item.channel,
                 "flags": where.flags or None}
        for _attempt in range(2):
            try:
                incident_id = self.repo.insert(row, [_event(e) for e in events], actor=actor,
                                               audit_after=audit, also=also)
                return {"id": incident_id, **row}, True
            except IntegrityError:
                if not key:
                    raise
                # a concurrent retry won the race (replay it), or another caller took the
                # key at the same moment (store this report under this caller's key)
                existing, again = self._claim(key_owner, item.idempotency_key, digest)
                if existing is not None:
                    return existing, False
                if again == row["idempotency_key"]:
                    raise
                row["idempotency_key"] = again
        raise ConflictError("Idempotency-Key 正被同时使用, 请重试。the Idempotency-Key is being "
                            "used at this moment; retry.", field="Idempotency-Key",
                            fix="稍后原样重发。Resend the same request shortly.")

    def _active_plan_id(self) -> int:
        plan = self.store.active_plan()
        if plan is None:
            raise NotFoundError("没有已启用的方案。there is no active plan.", field="plan",
                                fix="加载或启用一个方案。Load or activate a plan.")
        return int(plan["id"])

    def _claim(self, owner: str | None, key: str | None, digest: str | None
               ) -> tuple[dict | None, str | None]:
        """(the incident a retry replays, or None; the key a new incident is stored under).

        Keys are per caller: the first caller to use a key stores it as sent; another
        caller's use of the same key is stored as ``owner:key``. A replay must come from
        the key's owner with the same body (a different body answers 422)."""
        if key is None:
            return None, None
        if owner is None:  # trusted batch channels (CSV, simulation) use their keys as they are
            uid = self.repo.uid_by_key(key)
            return (self.repo.get(uid) if uid else None), key
        mine = stored_key(owner, key)
        for candidate in (mine, key):
            uid = self.repo.uid_by_key(candidate)
            if uid is None:
                continue
            row = self.repo.get(uid)
            attrs = row.get("attrs") or {}
            if candidate == key and attrs.get("key_owner") != owner:
                return None, mine  # another caller's key: this is a new report
            if digest is not None and attrs.get("request_hash") not in (None, digest):
                raise InputError(
                    "这个 Idempotency-Key 已用于另一份不同的上报。this Idempotency-Key was used "
                    "for a different report.", field="Idempotency-Key", value=None,
                    fix="每份新上报用一个新 key; 重试时请原样重发。Use a new key for a new "
                        "report; resend a retry unchanged.")
            return row, candidate
        return None, key

    def _category(self, name: str):
        if name.strip().lower() in OTHER_NAMES:
            return None
        return self.workflow.catalogue.find(name)

    def _where(self, item: Intake, locator, plan_id: int, snap: float) -> _Where:
        lon, lat, datum = item.lon, item.lat, item.datum
        review = None
        if lon is None or lat is None:
            lon, lat, datum, review = self._geocode(item.address)
        where = self._locate(item, locator, plan_id, snap, lon, lat, datum)
        if review is not None:
            where.flags.append(FLAG_GEOCODE_REVIEW)
            where.warnings.append(review)
        return where

    def _locate(self, item: Intake, locator, plan_id: int, snap: float, lon, lat, datum
                ) -> _Where:
        buildings = self.cache.buildings() if self.cache is not None else None
        try:
            hit = locate_point(locator, lon, lat, datum, snap_m=snap, buildings=buildings)
        except OutOfCoverageError as exc:
            try:
                where = self._territorial(item, locator, lon, lat, datum, plan_id)
            except OutOfCoverageError:
                if exc.field == "datum":  # beyond reach too: refuse with the datum hint
                    raise exc from None
                raise
            if exc.field == "datum":  # read in another datum it lands on a building
                where.flags.append(FLAG_DATUM_SUSPECT)
                where.warnings.append(exc.message)
            return where
        chain = hit["chain"]
        microgrid = (chain.get("microgrid") or {}).get("id")
        levels = getattr(locator, "levels", DEFAULT_LEVELS)  # a plan's declared hierarchy
        territorial = [chain[k]["id"] for k in territorial_levels(levels) if chain.get(k)]
        lead, participants = microgrid or hit["leaf"], ()
        if item.footprint is not None:
            lead, participants = _footprint_units(locator, item.footprint, lead, hit["point"])
        return _Where(hit["point"][0], hit["point"][1], str(datum), hit["leaf"], chain,
                      "snapped" if hit["snapped"] else "inside", lead if microgrid else None,
                      participants, territorial,
                      [FLAG_DATUM_SUSPECT] if hit.get("datum_warning") else [],
                      hit.get("warnings", []))

    def _territorial(self, item, locator, lon, lat, datum, plan_id) -> _Where:
        x, y = (float(v[0]) for v in to_storage(np.array([lon]), np.array([lat]),
                                                parse_datum(datum)))
        areas = (self.cache.plan_data(plan_id).areas if self.cache is not None
                 else self.store.areas(plan_id))
        unit = territorial_unit(areas, x, y, reach_m=self.reach_m, level=self.fallback_level,
                                levels=getattr(locator, "levels", DEFAULT_LEVELS))
        if unit is None:
            raise OutOfCoverageError(
                f"({lon}, {lat}) 不在任何区域内, 离街道超过 {self.reach_m:.0f} 米。({lon}, {lat}) in "
                f"{datum} is in no area and more than {self.reach_m:.0f} m from the street.",
                field="location", value=[lon, lat],
                fix="检查坐标及其坐标系。Check the coordinates and their datum.")
        chain = {ref["level"]: ref for ref in reversed(unit["path"])}
        territorial = [ref["id"] for ref in unit["path"]]
        note = (f"不在任何微网格内, 由{unit['unit']}属地兜底 ({unit['distance_m']} 米)。outside every "
                f"microgrid; the territorial unit {unit['unit']} takes it "
                f"({unit['distance_m']} m).")
        return _Where(x, y, str(datum), None, chain, "territorial", None, (), territorial,
                      [FLAG_OUTSIDE_COVERAGE], [note])

    def _geocode(self, address: str | None) -> tuple[float, float, str, str | None]:
        """The address's point, and a note when its confidence is under ``review_below``."""
        if not address:
            raise InputError("事件需要经纬度 (及坐标系) 或地址。an incident needs lon/lat (with "
                             "datum) or an address.", field="lon/lat",
                             fix="发送 lon、lat 和 datum, 或 address。Send lon, lat and datum, "
                                 "or address.")
        gazetteer = self._gazetteer() if self._gazetteer is not None else \
            cached_gazetteer(self.cache, self.review_below) if self.cache is not None else \
            gazetteer_from_store(self.store, review_below=self.review_below)
        found = gazetteer.geocode(address)
        if not found.ok:
            raise InputError(f"地址 {address!r} 未找到: {found.reason}。address {address!r} was "
                             f"not found: {found.reason}", field="address", value=address,
                             fix="发送经纬度和坐标系, 或更完整的地址。Send lon/lat with datum, or "
                                 "a fuller address.")
        note = None
        if found.confidence < self.review_below:
            note = (f"地址定位置信度 {found.confidence:.2f} 低于 {self.review_below:.2f}, 请核实位置 "
                    f"({found.level.value if found.level else ''})。the address was located with "
                    f"confidence {found.confidence:.2f}, under {self.review_below:.2f}: confirm "
                    "or correct the point.")
        return found.lon, found.lat, "cgcs2000", note

    def _open(self, uid, code, at, actor, item, where, radius, window, manual=False):
        wf = self.workflow
        state, ev = wf.report(uid, code, at, actor=actor, channel=item.channel,
                              location=(where.x, where.y), microgrid=where.lead,
                              participants=where.participants, chain=where.territorial)
        events = [ev]
        duplicates = self.find_duplicates(code, where.x, where.y, at, radius, window)
        where.duplicates = duplicates
        if item.auto_dispatch and not duplicates:
            # 派单直接到微网格: accept and dispatch at once, by the system. A likely
            # duplicate waits in 'reported' so a dispatcher can merge it instead; a category
            # under manual 指挥 is accepted and waits for a dispatcher's dispatch.
            steps = (Action.ACCEPT,) if manual else (Action.ACCEPT, Action.DISPATCH)
            for action in steps:
                state, ev = wf.apply(state, action, actor=SYSTEM, at=at)
                events.append(ev)
        return state, events

    def _row(self, uid, key, item, code, at, plan_id, where, state) -> dict:
        row = {
            "uid": uid, "idempotency_key": key, "channel": item.channel, "category": code,
            "description": item.description, "address": item.address, "lon": where.x,
            "lat": where.y, "input_datum": where.datum, "plan_id": plan_id,
            "microgrid_uid": where.leaf, "area_chain": where.chain, "located_by": where.located_by,
            "reporter_name": item.reporter.name if item.reporter else None,
            "reporter_phone": item.reporter.phone if item.reporter else None,
            "reported_at": at, "merged_into": None, "responder_id": None,
            "attrs": {"state": state.to_dict(),
                      "duplicates_of": where.duplicates or None,
                      "flags": where.flags or None, "warnings": where.warnings or None}}
        row.update(denormalised(state))
        return row

    # -- reading ----------------------------------------------------------------------------
    def get(self, uid: str) -> dict:
        return self.repo.get(uid)

    def list(self, **filters) -> list[dict]:
        return self.repo.list(**filters)

    def events(self, uid: str) -> list[dict]:
        return self.repo.events(uid)

    def state(self, row: dict) -> IncidentState:
        return IncidentState.from_dict(row["attrs"]["state"])

    # -- scoped access (what the API and Open311 call) ----------------------------------
    def get_for(self, principal: Principal, uid: str, verb: str = "read") -> dict:
        """The incident, if ``principal`` may ``verb`` it (403 otherwise)."""
        row = self.get(uid)
        policy.require(principal, verb, policy.IncidentRef.of(row))
        return row

    def visible(self, principal: Principal, rows: list[dict]) -> list[dict]:
        """The rows ``principal`` may read (scope on every object, not only on the route)."""
        return [r for r in rows if policy.allowed(principal, "read", policy.IncidentRef.of(r))]

    def queue(self, unit: str) -> list[dict]:
        """Open orders a unit leads or takes part in (派单到微网格, participants included)."""
        rows = self.repo.list(status=["dispatched", "handling"], limit=10_000_000)
        return [r for r in rows
                if r.get("handler") == unit or unit in (r.get("participants") or [])]

    # -- transitions ------------------------------------------------------------------------
    def transition(self, uid: str, action: str, *, actor: str, reason: str | None = None,
                   expected_version: int | None = None, at: datetime | None = None,
                   locator=None, **payload) -> dict:
        row = self.get(uid)
        state = self.state(row)
        if expected_version is not None and expected_version != state.version:
            raise ConflictError(
                f"事件 {uid} 是第 {state.version} 版, 不是第 {expected_version} 版。incident {uid} "
                f"is at version {state.version}, not {expected_version}.", field="version",
                value=expected_version, fix="重新加载后重试。Reload the incident and retry.")
        at = max(utc(at) or now(), state.updated_at)
        extra: dict[str, Any] = {}
        if action == "relocate" and "lon" in payload:
            extra = self._relocation(payload, locator)
        new, event = self.workflow.apply(state, action, actor=actor, at=at, reason=reason,
                                         **payload)
        values = denormalised(new)
        if action == "recategorise":
            values["category"] = new.category
        values["attrs"] = dict(row["attrs"] or {}) | {"state": new.to_dict()}
        point = extra.pop("point", None)
        values.update(extra)
        self.repo.update(uid, state.version, values, _event(event), actor=actor,
                         incident_id=row["id"], point=point,
                         audit={"action": f"incident.{event.action.value}",
                                "before": {"status": state.status.value, "version": state.version},
                                "after": {"status": new.status.value, "version": new.version,
                                          "reason": reason}})
        if point is not None and row.get("address"):
            try:  # a dispatcher corrected the point: the address learns it
                self.learn_location(row, point.x, point.y, actor=actor)
            except InputError:
                pass  # an address naming no road or place has nothing to teach; the move stands
        return self.get(uid)

    def confirm_location(self, uid: str, *, actor: str) -> dict:
        """A dispatcher confirms that the incident's point is where its address is.

        The (address, point) pair joins the address database (see :meth:`learn_location`);
        an incident without an address has nothing to teach and is refused."""
        row = self.get(uid)
        if not row.get("address"):
            raise InputError(f"事件 {uid} 没有地址, 无从学习。incident {uid} was reported without "
                             "an address: there is no address to confirm.", field="address",
                             value=uid, fix="只确认按地址定位的事件; 改点请用 relocate。Confirm "
                                 "incidents located from an address; move others with relocate.")
        self.learn_location(row, float(row["lon"]), float(row["lat"]), actor=actor)
        return self.get(uid)

    def learn_location(self, row: dict, lon: float, lat: float, *, actor: str) -> str | None:
        """Record (address, point) in the address database with who confirmed it, for which
        incident; active at once or a candidate for review, as ``learning`` says. Returns the
        address key, or None for an incident reported without an address (on relocation)."""
        address = row.get("address")
        if not address or not str(address).strip():
            return None
        with self.store.write() as conn:
            return AddressBook(self.store).learn(conn, address=str(address), lon=lon, lat=lat,
                                                 actor=actor, incident_id=row["uid"],
                                                 mode=self.learning)

    def _relocation(self, payload: dict, locator) -> dict:
        if locator is None:
            raise InputError("改点需要方案的定位器。relocate needs the plan's locator.",
                             field="location")
        hit = locate_point(locator, payload.pop("lon"), payload.pop("lat"),
                           payload.pop("datum", None) or "cgcs2000",
                           snap_m=payload.pop("snap_m", self.snap_m))
        x, y = hit["point"]
        chain = hit["chain"]
        payload.update(location=(x, y), microgrid=(chain.get("microgrid") or {}).get("id") or None,
                       chain=[c["id"] for c in (chain.get("community"), chain.get("grid"),
                                               chain.get("street")) if c])
        return {"lon": x, "lat": y, "microgrid_uid": hit["leaf"], "area_chain": chain,
                "point": shapely.Point(x, y)}

    def assign_responder(self, uid: str, responder_id: int | None, *, actor: str) -> dict:
        """Name the responder who goes (or clear it): an ``assign`` event in the timeline
        (the status stays), audited like every step."""
        name = None
        if responder_id is not None:
            name = self.store.responders.get(responder_id)["name"]  # NotFoundError
        self.transition(uid, "assign", actor=actor, responder_id=responder_id, responder=name)
        self.repo.set_columns(uid, actor=None, action="", before=None, responder_id=responder_id)
        return self.get(uid)

    def nearby_duplicates(self, principal: Principal, category: str, lon: float, lat: float,
                          datum: str, *, radius_m: float = 50.0,
                          window: timedelta = timedelta(hours=2)) -> list[dict]:
        """Reports a new call at (lon, lat) would duplicate — the same rule intake applies —
        that ``principal`` may read, so a call taker can merge instead of saving another."""
        cat = self._category(category)
        if cat is None:
            return []
        x, y = to_storage(np.array([lon]), np.array([lat]), parse_datum(datum))
        uids = self.find_duplicates(cat.code, float(x[0]), float(y[0]), now(), radius_m, window)
        rows = [self.get(u) for u in uids]
        return self.visible(principal, rows)

    def command_queue(self, principal: Principal) -> list[dict]:
        """Accepted incidents waiting for a dispatcher's 指挥 (dispatch), oldest first, in
        ``principal``'s scope: manual-command categories, returned and reopened orders."""
        rows = self.repo.list(status=["accepted"], limit=10_000_000)
        return sorted(self.visible(principal, rows), key=lambda r: r["reported_at"])

    def changes_since(self, after: int, principal: Principal) -> tuple[int, list[dict]]:
        """Timeline events after event id ``after`` on incidents ``principal`` may read, and
        the newest event id. Every write adds an event, so any worker's change is seen."""
        last, rows = self.repo.events_after(after)
        seen: dict[str, dict] = {}
        out = []
        for ev in rows:
            uid = ev["uid"]
            if uid not in seen:
                seen[uid] = self.get(uid)
            inc = seen[uid]
            if policy.allowed(principal, "read", policy.IncidentRef.of(inc)):
                out.append({"id": ev["id"], "uid": uid, "action": ev["action"],
                            "status": ev["to_status"], "category": inc["category"],
                            "deadline_at": inc["deadline_at"], "at": ev["at"]})
        return last, out

    def merge(self, uid: str, into: str, *, actor: str, max_distance_m: float = 500.0) -> dict:
        """Close ``uid`` as a duplicate of ``into`` (不予受理 with the link kept).

        Only a duplicate can be merged: same category, within ``max_distance_m``."""
        target = self.get(into)
        if target["uid"] == uid:
            raise InputError("事件不能合并到自身。an incident cannot be merged into itself.",
                             field="into", value=into)
        row = self.get(uid)
        state = self.state(row)
        if state.status is not Status.REPORTED:
            raise StateError(f"事件 {uid} 状态为 {state.status.value}, 只能合并已上报的事件。"
                             f"incident {uid} is {state.status.value}; only reported incidents "
                             "can be merged.", field="incident", value=uid,
                             fix="在派单前合并, 或走完闭环。Merge before dispatching, or close it "
                                 "through the loop.")
        _require_duplicate(row, target, max_distance_m)
        out = self.transition(uid, "reject", actor=actor, reason=f"重复上报, 合并至 {into}")
        self.repo.set_columns(uid, actor=None, action="", before=None, merged_into=into)
        out["merged_into"] = into
        return out

    def find_duplicates(self, category: str, x: float, y: float, at: datetime, radius_m: float,
                        window: timedelta) -> list[str]:
        dlat = radius_m / _M_PER_DEG
        dlon = dlat / max(0.1, math.cos(math.radians(y)))
        rows = self.repo.near_same_category(category, (x - dlon, y - dlat, x + dlon, y + dlat),
                                            at - window, at + window)
        return [uid for uid, lon, lat in rows if _metres(lon, lat, x, y) <= radius_m]

    # -- frames for metrics ---------------------------------------------------------------
    def frames(self, *, since: datetime | None = None, until: datetime | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(incidents, events) frames in the shape :func:`geogrid.dispatch.incident_metrics` takes.

        An incident counts for its lead microgrid (the handler when it leads), not
        the microgrid its point fell in."""
        from ..dispatch import events_frame, states_frame

        rows = self.list(since=since, until=until, limit=10_000_000)
        inc = states_frame([IncidentState.from_dict(r["attrs"]["state"]) for r in rows])
        if len(inc):
            by_uid = {r["uid"]: r for r in rows}
            inc["microgrid"] = inc["id"].map(lambda i: _lead(by_uid[i]))
            inc["grid"] = inc["id"].map(lambda i: _chain_id(by_uid[i], "grid"))
            inc["street"] = inc["id"].map(lambda i: _chain_id(by_uid[i], "street"))
            inc["channel"] = inc["id"].map(lambda i: by_uid[i]["channel"])
        ids = [r["id"] for r in rows]
        if not ids:
            return inc, pd.DataFrame(columns=["incident_id", "seq", "action", "at"])
        return inc, events_frame([Event.from_dict(ev) for ev in self.repo.events_of(ids)])

    # -- timers -------------------------------------------------------------------------
    def tick(self, *, at: datetime | None = None, actor: str = SYSTEM) -> dict:
        """Run the escalation timers: every open order whose timer passed a new escalation
        threshold is escalated (one event each, audited). Returns what was done."""
        at = utc(at) or now()
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
        """Blank reporter name/phone of incidents that ended (closed, rejected or merged) more
        than ``older_than_days`` ago, and the personal extras their Open311 requests carried
        (email, device and account ids), and the webhook delivery log's finished entries
        (their payloads copy incidents); no copy is left in SQLite's write-ahead log (the
        incident purge, last, checkpoints it)."""
        open311.purge_personal(self.store, older_than_days=older_than_days, actor=actor)
        webhooks.purge_deliveries(self.store, older_than_days=older_than_days, actor=actor)
        return self.repo.purge_personal(now() - timedelta(days=older_than_days), actor=actor)


def denormalised(state: IncidentState) -> dict:
    """The query columns of an incident row, from its workflow state."""
    a = state.assignment
    # the workflow speaks Beijing time; the store keeps UTC (SQLite drops the offset)
    participants = list(state.participants)
    if a is not None and a.handler_kind == "department":
        participants = list(dict.fromkeys([*(state.microgrid and [state.microgrid] or []),
                                           *participants, *a.participants]))
    return {"status": state.status.value, "deadline_at": utc(state.deadline),
            "closed_at": utc(state.closed_at), "extensions": state.extensions,
            "reworks": state.reworks, "satisfaction": state.satisfaction,
            "handler_kind": a.handler_kind if a else None, "handler": a.unit if a else None,
            "participants": participants, "version": state.version}


def _event(e: Event) -> dict:
    return {"seq": e.seq, "action": e.action.value,
            "from_status": e.from_status.value if e.from_status else None,
            "to_status": e.to_status.value, "actor": e.actor, "at": e.at, "reason": e.reason,
            "data": e.data}


def _footprint_units(locator, footprint, lead, point):
    from ..dispatch import lead_microgrid

    geom = shapely.geometry.shape(footprint) if isinstance(footprint, dict) else footprint
    lead_id, parts, _ = lead_microgrid(geom, locator.leaves)
    return lead_id or lead, tuple(parts)


def _metres(lon: float, lat: float, x: float, y: float) -> float:
    return math.hypot((lon - x) * _M_PER_DEG * math.cos(math.radians(y)), (lat - y) * _M_PER_DEG)


def _require_duplicate(row: dict, target: dict, max_distance_m: float) -> None:
    d = _metres(row["lon"], row["lat"], target["lon"], target["lat"])
    if row["category"] != target["category"] or d > max_distance_m:
        raise InputError(
            f"事件 {row['uid']} ({row['category']}) 与 {target['uid']} ({target['category']}) 相距 "
            f"{d:.0f} 米, 不像重复上报。incident {row['uid']} ({row['category']}) is {d:.0f} m from "
            f"{target['uid']} ({target['category']}): not a duplicate.", field="into",
            value=target["uid"],
            fix=f"只合并同类且相距 {max_distance_m:.0f} 米内的事件。Merge only incidents of the "
                f"same category within {max_distance_m:.0f} m.")


def _lead(row: dict) -> str | None:
    if row.get("handler_kind") == "team" and row.get("handler"):
        return row["handler"]
    return row.get("microgrid_uid")


def _chain_id(row: dict, level: str) -> str | None:
    return ((row.get("area_chain") or {}).get(level) or {}).get("id")
