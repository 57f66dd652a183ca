"""Point lookups spread over the machine's cores, on one small shared thread pool.

The array loops of numpy and shapely release the GIL, so blocks of points
located on threads run side by side: a batch of a million points uses every
core without copying the index into other processes. Small calls (a server's
single request) run on the calling thread, as do calls made from inside the
pool (no worker ever waits for a block queued behind itself). A process
forked after the pool started (dask's ``processes`` scheduler) makes its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

__all__ = ["WORKERS", "by_blocks", "map_parts", "in_background"]

#: threads a lookup uses (the cores this process may run on, at most 8)
WORKERS = max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                     else os.cpu_count() or 1))

_PREFIX = "geogrid-locate"
_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(WORKERS, thread_name_prefix=_PREFIX))
        return _pool[1]


def by_blocks(fn: Callable[[np.ndarray, np.ndarray], np.ndarray], x: np.ndarray,
              y: np.ndarray, block: int) -> np.ndarray:
    """``fn(x, y)`` (an integer array aligned with the points), computed block by block
    of ``block`` points on the pool when there are at least two blocks."""
    n = len(x)
    if WORKERS < 2 or n < 2 * block or threading.current_thread().name.startswith(_PREFIX):
        return fn(x, y)
    out = np.empty(n, dtype=np.intp)

    def run(lo: int) -> None:
        out[lo:lo + block] = fn(x[lo:lo + block], y[lo:lo + block])

    for done in _executor().map(run, range(0, n, block)):
        pass
    return out


def map_parts(fn: Callable[[np.ndarray], np.ndarray], values: np.ndarray,
              smallest: int = 20_000) -> np.ndarray:
    """``fn(values)`` for an elementwise ``fn`` (e.g. :func:`shapely.from_wkb`), one part
    of ``values`` per worker when there are at least ``smallest`` of them per part."""
    parts = min(WORKERS, len(values) // smallest)
    if parts < 2 or threading.current_thread().name.startswith(_PREFIX):
        return fn(values)
    return np.concatenate(list(_executor().map(fn, np.array_split(values, parts))))


def in_background(fn: Callable, *args) -> Future:
    """``fn(*args)`` started on the pool (or run now, inside the pool or on one core);
    its ``result()`` is the value or raises its error."""
    if WORKERS < 2 or threading.current_thread().name.startswith(_PREFIX):
        done: Future = Future()
        try:
            done.set_result(fn(*args))
        except BaseException as exc:         # raised by result(), as from the pool
            done.set_exception(exc)
        return done
    return _executor().submit(fn, *args)
