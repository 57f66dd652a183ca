"""Indicators and the yearly report, against hand-computed values."""

from __future__ import annotations

import json
import math
from datetime import datetime

import pandas as pd
import pytest

from geogrid._errors import InputError
from geogrid.dispatch import (
    BEIJING,
    METRIC_COLUMNS,
    Catalogue,
    Workflow,
    events_frame,
    incident_metrics,
    microgrid_report,
    report_html,
    states_frame,
)


def ts(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=BEIJING).isoformat()


ROWS = [
    # id, microgrid, category, channel, status, reported, deadline, completed, satisfaction, reworks, extensions
    ("1", "MG-1", "exposed_garbage", "12345", "closed", ts(3, 2), ts(3, 3), ts(3, 2, 12), 5, 0, 0),
    ("2", "MG-1", "exposed_garbage", "patrol", "closed", ts(3, 3), ts(3, 4), ts(3, 5), 3, 1, 0),
    ("3", "MG-1", "group_rental", "12345", "handling", ts(3, 3), ts(3, 10), None, None, 0, 1),
    ("4", "MG-1", "noise", "resident", "dispatched", ts(3, 30), ts(4, 10), None, None, 0, 0),
    ("5", "MG-1", "noise", "12345", "rejected", ts(3, 4), None, None, None, 0, 0),
    ("6", "MG-1", "noise", "12345", "reported", ts(3, 31, 9), None, None, None, 0, 0),
    ("7", "MG-2", "waterlogging", "sensor", "closed", ts(3, 9), ts(3, 9, 15), ts(3, 9, 14), 4, 1, 1),
    ("8", "MG-2", "dirty_road", "12345", "closed", ts(3, 10), ts(3, 10, 16), ts(3, 10, 11), None, 0, 0),
    ("9", "MG-2", "dirty_road", "12345", "closed", ts(2, 10), ts(2, 10, 16), ts(2, 10, 11), 2, 0, 0),
]
COLS = ["id", "microgrid", "category", "channel", "status", "reported_at", "deadline", "completed_at",
        "satisfaction", "reworks", "extensions"]


@pytest.fixture
def incidents():
    df = pd.DataFrame(ROWS, columns=COLS)
    df["closed_at"] = df["completed_at"]
    df["street"] = "S-1"
    return df


@pytest.fixture
def events():
    return pd.DataFrame([
        {"incident_id": "2", "action": "rework", "at": ts(3, 4), "data": {}},
        {"incident_id": "7", "action": "rework", "at": ts(3, 9, 13), "data": {}},
        {"incident_id": "3", "action": "extend", "at": ts(3, 5), "data": {}},
        {"incident_id": "7", "action": "extend", "at": ts(3, 9, 12), "data": {}},
        {"incident_id": "3", "action": "raise_hand", "at": ts(3, 6), "data": {"department": "房管"}},
    ])


MARCH = dict(start="2026-03-01", end="2026-04-01", as_of="2026-03-31 23:59")
POP = {"MG-1": 2000, "MG-2": 500}


def test_metrics_hand_computed(incidents):
    m = incident_metrics(incidents, population=POP, **MARCH)
    assert list(m.columns) == list(METRIC_COLUMNS)
    a = m.loc["MG-1"]
    assert (a.reported, a.accepted, a.rejected, a.closed, a.due, a.closed_on_time) == (6, 4, 1, 2, 3, 1)
    assert a.closure_rate == 0.5                   # 2 closed of 4 accepted
    assert a.on_time_rate == pytest.approx(1 / 3)  # 1 on time of 3 due (2 closed + 1 past deadline)
    assert a.rework_rate == 0.5                    # 1 of 2 closed was reworked
    assert a.extension_rate == pytest.approx(1 / 3)  # 1 of the 3 due was extended
    assert a.complaints_12345 == 4 and a.complaints_per_1000 == 2.0
    assert (a.satisfaction_mean, a.satisfaction_n) == (4.0, 2)
    assert a.open_overdue == 1
    b = m.loc["MG-2"]                              # February's incident 9 is outside the period
    assert (b.reported, b.accepted, b.closed, b.due, b.closed_on_time) == (2, 2, 2, 2, 2)
    assert (b.closure_rate, b.on_time_rate, b.rework_rate, b.extension_rate) == (1.0, 1.0, 0.5, 0.5)
    assert b.complaints_per_1000 == 2.0 and b.satisfaction_mean == 4.0 and b.satisfaction_n == 1


def test_events_give_the_same_counts(incidents, events):
    bare = incidents.drop(columns=["reworks", "extensions"])
    m = incident_metrics(bare, events, population=POP, **MARCH)
    assert m.loc["MG-1", "rework_rate"] == 0.5
    assert m.loc["MG-1", "extension_rate"] == pytest.approx(1 / 3)
    assert m.loc["MG-1", "raised_hands"] == 1
    assert m.loc["MG-2", "rework_rate"] == 0.5


def test_grouping_by_street_and_month(incidents):
    m = incident_metrics(incidents, by="street", freq="M", as_of=MARCH["as_of"])
    assert list(m.index) == [("S-1", "2026-02"), ("S-1", "2026-03")]
    feb = m.loc[("S-1", "2026-02")]
    assert (feb.reported, feb.closed, feb.on_time_rate, feb.satisfaction_mean) == (1, 1, 1.0, 2.0)
    mar = m.loc[("S-1", "2026-03")]
    assert (mar.reported, mar.accepted, mar.closed) == (8, 6, 4)
    assert mar.closure_rate == pytest.approx(4 / 6)
    assert math.isnan(mar.complaints_per_1000)  # no population given: unknown, not zero


def test_empty_and_zero_denominators(incidents):
    only_new = incidents.loc[incidents["id"] == "6"]
    m = incident_metrics(only_new, **MARCH)
    assert m.loc["MG-1", "reported"] == 1 and m.loc["MG-1", "accepted"] == 0
    assert math.isnan(m.loc["MG-1", "closure_rate"]) and math.isnan(m.loc["MG-1", "on_time_rate"])
    empty = incident_metrics(incidents, start="2030-01-01")
    assert len(empty) == 0 and list(empty.columns) == list(METRIC_COLUMNS)
    with pytest.raises(InputError):
        incident_metrics(incidents.drop(columns=["status"]))


def test_metrics_from_workflow_states():
    wf = Workflow.default()
    s, e = wf.report("A", "暴露垃圾", datetime(2026, 3, 2, 9), actor="u", channel="12345", microgrid="MG-1")
    evs = [e]
    for k, (action, kw) in enumerate([("accept", {}), ("dispatch", {}), ("start", {}), ("complete", {}),
                                      ("rework", {"reason": "不干净"}), ("complete", {}), ("approve", {}),
                                      ("evaluate", {"satisfaction": 4})]):
        s, e = wf.apply(s, action, actor="u", at=datetime(2026, 3, 2, 10 + k), **kw)
        evs.append(e)
    frame = states_frame([s])
    assert frame.loc[0, "unit"] == "MG-1" and frame.loc[0, "reworks"] == 1
    m = incident_metrics(frame, events_frame(evs), population={"MG-1": 1000})
    row = m.loc["MG-1"]
    assert (row.closed, row.closed_on_time, row.rework_rate, row.complaints_per_1000) == (1, 1, 1.0, 1.0)


def test_yearly_report(incidents, events):
    cat = Catalogue.default()
    rep = microgrid_report(incidents, events, microgrid="MG-1", year=2026, name="崂山一村微网格",
                           population_start=1950, population_end=2000, visits={"planned": 40, "done": 38},
                           catalogue=cat, notes=["户数为估算值"], as_of=MARCH["as_of"])
    json.dumps(rep, ensure_ascii=False)  # JSON-able
    assert rep["title"] == "崂山一村微网格 2026年民情报告"
    assert rep["population"] == {"start": 1950, "end": 2000, "change": 50,
                                 "change_rate": pytest.approx(50 / 1950)}
    assert rep["visits"] == {"planned": 40, "done": 38, "rate": 0.95}
    inc = rep["incidents"]
    assert (inc["reported"], inc["accepted"], inc["closed"]) == (6, 4, 2)
    assert inc["on_time_rate"] == pytest.approx(1 / 3) and inc["complaints_per_1000"] == 2.0
    assert inc["by_category"][0] == {"category": "noise", "name": "噪声", "count": 3, "closed": 0}
    assert inc["by_channel"] == {"12345": 4, "patrol": 1, "resident": 1}
    assert inc["by_month"][2] == {"month": "2026-03", "reported": 6, "closed": 2}
    assert rep["raise_hand"] == {"count": 1, "closed": 0, "resolution_rate": 0.0,
                                 "by_department": [{"department": "房管", "count": 1, "closed": 0}]}
    assert rep["notes"] == ["户数为估算值"]
    with pytest.raises(InputError):
        microgrid_report(incidents, microgrid="MG-1", year="2026")


def test_report_visits_frame(incidents):
    visits = pd.DataFrame({"microgrid": ["MG-1", "MG-1", "MG-1", "MG-2"],
                           "at": [ts(1, 5), ts(2, 5), ts(3, 5), ts(3, 5)], "done": [True, False, True, True]})
    rep = microgrid_report(incidents, microgrid="MG-1", year=2026, visits=visits)
    assert rep["visits"] == {"planned": 3, "done": 2, "rate": pytest.approx(2 / 3)}
    assert rep["population"]["change"] is None and rep["incidents"]["complaints_per_1000"] is None


def test_report_html_escapes_user_strings(incidents, events):
    evil = "<script>alert('x')</script>"
    df = incidents.copy()
    df.loc[df["microgrid"] == "MG-1", "category"] = evil
    ev = events.copy()
    ev.at[4, "data"] = {"department": "<b>房管</b>"}
    rep = microgrid_report(df, ev, microgrid="MG-1", year=2026, name=evil, notes=[evil],
                           visits={"planned": 0, "done": 0})
    page = report_html(rep)
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;房管&lt;/b&gt;" in page
    assert page.startswith("<!DOCTYPE html>") and "民情报告" in page
