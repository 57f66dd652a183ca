"""The yearly microgrid report (微网格民情报告), as a JSON-able dict and as HTML.

A microgrid's year in one page: population change, visits to key
populations (重点人群探访), incidents handled (by category, channel and
month, with the standard indicators of :mod:`geogrid.dispatch.metrics`) and
the outcomes of raising hands to departments (举手).

:func:`microgrid_report` returns plain Python types only (no numpy scalars,
``None`` instead of NaN), so ``json.dumps`` works on it directly.
:func:`report_html` escapes every string taken from the data.
"""

from __future__ import annotations

import html
import math
from datetime import date
from typing import Any, Mapping

import pandas as pd

from .._errors import InputError
from .catalogue import Catalogue
from .metrics import incident_metrics

__all__ = ["microgrid_report", "report_html"]


def _clean(value: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, NaN to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _visits(visits: Any, microgrid: Any, year: int) -> dict[str, Any]:
    if visits is None:
        return {"planned": None, "done": None, "rate": None}
    if isinstance(visits, Mapping):
        planned, done = visits.get("planned"), visits.get("done")
    else:
        v = visits
        if "microgrid" in v.columns:
            v = v.loc[v["microgrid"].astype(str) == str(microgrid)]
        if "at" in v.columns:
            at = pd.to_datetime(v["at"], utc=True, format="ISO8601").dt.tz_convert("Asia/Shanghai")
            v = v.loc[at.dt.year == year]
        planned = len(v)
        done = int(v["done"].astype(bool).sum()) if "done" in v.columns else planned
    rate = done / planned if planned else None
    return {"planned": planned, "done": done, "rate": rate}


def microgrid_report(incidents: pd.DataFrame, events: pd.DataFrame | None = None, *,
                     microgrid: Any, year: int, name: str | None = None, by: str = "microgrid",
                     population_start: float | None = None, population_end: float | None = None,
                     visits: pd.DataFrame | Mapping[str, int] | None = None,
                     catalogue: Catalogue | None = None, notes: list[str] | None = None,
                     as_of: Any = None) -> dict[str, Any]:
    """The 民情报告 of one microgrid for one calendar year (Beijing time).

    ``visits`` is a frame of planned key-population visits (``microgrid``,
    ``at``, ``done``) or a ``{"planned": n, "done": m}`` mapping. ``notes``
    carries caveats (e.g. "population is estimated") into the report.
    Indicators are counted as of the end of the year, or as of now for the
    current year; ``as_of`` caps that moment (see :mod:`.metrics`).
    """
    if not isinstance(year, int) or not 1900 < year < 3000:
        raise InputError(f"year must be a calendar year, got {year!r}.", field="year", value=year,
                         fix="Pass e.g. year=2026.")
    if by not in incidents.columns:
        raise InputError(f"incidents has no column {by!r}.", field="by", value=list(incidents.columns),
                         fix="Pass by=<the column holding the microgrid id>.")
    start, end = date(year, 1, 1).isoformat(), date(year + 1, 1, 1).isoformat()
    mine = incidents.loc[incidents[by].astype(str) == str(microgrid)]
    ids = set(mine["id"].astype(str))
    ev = events.loc[events["incident_id"].astype(str).isin(ids)] if events is not None else None
    pop = population_end if population_end is not None else population_start
    pop_map = {microgrid: pop} if pop else None
    m = incident_metrics(mine, ev, by=by, start=start, end=end, population=pop_map,
                         as_of=as_of)  # as of the year's end, or now for the current year
    summary = {k: _clean(m.iloc[0][k]) for k in m.columns} if len(m) else {}

    reported = pd.to_datetime(mine["reported_at"], utc=True, format="ISO8601").dt.tz_convert("Asia/Shanghai")
    inyear = mine.loc[(reported.dt.year == year).to_numpy()]
    rep_y = reported.loc[inyear.index]
    closed = inyear["status"].astype(str) == "closed"

    by_category = []
    for code, grp in inyear.groupby(inyear["category"].astype(str), sort=True):
        cat = catalogue.find(code) if catalogue is not None else None
        by_category.append({"category": code, "name": cat.name if cat else code, "count": len(grp),
                            "closed": int((grp["status"].astype(str) == "closed").sum())})
    by_category.sort(key=lambda r: (-r["count"], r["category"]))
    by_channel = {str(k): int(v) for k, v in inyear.get("channel", pd.Series(dtype=str))
                  .astype(str).value_counts().sort_index().items()}
    months = rep_y.dt.month
    by_month = [{"month": f"{year}-{mm:02d}", "reported": int((months == mm).sum()),
                 "closed": int(((months == mm) & closed).sum())} for mm in range(1, 13)]

    raise_hand = _raise_hands(ev, inyear)

    change = (population_end - population_start) if None not in (population_start, population_end) else None
    report = {
        "title": f"{name or microgrid} {year}年民情报告",
        "microgrid": {"id": microgrid, "name": name}, "year": year,
        "population": {"start": population_start, "end": population_end, "change": change,
                       "change_rate": (change / population_start) if change is not None and population_start
                       else None},
        "visits": _visits(visits, microgrid, year),
        "incidents": {**summary, "by_category": by_category, "by_channel": by_channel,
                      "by_month": by_month},
        "raise_hand": raise_hand,
        "notes": list(notes or []),
    }
    return _clean(report)


def _raise_hands(ev: pd.DataFrame | None, inyear: pd.DataFrame) -> dict[str, Any]:
    """Raise-hand (吹哨) outcomes of the year's incidents, per department."""
    hands: list[dict[str, Any]] = []
    if ev is not None and len(ev):
        rh = ev.loc[ev["action"] == "raise_hand"]
        status_of = dict(zip(inyear["id"].astype(str), inyear["status"].astype(str)))
        on_time_of = {}
        if {"completed_at", "deadline"} <= set(inyear.columns):
            comp = pd.to_datetime(inyear["completed_at"], utc=True, format="ISO8601")
            dl = pd.to_datetime(inyear["deadline"], utc=True, format="ISO8601")
            on_time_of = dict(zip(inyear["id"].astype(str), (comp <= dl).fillna(False)))
        for _, row in rh.iterrows():
            iid = str(row["incident_id"])
            if iid not in status_of:
                continue
            data = row["data"] if isinstance(row.get("data"), Mapping) else {}
            hands.append({"incident_id": iid, "department": data.get("department"),
                          "closed": status_of[iid] == "closed", "on_time": bool(on_time_of.get(iid, False))})
    depts: dict[str, dict[str, int]] = {}
    for h in hands:
        d = depts.setdefault(str(h["department"]), {"count": 0, "closed": 0})
        d["count"] += 1
        d["closed"] += int(h["closed"])
    raise_hand = {"count": len(hands), "closed": sum(h["closed"] for h in hands),
                  "resolution_rate": (sum(h["closed"] for h in hands) / len(hands)) if hands else None,
                  "by_department": [{"department": k, **v} for k, v in sorted(depts.items())]}
    return raise_hand


_LABELS = {
    "reported": "上报", "accepted": "立案", "closed": "结案", "closure_rate": "结案率",
    "on_time_rate": "按期结案率", "rework_rate": "返工率", "extension_rate": "延期率",
    "complaints_12345": "12345 投诉", "complaints_per_1000": "每千人投诉率",
    "satisfaction_mean": "满意度（1-5）",
}
_RATES = {"closure_rate", "on_time_rate", "rework_rate", "extension_rate"}


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key in _RATES or key in ("rate", "change_rate", "resolution_rate"):
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    return html.escape(str(value))


def report_html(report: Mapping[str, Any]) -> str:
    """A self-contained HTML page for a :func:`microgrid_report` dict; every string is escaped."""
    e = html.escape
    inc = report.get("incidents", {})
    pop = report.get("population", {})
    vis = report.get("visits", {})
    rh = report.get("raise_hand", {})
    rows = "".join(f"<tr><th>{e(label)}</th><td>{_fmt(k, inc.get(k))}</td></tr>"
                   for k, label in _LABELS.items())
    cats = "".join(f"<tr><td>{e(str(c['name']))}</td><td>{e(str(c['category']))}</td>"
                   f"<td>{c['count']}</td><td>{c['closed']}</td></tr>" for c in inc.get("by_category", []))
    chans = "".join(f"<tr><td>{e(str(k))}</td><td>{v}</td></tr>" for k, v in inc.get("by_channel", {}).items())
    months = "".join(f"<tr><td>{e(str(m['month']))}</td><td>{m['reported']}</td><td>{m['closed']}</td></tr>"
                     for m in inc.get("by_month", []))
    depts = "".join(f"<tr><td>{e(str(d['department']))}</td><td>{d['count']}</td><td>{d['closed']}</td></tr>"
                    for d in rh.get("by_department", []))
    notes = "".join(f"<li>{e(str(n))}</li>" for n in report.get("notes", []))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(str(report.get("title", "")))}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse;margin:.5em 0 1.5em}}
th,td{{border:1px solid #ccc;padding:.25em .6em;text-align:left}}</style></head>
<body>
<h1>{e(str(report.get("title", "")))}</h1>
<h2>人口</h2>
<table><tr><th>年初</th><td>{_fmt("start", pop.get("start"))}</td></tr>
<tr><th>年末</th><td>{_fmt("end", pop.get("end"))}</td></tr>
<tr><th>变化</th><td>{_fmt("change", pop.get("change"))} ({_fmt("change_rate", pop.get("change_rate"))})</td></tr></table>
<h2>重点人群探访</h2>
<table><tr><th>应访</th><td>{_fmt("planned", vis.get("planned"))}</td></tr>
<tr><th>已访</th><td>{_fmt("done", vis.get("done"))}</td></tr>
<tr><th>探访率</th><td>{_fmt("rate", vis.get("rate"))}</td></tr></table>
<h2>事件处置</h2>
<table>{rows}</table>
<h3>按类别</h3>
<table><tr><th>类别</th><th>代码</th><th>上报</th><th>结案</th></tr>{cats}</table>
<h3>按渠道</h3>
<table><tr><th>渠道</th><th>上报</th></tr>{chans}</table>
<h3>按月</h3>
<table><tr><th>月份</th><th>上报</th><th>结案</th></tr>{months}</table>
<h2>举手</h2>
<table><tr><th>次数</th><td>{_fmt("count", rh.get("count"))}</td></tr>
<tr><th>已结案</th><td>{_fmt("closed", rh.get("closed"))}</td></tr>
<tr><th>解决率</th><td>{_fmt("resolution_rate", rh.get("resolution_rate"))}</td></tr></table>
<table><tr><th>部门</th><th>次数</th><th>已结案</th></tr>{depts}</table>
{f"<h2>说明</h2><ul>{notes}</ul>" if notes else ""}
</body></html>
"""
