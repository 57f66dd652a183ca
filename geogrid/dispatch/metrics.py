"""Dispatch performance indicators per microgrid, grid or street and period.

Input frames
------------
``incidents``: one row per incident, as :meth:`IncidentState.to_dict` gives
(or :func:`states_frame` builds): ``id``, the grouping column(s) (e.g.
``microgrid``, ``grid``, ``street``), ``channel``, ``status``,
``reported_at``, ``deadline``, ``completed_at``, ``closed_at``,
``satisfaction`` and optionally the counters ``reworks``, ``extensions``,
``raised_hands``.

``events`` (optional): one row per event (:meth:`Event.to_dict`):
``incident_id``, ``action``, ``at``. When given, the rework, extension and
raise-hand counts come from the events instead of the counters.

Definitions (数字城管 / 网格化 indicators)
------------------------------------------
========================  =====================================================
accepted (立案数)          incidents past acceptance: status not ``reported``
                           or ``rejected``
closure_rate (结案率)      closed / accepted
due (应结案数)             accepted incidents that are closed, or whose
                           deadline has passed at ``as_of``
on_time_rate (按期结案率,  closed with ``completed_at <= deadline`` / due
网格派单及时办结率)
rework_rate (返工率)       closed incidents reworked at least once / closed
extension_rate (延期率)    incidents extended at least once / accepted
complaints_per_1000        incidents from the 12345 channel / population
(每千人投诉率)              × 1000
satisfaction_mean          mean of the 1-5 ratings given (满意度)
========================  =====================================================

A rate with a zero denominator is ``NaN`` (not 0 or 100 %).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .._errors import InputError

__all__ = ["incident_metrics", "states_frame", "events_frame", "COMPLAINT_CHANNEL", "METRIC_COLUMNS"]

#: Channel whose reports count as hotline complaints.
COMPLAINT_CHANNEL = "12345"

METRIC_COLUMNS = (
    "reported", "accepted", "rejected", "closed", "closed_on_time", "due", "open_overdue",
    "reworked", "extended", "raised_hands", "complaints_12345", "population",
    "closure_rate", "on_time_rate", "rework_rate", "extension_rate", "complaints_per_1000",
    "satisfaction_mean", "satisfaction_n",
)


def states_frame(states: Iterable[Any]) -> pd.DataFrame:
    """A DataFrame of incident states (objects with ``to_dict`` or plain dicts).

    ``assignment`` is flattened into ``handler_kind``, ``handler`` and ``unit``.
    """
    rows = []
    for s in states:
        d = dict(s.to_dict() if hasattr(s, "to_dict") else s)
        a = d.pop("assignment", None) or {}
        d["handler_kind"], d["handler"], d["unit"] = a.get("handler_kind"), a.get("handler"), a.get("unit")
        rows.append(d)
    if not rows:  # keep the columns, so grouping an empty period still works
        from dataclasses import fields

        from .workflow import IncidentState

        cols = [f.name for f in fields(IncidentState) if f.name != "assignment"]
        return pd.DataFrame(columns=[*cols, "on_time", "handler_kind", "handler", "unit"])
    return pd.DataFrame(rows)


def events_frame(events: Iterable[Any]) -> pd.DataFrame:
    """A DataFrame of events (objects with ``to_dict`` or plain dicts)."""
    return pd.DataFrame([e.to_dict() if hasattr(e, "to_dict") else dict(e) for e in events],
                        columns=["incident_id", "seq", "action", "actor", "at", "from_status",
                                 "to_status", "reason", "data"])


def _times(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(frame[col], utc=True, format="ISO8601")


def _as_utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("Asia/Shanghai")
    return ts.tz_convert("UTC")


def _counts_from_events(events: pd.DataFrame, action: str) -> pd.Series:
    e = events.loc[events["action"] == action]
    return e.groupby(e["incident_id"].astype(str)).size()


def incident_metrics(incidents: pd.DataFrame, events: pd.DataFrame | None = None, *,
                     by: str | Sequence[str] = "microgrid", freq: str | None = None,
                     start: Any = None, end: Any = None, as_of: Any = None,
                     population: Mapping[Any, float] | pd.Series | None = None) -> pd.DataFrame:
    """Indicators per group (and per period with ``freq``, e.g. ``"M"``, ``"Q"``, ``"Y"``).

    Incidents are selected by ``reported_at`` in ``[start, end)`` and grouped
    by ``by`` (one column or several). ``population`` maps a group key
    (the value of the first ``by`` column) to its residents. ``as_of`` decides
    which open incidents are already due; by default the latest timestamp in
    the data. Naive datetimes are read as Beijing time.

    Returns one row per group with the columns in :data:`METRIC_COLUMNS`
    (see the module docstring for definitions).
    """
    keys = [by] if isinstance(by, str) else list(by)
    need = set(keys) | {"id", "status", "reported_at"}
    missing = sorted(need - set(incidents.columns))
    if missing:
        raise InputError(f"incidents is missing column(s) {missing}.", field="incidents", value=missing,
                         fix="Build the frame with states_frame(...) or add the columns.")
    df = incidents.copy()
    df["_reported"] = _times(df, "reported_at")
    if start is not None:
        df = df.loc[df["_reported"] >= _as_utc(start)]
    if end is not None:
        df = df.loc[df["_reported"] < _as_utc(end)]
    deadline, completed = _times(df, "deadline"), _times(df, "completed_at")
    if as_of is None:
        stamps = pd.concat([df["_reported"], completed, _times(df, "closed_at")])
        as_of_ts = stamps.max() if len(stamps.dropna()) else pd.Timestamp.now(tz="UTC")
    else:
        as_of_ts = _as_utc(as_of)

    ids = df["id"].astype(str)
    counts = {}
    for name, action, col in (("reworks", "rework", "reworks"), ("extensions", "extend", "extensions"),
                              ("raised", "raise_hand", "raised_hands")):
        if events is not None and len(events):
            counts[name] = ids.map(_counts_from_events(events, action)).fillna(0).to_numpy()
        elif col in df.columns:
            counts[name] = pd.to_numeric(df[col], errors="coerce").fillna(0).to_numpy()
        else:
            counts[name] = np.zeros(len(df))

    status = df["status"].astype(str)
    closed = (status == "closed").to_numpy()
    accepted = (~status.isin(["reported", "rejected"])).to_numpy()
    on_time = closed & (completed <= deadline).fillna(False).to_numpy()
    passed = (deadline <= as_of_ts).fillna(False).to_numpy()
    channel = df["channel"].astype(str) if "channel" in df.columns else pd.Series("", index=df.index)
    sat = pd.to_numeric(df["satisfaction"], errors="coerce") if "satisfaction" in df.columns \
        else pd.Series(np.nan, index=df.index)
    flags = pd.DataFrame({
        "reported": 1, "accepted": accepted, "rejected": (status == "rejected").to_numpy(),
        "closed": closed, "closed_on_time": on_time, "due": accepted & (closed | passed),
        "open_overdue": accepted & ~closed & passed & ~completed.notna().to_numpy(),
        "reworked": closed & (counts["reworks"] > 0), "extended": accepted & (counts["extensions"] > 0),
        "raised_hands": counts["raised"] > 0,
        "complaints_12345": (channel == COMPLAINT_CHANNEL).to_numpy(),
        "_sat_sum": sat.fillna(0).to_numpy(), "satisfaction_n": sat.notna().to_numpy(),
    }, index=df.index).astype(float)
    group_cols = [df[k] for k in keys]
    if freq:
        local = df["_reported"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        group_cols.append(local.dt.to_period(freq).astype(str).rename("period"))
    if len(df) == 0:
        out = pd.DataFrame(columns=list(METRIC_COLUMNS))
        out.index = pd.MultiIndex.from_arrays([[]] * len(group_cols),
                                              names=[c.name for c in group_cols]) \
            if len(group_cols) > 1 else pd.Index([], name=group_cols[0].name)
        return out
    agg = flags.groupby(group_cols, dropna=False, sort=True).sum()
    counts_cols = [c for c in agg.columns if not c.startswith("_")]
    agg[counts_cols] = agg[counts_cols].astype(int)

    first = agg.index.get_level_values(0) if isinstance(agg.index, pd.MultiIndex) else agg.index
    if population is not None:
        pop = pd.Series(population, dtype=float)
        agg["population"] = pd.Series(first, index=agg.index).map(pop).to_numpy()
    else:
        agg["population"] = np.nan

    def ratio(num, den):
        num = agg[num].astype(float)
        den = agg[den].astype(float) if isinstance(den, str) else den
        return (num / den).where(den > 0)

    agg["closure_rate"] = ratio("closed", "accepted")
    agg["on_time_rate"] = ratio("closed_on_time", "due")
    agg["rework_rate"] = ratio("reworked", "closed")
    agg["extension_rate"] = ratio("extended", "accepted")
    agg["complaints_per_1000"] = (agg["complaints_12345"] / agg["population"] * 1000).where(
        agg["population"] > 0)
    agg["satisfaction_mean"] = (agg["_sat_sum"] / agg["satisfaction_n"]).where(agg["satisfaction_n"] > 0)
    return agg[list(METRIC_COLUMNS)]
