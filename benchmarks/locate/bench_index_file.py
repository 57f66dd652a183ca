"""What a locate index costs to have: build, save, open in a fresh process, first lookups.

Run with ``python -m benchmarks.locate.bench_index_file --polygons 300,30000,60000``.

For each size: the build time of :class:`geogrid.locate.AreaIndex` next to a
shapely STRtree's on the same polygons (alternated, median of ``--repeat``),
the saved size, and, in a fresh Python process each: the time to open the
saved index (memory-mapped), the first single lookup (:meth:`find`), the
first batch of 1,000 points, building the distance tree (``warm``, which a
server does when it makes a plan's locator) and the first snapped lookup
after it, with the process's peak memory. The lazy build that a one-shot
batch uses (``AreaIndex.from_frame(..., lazy=True)``) is timed too.
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

from .bench_locate import LUJIAZUI, voronoi_microgrids

__all__ = ["main"]

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from geogrid.locate import AreaIndex
import numpy as np
t1 = time.perf_counter()
index = AreaIndex.load(sys.argv[1])
t2 = time.perf_counter()
b = [float(v) for v in sys.argv[2:6]]
index.find((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
t3 = time.perf_counter()
rng = np.random.default_rng(0)
index.locate(rng.uniform(b[0], b[2], 1000), rng.uniform(b[1], b[3], 1000))
t4 = time.perf_counter()
index.warm()
t4w = time.perf_counter()
index.locate_detail([b[2] + 0.0005], [b[1] + 0.0005], snap_m=200)
t5 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "open_s": t2 - t1, "first_find_s": t3 - t2,
                  "first_batch_s": t4 - t3, "warm_s": t4w - t4, "first_snap_s": t5 - t4w,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.locate.bench_index_file",
                                description=__doc__.split("\n")[0])
    p.add_argument("--polygons", default="300,30000,60000")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args(argv)
    rows = []
    for n in (int(v) for v in a.polygons.split(",")):
        minx, miny, maxx, maxy = LUJIAZUI
        grow = (n / 300) ** 0.5
        bounds = (minx, miny, minx + (maxx - minx) * grow, miny + (maxy - miny) * grow)
        areas = voronoi_microgrids(n, bounds)
        geoms = np.asarray(areas.geometry.values)
        ours, tree, lazy = [], [], []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            index = AreaIndex.from_frame(areas)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            AreaIndex.from_frame(areas, lazy=True)
            lazy.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            shapely.STRtree(geoms).query(shapely.points(bounds[0], bounds[1]))
            tree.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            path = index.save(Path(tmp) / "idx")
            size = sum(f.stat().st_size for f in path.iterdir()) / 2**20
            out = subprocess.run([sys.executable, "-c", _CHILD, str(path), *map(str, bounds)],
                                 capture_output=True, text=True, check=True)
        child = json.loads(out.stdout)
        row = {"polygons": n, "build_s": statistics.median(ours),
               "strtree_s": statistics.median(tree), "lazy_s": statistics.median(lazy),
               "saved_mb": size, **child}
        rows.append(row)
        print(f"{n:>7,d} polygons: build {row['build_s']:.2f} s vs STRtree {row['strtree_s']:.3f} s "
              f"({row['build_s'] / row['strtree_s']:.0f}x), lazy {row['lazy_s']:.2f} s "
              f"({row['lazy_s'] / row['strtree_s']:.0f}x); saved {size:.1f} MB; fresh process: "
              f"open {1000 * row['open_s']:.1f} ms, first find {1000 * row['first_find_s']:.1f} ms, "
              f"first 1,000 points {1000 * row['first_batch_s']:.1f} ms, distance tree "
              f"{row['warm_s']:.2f} s, then first snapped "
              f"{1000 * row['first_snap_s']:.0f} ms, peak {row['peak_mb']:.0f} MB", flush=True)
    return rows


if __name__ == "__main__":
    main()
