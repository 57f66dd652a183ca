"""Benchmark: geocoding real addresses that the geocoder did not learn from.

Run with ``python -m benchmarks.geocode.real_addresses`` (``--help`` for options).

Data (none of it derived from the gazetteer under test)
-------------------------------------------------------
* Rows of ``shanghai_amap_poi.csv`` (real Shanghai POIs with the address a
  map app shows and a WGS84 point; MIT-licensed collection of Amap data, see
  the README next to it: Pudong and the Lujiazui/Bund box were left out of it)
  inside the bounding box of the Huangpu drive graph. Pass its path with
  ``--poi`` (or ``GEOGRID_AMAP_POI``); it is not shipped.
* Named roads of ``data/osm/huangpu-drive`` and the OSM layers of
  ``data/osm/lujiazui`` (address points, buildings, POIs, compounds, roads);
  © OpenStreetMap contributors, ODbL 1.0.

Settings
--------
* **(a) roads only**: the gazetteer holds only OSM (roads, and in the demo
  street OSM's address points). Reported for every row and for the rows whose
  road has OSM address points.
* **(b) 2-fold**: the rows are split in two at random (seeded); one half is
  imported as the address database (``addresses`` frame), the other half is
  geocoded (its address and POI name; its point only to measure the error),
  then the other way round. Two fold definitions, side by side:

  - **by row** (the acceptance definition): a row is never in both halves, but
    another POI at the same address may be in the database, as in a real
    标准地址库 that already holds 凤阳路415号 when a second shop there calls;
  - **by address** (stricter, "addresses never seen"): folds are drawn per
    normalised address, so an evaluated address is never in the imported half.

  Each definition runs ``--accuracy-rounds`` seeds (``seed``, ``seed + 1``,
  …); the first seed's answers give the full figures and reliability table,
  and the rounds give the spread (min / mean / max).

Confidence is calibrated on the imported half only, as the service does when
an address database is imported (``calibration="database"``,
:func:`geogrid.geocode.selfcal.fit_on_database`): ten folds of that half by
row, each geocoded by the other nine, fit
:class:`geogrid.geocode.Calibration`; it is then applied to the held-out half.
The evaluated rows never touch the fit. For (a), with no database, the
training half's rows geocoded from OSM alone fit it, the same way (five folds;
answers ranked by calibrated confidence, with their features).

Figures: share within 50 / 100 / 250 m, median error, the reliability table,
the share within 100 m among answers with confidence ≥ 0.8, the worst error at
confidence ≥ 0.8, single-query latency (cache off), batch throughput (a
simulated hotline year with repeated addresses, cache on) and suggestion
latency. Timings alternate the gazetteer (A) with a baseline (B, the usual
shortcut: ``rapidfuzz.process.extractOne`` of the whole text over every
indexed address, no parsing) in one process, A B A B, and report the paired
ratio; whole-process time and peak memory close the report.

``--write-calibration PATH`` fits the calibration a gazetteer without an
address database uses, on OSM's own addressed points and buildings of the demo
street (© OpenStreetMap contributors, ODbL 1.0; the same ten-fold fit as a
database's, each held out and geocoded from the others and the OSM layers), and
writes it; that is how ``geogrid/geocode/calibration.json`` is made. It never
sees the Amap rows, and the figures above never use it: each evaluated half is
scored with a calibration fit on the other half alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import Geod
from rapidfuzz import fuzz, process

from geogrid.geocode import Calibration, Gazetteer, gazetteer_frames, reliability_table
from geogrid.geocode.addressdb import address_key
from geogrid.geocode.selfcal import answer_candidates, fit_ranked, held_out_answers

__all__ = ["DRIVE", "FOLD_KINDS", "evaluate_rows", "load_rows", "main", "osm_address_database",
           "osm_frames", "roads_only_seeds", "rounds_summary", "run", "write_calibration"]

ROOT = Path(__file__).resolve().parents[2]
DRIVE = ROOT / "data" / "osm" / "huangpu-drive" / "huangpu_drive_osmnx.osm"
LUJIAZUI = ROOT / "data" / "osm" / "lujiazui"
_GEOD = Geod(ellps="GRS80")


def load_rows(path: Path) -> pd.DataFrame:
    """POI rows inside the drive graph's bounding box, with non-empty addresses."""
    with open(DRIVE, encoding="utf-8") as fh:
        head = fh.read(2000)
    b = {k: float(head.split(f'{k}="')[1].split('"')[0])
         for k in ("minlon", "minlat", "maxlon", "maxlat")}
    df = pd.read_csv(path)
    inside = df.lon.between(b["minlon"], b["maxlon"]) & df.lat.between(b["minlat"], b["maxlat"])
    rows = df[inside].reset_index(drop=True)
    rows["address"] = rows["address"].fillna("").astype(str)
    return rows


def osm_frames() -> dict[str, gpd.GeoDataFrame]:
    """Gazetteer frames from OSM alone: the drive graph's named roads plus the Lujiazui layers."""
    drive = pyogrio.read_dataframe(DRIVE, layer="lines")
    drive = drive[drive["name"].notna()][["name", "geometry"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        layers = {n: gpd.read_file(LUJIAZUI / f"{n}.geojson")
                  for n in ("buildings", "landuse", "pois", "roads")}
    frames = gazetteer_frames(**layers)
    roads = pd.concat([frames["roads"][["name", "geometry"]], drive.to_crs(frames["roads"].crs)],
                      ignore_index=True)
    frames["roads"] = gpd.GeoDataFrame(roads, geometry="geometry", crs=frames["roads"].crs)
    return frames


def _addresses(rows: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"address": rows["address"].to_numpy(),
                             "name": rows["name"].to_numpy()},
                            geometry=gpd.points_from_xy(rows.lon, rows.lat), crs="EPSG:4326")


def evaluate_rows(gaz: Gazetteer, rows: pd.DataFrame) -> pd.DataFrame:
    """Geocode every row's address; error in metres to its true point (inf when not found)."""
    out = gaz.geocode_many(rows["address"], names=rows["name"])
    err = np.full(len(rows), np.inf)
    ok = out["ok"].to_numpy(bool)
    if ok.any():
        err[ok] = _GEOD.inv(out["lon"].to_numpy(float)[ok], out["lat"].to_numpy(float)[ok],
                            rows["lon"].to_numpy(float)[ok], rows["lat"].to_numpy(float)[ok])[2]
    res = out[["query", "ok", "level", "confidence", "score", "detail", "matched",
               "evidence"]].copy()
    res["error_m"] = err
    res["name"] = rows["name"].to_numpy()
    return res


#: fold definitions: "row" (each row in one fold) or "address" (each normalised address)
FOLD_KINDS = ("row", "address")


def _folds(rows: pd.DataFrame, k: int, seed: int, kind: str = "address") -> np.ndarray:
    """Fold of each row. ``kind="address"``: drawn per normalised address, so rows that
    repeat one address (the shops of a mall, a POI listed under two categories) stay in one
    fold; ``kind="row"``: drawn per row, so only the row itself is held out."""
    if kind == "row":
        return np.random.default_rng(seed).permutation(len(rows)) % k
    keys = rows["address"].map(address_key).to_numpy()
    uniq, inverse = np.unique(keys, return_inverse=True)
    return (np.random.default_rng(seed).permutation(len(uniq)) % k)[inverse]


def _halves(rows: pd.DataFrame, seed: int, kind: str = "address") -> np.ndarray:
    return _folds(rows, 2, seed, kind)


def _fit_on(rows: pd.DataFrame, frames: dict, *, with_db: bool, seed: int,
            folds: int = 5, kind: str = "address") -> Calibration:
    """Calibration from ``rows`` only: each inner fold (same definition) is geocoded by the
    others, and the fit is made on the answers the calibrated gazetteer would give (ranked
    by calibrated confidence, with their features), as the service's own database fit is
    (:func:`geogrid.geocode.selfcal.fit_ranked`)."""
    inner = _folds(rows, folds, seed + 1, kind)
    held = []
    for k in range(folds):
        db, test = rows[inner != k], rows[inner == k]
        gaz = Gazetteer.from_frames(**frames, addresses=_addresses(db) if with_db else None,
                                    calibration=None, cache_size=0)
        for text, name, x, y in zip(test["address"], test["name"], test["lon"], test["lat"]):
            r = gaz.geocode(text, name)
            if r.ok:
                held.append({"fold": k, "candidates": answer_candidates(r, x, y)})
    return fit_ranked(pd.DataFrame(held, columns=["fold", "candidates"]), 100.0)


def _setting(rows: pd.DataFrame, frames: dict, *, with_db: bool, seed: int,
             kind: str = "address") -> tuple[pd.DataFrame, list[Gazetteer]]:
    half = _halves(rows, seed, kind)
    results, gazes = [], []
    for k in (0, 1):
        train, test = rows[half != k], rows[half == k]
        if with_db:  # as in service: the calibration is fit on the imported half alone
            gaz = Gazetteer.from_frames(**frames, addresses=_addresses(train),
                                        calibration="database")
        else:
            gaz = Gazetteer.from_frames(**frames, calibration=_fit_on(
                train, frames, with_db=False, seed=seed, kind=kind))
        res = evaluate_rows(gaz, test)
        res["fold"] = k
        results.append(res)
        gazes.append(gaz)
    return pd.concat(results, ignore_index=True), gazes


def summarise(res: pd.DataFrame) -> dict[str, Any]:
    err = res["error_m"].to_numpy(float)
    conf = res["confidence"].to_numpy(float)
    hit = err <= 100.0
    sure = conf >= 0.8
    return {
        "n": len(res), "found": int(res["ok"].sum()),
        "within_50m": float((err <= 50).mean()), "within_100m": float(hit.mean()),
        "within_250m": float((err <= 250).mean()),
        "median_error_m": float(np.median(err)),
        "n_conf_ge_0_8": int(sure.sum()),
        "within_100m_at_conf_ge_0_8": float(hit[sure].mean()) if sure.any() else None,
        "worst_error_at_conf_ge_0_8_m": float(err[sure].max()) if sure.any() else None,
        "by_rung": {str(k): {"n": len(g), "within_100m": float((g["error_m"] <= 100).mean())}
                    for k, g in res.groupby(res["level"].fillna("未找到"))},
        "reliability": reliability_table(conf[res["ok"].to_numpy(bool)],
                                         hit[res["ok"].to_numpy(bool)]).to_dict("records"),
    }


#: figures whose spread over the rounds is reported
_SPREAD_KEYS = ("within_50m", "within_100m", "within_250m", "median_error_m", "n_conf_ge_0_8",
                "within_100m_at_conf_ge_0_8")


def rounds_summary(per_round: list[pd.DataFrame]) -> dict[str, Any]:
    """The first round's full figures, plus min / mean / max of the key figures over rounds."""
    sums = [summarise(r) for r in per_round]
    out = dict(sums[0])
    out["rounds"] = len(sums)
    out["over_rounds"] = {k: {"min": min(v), "mean": float(np.mean(v)), "max": max(v)}
                          for k in _SPREAD_KEYS
                          if (v := [s[k] for s in sums if s[k] is not None])}
    return out


class _FuzzyOnly:
    """Baseline: the whole text against every address of the database, no parsing."""

    def __init__(self, rows: pd.DataFrame):
        self.labels = rows["address"].tolist()

    def __call__(self, q: str):
        return process.extractOne(q, self.labels, scorer=fuzz.WRatio)


def _timed(fn, queries: list[str]) -> np.ndarray:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t)
    return np.asarray(out)


def speed(rows: pd.DataFrame, frames: dict, *, records: int, rounds: int, seed: int) -> dict:
    """Single-query latency (cache off) paired A/B with the fuzzy baseline; batch; suggest."""
    half = _halves(rows, seed)
    train, test = rows[half == 0], rows[half == 1]
    cold = Gazetteer.from_frames(**frames, addresses=_addresses(train), cache_size=0)
    base = _FuzzyOnly(train)
    queries = test["address"].tolist()
    a_times, b_times = [], []
    for _ in range(rounds):  # A B A B
        a_times.append(_timed(cold.geocode, queries))
        b_times.append(_timed(base, queries))
    a, b = np.concatenate(a_times), np.concatenate(b_times)
    ratio = [float(np.median(y) / np.median(x)) for x, y in zip(a_times, b_times)]
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(queries) + 1)
    year = list(rng.choice(queries, size=records, p=weights / weights.sum()))
    warm = Gazetteer.from_frames(**frames, addresses=_addresses(train))
    t = time.perf_counter()
    warm.geocode_many(year)
    batch_s = time.perf_counter() - t
    t = time.perf_counter()
    cold.geocode_many(queries)
    unique_s = time.perf_counter() - t
    prefixes = [q[:k] for q in queries[:200] for k in (2, 4, 6) if len(q) >= k]
    sug = _timed(lambda q: warm.suggest(q, limit=10), prefixes)
    return {
        "single_p50_ms": float(np.median(a) * 1e3),
        "single_p95_ms": float(np.percentile(a, 95) * 1e3),
        # each query's fastest round: what is left once the shared machine's scheduler noise is
        "single_p95_ms_best_round": float(np.percentile(np.min(a_times, axis=0), 95) * 1e3),
        "baseline_p50_ms": float(np.median(b) * 1e3),
        "baseline_over_gazetteer_p50": ratio,
        "batch_records": records, "batch_per_s": records / batch_s,
        "unique_per_s_cache_off": len(queries) / unique_s,
        "suggest_p50_ms": float(np.median(sug) * 1e3),
        "suggest_p95_ms": float(np.percentile(sug, 95) * 1e3), "suggest_queries": len(prefixes),
    }


def run(poi: Path, *, seed: int = 0, records: int = 200_000, rounds: int = 3,
        accuracy_rounds: int = 3, timing: bool = True) -> dict[str, Any]:
    t0 = time.perf_counter()
    rows = load_rows(poi)
    frames = osm_frames()
    a_res, (gaz_a, _) = _setting(rows, frames, with_db=False, seed=seed)
    has_points = {k[0] for k in gaz_a._houses}  # roads with OSM address points
    from geogrid.geocode import parse_address, road_key

    on_pts = np.array([bool(p.road) and road_key(p.road) in has_points
                       for p in map(parse_address, a_res["query"])])
    b, fits = {}, {}
    for kind in FOLD_KINDS:
        runs = [_setting(rows, frames, with_db=True, seed=seed + r, kind=kind)
                for r in range(accuracy_rounds)]
        b[kind] = rounds_summary([res for res, _ in runs])
        # what the import itself reports: the database fit's out-of-fold reliability
        fits[kind] = [g.calibration_fit.reliability.to_dict("records") for g in runs[0][1]
                      if g.calibration_fit is not None]
    report = {
        "rows": len(rows), "seed": seed,
        "a_roads_only": summarise(a_res),
        "a_roads_only_where_address_points": summarise(a_res[on_pts]) if on_pts.any() else None,
        "b_two_fold_by_row": b["row"], "b_two_fold_by_address": b["address"],
        "b_database_fit_reliability_by_row": fits["row"],
        "speed": (speed(rows, frames, records=records, rounds=rounds, seed=seed)
                  if timing else None),
    }
    report["process_s"] = time.perf_counter() - t0
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return report


def roads_only_seeds(poi: Path, *, seed: int = 0, seeds: int = 7) -> dict[str, Any]:
    """(a) alone for seeds ``seed`` … ``seed + seeds - 1``: per seed, the answers at
    confidence >= 0.8, their share within 100 m and the worst error among them (the
    calibration of each half is fit on the other half's rows, roads only)."""
    rows, frames = load_rows(poi), osm_frames()
    out = {}
    for s in range(seed, seed + seeds):
        got = summarise(_setting(rows, frames, with_db=False, seed=s)[0])
        out[str(s)] = {k: got[k] for k in ("within_100m", "n_conf_ge_0_8",
                                           "within_100m_at_conf_ge_0_8",
                                           "worst_error_at_conf_ge_0_8_m", "reliability")}
    return out


def osm_address_database(frames: dict) -> tuple[dict, gpd.GeoDataFrame]:
    """OSM's addressed points and buildings of the demo street as an address database
    (``addr_street`` + ``addr_housenumber`` + 号, the building's name, its representative
    point), and the other frames without them, so that a row held out is nowhere else."""
    parts, rest = [], dict(frames)
    for key in ("address_points", "buildings"):
        frame = frames[key]
        has = frame["addr_street"].notna() & frame["addr_housenumber"].notna()
        got = frame[has]
        number = got["addr_housenumber"].astype(str).str.strip()
        parts.append(gpd.GeoDataFrame(
            {"address": (got["addr_street"].astype(str).str.strip() + number
                         + np.where(number.str.isdigit(), "号", "")),
             "name": got["name"].to_numpy()},
            geometry=got.geometry.representative_point().to_numpy(), crs=frame.crs))
        rest[key] = frame[~has]
    db = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry",
                          crs=parts[0].crs)
    return rest, db


def write_calibration(path: Path, *, seed: int = 0) -> Calibration:
    """Fit the shipped calibration on OSM's own addressed points and buildings of the demo
    street (ODbL), each held out and geocoded from the others, the drive graph's roads and
    the other OSM layers: the answers a gazetteer without an address database gives. Never
    on the evaluation rows.

    OSM often files one address twice (a point and a footprint), so a held-out row mostly
    finds its twin: those answers teach 门牌. Held out once more with one record per
    address, the rows teach the interpolation rungs; both sets are fit together."""
    rest, db = osm_address_database(osm_frames())
    once = db.drop_duplicates("address")
    got = pd.concat([held_out_answers(rest, db, seed=seed),
                     held_out_answers(rest, once, seed=seed)], ignore_index=True)
    cal = fit_ranked(got, 100.0)
    cal.save(path)
    return cal


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poi", type=Path, default=os.environ.get("GEOGRID_AMAP_POI"),
                    help="path of shanghai_amap_poi.csv")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3, help="timing rounds (A B A B)")
    ap.add_argument("--accuracy-rounds", type=int, default=3,
                    help="seeds per fold definition (the spread over them is reported)")
    ap.add_argument("--write-calibration", type=Path, default=None)
    ap.add_argument("--accuracy-only", action="store_true",
                    help="skip the timings (single, batch, suggest): a faster run")
    ap.add_argument("--roads-only-seeds", type=int, default=0,
                    help="only (a), roads only, for this many seeds from --seed")
    a = ap.parse_args(argv)
    if a.write_calibration:
        cal = write_calibration(a.write_calibration, seed=a.seed)
        print(json.dumps(cal.to_dict(), ensure_ascii=False, indent=1))
        return cal.to_dict()
    if a.poi is None or not Path(a.poi).exists():
        raise SystemExit("找不到 POI 文件 / the POI file was not found: pass --poi PATH "
                         "(shanghai_amap_poi.csv) or set GEOGRID_AMAP_POI.")
    if a.roads_only_seeds:
        report = roads_only_seeds(Path(a.poi), seed=a.seed, seeds=a.roads_only_seeds)
        print(json.dumps(report, ensure_ascii=False, indent=1, default=str))
        return report
    report = run(Path(a.poi), seed=a.seed, records=a.records, rounds=a.rounds,
                 accuracy_rounds=a.accuracy_rounds, timing=not a.accuracy_only)
    print(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    return report


if __name__ == "__main__":
    main()
