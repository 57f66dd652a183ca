"""What a locate index costs to have: build, peak memory, save, open in a fresh process, first lookups.

Run with ``python -m benchmarks.locate.bench_index_file --polygons 300,30000,300000``.

For each size (Voronoi microgrids of the Lujiazui street's size, over a
proportionally larger extent), in one run:

* **build**: :meth:`geogrid.locate.AreaIndex.from_frame` (input checks
  included) against ``shapely.STRtree(geoms)`` plus its first query, on the
  same polygons, alternated A B, B A, ... (``--repeat`` rounds): median of the
  paired wall-time ratios, and the median CPU time of each (on a shared
  machine CPU time moves less with load). shapely 2 builds the GEOS tree in
  the constructor (the first query costs what the second does, tens of
  microseconds); the query is timed with it all the same, so a lazy tree
  could not look cheaper than it is. The CPU time of a build counts the core
  that checks polygon validity meanwhile;
* **peak memory**, whole processes alternated (``--processes`` rounds): a
  script that reads the areas (GeoParquet), builds the index and locates
  ``--points`` uniform points, against one that reads the same files and calls
  ``geopandas.sjoin``; each child's peak RSS and wall time, and what the
  build alone adds to the resident memory;
* **first lookups in a fresh process**: open the saved index (memory-mapped),
  first single lookup (:meth:`find`), first 1,000 points, and the first
  snapped lookup with nothing built before it (the nearest-area search is
  built on demand), each with the resident memory it added.

The lazy build of a one-shot batch (``lazy=True``) is timed too, and the build
of areas whose validity is known (``known_valid=True``: a stored plan version
rebuilt) against the STRtree the same way.

``--before DIR`` (another source tree of geogrid, e.g. ``git worktree add
/tmp/before HEAD~3``) also runs build, save, open and first lookups in whole
processes of each tree, alternated (:mod:`benchmarks.locate.index_before`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

from geogrid.locate import AreaIndex

from .._paired import format_table, load_average, paired, python_argv, whole_process
from .bench_locate import LUJIAZUI, voronoi_microgrids
from .index_before import compare, report

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[2]

_RSS = ("def rss():\n    with open('/proc/self/statm') as f:\n"
        "        return int(f.read().split()[1]) * 4096 / 2**20\n")

#: the child's own peak: ru_maxrss survives exec, so a child of a large parent would
#: report the parent's resident size; the kernel's high-water mark of this process does not
_HWM = ("def hwm():\n    with open('/proc/self/status') as f:\n"
        "        return next(int(l.split()[1]) for l in f if l.startswith('VmHWM')) / 1024\n")

_CHILD = _RSS + _HWM + r"""
import json, sys, time
t0 = time.perf_counter()
from geogrid.locate import AreaIndex
import numpy as np
t1 = time.perf_counter()
index = AreaIndex.load(sys.argv[1])
t2 = time.perf_counter()
m2 = rss()
b = [float(v) for v in sys.argv[2:6]]
index.find((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
t3 = time.perf_counter()
m3 = rss()
rng = np.random.default_rng(0)
index.locate(rng.uniform(b[0], b[2], 1000), rng.uniform(b[1], b[3], 1000))
t4 = time.perf_counter()
m4 = rss()
index.locate_detail([b[2] + 0.0005], [b[1] + 0.0005], snap_m=200)
t5 = time.perf_counter()
index.locate_detail([b[2] + 0.0007], [b[3] + 0.0002], snap_m=200)
t6 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "open_s": t2 - t1, "first_find_s": t3 - t2,
                  "find_mb": m3 - m2, "first_batch_s": t4 - t3, "first_snap_s": t5 - t4,
                  "snap_mb": rss() - m4, "second_snap_s": t6 - t5,
                  "peak_mb": hwm()}))
"""

#: whole process, geogrid: read areas, build the index, locate the points
_OURS = _RSS + _HWM + r"""
import json, sys, time
import geopandas as gpd, numpy as np
from geogrid.locate import AreaIndex
areas = gpd.read_parquet(sys.argv[1])
b = areas.total_bounds
rng = np.random.default_rng(1)
x, y = rng.uniform(b[0], b[2], int(sys.argv[2])), rng.uniform(b[1], b[3], int(sys.argv[2]))
m0, t0 = rss(), time.process_time()
index = AreaIndex.from_frame(areas)
t1 = time.process_time()
build_peak = hwm()
pos = index.locate(x, y)
print(json.dumps({"build_cpu_s": t1 - t0, "build_added_mb": build_peak - m0,
                  "found": int((pos >= 0).sum())}), file=sys.stderr)
"""

#: whole process, baseline: read the same files, geopandas.sjoin
_SJOIN = r"""
import sys
import geopandas as gpd, numpy as np
areas = gpd.read_parquet(sys.argv[1])
b = areas.total_bounds
rng = np.random.default_rng(1)
x, y = rng.uniform(b[0], b[2], int(sys.argv[2])), rng.uniform(b[1], b[3], int(sys.argv[2]))
points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=areas.crs)
joined = gpd.sjoin(points, areas[["id", "geometry"]], how="left", predicate="intersects")
"""


def _build_pair(areas, geoms, repeat: int, **options):
    """Build and STRtree alternated; the paired wall times and each side's CPU times."""
    cpu: dict[str, list[float]] = {"ours": [], "tree": []}

    def timed(side, fn):
        def run(i):
            t = time.process_time()
            fn()
            cpu[side].append(time.process_time() - t)
        return run

    probe = shapely.points(*shapely.get_coordinates(shapely.point_on_surface(geoms[:1]))[0])
    name = "AreaIndex.from_frame" + "".join(f", {k}={v}" for k, v in options.items())
    res = paired(name, timed("ours", lambda: AreaIndex.from_frame(areas, **options)),
                 "shapely.STRtree(geoms) + first query",
                 timed("tree", lambda: shapely.STRtree(geoms).query(probe)),
                 rounds=repeat, warmup=1, label="index build" + (" (validity known)"
                                                                   if options else ""))
    return res, statistics.median(cpu["ours"][1:]), statistics.median(cpu["tree"][1:])


def _size(n: int, a, tmp: Path) -> dict:
    minx, miny, maxx, maxy = LUJIAZUI
    grow = (n / 300) ** 0.5
    bounds = (minx, miny, minx + (maxx - minx) * grow, miny + (maxy - miny) * grow)
    areas = voronoi_microgrids(n, bounds)
    geoms = np.asarray(areas.geometry.values)
    build, cpu_ours, cpu_tree = _build_pair(areas, geoms, a.repeat)
    known, cpu_known, cpu_tree_known = _build_pair(areas, geoms, a.repeat, known_valid=True)
    lazy = []
    for _ in range(a.repeat):
        t0 = time.process_time()
        AreaIndex.from_frame(areas, lazy=True)
        lazy.append(time.process_time() - t0)
    index = AreaIndex.from_frame(areas)
    # first lookups on the index just built (nothing warmed): one inside, one snapped
    t0 = time.perf_counter()
    index.find((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    t1 = time.perf_counter()
    index.locate_detail([bounds[2] + 0.0005], [bounds[1] + 0.0005], snap_m=200)
    built_first = {"built_find_s": t1 - t0, "built_snap_s": time.perf_counter() - t1}
    path = index.save(tmp / f"idx{n}")
    saved = sum(f.stat().st_size for f in path.iterdir()) / 2**20
    child = json.loads(subprocess.run([sys.executable, "-c", _CHILD, str(path), *map(str, bounds)],
                                      capture_output=True, text=True, check=True).stdout)
    row = {"polygons": n, "build": build, "build_cpu_s": cpu_ours, "strtree_cpu_s": cpu_tree,
           "known": known, "known_cpu_s": cpu_known, "strtree_known_cpu_s": cpu_tree_known,
           "lazy_cpu_s": statistics.median(lazy), "saved_mb": saved, **built_first, **child}
    file = tmp / f"areas{n}.parquet"
    areas.to_parquet(file)
    if a.before is not None:
        row["before"] = compare(ROOT, a.before.resolve(), file, tmp, rounds=max(a.processes, 1),
                                repeat=a.repeat, child=_CHILD)
    if a.processes:
        whole = whole_process("geogrid: read, build, locate", python_argv("-c", _OURS, str(file), str(a.points)),
                              "geopandas.sjoin script", python_argv("-c", _SJOIN, str(file), str(a.points)),
                              rounds=a.processes, label=f"whole process, {a.points:,} points")
        row["whole"] = whole
        probe = subprocess.run(python_argv("-c", _OURS, str(file), str(a.points)),
                               capture_output=True, text=True, check=True)
        row.update(json.loads(probe.stderr.strip().splitlines()[-1]))
    return row


def _print(row: dict) -> None:
    b = row["build"]
    line = (f"{row['polygons']:>7,d} polygons: build {np.median(b.a):.3f} s vs STRtree "
            f"{1000 * np.median(b.b):.2f} ms wall ({b.ratio:.2f} B/A paired, i.e. "
            f"{1 / b.ratio:.0f}x); CPU {row['build_cpu_s']:.3f} s vs {1000 * row['strtree_cpu_s']:.2f} ms "
            f"({row['build_cpu_s'] / max(row['strtree_cpu_s'], 1e-9):.0f}x); lazy CPU "
            f"{row['lazy_cpu_s']:.3f} s; saved {row['saved_mb']:.1f} MB")
    print(line)
    k = row["known"]
    print(f"         validity known: build {np.median(k.a):.3f} s wall ({1 / k.ratio:.0f}x "
          f"STRtree's, paired); CPU {row['known_cpu_s']:.3f} s vs {1000 * row['strtree_known_cpu_s']:.2f} ms "
          f"({row['known_cpu_s'] / max(row['strtree_known_cpu_s'], 1e-9):.0f}x)")
    print(f"         just built: first find {1000 * row['built_find_s']:.2f} ms, first snapped "
          f"{1000 * row['built_snap_s']:.1f} ms")
    print(f"         fresh process: open {1000 * row['open_s']:.1f} ms, first find "
          f"{1000 * row['first_find_s']:.1f} ms (+{row['find_mb']:.0f} MB), first 1,000 points "
          f"{1000 * row['first_batch_s']:.1f} ms, first snapped (cold) {1000 * row['first_snap_s']:.0f} ms "
          f"(+{row['snap_mb']:.0f} MB), next snapped {1000 * row['second_snap_s']:.1f} ms, "
          f"peak {row['peak_mb']:.0f} MB")
    if "whole" in row:
        w = row["whole"]
        print(f"         build adds {row['build_added_mb']:.0f} MB resident (CPU {row['build_cpu_s']:.2f} s); "
              f"whole process peak {w.extra['a_peak_mb']:.0f} MB vs sjoin script "
              f"{w.extra['b_peak_mb']:.0f} MB; wall {np.median(w.a):.1f} s vs {np.median(w.b):.1f} s "
              f"(sjoin/geogrid {w.ratio:.2f}, paired)")
    print(format_table(f"{row['polygons']:,} polygons",
                       [b, k] + ([row["whole"]] if "whole" in row else []), unit="s"), flush=True)
    if "before" in row:
        report(row["polygons"], row["before"])


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.locate.bench_index_file",
                                description=__doc__.split("\n")[0])
    p.add_argument("--polygons", default="300,30000,300000")
    p.add_argument("--repeat", type=int, default=5, help="alternated build rounds")
    p.add_argument("--processes", type=int, default=3,
                   help="alternated whole-process rounds against the sjoin script (0: skip)")
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--before", type=Path, default=None,
                   help="another source tree of geogrid to compare with, whole processes "
                        "alternated (--processes rounds, at least one)")
    a = p.parse_args(argv)
    print(f"load average at start {load_average():.2f}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(v) for v in a.polygons.split(",")):
            rows.append(_size(n, a, Path(tmp)))
            _print(rows[-1])
    return rows


if __name__ == "__main__":
    main()
