"""Geocoding accuracy measured in microgrids: is the answer in the right 微网格?

Builds the demo store (the street partitioned into microgrids), the
evaluation cases of :func:`geogrid.geocode.evaluate.build_eval_set`, and for
every case whose true position lies in a microgrid, compares the microgrid
of the geocoded point with the microgrid of the truth. Reported per variant
(exact house numbers, full-width digits, 弄/号 forms, intersections, …).

Run: ``python -m benchmarks.geocode.microgrid_accuracy``
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from geogrid.geocode import Gazetteer
from geogrid.geocode.evaluate import build_eval_set, evaluate
from geogrid.locator import PlanLocator
from geogrid.store import Store
from geogrid.store.demo import load_demo

from .bench_geocode import load_lujiazui

__all__ = ["run", "main"]


def run(seed: int = 0) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="geogrid-geo-"))
    store = Store.open(f"sqlite:///{tmp / 'demo.sqlite'}")
    plan_id = load_demo(store)
    locator = PlanLocator(store.areas(plan_id))
    store.dispose()
    frames, boundaries = load_lujiazui()
    ev = build_eval_set(frames, boundaries=boundaries, seed=seed)
    gaz = Gazetteer.from_frames(**ev.frames)
    cases = evaluate(gaz, ev.cases)["cases"]
    truth = locator.locate_many(cases["truth_lon"].to_numpy(float), cases["truth_lat"].to_numpy(float))
    leaf = truth.columns[0]
    inside = truth[leaf].notna().to_numpy()
    got_lon = cases["lon"].to_numpy(float)
    got_lat = cases["lat"].to_numpy(float)
    ok = np.isfinite(got_lon) & np.isfinite(got_lat)
    answer = pd.Series(pd.NA, index=cases.index, dtype="string")
    if ok.any():
        answer[ok] = locator.locate_many(got_lon[ok], got_lat[ok])[leaf].to_numpy()
    right = (answer.fillna("").to_numpy(str) == truth[leaf].fillna("?").to_numpy(str)) & inside
    frame = pd.DataFrame({"variant": cases["variant"], "inside": inside, "right": right,
                          "within_50m": cases["error_m"].to_numpy(float) <= 50})
    frame = frame[frame["inside"]]
    by = frame.groupby("variant").agg(n=("right", "size"), right=("right", "mean"),
                                      within_50m=("within_50m", "mean"))
    return {"cases_in_microgrids": int(len(frame)),
            "pct_right_microgrid": float(100 * frame["right"].mean()) if len(frame) else None,
            "pct_within_50m": float(100 * frame["within_50m"].mean()) if len(frame) else None,
            "by_variant": {k: {"n": int(v["n"]), "pct_right_microgrid": round(100 * v["right"], 1),
                               "pct_within_50m": round(100 * v["within_50m"], 1)}
                           for k, v in by.iterrows()}}


def main(argv=None) -> dict:
    r = run()
    print(f"{r['cases_in_microgrids']} cases inside the demo's microgrids: "
          f"{r['pct_right_microgrid']:.1f}% in the right microgrid, "
          f"{r['pct_within_50m']:.1f}% within 50 m")
    for k, v in r["by_variant"].items():
        print(f"  {k:20s} n={v['n']:4d}  right microgrid {v['pct_right_microgrid']:5.1f}%  "
              f"within 50 m {v['pct_within_50m']:5.1f}%")
    return r


if __name__ == "__main__":
    main()
