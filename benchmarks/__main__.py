"""``make bench``: every benchmark, each against a baseline measured in the same run.

Each section runs in its own child process, so the summary can give its
whole-process wall time and peak memory (read from the kernel with
``wait4``) next to the steady-state figures it reports, and one section's
caches or memory cannot colour the next. The one-minute load average is
printed at the start and end of every section and of the whole run: on a
shared machine it says how much to trust the figures. Ratios (not absolute
times) are what to compare across machines; sections that use
:mod:`benchmarks._paired` report the median of paired, alternated ratios.

Sizes: the default took about 24 minutes on a shared 2-core machine at load 6-12;
``--quick`` is a smoke run of a few minutes; ``--full`` adds the largest
inputs (the 300,000-polygon command-line run, the 100,000-unit partition,
the 30,000-microgrid tile city, the 60,000-microgrid city whose new worker
answers its first ``/locate``; the default city has 6,000).
``--only NAME[,NAME]`` picks sections (locate, postgis, cli, http, city,
routing, geocode, partition, tiles, intake).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Callable

import numpy as np
from rich.console import Console
from rich.table import Table

from ._paired import load_average, ratio_text, run_measured

__all__ = ["SECTIONS", "main", "http_rows", "city_rows"]

console = Console(width=None if sys.stdout.isatty() else 160)
ROOT = Path(__file__).resolve().parents[1]
Row = tuple[str, str, str, str]


def _pick(size: str, quick, default, full):
    """The value for the run's size: ``--quick``, the default, or ``--full``."""
    return {"quick": quick, "full": full}.get(size, default)


def _locate(size: str, only: set[str]) -> list[Row]:
    with_postgis = "postgis" in only
    from .locate import bench_locate

    others = {}
    cluster = None
    if with_postgis:
        from tests.support.pgcluster import PgCluster

        from .postgis import locate_join

        cluster = PgCluster(dbname="bench").start()
        others["postgis"] = locate_join(cluster)
    rows = []
    try:
        points = 200_000 if size == "quick" else 1_000_000
        for scale in (1, 10, 100):
            row = bench_locate.run(points=points, polygons=300 * scale, repeat=_pick(size, 2, 3, 5),
                                   others=others if scale == 1 else {})
            if "postgis" in row["others"]:
                row["others"]["postgis"]["join_pts_s"] = points / others["postgis"].join_s
            rows.append(row)
    finally:
        if cluster:
            cluster.stop()
    print(bench_locate.table(rows))
    out: list[Row] = []
    for r in rows:
        arrays, frames = r["paired"][1], r["paired"][2]
        out.append((f"locate {r['points']:,} pts in {r['polygons']:,} polygons",
                    f"{r['locate_pts_s'] / 1e6:.1f} M pts/s", f"geopandas.sjoin {r['sjoin_pts_s'] / 1e6:.2f} M pts/s",
                    _paired_ratio(arrays)))
        out.append(("  same, GeoDataFrame in, table out (locate_frame)", f"{r['locate_frame_pts_s'] / 1e6:.1f} M pts/s",
                    "geopandas.sjoin", _paired_ratio(frames)))
        build = r["paired"][0]
        out.append(("  index build", f"{np.median(build.a):.2f} s", f"STRtree {np.median(build.b) * 1e3:.2f} ms",
                    _paired_ratio(build)))
        pg = r["others"].get("postgis")
        if pg:
            out.append(("  same points, PostGIS ST_Intersects join (one run each)",
                        f"{r['locate_pts_s'] / 1e6:.1f} M pts/s", f"PostGIS {pg['join_pts_s'] / 1e6:.2f} M pts/s",
                        f"{r['locate_pts_s'] / pg['join_pts_s']:.0f}×"))
    one = rows[0]["paired"][3]
    out.append(("single lookup p50 / p99", f"{np.median(one.a) * 1e6:.1f} / {np.percentile(one.a, 99) * 1e6:.1f} µs",
                f"STRtree query {np.median(one.b) * 1e6:.1f} / {np.percentile(one.b, 99) * 1e6:.1f} µs",
                _paired_ratio(one)))
    return out


def _paired_ratio(p) -> str:
    """A paired result for the summary: median paired ratio B/A, IQR and the load average."""
    if len(p.a) < 4:  # too few rounds for a spread
        return f"{ratio_text(p.ratio)}× (paired, {len(p.a)} rounds, load {p.load_before:.1f})"
    q1, q3 = p.iqr
    return (f"{ratio_text(p.ratio)}× (paired, IQR {ratio_text(q1)}-{ratio_text(q3)}, "
            f"load {p.load_before:.1f})")


def _http(size: str, only: set[str]) -> list[Row]:
    from .locate import bench_http

    return http_rows(bench_http.main(["--seconds", _pick(size, "5", "10", "15"), "--connections", "8",
                                      "--rounds", _pick(size, "2", "3", "4"),
                                      "--sides", "geogrid,geogrid-validated,plain"]))


def _p99(runs: list[dict]) -> str:
    """The median of the rounds' p99 latencies, and the worst round's."""
    return f"p99 {_med(r['p99_ms'] for r in runs):.1f} ms (worst {max(r['p99_ms'] for r in runs):.1f})"


def _med(values) -> float:
    import statistics

    return statistics.median(list(values))


def http_rows(r: dict) -> list[Row]:
    """Summary rows of :func:`benchmarks.locate.bench_http.run`: each geogrid side's
    requests/s and p99 against the plain FastAPI + STRtree endpoint's, the median of the
    paired ratios of requests/s, the rounds and their load."""
    plain = r["runs"]["plain"]
    base = f"plain FastAPI+STRtree {_med(x['rps'] for x in plain):.0f} req/s, {_p99(plain)}"
    labels = {"geogrid": f"GET /locate over HTTP, 1 worker ({r['client']}, {r['connections']} conns; "
                         "done when ≥0.8× with p99 <10 ms)",
              "geogrid-validated": "  same, a query whose parameters are validated (plan=active)"}
    rows = []
    for side, ratios in r["ratios_by_side"].items():
        runs = r["runs"][side]
        rows.append((labels.get(side, f"  {side}"), f"{_med(x['rps'] for x in runs):.0f} req/s, {_p99(runs)}",
                     base, f"{_med(ratios):.2f}× {_rounds_load({**r, 'ratios': ratios})}"))
    return rows


def _rounds_load(r: dict) -> str:
    """The ratio's note, "(paired, n rounds, load a-b)", from ``ratios`` and per-round ``load``."""
    load = r.get("load") or [float("nan")]
    return f"(paired, {len(r['ratios'])} rounds, load {min(load):.1f}-{max(load):.1f})"


def _cli(size: str, only: set[str]) -> list[Row]:
    from .locate import bench_cli

    return cli_rows(bench_cli.main(["--polygons", _pick(size, "300,30000", "300,30000", "300,30000,300000"),
                                    "--points", _pick(size, "200000", "1000000", "1000000"),
                                    "--repeat", _pick(size, "2", "2", "4")]))


def cli_rows(rows: list[dict]) -> list[Row]:
    """Summary rows of :func:`benchmarks.locate.bench_cli.main`: ``geogrid locate`` against the
    sjoin script as whole processes, wall and peak memory, answers compared."""
    return [(f"geogrid locate, whole process, {r['points']:,} pts in {r['polygons']:,} polygons "
             "(done when ≥3×, peak ≤ script's)",
             f"{_med(r['geogrid_s']):.1f} s / {max(r['geogrid_mb']):.0f} MB",
             f"sjoin script {_med(r['sjoin_s']):.1f} s / {max(r['sjoin_mb']):.0f} MB",
             f"{_med(r['ratios']):.2f}× {_rounds_load(r)}, {r['differ']} answers differ") for r in rows]


def _routing(size: str, only: set[str]) -> list[Row]:
    from .routing import bench_routing

    argv = {"quick": ["--queries", "60", "--process-rounds", "1", "--process-queries", "50"],
            "default": ["--queries", "150", "--process-rounds", "2"]}.get(size, [])
    return bench_routing.summary_rows(bench_routing.main(argv))


def _geocode(size: str, only: set[str]) -> list[Row]:
    from .geocode import bench_geocode, microgrid_accuracy

    r = bench_geocode.main(["--records", "20000"] if size == "quick" else [])
    acc = r["accuracy_total"]
    m = microgrid_accuracy.main()
    return [("geocode accuracy (demo addresses + variants)", f"{acc['pct_within']:.1f}% within 50 m",
             "fuzzy-only baseline", "see table"),
            ("geocode single, 门牌 exact, cache off / batch", f"{np.median(r['paired'].a) * 1e6:.0f} µs p50, "
             f"{r['throughput']['records_per_s']:,.0f} records/s",
             f"fuzzy-only (rapidfuzz) {np.median(r['paired'].b) * 1e6:.0f} µs p50", _paired_ratio(r["paired"])),
            ("geocoded into the right microgrid (demo)",
             f"{m['pct_right_microgrid']:.1f}% of {m['cases_in_microgrids']}",
             f"{m['pct_within_50m']:.1f}% within 50 m", "")]


def _partition(size: str, only: set[str]) -> list[Row]:
    mod = importlib.import_module("benchmarks.partition.bench_partition")
    # spopt's MaxP runs several times to search its threshold, and Skater is slow: at 500
    # units, two rounds, the section took 26 minutes (load 8-13); the default compares at
    # 300 units, one round (the README's row), --full at 500, two rounds
    argv = {"quick": ["--quick"], "default": ["--sizes", "1000,5000,10000", "--spopt-sizes", "300",
                                               "--rounds", "1"]}.get(size, [])
    return [tuple(row) for row in mod.summary_rows(mod.main(argv))]


def _tiles(size: str, only: set[str]) -> list[Row]:
    from .tiles import bench_tiles

    r = bench_tiles.main({"quick": ["--quick"], "default": ["--city", "10000", "--repeat", "5"]}.get(size, []))
    out: list[Row] = []
    for p in r["plans"]:
        sl, pg = p["stores"]["spatialite"], p["stores"].get("postgis")
        if pg:
            out.append((f"z=15 vector tile p50 / p99, {p['plan']}",
                        f"SpatiaLite {sl['p50_ms']:.1f} / {sl['p99_ms']:.1f} ms",
                        f"PostGIS ST_AsMVT {pg['p50_ms']:.1f} / {pg['p99_ms']:.1f} ms",
                        _paired_ratio(p["paired"]) + " (<1: PostGIS faster)"))
        out.append((f"  view tiles vs inline GeoJSON (gzip), {p['areas']:,} areas",
                    f"{sl['view_gzip_bytes'] / 1024:.0f} KiB", f"{p['geojson_gzip_bytes'] / 1024:.0f} KiB",
                    f"{p['geojson_gzip_bytes'] / max(sl['view_gzip_bytes'], 1):.1f}×"))
    return out


def _city(size: str, only: set[str]) -> list[Row]:
    """A new worker's first ``/locate`` on a synthetic city, with the plan's locator stored
    (as activation leaves it) against building it in the worker, alternated per round; and
    a new ``uvicorn`` process, spawn → first 200, against the plain endpoint's."""
    from .locate import bench_city

    n = int(_pick(size, "600", "6000", "60000"))
    with tempfile.TemporaryDirectory(prefix="bench-city-") as work:
        load0 = load_average()
        row = bench_city.measure(n, Path(work), int(_pick(size, "2", "3", "3")))
        load = (load0, load_average())
    bench_city._print(row)
    return city_rows(row, load)


def city_rows(row: dict, load: tuple[float, float]) -> list[Row]:
    """Summary rows of :func:`benchmarks.locate.bench_city.measure` run at ``load`` (the load
    average before and after): the worker's lifespan + first ``/locate`` (stored locator
    against one built in the worker) and a new process's spawn → first 200 (geogrid against
    the plain FastAPI + STRtree endpoint), each the median of paired ratios."""
    from .locate.bench_city import fresh_ratios

    def ready(w: dict) -> float:  # lifespan start + first /locate
        return w["start_s"] + w["first_locate_s"]

    n = row["microgrids"]
    stored, rebuilt = row["stored"], row["rebuilt"]
    ratios = [ready(b) / ready(a) for a, b in zip(stored, rebuilt)]
    note = f"(paired, {len(ratios)} rounds, load {min(load):.1f}-{max(load):.1f})"
    start, first = _med(w["start_s"] for w in stored), _med(w["first_locate_s"] for w in stored)
    rows = [(f"new worker, lifespan + first /locate, {n:,} microgrids",
             f"stored locator {start:.2f} s + {1e3 * first:.1f} ms, "
             f"{_med(w['peak_mb'] for w in stored):.0f} MB",
             f"locator built in the worker {_med(ready(w) for w in rebuilt):.2f} s, "
             f"{_med(w['peak_mb'] for w in rebuilt):.0f} MB", f"{_med(ratios):.1f}× {note}")]
    ours, plain = row["fresh"]["this"], row["fresh"]["plain"]
    spawn = fresh_ratios(row["fresh"])
    loads = [w["load"] for w in ours + plain]
    rows.append((f"  new uvicorn process: spawn → first 200 on /locate, {n:,} microgrids "
                 "(done when ≤1 s)",
                 f"{_med(w['first_s'] for w in ours):.2f} s, CPU {_med(w['cpu_s'] for w in ours):.2f} s",
                 f"plain FastAPI+STRtree {_med(w['first_s'] for w in plain):.2f} s, "
                 f"CPU {_med(w['cpu_s'] for w in plain):.2f} s",
                 f"{_med(spawn):.2f}× (paired, {len(spawn)} rounds, load {min(loads):.1f}-{max(loads):.1f})"))
    respawn = row.get("prefork_respawn_s")
    if respawn:
        rows.append(("  gunicorn --preload worker killed → first 200 from its replacement",
                     f"{_med(respawn):.2f} s (worst {max(respawn):.2f})", "", f"load {row['load']:.1f}"))
    return rows


def _intake(size: str, only: set[str]) -> list[Row]:
    from .intake_load import main as load_main

    r = load_main(["--seconds", _pick(size, "5", "10", "20"), "--rate", "500"])
    return [("POST /incidents, retries + replays (SpatiaLite, 1 worker)", f"{r['acked_per_s']:.0f} acked/s",
             f"p99 {r['p99_ms']:.0f} ms", f"lost {r['lost']}, duplicated {r['duplicated']}")]


#: Section name → function(size, selected names) returning summary rows
#: (benchmark, geogrid, baseline, ratio).
SECTIONS: dict[str, Callable[[bool, set[str]], list[Row]]] = {
    "locate": _locate, "cli": _cli, "http": _http, "routing": _routing, "geocode": _geocode, "partition": _partition,
    "tiles": _tiles, "intake": _intake, "city": _city,
}


def _child(name: str, size: str, only: set[str], out: str) -> int:
    """Body of one section's child process: run it and write its summary rows as JSON.

    A failure is reported in one line; the full trace goes to a log file in the temp directory.
    """
    try:
        rows = SECTIONS[name](size, only)
    except Exception as exc:  # report, do not dump a trace on the console
        log = Path(tempfile.gettempdir()) / f"geogrid-bench-{name}.log"
        log.write_text(traceback.format_exc())
        print(f"{name} 基准失败 / benchmark failed: {type(exc).__name__}: {exc} (trace: {log})")
        return 1
    Path(out).write_text(json.dumps([list(r) for r in rows], ensure_ascii=False))
    return 0


def _run_section(name: str, size: str, only: str) -> tuple[list[Row], dict]:
    """Run one section in a child process; its rows, wall time, peak RSS and load average."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        argv = [sys.executable, "-m", "benchmarks", "--section", name, "--rows", str(out), "--only", only]
        argv += {"quick": ["--quick"], "full": ["--full"]}.get(size, [])
        load0 = load_average()
        info = run_measured(argv, cwd=str(ROOT), quiet=False)
        info["load"] = (load0, load_average())
        rows = [tuple(r) for r in json.loads(out.read_text())] if out.exists() else []
    return rows, info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="geogrid benchmarks / geogrid 基准测试")
    sizes = ap.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="smallest inputs: a smoke run (a few minutes)")
    sizes.add_argument("--full", action="store_true",
                       help="the largest inputs (300,000-polygon CLI run, 100,000-unit partition, "
                            "30,000-microgrid tiles, 60,000-microgrid city): well over 15 minutes")
    ap.add_argument("--only", default="locate,postgis,cli,http,city,routing,geocode,partition,"
                                      "tiles,intake")
    ap.add_argument("--section", choices=sorted(SECTIONS), help=argparse.SUPPRESS)
    ap.add_argument("--rows", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    size = "quick" if args.quick else "full" if args.full else "default"
    if args.section:
        return _child(args.section, size, set(args.only.split(",")), args.rows)
    only = [s for s in args.only.split(",") if s in SECTIONS]
    summary = Table(title="geogrid benchmarks: ratios against baselines run in the same run, "
                          "above 1: geogrid faster (基准与对照在同一次运行中交替测量，大于 1 即 geogrid 更快)")
    for col in ("benchmark", "geogrid", "baseline", "ratio"):
        summary.add_column(col)
    failed = []
    load0 = load_average()
    t_run = time.perf_counter()
    for name in only:
        console.rule(f"[bold]{name}")
        rows, info = _run_section(name, size, args.only)
        if info["exit"] != 0:  # keep going: one broken benchmark should not hide the others
            failed.append(name)
        for row in rows:
            summary.add_row(*row)
        summary.add_row(f"[dim]{name}: whole process (整个进程)", f"[dim]{info['wall_s']:.1f} s",
                        f"[dim]peak {info['peak_mb']:.0f} MiB",
                        f"[dim]load {info['load'][0]:.1f}→{info['load'][1]:.1f}")
    console.rule("[bold]summary")
    console.print(summary)
    console.print(f"run: {time.perf_counter() - t_run:.0f} s, one-minute load average "
                  f"{load0:.1f} at the start, {load_average():.1f} at the end, "
                  f"{os.cpu_count()} CPUs (运行期间的系统负载)")
    if failed:
        console.print(f"[red]failed (失败): {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
