"""Working calendar: deadlines and elapsed working time, hand-computed."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geogrid._errors import InputError, ValidationError
from geogrid.dispatch.calendar import (
    BEIJING,
    EscalationPolicy,
    LimitUnit,
    TimeLimit,
    WorkingCalendar,
    timer_status,
)

CAL = WorkingCalendar.default()


def dt(*a):
    return datetime(*a)


def test_default_calendar_2026():
    assert CAL.day_seconds == 7.5 * 3600
    assert len({d for d in CAL.holidays if d.year == 2026}) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert {d for d in CAL.workdays if d.year == 2026} == {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
                            date(2026, 9, 20), date(2026, 10, 10)}
    assert CAL.is_working_day(date(2026, 2, 14))        # Saturday, make-up working day
    assert not CAL.is_working_day(date(2026, 2, 16))    # Monday, Spring Festival
    assert not CAL.is_working_day(date(2026, 3, 7))     # ordinary Saturday
    assert CAL.is_working_day(date(2026, 3, 9))         # ordinary Monday
    assert not CAL.is_working_day(date(2026, 10, 1))
    assert CAL.is_working_time(dt(2026, 3, 9, 9, 0))
    assert not CAL.is_working_time(dt(2026, 3, 9, 12, 30))  # lunch break


@pytest.mark.parametrize("start,limit,expected", [
    # within one day: 10-12 (2 h) + 13-16 (3 h)
    (dt(2026, 3, 2, 10), "5 working_hours", dt(2026, 3, 2, 16)),
    # across lunch: 11-12 (1 h) + 13-16 (3 h)
    (dt(2026, 3, 2, 11), "4 working_hours", dt(2026, 3, 2, 16)),
    # starting in the lunch break: the clock starts at 13:00
    (dt(2026, 3, 2, 12, 30), "1 working_hours", dt(2026, 3, 2, 14)),
    # exactly filling the afternoon ends at 17:30, not the next morning
    (dt(2026, 3, 2, 13), "4.5 working_hours", dt(2026, 3, 2, 17, 30)),
    # after hours: starts next morning
    (dt(2026, 3, 2, 20), "1 working_hours", dt(2026, 3, 3, 10)),
    # across the weekend: Fri 16:00-17:30 (1.5 h) + Mon 9:00-11:30 (2.5 h)
    (dt(2026, 3, 6, 16), "4 working_hours", dt(2026, 3, 9, 11, 30)),
    # one working day = 7.5 working hours: same time next working day
    (dt(2026, 3, 2, 10), "1 working_days", dt(2026, 3, 3, 10)),
    # reported on Saturday: the whole of Monday
    (dt(2026, 3, 7, 10), "1 working_days", dt(2026, 3, 9, 17, 30)),
    # Friday before Spring Festival; Saturday 14 Feb is a make-up working day:
    # Fri 15:00-17:30 (2.5 h) + Sat 9-12 (3 h) + 13-15 (2 h)
    (dt(2026, 2, 13, 15), "1 working_days", dt(2026, 2, 14, 15)),
    # Sat 14 Feb 17:00-17:30 (0.5 h), holiday 15-23 Feb, Tue 24 Feb 9-12 (3 h) + 13:00-13:30
    (dt(2026, 2, 14, 17), "4 working_hours", dt(2026, 2, 24, 13, 30)),
    # 违法搭建, 15 working days over 中秋 and 国庆 (see test below for the day list)
    (dt(2026, 9, 23, 10), "15 working_days", dt(2026, 10, 21, 10)),
    # 井盖: 3 calendar hours, round the clock
    (dt(2026, 3, 7, 23), "3 hours", dt(2026, 3, 8, 2)),
    (dt(2026, 3, 7, 23), "2 days", dt(2026, 3, 9, 23)),
])
def test_deadline_hand_computed(start, limit, expected):
    assert CAL.deadline(start, limit) == expected


def test_fifteen_working_days_day_list():
    # Wed 23 Sep 10:00-17:30 is 6.5 h; then 14 full days (105 h) and 1 h:
    days = [d for d in (date(2026, 9, 24) + timedelta(k) for k in range(30)) if CAL.is_working_day(d)]
    assert days[:14] == [date(2026, 9, 24), date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30),
                         date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10), date(2026, 10, 12),
                         date(2026, 10, 13), date(2026, 10, 14), date(2026, 10, 15), date(2026, 10, 16),
                         date(2026, 10, 19), date(2026, 10, 20)]
    assert CAL.elapsed(dt(2026, 9, 23, 10), dt(2026, 10, 21, 10), "working_days") == pytest.approx(15)


def test_aware_datetimes_keep_their_awareness():
    start = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing
    due = CAL.deadline(start, "5 working_hours")
    assert due == datetime(2026, 3, 2, 16, 0, tzinfo=BEIJING)
    assert due.utcoffset() == timedelta(hours=8)
    assert CAL.elapsed_working(start, due) == timedelta(hours=5)


@pytest.mark.parametrize("start,end,hours", [
    (dt(2026, 3, 2, 10), dt(2026, 3, 3, 10), 7.5),
    (dt(2026, 3, 2, 11), dt(2026, 3, 2, 14), 2.0),          # lunch hour does not count
    (dt(2026, 3, 6, 16), dt(2026, 3, 9, 11, 30), 4.0),      # weekend does not count
    (dt(2026, 9, 30, 17), dt(2026, 10, 8, 9, 30), 1.0),     # 国庆 does not count
    (dt(2026, 3, 7, 9), dt(2026, 3, 8, 18), 0.0),           # a whole weekend
    (dt(2026, 3, 3, 10), dt(2026, 3, 2, 10), -7.5),         # reversed
])
def test_elapsed_working(start, end, hours):
    assert CAL.elapsed_working(start, end) == timedelta(hours=hours)


def test_elapsed_units():
    assert CAL.elapsed(dt(2026, 3, 2, 9), dt(2026, 3, 4, 9), "working_days") == 2.0
    assert CAL.elapsed(dt(2026, 3, 2, 9), dt(2026, 3, 4, 9), LimitUnit.HOURS) == 48.0
    assert CAL.elapsed(dt(2026, 3, 2, 9), dt(2026, 3, 4, 9), "days") == 2.0


@settings(max_examples=60, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20)),
       hours=st.floats(0, 60).map(lambda h: round(h, 2)))
def test_deadline_and_elapsed_are_inverse(start, hours):
    due = CAL.deadline(start, TimeLimit(hours, "working_hours"))
    assert due >= start
    assert abs(CAL.elapsed_working(start, due).total_seconds() - hours * 3600) < 1e-3
    if hours > 0:
        # a deadline always falls inside working time, or at the end of a period
        assert CAL.is_working_time(due - timedelta(microseconds=1))


def test_time_limit_parsing():
    assert TimeLimit.parse("4 working_hours") == TimeLimit(4, LimitUnit.WORKING_HOURS)
    assert TimeLimit.parse("1 工作日") == TimeLimit(1, "working_days")
    assert TimeLimit.parse("3h") == TimeLimit(3, "hours")
    assert TimeLimit.parse({"value": 15, "unit": "working_days"}).zh == "15个工作日"
    assert str(TimeLimit(0.5, "days")) == "0.5 days"
    for bad in ("soon", "3 fortnights", {"value": 3}):
        with pytest.raises(InputError):
            TimeLimit.parse(bad)
    with pytest.raises(InputError):
        TimeLimit(-1, "hours")


def test_custom_calendar_from_dict_and_files(tmp_path):
    data = {"name": "six-day week", "periods": [["08:30", "11:30"], ["13:30", "17:00"]],
            "weekdays": [0, 1, 2, 3, 4, 5], "holidays": ["2026-03-04..2026-03-05"], "workdays": ["2026-03-08"]}
    cal = WorkingCalendar.from_dict(data)
    assert cal.day_seconds == 6.5 * 3600
    assert cal.is_working_day(date(2026, 3, 7))  # Saturday is a weekday here
    assert not cal.is_working_day(date(2026, 3, 4))
    # Tue 3 Mar 16:00-17:00 (1 h); 4-5 Mar off; Fri 6 Mar 08:30-10:30 (2 h)
    assert cal.deadline(dt(2026, 3, 3, 16), "3 working_hours") == dt(2026, 3, 6, 10, 30)
    (tmp_path / "cal.json").write_text(json.dumps(data), encoding="utf-8")
    assert WorkingCalendar.load(tmp_path / "cal.json") == cal
    toml = ('[calendar]\nperiods = [["08:30", "11:30"], ["13:30", "17:00"]]\nweekdays = [0,1,2,3,4,5]\n'
            'holidays = ["2026-03-04..2026-03-05"]\nworkdays = ["2026-03-08"]\nname = "six-day week"\n')
    (tmp_path / "cal.toml").write_text(toml, encoding="utf-8")
    assert WorkingCalendar.load(tmp_path / "cal.toml") == cal
    assert WorkingCalendar.from_dict(cal.to_dict()) == cal
    more = CAL.with_holidays(["2027-01-01"], ["2026-12-27"])
    assert not more.is_working_day(date(2027, 1, 1)) and more.is_working_day(date(2026, 12, 27))


def test_invalid_calendar_reports_every_problem():
    with pytest.raises(ValidationError) as err:
        WorkingCalendar(periods=((time(12), time(9)), (time(8), time(10))), weekdays=frozenset({7}),
                        holidays=frozenset({date(2026, 3, 2)}), workdays=frozenset({date(2026, 3, 2)}))
    fields = [p.field for p in err.value.problems]
    assert fields.count("periods") == 2 and "weekdays" in fields and "workdays" in fields
    with pytest.raises(InputError):
        WorkingCalendar(periods=(), weekdays=frozenset())
    never = WorkingCalendar(weekdays=frozenset())
    with pytest.raises(InputError):
        never.deadline(dt(2026, 3, 2), "1 working_hours")


def test_timer_stages_hand_computed():
    start = dt(2026, 3, 2, 10)
    due = CAL.deadline(start, "5 working_hours")  # 16:00
    unit = "working_hours"

    def at(*a):
        return timer_status(CAL, start, due, dt(*a), unit)

    s = at(2026, 3, 2, 14)                     # 3 h of 5
    assert (s.stage, round(s.fraction, 3), s.next_stage) == ("ok", 0.6, "warning")
    assert s.next_at == dt(2026, 3, 2, 15)     # 80 % = 4 h
    assert s.remaining == pytest.approx(2.0)
    assert at(2026, 3, 2, 15).stage == "warning"
    s = at(2026, 3, 2, 16)
    assert s.stage == "overdue" and s.overdue and s.next_at == dt(2026, 3, 3, 10)  # 150 % = 7.5 h
    s = at(2026, 3, 3, 10)                     # 2 + 4.5 + 1 = 7.5 h = 150 %
    assert (s.stage, s.escalation_level, s.escalate_to) == ("escalated", 1, "community")
    assert s.next_at == dt(2026, 3, 3, 13, 30)  # 200 % = 10 h
    s = at(2026, 3, 3, 13, 30)
    assert (s.escalation_level, s.escalate_to, s.next_at) == (2, "grid", None)
    assert s.to_dict()["stage"] == "escalated"
    # an extension moves every threshold: 10 h allowed, 7.5 h used = 75 %
    later = CAL.deadline(due, "5 working_hours")
    assert timer_status(CAL, start, later, dt(2026, 3, 3, 10), unit).stage == "ok"


def test_escalation_policy_validation():
    with pytest.raises(InputError):
        EscalationPolicy(warn_at=1.2, overdue_at=1.0)
    p = EscalationPolicy.from_dict({"warn_at": 0.5, "escalate_at": [1.2]})
    assert p.marks() == [(0.5, "warning", 0), (1.0, "overdue", 0), (1.2, "escalated", 1)]
    assert EscalationPolicy.from_dict(p.to_dict()) == p
