"""Benchmark: geocoding accuracy, single-address latency and batch throughput.

Run with ``python -m benchmarks.geocode.bench_geocode`` (options: ``--help``).

Data
----
* ``lujiazui``: the OSM extract in ``data/osm/lujiazui`` (© OpenStreetMap
  contributors, ODbL 1.0), shaped by :func:`geogrid.geocode.gazetteer_frames`.
* ``city``: a synthetic city of ``--streets`` streets with 40 numbered
  addresses each (odd north, even south) and one named POI per address, to
  show how latency scales with the size of the index.

Accuracy
--------
:func:`geogrid.geocode.build_eval_set` writes every addressed OSM feature in
realistic variants and holds out numbers for interpolation;
:func:`geogrid.geocode.evaluate` reports the share within 50 m. Interpolation
is pooled over ``--folds`` hold-out draws. Intersections are scored against
bus stops named after the crossing, which stand 30-280 m from the junction,
so they are reported within 50, 100 and 200 m.

Baseline (same run, same queries)
---------------------------------
``fuzzy-only``: the common shortcut of matching the whole query with
``rapidfuzz.process.extractOne`` (``WRatio``) against every indexed address
label and name, no parsing. Its accuracy and latency are reported next to
the gazetteer's.

Latency
-------
Single geocodes with the result cache disabled (``cache_size=0``): what a
dispatcher pays for an address never seen before. Throughput: a simulated
year of hotline records (``--records``), drawn with Zipf-like repetition from
the evaluation queries, through :meth:`Gazetteer.geocode_many` with the cache
on (cold at the start), and the unique queries alone with the cache off.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod
from rapidfuzz import fuzz, process
from shapely.geometry import LineString, Point

from geogrid.geocode import Gazetteer, build_eval_set, evaluate, gazetteer_frames

from .._paired import format_table, paired

__all__ = ["load_lujiazui", "main", "run", "synthetic_city"]

DATA = Path(__file__).resolve().parents[2] / "data" / "osm" / "lujiazui"
_GEOD = Geod(ellps="GRS80")
HOUSE_VARIANTS = ("exact", "bare", "prefix", "fullwidth", "cn_numeral", "traditional", "detail",
                  "spaces", "paren_hint", "dash")


def load_lujiazui() -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """Gazetteer frames and district boundary lines of the Lujiazui extract."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        layers = {n: gpd.read_file(DATA / f"{n}.geojson")
                  for n in ("buildings", "landuse", "pois", "roads", "boundaries")}
    boundaries = layers.pop("boundaries")
    return gazetteer_frames(**layers), boundaries


_CHARS = ("安宝北昌长成春大德东丰福光广海汉和河华淮黄吉江金锦京静康兰乐利临龙梅民明南宁平浦"
          "普青庆瑞山上胜顺松泰天通桐万武西祥新兴阳永玉园云长振中")


def synthetic_city(n_streets: int, *, seed: int = 0) -> dict[str, gpd.GeoDataFrame]:
    """``n_streets`` parallel streets, 40 numbers each, and one POI per number."""
    rng = np.random.default_rng(seed)
    names: set[str] = set()
    while len(names) < n_streets:
        k = rng.integers(2, 4)
        names.add("".join(rng.choice(list(_CHARS), size=k)) + rng.choice(["路", "街", "大道"]))
    names_l = sorted(names)
    side = int(np.ceil(np.sqrt(n_streets)))
    m_lon, m_lat = 1 / 95_000.0, 1 / 110_860.0
    roads, pts, pois = [], [], []
    for i, name in enumerate(names_l):
        x0, y0 = (i % side) * 500.0, (i // side) * 120.0
        lon0, lat0 = 121.0 + x0 * m_lon, 31.0 + y0 * m_lat
        roads.append((name, LineString([(lon0, lat0), (lon0 + 420 * m_lon, lat0)])))
        for n in range(1, 41):
            dy = 15.0 if n % 2 else -15.0
            p = Point(lon0 + 10 * n * m_lon, lat0 + dy * m_lat)
            pts.append((name, str(n), p))
            pois.append((f"{name[:2]}{rng.choice(list(_CHARS))}{n}号店", p))
    crs = "EPSG:4490"
    return {
        "roads": gpd.GeoDataFrame({"name": [r[0] for r in roads]},
                                  geometry=[r[1] for r in roads], crs=crs),
        "address_points": gpd.GeoDataFrame(
            {"addr_street": [p[0] for p in pts], "addr_housenumber": [p[1] for p in pts]},
            geometry=[p[2] for p in pts], crs=crs),
        "pois": gpd.GeoDataFrame({"name": [p[0] for p in pois]},
                                 geometry=[p[1] for p in pois], crs=crs),
    }


def _percentiles(times_s: list[float]) -> dict[str, float]:
    ms = np.asarray(times_s) * 1000.0
    return {"n": len(ms), "mean_ms": float(ms.mean()), "p50_ms": float(np.percentile(ms, 50)),
            "p95_ms": float(np.percentile(ms, 95)), "p99_ms": float(np.percentile(ms, 99))}


def _time_each(fn, queries: list[str], repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        for q in queries:
            t = time.perf_counter()
            fn(q)
            times.append(time.perf_counter() - t)
    return _percentiles(times)


def _latency(cold, base, groups: dict[str, list[str]], exact: list[str], repeat: int):
    """Latency per query group, and the exact-address queries alternated with the fuzzy-only baseline."""
    latency = {name: _time_each(cold.geocode, qs, repeat) for name, qs in groups.items()}
    latency["fuzzy-only baseline"] = _time_each(base, exact, repeat)
    pair = paired("gazetteer, cache off", lambda i: cold.geocode(exact[i % len(exact)]),
                  "fuzzy-only baseline", lambda i: base(exact[i % len(exact)]),
                  rounds=len(exact) * repeat, label="门牌 exact, query by query")
    return latency, pair


class _FuzzyOnly:
    """Baseline: the whole query against every address label and name, WRatio, no parsing."""

    def __init__(self, frames: dict[str, gpd.GeoDataFrame]):
        labels, points = [], []
        for key in ("address_points", "buildings"):
            f = frames.get(key)
            if f is None or "addr_street" not in f.columns:
                continue
            ok = f["addr_street"].notna() & f["addr_housenumber"].notna()
            reps = f[ok].geometry.representative_point()
            for s, h, p in zip(f[ok]["addr_street"], f[ok]["addr_housenumber"], reps):
                labels.append(f"{s}{str(h).removesuffix('号')}号")
                points.append((p.x, p.y))
        for key in ("buildings", "pois", "compounds"):
            f = frames.get(key)
            if f is None or "name" not in f.columns:
                continue
            named = f[f["name"].notna()]
            for nm, p in zip(named["name"], named.geometry.representative_point()):
                labels.append(str(nm))
                points.append((p.x, p.y))
        self.labels, self.points = labels, points

    def __call__(self, query: str):
        hit = process.extractOne(query, self.labels, scorer=fuzz.WRatio)
        return self.points[hit[2]] if hit else None


def _baseline_accuracy(base: _FuzzyOnly, cases) -> dict[str, float]:
    rows = []
    for c in cases:
        pt = base(c.query)
        err = _GEOD.inv(c.lon, c.lat, pt[0], pt[1])[2] if pt else np.inf
        rows.append((c.variant, err))
    df = pd.DataFrame(rows, columns=["variant", "error_m"])
    return {v: float(100.0 * (g["error_m"] <= 50).mean()) for v, g in df.groupby("variant")} | {
        "total": float(100.0 * (df["error_m"] <= 50).mean())}


def _city(streets: int, seed: int, repeat: int) -> dict[str, Any]:
    """Build time and latency on a synthetic city of ``streets`` named roads."""
    city = synthetic_city(streets, seed=seed)
    t = time.perf_counter()
    gc = Gazetteer.from_frames(**city, cache_size=0)
    build_city = time.perf_counter() - t
    crng = np.random.default_rng(seed + 1)
    names = city["roads"]["name"].tolist()
    picks = crng.choice(len(names), size=200)
    poi_names = city["pois"]["name"].tolist()
    return {
        "streets": streets, "house_numbers": gc.stats["house_numbers"],
        "names": gc.stats["names"], "build_s": build_city,
        "latency": {
            "门牌 exact": _time_each(gc.geocode, [f"{names[i]}{(i % 40) + 1}号" for i in picks], repeat),
            "道路插值": _time_each(gc.geocode, [f"{names[i]}{41 + i % 9}号" for i in picks], repeat),
            "POI name": _time_each(gc.geocode, [poi_names[i * 40] for i in picks], repeat),
            "fuzzy name (typo)": _time_each(
                gc.geocode, [poi_names[i * 40][:-2] + "号" for i in picks][:50], 1),
        },
    }


def run(*, records: int = 100_000, repeat: int = 3, folds: int = 6, streets: int = 2_500,
        seed: int = 0) -> dict[str, Any]:
    """Measure accuracy, latency and throughput; return everything as a dict."""
    out: dict[str, Any] = {"params": {"records": records, "repeat": repeat, "folds": folds,
                                      "streets": streets, "seed": seed}}
    t = time.perf_counter()
    frames, boundaries = load_lujiazui()
    out["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    g_full = Gazetteer.from_frames(**frames)
    out["build_s"] = time.perf_counter() - t
    out["stats"] = g_full.stats

    # -- accuracy
    es = build_eval_set(frames, boundaries=boundaries, seed=seed)
    g = Gazetteer.from_frames(**es.frames)
    res = evaluate(g, es.cases)
    out["accuracy"] = res["by_variant"]
    out["accuracy_total"] = res["total"]
    interp = []
    for k in range(folds):
        ek = build_eval_set(frames, boundaries=boundaries, seed=seed + k, holdout_fraction=0.34)
        gk = Gazetteer.from_frames(**ek.frames)
        interp.append(evaluate(gk, [c for c in ek.cases if c.variant == "interpolation"])["cases"])
    pooled = pd.concat(interp).drop_duplicates("query")
    out["interpolation_pooled"] = {
        "n": len(pooled),
        "pct_within": float(100.0 * (pooled["error_m"] <= 50).mean()),
        "median_m": float(pooled["error_m"].median()),
        "p90_m": float(pooled["error_m"].quantile(0.9)),
    }
    base = _FuzzyOnly(es.frames)
    out["baseline_accuracy"] = _baseline_accuracy(base, es.cases)

    # -- single latency, cache off
    cold = Gazetteer.from_frames(**es.frames, cache_size=0)
    by_variant: dict[str, list[str]] = {}
    for c in es.cases:
        by_variant.setdefault(c.variant, []).append(c.query)
    groups = {
        "门牌 exact": by_variant["exact"],
        "门牌 variants": [q for v in HOUSE_VARIANTS for q in by_variant.get(v, [])],
        "道路插值": by_variant["interpolation"] + list(pooled["query"]),
        "交叉口 (+offset)": by_variant["intersection"] + by_variant["intersection_offset"],
        "POI / 楼栋 / 小区": by_variant["poi_with_road"] + by_variant["building_name"]
        + by_variant["compound"],
        "fuzzy road (typo)": [q.replace("路", "璐", 1) if i % 2 else q.replace("嘴", "咀")
                              for i, q in enumerate(by_variant["exact"])],
        "not found": [f"火星{i}路{i}号" for i in range(50)],
    }
    out["latency"], out["paired"] = _latency(cold, base, groups, by_variant["exact"], repeat)
    out["paired_summary"] = out["paired"].summary()

    # -- batch throughput
    rng = np.random.default_rng(seed)
    pool = [c.query for c in es.cases]
    weights = 1.0 / np.arange(1, len(pool) + 1) ** 0.8
    weights /= weights.sum()
    draws = [pool[i] for i in rng.choice(len(pool), size=records, p=weights)]
    warm = Gazetteer.from_frames(**es.frames)
    t = time.perf_counter()
    df = warm.geocode_many(draws)
    batch_s = time.perf_counter() - t
    uniq = sorted(set(pool))
    t = time.perf_counter()
    cold.geocode_many(uniq)
    uniq_s = time.perf_counter() - t
    out["throughput"] = {
        "records": records, "unique_in_records": len(set(draws)), "batch_s": batch_s,
        "records_per_s": records / batch_s, "found_pct": float(100.0 * df["ok"].mean()),
        "unique": len(uniq), "unique_s": uniq_s, "unique_per_s": len(uniq) / uniq_s,
    }

    if streets:
        out["city"] = _city(streets, seed, repeat)
    return out


def _table(r: dict[str, Any]) -> str:
    head = (f"== Lujiazui OSM: load {r['load_s']:.2f} s, build {r['build_s'] * 1000:.0f} ms; "
            f"{r['stats']}")
    lines = [head]
    lines.append("-- accuracy (% within 50 m; gazetteer vs fuzzy-only baseline)")
    lines.append(f"   {'variant':22s} {'n':>5s} {'<=50m':>7s} {'<=200m':>7s} {'median m':>9s} "
                 f"{'level ok':>9s} {'baseline':>9s}")
    base = r["baseline_accuracy"]
    for v, s in r["accuracy"].items():
        lines.append(f"   {v:22s} {s['n']:5d} {s['pct_within']:7.1f} {s['pct_within_200m']:7.1f} "
                     f"{s['median_m']:9.1f} {s['pct_level']:9.1f} {base.get(v, float('nan')):9.1f}")
    t = r["accuracy_total"]
    lines.append(f"   {'TOTAL':22s} {t['n']:5d} {t['pct_within']:7.1f} {t['pct_within_200m']:7.1f} "
                 f"{t['median_m']:9.1f} {t['pct_level']:9.1f} {base['total']:9.1f}")
    ip = r["interpolation_pooled"]
    lines.append(f"   interpolation pooled over {r['params']['folds']} hold-out draws: n={ip['n']}, "
                 f"{ip['pct_within']:.1f} % within 50 m, median {ip['median_m']:.1f} m, "
                 f"p90 {ip['p90_m']:.1f} m")
    lines.append("-- single geocode, cache off (ms)")
    lines.append(f"   {'kind':22s} {'n':>6s} {'p50':>8s} {'p95':>8s} {'p99':>8s}")
    for k, s in r["latency"].items():
        lines.append(f"   {k:22s} {s['n']:6d} {s['p50_ms']:8.3f} {s['p95_ms']:8.3f} "
                     f"{s['p99_ms']:8.3f}")
    th = r["throughput"]
    lines.append(f"-- batch: {th['records']} hotline records ({th['unique_in_records']} distinct) "
                 f"in {th['batch_s']:.2f} s = {th['records_per_s']:,.0f} records/s "
                 f"(found {th['found_pct']:.1f} %); {th['unique']} unique, cache off: "
                 f"{th['unique_per_s']:,.0f} /s")
    if "city" in r:
        c = r["city"]
        lines.append(f"== synthetic city: {c['streets']} streets, {c['house_numbers']} house "
                     f"numbers, {c['names']} names; build {c['build_s']:.2f} s")
        for k, s in c["latency"].items():
            lines.append(f"   {k:22s} {s['n']:6d} {s['p50_ms']:8.3f} {s['p95_ms']:8.3f} "
                         f"{s['p99_ms']:8.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.geocode.bench_geocode",
                                description=__doc__.split("\n")[0])
    p.add_argument("--records", type=int, default=100_000, help="simulated hotline records")
    p.add_argument("--repeat", type=int, default=3, help="passes over each latency query set")
    p.add_argument("--folds", type=int, default=6, help="hold-out draws for interpolation")
    p.add_argument("--streets", type=int, default=2_500, help="synthetic city size (0: skip)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    res = run(records=a.records, repeat=a.repeat, folds=a.folds, streets=a.streets, seed=a.seed)
    print(_table(res))
    print(format_table("geocode latency against the fuzzy-only baseline, alternated", [res["paired"]]))
    return res


if __name__ == "__main__":
    main()
