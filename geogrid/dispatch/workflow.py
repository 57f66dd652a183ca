"""The closed loop of an incident as a pure state machine.

Six stages (发现 → 受理 → 指挥 → 处置 → 监督 → 评价) and an end:

==========  =========================================================
state       action → next state
==========  =========================================================
reported    accept → accepted, reject (不予受理) → rejected
accepted    dispatch (派遣) → dispatched
dispatched  start (签收) → handling, return (退回) → accepted,
            raise_hand (举手) → dispatched (to a department)
handling    complete (处置反馈) → verifying, return → accepted,
            raise_hand → dispatched
verifying   approve (核查通过) → evaluating, rework (返工) → handling
evaluating  evaluate (评价) → closed (结案)
closed      reopen → accepted
rejected    reopen → accepted
==========  =========================================================

``extend`` (延期) and ``escalate`` keep the state and move the deadline or the
escalation level; ``recategorise`` and ``relocate`` change the category or
place, and re-dispatch when that changes who should handle it. Every call
returns a new :class:`IncidentState` and the :class:`Event` that records the
step (who, when, why, from, to, and what changed). Nothing is mutated and
nothing is stored: a store layer persists states and events (both have
``to_dict``) and can rebuild a state from its events with
:meth:`Workflow.replay`.

An action that is not allowed in the current state raises
:class:`~geogrid.StateError` naming the state, the action and the actions
that are allowed.

The handling clock starts at dispatch (派遣) and stops at ``complete``
(处置反馈): the deadline is :meth:`WorkingCalendar.deadline` of the dispatch
time and the category's time limit. A rework keeps the deadline; a new
dispatch (after a return, raise-hand or re-categorisation to another
handler) starts a new clock.

Example
-------
>>> from datetime import datetime
>>> wf = Workflow.default()
>>> s, e = wf.report("INC-1", "暴露垃圾", datetime(2026, 3, 2, 10, 0), actor="巡查员A",
...                  channel="patrol", location=(121.5, 31.23), microgrid="MG-01")
>>> s, e = wf.apply(s, "accept", actor="受理员", at=datetime(2026, 3, 2, 10, 5))
>>> s, e = wf.apply(s, "dispatch", actor="指挥员", at=datetime(2026, 3, 2, 10, 10))
>>> s.status.value, s.assignment.unit, s.assignment.handler, s.deadline.isoformat()
('dispatched', 'MG-01', '兼职网格员', '2026-03-03T10:10:00+08:00')
>>> wf.apply(s, "evaluate", actor="x", at=datetime(2026, 3, 2, 11, 0))
Traceback (most recent call last):
...
geogrid._errors.StateError: cannot 'evaluate' incident 'INC-1': it is 'dispatched' (指挥). Allowed now: start, return, raise_hand, extend, escalate, recategorise, relocate.
"""

from __future__ import annotations

from pathlib import Path

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any, Iterable, Mapping

from .._errors import InputError, StateError
from .calendar import BEIJING, EscalationPolicy, TimeLimit, TimerStatus, WorkingCalendar, timer_status
from .catalogue import Catalogue, Category
from .rules import Assignment, assign, raise_hand

__all__ = ["Status", "Action", "TRANSITIONS", "NEEDS_REASON", "TALLIED", "IncidentState", "Event",
           "Workflow", "parse_action"]


class Status(str, Enum):
    REPORTED = "reported"      # 发现 / 上报
    ACCEPTED = "accepted"      # 受理 (立案)
    DISPATCHED = "dispatched"  # 指挥 (派遣)
    HANDLING = "handling"      # 处置
    VERIFYING = "verifying"    # 监督 (核查)
    EVALUATING = "evaluating"  # 评价
    CLOSED = "closed"          # 结案
    REJECTED = "rejected"      # 不予受理

    @property
    def zh(self) -> str:
        return _STATUS_ZH[self]


_STATUS_ZH = {
    Status.REPORTED: "发现", Status.ACCEPTED: "受理", Status.DISPATCHED: "指挥",
    Status.HANDLING: "处置", Status.VERIFYING: "监督", Status.EVALUATING: "评价",
    Status.CLOSED: "结案", Status.REJECTED: "不予受理",
}


class Action(str, Enum):
    REPORT = "report"              # 上报 (creates the incident)
    ACCEPT = "accept"              # 受理
    REJECT = "reject"              # 不予受理
    DISPATCH = "dispatch"          # 派遣
    START = "start"                # 签收, 开始处置
    RETURN = "return"              # 退回 (wrong handler; back to the command centre)
    RAISE_HAND = "raise_hand"      # 举手 (a department takes over)
    EXTEND = "extend"              # 延期
    ESCALATE = "escalate"          # 升级 (timer passed an escalation threshold)
    COMPLETE = "complete"          # 处置完成, 反馈
    APPROVE = "approve"            # 核查通过
    REWORK = "rework"              # 返工 (verification failed)
    EVALUATE = "evaluate"          # 评价, then 结案
    REOPEN = "reopen"              # 重新受理
    RECATEGORISE = "recategorise"  # 改类
    RELOCATE = "relocate"          # 更正位置
    ASSIGN = "assign"              # 指派处置人员 (the status stays)

    @property
    def zh(self) -> str:
        return _ACTION_ZH[self]


_ACTION_ZH = {
    Action.REPORT: "上报", Action.ACCEPT: "受理", Action.REJECT: "不予受理", Action.DISPATCH: "派遣",
    Action.START: "签收", Action.RETURN: "退回", Action.RAISE_HAND: "举手", Action.EXTEND: "延期",
    Action.ESCALATE: "升级", Action.COMPLETE: "处置反馈", Action.APPROVE: "核查通过",
    Action.REWORK: "返工", Action.EVALUATE: "评价", Action.REOPEN: "重新受理",
    Action.RECATEGORISE: "改类", Action.RELOCATE: "更正位置", Action.ASSIGN: "指派人员",
}
_ACTION_ALIASES = {v: k for k, v in _ACTION_ZH.items()} | {a.value: a for a in Action}

S, A = Status, Action
#: Allowed actions per state and the state they lead to (``None``: the state stays).
TRANSITIONS: dict[Status, dict[Action, Status | None]] = {
    S.REPORTED: {A.ACCEPT: S.ACCEPTED, A.REJECT: S.REJECTED, A.RECATEGORISE: None, A.RELOCATE: None},
    S.ACCEPTED: {A.DISPATCH: S.DISPATCHED, A.RECATEGORISE: None, A.RELOCATE: None,
                 A.ASSIGN: None},
    S.DISPATCHED: {A.START: S.HANDLING, A.RETURN: S.ACCEPTED, A.RAISE_HAND: S.DISPATCHED,
                   A.EXTEND: None, A.ESCALATE: None, A.RECATEGORISE: None, A.RELOCATE: None,
                   A.ASSIGN: None},
    S.HANDLING: {A.COMPLETE: S.VERIFYING, A.RETURN: S.ACCEPTED, A.RAISE_HAND: S.DISPATCHED,
                 A.EXTEND: None, A.ESCALATE: None, A.RECATEGORISE: None, A.RELOCATE: None,
                 A.ASSIGN: None},
    S.VERIFYING: {A.APPROVE: S.EVALUATING, A.REWORK: S.HANDLING},
    S.EVALUATING: {A.EVALUATE: S.CLOSED},
    S.CLOSED: {A.REOPEN: S.ACCEPTED},
    S.REJECTED: {A.REOPEN: S.ACCEPTED},
}
del S, A

#: Actions an incident counts, and the name of each count (in ``to_dict``, the store and the
#: metrics): the count is the number of times the action was applied, nothing else moves it.
TALLIED: dict[Action, str] = {
    Action.EXTEND: "extensions", Action.REWORK: "reworks", Action.RETURN: "returns",
    Action.REOPEN: "reopens", Action.RAISE_HAND: "raised_hands",
}

#: Actions that must say why.
NEEDS_REASON = frozenset({Action.REJECT, Action.RETURN, Action.RAISE_HAND, Action.EXTEND,
                          Action.REWORK, Action.REOPEN, Action.RECATEGORISE, Action.RELOCATE})


def _aware(dt: Any, name: str = "at") -> datetime:
    if not isinstance(dt, datetime):
        raise InputError(f"{name} must be a datetime, got {type(dt).__name__} {dt!r}.", field=name,
                         value=dt, fix="Pass a datetime; naive values are read as Beijing time.")
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt.replace(tzinfo=BEIJING)
    return dt.astimezone(BEIJING)


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class IncidentState:
    """Everything the loop needs to know about one incident, at one moment.

    ``version`` counts the events applied (it equals the ``seq`` of the
    last :class:`Event`), so a store can use it as an optimistic lock.
    """

    id: str
    category: str
    status: Status
    reported_at: datetime
    updated_at: datetime
    version: int = 1
    channel: str | None = None
    location: tuple[float, float] | None = None
    microgrid: str | None = None
    participants: tuple[str, ...] = ()
    chain: tuple[str, ...] = ()
    assignment: Assignment | None = None
    accepted_at: datetime | None = None
    dispatched_at: datetime | None = None
    deadline: datetime | None = None
    completed_at: datetime | None = None
    closed_at: datetime | None = None
    #: times each :data:`TALLIED` action was applied (absent: never); a new mapping per step
    tallies: Mapping[Action, int] = field(default_factory=dict, hash=False)
    escalation_level: int = 0
    satisfaction: int | None = None
    #: years the deadline's span reaches that the working calendar has no arrangement for
    calendar_gap: tuple[int, ...] = ()

    def count(self, action: Action | str) -> int:
        """How many times ``action`` was applied (counted for the :data:`TALLIED` actions)."""
        return self.tallies.get(parse_action(action), 0)

    extensions = property(lambda self: self.count(Action.EXTEND), doc="延期 extensions granted")
    reworks = property(lambda self: self.count(Action.REWORK), doc="返工 reworks ordered")
    returns = property(lambda self: self.count(Action.RETURN), doc="退回 returns to the centre")
    reopens = property(lambda self: self.count(Action.REOPEN), doc="重新受理 reopenings")
    raised_hands = property(lambda self: self.count(Action.RAISE_HAND), doc="举手 hands raised")

    @property
    def on_time(self) -> bool | None:
        """Whether handling finished by the deadline (``None`` while it has not finished)."""
        if self.completed_at is None or self.deadline is None:
            return None
        return self.completed_at <= self.deadline

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "category": self.category, "status": self.status.value,
            "reported_at": _iso(self.reported_at), "updated_at": _iso(self.updated_at),
            "version": self.version, "channel": self.channel,
            "location": list(self.location) if self.location else None,
            "microgrid": self.microgrid, "participants": list(self.participants),
            "chain": list(self.chain),
            "assignment": self.assignment.to_dict() if self.assignment else None,
            "accepted_at": _iso(self.accepted_at), "dispatched_at": _iso(self.dispatched_at),
            "deadline": _iso(self.deadline), "completed_at": _iso(self.completed_at),
            "closed_at": _iso(self.closed_at),
            **{name: self.count(action) for action, name in TALLIED.items()},
            "escalation_level": self.escalation_level, "satisfaction": self.satisfaction,
            "on_time": self.on_time, "calendar_gap": list(self.calendar_gap),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IncidentState:
        d = dict(data)
        d.pop("on_time", None)
        d["status"] = Status(d["status"])
        for k in ("reported_at", "updated_at", "accepted_at", "dispatched_at", "deadline",
                  "completed_at", "closed_at"):
            d[k] = _dt(d.get(k))
        d["location"] = tuple(d["location"]) if d.get("location") else None
        d["participants"] = tuple(d.get("participants") or ())
        d["chain"] = tuple(d.get("chain") or ())
        d["calendar_gap"] = tuple(d.get("calendar_gap") or ())
        counts = {action: int(d.pop(name, 0) or 0) for action, name in TALLIED.items()}
        d["tallies"] = {action: n for action, n in counts.items() if n}
        d["assignment"] = Assignment.from_dict(d["assignment"]) if d.get("assignment") else None
        return cls(**d)


@dataclass(frozen=True)
class Event:
    """One recorded step of an incident's loop."""

    incident_id: str
    seq: int
    action: Action
    actor: str
    at: datetime
    from_status: Status | None
    to_status: Status
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"incident_id": self.incident_id, "seq": self.seq, "action": self.action.value,
                "actor": self.actor, "at": _iso(self.at),
                "from_status": self.from_status.value if self.from_status else None,
                "to_status": self.to_status.value, "reason": self.reason, "data": self.data}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        return cls(incident_id=str(data["incident_id"]), seq=int(data["seq"]),
                   action=Action(data["action"]), actor=data["actor"], at=_dt(data["at"]),
                   from_status=Status(data["from_status"]) if data.get("from_status") else None,
                   to_status=Status(data["to_status"]), reason=data.get("reason"),
                   data=dict(data.get("data") or {}))


def parse_action(value: Action | str) -> Action:
    if isinstance(value, Action):
        return value
    a = _ACTION_ALIASES.get(str(value).strip().lower()) or _ACTION_ALIASES.get(str(value).strip())
    if a is None:
        names = ", ".join(a.value for a in Action)
        raise InputError(f"未知的操作 {value!r}。action {value!r} is not known.", field="action",
                         value=value, fix=f"操作取以下之一: {names}。Use one of: {names}.")
    return a


@dataclass(frozen=True)
class Workflow:
    """The loop's rules: the catalogue (time limits, handlers), the calendar and the timers.

    ``default_limit`` applies to categories missing from the catalogue
    (they are still handled, by 属地兜底).
    """

    catalogue: Catalogue
    calendar: WorkingCalendar
    policy: EscalationPolicy = EscalationPolicy()
    default_limit: TimeLimit = TimeLimit(3, "working_days")

    @classmethod
    def default(cls, calendar_dir: str | Path | None = None) -> Workflow:
        """The bundled catalogue and the default calendar, with the arrangements imported
        into ``calendar_dir`` (see :meth:`WorkingCalendar.default`)."""
        return cls(Catalogue.default(), WorkingCalendar.default(calendar_dir))

    # ---- queries
    def allowed(self, state: IncidentState) -> tuple[Action, ...]:
        """The actions allowed in ``state``."""
        return tuple(TRANSITIONS[state.status])

    def category_of(self, state: IncidentState) -> Category | None:
        return self.catalogue.find(state.category)

    def limit_of(self, category: str) -> TimeLimit:
        c = self.catalogue.find(category)
        return c.time_limit if c is not None else self.default_limit

    def timer(self, state: IncidentState, now: datetime) -> TimerStatus | None:
        """Where the handling clock stands at ``now`` (``None`` unless dispatched or handling)."""
        if state.status not in (Status.DISPATCHED, Status.HANDLING) or state.deadline is None:
            return None
        return timer_status(self.calendar, state.dispatched_at, state.deadline, _aware(now, "now"),
                            self.limit_of(state.category).unit, self.policy)

    # ---- transitions
    def report(self, incident_id: str, category: str, at: datetime, *, actor: str,
               channel: str | None = None, location: tuple[float, float] | None = None,
               microgrid: str | None = None, participants: Iterable[str] = (),
               chain: Iterable[str] = (), reason: str | None = None) -> tuple[IncidentState, Event]:
        """Create an incident (发现 / 上报). Unknown categories are kept as given."""
        at = _aware(at)
        _require_actor(actor)
        if not str(incident_id).strip():
            raise InputError("incident_id is empty.", field="incident_id", fix="Give every incident an id.")
        cat = self.catalogue.find(str(category))
        code = cat.code if cat is not None else str(category)
        loc = _location(location)
        state = IncidentState(id=str(incident_id), category=code, status=Status.REPORTED,
                              reported_at=at, updated_at=at, version=1, channel=channel, location=loc,
                              microgrid=microgrid, participants=tuple(participants), chain=tuple(chain))
        data = {"category": code, "known_category": cat is not None, "channel": channel,
                "location": list(loc) if loc else None, "microgrid": microgrid,
                "participants": list(state.participants), "chain": list(state.chain)}
        return state, Event(state.id, 1, Action.REPORT, actor, at, None, Status.REPORTED, reason, data)

    def apply(self, state: IncidentState, action: Action | str, *, actor: str, at: datetime,
              reason: str | None = None, **payload: Any) -> tuple[IncidentState, Event]:
        """Apply ``action`` to ``state`` at ``at`` by ``actor``; return the new state and its event.

        Payload by action: ``dispatch`` — optional ``assignment`` (else the
        dispatch rules decide); ``raise_hand`` — optional ``department`` (else
        the category's ``escalate_to``); ``extend`` — ``extra`` (a time limit)
        or ``new_deadline``; ``escalate`` — optional ``level``; ``evaluate``
        — optional ``satisfaction`` (1-5); ``recategorise`` — ``category``
        and optional ``assignment``; ``relocate`` — ``location``,
        ``microgrid``, ``participants``, ``chain`` and optional ``assignment``.
        """
        act = parse_action(action)
        if act is Action.REPORT:
            raise StateError(f"incident {state.id!r} already exists; 'report' only creates incidents.",
                             field="action", value=act.value, fix="Use Workflow.report for new incidents.")
        allowed = TRANSITIONS[state.status]
        if act not in allowed:
            names = ", ".join(a.value for a in allowed) or "none (final state)"
            raise StateError(
                f"事件 {state.id!r} 当前为{state.status.zh}, 不能执行 {act.value!r} ({act.zh})。"
                f"cannot {act.value!r} incident {state.id!r}: it is {state.status.value!r} "
                f"({state.status.zh}).", field="action", value=act.value,
                fix=f"现在可执行: {names}。Allowed now: {names}.")
        at = _aware(at)
        if at < state.updated_at:
            raise InputError(f"at {at.isoformat()} is before the last event of incident {state.id!r} "
                             f"({state.updated_at.isoformat()}).", field="at", value=at.isoformat(),
                             fix="Apply events in time order.")
        _require_actor(actor)
        if act in NEEDS_REASON and not (reason and str(reason).strip()):
            raise InputError(f"{act.zh} ({act.value!r}) 须填写原因。{act.value!r} ({act.zh}) needs a "
                             "reason.", field="reason",
                             fix="写明原因, 如 reason='非本网格事项'。Say why, e.g. reason='非本网格事项'.")
        unknown = set(payload) - _PAYLOAD[act]
        if unknown:
            raise InputError(f"{act.zh} ({act.value!r}) 不接受 {sorted(unknown)}。{act.value!r} does "
                             f"not take {sorted(unknown)}.", field="payload", value=sorted(unknown),
                             fix=f"可用字段 / allowed: {sorted(_PAYLOAD[act]) or '无 / nothing'}.")
        to = allowed[act] or state.status
        changes, data = getattr(self, f"_do_{act.value}")(state, at, payload)
        to = changes.pop("_status", to)
        if act in TALLIED:
            changes["tallies"] = {**state.tallies, act: state.count(act) + 1}
        new = replace(state, status=to, updated_at=at, version=state.version + 1, **changes)
        event = Event(state.id, new.version, act, actor, at, state.status, to,
                      str(reason).strip() if reason else None, data)
        return new, event

    def replay(self, events: Iterable[Event | Mapping[str, Any]]) -> IncidentState:
        """Rebuild a state from its recorded events (the first must be ``report``)."""
        evs = [e if isinstance(e, Event) else Event.from_dict(e) for e in events]
        if not evs or evs[0].action is not Action.REPORT:
            raise InputError("events must start with the 'report' event.", field="events",
                             fix="Pass every event of one incident, in seq order.")
        first = evs[0]
        d = first.data
        state, _ = self.report(first.incident_id, d["category"], first.at, actor=first.actor,
                               channel=d.get("channel"), location=d.get("location"),
                               microgrid=d.get("microgrid"), participants=d.get("participants") or (),
                               chain=d.get("chain") or (), reason=first.reason)
        for e in evs[1:]:
            if e.seq != state.version + 1:
                raise InputError(f"event seq {e.seq} does not follow {state.version}.", field="seq",
                                 value=e.seq, fix="Pass every event of one incident, in seq order.")
            state, _ = self.apply(state, e.action, actor=e.actor, at=e.at, reason=e.reason,
                                  **_replay_payload(e))
        return state

    # ---- one method per action: return (changed fields, event data)
    def _dispatch_to(self, state: IncidentState, at: datetime, assignment: Assignment,
                     category: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        limit = self.limit_of(category or state.category)
        deadline = _aware(self.calendar.deadline(at, limit))
        gap = tuple(self.calendar.uncovered(at, deadline)) if limit.unit.working else ()
        changes = {"assignment": assignment, "dispatched_at": at, "deadline": deadline,
                   "completed_at": None, "escalation_level": 0, "calendar_gap": gap}
        data = {"assignment": assignment.to_dict(), "deadline": deadline.isoformat(),
                "limit": limit.to_dict()} | ({"calendar_gap": list(gap)} if gap else {})
        return changes, data

    def _auto_assign(self, state: IncidentState, category: str | None = None, **where) -> Assignment:
        return assign(category or state.category, microgrid=where.get("microgrid", state.microgrid),
                      participants=where.get("participants", state.participants),
                      chain=where.get("chain", state.chain), catalogue=self.catalogue)

    def _do_accept(self, state, at, p):
        return {"accepted_at": at}, {}

    def _do_reject(self, state, at, p):
        return {}, {}

    def _do_dispatch(self, state, at, p):
        a = _assignment(p.get("assignment")) or self._auto_assign(state)
        return self._dispatch_to(state, at, a)

    def _do_assign(self, state, at, p):
        return {}, {"responder_id": p.get("responder_id"), "responder": p.get("responder")}

    def _do_start(self, state, at, p):
        return {}, {}

    def _do_return(self, state, at, p):
        data = {"assignment": state.assignment.to_dict() if state.assignment else None}
        return {"assignment": None, "dispatched_at": None, "deadline": None}, data

    def _do_raise_hand(self, state, at, p):
        cat = self.category_of(state)
        dept = p.get("department") or (cat.escalate_to if cat else None)
        if not dept:
            raise InputError(f"类别 {state.category!r} 没有可举手的部门。category {state.category!r} "
                             "has no department to raise a hand to.", field="department",
                             fix="指定部门, 如 department='城管执法'。Pass department='城管执法' "
                                 "(or another department).")
        a = raise_hand(state.assignment, dept, catalogue=self.catalogue)
        changes, data = self._dispatch_to(state, at, a)
        data = {"department": dept, "from_assignment": state.assignment.to_dict()} | data
        return changes, data

    def _do_extend(self, state, at, p):
        extra, new = p.get("extra"), p.get("new_deadline")
        if (extra is None) == (new is None):
            raise InputError("延期须且只须给出 extra (时限) 或 new_deadline 之一。extend needs exactly "
                             "one of extra (a time limit) or new_deadline.", field="extra",
                             fix="如 extra='2 working_days' 或 new_deadline=日期时间。Pass "
                                 "extra='2 working_days' or new_deadline=datetime(...).")
        if extra is not None:
            lim = TimeLimit.parse(extra)
            new = _aware(self.calendar.deadline(state.deadline, lim))
        else:
            new = _aware(new, "new_deadline")
        if new <= state.deadline:
            raise InputError(f"新期限 {new.isoformat()} 不晚于现有期限 ({state.deadline.isoformat()})。"
                             f"new deadline {new.isoformat()} is not after the current one "
                             f"({state.deadline.isoformat()}).", field="new_deadline",
                             value=new.isoformat(),
                             fix="延期须把期限往后推。An extension must move the deadline later.")
        data = {"old_deadline": state.deadline.isoformat(), "new_deadline": new.isoformat()}
        gap = tuple(self.calendar.uncovered(state.dispatched_at or at, new)) if extra is not None \
            and TimeLimit.parse(extra).unit.working else state.calendar_gap
        if extra is not None:
            data["extra"] = TimeLimit.parse(extra).to_dict()
        return {"deadline": new, "calendar_gap": gap}, data

    def _do_escalate(self, state, at, p):
        level = int(p.get("level", state.escalation_level + 1))
        if level <= state.escalation_level:
            raise InputError(f"升级层级 {level} 不高于当前的 {state.escalation_level}。escalation level "
                             f"{level} is not above the current {state.escalation_level}.",
                             field="level", value=level,
                             fix="逐级向上升级。Escalate one level at a time, upwards.")
        levels = self.policy.levels
        to = levels[min(level, len(levels) - 1)]
        return {"escalation_level": level}, {"level": level, "to": to}

    def _do_complete(self, state, at, p):
        return {"completed_at": at}, {"on_time": at <= state.deadline if state.deadline else None}

    def _do_approve(self, state, at, p):
        return {}, {}

    def _do_rework(self, state, at, p):
        return {"completed_at": None}, {}

    def _do_evaluate(self, state, at, p):
        sat = p.get("satisfaction")
        if sat is not None and (not isinstance(sat, int) or isinstance(sat, bool) or not 1 <= sat <= 5):
            raise InputError(f"满意度须为 1 到 5 的整数, 收到 {sat!r}。satisfaction must be an integer "
                             f"1..5, got {sat!r}.", field="satisfaction", value=sat,
                             fix="用 1 (很不满意) 到 5 (很满意), 或不填。Use 1 (very dissatisfied) .. "
                                 "5 (very satisfied), or omit it.")
        return {"satisfaction": sat, "closed_at": at}, {"satisfaction": sat, "on_time": state.on_time}

    def _do_reopen(self, state, at, p):
        return {"closed_at": None, "completed_at": None,
                "assignment": None, "dispatched_at": None, "deadline": None, "satisfaction": None,
                "escalation_level": 0}, {}

    def _redispatch(self, state, at, p, category: str, where: dict[str, Any]):
        """Shared by recategorise and relocate: re-dispatch when the handler changes."""
        changes: dict[str, Any] = {}
        data: dict[str, Any] = {}
        if state.status in (Status.DISPATCHED, Status.HANDLING):
            new = _assignment(p.get("assignment")) or self._auto_assign(state, category, **where)
            if not new.same_handler(state.assignment):
                changes, data = self._dispatch_to(state, at, new, category)
                changes["_status"] = Status.DISPATCHED
                data = {"redispatched": True, "from_assignment": state.assignment.to_dict()} | data
            else:
                deadline = _aware(self.calendar.deadline(state.dispatched_at, self.limit_of(category)))
                changes = {"assignment": new, "deadline": deadline}
                data = {"redispatched": False, "deadline": deadline.isoformat(),
                        "assignment": new.to_dict()}
        return changes, data

    def _do_recategorise(self, state, at, p):
        if not p.get("category"):
            raise InputError("改类须给出 category。recategorise needs category.", field="category",
                             fix="如 category='积水' (代码、名称或别名)。Pass category='积水' (a code, "
                                 "name or alias).")
        cat = self.catalogue.get(p["category"])
        changes, data = self._redispatch(state, at, p, cat.code, {})
        changes["category"] = cat.code
        return changes, {"from": state.category, "to": cat.code} | data

    def _do_relocate(self, state, at, p):
        where: dict[str, Any] = {}
        if "location" in p:
            where["location"] = _location(p["location"])
        if "microgrid" in p:
            where["microgrid"] = p["microgrid"]
        if "participants" in p:
            where["participants"] = tuple(p["participants"] or ())
        if "chain" in p:
            where["chain"] = tuple(p["chain"] or ())
        if not where:
            raise InputError("改址须给出 location、microgrid、participants 或 chain。relocate needs "
                             "location, microgrid, participants or chain.", field="location",
                             fix="给出更正后的 location=(经度, 纬度) 及其所在微网格。Pass the "
                                 "corrected location=(lon, lat) and the microgrid it is in.")
        changes, data = self._redispatch(state, at, p, state.category, where)
        changes.update(where)
        old = {"location": list(state.location) if state.location else None,
               "microgrid": state.microgrid, "participants": list(state.participants),
               "chain": list(state.chain)}
        new = {k: (list(v) if isinstance(v, tuple) else v) for k, v in where.items()}
        return changes, {"from": {k: old[k] for k in where}, "to": new} | data


_PAYLOAD: dict[Action, frozenset[str]] = {a: frozenset() for a in Action}
_PAYLOAD.update({
    Action.DISPATCH: frozenset({"assignment"}),
    Action.RAISE_HAND: frozenset({"department"}),
    Action.EXTEND: frozenset({"extra", "new_deadline"}),
    Action.ESCALATE: frozenset({"level"}),
    Action.ASSIGN: frozenset({"responder_id", "responder"}),
    Action.EVALUATE: frozenset({"satisfaction"}),
    Action.RECATEGORISE: frozenset({"category", "assignment"}),
    Action.RELOCATE: frozenset({"location", "microgrid", "participants", "chain", "assignment"}),
})


def _replay_payload(e: Event) -> dict[str, Any]:
    d = e.data
    a = e.action
    if a is Action.DISPATCH:
        return {"assignment": d["assignment"]}
    if a is Action.RAISE_HAND:
        return {"department": d["department"]}
    if a is Action.EXTEND:
        return {"new_deadline": _dt(d["new_deadline"])}
    if a is Action.ESCALATE:
        return {"level": d["level"]}
    if a is Action.EVALUATE:
        return {"satisfaction": d.get("satisfaction")}
    if a is Action.ASSIGN:
        return {"responder_id": d.get("responder_id"), "responder": d.get("responder")}
    if a is Action.RECATEGORISE:
        out = {"category": d["to"]}
        if d.get("assignment"):
            out["assignment"] = d["assignment"]
        return out
    if a is Action.RELOCATE:
        out = dict(d["to"])
        if d.get("assignment"):
            out["assignment"] = d["assignment"]
        return out
    return {}


def _assignment(value: Any) -> Assignment | None:
    if value is None or isinstance(value, Assignment):
        return value
    if isinstance(value, Mapping):
        return Assignment.from_dict(value)
    raise InputError(f"assignment must be an Assignment or a dict, got {type(value).__name__}.",
                     field="assignment", fix="Build one with geogrid.dispatch.assign(...).")


def _location(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lon, lat = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(f"location must be (lon, lat), got {value!r}.", field="location", value=value,
                         fix="Pass a (lon, lat) pair in EPSG:4490.") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"location {value!r} is not a lon/lat pair.", field="location", value=value,
                         fix="Pass (lon, lat) in degrees, lon first.")
    return lon, lat


def _require_actor(actor: Any) -> None:
    if not isinstance(actor, str) or not actor.strip():
        raise InputError("actor is empty: every step must say who took it.", field="actor", value=actor,
                         fix="Pass actor='<user id or name>'.")
