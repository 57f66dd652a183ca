"""The dask batch on threads: no shared native state, no crash, the pandas answer byte for byte.

GEOS prepared polygons are not thread-safe (their point locators are built
and used without locks), and a warm-up does not make them so: sharing them
between dask's worker threads corrupted the heap. The index now owns
unprepared copies of its polygons and builds its distance tree once under a
lock; these tests hold it to that.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geogrid.locate import AreaIndex, PlanLocator

from locate_helpers import random_points, truth, voronoi_city

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_the_index_never_prepares_its_polygons_and_owns_them():
    areas = voronoi_city(300)
    index = AreaIndex.from_frame(areas)
    pts = random_points(20_000)
    index.locate(pts["lon"], pts["lat"], snap_m=50)
    index.locate_one(121.50, 31.24)
    index.locate_detail(pts["lon"][:50], pts["lat"][:50])
    assert not shapely.is_prepared(index._geoms).any()
    # copies: preparing the caller's frame cannot reach the index
    assert not any(a is b for a, b in zip(index._geoms, areas.geometry.values))


def test_many_threads_on_one_cold_index_agree_with_shapely():
    """Threads hit the exact test and the first distance search at once."""
    areas = voronoi_city(2000, seed=4)
    pts = random_points(100_000, seed=5)
    x, y = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    expected = truth(areas, x, y)
    for _ in range(2):
        index = AreaIndex.from_frame(areas, tie_break="code")      # cold: nothing built lazily yet
        parts = np.array_split(np.arange(len(x)), 16)
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda p: index.locate(x[p], y[p], snap_m=30 if p[0] % 2 else None),
                                parts))
        ids = index.ids_at(np.concatenate(got))
        inside = np.concatenate([index.locate(x[p], y[p]) for p in parts]) >= 0
        assert np.array_equal(ids[inside], expected[inside])
        assert pd.isna(expected[~inside]).all()


def test_many_threads_on_one_lazy_index_agree_with_shapely_and_prepare_nothing():
    """The lazy index (what a batch over an areas file uses) shared by 8 threads."""
    areas = voronoi_city(2000, seed=6)
    pts = random_points(100_000, seed=7)
    x, y = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    expected = truth(areas, x, y)
    index = AreaIndex.from_frame(areas, tie_break="code", lazy=True)
    parts = np.array_split(np.arange(len(x)), 16)
    with ThreadPoolExecutor(8) as pool:
        got = np.concatenate(list(pool.map(lambda p: index.locate(x[p], y[p]), parts)))
    inside = got >= 0
    assert inside.mean() > 0.5
    assert np.array_equal(index.ids_at(got)[inside], expected[inside])
    assert pd.isna(expected[~inside]).all()
    assert not shapely.is_prepared(areas.geometry.values).any()


def test_twenty_threaded_dask_runs_match_the_pandas_engine_byte_for_byte(tmp_path):
    """20 runs of 200,000 points against 3,000 polygons, ~20 partitions each,
    in a child process under faulthandler: zero crashes, identical bytes."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run([sys.executable, "-X", "faulthandler", str(HERE / "stress_dask.py"),
                           str(tmp_path), "20", "200000", "3000"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "identical 20", proc.stdout[-2000:]
    assert all(int(line.split()[1]) >= 8 for line in lines[:-1])     # really parallel


def test_plan_locator_tokenizes_without_hashing_polygons():
    from dask.base import tokenize

    areas = voronoi_city(200)
    a, b = PlanLocator(areas), PlanLocator(areas)
    assert tokenize(a) == tokenize(b)
    assert tokenize(a) != tokenize(PlanLocator(voronoi_city(200, seed=9)))
