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
raise-hand counts are those recorded by the period's as-of moment instead of
the final counters.

Definitions (数字城管 / 网格化 indicators, by period)
----------------------------------------------------
A period is ``[start, end)``; every count is taken **as of** the period end,
or as of now for a period that has not ended (``as_of`` caps it).

========================  =====================================================
reported (上报数)          reported within the period
accepted (立案数)          reported within the period and accepted (status not
                           ``reported`` or ``rejected``)
closed (结案数)            closed within the period (by the as-of moment)
closure_rate (结案率)      closed / accepted
due (应结案数)             accepted incidents whose deadline falls within the
                           period and has passed as of its end (now if open)
on_time_rate (按期结案率,  due incidents closed by the as-of moment with the
网格派单及时办结率)         work completed by the deadline / due
open_overdue (超期未结)    due incidents not closed by the as-of moment
extension_rate (延期率)    due incidents extended at least once / due
rework_rate (返工率)       closed incidents reworked at least once / closed
complaints_per_1000        incidents reported within the period from the 12345
(每千人投诉率)              channel / population × 1000
satisfaction_mean          mean of the 1-5 ratings of incidents closed within
                           the period (满意度)
========================  =====================================================

The output says which definition it used (column ``definition``, and
``period_start``, ``period_end``, ``as_of``). A rate with a zero denominator
is ``NaN`` (not 0 or 100 %).

Population per area (:func:`population_by_area`) splits each residential
compound over the microgrids that hold its buildings, in proportion to those
buildings' households, instead of giving a whole compound to one microgrid.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputError
from .workflow import TALLIED, Action, IncidentState

__all__ = ["incident_metrics", "states_frame", "events_frame", "population_by_area",
           "COMPLAINT_CHANNEL", "METRIC_COLUMNS", "DEFINITION"]

#: Channel whose reports count as hotline complaints.
COMPLAINT_CHANNEL = "12345"

#: what the rates mean, as the output states it (see the module docstring)
DEFINITION = (
    "按期结案率=期内到期且按时办结并已结案÷期内到期；延期率=期内到期中曾延期÷期内到期；"
    "返工率=期内结案中曾返工÷期内结案；均截至期末（未结束的期间截至当前） / "
    "on_time_rate = due in the period, closed, work completed by the deadline ÷ due in the "
    "period; extension_rate = due and extended ÷ due; rework_rate = closed in the period and "
    "reworked ÷ closed in the period; all as of the period end (now for an open period)")

METRIC_COLUMNS = (
    "reported", "accepted", "rejected", "closed", "closed_on_time", "due", "open_overdue",
    "reworked", "extended", "raised_hands", "complaints_12345", "population",
    "closure_rate", "on_time_rate", "rework_rate", "extension_rate", "complaints_per_1000",
    "satisfaction_mean", "satisfaction_n", "period_start", "period_end", "as_of", "definition",
)
_COUNTS = ("reported", "accepted", "rejected", "closed", "closed_on_time", "due", "open_overdue",
           "reworked", "extended", "raised_hands", "complaints_12345", "satisfaction_n")
_LOCAL = "Asia/Shanghai"


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

        cols = [name for f in fields(IncidentState) if f.name != "assignment"
                for name in (TALLIED.values() if f.name == "tallies" else (f.name,))]
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
        ts = ts.tz_localize(_LOCAL)
    return ts.tz_convert("UTC")


def _iso(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None or ts in (_MIN, _MAX) else ts.tz_convert(_LOCAL).isoformat()


_MIN, _MAX = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")


def _counter(df: pd.DataFrame, events: pd.DataFrame | None, action: Action,
             at: pd.Timestamp) -> np.ndarray:
    """Per incident: how many ``action`` events happened by ``at`` (or the final count)."""
    col = TALLIED[action]
    if events is not None and len(events):
        e = events.loc[(events["action"] == action.value)
                       & (pd.to_datetime(events["at"], utc=True, format="ISO8601") <= at)]
        per = e.groupby(e["incident_id"].astype(str)).size()
        return df["id"].astype(str).map(per).fillna(0).to_numpy()
    if col in df.columns:
        return pd.to_numeric(df[col], errors="coerce").fillna(0).to_numpy()
    return np.zeros(len(df))


def _between(t: pd.Series, lo: pd.Timestamp, hi: pd.Timestamp, at: pd.Timestamp) -> np.ndarray:
    return ((t >= lo) & (t < hi) & (t <= at)).fillna(False).to_numpy(bool)


def _period_flags(df: pd.DataFrame, events: pd.DataFrame | None, lo: pd.Timestamp,
                  hi: pd.Timestamp, at: pd.Timestamp) -> pd.DataFrame:
    """One row per incident: what it counts for in the period ``[lo, hi)`` as of ``at``."""
    status = df["status"].astype(str)
    closed_t = df["_closed"]
    accepted = ~status.isin(["reported", "rejected"]).to_numpy()
    in_period = _between(df["_reported"], lo, hi, at)
    closed_in = _between(closed_t, lo, hi, at)
    closed_by = (closed_t <= at).fillna(False).to_numpy(bool)
    due = accepted & _between(df["_deadline"], lo, hi, at)
    in_limit = (df["_completed"] <= df["_deadline"]).fillna(False).to_numpy(bool)
    channel = df["channel"].astype(str) if "channel" in df.columns else pd.Series("", index=df.index)
    sat = pd.to_numeric(df["satisfaction"], errors="coerce") if "satisfaction" in df.columns \
        else pd.Series(np.nan, index=df.index)
    sat = sat.where(closed_in)
    return pd.DataFrame({
        "reported": in_period, "accepted": in_period & accepted,
        "rejected": in_period & (status == "rejected").to_numpy(),
        "closed": closed_in, "closed_on_time": due & closed_by & in_limit, "due": due,
        "open_overdue": due & ~closed_by,
        "reworked": closed_in & (_counter(df, events, Action.REWORK, at) > 0),
        "extended": due & (_counter(df, events, Action.EXTEND, at) > 0),
        "raised_hands": in_period & (_counter(df, events, Action.RAISE_HAND, at) > 0),
        "complaints_12345": in_period & (channel == COMPLAINT_CHANNEL).to_numpy(),
        "_sat_sum": sat.fillna(0).to_numpy(), "satisfaction_n": sat.notna().to_numpy(),
    }, index=df.index).astype(float)


def _periods(df: pd.DataFrame, freq: str | None, start: Any, end: Any, cap: pd.Timestamp
             ) -> list[tuple[str | None, pd.Timestamp, pd.Timestamp]]:
    """(label, start, end) of each period to report, in UTC; one open period without ``freq``."""
    lo = _as_utc(start) if start is not None else _MIN
    hi = _as_utc(end) if end is not None else _MAX
    if not freq:
        return [(None, lo, hi)]
    stamps = pd.concat([df["_reported"], df["_deadline"], df["_closed"]]).dropna()
    stamps = stamps[(stamps >= lo) & (stamps < hi) & (stamps <= cap)]
    if stamps.empty:
        return []
    local = stamps.dt.tz_convert(_LOCAL).dt.tz_localize(None)
    out = []
    for period in pd.period_range(local.min(), local.max(), freq=freq):
        p_lo = max(lo, period.start_time.tz_localize(_LOCAL).tz_convert("UTC"))
        p_hi = min(hi, (period + 1).start_time.tz_localize(_LOCAL).tz_convert("UTC"))
        out.append((str(period), p_lo, p_hi))
    return out


def incident_metrics(incidents: pd.DataFrame, events: pd.DataFrame | None = None, *,
                     by: str | Sequence[str] = "microgrid", freq: str | None = None,
                     start: Any = None, end: Any = None, as_of: Any = None,
                     population: Mapping[Any, float] | pd.Series | None = None) -> pd.DataFrame:
    """Indicators per group, for the period ``[start, end)`` or per ``freq`` period within it
    (``"M"``, ``"Q"``, ``"Y"``...), by the definitions in the module docstring.

    Each period is counted as of its end, or as of now while it has not ended;
    ``as_of`` caps that moment (e.g. to reproduce a report as it stood).
    ``population`` maps a group key (the value of the first ``by`` column) to its
    residents. Naive datetimes are read as Beijing time. Returns one row per
    group (and period) with the columns in :data:`METRIC_COLUMNS`; groups with
    nothing reported, due or closed in a period are left out.
    """
    keys = [by] if isinstance(by, str) else list(by)
    missing = sorted((set(keys) | {"id", "status", "reported_at"}) - set(incidents.columns))
    if missing:
        raise InputError(f"incidents is missing column(s) {missing}.", field="incidents",
                         value=missing, fix="Build the frame with states_frame(...) or add the columns.")
    df = incidents.copy()
    for col, name in (("_reported", "reported_at"), ("_deadline", "deadline"),
                      ("_completed", "completed_at"), ("_closed", "closed_at")):
        df[col] = _times(df, name)
    if "closed_at" not in incidents.columns:  # older frames: closure = completion of closed rows
        df["_closed"] = df["_completed"].where(df["status"].astype(str) == "closed")
    now = pd.Timestamp.now(tz="UTC")
    cap = min(now, _as_utc(as_of)) if as_of is not None else now
    parts = []
    for label, lo, hi in _periods(df, freq, start, end, cap):
        at = min(hi, cap)
        flags = _period_flags(df, events, lo, hi, at)
        groups = [df[k] for k in keys] + ([pd.Series(label, index=df.index, name="period")]
                                          if freq else [])
        agg = flags.groupby(groups, dropna=False, sort=True).sum()
        agg = agg.loc[agg[["reported", "due", "closed"]].sum(axis=1) > 0]
        agg["period_start"], agg["period_end"], agg["as_of"] = _iso(lo), _iso(hi), _iso(at)
        parts.append(agg)
    if not parts or all(p.empty for p in parts):
        return _empty(keys, freq)
    agg = pd.concat([p for p in parts if not p.empty]).sort_index()
    agg[list(_COUNTS)] = agg[list(_COUNTS)].astype(int)
    return _rates(agg, population)


def _empty(keys: list[str], freq: str | None) -> pd.DataFrame:
    names = keys + (["period"] if freq else [])
    out = pd.DataFrame(columns=list(METRIC_COLUMNS))
    out.index = pd.MultiIndex.from_arrays([[]] * len(names), names=names) if len(names) > 1 \
        else pd.Index([], name=names[0])
    return out


def _rates(agg: pd.DataFrame, population) -> pd.DataFrame:
    first = agg.index.get_level_values(0) if isinstance(agg.index, pd.MultiIndex) else agg.index
    if population is not None:
        pop = pd.Series(population, dtype=float)
        agg["population"] = pd.Series(first, index=agg.index).map(pop).to_numpy()
    else:
        agg["population"] = np.nan

    def ratio(num, den):
        den = agg[den].astype(float)
        return (agg[num].astype(float) / den).where(den > 0)

    agg["closure_rate"] = ratio("closed", "accepted")
    agg["on_time_rate"] = ratio("closed_on_time", "due")
    agg["rework_rate"] = ratio("reworked", "closed")
    agg["extension_rate"] = ratio("extended", "due")
    agg["complaints_per_1000"] = (agg["complaints_12345"] / agg["population"] * 1000).where(
        agg["population"] > 0)
    agg["satisfaction_mean"] = (agg["_sat_sum"] / agg["satisfaction_n"]).where(
        agg["satisfaction_n"] > 0)
    agg["definition"] = DEFINITION
    return agg[list(METRIC_COLUMNS)]


def _compound_of(buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame) -> pd.Series:
    """Compound id per building: its ``compound_id``, else the compound its point lies in."""
    given = buildings["compound_id"] if "compound_id" in buildings.columns \
        else pd.Series(None, index=buildings.index, dtype=object)
    todo = buildings.loc[given.isna()]
    polys = compounds.loc[compounds.geom_type.isin(["Polygon", "MultiPolygon"]),
                          ["id", "geometry"]].reset_index(drop=True)
    if len(todo) and len(polys):
        pts = gpd.GeoDataFrame({"_b": todo.index}, geometry=todo.geometry.representative_point().values,
                               crs=buildings.crs)
        hit = gpd.sjoin(pts, polys, predicate="within", how="inner").drop_duplicates("_b")
        given = given.copy()
        given.loc[hit["_b"].to_numpy()] = hit["id"].to_numpy()
    return given


def population_by_area(objects: gpd.GeoDataFrame, membership: pd.Series,
                       areas: gpd.GeoDataFrame | None = None) -> pd.Series:
    """Residents per area, with compounds split by the households of their buildings.

    ``membership`` maps object id → area id (the microgrid holding it);
    ``areas`` (``id``, polygons) lets a compound with no household-bearing
    building be split by the share of its ground in each area instead. A
    compound's own population, when it has one, is what gets split, and its
    buildings' own figures are then not added again; buildings outside any
    populated compound, and other objects, count for the area holding them.
    Returns a Series indexed by area id (areas without residents are absent).

    >>> import shapely
    >>> objs = gpd.GeoDataFrame({"id": ["c", "b1", "b2"], "type": ["compound", "building",
    ...     "building"], "households": [0, 10, 30], "population": [200, 0, 0]},
    ...     geometry=[shapely.box(0, 0, 2, 1), shapely.box(0.1, 0.1, 0.4, 0.4),
    ...               shapely.box(1.1, 0.1, 1.4, 0.4)], crs="EPSG:4490")
    >>> population_by_area(objs, pd.Series({"c": "A", "b1": "A", "b2": "B"})).to_dict()
    {'A': 50.0, 'B': 150.0}
    """
    objs = objects.set_index(objects["id"].astype(str).rename(None), drop=False)
    unit = membership.copy()
    unit.index = unit.index.astype(str)
    pop = pd.to_numeric(objs["population"], errors="coerce").fillna(0.0)
    hh = pd.to_numeric(objs.get("households", pd.Series(0.0, index=objs.index)),
                       errors="coerce").fillna(0.0)
    kind = objs["type"].astype(str)
    compounds = objs.loc[(kind == "compound") & (pop > 0)]
    buildings = objs.loc[kind == "building"]
    home = _compound_of(buildings, compounds) if len(compounds) else \
        pd.Series(None, index=buildings.index, dtype=object)
    inside = home.isin(compounds.index)
    parts = [pop.loc[~objs.index.isin(compounds.index) & ~objs.index.isin(inside[inside].index)]
             .groupby(unit.reindex(objs.index)).sum()]
    for cid in compounds.index:
        mine = home.index[home == cid]
        weights = hh.reindex(mine).groupby(unit.reindex(mine)).sum()
        weights = weights[weights > 0]
        if weights.empty and areas is not None:
            weights = _ground_share(compounds.loc[[cid]], areas)
        if weights.empty:
            weights = pd.Series({unit.get(cid): 1.0}).dropna()
        parts.append(pop[cid] * weights / weights.sum())
    out = pd.concat(parts).groupby(level=0).sum()
    return out[out > 0].astype(float)


def _ground_share(compound: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.Series:
    """Area of ``compound`` inside each of ``areas``, in a local metric CRS."""
    from ..crs import metric_crs

    crs = metric_crs(compound)
    shape = compound.to_crs(crs).geometry.iloc[0]
    local = areas.to_crs(crs)
    cut = local.geometry.intersection(shape).area
    return pd.Series(cut.to_numpy(), index=local["id"].astype(str).to_numpy())[lambda s: s > 0]
