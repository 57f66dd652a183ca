"""A point-in-area lookup that costs almost nothing to build, for one-shot batches.

The lookup table of :class:`~geogrid.locate.index.AreaIndex` pays for
itself over millions of lookups in a server that keeps it, but a batch
command builds it once and throws it away: at 300,000 areas the build took
a hundred times as long as an STRtree's. :class:`QuickTables` answers the
same question, with the same answers, from two things numpy builds in a few
passes:

1. **Bounding boxes in buckets.** A regular grid of about two cells per
   area; every area is listed in each cell its bounding box touches, in
   tie-break rank order (CSR arrays). A point's candidates are the areas of
   its cell whose bounding box holds it.
2. **Crossing test in numpy.** Each candidate is tested by counting the
   crossings of a ray from the point with its ring segments (even-odd, so
   holes and multipolygons need nothing special). The sign of each
   crossing comes from an orientation determinant; where that determinant
   is within its rounding error bound of zero (Shewchuk's filter, with a
   generous margin) the point is on, or within a rounding error of, the
   segment, and that candidate is decided by GEOS instead
   (:func:`shapely.intersects_xy`). Every answer is therefore GEOS's own:
   points on an edge are covered, and a point covered by several areas goes
   to the lowest tie-break rank, as in the lookup table.

Nothing is ever prepared or cached after construction, so threads may share
one.
"""

from __future__ import annotations

import contextlib
import math
import threading
from concurrent.futures import Future

import numpy as np
import shapely

from ._build import expand, first_hits, segments
from ._parallel import by_blocks, in_background

__all__ = ["QuickTables", "build_ahead"]

#: Points are looked up in blocks this long (bounds the size of temporaries).
_BLOCK = 1 << 15
#: Blocks of a large batch given to one thread at a time.
_PARALLEL_BLOCK = 1 << 16
#: Tiles a large batch is put in order of before it is located (16-bit tile numbers).
_TILES = 1 << 16
#: Bucket cells per area: more cells, fewer candidates per point, more entries.
_CELLS_PER_AREA = 2
#: A determinant smaller than this times its magnitude bound is not trusted
#: (Shewchuk's bound for orient2d is about 3.3e-16).
_ERR = 1e-13
#: Weight of an unsure segment in the per-pair tally (far above any crossing count).
_UNSURE = float(1 << 32)


class QuickTables:
    """Bucketed bounding boxes and ring segments of ``geoms`` (see the module doc)."""

    def __init__(self, geoms: np.ndarray, rank: np.ndarray):
        ahead = _adopt(geoms, rank)
        self.__dict__.update(ahead if ahead is not None else _tables(geoms, rank))

    def _col_row(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _col_row(self.grid, x, y)

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Position of the lowest-rank area covering each point, ``-1`` for none.

        A large batch is put in tile order first (:meth:`_tiles`), so that neighbouring
        points read the same areas and segments from memory (a third less time at
        300,000 areas), and spread over the cores (:mod:`geogrid.locate._parallel`)."""
        if len(x) < 2 * _BLOCK:
            return self._blocks(x, y)
        order = np.argsort(self._tiles(x, y), kind="stable")     # a radix sort: 16-bit keys
        out = np.empty(len(x), dtype=np.intp)
        out[order] = by_blocks(self._blocks, x[order], y[order], _PARALLEL_BLOCK)
        return out

    def _tiles(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per point, its tile: square blocks of grid cells, numbered row by row, as
        few as fit in 16 bits (each a few areas wide), so that numpy sorts them by
        counting, five to eight times as fast as cell numbers."""
        _, _, _, nx, ny = self.grid
        side = max(1, math.ceil(math.sqrt(nx * ny / _TILES)))
        while -(-nx // side) * -(-ny // side) > _TILES:
            side += 1
        col, row = self._col_row(x, y)
        col //= side
        row //= side
        row *= -(-nx // side)
        row += col
        return row.astype(np.uint16)

    def _blocks(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = np.full(len(x), -1, dtype=np.intp)
        for lo in range(0, len(x), _BLOCK):
            out[lo:lo + _BLOCK] = self._block(x[lo:lo + _BLOCK], y[lo:lo + _BLOCK])
        return out

    def _candidates(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point, area) pairs whose bounding box holds the point, by point then rank."""
        nx = self.grid[3]
        ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        col, row = self._col_row(x[ok], y[ok])
        cell = row * nx + col
        start = self.ptr[cell]
        point, k = expand(self.ptr[cell + 1] - start)
        area = self.items[start[point] + k]
        point = ok[point]
        px, py = x[point], y[point]
        inside = ((self.minx[area] <= px) & (px <= self.maxx[area])
                  & (self.miny[area] <= py) & (py <= self.maxy[area]))
        return point[inside], area[inside]

    def _block(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        point, area = self._candidates(x, y)
        covered = self._crossings(point, area, x, y)
        unsure = np.flatnonzero(covered < 0)
        if unsure.size:
            covered[unsure] = shapely.intersects_xy(self.geoms[area[unsure]], x[point[unsure]],
                                                    y[point[unsure]])
        # pairs run by point, then by rank: the first hit of a point wins the tie
        return first_hits(point, area, covered.astype(bool), len(x))

    def _crossings(self, point, area, x, y) -> np.ndarray:
        """Per pair: 1 inside, 0 outside, -1 too close to an edge to tell in floats."""
        start = self.seg_ptr[area]
        pair, k = expand(self.seg_ptr[area + 1] - start)
        seg = start[pair] + k
        py = y[point[pair]]
        ay, by = self.ay[seg], self.by[seg]
        above_a, above_b = ay > py, by > py
        straddle = above_a != above_b
        # only segments whose closed y-range holds the point can cross or touch it
        near = np.flatnonzero(straddle | (ay == py) | (by == py))
        pair, seg, py, ay, by = pair[near], seg[near], py[near], ay[near], by[near]
        ax, bx = self.ax[seg], self.bx[seg]
        px = x[point[pair]]
        s = (bx - ax) * (py - ay)
        t = (by - ay) * (px - ax)
        det = s - t
        unsure = np.abs(det) <= _ERR * (np.abs(s) + np.abs(t))
        cross = straddle[near] & ((det > 0) == (by > ay))
        # one pass for both: crossings count in the low bits, unsure segments far above
        tally = np.bincount(pair, weights=cross + unsure * _UNSURE, minlength=len(area))
        out = (tally.astype(np.int64) & 1).astype(np.int8)
        out[tally >= _UNSURE] = -1
        return out


def _col_row(grid: tuple, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bucket column and row of each point (clamped to the grid)."""
    minx, miny, scale, nx, ny = grid
    # fmax/fmin, not clip: a missing coordinate goes to cell 0 (it is skipped later)
    col = np.fmin(np.fmax(np.floor((x - minx) * scale), 0), nx - 1).astype(np.intp)
    row = np.fmin(np.fmax(np.floor((y - miny) * scale), 0), ny - 1).astype(np.intp)
    return col, row


def _tables(geoms: np.ndarray, rank: np.ndarray) -> dict:
    """The attributes of a :class:`QuickTables` over ``geoms``."""
    n = len(geoms)
    rings = in_background(segments, geoms)      # on another core, while the boxes sort
    minx, miny, maxx, maxy = (np.ascontiguousarray(v) for v in shapely.bounds(geoms).T)
    x0, y0 = minx.min(), miny.min()
    width, height = max(maxx.max() - x0, 1e-9), max(maxy.max() - y0, 1e-9)
    cell = math.sqrt(width * height / min(_CELLS_PER_AREA * n + 16, 1 << 22))
    nx, ny = int(width / cell) + 1, int(height / cell) + 1
    out = {"geoms": geoms, "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy,
           "grid": (x0, y0, 1.0 / cell, nx, ny)}
    c0, r0 = _col_row(out["grid"], minx, miny)
    c1, r1 = _col_row(out["grid"], maxx, maxy)
    ncol, nrow = c1 - c0 + 1, r1 - r0 + 1
    # the areas in rank order, so that one stable sort by cell keeps them so in each cell
    by_rank = np.empty(n, dtype=np.intp)
    by_rank[rank] = np.arange(n)
    slot, k = expand((ncol * nrow)[by_rank])
    area = by_rank[slot]
    del slot
    cells = (r0[area] + k // ncol[area]) * nx + c0[area] + k % ncol[area]
    order = np.argsort(cells, kind="stable")
    out["items"] = area[order]
    out["ptr"] = np.zeros(nx * ny + 1, dtype=np.intp)
    np.cumsum(np.bincount(cells, minlength=nx * ny), out=out["ptr"][1:])
    del area, k, cells, order
    out["ax"], out["ay"], out["bx"], out["by"], owner = rings.result()
    out["seg_ptr"] = np.searchsorted(owner, np.arange(n + 1))    # owner is sorted
    return out


#: tables being built ahead (:func:`build_ahead`): (polygons, future of (rank, tables))
_AHEAD: list[tuple[np.ndarray, Future]] = []
_AHEAD_LOCK = threading.Lock()


@contextlib.contextmanager
def build_ahead(geoms: np.ndarray, key: np.ndarray):
    """Within this block, the :class:`QuickTables` of ``geoms`` (tie-break values
    ``key``) are built on another thread from the start, and a ``QuickTables(geoms,
    rank)`` made in the block with the same polygon array and the rank order of
    ``key`` takes them over instead of building them again.

    So an index builder's input checks (e.g. ``shapely.is_valid``, which releases
    the GIL) and these tables use both cores. Anything else (other polygons, another
    rank, a failed build) builds as usual: the answers never depend on it.
    """
    def run():
        rank = np.empty(len(key), dtype=np.intp)
        rank[np.argsort(key, kind="stable")] = np.arange(len(key))
        return rank, _tables(geoms, rank)

    done: Future = Future()

    def fill():
        try:
            done.set_result(run())
        except BaseException as exc:     # bad input: the index builder reports it
            done.set_exception(exc)

    entry = (geoms, done)
    with _AHEAD_LOCK:
        _AHEAD.append(entry)
    threading.Thread(target=fill, name="geogrid-ahead", daemon=True).start()
    try:
        yield
    finally:
        with _AHEAD_LOCK:
            if entry in _AHEAD:
                _AHEAD.remove(entry)


def _adopt(geoms: np.ndarray, rank: np.ndarray) -> dict | None:
    """The tables built ahead for this very polygon array and rank, else ``None``."""
    with _AHEAD_LOCK:
        found = [e for e in _AHEAD if e[0] is geoms]
        for e in found:
            _AHEAD.remove(e)
    for _, done in found:
        try:
            ahead_rank, tables = done.result()
        except Exception:
            continue
        if np.array_equal(ahead_rank, rank):
            return tables
    return None
