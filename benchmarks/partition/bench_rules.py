"""Division rules next to balance and time: geogrid against spopt at the same region count.

Run ``python -m benchmarks.partition.bench_rules [--rounds 2] [--json out.json]``;
``--grids`` prints instead the rule metrics of geogrid on every demo grid
(residential at 300 households-equivalent per microgrid, 陆家嘴金融城 in five at
business type weights 0, 0.5 and 1), judged by :func:`geogrid.rule_metrics.rule_metrics`.

Inputs (real data, © OpenStreetMap contributors, ODbL 1.0)
    * the demo street (``data/boundaries``): 崂山住区 (residential, 300
      households-equivalent per microgrid) and 陆家嘴金融城 (business, 5);
    * a second real footprint set, outside the demo: the OSM building
      footprints of the Bund side (Huangpu, west of the river) in
      ``data/osm/lujiazui``, with households estimated as the demo builder
      does (``footprint × floors × 0.75 / 60 m²`` for residential buildings)
      and business types from the OSM ``kind_detail``.

Method
    geogrid partitions each parent end to end. spopt gets the *same units*
    (geogrid's cells with their workload, their adjacency from geogrid's cell
    graph, ``x, y`` of a point in each cell):

    * MaxPHeuristic: the threshold is searched (bisection on the workload
      threshold) until MaxP makes as many regions as geogrid;
    * Skater: ``n_clusters`` = geogrid's count, attributes ``workload, x, y``
      (standardised), ``floor`` half the mean units per region.

    Each method's regions are dissolved from the cells and judged by
    :func:`geogrid.rule_metrics.rule_metrics` (independent of the engine):
    boundary share within 15 m of roads or water (and beyond the off-road
    cuts the road blocks need), boundary along walls away from roads,
    compounds cut beyond need, objects away from their nearest
    housing, business majority-type share, compactness; plus the workload CV.
    Runs alternate geogrid, MaxP, Skater, geogrid, MaxP, Skater…; the time
    ratio is the median of the paired ratios. Whole-process time and peak
    memory (max RSS) are printed at the end.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geogrid.partition import partition
from geogrid.partition.graph import cv
from geogrid.rule_metrics import rule_metrics

from .bench_partition import _spopt_inputs

__all__ = ["demo_cases", "bund_case", "run", "main"]

_T0 = time.perf_counter()
ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "boundaries"
OSM = ROOT / "data" / "osm" / "lujiazui"
BUND_BOX = (121.4825, 31.2320, 121.4930, 31.2440)
_TYPES = {"commercial": "office", "office": "office", "hotel": "hotel", "bank": "finance",
          "restaurant": "catering", "retail": "retail", "attraction": "culture",
          "museum": "culture", "theatre": "culture", "government": "public"}
_HOMES = {"apartments", "residential", "house", "dormitory"}


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gpd.read_file(path)


def demo_cases() -> list[dict]:
    grids, objs = _read(DEMO / "lujiazui_grids.geojson"), _read(DEMO / "lujiazui_objects.geojson")
    roads = _read(DEMO / "lujiazui_roads.geojson")
    out = []
    for name, opts in (("崂山住区", {"target_workload": 300.0}), ("陆家嘴金融城", {"n_microgrids": 5})):
        grid = grids[grids["name"] == name]
        out.append({"name": f"demo {name}", "parent": grid, "roads": roads, "water": None,
                    "objects": objs[objs.intersects(grid.geometry.iloc[0])], "options": opts})
    return out


def bund_case() -> dict:
    """Building footprints of the Bund side, outside the demo street."""
    box = shapely.box(*BUND_BOX)
    # OSM is WGS84; CGCS2000 equals it at this scale (see geogrid.crs)
    water = _read(OSM / "water.geojson").set_crs("EPSG:4490", allow_override=True)
    water = water[water.geom_type.isin(["Polygon", "MultiPolygon"])]
    land = shapely.difference(box, shapely.union_all(water.geometry.values))
    land = max(shapely.get_parts(land), key=shapely.area)
    parent = gpd.GeoDataFrame({"id": ["bund"], "name": ["外滩 (Bund side)"], "kind": ["business"]},
                              geometry=[land], crs="EPSG:4490")
    b = _read(OSM / "buildings.geojson").set_crs("EPSG:4490", allow_override=True)
    b = b[(b["kind"] == "building") & b.geom_type.isin(["Polygon", "MultiPolygon"])]
    b = b[b.representative_point().within(land)].reset_index(drop=True)
    metric = b.to_crs(b.estimate_utm_crs())
    floors = (b["height"].astype(float) / 3.0).fillna(6.0).clip(lower=1).to_numpy()
    detail = b["kind_detail"].astype(str).to_numpy()
    homes = np.isin(detail, list(_HOMES))
    households = np.where(homes, metric.area.to_numpy() * floors * 0.75 / 60.0, 0.0)
    objs = gpd.GeoDataFrame({"id": [f"bund-{i}" for i in range(len(b))], "type": "building",
                             "households": households.round(),
                             "business_type": [_TYPES.get(d) for d in detail]},
                            geometry=b.geometry.values, crs="EPSG:4490")
    roads = _read(OSM / "roads.geojson").set_crs("EPSG:4490", allow_override=True)
    roads = roads[roads.intersects(shapely.buffer(box, 0.002))]
    return {"name": "Bund side (second set)", "parent": parent, "objects": objs,
            "roads": roads[["kind", "kind_detail", "geometry"]], "water": water,
            "options": {"n_microgrids": 8, "kind": "business"}}


def _regions(res, labels) -> gpd.GeoDataFrame:
    """Cells dissolved by ``labels`` into one polygon per region (parent CRS)."""
    cells = res.cells.assign(region=np.asarray(labels))
    polys = cells.dissolve("region").reset_index()
    return gpd.GeoDataFrame({"id": polys["region"].to_numpy()}, geometry=polys.geometry.values,
                            crs=res.cells.crs)


def _judge(case, res, labels, seconds) -> dict:
    regions = _regions(res, labels)
    w = np.bincount(np.unique(labels, return_inverse=True)[1],
                    weights=res.cells["workload"].to_numpy(float))
    g = rule_metrics(case["parent"], regions, case["objects"], case["roads"],
                     case["water"])["grid"]
    return {"regions": int(len(regions)), "time_s": round(seconds, 3), "cv": round(cv(w), 3),
            "multipart": int((regions.geom_type != "Polygon").sum()),
            "on_roads": g["boundary"]["share_road_or_water"], "walls_m": g["walls"]["length_m"],
            "beyond_blk": g["offroad"]["share_road_or_water_beyond_blocks"],
            "over_cut": g["compounds"]["over_cut"], "not_nearest": g["nearest"]["not_nearest"],
            "attach": g["nearest"]["n"], "majority": g["business"]["majority_share"],
            "pp_min": g["compactness"]["min"]}


def _maxp(gdf, w, k: int, total: float) -> float:
    """The workload threshold at which MaxP makes ``k`` regions (or the nearest count).

    Each region must reach the threshold, so at ``total / k`` MaxP makes at
    most ``k``; the threshold steps down by a tenth of that until MaxP makes
    ``k`` or more, then one bisection step splits the last interval. (Low
    thresholds are slow: MaxP's cost grows with the number of regions.)
    """
    from spopt.region import MaxPHeuristic

    def regions(thr):
        np.random.seed(0)
        m = MaxPHeuristic(gdf, w, ["x", "y"], "workload", thr, top_n=2)
        m.solve()
        return len(np.unique(m.labels_))

    mean = total / k
    prev, best = None, None
    for f in np.arange(1.0, 0.25, -0.1):
        got = regions(f * mean)
        if best is None or abs(got - k) < abs(best[1] - k):
            best = (f * mean, got)
        if got >= k:
            if got > k and prev is not None:
                mid = (f + prev) / 2 * mean
                got_mid = regions(mid)
                if abs(got_mid - k) <= abs(best[1] - k):
                    best = (mid, got_mid)
            break
        prev = f
    return best[0]


def _spopt(case, res, model: str, k: int, threshold: float | None = None):
    from spopt.region import MaxPHeuristic, Skater

    gdf, w = _spopt_inputs(res)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.random.seed(0)
        if model == "maxp":
            m = MaxPHeuristic(gdf, w, ["x", "y"], "workload", threshold, top_n=2)
        else:
            for col in ("workload", "x", "y"):
                gdf[f"z_{col}"] = (gdf[col] - gdf[col].mean()) / (gdf[col].std() or 1.0)
            m = Skater(gdf, w, ["z_workload", "z_x", "z_y"], n_clusters=k,
                       floor=max(1, len(gdf) // (2 * k)))
        m.solve()
    return _judge(case, res, np.asarray(m.labels_), time.perf_counter() - t)


def _say(msg: str) -> None:
    print(f"[{time.perf_counter() - _T0:7.1f} s] {msg}", file=sys.stderr, flush=True)


def _case_rows(case: dict, rounds: int, threshold: float | None = None) -> dict:
    runs: dict[str, list[dict]] = {"geogrid": [], "maxp": [], "skater": []}
    res = None
    for _ in range(rounds):  # A B C A B C: the three methods alternate
        t = time.perf_counter()
        res = partition(case["parent"], case["objects"], case["roads"],
                        barriers=case["water"], measure_rules=False, **case["options"])
        runs["geogrid"].append(_judge(case, res, res.cells["microgrid"].to_numpy(),
                                      time.perf_counter() - t))
        k = runs["geogrid"][-1]["regions"]
        _say(f"{case['name']}: geogrid {k} regions, {len(res.cells)} units")
        if threshold is None:
            gdf, w = _spopt_inputs(res)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                threshold = _maxp(gdf, w, k, float(gdf["workload"].sum()))
            _say(f"{case['name']}: MaxP threshold {threshold:.1f}")
        runs["maxp"].append(_spopt(case, res, "maxp", k, threshold))
        _say(f"{case['name']}: MaxP {runs['maxp'][-1]['regions']} regions")
        runs["skater"].append(_spopt(case, res, "skater", k))
        _say(f"{case['name']}: Skater {runs['skater'][-1]['regions']} regions")
    ratio = {m: float(np.median([r["time_s"] / g["time_s"] for r, g in
                                 zip(runs[m], runs["geogrid"])])) for m in ("maxp", "skater")}
    return {"name": case["name"], "units": int(len(res.cells)), "maxp_threshold": threshold,
            "last": {m: v[-1] for m, v in runs.items()},
            "time_ratio_vs_geogrid": {m: round(v, 2) for m, v in ratio.items()}}


def run(rounds: int = 2, cases: str = "demo,bund", only: str | None = None,
        threshold: float | None = None) -> dict:
    wanted = set(cases.split(","))
    chosen = (demo_cases() if "demo" in wanted else []) + ([bund_case()] if "bund" in wanted
                                                         else [])
    chosen = [c for c in chosen if only is None or only in c["name"]]
    out: dict = {"rows": []}
    for case in chosen:
        out["rows"].append(_case_rows(case, rounds, threshold))
        print(table({"rows": out["rows"][-1:]}), flush=True)  # each case as it finishes
    out["process_s"] = round(time.perf_counter() - _T0, 1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def table(result: dict) -> str:
    cols = ("regions", "time_s", "cv", "on_roads", "beyond_blk", "walls_m", "over_cut",
            "not_nearest", "majority", "pp_min", "multipart")
    lines = [f"{'case':<26} {'method':<8} " + " ".join(f"{c:>11}" for c in cols)]
    for row in result["rows"]:
        for m, q in row["last"].items():
            lines.append(f"{row['name']:<26} {m:<8} " + " ".join(
                f"{'' if q[c] is None else q[c]:>11}" for c in cols))
        lines.append(f"{'':<26} time ÷ geogrid (median of paired runs): "
                     f"MaxP {row['time_ratio_vs_geogrid']['maxp']}×, "
                     f"Skater {row['time_ratio_vs_geogrid']['skater']}×; {row['units']} units")
    if "process_s" in result:
        lines.append(f"whole process {result['process_s']} s, peak RSS "
                     f"{result['peak_rss_mb']} MB")
    return "\n".join(lines)


def demo_grids(extra: dict | None = None) -> list[dict]:
    """geogrid's plan of every demo grid, judged by the rule metrics (not the engine);
    ``extra``: more partition options for every run (e.g. ``road_cv_allowance``)."""
    grids, objs = _read(DEMO / "lujiazui_grids.geojson"), _read(DEMO / "lujiazui_objects.geojson")
    roads = _read(DEMO / "lujiazui_roads.geojson")
    rows = []
    for name in ("崂山住区", "梅园住区", "滨江住区", "陆家嘴金融城"):
        grid = grids[grids["name"] == name]
        inside = objs[objs.intersects(grid.geometry.iloc[0])]
        runs = [("business", {"n_microgrids": 5, "type_weight": w}) for w in (0.0, 0.5, 1.0)] \
            if name == "陆家嘴金融城" else [("residential", {"target_workload": 300.0})]
        for _, opts in runs:
            t = time.perf_counter()
            res = partition(grid, inside, roads, measure_rules=False, **opts, **(extra or {}))
            seconds = time.perf_counter() - t
            g = rule_metrics(grid, res.microgrids, inside, roads)["grid"]
            rows.append({"grid": name, "type_weight": opts.get("type_weight"),
                         "regions": len(res.microgrids), "cv": res.report["workload"]["cv"],
                         "on_roads": g["boundary"]["share_road_or_water"],
                         **{f"on_{c}": g["boundary"][f"share_{c}"] for c in _CLASSES},
                         "where_roads": g["offroad"]["share_road_or_water_where_roads"],
                         "floor_m": g["floor"]["compound_split_offroad_m"],
                         "block_floor_m": g["floor"]["block_split_offroad_m"],
                         "beyond_blocks": g["offroad"]["share_road_or_water_beyond_blocks"],
                         **{f"off_{c}": g["offroad"][f"{c}_m"] for c in _OFFROAD},
                         "walls_m": g["walls"]["length_m"],
                         "on_roads_max": g["floor"]["share_road_or_water_max"],
                         "cv_floor_need": g["floor"]["workload_cv_within_need"],
                         "over_cut": g["compounds"]["over_cut"],
                         "not_nearest": f"{g['nearest']['not_nearest']}/{g['nearest']['n']}",
                         "majority": g["business"]["majority_share"],
                         "leftover_mg": g["business"]["microgrids_without_typed"],
                         "multipart": int((res.microgrids.geom_type != "Polygon").sum()),
                         "time_s": round(seconds, 2)})
            _say(f"{name} {opts}: done")
    return rows


#: road classes of :func:`geogrid.rule_metrics.road_classes`, and water
_CLASSES = ("major", "minor", "path", "water")
#: where the off-road boundary lies (:func:`geogrid.rule_metrics.rule_metrics`, ``offroad``)
_OFFROAD = ("in_compounds", "on_walls", "on_shared_walls", "outside")


def grids_table(rows: list[dict]) -> str:
    cols = [c for c in rows[0] if c != "grid"] if rows else []
    lines = [f"{'grid':<10} " + " ".join(f"{c:>11}" for c in cols)]
    lines += [f"{r['grid']:<10} " + " ".join(f"{'' if r[c] is None else r[c]:>11}" for c in cols)
              for r in rows]
    return "\n".join(lines)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds per method")
    ap.add_argument("--cases", default="demo,bund", help="demo, bund or both")
    ap.add_argument("--only", default=None, help="only cases whose name contains this")
    ap.add_argument("--maxp-threshold", type=float, default=None,
                    help="skip the search: MaxP's workload threshold (from an earlier run)")
    ap.add_argument("--json", default=None, help="also write the result to this file")
    ap.add_argument("--grids", action="store_true",
                    help="only the rule metrics of geogrid on every demo grid")
    ap.add_argument("--road-cv-allowance", type=float, default=None,
                    help="with --grids: turn on the road re-cut pass with this CV allowance")
    ap.add_argument("--wall-strips", action="store_true",
                    help="with --grids: residential strips outside walls join their compounds")
    args = ap.parse_args(argv)
    if args.grids:
        extra = {} if args.road_cv_allowance is None else \
            {"road_cv_allowance": args.road_cv_allowance}
        if args.wall_strips:
            extra["wall_strips"] = True
        rows = demo_grids(extra)
        print(grids_table(rows))
        print(f"whole process {round(time.perf_counter() - _T0, 1)} s, peak RSS "
              f"{round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)} MB")
        return {"grids": rows}
    result = run(args.rounds, args.cases, args.only, args.maxp_threshold)
    print(table(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=1, ensure_ascii=False)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
