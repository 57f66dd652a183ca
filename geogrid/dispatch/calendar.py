"""Working time: time limits, working calendars, deadlines and escalation timers.

Time limits for dispatched orders are set per category in one of four units:

* ``working_hours``  hours inside working periods (9:00–12:00, 13:00–17:30 by
  default) on working days;
* ``working_days``   whole working days of working time: ``N`` working days
  is ``N`` times the length of a working day (7.5 h by default), so an order
  dispatched on Monday at 10:00 with 1 working day is due on Tuesday at 10:00,
  and one dispatched on Saturday is due on Monday at 17:30;
* ``hours``          calendar hours, round the clock (井盖: 3 h);
* ``days``           calendar days.

A working day is a weekday that is not a public holiday, or a make-up
working day (调休) even if it falls on a weekend. The default calendar takes
the State Council's yearly arrangements from the ``chinese_calendar`` package
for the years it covers, then the bundled file (2026, 国办发明电〔2025〕7号),
then arrangements imported with ``geogrid calendar import`` (later sources
replace earlier ones year by year).

Calendars do not run out silently: a calendar knows which years it covers
(:attr:`WorkingCalendar.years`); :meth:`WorkingCalendar.uncovered` names the
years a span reaches that it does not, so a deadline computed across such a
year is flagged, and :meth:`WorkingCalendar.coverage` warns 30 days ahead.

Datetimes may be naive (read as Beijing time) or aware (converted to
Beijing time, UTC+8, which has no daylight saving). Results keep the
awareness of the input.

Escalation timers measure elapsed time as a fraction of the allowed time,
in the limit's own unit: by default a warning at 80 %, overdue at 100 %, and
one escalation step up the hierarchy at 150 % and another at 200 %. An
extension (延期) moves the deadline; fractions are then measured against the
new deadline.

Example
-------
>>> from datetime import datetime
>>> cal = WorkingCalendar.default()
>>> # Wednesday 16:00 + 4 working hours: 1.5 h that day, 国庆 1–7 Oct, 2.5 h on the 8th
>>> cal.deadline(datetime(2026, 9, 30, 16, 0), TimeLimit(4, "working_hours"))
datetime.datetime(2026, 10, 8, 11, 30)
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, Iterable, Mapping

from .._errors import InputError, ValidationError, ValidationProblem

__all__ = [
    "BEIJING",
    "LimitUnit",
    "TimeLimit",
    "WorkingCalendar",
    "EscalationPolicy",
    "TimerStatus",
    "timer_status",
    "parse_unit",
    "load_arrangement",
    "WARN_DAYS_AHEAD",
]

#: Beijing time (China Standard Time), UTC+8 all year.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class LimitUnit(str, Enum):
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    HOURS = "hours"
    DAYS = "days"

    @property
    def zh(self) -> str:
        return {"working_hours": "个工作时", "working_days": "个工作日", "hours": "小时",
                "days": "天"}[self.value]

    @property
    def working(self) -> bool:
        return self in (LimitUnit.WORKING_HOURS, LimitUnit.WORKING_DAYS)


_UNIT_ALIASES = {
    "working_hours": LimitUnit.WORKING_HOURS, "working_hour": LimitUnit.WORKING_HOURS,
    "wh": LimitUnit.WORKING_HOURS, "工作时": LimitUnit.WORKING_HOURS, "个工作时": LimitUnit.WORKING_HOURS,
    "工作小时": LimitUnit.WORKING_HOURS, "个工作小时": LimitUnit.WORKING_HOURS,
    "working_days": LimitUnit.WORKING_DAYS, "working_day": LimitUnit.WORKING_DAYS,
    "wd": LimitUnit.WORKING_DAYS, "工作日": LimitUnit.WORKING_DAYS, "个工作日": LimitUnit.WORKING_DAYS,
    "hours": LimitUnit.HOURS, "hour": LimitUnit.HOURS, "h": LimitUnit.HOURS, "小时": LimitUnit.HOURS,
    "个小时": LimitUnit.HOURS,
    "days": LimitUnit.DAYS, "day": LimitUnit.DAYS, "d": LimitUnit.DAYS, "天": LimitUnit.DAYS,
    "日": LimitUnit.DAYS,
}
def parse_unit(value: LimitUnit | str) -> LimitUnit:
    """The :class:`LimitUnit` named by ``value`` (English or Chinese, e.g. ``"工作日"``)."""
    if isinstance(value, LimitUnit):
        return value
    try:
        return _UNIT_ALIASES[str(value).strip().lower()]
    except KeyError:
        raise InputError(f"未知的时限单位 {value!r}。time limit unit {value!r} is not known.",
                         field="unit", value=value,
                         fix="用 working_hours (工作时)、working_days (工作日)、hours 或 days。"
                             "Use working_hours, working_days, hours or days.") from None


_LIMIT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z_\u4e00-\u9fff]+)\s*$")


@dataclass(frozen=True)
class TimeLimit:
    """A time limit: ``value`` in ``unit`` (see :class:`LimitUnit`)."""

    value: float
    unit: LimitUnit

    def __post_init__(self):
        object.__setattr__(self, "unit", parse_unit(self.unit))
        if not isinstance(self.value, int | float) or isinstance(self.value, bool) or not self.value >= 0:
            raise InputError(f"时限须为不小于 0 的数, 收到 {self.value!r}。time limit value must be a "
                             f"number >= 0, got {self.value!r}.", field="value", value=self.value,
                             fix="如 TimeLimit(4, 'working_hours')。Use e.g. TimeLimit(4, "
                                 "'working_hours').")

    @classmethod
    def parse(cls, value: TimeLimit | str | Mapping[str, Any]) -> TimeLimit:
        """Read ``"4 working_hours"``, ``"1 工作日"``, ``"3h"`` or ``{"value": 3, "unit": "hours"}``."""
        if isinstance(value, TimeLimit):
            return value
        if isinstance(value, Mapping):
            if "value" not in value or "unit" not in value:
                raise InputError(f"时限 {dict(value)!r} 须有 value 和 unit。time limit {dict(value)!r} "
                                 "needs 'value' and 'unit'.", field="limit", value=dict(value),
                                 fix='如 {"value": 4, "unit": "working_hours"}。Use e.g. '
                                     '{"value": 4, "unit": "working_hours"}.')
            return cls(value["value"], value["unit"])
        m = _LIMIT_RE.match(str(value))
        if not m:
            raise InputError(f"时限 {value!r} 不是「数字 单位」。time limit {value!r} is not '<number> "
                             "<unit>'.", field="limit", value=value,
                             fix="写成如 '4 working_hours'、'15 工作日' 或 '3 hours'。Write e.g. "
                                 "'4 working_hours', '15 working_days' or '3 hours'.")
        number = float(m.group(1))
        return cls(int(number) if number.is_integer() else number, m.group(2))

    def scaled(self, factor: float) -> TimeLimit:
        return TimeLimit(self.value * factor, self.unit)

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit.value}"

    @property
    def zh(self) -> str:
        return f"{self.value:g}{self.unit.zh}"

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit.value}


def _local(dt: datetime) -> tuple[datetime, bool]:
    """Naive Beijing wall-clock time of ``dt`` and whether ``dt`` was aware."""
    if not isinstance(dt, datetime):
        raise InputError(f"expected a datetime, got {type(dt).__name__} {dt!r}.", field="datetime",
                         value=dt, fix="Pass a datetime (naive = Beijing time, or timezone-aware).")
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt, False
    return dt.astimezone(BEIJING).replace(tzinfo=None), True


def _out(dt: datetime, aware: bool) -> datetime:
    return dt.replace(tzinfo=BEIJING) if aware else dt


def _from_iso(kind, value: Any, what: str, field: str, fix: str):
    try:
        return kind.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"{value!r} is not {what}.", field=field, value=value, fix=fix) from None


def _parse_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    return _from_iso(time, value, "a time of day", "periods", "Write times as 'HH:MM', e.g. '09:00'.")


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _from_iso(date, value, "a date", "date", "Write dates as 'YYYY-MM-DD'.")


def _expand_dates(items: Iterable[Any]) -> set[date]:
    """Dates from ``"2026-02-15"`` or ranges ``"2026-02-15..2026-02-23"`` (inclusive)."""
    out: set[date] = set()
    for item in items:
        if isinstance(item, str) and ".." in item:
            lo, hi = (_parse_date(p) for p in item.split("..", 1))
            if hi < lo:
                raise InputError(f"date range {item!r} ends before it starts.", field="holidays",
                                 value=item, fix="Write ranges as 'first..last'.")
            out.update(lo + timedelta(days=k) for k in range((hi - lo).days + 1))
        else:
            out.add(_parse_date(item))
    return out


def _expand_years(items: Any) -> set[int]:
    """Years from ``[2026, 2027]`` or ``["2004..2026"]``."""
    out: set[int] = set()
    for item in items if isinstance(items, (list, tuple, set, frozenset)) else [items]:
        lo, _, hi = str(item).partition("..")
        try:
            out.update(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            raise InputError(f"年份 {item!r} 无效 / year {item!r} is not a year.", field="years",
                             value=item, fix="写作 2027 或 '2004..2026' / Write 2027 or '2004..2026'.")
    return out


_MAX_DAYS = 3660  # a deadline more than ten years out means the calendar has no working time


@dataclass(frozen=True)
class WorkingCalendar:
    """Working periods of a day, working weekdays, holidays and make-up working days.

    ``weekdays`` uses Python's numbering (Monday = 0). ``workdays`` are
    make-up working days (调休) that override weekends; ``holidays`` override
    weekdays.
    """

    periods: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(13, 0), time(17, 30)))
    weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    name: str = ""
    #: the years whose holiday arrangement this calendar carries; ``None``: the years of
    #: its holidays and make-up days, or every year for a calendar with none at all
    years: frozenset[int] | None = None

    def __post_init__(self):
        problems = []
        periods = tuple((_parse_time(a), _parse_time(b)) for a, b in self.periods)
        for i, (a, b) in enumerate(periods):
            if not a < b:
                problems.append(ValidationProblem(i, "periods", f"period {a}–{b} does not end after it starts"))
            if i and not periods[i - 1][1] <= a:
                problems.append(ValidationProblem(i, "periods", f"period {a}–{b} overlaps or precedes "
                                                                f"the one before it"))
        if not periods:
            problems.append(ValidationProblem(0, "periods", "no working periods"))
        if not set(self.weekdays) <= set(range(7)):
            problems.append(ValidationProblem("weekdays", "weekdays", "weekdays must be 0 (Mon) .. 6 (Sun)",
                                              sorted(self.weekdays)))
        both = set(self.holidays) & set(self.workdays)
        for d in sorted(both):
            problems.append(ValidationProblem(d.isoformat(), "workdays", "date is both a holiday and a "
                                                                         "make-up working day"))
        if problems:
            raise ValidationError("invalid working calendar", problems,
                                  fix="Give sorted, non-overlapping periods and disjoint date lists.")
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        years = self.years
        if years is None and (self.holidays or self.workdays):
            years = {d.year for d in self.holidays | self.workdays}
        object.__setattr__(self, "years", None if years is None else frozenset(int(y) for y in years))

    # ---- construction
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkingCalendar:
        """Build from ``{"periods": [["09:00", "12:00"], ...], "weekdays": [0..4],
        "holidays": ["2026-10-01..2026-10-07", ...], "workdays": [...], "name": ...}``."""
        periods = data.get("periods")
        kw: dict[str, Any] = {}
        if periods is not None:
            kw["periods"] = tuple((p[0], p[1]) for p in periods)
        if "weekdays" in data:
            kw["weekdays"] = frozenset(int(d) for d in data["weekdays"])
        kw["holidays"] = frozenset(_expand_dates(data.get("holidays", ())))
        kw["workdays"] = frozenset(_expand_dates(data.get("workdays", ())))
        kw["name"] = str(data.get("name", ""))
        if "years" in data:
            kw["years"] = frozenset(_expand_years(data["years"]))
        return cls(**kw)

    @classmethod
    def load(cls, path: str | PathLike) -> WorkingCalendar:
        """Read a calendar from a ``.toml`` or ``.json`` file (see :meth:`from_dict`)."""
        p = Path(path)
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
        return cls.from_dict(data.get("calendar", data))

    @classmethod
    def default(cls, local: str | PathLike | None = None) -> WorkingCalendar:
        """9:00–12:00 and 13:00–17:30, Monday to Friday, with China's public holidays.

        Year by year, later sources replace earlier ones: the ``chinese_calendar``
        package (when installed), the bundled ``data/calendar.toml``, then every
        arrangement file in the directory ``local`` (see :func:`load_arrangement`).
        """
        text = resources.files("geogrid.dispatch").joinpath("data/calendar.toml").read_text("utf-8")
        cal = cls.from_dict(tomllib.loads(text)["calendar"])
        library = cls.from_library(periods=cal.periods, weekdays=cal.weekdays)
        if library is not None:
            cal = library.overridden_by(cal)
        if local is not None and Path(local).is_dir():
            for path in sorted(Path(local).iterdir()):
                if path.suffix.lower() in (".toml", ".json", ".csv"):
                    cal = cal.overridden_by(load_arrangement(path))
        return cal

    @classmethod
    def from_library(cls, **kw) -> WorkingCalendar | None:
        """The arrangements of every year the ``chinese_calendar`` package covers (or None)."""
        try:
            from chinese_calendar import constants
        except ImportError:
            return None
        days = set(constants.holidays) | set(constants.workdays)
        years = range(min(d.year for d in days), max(d.year for d in days) + 1)
        return cls(holidays=frozenset(constants.holidays), workdays=frozenset(constants.workdays),
                   years=frozenset(years), name="chinese_calendar", **kw)

    def overridden_by(self, other: WorkingCalendar) -> WorkingCalendar:
        """This calendar with the years ``other`` covers replaced by ``other``'s days."""
        replaced = other.years or frozenset()
        keep = lambda days: {d for d in days if d.year not in replaced}  # noqa: E731
        years = None if self.years is None else self.years | replaced
        name = " + ".join(n for n in (self.name, other.name) if n)
        return WorkingCalendar(self.periods, self.weekdays,
                               frozenset(keep(self.holidays) | other.holidays),
                               frozenset(keep(self.workdays) | other.workdays), name, years)

    # ---- coverage
    def covers(self, day: date | datetime) -> bool:
        """Whether this calendar carries the holiday arrangement of ``day``'s year."""
        return self.years is None or _parse_date(day).year in self.years

    def uncovered(self, start: date | datetime, end: date | datetime) -> list[int]:
        """The years from ``start`` to ``end`` (inclusive) this calendar does not cover."""
        lo, hi = sorted((_local(start)[0].date() if isinstance(start, datetime) else start,
                         _local(end)[0].date() if isinstance(end, datetime) else end))
        return [y for y in range(lo.year, hi.year + 1) if self.years is not None
                and y not in self.years]

    def coverage(self, now: datetime, days_ahead: int = 30) -> dict[str, Any]:
        """What ``/health`` reports: covered years, and a bilingual warning when a year
        within ``days_ahead`` days of ``now`` is not covered."""
        t = _local(now)[0]
        gap = self.uncovered(t.date(), t.date() + timedelta(days=days_ahead))
        out: dict[str, Any] = {"years": None if self.years is None else
                               [min(self.years), max(self.years)] if self.years else [],
                               "uncovered_within_days": days_ahead, "uncovered": gap}
        if gap:
            years = ", ".join(map(str, gap))
            out["warning"] = (
                f"工作日历未包含 {years} 年的节假日安排：该年的期限将按无节假日计算 / the working "
                f"calendar has no holiday arrangement for {years}: deadlines there are computed "
                "as if it had no holidays. 用 geogrid calendar import 导入 / Import it with "
                "geogrid calendar import.")
        return out

    def with_holidays(self, holidays: Iterable[Any] = (), workdays: Iterable[Any] = ()) -> WorkingCalendar:
        """A copy with more holidays and make-up working days (e.g. another year's)."""
        more_h, more_w = _expand_dates(holidays), _expand_dates(workdays)
        years = None if self.years is None else self.years | {d.year for d in more_h | more_w}
        return WorkingCalendar(self.periods, self.weekdays, self.holidays | more_h,
                               self.workdays | more_w, self.name, years)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name,
                "periods": [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in self.periods],
                "weekdays": sorted(self.weekdays),
                "holidays": sorted(d.isoformat() for d in self.holidays),
                "workdays": sorted(d.isoformat() for d in self.workdays),
                "years": None if self.years is None else sorted(self.years)}

    # ---- days
    @property
    def day_seconds(self) -> float:
        """Working seconds in one working day (27,000 = 7.5 h by default)."""
        return float(sum((_secs(b) - _secs(a)) for a, b in self.periods))

    def is_working_day(self, day: date | datetime) -> bool:
        d = _parse_date(day)
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() in self.weekdays

    def is_working_time(self, moment: datetime) -> bool:
        t, _ = _local(moment)
        return self.is_working_day(t) and any(a <= t.time() < b for a, b in self.periods)

    def _spans(self, d: date):
        for a, b in self.periods:
            yield datetime.combine(d, a), datetime.combine(d, b)

    # ---- working time arithmetic
    def add_working(self, start: datetime, seconds: float) -> datetime:
        """The moment when ``seconds`` of working time have passed since ``start``."""
        t, aware = _local(start)
        if seconds < 0:
            raise InputError(f"seconds must be >= 0, got {seconds!r}.", field="seconds", value=seconds,
                             fix="Pass a non-negative duration.")
        remaining = timedelta(seconds=seconds)
        d = t.date()
        for _ in range(_MAX_DAYS):
            if self.is_working_day(d):
                for a, b in self._spans(d):
                    s = max(a, t)
                    if s >= b:
                        continue
                    if remaining <= b - s:
                        return _out(s + remaining, aware)
                    remaining -= b - s
            d += timedelta(days=1)
        raise InputError("the calendar has no working time in the next ten years.", field="calendar",
                         fix="Check weekdays, holidays and periods.")

    def elapsed_working(self, start: datetime, end: datetime) -> timedelta:
        """Working time between ``start`` and ``end`` (negative if ``end`` is earlier)."""
        a, _ = _local(start)
        b, _ = _local(end)
        if b < a:
            return -self.elapsed_working(end, start)
        total = timedelta(0)
        d = a.date()
        while d <= b.date():
            if self.is_working_day(d):
                for s, e in self._spans(d):
                    lo, hi = max(s, a), min(e, b)
                    if hi > lo:
                        total += hi - lo
            d += timedelta(days=1)
        return total

    def deadline(self, start: datetime, limit: TimeLimit | str | Mapping[str, Any]) -> datetime:
        """When an order started at ``start`` with time limit ``limit`` is due."""
        lim = TimeLimit.parse(limit)
        if lim.unit is LimitUnit.HOURS:
            return start + timedelta(hours=lim.value)
        if lim.unit is LimitUnit.DAYS:
            return start + timedelta(days=lim.value)
        secs = lim.value * (3600.0 if lim.unit is LimitUnit.WORKING_HOURS else self.day_seconds)
        return self.add_working(start, secs)

    def elapsed(self, start: datetime, end: datetime, unit: LimitUnit | str) -> float:
        """Time from ``start`` to ``end`` in ``unit`` (working hours, working days, hours or days)."""
        u = parse_unit(unit)
        if u.working:
            secs = self.elapsed_working(start, end).total_seconds()
            return secs / (3600.0 if u is LimitUnit.WORKING_HOURS else self.day_seconds)
        a, _ = _local(start)
        b, _ = _local(end)
        secs = (b - a).total_seconds()
        return secs / (3600.0 if u is LimitUnit.HOURS else 86400.0)


def _secs(t: time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


# --------------------------------------------------------------------------- escalation


@dataclass(frozen=True)
class EscalationPolicy:
    """Thresholds as fractions of the allowed time.

    ``escalate_at`` lists one fraction per step up the hierarchy (microgrid →
    community → grid → street by default, see ``levels``).
    """

    warn_at: float = 0.8
    overdue_at: float = 1.0
    escalate_at: tuple[float, ...] = (1.5, 2.0)
    levels: tuple[str, ...] = ("microgrid", "community", "grid", "street")

    def __post_init__(self):
        marks = [self.warn_at, self.overdue_at, *self.escalate_at]
        if any(not (isinstance(m, int | float) and m > 0) for m in marks) or marks != sorted(marks) \
                or len(set(marks)) != len(marks):
            raise InputError(f"escalation thresholds must be positive and increasing, got {marks}.",
                             field="escalate_at", value=marks, fix="Use e.g. warn 0.8, overdue 1.0, "
                                                                   "escalate (1.5, 2.0).")
        object.__setattr__(self, "escalate_at", tuple(self.escalate_at))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EscalationPolicy:
        kw = {k: data[k] for k in ("warn_at", "overdue_at") if k in data}
        if "escalate_at" in data:
            kw["escalate_at"] = tuple(data["escalate_at"])
        if "levels" in data:
            kw["levels"] = tuple(data["levels"])
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        return {"warn_at": self.warn_at, "overdue_at": self.overdue_at,
                "escalate_at": list(self.escalate_at), "levels": list(self.levels)}

    def marks(self) -> list[tuple[float, str, int]]:
        """``(fraction, stage, escalation level)`` in order."""
        out = [(self.warn_at, "warning", 0), (self.overdue_at, "overdue", 0)]
        out += [(f, "escalated", i + 1) for i, f in enumerate(self.escalate_at)]
        return out


@dataclass(frozen=True)
class TimerStatus:
    """Where an order stands against its deadline at ``now``.

    ``stage`` is ``ok``, ``warning``, ``overdue`` or ``escalated``;
    ``escalation_level`` counts the escalation steps passed (0 = none);
    ``next_at`` is when the next threshold is reached (``None`` after the last).
    """

    now: datetime
    deadline: datetime
    fraction: float
    stage: str
    escalation_level: int
    escalate_to: str | None
    next_stage: str | None
    next_at: datetime | None
    remaining: float
    unit: LimitUnit

    @property
    def overdue(self) -> bool:
        return self.stage in ("overdue", "escalated")

    def to_dict(self) -> dict[str, Any]:
        return {"now": self.now.isoformat(), "deadline": self.deadline.isoformat(),
                "fraction": round(self.fraction, 4), "stage": self.stage,
                "escalation_level": self.escalation_level, "escalate_to": self.escalate_to,
                "next_stage": self.next_stage,
                "next_at": self.next_at.isoformat() if self.next_at else None,
                "remaining": round(self.remaining, 4), "unit": self.unit.value}


def timer_status(calendar: WorkingCalendar, start: datetime, deadline: datetime, now: datetime,
                 unit: LimitUnit | str, policy: EscalationPolicy | None = None) -> TimerStatus:
    """Stage of an order started at ``start``, due at ``deadline``, at ``now``.

    The allowed time is ``elapsed(start, deadline)`` in ``unit``; so after an
    extension the thresholds follow the new deadline.
    """
    policy = policy or EscalationPolicy()
    u = parse_unit(unit)
    allowed = calendar.elapsed(start, deadline, u)
    used = calendar.elapsed(start, now, u)
    if allowed <= 0:
        fraction = float("inf") if used > 0 else (1.0 if now >= deadline else 0.0)
    else:
        fraction = used / allowed
    stage, level, nxt = "ok", 0, None
    for f, name, lv in policy.marks():
        if fraction >= f:
            stage, level = name, max(level, lv)
        elif nxt is None:
            nxt = (f, name)
    next_at = None
    if nxt is not None and allowed > 0:
        next_at = calendar.deadline(start, TimeLimit(allowed * nxt[0], u))
    escalate_to = None
    if level:
        escalate_to = policy.levels[min(level, len(policy.levels) - 1)]
    return TimerStatus(now=now, deadline=deadline, fraction=fraction, stage=stage,
                       escalation_level=level, escalate_to=escalate_to,
                       next_stage=nxt[1] if nxt else None, next_at=next_at,
                       remaining=allowed - used, unit=u)


# ---- a year's arrangement from a file (geogrid calendar import) ---------------------------

#: /health and incidents warn this many days before a deadline reaches an uncovered year
WARN_DAYS_AHEAD = 30
_KINDS = {"holiday": "holidays", "休": "holidays", "假": "holidays", "休息": "holidays",
          "workday": "workdays", "班": "workdays", "调休": "workdays", "上班": "workdays"}


def _arrangement_rows(path: Path) -> tuple[int | None, list[tuple[Any, str, str]]]:
    """(declared year, [(row label, date text, kind text)]) from a CSV, TOML or JSON file."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        import csv

        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or not {"date", "type"} <= {f.strip() for f in reader.fieldnames}:
            raise InputError(
                f"{path.name} 需要 date,type 两列 / needs the columns date,type "
                f"(found {reader.fieldnames}).", field="columns", value=reader.fieldnames,
                fix="首行写 date,type,name；type 为 holiday/休 或 workday/班 / Start with the "
                    "header date,type,name; type is holiday/休 or workday/班.")
        rows = [(i, (r.get("date") or "").strip(), (r.get("type") or "").strip())
                for i, r in enumerate(({k.strip(): v for k, v in r.items() if k} for r in reader),
                                      start=2)]
        return None, rows
    data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    data = data.get("calendar", data)
    rows = []
    for key, kind in (("holidays", "holiday"), ("workdays", "workday")):
        for i, item in enumerate(data.get(key, ())):
            try:
                days = sorted(_expand_dates([item]))
            except InputError:
                rows.append((f"{key}[{i}]", str(item), kind))
                continue
            rows += [(f"{key}[{i}]", d.isoformat(), kind) for d in days]
    year = data.get("year")
    return (int(year) if str(year).isdigit() else year), rows


def load_arrangement(path: str | PathLike) -> WorkingCalendar:
    """One year's holiday arrangement (holidays and 调休 days) from a file, checked.

    CSV: a header ``date,type[,name]`` and one row per day, ``type`` being
    ``holiday``/``休`` or ``workday``/``班``. TOML/JSON: ``year = 2027``,
    ``holidays = ["2027-01-01..2027-01-03", ...]``, ``workdays = [...]``.
    Every bad row is reported at once (row number, value, reason), in Chinese
    and English; nothing is returned unless the whole file is right.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"文件 {str(p)!r} 不存在 / file {str(p)!r} does not exist.", field="path",
                         value=str(p), fix="检查路径 / Check the path.")
    declared, rows = _arrangement_rows(p)
    problems: list[ValidationProblem] = []
    days: dict[str, dict[date, Any]] = {"holidays": {}, "workdays": {}}
    for label, text, kind in rows:
        target = _KINDS.get(kind.lower())
        try:
            d = date.fromisoformat(text)
        except ValueError:
            problems.append(ValidationProblem(label, "date", "日期应为 YYYY-MM-DD / date is not "
                                                             "YYYY-MM-DD", text))
            continue
        if target is None:
            problems.append(ValidationProblem(label, "type", "类型应为 holiday/休 或 workday/班 / "
                                                             "type is not holiday or workday", kind))
            continue
        if target == "workdays" and d.weekday() < 5:
            problems.append(ValidationProblem(label, "date", "调休上班日应在周末 / a make-up "
                                                             "working day must be a weekend day", text))
        days[target][d] = label
    both = set(days["holidays"]) & set(days["workdays"])
    problems += [ValidationProblem(days["workdays"][d], "date", "同一天既是假日又是上班日 / date is "
                                   "both a holiday and a working day", d.isoformat()) for d in sorted(both)]
    years = {d.year for kind in days.values() for d in kind}
    year = declared if declared is not None else (min(years) if years else None)
    if not isinstance(year, int):
        problems.append(ValidationProblem("year", "year", "缺少年份 / no year given", declared))
    else:
        problems += [ValidationProblem(label, "date", f"不属于 {year} 年 / not in {year}",
                                       d.isoformat())
                     for kind in days.values() for d, label in kind.items() if d.year != year]
        if not any(d.year == year for d in days["holidays"]):
            problems.append(ValidationProblem("holidays", "holidays", f"{year} 年没有假日：文件不完整 "
                                              f"/ no holidays in {year}: the file is incomplete"))
    if problems:
        raise ValidationError(f"节假日安排 {p.name} 有误 / holiday arrangement {p.name} is invalid",
                              problems, fix="改正所列各行后重新导入 / Correct the listed rows and "
                                            "import again.")
    return WorkingCalendar(holidays=frozenset(days["holidays"]),
                           workdays=frozenset(days["workdays"]), name=f"{p.name}",
                           years=frozenset({year}))
