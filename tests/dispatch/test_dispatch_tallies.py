"""An incident's counters are the number of times each counted action was applied, and who
leads an order is one value: the invariants behind ``TALLIED`` and ``Lead``."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from geogrid._errors import InputError, StateError
from geogrid.dispatch import (
    BEIJING,
    TALLIED,
    Action,
    Catalogue,
    IncidentState,
    Lead,
    Workflow,
    assign,
    events_frame,
    states_frame,
)

WF = Workflow.default()
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=BEIJING)
PAYLOAD = {Action.EXTEND: {"extra": "1 working_days"}, Action.RECATEGORISE: {"category": "积水"},
           Action.RELOCATE: {"microgrid": "MG-3", "location": (121.51, 31.24)},
           Action.EVALUATE: {"satisfaction": 5}}
#: a path that reaches every tallied action at least once
LOOP = ["accept", "dispatch", "raise_hand", "extend", "return", "dispatch", "start", "complete",
        "rework", "complete", "approve", "evaluate", "reopen", "dispatch", "return"]


def _run(actions):
    s, e = WF.report("INC-1", "暴露垃圾", T0, actor="u", channel="patrol", location=(121.5, 31.23),
                     microgrid="MG-1", chain=["C-1"])
    events = [e]
    for k, action in enumerate(actions):
        try:
            s, e = WF.apply(s, action, actor="u", at=T0 + timedelta(minutes=k + 1), reason="r",
                            **PAYLOAD.get(Action(action), {}))
        except (StateError, InputError):
            continue
        events.append(e)
    return s, events


def test_each_count_is_the_number_of_its_events_on_a_full_loop():
    s, events = _run(LOOP)
    done = Counter(e.action for e in events)
    assert {a: s.count(a) for a in TALLIED} == {a: done[a] for a in TALLIED}
    assert (s.extensions, s.reworks, s.returns, s.reopens, s.raised_hands) == (1, 1, 2, 1, 1)
    assert s.count("返工") == 1  # by its Chinese name too
    d = s.to_dict()
    assert [k for k in d if k in TALLIED.values()] == list(TALLIED.values())
    assert {d[name] for name in TALLIED.values()} == {1, 2}
    assert IncidentState.from_dict(json.loads(json.dumps(d))) == s


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([a.value for a in Action if a is not Action.REPORT]), max_size=30))
def test_counts_match_events_and_the_metrics_read_the_same_names(actions):
    s, events = _run(actions)
    done = Counter(e.action for e in events)
    for action, name in TALLIED.items():
        assert s.count(action) == done[action] == getattr(s, name)
    frame = states_frame([s])
    per_event = events_frame(events)["action"].value_counts()
    for action, name in TALLIED.items():
        assert frame.loc[0, name] == per_event.get(action.value, 0)
    assert WF.replay(events) == s


def test_an_empty_states_frame_keeps_the_count_columns():
    cols = list(states_frame([]).columns)
    assert all(name in cols for name in TALLIED.values()) and "tallies" not in cols
    assert set(cols) == set(states_frame([_run(LOOP)[0]]).columns)


def test_same_lead_is_same_handler():
    cat = Catalogue.default()
    a = assign("暴露垃圾", microgrid="MG-1", participants=["MG-2"], catalogue=cat)
    b = assign("暴露垃圾", microgrid="MG-1", catalogue=cat)  # other participants, same lead
    c = assign("暴露垃圾", microgrid="MG-2", catalogue=cat)
    assert a.lead == Lead("team", cat.get("暴露垃圾").handler, "MG-1") == b.lead
    assert a.same_handler(b) and not a.same_handler(c) and not a.same_handler(None)
    assert (a.handler_kind, a.handler, a.unit) == (a.lead.kind, a.lead.handler, a.lead.unit)
    assert list(a.to_dict()) == ["handler_kind", "handler", "unit", "rule", "reason",
                                 "participants", "must_attend"]
