"""A simulated day on a street, run end to end through the real intake and loop.

Reports come from :func:`geogrid.dispatch.simulate_day` (weighted by
population, datum-tagged: some GCJ-02 as from WeChat); each goes through
:class:`~geogrid.services.incidents.IncidentService` exactly as an API call
would, then moves through the loop with plausible timings (start within the
hour, completion within hours, some rework, some late), so every table and
metric is exercised. The result says how many landed in the microgrid that
contains their true position, and whether any was lost or duplicated.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .._errors import NotFoundError
from ..datum import to_storage
from ..dispatch import incident_metrics, simulate_day
from ..locator import PlanLocator
from ..store import Store
from .incidents import IncidentService, Intake

__all__ = ["run_day"]


def run_day(store: Store, day: date, *, n: int | None = None, seed: int = 0,
            progress: Callable[[int, int], None] | None = None) -> dict:
    plan = store.active_plan()
    if plan is None:
        raise NotFoundError("没有已启用的方案。there is no active plan.", field="plan",
                            fix="先加载演示数据 (geogrid demo)。Load the demo first (geogrid demo).")
    plan_id = int(plan["id"])
    locator = PlanLocator(store.areas(plan_id))
    objects = store.objects()
    reports = simulate_day(objects, day, seed=seed, n=n)
    svc = IncidentService(store)
    rng = np.random.default_rng(seed)
    uids, located_right, total = [], 0, len(reports)
    # where each report says it is (converted from its own datum), and where it really was
    said = np.empty((len(reports), 2))
    for datum, idx in reports.groupby("datum").indices.items():
        x, y = to_storage(reports["lon"].to_numpy(float)[idx], reports["lat"].to_numpy(float)[idx],
                          datum)
        said[idx, 0], said[idx, 1] = x, y
    expected = locator.locate_many(said[:, 0], said[:, 1], snap_m=50)
    truth = locator.locate_many(reports["true_lon"].to_numpy(float),
                                reports["true_lat"].to_numpy(float), snap_m=50)
    leaf_col = truth.columns[0]
    at_true_place = 0
    for i, r in enumerate(reports.itertuples(index=False)):
        row, _ = svc.intake(Intake(category=r.category, lon=float(r.lon), lat=float(r.lat),
                                   datum=r.datum, channel=str(r.channel),
                                   description=r.description, reported_at=r.reported_at,
                                   idempotency_key=f"sim-{day.isoformat()}-{seed}-{r.id}"),
                            actor=f"sim:{r.channel}", locator=locator, plan_id=plan_id,
                            snap_m=50)
        uids.append(row["uid"])
        located_right += int(row["microgrid_uid"] == expected[leaf_col].iat[i])
        at_true_place += int(row["microgrid_uid"] == truth[leaf_col].iat[i])
        _advance(svc, row, pd.Timestamp(r.reported_at).to_pydatetime(), rng)
        if progress:
            progress(i + 1, total)
    stored = store.incidents.count_keys_like(f"sim-{day.isoformat()}-{seed}-%")
    inc, ev = svc.frames(since=pd.Timestamp(day).tz_localize("Asia/Shanghai").to_pydatetime(),
                         until=(pd.Timestamp(day) + pd.Timedelta(days=1)).tz_localize(
                             "Asia/Shanghai").to_pydatetime())
    by_grid = incident_metrics(inc, ev, by="grid") if len(inc) else pd.DataFrame()
    return {"day": day.isoformat(), "reports": total, "stored": int(stored),
            "unique_incidents": len(set(uids)), "lost": total - len(set(uids)),
            "duplicated": int(stored) - len(set(uids)),
            "in_reported_microgrid": located_right,
            "in_reported_microgrid_share": located_right / total if total else 1.0,
            # reports carry GPS / hotline position errors (5-30 m): some land next door
            "in_true_microgrid_share": at_true_place / total if total else 1.0,
            "metrics_by_grid": by_grid.reset_index().to_dict("records") if len(by_grid) else []}


def _advance(svc: IncidentService, row: dict, at, rng) -> None:
    """Walk one incident through the loop with plausible times (some late, some reworked)."""
    if row["status"] != "dispatched":
        return
    uid = row["uid"]
    t = at + timedelta(minutes=float(rng.uniform(5, 60)))
    svc.transition(uid, "start", actor="网格员", at=t)
    if rng.random() < 0.15:
        return  # still being handled at the end of the day
    t += timedelta(hours=float(rng.exponential(2.0)))
    svc.transition(uid, "complete", actor="网格员", at=t)
    if rng.random() < 0.1:
        t += timedelta(minutes=30)
        svc.transition(uid, "rework", actor="核查员", at=t, reason="现场复核未通过")
        t += timedelta(hours=1)
        svc.transition(uid, "complete", actor="网格员", at=t)
    t += timedelta(minutes=20)
    svc.transition(uid, "approve", actor="核查员", at=t)
    t += timedelta(minutes=10)
    svc.transition(uid, "evaluate", actor="评价员", at=t, satisfaction=int(rng.integers(3, 6)))
