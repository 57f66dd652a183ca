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

    * MaxPHeuristic: every region must reach ``threshold`` households and
      it maximises the number of regions, so the threshold is searched
      (untimed, :func:`benchmarks.partition.bench_rules._maxp`) until MaxP
      makes as many regions as geogrid: both are judged at the same count.
    * Skater: ``n_clusters`` = our number of microgrids, attributes
      ``workload, x, y`` (standardised, so it sees the workload it should
      balance), ``floor`` (fewest units per region) half the mean.

    Rounds alternate geogrid, MaxP, Skater, then Skater, MaxP, geogrid, ...;
    each time ratio is the median of the per-round ratios, printed with the
    load average.

Measures
    time (s), number of regions, balance CV of region workloads, max/min,
    contiguity (every region one connected piece of the cell graph) and road
    crossings (distinct major roads lying inside a region).

spopt's MaxP took about 470 s on 5,000 units on a 2-core machine, and the
threshold search runs it several times, so spopt runs on 500 units by
default (``--spopt-sizes 500,1000`` for more; ``--spopt-max`` caps them),
Skater on 500 only (``--skater-max``). Our scaling is shown at 1k, 5k, 10k
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

from .._paired import load_average

__all__ = ["make_units", "run", "main", "summary_rows", "table"]

TARGET = 300.0
OURS_SIZES = (1_000, 5_000, 10_000, 100_000)
SPOPT_SIZES = (500,)


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


def _spopt(res, model: str, k: int, threshold: float = TARGET) -> dict:
    """One spopt run on geogrid's cells: MaxP at ``threshold``, or Skater for ``k`` regions."""
    from spopt.region import MaxPHeuristic, Skater

    gdf, w = _spopt_inputs(res)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.random.seed(0)
        if model == "maxp":
            m = MaxPHeuristic(gdf, w, ["x", "y"], "workload", threshold, top_n=2)
        else:  # given the workload too (standardised), so it can balance it
            for col in ("workload", "x", "y"):
                gdf[f"z_{col}"] = (gdf[col] - gdf[col].mean()) / (gdf[col].std() or 1.0)
            m = Skater(gdf, w, ["z_workload", "z_x", "z_y"], n_clusters=k,
                       floor=max(1, len(gdf) // (2 * k)))
        m.solve()
    dt = time.perf_counter() - t
    q = _quality(np.asarray(m.labels_), gdf["workload"].to_numpy(float), res.edges)
    q.update({"units": int(len(gdf)), "time_s": round(dt, 3)})
    return q


def _maxp_threshold(res, k: int) -> float:
    """MaxP's workload threshold that gives geogrid's ``k`` regions (searched, untimed)."""
    from .bench_rules import _maxp

    gdf, w = _spopt_inputs(res)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _maxp(gdf, w, k, float(gdf["workload"].sum()))


def _compare(n: int, seed: int, rounds: int, skater: bool) -> dict:
    """geogrid, MaxP (at geogrid's region count) and Skater on the same units, alternated.

    Round ``r`` runs geogrid, MaxP, Skater (in that order on even rounds,
    reversed on odd ones); the time ratios are medians of the per-round ratios.
    """
    first, res = _ours(n, seed)
    k = first["n_regions"]
    threshold = _maxp_threshold(res, k)
    runs: dict[str, list[dict]] = {"geogrid": [], "maxp": [], "skater": []}
    steps = [("geogrid", lambda: _ours(n, seed)[0]), ("maxp", lambda: _spopt(res, "maxp", k, threshold))]
    steps += [("skater", lambda: _spopt(res, "skater", k))] if skater else []
    load0 = load_average()
    for r in range(rounds):
        for name, step in (steps if r % 2 == 0 else steps[::-1]):
            runs[name].append(step())
    row = {"units": first["units"], "maxp_threshold": round(threshold, 2), "rounds": rounds,
           "load": [load0, load_average()]}
    for name, got in runs.items():
        if got:
            row[name] = dict(got[-1], time_s=float(np.median([q["time_s"] for q in got])))
            if name != "geogrid":
                row[name]["ratio"] = float(np.median([q["time_s"] / g["time_s"]
                                                      for q, g in zip(got, runs["geogrid"])]))
    return row


def run(sizes=OURS_SIZES, spopt_sizes=SPOPT_SIZES, spopt_max: int | None = None,
        seed: int = 1, spopt: bool = True, skater_max: int | None = 500, rounds: int = 2) -> dict:
    """Run the benchmark; return ``{"scaling": [...], "comparison": [...]}``.

    ``scaling``: our engine at each of ``sizes``. ``comparison``: at each of
    ``spopt_sizes`` (up to ``spopt_max``), our engine, MaxPHeuristic at the
    same region count and (up to ``skater_max`` units) Skater on the same
    units, alternated over ``rounds``.
    """
    out: dict = {"target_workload": TARGET, "scaling": [], "comparison": []}
    for n in sizes:
        q, _ = _ours(n, seed)
        out["scaling"].append(q)
    if spopt:
        for n in spopt_sizes:
            if spopt_max is not None and n > spopt_max:
                continue
            out["comparison"].append(_compare(n, seed, rounds, skater_max is None or n <= skater_max))
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
        lines += ["", "Same units, same region count: geogrid vs spopt, alternated "
                      "(spopt time excludes building the units; ratio: median of paired spopt / geogrid)",
                  f"{'units':>6} {'method':>14} {'time s':>9} {'regions':>8} {'CV':>7} "
                  f"{'max/min':>8} {'contig':>7} {'crossings':>9} {'ratio':>7}"]
        for row in result["comparison"]:
            for name in ("geogrid", "maxp", "skater"):
                if name not in row:
                    lines.append(f"{row['units']:>6,} {'spopt Skater':>14}   "
                                 "skipped (--skater-max)")
                    continue
                q = row[name]
                label = {"geogrid": "geogrid", "maxp": "spopt MaxP", "skater": "spopt Skater"}[name]
                mm = q["max_min"] if q["max_min"] is not None else float("inf")
                ratio = f"{q['ratio']:6.1f}×" if "ratio" in q else ""
                lines.append(f"{row['units']:>6,} {label:>14} {q['time_s']:>9.2f} "
                             f"{q['n_regions']:>8} {q['cv']:>7.3f} {mm:>8.2f} "
                             f"{str(q['contiguous']):>7} {q['road_crossings']:>9} {ratio:>7}")
            lines.append(f"       MaxP threshold {row['maxp_threshold']:g} (searched to give geogrid's "
                         f"count); {row['rounds']} round(s); load {row['load'][0]:.1f}-{row['load'][1]:.1f}")
    return "\n".join(lines)


def summary_rows(result: dict) -> list[tuple[str, str, str, str]]:
    """Rows ``(benchmark, geogrid, baseline, ratio)`` for the ``make bench`` summary."""
    rows = []
    for row in result.get("comparison", []):
        g = row["geogrid"]
        load = f"load {row['load'][0]:.1f}"
        for name, label in (("maxp", "MaxP, threshold chosen for the same count"), ("skater", "Skater")):
            m = row.get(name)
            if m is None:
                continue
            rows.append((f"partition {row['units']:,} units vs spopt {label}",
                         f"{g['time_s']:.2f} s, {g['n_regions']} regions, CV {g['cv']:.3f}",
                         f"{m['time_s']:.2f} s, {m['n_regions']} regions, CV {m['cv']:.3f}",
                         f"{m['ratio']:.0f}× (paired, {row['rounds']} rounds, {load})"))
    for q in result.get("scaling", []):
        if q["units"] == 5_000:
            over = q["time_s"] > 5.0
            rows.append(("partition 5,000 units end to end", f"{q['time_s']:.2f} s", "goal 5 s",
                         f"{q['time_s'] / 5.0:.1f}× over" if over else f"{5.0 / q['time_s']:.1f}× under"))
    return rows


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1k and 5k units; spopt at 300")
    ap.add_argument("--sizes", default=None, help="our sizes, comma separated")
    ap.add_argument("--spopt-sizes", default=None, help="spopt sizes, comma separated")
    ap.add_argument("--spopt-max", type=int, default=None, help="largest size given to spopt")
    ap.add_argument("--skater-max", type=int, default=500,
                    help="largest size given to Skater (slowest)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="alternated rounds of geogrid / MaxP / Skater (default 2, --quick 1)")
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
    rounds = args.rounds or (1 if args.quick else 2)
    result = run(sizes, spopt_sizes, args.spopt_max, args.seed, not args.no_spopt,
                 args.skater_max, rounds)
    print(table(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=1)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
