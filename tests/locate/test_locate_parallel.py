"""A large batch is located block by block on a shared thread pool: the answers are
those of one thread, points on shared edges included, and no call waits on itself."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import shapely
from locate_helpers import random_points, truth, voronoi_city

from geogrid.locate import AreaIndex, _parallel
from geogrid.locate._parallel import by_blocks


def _points(areas, n: int):
    pts = random_points(n)
    xy = shapely.get_coordinates(areas.geometry.values)
    mid = (xy[1:] + xy[:-1]) / 2                        # on shared edges and vertices
    x = np.concatenate([pts["lon"].to_numpy(), xy[:, 0], mid[:, 0], [np.nan]])
    y = np.concatenate([pts["lat"].to_numpy(), xy[:, 1], mid[:, 1], [31.23]])
    return x, y


@pytest.mark.parametrize("lazy", [False, True])
def test_blocks_on_threads_answer_as_one_thread(lazy, monkeypatch):
    areas = voronoi_city(200)
    index = AreaIndex.from_frame(areas, lazy=lazy)
    x, y = _points(areas, 300_000)
    threads = set()
    inside = index._quick._blocks if lazy else index._inside_block

    def spy(bx, by):
        threads.add(threading.current_thread().name)
        return inside(bx, by)

    together = by_blocks(spy, x, y, 40_000)
    monkeypatch.setattr(_parallel, "WORKERS", 1)
    alone = index.locate(x, y)
    assert np.array_equal(together, alone)
    assert (alone >= 0).mean() > 0.6 and alone[-1] == -1
    sample = slice(0, 20_000)                            # and they are shapely's answers
    assert index.ids_at(together[sample]).tolist() == truth(areas, x[sample], y[sample]).tolist()
    if _parallel.WORKERS > 1 or os.cpu_count() > 1:
        assert all(name.startswith("geogrid-locate") for name in threads) and threads


def test_small_calls_and_calls_from_the_pool_run_where_they_are():
    seen = []

    def where(bx, by):
        seen.append(threading.current_thread().name)
        return np.zeros(len(bx), dtype=np.intp)

    x = np.zeros(100)
    assert by_blocks(where, x, x, 1000).tolist() == [0] * 100
    assert seen == [threading.current_thread().name]

    def nested(bx, by):                                 # a block that locates again
        return by_blocks(lambda a, b: np.full(len(a), 7, dtype=np.intp), bx, by, 10)

    got = by_blocks(nested, np.zeros(1000), np.zeros(1000), 100)
    assert got.tolist() == [7] * 1000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_process_makes_its_own_pool():
    x = np.arange(1000, dtype=float)
    by_blocks(lambda a, b: a.astype(np.intp), x, x, 100)        # the parent's pool exists
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                                # the child
        try:
            ok = by_blocks(lambda a, b: a.astype(np.intp), x, x, 100).tolist() == list(range(1000))
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1" and os.waitstatus_to_exitcode(status) == 0


def test_parts_of_an_elementwise_call_come_back_in_order():
    from geogrid.locate._parallel import map_parts

    polys = voronoi_city(50).geometry.values
    wkb = shapely.to_wkb(np.tile(np.asarray(polys, dtype=object), 1000))   # 50,000
    got = map_parts(shapely.from_wkb, wkb, smallest=10_000)
    assert len(got) == len(wkb)
    assert shapely.equals(got, shapely.from_wkb(wkb)).all()
    assert map_parts(np.negative, np.arange(5), smallest=10).tolist() == [0, -1, -2, -3, -4]


def test_work_in_the_background_gives_its_value_or_its_error(monkeypatch):
    from geogrid.locate._parallel import in_background

    for workers in (_parallel.WORKERS, 1):
        monkeypatch.setattr(_parallel, "WORKERS", workers)
        assert in_background(sum, [1, 2, 3]).result() == 6
        with pytest.raises(ZeroDivisionError):
            in_background(lambda: 1 / 0).result()
