"""Points outside every area: the batch lookup against geopandas.sjoin, in one process.

Run with ``python -m benchmarks.locate.bench_outside`` (``--help`` for options).

Half of the points (``--outside``) fall in a box beside the areas. Timed, alternated
A B A B: the batch answer of ``geogrid locate`` without ``--snap-m``
(:meth:`geogrid.batch.BatchLookup.arrow_columns`: leaf id, code, grid id, snapped,
distance) and ``geopandas.sjoin(points, areas, how="left")`` on a prebuilt
points frame and spatial index (both favour sjoin). Prints each paired ratio,
their median and the answers that differ (must be 0).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import geopandas as gpd
import numpy as np

from geogrid.batch import BatchLookup
from geogrid.locate import PlanLocator

from .bench_locate import LUJIAZUI, voronoi_microgrids

__all__ = ["run", "main"]


def run(polygons: int, points: int, outside: float, repeat: int) -> dict:
    minx, miny, maxx, maxy = LUJIAZUI
    grow = (polygons / 300) ** 0.5
    bounds = (minx, miny, minx + (maxx - minx) * grow, miny + (maxy - miny) * grow)
    areas = voronoi_microgrids(polygons, bounds)
    areas["level"] = "microgrid"
    rng = np.random.default_rng(1)
    x = rng.uniform(bounds[0], bounds[2], points)
    x[: int(points * outside)] += (bounds[2] - bounds[0]) * 1.01
    y = rng.uniform(bounds[1], bounds[3], points)
    lookup = BatchLookup.from_locator(PlanLocator(areas))
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=areas.crs)
    right = areas[["id", "geometry"]]
    right.sindex
    lookup.arrow_columns(x[:1000], y[:1000])
    ours, theirs = [], []
    for r in range(repeat):
        for side in ("a", "b") if r % 2 == 0 else ("b", "a"):
            t0 = time.perf_counter()
            if side == "a":
                got = lookup.arrow_columns(x, y)["microgrid_id"]
                ours.append(time.perf_counter() - t0)
            else:
                joined = gpd.sjoin(frame, right, how="left", predicate="intersects")
                theirs.append(time.perf_counter() - t0)
    joined = joined[~joined.index.duplicated()]
    differ = int((np.asarray(got.to_pylist(), dtype=object) != joined["id"].to_numpy(object))
                 [joined["id"].notna().to_numpy() | np.asarray(got.is_valid())].sum())
    return {"polygons": polygons, "points": points, "outside": outside, "geogrid_s": ours,
            "sjoin_s": theirs, "ratios": [b / a for a, b in zip(ours, theirs)], "differ": differ,
            "load": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.locate.bench_outside",
                                description=__doc__.split("\n")[0])
    p.add_argument("--polygons", default="300,30000")
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--outside", type=float, default=0.5)
    p.add_argument("--repeat", type=int, default=4)
    a = p.parse_args(argv)
    rows = []
    for n in (int(v) for v in a.polygons.split(",")):
        row = run(n, a.points, a.outside, a.repeat)
        rows.append(row)
        med = statistics.median
        print(f"{n:>7,d} polygons, {a.points:,} points, {100 * a.outside:.0f}% outside: geogrid "
              f"{med(row['geogrid_s']):.3f} s, sjoin {med(row['sjoin_s']):.3f} s; paired ratios "
              f"{', '.join(f'{r:.1f}' for r in row['ratios'])} (median {med(row['ratios']):.1f}x); "
              f"answers differ: {row['differ']}; load {row['load']:.1f}", flush=True)
    return rows


if __name__ == "__main__":
    main()
