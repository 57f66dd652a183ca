"""The incident state machine: every transition, legal and illegal, and the trail it leaves."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geogrid._errors import InputError, NotFoundError, StateError
from geogrid.dispatch import (
    BEIJING,
    NEEDS_REASON,
    TRANSITIONS,
    Action,
    Event,
    IncidentState,
    Status,
    Workflow,
    assign,
)

WF = Workflow.default()
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=BEIJING)  # a Monday


def t(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def new(category="暴露垃圾", microgrid="MG-1"):
    return WF.report("INC-1", category, T0, actor="巡查员", channel="patrol", location=(121.5, 31.23),
                     microgrid=microgrid, participants=["MG-2"], chain=["C-1", "G-1", "S-1"])


PATH = {  # legal path from reported to each state
    Status.REPORTED: [],
    Status.ACCEPTED: [("accept", {})],
    Status.DISPATCHED: [("accept", {}), ("dispatch", {})],
    Status.HANDLING: [("accept", {}), ("dispatch", {}), ("start", {})],
    Status.VERIFYING: [("accept", {}), ("dispatch", {}), ("start", {}), ("complete", {})],
    Status.EVALUATING: [("accept", {}), ("dispatch", {}), ("start", {}), ("complete", {}), ("approve", {})],
    Status.CLOSED: [("accept", {}), ("dispatch", {}), ("start", {}), ("complete", {}), ("approve", {}),
                    ("evaluate", {"satisfaction": 4})],
    Status.REJECTED: [("reject", {})],
}
PAYLOAD = {
    Action.EXTEND: {"extra": "1 working_days"},
    Action.RECATEGORISE: {"category": "积水"},
    Action.RELOCATE: {"microgrid": "MG-3", "location": (121.51, 31.24)},
    Action.EVALUATE: {"satisfaction": 5},
}


def walk(status: Status, category="暴露垃圾"):
    state, event = new(category)
    events = [event]
    for k, (action, payload) in enumerate(PATH[status]):
        state, event = WF.apply(state, action, actor="u", at=t(10 * (k + 1)), reason="r", **payload)
        events.append(event)
    return state, events


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", [a for a in Action if a is not Action.REPORT])
def test_every_transition(status, action):
    state, _ = walk(status)
    at = t(200)
    kwargs = dict(actor="u", at=at, reason="because", **PAYLOAD.get(action, {}))
    if action in TRANSITIONS[status]:
        after, event = WF.apply(state, action, **kwargs)
        target = TRANSITIONS[status][action]
        if action in (Action.RECATEGORISE, Action.RELOCATE) and status in (Status.DISPATCHED, Status.HANDLING):
            target = Status.DISPATCHED  # the handler changed: re-dispatched
        assert after.status == (target or status)
        assert (event.from_status, event.to_status, event.action) == (status, after.status, action)
        assert (event.actor, event.at, event.reason, event.seq) == ("u", at, "because", after.version)
        assert after.version == state.version + 1 and after.updated_at == at
    else:
        with pytest.raises(StateError) as err:
            WF.apply(state, action, **kwargs)
        msg = str(err.value)
        assert repr(action.value) in msg and repr(status.value) in msg
        for allowed in TRANSITIONS[status]:
            assert allowed.value in msg
        assert err.value.to_dict()["code"] == "illegal_state"


def test_happy_path_and_trail():
    s, e0 = new()
    assert s.status is Status.REPORTED and e0.action is Action.REPORT and e0.from_status is None
    s, e1 = WF.apply(s, "受理", actor="受理员", at=t(5))  # Chinese action names work too
    s, e2 = WF.apply(s, "dispatch", actor="指挥员", at=t(10))
    assert s.assignment == assign("暴露垃圾", microgrid="MG-1", participants=["MG-2"], catalogue=WF.catalogue)
    assert s.dispatched_at == t(10)
    assert s.deadline == datetime(2026, 3, 3, 9, 40, tzinfo=BEIJING)  # 1 working day after 9:40
    assert e2.data["deadline"] == s.deadline.isoformat()
    s, _ = WF.apply(s, "start", actor="网格员", at=t(30))
    s, e = WF.apply(s, "complete", actor="网格员", at=t(90))
    assert s.status is Status.VERIFYING and s.completed_at == t(90) and e.data["on_time"] is True
    s, _ = WF.apply(s, "approve", actor="监督员", at=t(120))
    s, e = WF.apply(s, "evaluate", actor="居民", at=t(180), satisfaction=5)
    assert s.status is Status.CLOSED and s.closed_at == t(180) and s.satisfaction == 5 and s.on_time
    assert WF.allowed(s) == (Action.REOPEN,)


def test_reasons_times_actors_and_payload_are_checked():
    s, _ = walk(Status.DISPATCHED)
    for action in NEEDS_REASON & set(TRANSITIONS[Status.DISPATCHED]):
        with pytest.raises(InputError, match="needs a reason"):
            WF.apply(s, action, actor="u", at=t(100), **PAYLOAD.get(action, {}))
    with pytest.raises(InputError, match="before the last event"):
        WF.apply(s, "start", actor="u", at=t(-1))
    with pytest.raises(InputError, match="actor"):
        WF.apply(s, "start", actor=" ", at=t(100))
    with pytest.raises(InputError, match="does not take"):
        WF.apply(s, "start", actor="u", at=t(100), satisfaction=3)
    with pytest.raises(InputError, match="not known"):
        WF.apply(s, "teleport", actor="u", at=t(100))
    with pytest.raises(StateError):
        WF.apply(s, "report", actor="u", at=t(100))
    with pytest.raises(InputError):
        WF.apply(s, "start", actor="u", at="2026-03-02")


def test_return_and_redispatch():
    s, _ = walk(Status.HANDLING)
    s, e = WF.apply(s, "return", actor="网格员", at=t(100), reason="非本网格事项")
    assert s.status is Status.ACCEPTED and s.assignment is None and s.deadline is None and s.returns == 1
    assert e.data["assignment"]["unit"] == "MG-1"
    other = assign("暴露垃圾", microgrid="MG-2", catalogue=WF.catalogue)
    s, _ = WF.apply(s, "dispatch", actor="指挥员", at=t(120), assignment=other)
    assert s.assignment.unit == "MG-2" and s.dispatched_at == t(120)


def test_raise_hand_hands_over_to_the_department():
    s, _ = walk(Status.HANDLING, category="群租")
    s, e = WF.apply(s, "raise_hand", actor="网格长", at=t(100), reason="需要房管执法")
    a = s.assignment
    assert (s.status, a.handler_kind, a.handler, a.rule) == (Status.DISPATCHED, "department", "房管", "raise_hand")
    assert a.participants == ("MG-1", "MG-2")
    assert s.raised_hands == 1 and s.dispatched_at == t(100)
    assert s.deadline == WF.calendar.deadline(t(100), "5 working_days")  # the department's own clock
    assert e.data["department"] == "房管" and e.data["from_assignment"]["unit"] == "MG-1"
    s, _ = WF.apply(s, "raise_hand", actor="网格长", at=t(110), reason="公安配合", department="公安")
    assert s.assignment.handler == "公安" and s.raised_hands == 2


def test_extend_moves_the_deadline_and_leaves_a_record():
    s, _ = walk(Status.HANDLING)
    old = s.deadline
    s, e = WF.apply(s, "extend", actor="网格员", at=t(100), reason="等待物业配合", extra="2 working_days")
    assert s.deadline == WF.calendar.deadline(old, "2 working_days") and s.extensions == 1
    assert e.data == {"old_deadline": old.isoformat(), "new_deadline": s.deadline.isoformat(),
                      "extra": {"value": 2, "unit": "working_days"}}
    later = s.deadline + timedelta(days=1)
    s, _ = WF.apply(s, "extend", actor="u", at=t(110), reason="again", new_deadline=later)
    assert s.deadline == later and s.extensions == 2
    for bad in ({}, {"extra": "1 hours", "new_deadline": later}, {"new_deadline": later - timedelta(days=9)}):
        with pytest.raises(InputError):
            WF.apply(s, "extend", actor="u", at=t(120), reason="x", **bad)


def test_rework_returns_to_handling_and_keeps_the_deadline():
    s, _ = walk(Status.VERIFYING)
    deadline = s.deadline
    s, _ = WF.apply(s, "rework", actor="监督员", at=t(100), reason="垃圾未清运干净")
    assert s.status is Status.HANDLING and s.reworks == 1 and s.completed_at is None
    assert s.deadline == deadline
    late = deadline + timedelta(hours=1)
    s, e = WF.apply(s, "complete", actor="网格员", at=late)
    assert e.data["on_time"] is False and s.on_time is False


def test_reopen_after_close_and_after_reject():
    s, _ = walk(Status.CLOSED)
    s, _ = WF.apply(s, "reopen", actor="居民", at=t(300), reason="又出现了")
    assert s.status is Status.ACCEPTED and s.reopens == 1 and s.closed_at is None and s.satisfaction is None
    r, _ = walk(Status.REJECTED)
    r, _ = WF.apply(r, "reopen", actor="受理员", at=t(300), reason="核实属实")
    assert r.status is Status.ACCEPTED


def test_recategorise_redispatches_when_the_handler_changes():
    s, _ = walk(Status.HANDLING)
    s, e = WF.apply(s, "recategorise", actor="指挥员", at=t(100), reason="实为违法搭建", category="违建")
    assert s.category == "illegal_construction" and s.status is Status.DISPATCHED
    assert (s.assignment.handler, s.assignment.rule) == ("城管执法", "department")
    assert s.deadline == WF.calendar.deadline(t(100), "15 working_days")
    assert e.data["from"] == "exposed_garbage" and e.data["to"] == "illegal_construction"
    assert e.data["redispatched"] is True and e.data["from_assignment"]["unit"] == "MG-1"


def test_recategorise_same_handler_keeps_the_dispatch():
    s, _ = walk(Status.HANDLING)  # 暴露垃圾 -> 兼职网格员 of MG-1
    s, e = WF.apply(s, "recategorise", actor="指挥员", at=t(100), reason="实为道路不洁", category="道路不洁")
    assert s.status is Status.HANDLING and e.data["redispatched"] is False
    assert s.dispatched_at == t(20)
    assert s.deadline == WF.calendar.deadline(t(20), "5 working_hours")
    with pytest.raises(NotFoundError):
        WF.apply(s, "recategorise", actor="u", at=t(110), reason="x", category="外星人")


def test_relocate_redispatches_to_the_new_microgrid():
    s, _ = walk(Status.DISPATCHED)
    s, e = WF.apply(s, "relocate", actor="指挥员", at=t(100), reason="坐标纠偏", location=(121.52, 31.24),
                    microgrid="MG-7", participants=[])
    assert s.location == (121.52, 31.24) and s.microgrid == "MG-7"
    assert s.assignment.unit == "MG-7" and s.status is Status.DISPATCHED
    assert e.data["from"]["microgrid"] == "MG-1" and e.data["to"]["microgrid"] == "MG-7"
    with pytest.raises(InputError):
        WF.apply(s, "relocate", actor="u", at=t(110), reason="x")
    r, _ = new()
    r, _ = WF.apply(r, "relocate", actor="u", at=t(1), reason="x", location=(121.53, 31.25))
    assert r.status is Status.REPORTED and r.location == (121.53, 31.25)


def test_unknown_category_falls_back_to_the_territory():
    s, _ = walk(Status.DISPATCHED, category="无人认领的事")
    assert s.category == "无人认领的事"
    assert (s.assignment.rule, s.assignment.handler, s.assignment.unit) == ("territorial", "网格长", "MG-1")
    assert s.deadline == WF.calendar.deadline(t(20), WF.default_limit)


def test_timer_and_escalate():
    s, _ = walk(Status.DISPATCHED, category="道路不洁")  # 5 working hours from 09:50
    assert WF.timer(s, t(20)).stage == "ok"
    assert WF.timer(s, s.deadline).stage == "overdue"
    st_ = WF.timer(s, datetime(2026, 3, 3, 12, 0, tzinfo=BEIJING))
    assert st_.stage == "escalated" and st_.escalate_to == "community"
    s, e = WF.apply(s, "escalate", actor="system", at=t(600))
    assert s.escalation_level == 1 and e.data == {"level": 1, "to": "community"}
    with pytest.raises(InputError):
        WF.apply(s, "escalate", actor="system", at=t(601), level=1)
    done, _ = walk(Status.VERIFYING)
    assert WF.timer(done, t(300)) is None


def test_serialisation_and_replay():
    s, events = walk(Status.HANDLING, category="群租")
    s, e = WF.apply(s, "extend", actor="u", at=t(100), reason="r", extra="1 working_days")
    events.append(e)
    s, e = WF.apply(s, "raise_hand", actor="u", at=t(110), reason="r")
    events.append(e)
    s, e = WF.apply(s, "recategorise", actor="u", at=t(120), reason="r", category="噪声")
    events.append(e)
    s, e = WF.apply(s, "start", actor="u", at=t(130))
    events.append(e)
    s, e = WF.apply(s, "complete", actor="u", at=t(140))
    events.append(e)
    dumped = json.loads(json.dumps([ev.to_dict() for ev in events], ensure_ascii=False))
    assert WF.replay(dumped) == s
    assert WF.replay(events) == s
    assert IncidentState.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    assert [Event.from_dict(d) for d in dumped] == events
    with pytest.raises(InputError):
        WF.replay(events[1:])
    with pytest.raises(InputError):
        WF.replay([events[0], events[2]])


ACTIONS = [a for a in Action if a is not Action.REPORT]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=25))
def test_random_sequences_follow_the_table(actions):
    s, e = new()
    events = [e]
    for k, action in enumerate(actions):
        before = s.status
        try:
            s2, e = WF.apply(s, action, actor="u", at=t(k + 1), reason="r", **PAYLOAD.get(action, {}))
        except StateError:
            assert action not in TRANSITIONS[before]
            continue
        except InputError:
            # only data-dependent refusals, e.g. escalating beyond the top of a fresh clock
            assert action in TRANSITIONS[before]
            continue
        assert action in TRANSITIONS[before]
        assert s2.version == s.version + 1 == e.seq
        s = s2
        events.append(e)
    assert WF.replay(events) == s
