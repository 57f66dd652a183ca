"""Partition benchmark: our engine against spopt's MaxPHeuristic and Skater.

Run ``python -m benchmarks.partition.bench_partition [--quick] [--spopt-max N]``.

Units
    N synthetic management objects (points with 5–59 households) in a
    pentagon around Lujiazui cut by a street grid every 150 m (every fourth
    street primary). Our engine runs end to end on the objects (inputs,
    tessellation, graph, METIS, repair, refinement, 楼组, report) with a target
    of 300 households per microgrid. The spopt models get the *same units*:
    the cells our tessellation made, with their workload, their rook
    adjacency taken from our cell graph, and ``x, y`` of a point in each cell
    as attributes (compact regions); their time excludes building the units.

    * MaxPHeuristic: every region must reach ``threshold`` = 300 households;
      it maximises the number of regions.
    * Skater: ``n_clusters`` = our number of microgrids, ``floor`` (fewest
      units per region) half the mean, so it too is pushed towards balance.

Measures
    time (s), number of regions, balance CV of region workloads, max/min,
    contiguity (every region one connected piece of the cell graph) and road
    crossings (distinct major roads lying inside a region).

spopt's MaxP took about 470 s on 5,000 units on a 2-core machine, so spopt
runs on small sizes only by default: MaxP on 500 and 1,000 units
(``--spopt-max`` caps them), Skater, slower still (about 2 minutes on 500
units), on 500 only (``--skater-max``). Our scaling is shown at 1k, 5k, 10k
and 100k units.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.partition import partition
from geogrid.partition.graph import cv
from geogrid.partition.inputs import BarrierClass

__all__ = ["make_units", "run", "main", "summary_rows", "table"]

TARGET = 300.0
OURS_SIZES = (1_000, 5_000, 10_000, 100_000)
SPOPT_SIZES = (500, 1_000)


def make_units(n: int, seed: int = 1):
    """Parent, objects and roads for ``n`` synthetic units (EPSG:4490)."""
    from pyproj import CRS

    rng = np.random.default_rng(seed)
    local = CRS.from_proj4("+proj=tmerc +lat_0=31.23 +lon_0=121.5 +k=1 +x_0=0 +y_0=0 "
                           "+ellps=GRS80 +units=m +no_defs")
    side = 1500 * math.sqrt(n / 5000)
    parent = shapely.Polygon([(0, 0), (side, 0), (side, side * 0.8), (side * 0.3, side),
                              (0, side * 0.9)])
    pts = shapely.points(rng.uniform(0, side, n * 2), rng.uniform(0, side, n * 2))
    pts = pts[shapely.contains(parent, pts)][:n]
    steps = np.arange(150, side, 150)
    roads = [shapely.LineString([(x, -5), (x + rng.uniform(-50, 50), side + 5)]) for x in steps]
    roads += [shapely.LineString([(-5, y), (side + 5, y + rng.uniform(-50, 50))]) for y in steps]
    kinds = ["primary" if i % 4 == 0 else "residential" for i in range(len(roads))]
    P = gpd.GeoSeries([parent], crs=local).to_crs("EPSG:4490")
    O = gpd.GeoDataFrame({"id": [f"o{i:06d}" for i in range(len(pts))], "type": "building",
                          "households": rng.integers(5, 60, len(pts)).astype(float)},
                         geometry=pts, crs=local).to_crs("EPSG:4490")
    R = gpd.GeoDataFrame({"id": [f"r{i}" for i in range(len(roads))], "kind_detail": kinds},
                         geometry=roads, crs=local).to_crs("EPSG:4490")
    return P, O, R


def _quality(labels: np.ndarray, work: np.ndarray, edges: pd.DataFrame) -> dict:
    """CV, max/min, contiguity and road crossings of a cell → region labelling."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    labels = np.asarray(labels)
    _, dense = np.unique(labels, return_inverse=True)
    k = dense.max() + 1
    w = np.bincount(dense, weights=work, minlength=k)
    a, b = edges["a"].to_numpy(), edges["b"].to_numpy()
    same = dense[a] == dense[b]
    n = len(labels)
    g = sparse.coo_matrix((np.ones(int(same.sum())), (a[same], b[same])), shape=(n, n))
    comp = connected_components(g, directed=False)[1]
    pieces = pd.DataFrame({"r": dense, "c": comp}).drop_duplicates().groupby("r").size()
    hard = same & (edges["cls"].to_numpy() >= int(BarrierClass.MAJOR)) \
        & (edges["cls"].to_numpy() < int(BarrierClass.OUTER))
    crossings = pd.DataFrame({"r": dense[a[hard]], "s": edges["source"].to_numpy()[hard]})
    return {"n_regions": int(k), "cv": round(cv(w), 4),
            "max_min": round(float(w.max() / w.min()), 3) if w.min() > 0 else None,
            "contiguous": bool((pieces == 1).all()),
            "road_crossings": int(crossings.drop_duplicates().shape[0])}


def _ours(n: int, seed: int) -> tuple[dict, object]:
    P, O, R = make_units(n, seed)
    t = time.perf_counter()
    res = partition(P, O, R, target_workload=TARGET)
    dt = time.perf_counter() - t
    q = _quality(res.cells["microgrid"].to_numpy(), res.cells["workload"].to_numpy(float),
                 res.edges)
    q.update({"units": int(len(O)), "time_s": round(dt, 3),
              "single_polygons": bool(res.report["all_single_polygon"]),
              "timings_s": res.report["timings_s"]})
    return q, res


def _spopt_inputs(res):
    import libpysal

    cells = res.cells.to_crs(res.metric_crs)
    pts = cells.geometry.representative_point()
    gdf = gpd.GeoDataFrame({"workload": cells["workload"].to_numpy(float),
                            "x": pts.x.to_numpy(), "y": pts.y.to_numpy()},
                           geometry=cells.geometry.values, crs=cells.crs)
    neigh: dict[int, list[int]] = {i: [] for i in range(len(gdf))}
    for a, b in res.edges[["a", "b"]].drop_duplicates().itertuples(index=False):
        neigh[int(a)].append(int(b))
        neigh[int(b)].append(int(a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.W(neigh, silence_warnings=True)
    return gdf, w


def _spopt(res, model: str, k: int) -> dict:
    from spopt.region import MaxPHeuristic, Skater

    gdf, w = _spopt_inputs(res)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model == "maxp":
            m = MaxPHeuristic(gdf, w, ["x", "y"], "workload", TARGET, top_n=2)
        else:
            m = Skater(gdf, w, ["x", "y"], n_clusters=k, floor=max(1, len(gdf) // (2 * k)))
        np.random.seed(0)
        m.solve()
    dt = time.perf_counter() - t
    q = _quality(np.asarray(m.labels_), gdf["workload"].to_numpy(float), res.edges)
    q.update({"units": int(len(gdf)), "time_s": round(dt, 3)})
    return q


def run(sizes=OURS_SIZES, spopt_sizes=SPOPT_SIZES, spopt_max: int | None = None,
        seed: int = 1, spopt: bool = True, skater_max: int | None = 500) -> dict:
    """Run the benchmark; return ``{"scaling": [...], "comparison": [...]}``.

    ``scaling``: our engine at each of ``sizes``. ``comparison``: at each of
    ``spopt_sizes`` (up to ``spopt_max``), our engine, MaxPHeuristic and (up
    to ``skater_max`` units) Skater on the same units.
    """
    out: dict = {"target_workload": TARGET, "scaling": [], "comparison": []}
    for n in sizes:
        q, _ = _ours(n, seed)
        out["scaling"].append(q)
    if spopt:
        for n in spopt_sizes:
            if spopt_max is not None and n > spopt_max:
                continue
            q, res = _ours(n, seed)
            row = {"units": q["units"], "geogrid": q}
            row["maxp"] = _spopt(res, "maxp", q["n_regions"])
            if skater_max is None or n <= skater_max:
                row["skater"] = _spopt(res, "skater", q["n_regions"])
            out["comparison"].append(row)
    return out


def table(result: dict) -> str:
    """Plain-text tables of a :func:`run` result."""
    lines = ["Scaling of the geogrid engine (end to end, tessellation included)",
             f"{'units':>8} {'time s':>8} {'regions':>8} {'CV':>7} {'max/min':>8} "
             f"{'contig':>7} {'crossings':>9}"]
    for q in result["scaling"]:
        lines.append(f"{q['units']:>8,} {q['time_s']:>8.2f} {q['n_regions']:>8} {q['cv']:>7.3f} "
                     f"{q['max_min'] or float('nan'):>8.2f} {str(q['contiguous']):>7} "
                     f"{q['road_crossings']:>9}")
    if result["comparison"]:
        lines += ["", "Same units: geogrid vs spopt (spopt time excludes building the units)",
                  f"{'units':>6} {'method':>14} {'time s':>9} {'regions':>8} {'CV':>7} "
                  f"{'max/min':>8} {'contig':>7} {'crossings':>9}"]
        for row in result["comparison"]:
            for name in ("geogrid", "maxp", "skater"):
                if name not in row:
                    lines.append(f"{row['units']:>6,} {'spopt Skater':>14}   "
                                 "skipped (--skater-max)")
                    continue
                q = row[name]
                label = {"geogrid": "geogrid", "maxp": "spopt MaxP", "skater": "spopt Skater"}[name]
                mm = q["max_min"] if q["max_min"] is not None else float("inf")
                lines.append(f"{row['units']:>6,} {label:>14} {q['time_s']:>9.2f} "
                             f"{q['n_regions']:>8} {q['cv']:>7.3f} {mm:>8.2f} "
                             f"{str(q['contiguous']):>7} {q['road_crossings']:>9}")
    return "\n".join(lines)


def summary_rows(result: dict) -> list[tuple[str, str, str, str]]:
    """Rows ``(benchmark, geogrid, baseline, ratio)`` for the ``make bench`` summary."""
    rows = []
    for row in result.get("comparison", []):
        g, m = row["geogrid"], row["maxp"]
        rows.append((f"partition {row['units']:,} units vs spopt MaxP",
                     f"{g['time_s']:.2f} s, CV {g['cv']:.3f}",
                     f"{m['time_s']:.2f} s, CV {m['cv']:.3f}",
                     f"{m['time_s'] / g['time_s']:.0f}× faster"))
        s = row.get("skater")
        if s is None:
            continue
        rows.append((f"partition {row['units']:,} units vs spopt Skater",
                     f"{g['time_s']:.2f} s, CV {g['cv']:.3f}",
                     f"{s['time_s']:.2f} s, CV {s['cv']:.3f}",
                     f"{s['time_s'] / g['time_s']:.0f}× faster"))
    for q in result.get("scaling", []):
        if q["units"] == 5_000:
            rows.append(("partition 5,000 units end to end", f"{q['time_s']:.2f} s",
                         "goal 5 s", f"{5.0 / q['time_s']:.1f}× under"))
    return rows


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1k and 5k units; spopt at 300")
    ap.add_argument("--sizes", default=None, help="our sizes, comma separated")
    ap.add_argument("--spopt-sizes", default=None, help="spopt sizes, comma separated")
    ap.add_argument("--spopt-max", type=int, default=None, help="largest size given to spopt")
    ap.add_argument("--skater-max", type=int, default=500,
                    help="largest size given to Skater (slowest)")
    ap.add_argument("--no-spopt", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default=None, help="also write the result to this file")
    args = ap.parse_args(argv)
    sizes = OURS_SIZES if not args.quick else (1_000, 5_000)
    spopt_sizes = SPOPT_SIZES if not args.quick else (300,)
    if args.sizes:
        sizes = tuple(int(s) for s in args.sizes.split(","))
    if args.spopt_sizes:
        spopt_sizes = tuple(int(s) for s in args.spopt_sizes.split(","))
    result = run(sizes, spopt_sizes, args.spopt_max, args.seed, not args.no_spopt,
                 args.skater_max)
    print(table(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=1)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
