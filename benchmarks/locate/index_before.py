"""The index costs of this source tree against another one (``--before DIR`` of
:mod:`benchmarks.locate.bench_index_file`), whole processes alternated.

Two versions of geogrid cannot share a process, so each round runs one child
per tree (the order flipped every round) on the same GeoParquet areas. A child
times ``repeat`` index builds (CPU time, input checks included; and, where the
tree has it, the build of areas whose validity is known) against an STRtree
of the same polygons in the same child, saves the index with its own code,
and opens it in a fresh grandchild that times the open and the first single,
batch and snapped lookups. It also saves the plan's whole locator
(:meth:`PlanLocator.save`, once per tree: its build takes seconds at 300,000)
and times, in another fresh grandchild, :meth:`PlanLocator.open` and its first
``locate_one``, what a worker does when it starts. Per measure, the medians of
each side and the median of the paired ratios (before / after) are printed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

__all__ = ["compare", "SIDE"]

#: a fresh process opening a saved plan locator: argv = directory, lon, lat of a point
LOCATOR = r"""
import json, sys, time
t0 = time.perf_counter()
from geogrid.locate.chain import PlanLocator
t1 = time.perf_counter()
locator = PlanLocator.open(sys.argv[1])
t2 = time.perf_counter()
locator.locate_one(float(sys.argv[2]), float(sys.argv[3]))
t3 = time.perf_counter()
print(json.dumps({"locator_open_s": t2 - t1, "locator_first_s": t3 - t2,
                  "locator_pyarrow": "pyarrow" in sys.modules}))
"""

#: one side: argv = areas.parquet, repeat, index directory, the open-and-look-up script,
#: the locator directory (built and saved when missing)
SIDE = r"""
import inspect, json, statistics, subprocess, sys, time
import geopandas as gpd, numpy as np, shapely
from geogrid.locate import AreaIndex
areas = gpd.read_parquet(sys.argv[1])
repeat = int(sys.argv[2])
geoms = np.asarray(areas.geometry.values)
probe = shapely.points(121.5, 31.23)
known = "known_valid" in inspect.signature(AreaIndex.from_frame).parameters
cpu = {"build": [], "known_valid": [], "strtree": []}
def timed(name, fn):
    t = time.process_time(); fn(); cpu[name].append(time.process_time() - t)
AreaIndex.from_frame(areas)
for i in range(repeat):
    timed("build", lambda: AreaIndex.from_frame(areas))
    timed("strtree", lambda: shapely.STRtree(geoms).query(probe))
    if known:
        timed("known_valid", lambda: AreaIndex.from_frame(areas, known_valid=True))
index = AreaIndex.from_frame(areas)
index.save(sys.argv[3])
b = [float(v) for v in areas.total_bounds]
child = subprocess.run([sys.executable, "-c", sys.argv[4], sys.argv[3], *map(str, b)],
                       capture_output=True, text=True, check=True)
out = {k: statistics.median(v) for k, v in cpu.items() if v}
out.update(json.loads(child.stdout))
import os
from geogrid.locate.chain import PlanLocator
if not os.path.exists(sys.argv[5]):
    PlanLocator(areas).save(sys.argv[5])
inside = areas.geometry.iloc[len(areas) // 2].representative_point()
child = subprocess.run([sys.executable, "-c", sys.argv[6], sys.argv[5], str(inside.x),
                        str(inside.y)], capture_output=True, text=True, check=True)
out.update(json.loads(child.stdout))
print(json.dumps(out))
"""

#: the measures compared, and how each is printed
MEASURES = (("build", "build CPU", 1e3, "ms"),
            ("known_valid", "build CPU, validity known", 1e3, "ms"),
            ("open_s", "open (fresh process)", 1e3, "ms"),
            ("first_find_s", "first find", 1e3, "ms"),
            ("first_snap_s", "first snapped", 1e3, "ms"),
            ("peak_mb", "opened, peak", 1, "MB"),
            ("locator_open_s", "PlanLocator.open (fresh process)", 1e3, "ms"),
            ("locator_first_s", "its first locate_one", 1e3, "ms"))


def _side(tree: Path, areas: Path, repeat: int, where: Path, child: str, locator: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", SIDE, str(areas), str(repeat), str(where), child,
                           str(locator), LOCATOR],
                          capture_output=True, text=True, env=env, cwd=str(tree))
    if done.returncode:
        raise RuntimeError(f"the side in {tree} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(now: Path, before: Path, areas: Path, work: Path, *, rounds: int, repeat: int,
            child: str) -> dict:
    """Per measure: ``{"after": [...], "before": [...]}`` over ``rounds`` alternated rounds."""
    sides = (("after", now), ("before", before))
    runs: dict[str, list[dict]] = {"after": [], "before": []}
    for i in range(rounds):
        for name, tree in (sides if i % 2 == 0 else sides[::-1]):
            runs[name].append(_side(tree, areas, repeat, work / f"{name}{i}", child,
                                    work / f"{name}-{areas.stem}-locator"))
    return runs


def report(n: int, runs: dict) -> None:
    """Print the medians and the paired ratios (before / after) of each measure."""
    for key, label, scale, unit in MEASURES:
        a = [r.get(key) for r in runs["after"]]
        b = [r.get(key) for r in runs["before"]]
        if any(v is None for v in a):
            continue
        strtree = statistics.median(r["strtree"] for r in runs["after"]) if "build" in key \
            or key == "known_valid" else None
        line = f"{n:>7,d} polygons, {label}: after {statistics.median(a) * scale:.1f} {unit}"
        if strtree:
            line += f" ({statistics.median(a) / strtree:.0f}x STRtree's {strtree * 1e3:.2f} ms)"
        if all(v is not None for v in b):
            ratios = [y / x for x, y in zip(a, b) if x]
            line += (f"; before {statistics.median(b) * scale:.1f} {unit}; before/after paired "
                     f"{', '.join(f'{r:.2f}' for r in ratios)} "
                     f"(median {statistics.median(ratios):.2f})")
        else:
            line += "; before: not measured (that tree has no such option)"
        print(line, flush=True)
    for name in ("after", "before"):
        imported = {r.get("locator_pyarrow") for r in runs[name]}
        print(f"{n:>7,d} polygons, {name}: opening the locator imported pyarrow: {imported}")
