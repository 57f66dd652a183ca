"""``make bench``: every benchmark, each against a baseline measured in the same run.

Prints each benchmark's own table, then one summary table of ratios. Ratios
(not absolute times) are what to compare across machines: the machines are
noisy, the baselines share the noise.

Options: ``--quick`` (smaller inputs, for a smoke run), ``--only NAME[,NAME]``
(locate, postgis, http, routing, geocode, partition, tiles, intake).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from rich.console import Console
from rich.table import Table

console = Console()


def _locate(quick: bool, with_postgis: bool) -> list[dict]:
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
        points = 200_000 if quick else 1_000_000
        for scale in (1, 10, 100):
            row = bench_locate.run(points=points, polygons=300 * scale, repeat=1 if quick else 3,
                                   others=others if scale == 1 else {})
            if "postgis" in row["others"]:
                row["others"]["postgis"]["join_pts_s"] = points / others["postgis"].join_s
            rows.append(row)
    finally:
        if cluster:
            cluster.stop()
    print(bench_locate.table(rows))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="geogrid benchmarks")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="locate,postgis,http,routing,geocode,partition,tiles,intake")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    summary = Table(title="geogrid benchmarks (ratios against baselines run on the same machine, same run)")
    for col in ("benchmark", "geogrid", "baseline", "ratio"):
        summary.add_column(col)
    failed = []

    def section(name, fn):
        console.rule(f"[bold]{name}")
        try:
            fn()
        except Exception:  # keep going: one broken benchmark should not hide the others
            failed.append(name)
            traceback.print_exc()

    if "locate" in only:
        def locate():
            rows = _locate(args.quick, "postgis" in only)
            for r in rows:
                summary.add_row(f"locate {r['points']:,} pts in {r['polygons']:,} polygons",
                                f"{r['locate_pts_s'] / 1e6:.1f} M pts/s",
                                f"geopandas.sjoin {r['sjoin_pts_s'] / 1e6:.2f} M pts/s",
                                f"{r['ratio']:.1f}×")
                pg = r["others"].get("postgis")
                if pg:
                    summary.add_row("  same points, PostGIS ST_Intersects join",
                                    f"{r['locate_pts_s'] / 1e6:.1f} M pts/s",
                                    f"PostGIS {pg['join_pts_s'] / 1e6:.2f} M pts/s",
                                    f"{r['locate_pts_s'] / pg['join_pts_s']:.0f}×")
            r = rows[0]
            summary.add_row("single lookup p50 / p99", f"{r['single_p50_us']:.1f} / {r['single_p99_us']:.1f} µs",
                            f"STRtree query {r['strtree_p50_us']:.1f} / {r['strtree_p99_us']:.1f} µs",
                            f"{r['strtree_p99_us'] / r['single_p99_us']:.1f}× (p99)")
        section("locate", locate)

    if "http" in only:
        def http():
            from .locate import bench_http

            r = bench_http.main(["--seconds", "5" if args.quick else "15", "--connections", "8"])
            summary.add_row("GET /locate over HTTP, 1 worker (wrk, 8 conns)", f"{r['rps']:.0f} req/s",
                            f"p50 {r['p50_ms']:.1f} ms", f"p99 {r['p99_ms']:.1f} ms")
        section("http", http)

    if "routing" in only:
        def routing():
            from .routing import bench_routing

            r = bench_routing.main(["--queries", "50"] if args.quick else [])
            g = r["graphs"][0]
            for task, ours, base in [
                ("route (local)", "geogrid (lon/lat + snap)", "scipy full dijkstra"),
                ("route (city-wide)", "geogrid (lon/lat + snap)", "networkx dijkstra_path"),
                ("nearest responder", "geogrid (lon/lat + snap)", "scipy full reverse dijkstra"),
                ("nearest responder", "geogrid (lon/lat + snap)", "networkx multi_source_dijkstra"),
            ]:
                a, b = g[task][ours]["p50_ms"], g[task][base]["p50_ms"]
                summary.add_row(f"{task}, {g['nodes']:,}-node graph", f"{a:.2f} ms p50",
                                f"{base} {b:.2f} ms", f"{b / a:.1f}×")
        section("routing", routing)

    if "geocode" in only:
        def geocode():
            from .geocode import bench_geocode

            r = bench_geocode.main(["--records", "20000"] if args.quick else [])
            acc = r["accuracy_total"]
            lat = r["latency"]["门牌 exact"]
            summary.add_row("geocode accuracy (demo addresses + variants)",
                            f"{acc['pct_within']:.1f}% within 50 m", "fuzzy-only baseline", "see table")
            summary.add_row("geocode single / batch", f"{lat['p50_ms'] * 1000:.0f} µs p50",
                            f"{r['throughput']['records_per_s']:,.0f} records/s", "")
            from .geocode import microgrid_accuracy

            m = microgrid_accuracy.main()
            summary.add_row("geocoded into the right microgrid (demo)",
                            f"{m['pct_right_microgrid']:.1f}% of {m['cases_in_microgrids']}",
                            f"{m['pct_within_50m']:.1f}% within 50 m", "")
        section("geocode", geocode)

    if "partition" in only:
        def partition():
            mod = importlib.import_module("benchmarks.partition.bench_partition")
            r = mod.main(["--quick"] if args.quick else [])
            for row in mod.summary_rows(r):
                summary.add_row(*row)
        section("partition", partition)

    if "tiles" in only:
        def tiles():
            from .tiles import bench_tiles

            r = bench_tiles.main(["--quick"] if args.quick else [])
            for p in r["plans"]:
                sl, pg = p["stores"]["spatialite"], p["stores"].get("postgis")
                if pg:
                    summary.add_row(f"z=15 vector tile, {p['plan']}",
                                    f"SpatiaLite {sl['p50_ms']:.1f} / {sl['p99_ms']:.1f} ms",
                                    f"PostGIS ST_AsMVT {pg['p50_ms']:.1f} / {pg['p99_ms']:.1f} ms",
                                    f"{sl['p50_ms'] / pg['p50_ms']:.1f}× (p50)")
                summary.add_row(f"  view tiles vs inline GeoJSON (gzip), {p['areas']:,} areas",
                                f"{sl['view_gzip_bytes'] / 1024:.0f} KiB",
                                f"{p['geojson_gzip_bytes'] / 1024:.0f} KiB",
                                f"{p['geojson_gzip_bytes'] / max(sl['view_gzip_bytes'], 1):.1f}×")
        section("tiles", tiles)

    if "intake" in only:
        def intake():
            from .intake_load import main as load_main

            r = load_main(["--seconds", "5" if args.quick else "20", "--rate", "500"])
            summary.add_row("POST /incidents, retries + replays (SpatiaLite, 1 worker)",
                            f"{r['acked_per_s']:.0f} acked/s", f"p99 {r['p99_ms']:.0f} ms",
                            f"lost {r['lost']}, duplicated {r['duplicated']}")
        section("intake", intake)

    console.rule("[bold]summary")
    console.print(summary)
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
