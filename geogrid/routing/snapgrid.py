"""A grid of candidate road pieces per cell: nearest-road snapping in a few microseconds.

Snapping cuts every segment into straight pieces of at most 20 m (see
:mod:`geogrid.routing.snap`). For each square cell of a grid laid over the
roads this module stores, once per graph, every piece that can be the
nearest one to *some* point of the cell, so snapping a point reads one
short list and measures a handful of pieces in plain floats; a batch (a
team of responders) is one gather over those lists.

Why the list is complete: let ``m`` be the piece whose midpoint is nearest
the cell's centre ``c`` and ``U`` the largest distance from a corner of the
cell to ``m``. Distance to a segment is convex, so every point ``p`` of the
cell is within ``U`` of ``m``, and its nearest piece ``P`` is too:
``d(p, P) <= U``. Then ``d(c, P) <= U + h``, with ``h`` half the cell's
diagonal; the list keeps every piece with ``d(c, P) <= U + h`` (found among
the midpoints within ``U + h + half``, the longest piece's half length).
Ties and distances are measured with the same float formula as the
:class:`~geogrid.routing.snap._PieceIndex` scan, so both give the same piece,
fraction and foot. Points outside the grid, and cells whose list would be
long (open water, parks far from any road), are answered by that scan.

Cells are :data:`CELL_M` metres; at most :data:`MAX_CANDIDATES` pieces a cell.
"""

from __future__ import annotations

import math
from itertools import chain
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["SnapGrid", "nearest_in_cells", "CELL_M", "MAX_CELLS", "MAX_CANDIDATES", "MAX_REACH_M"]

#: Side of a grid cell in metres (larger where the roads span more than :data:`MAX_CELLS` such cells).
CELL_M = 10.0
#: Most cells a grid has; a larger area gets larger cells.
MAX_CELLS = 100_000
#: A cell with more candidate pieces than this is left to the KD-tree scan.
MAX_CANDIDATES = 48
#: A cell farther than this (metres, at its farthest corner) from its nearest piece is left to the scan.
MAX_REACH_M = 75.0
_SLACK_M = 1e-6  # float slack on the completeness bound
_CHUNK = 4_096  # cells per build step (bounds the build's temporary memory)


def _seg_dist(qx, qy, ax, ay, bx, by):
    """Distance from points to segments, vectorised, with the snapping scan's float formula."""
    vx, vy = bx - ax, by - ay
    vv = vx * vx + vy * vy
    u = np.divide((qx - ax) * vx + (qy - ay) * vy, vv, out=np.zeros(np.broadcast(qx, vv).shape),
                  where=vv > 0)
    u = np.clip(u, 0.0, 1.0)
    px, py = ax + u * vx, ay + u * vy
    return np.sqrt((qx - px) * (qx - px) + (qy - py) * (qy - py)), u, px, py


@dataclass(frozen=True, eq=False)
class SnapGrid:
    """Candidate pieces per grid cell, as CSR: cell ``k`` holds ``cand[off[k]:off[k + 1]]``.

    ``off[k] == off[k + 1]`` with ``full[k]`` set means the cell is left to the scan.
    ``ends`` holds ``ax, ay, bx, by`` of every piece (metres). ``low[i]`` is a lower
    bound on the distance from any point of its cell to piece ``cand[i]`` (the cell's
    distance to it, less a float slack), and each cell's list is sorted by it, so a
    scan of the list can stop at the first piece whose bound exceeds the best distance.
    """

    x0: float
    y0: float
    nx: int
    ny: int
    cell: float
    off: np.ndarray
    cand: np.ndarray
    full: np.ndarray
    ends: np.ndarray
    low: np.ndarray

    @classmethod
    def build(cls, p0: np.ndarray, p1: np.ndarray, half: float, cell: float = CELL_M) -> SnapGrid:
        """The grid over pieces ``p0 → p1`` (``(n, 2)`` arrays in metres)."""
        ends = np.ascontiguousarray(np.hstack([p0, p1]), float)
        if len(ends) == 0:
            return cls(0.0, 0.0, 0, 0, cell, np.zeros(1, np.int64), np.zeros(0, np.int32),
                       np.zeros(0, bool), ends, np.zeros(0))
        lo, hi = np.minimum(p0, p1).min(axis=0), np.maximum(p0, p1).max(axis=0)
        cell = max(cell, math.sqrt(float(np.prod(hi - lo + 2 * cell)) / MAX_CELLS))
        lo, hi = lo - cell, hi + cell
        nx, ny = (int(v) for v in np.ceil((hi - lo) / cell))
        tree = cKDTree((p0 + p1) / 2)
        counts = np.zeros(nx * ny, np.int64)
        parts, lows, full = [], [], np.zeros(nx * ny, bool)
        for start in range(0, nx * ny, _CHUNK):
            k = np.arange(start, min(start + _CHUNK, nx * ny))
            cand, low, cnt, over = _cell_candidates(tree, ends, half, lo, cell, nx, k)
            counts[k] = cnt
            full[k] = over
            parts.append(cand)
            lows.append(low)
        off = np.zeros(nx * ny + 1, np.int64)
        np.cumsum(counts, out=off[1:])
        return cls(float(lo[0]), float(lo[1]), nx, ny, cell, off,
                   np.concatenate(parts).astype(np.int32), full, ends, np.concatenate(lows))

    @property
    def nbytes(self) -> int:
        return int(self.off.nbytes + self.cand.nbytes + self.full.nbytes + self.low.nbytes)

    @cached_property
    def _views(self) -> tuple[memoryview, memoryview]:
        return memoryview(self.off), memoryview(self.cand)

    @cached_property
    def _low(self) -> memoryview:
        return memoryview(self.low)

    def span(self, x: float, y: float) -> tuple[int, int] | None:
        """Where the list of the cell holding (x, y) lies in ``cand`` and ``low``, or ``None``
        where the scan must answer."""
        i = math.floor((x - self.x0) / self.cell)
        j = math.floor((y - self.y0) / self.cell)
        if not (0 <= i < self.nx and 0 <= j < self.ny):
            return None
        off = self._views[0]
        k = j * self.nx + i
        lo, hi = off[k], off[k + 1]
        return (lo, hi) if hi > lo else None

    def candidates(self, x: float, y: float) -> memoryview | None:
        """The candidate pieces of the cell holding (x, y), or ``None`` where the scan must answer."""
        i = math.floor((x - self.x0) / self.cell)
        j = math.floor((y - self.y0) / self.cell)
        if not (0 <= i < self.nx and 0 <= j < self.ny):
            return None
        off, cand = self._views
        k = j * self.nx + i
        lo, hi = off[k], off[k + 1]
        return cand[lo:hi] if hi > lo else None

    def cells_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The cell of each point, or -1 outside the grid or in a cell left to the scan."""
        i = np.floor((x - self.x0) / self.cell)
        j = np.floor((y - self.y0) / self.cell)
        inside = (i >= 0) & (i < self.nx) & (j >= 0) & (j < self.ny)
        k = np.where(inside, j * self.nx + i, 0).astype(np.int64)
        return np.where(inside & ~self.full[k] if len(self.full) else inside, k, -1)


def _corners(x0, y0, x1, y1, ax, ay, bx, by) -> list[np.ndarray]:
    """Distances from the four corners of axis-aligned rectangles to segments, vectorised."""
    return [_seg_dist(cx, cy, ax, ay, bx, by)[0] for cx in (x0, x1) for cy in (y0, y1)]


def _rect_dist(corners, x0, y0, x1, y1, ax, ay, bx, by):
    """Distance from axis-aligned rectangles to segments (0 where they meet), vectorised."""
    # Liang-Barsky: the segment a + s (b - a), s in [0, 1], clipped to the rectangle
    lo, hi = np.zeros(np.broadcast(x0, ax).shape), np.ones(np.broadcast(x0, ax).shape)
    for dv, p0, r0, r1 in ((bx - ax, ax, x0, x1), (by - ay, ay, y0, y1)):
        with np.errstate(divide="ignore", invalid="ignore"):
            s0, s1 = (r0 - p0) / dv, (r1 - p0) / dv
        flat = dv == 0
        inside = (p0 >= r0) & (p0 <= r1)
        lo = np.where(flat, np.where(inside, lo, 2.0), np.maximum(lo, np.minimum(s0, s1)))
        hi = np.where(flat, np.where(inside, hi, -1.0), np.minimum(hi, np.maximum(s0, s1)))
    best = np.where(lo <= hi, 0.0, np.inf)
    for px, py in ((ax, ay), (bx, by)):  # segment ends to the rectangle
        best = np.minimum(best, np.hypot(np.clip(px, x0, x1) - px, np.clip(py, y0, y1) - py))
    return np.minimum(best, np.minimum.reduce(corners))  # rectangle corners to the segment


def _cell_candidates(tree: cKDTree, ends: np.ndarray, half: float, lo: np.ndarray, cell: float,
                     nx: int, k: np.ndarray):
    """Candidate pieces of cells ``k``: (pieces by cell then lower bound, their lower bounds,
    count per cell, overflow flag).

    ``U`` starts as the farthest corner from the piece whose midpoint is
    nearest the centre and is then lowered to the least such bound over the
    pieces found; the list keeps every piece within ``U`` of the cell.
    """
    x0 = lo[0] + (k % nx) * cell
    y0 = lo[1] + (k // nx) * cell
    centre = np.column_stack([x0 + cell / 2, y0 + cell / 2])
    h = cell * math.sqrt(0.5)
    _, m = tree.query(centre)
    a = ends[m]
    bound = np.maximum.reduce(_corners(x0, y0, x0 + cell, y0 + cell, a[:, 0], a[:, 1], a[:, 2], a[:, 3]))
    # every piece within U of the cell is within U + h of its centre; cells far from roads
    # (U beyond MAX_REACH_M) are left to the scan
    over = bound > MAX_REACH_M
    reach = np.where(over, 0.0, bound + h + half + _SLACK_M)
    balls = tree.query_ball_point(centre, reach, return_sorted=False)
    sizes = np.fromiter(map(len, balls), np.int64, len(balls))
    r = np.repeat(np.arange(len(k)), sizes)
    j = np.fromiter(chain.from_iterable(balls), np.int64, int(sizes.sum()))
    e = ends[j]
    ex = (e[:, 0], e[:, 1], e[:, 2], e[:, 3])
    near = _seg_dist(centre[r, 0], centre[r, 1], *ex)[0] <= bound[r] + h + _SLACK_M
    r, j, e = r[near], j[near], e[near]
    ex = (e[:, 0], e[:, 1], e[:, 2], e[:, 3])
    box = (x0[r], y0[r], x0[r] + cell, y0[r] + cell)
    first = np.flatnonzero(np.concatenate([[True], r[1:] != r[:-1]]))  # m passes: cells kept are not empty
    corners = _corners(*box, *ex)
    bound[r[first]] = np.minimum(bound[r[first]], np.minimum.reduceat(np.maximum.reduce(corners), first))
    bound += _SLACK_M
    low = _rect_dist(corners, *box, *ex)
    keep = (low <= bound[r]) & ~over[r]
    r, j, low = r[keep], j[keep], low[keep] - _SLACK_M
    cnt = np.bincount(r, minlength=len(k))
    over |= cnt > MAX_CANDIDATES
    cnt[over] = 0
    r_ok = ~over[r]
    r, j, low = r[r_ok], j[r_ok], low[r_ok]
    order = np.lexsort((j, low, r))
    return j[order], low[order], cnt, over


def nearest_in_cells(grid: SnapGrid, cols: np.ndarray, x: np.ndarray, y: np.ndarray, cells: np.ndarray):
    """Nearest piece of each point from its cell's list: (distance, piece, u, foot x, foot y).

    ``cols`` holds the rows ``ax, ay, bx - ax, by - ay, |b - a|²`` over pieces.
    Every ``cells`` entry must be a cell of ``grid`` (not -1). The lists are
    laid end to end; the nearest of each wins, ties to the lowest piece, as in
    the scan, whose float formula this repeats element by element.
    """
    lo = grid.off[cells]
    cnt = grid.off[cells + 1] - lo
    first = np.cumsum(cnt) - cnt
    row = np.repeat(np.arange(len(cells)), cnt)
    piece = grid.cand[np.repeat(lo - first, cnt) + np.arange(first[-1] + cnt[-1])]
    ax, ay, vx, vy, vv = cols[:, piece]
    qx, qy = x[row], y[row]
    u = np.divide((qx - ax) * vx + (qy - ay) * vy, vv, out=np.zeros(len(vv)), where=vv > 0)
    np.clip(u, 0.0, 1.0, out=u)
    px, py = ax + u * vx, ay + u * vy
    dx, dy = qx - px, qy - py
    d = np.sqrt(dx * dx + dy * dy)
    tie = d == np.minimum.reduceat(d, first)[row]
    low = np.minimum.reduceat(np.where(tie, piece, np.iinfo(piece.dtype).max), first)
    at = np.flatnonzero(tie & (piece == low[row]))  # the nearest of each list, ties to the lowest piece
    return d[at], piece[at].astype(np.int64), u[at], px[at], py[at]
