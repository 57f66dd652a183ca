"""Whole-process benchmark: the ``geogrid locate`` command against a ten-line
geopandas.sjoin script, on the same files, alternated A B A B in one run.

Run with ``python -m benchmarks.locate.bench_cli`` (``--help`` for options).

Both sides are separate Python processes that read the same areas file
(GeoParquet, Voronoi microgrids as in :mod:`benchmarks.locate.bench_locate`)
and the same points CSV, locate every point, and write GeoParquet. Each
process's wall time, CPU time (user + system) and peak resident memory
(``ru_maxrss`` from ``os.wait4``, in a small launcher process) are measured (on a shared machine the CPU
time moves less with the load than the wall time); every pair (geogrid, then sjoin, or the other way
round on odd rounds) gives one ratio, and the table prints each paired ratio,
their median, the medians of the whole-process times and the peak memories,
and the load average of the machine during the run. Answers are compared
point by point (must be 0 differences; points on a shared edge, where sjoin
returns several rows, are skipped).

Before timing, the geogrid source trees that run (this one and ``--before``) are
compiled to bytecode (:mod:`compileall`, into their git-ignored ``__pycache__``), as
an installed package is: the script's libraries have theirs, and an environment
that sets ``PYTHONDONTWRITEBYTECODE`` would otherwise compile geogrid's modules from
source in every timed run.

``--outside 0.5`` puts half of the points in a box beside the areas, outside
every one of them (the case where per-point nearest searches used to cost
17x sjoin).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .bench_locate import LUJIAZUI, voronoi_microgrids

__all__ = ["SJOIN_SCRIPT", "make_inputs", "compile_tree", "run_pair", "main"]

ROOT = Path(__file__).resolve().parents[2]

#: the baseline: what a data team writes with geopandas
SJOIN_SCRIPT = '''\
import sys
import geopandas as gpd
import pandas as pd
areas = gpd.read_parquet(sys.argv[1])
pts = pd.read_csv(sys.argv[2])
pts = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts.lon, pts.lat), crs=areas.crs)
joined = gpd.sjoin(pts, areas[["id", "geometry"]], how="left", predicate="intersects")
joined = joined[~joined.index.duplicated()].drop(columns="index_right")
joined.to_parquet(sys.argv[3])
'''


def make_inputs(work: Path, polygons: int, points: int, outside: float, seed: int = 0):
    """Areas GeoParquet and points CSV in ``work``; returns their paths."""
    minx, miny, maxx, maxy = LUJIAZUI
    grow = (polygons / 300) ** 0.5
    bounds = (minx, miny, minx + (maxx - minx) * grow, miny + (maxy - miny) * grow)
    areas = voronoi_microgrids(polygons, bounds, seed=seed)
    areas_path = work / f"areas{polygons}.parquet"
    areas.to_parquet(areas_path)
    rng = np.random.default_rng(seed + 1)
    n_out = int(points * outside)
    width = bounds[2] - bounds[0]
    lon = rng.uniform(bounds[0], bounds[2], points)
    lon[:n_out] += width * 1.01                  # a box of the same size east of the areas
    lat = rng.uniform(bounds[1], bounds[3], points)
    order = rng.permutation(points)
    pts_path = work / f"pts{points}_{outside}.csv"
    pd.DataFrame({"pid": np.arange(points), "lon": lon[order], "lat": lat[order]}).to_csv(
        pts_path, index=False, float_format="%.8f")
    return areas_path, pts_path


#: runs one command and reports its wall time, peak RSS and CPU time as JSON. A child
#: spawned straight from this (large) process would count this process's memory in
#: its peak (``ru_maxrss`` starts from the parent's resident size at the spawn); the
#: launcher is a small interpreter, so what it reports is the command's own peak.
_LAUNCHER = """\
import json, os, sys, time
out = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
t0 = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=out)
_, status, usage = os.wait4(pid, 0)
print(json.dumps([time.perf_counter() - t0, usage.ru_maxrss / 1024,
                  usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)]))
"""


def _measure(cmd: list[str], root: Path = ROOT) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system) of one child process
    (``root``: the source tree it imports geogrid from), through :data:`_LAUNCHER`."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *cmd], env=env,
                          capture_output=True, text=True, check=True)
    took, mb, cpu, code = json.loads(done.stdout)
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with {code}")
    return took, mb, cpu


def compile_tree(root: Path) -> None:
    """Bytecode for the ``geogrid`` package of the source tree ``root`` (what an install
    leaves), so no timed run compiles it; raises if a module does not compile."""
    if not compileall.compile_dir(root / "geogrid", quiet=1, workers=1):
        raise RuntimeError(f"{root / 'geogrid'} does not compile")


def _command(pts: Path, out: Path, areas: Path, extra: list[str]) -> list[str]:
    # -P: geogrid comes from the PYTHONPATH given, never from the current directory
    return [sys.executable, "-P", "-c", "from geogrid.cli import app; app()", "locate", str(pts),
            "-o", str(out), "-d", "cgcs2000", "--areas", str(areas), *extra]


def run_pair(work: Path, areas: Path, pts: Path, repeat: int, extra: list[str],
             before: Path | None = None) -> dict:
    """``repeat`` rounds of this code (a) and the sjoin script (b), in turn first; with
    ``before`` (another source tree of geogrid), its command too, in each round."""
    for tree in (ROOT, before) if before is not None else (ROOT,):
        compile_tree(tree)
    script = work / "sjoin_script.py"
    script.write_text(SJOIN_SCRIPT)
    ours_out, theirs_out = work / "geogrid.parquet", work / "sjoin.parquet"
    sides = {"a": (_command(pts, ours_out, areas, extra), ROOT),
             "b": ([sys.executable, str(script), str(areas), str(pts), str(theirs_out)], ROOT)}
    if before is not None:
        sides["c"] = (_command(pts, work / "before.parquet", areas, extra), before)
    times = {side: ([], [], []) for side in sides}       # wall, MB, CPU
    loads = []
    for r in range(repeat):
        order = list(sides) if r % 2 == 0 else list(sides)[::-1]
        for side in order:
            for got, value in zip(times[side], _measure(*sides[side])):
                got.append(value)
        loads.append(os.getloadavg()[0])
    (a_s, a_mb, a_cpu), (b_s, b_mb, b_cpu) = times["a"], times["b"]
    got = pd.read_parquet(ours_out, columns=["pid", "microgrid_id"])
    got = got.assign(pid=got["pid"].astype(int)).sort_values("pid")
    want = pd.read_parquet(theirs_out, columns=["pid", "id"]).sort_values("pid")
    differ = int((got["microgrid_id"].fillna("-").to_numpy(str)
                  != want["id"].fillna("-").to_numpy(str)).sum())
    row = {"geogrid_s": a_s, "sjoin_s": b_s, "ratios": [b / a for a, b in zip(a_s, b_s)],
           "geogrid_mb": a_mb, "sjoin_mb": b_mb, "differ": differ, "load": loads,
           "geogrid_cpu": a_cpu, "sjoin_cpu": b_cpu,
           "cpu_ratios": [b / a for a, b in zip(a_cpu, b_cpu)],
           "outside": float(got["microgrid_id"].isna().mean())}
    if before is not None:
        c_s, c_mb, c_cpu = times["c"]
        row.update(before_s=c_s, before_mb=c_mb, before_cpu=c_cpu,
                   before_ratios=[b / c for c, b in zip(c_s, b_s)],
                   before_cpu_ratios=[b / c for c, b in zip(c_cpu, b_cpu)])
    return row


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.locate.bench_cli",
                                description=__doc__.split("\n")[0])
    p.add_argument("--polygons", default="300,30000,300000")
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--outside", type=float, default=0.0, help="share of points outside all areas")
    p.add_argument("--repeat", type=int, default=4, help="rounds (each one A and one B)")
    p.add_argument("--extra", default="", help="more options for geogrid locate")
    p.add_argument("--before", type=Path, default=None,
                   help="another source tree of geogrid (e.g. a checkout of the previous "
                        "release), run in every round too")
    a = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        work = Path(tmp)
        for n in (int(v) for v in a.polygons.split(",")):
            areas, pts = make_inputs(work, n, a.points, a.outside)
            row = run_pair(work, areas, pts, a.repeat, a.extra.split(), a.before)
            row.update(polygons=n, points=a.points)
            rows.append(row)
            med = statistics.median
            print(f"{n:>7,d} polygons, {a.points:,} points ({100 * row['outside']:.0f}% outside): "
                  f"geogrid {med(row['geogrid_s']):.2f} s / {max(row['geogrid_mb']):.0f} MB, "
                  f"sjoin script {med(row['sjoin_s']):.2f} s / {max(row['sjoin_mb']):.0f} MB; "
                  f"paired ratios {', '.join(f'{r:.2f}' for r in row['ratios'])} "
                  f"(median {med(row['ratios']):.2f}x); CPU {med(row['geogrid_cpu']):.2f} s vs "
                  f"{med(row['sjoin_cpu']):.2f} s (median paired "
                  f"{med(row['cpu_ratios']):.2f}x); answers differ: {row['differ']}; "
                  f"load {', '.join(f'{v:.1f}' for v in row['load'])}", flush=True)
            if a.before is not None:
                print(f"{'':>7s} before ({a.before}): {med(row['before_s']):.2f} s / "
                      f"{max(row['before_mb']):.0f} MB; paired ratios against the script "
                      f"{', '.join(f'{r:.2f}' for r in row['before_ratios'])} (median "
                      f"{med(row['before_ratios']):.2f}x); CPU {med(row['before_cpu']):.2f} s "
                      f"(median paired {med(row['before_cpu_ratios']):.2f}x)", flush=True)
    return rows


if __name__ == "__main__":
    main()
