"""What the per-road numbering error model costs: at build time and per query.

One gazetteer is built on half of the real-address rows (as ``real_addresses`` does);
the other half is geocoded with the cache off, alternately with its error model (A) and
without it (B, the ceiling skipped), A B A B in one process; per round, each query's
time, and the ratio of the medians. Also: the time the model takes to fit (leave-one-out
over every road's known numbers) against the whole build, whole-process time and peak
memory.

    python -m benchmarks.geocode.bench_numbering_errors --poi PATH/shanghai_amap_poi.csv
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np

from geogrid.geocode import Gazetteer

from .real_addresses import _addresses, _halves, _timed, load_rows, osm_frames

__all__ = ["main", "run"]


def run(poi: Path, *, seed: int = 0, rounds: int = 4) -> dict:
    t0 = time.perf_counter()
    rows = load_rows(poi)
    frames = osm_frames()
    half = _halves(rows, seed, "row")
    train, test = rows[half == 0], rows[half == 1]
    t = time.perf_counter()
    gaz = Gazetteer.from_frames(**frames, addresses=_addresses(train), cache_size=0,
                                calibration="default")
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    model = gaz._fit_numbering_errors()
    fit_s = time.perf_counter() - t
    queries = test["address"].tolist()
    with_model, without = [], []
    for _ in range(rounds):  # A B A B
        gaz.numbering_errors = model
        with_model.append(_timed(gaz.geocode, queries))
        gaz.numbering_errors = None
        without.append(_timed(gaz.geocode, queries))
    gaz.numbering_errors = model
    a, b = np.concatenate(with_model), np.concatenate(without)
    return {
        "queries": len(queries), "rounds": rounds, "residuals": model.n if model else 0,
        "build_s": build_s, "model_fit_s": fit_s,
        "p50_ms_with_model": float(np.median(a) * 1e3),
        "p50_ms_without": float(np.median(b) * 1e3),
        "p95_ms_with_model": float(np.percentile(a, 95) * 1e3),
        "with_over_without_p50": [float(np.median(x) / np.median(y))
                                  for x, y in zip(with_model, without)],
        "process_s": time.perf_counter() - t0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poi", type=Path, default=os.environ.get("GEOGRID_AMAP_POI"),
                    help="the Amap POI CSV (not shipped)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args(argv)
    report = run(args.poi, seed=args.seed, rounds=args.rounds)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return report


if __name__ == "__main__":
    main()
