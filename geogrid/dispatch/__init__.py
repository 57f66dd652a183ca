"""Dispatch (派单): categories, the closed loop, rules, working time, indicators, simulation.

The core of the 发现 → 受理 → 指挥 → 处置 → 监督 → 评价 loop, as plain data
classes and pure functions. A store layer persists :class:`IncidentState`
and :class:`Event` (both have ``to_dict`` / ``from_dict``).

* :mod:`~geogrid.dispatch.catalogue` — categories, time limits, handlers, Open311 codes
* :mod:`~geogrid.dispatch.calendar`  — working hours, holidays, deadlines, escalation timers
* :mod:`~geogrid.dispatch.rules`     — who handles an incident (微网格, 部门, 举手, 属地兜底)
* :mod:`~geogrid.dispatch.workflow`  — the state machine
* :mod:`~geogrid.dispatch.metrics`   — 结案率, 按期结案率, 返工率, 延期率, 每千人投诉率
* :mod:`~geogrid.dispatch.report`    — the yearly microgrid report (民情报告)
* :mod:`~geogrid.dispatch.simulate`  — a reproducible day of simulated reports
"""

from .calendar import (
    BEIJING,
    EscalationPolicy,
    LimitUnit,
    TimeLimit,
    TimerStatus,
    WorkingCalendar,
    parse_unit,
    timer_status,
)
from .catalogue import TEAM_ROLES, Catalogue, Category, MustAttend
from .metrics import COMPLAINT_CHANNEL, METRIC_COLUMNS, events_frame, incident_metrics, states_frame
from .report import microgrid_report, report_html
from .rules import RULES, Assignment, Lead, assign, lead_microgrid, raise_hand
from .simulate import CHANNELS, simulate_day, simulate_days
from .workflow import (
    NEEDS_REASON,
    TALLIED,
    TRANSITIONS,
    Action,
    Event,
    IncidentState,
    Status,
    Workflow,
    parse_action,
)

__all__ = [
    "BEIJING", "EscalationPolicy", "LimitUnit", "TimeLimit", "TimerStatus", "WorkingCalendar",
    "parse_unit", "timer_status",
    "TEAM_ROLES", "Catalogue", "Category", "MustAttend",
    "COMPLAINT_CHANNEL", "METRIC_COLUMNS", "events_frame", "incident_metrics", "states_frame",
    "microgrid_report", "report_html",
    "RULES", "Assignment", "Lead", "assign", "lead_microgrid", "raise_hand",
    "CHANNELS", "simulate_day", "simulate_days",
    "NEEDS_REASON", "TALLIED", "TRANSITIONS", "Action", "Event", "IncidentState", "Status", "Workflow",
    "parse_action",
]
