"""Benchmark: which microgrid is each point in? geogrid.locate against geopandas.sjoin.

Run with ``python -m benchmarks.locate.bench_locate`` (options: ``--help``).

Areas
-----
``data/boundaries/lujiazui_microgrids.geojson`` when it exists (1x only);
otherwise a Voronoi tiling of ~300 random seeds clipped to the Lujiazui
street extent (lon 121.49-121.52, lat 31.225-31.25), which tiles it exactly
like real microgrids do. ``--scale 10x`` / ``100x`` multiplies the polygon
count: by default over a proportionally larger extent (a city of streets,
microgrids of the same size); with ``--dense`` inside the same extent
(microgrids 10x / 100x smaller, the harder case for the index).

Methods, timed in the same run on the same points, alternated
--------------------------------------------------------------
Each comparison runs A and B back to back, ``--repeat`` rounds, the order
flipped every round, and reports the median of the paired ratios with the
load average (:mod:`benchmarks._paired`):

* index build: :meth:`geogrid.locate.AreaIndex.from_frame` against building
  a shapely ``STRtree`` of the same polygons;
* ``geogrid locate``: :meth:`geogrid.locate.AreaIndex.locate` on lon/lat
  arrays, against ``gpd.sjoin(points, areas, predicate="intersects")`` with
  the areas' spatial index built beforehand and the points' GeoDataFrame
  built outside the timing (both favour sjoin);
* ``geogrid locate_frame``: the same from a GeoDataFrame of points to a
  DataFrame (position, id, snapped flag, distance), against sjoin again;
* single lookups, point by point: ``locate_one`` against a prepared
  shapely ``STRtree.query(point, predicate="intersects")``;
* anything registered in :data:`COMPARISONS` (e.g. PostGIS, see
  :func:`postgis_st_contains`), timed once.

Points are uniform over the areas' bounding box. Every method's answer is
checked against sjoin's (a point matched by several areas, i.e. on a shared
edge, is resolved with the index's tie-break before comparing).
Throughputs are the median of ``--repeat`` runs. Single-lookup latency is
timed call by call with ``perf_counter_ns`` for ``locate_one`` and, as a
baseline, a prepared shapely ``STRtree.query(point, predicate="intersects")``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any, Callable

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box

from geogrid.locate import AreaIndex

from .._paired import Paired, format_table, paired

__all__ = ["LUJIAZUI", "COMPARISONS", "voronoi_microgrids", "load_areas", "postgis_st_contains",
           "run", "main"]

DATA = Path(__file__).resolve().parents[2] / "data"
MICROGRIDS = DATA / "boundaries" / "lujiazui_microgrids.geojson"
#: Lujiazui street extent: min lon, min lat, max lon, max lat (EPSG:4490)
LUJIAZUI = (121.49, 31.225, 121.52, 31.25)
SCALES = {"1x": 1, "10x": 10, "100x": 100}

#: A comparison takes (areas, points) and returns, per point, the row position
#: of the area covering it (-1 for none). Registered ones run in :func:`run`.
Comparison = Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], np.ndarray]
COMPARISONS: dict[str, Comparison] = {}


def postgis_st_contains(areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> np.ndarray:
    """Hook for a PostGIS comparison; not implemented here (no database in the benchmark).

    An implementation loads ``areas`` (row position as key) and ``points``
    into PostGIS, runs a point-in-polygon join and returns the row position
    of the area per point, ``-1`` for none. ``ST_Covers`` (or
    ``ST_Intersects``) matches the index's semantics exactly; ``ST_Contains``
    differs only for points on an edge. Register it with
    ``COMPARISONS["postgis"] = postgis_st_contains``.
    """
    raise NotImplementedError("Register a PostGIS implementation in COMPARISONS to compare it.")


def voronoi_cells(n: int, bounds: tuple[float, float, float, float],
                  rng: np.random.Generator) -> np.ndarray:
    """The non-empty Voronoi cells of ``n`` seeds drawn uniformly from ``rng``, clipped to
    ``bounds``: they share their edges vertex for vertex and tile ``bounds`` exactly."""
    minx, miny, maxx, maxy = bounds
    seeds = shapely.multipoints(np.c_[rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])
    clip = box(*bounds)
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=clip)), clip)
    return cells[~shapely.is_empty(cells)]


def voronoi_microgrids(n: int = 300, bounds: tuple[float, float, float, float] = LUJIAZUI,
                       *, seed: int = 0) -> gpd.GeoDataFrame:
    """A Voronoi tiling of ``n`` uniform random seeds clipped to ``bounds``, EPSG:4490.

    The cells share their edges vertex for vertex and cover ``bounds`` with
    no gap or overlap, as a street's microgrids do.
    """
    cells = voronoi_cells(n, bounds, np.random.default_rng(seed))
    # number the cells west to east, then north to south, as grid codes are
    centre = shapely.centroid(cells)
    order = np.lexsort((shapely.get_x(centre), -np.round(shapely.get_y(centre), 3)))
    cells = cells[order]
    return gpd.GeoDataFrame({"id": [f"MG{i:05d}" for i in range(len(cells))]},
                            geometry=cells, crs="EPSG:4490")


def load_areas(scale: int = 1, *, dense: bool = False,
               seed: int = 0) -> tuple[gpd.GeoDataFrame, str]:
    """The areas to benchmark and a short description of where they come from."""
    if scale == 1 and MICROGRIDS.exists():
        areas = gpd.read_file(MICROGRIDS)
        if "level" in areas.columns and (areas["level"] == "microgrid").any():
            areas = areas[areas["level"] == "microgrid"]
        if "id" not in areas.columns:
            areas["id"] = areas["code"] if "code" in areas.columns else np.arange(len(areas))
        return areas.to_crs("EPSG:4490").reset_index(drop=True), MICROGRIDS.name
    minx, miny, maxx, maxy = LUJIAZUI
    grow = 1.0 if dense else math.sqrt(scale)
    bounds = (minx, miny, minx + (maxx - minx) * grow, miny + (maxy - miny) * grow)
    kind = "dense " if dense and scale > 1 else ""
    return voronoi_microgrids(300 * scale, bounds, seed=seed), f"{kind}Voronoi"


def _median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), result


def _from_sjoin(joined, n_points: int, rank: np.ndarray) -> tuple[np.ndarray, int]:
    """Per point: the matched area of lowest rank (-1 for none); and how many
    points matched several areas (points on shared edges)."""
    matched = joined["index_right"].notna().to_numpy()
    qi = joined.index.to_numpy()[matched]
    qa = joined["index_right"].to_numpy()[matched].astype(np.intp)
    out = np.full(n_points, -1, dtype=np.intp)
    by = np.lexsort((rank[qa], qi))
    qi, qa = qi[by], qa[by]
    lead = np.ones(len(qi), dtype=bool)
    lead[1:] = qi[1:] != qi[:-1]
    out[qi[lead]] = qa[lead]
    return out, int(len(qi) - lead.sum())


def _single(index: AreaIndex, geoms: np.ndarray, rng: np.random.Generator, bounds, single: int) -> Paired:
    """Single lookups point by point, alternated: ``locate_one`` against a prepared STRtree query."""
    minx, miny, maxx, maxy = bounds
    sx = rng.uniform(minx, maxx, single).tolist()
    sy = rng.uniform(miny, maxy, single).tolist()
    tree = shapely.STRtree(geoms)
    shapely.prepare(geoms)
    return paired("geogrid locate_one", lambda i: index.locate_one(sx[i], sy[i]),
                  "STRtree query", lambda i: tree.query(shapely.Point(sx[i], sy[i]), predicate="intersects"),
                  rounds=single, warmup=200, label="single lookup")


def run(points: int = 1_000_000, polygons: int = 300, *, dense: bool = False, repeat: int = 3,
        single: int = 20_000, seed: int = 0,
        others: dict[str, Comparison] | None = None) -> dict[str, Any]:
    """Build the areas and points, time every method and return one result row.

    ``polygons`` is rounded to a multiple of 300 (the 1x street); at 300 the
    real microgrid file is used when it exists.
    """
    scale = max(1, round(polygons / 300))
    areas, source = load_areas(scale, dense=dense, seed=seed)
    areas = areas.reset_index(drop=True)
    rng = np.random.default_rng(seed + 1)
    minx, miny, maxx, maxy = areas.total_bounds
    x = rng.uniform(minx, maxx, points)
    y = rng.uniform(miny, maxy, points)

    geoms = np.asarray(areas.geometry.values)
    build = paired("AreaIndex.from_frame", lambda i: AreaIndex.from_frame(areas),
                   "shapely STRtree", lambda i: shapely.STRtree(geoms), rounds=repeat, warmup=0,
                   label="index build")
    index = AreaIndex.from_frame(areas)
    rank = np.empty(len(areas), dtype=np.intp)
    rank[np.argsort(areas["id"].to_numpy(), kind="stable")] = np.arange(len(areas))

    t0 = time.perf_counter()
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=areas.crs)
    points_s = time.perf_counter() - t0
    areas.sindex                                   # built before timing, as a server would

    index.locate(x[:1000], y[:1000])               # warm-up
    got: dict[str, Any] = {}

    def sjoin(i: int) -> None:
        got["sjoin"] = gpd.sjoin(frame, areas[["id", "geometry"]], how="left", predicate="intersects")

    arrays = paired("geogrid locate", lambda i: got.__setitem__("ours", index.locate(x, y)),
                    "geopandas sjoin", sjoin, rounds=repeat, warmup=0, label="batch, lon/lat arrays")
    frames = paired("geogrid locate_frame", lambda i: got.__setitem__("table", index.locate_frame(frame)),
                    "geopandas sjoin", sjoin, rounds=repeat, warmup=0, label="batch, GeoDataFrame")
    reference, on_edges = _from_sjoin(got["sjoin"], points, rank)
    ours, table_ = got["ours"], got["table"]

    row: dict[str, Any] = {
        "source": source,
        "polygons": len(areas),
        "vertices": index.stats["vertices"],
        "points": points,
        "build_s": float(np.median(build.a)),
        "strtree_build_s": float(np.median(build.b)),
        "build_ratio": build.ratio,
        "grid": index.stats["grid"],
        "cell_m": index.stats["cell_m"],
        "boundary_fraction": index.stats["boundary_fraction"],
        "lut_mb": index.stats["lut_bytes"] / 2**20,
        "locate_pts_s": points / float(np.median(arrays.a)),
        "locate_frame_pts_s": points / float(np.median(frames.a)),
        "sjoin_pts_s": points / float(np.median(np.r_[arrays.b, frames.b])),
        "points_from_xy_s": points_s,
        "ratio": arrays.ratio,
        "frame_ratio": frames.ratio,
        "points_on_shared_edges": on_edges,
        "mismatches": int((ours != reference).sum()),
        "frame_mismatches": int((table_["position"].to_numpy() != reference).sum()),
        "others": {},
        "paired": [build, arrays, frames],
    }
    for name, compare in (COMPARISONS if others is None else others).items():
        took, theirs = _median_time(lambda: compare(areas, frame), 1)
        row["others"][name] = {"pts_s": points / took,
                               "mismatches": int((np.asarray(theirs) != reference).sum())}

    one = _single(index, geoms, rng, areas.total_bounds, single)
    row["paired"].append(one)
    row.update({
        "single_p50_us": float(np.percentile(one.a, 50) * 1e6),
        "single_p99_us": float(np.percentile(one.a, 99) * 1e6),
        "strtree_p50_us": float(np.percentile(one.b, 50) * 1e6),
        "strtree_p99_us": float(np.percentile(one.b, 99) * 1e6),
        "single_ratio": one.ratio,
    })
    return row


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a plain-text table."""
    head = (f"{'areas':>20s} {'vertices':>9s} {'build s':>8s} {'boundary':>8s} "
            f"{'locate Mpt/s':>12s} {'frame Mpt/s':>11s} {'sjoin Mpt/s':>11s} {'ratio':>7s} "
            f"{'wrong':>5s} {'one p50 µs':>10s} {'p99 µs':>7s} {'STRtree p50/p99 µs':>18s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['polygons']:>6d} {r['source']:>13s} {r['vertices']:>9d} {r['build_s']:>8.3f} "
            f"{100 * r['boundary_fraction']:>7.2f}% {r['locate_pts_s'] / 1e6:>12.1f} "
            f"{r['locate_frame_pts_s'] / 1e6:>11.1f} {r['sjoin_pts_s'] / 1e6:>11.2f} "
            f"{r['ratio']:>6.1f}x {r['mismatches'] + r['frame_mismatches']:>5d} "
            f"{r['single_p50_us']:>10.1f} {r['single_p99_us']:>7.1f} "
            f"{r['strtree_p50_us']:>9.1f}/{r['strtree_p99_us']:<8.1f}")
        for name, o in r["others"].items():
            lines.append(f"{'':>20s} {name}: {o['pts_s'] / 1e6:.2f} Mpt/s, "
                         f"{o['mismatches']} answers differ")
    points = rows[0]["points"] if rows else 0
    lines.append(f"{points:,} uniform points per row; 'wrong' counts answers that differ from "
                 f"sjoin's (must be 0); 'ratio' is the median of paired sjoin / locate times.")
    for r in rows:
        lines.append(format_table(f"{r['polygons']:,} polygons, paired (A B, B A, ...)", r["paired"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.locate.bench_locate",
                                description=__doc__.split("\n")[0])
    p.add_argument("--points", type=int, default=1_000_000, help="points per batch (default 1M)")
    p.add_argument("--scale", default="1x",
                   help="polygon counts, comma separated: 1x (300), 10x, 100x (default 1x)")
    p.add_argument("--dense", action="store_true",
                   help="keep the Lujiazui extent and shrink the microgrids instead")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per method (median)")
    p.add_argument("--single", type=int, default=20_000, help="single lookups to time")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    scales = [s.strip() for s in a.scale.split(",") if s.strip()]
    unknown = [s for s in scales if s not in SCALES]
    if unknown:
        p.error(f"unknown --scale {', '.join(unknown)}; use {', '.join(SCALES)}")
    rows = [run(a.points, 300 * SCALES[s], dense=a.dense, repeat=a.repeat, single=a.single,
                seed=a.seed) for s in scales]
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
