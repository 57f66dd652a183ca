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
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["SnapGrid", "nearest_in_cells", "CELL_M", "MAX_CELLS", "MAX_CANDIDATES"]

#: Side of a grid cell in metres (larger where the roads span more than :data:`MAX_CELLS` such cells).
CELL_M = 15.0
#: Most cells a grid has; a larger area gets larger cells.
MAX_CELLS = 250_000
#: A cell with more candidate pieces than this is left to the KD-tree scan.
MAX_CANDIDATES = 48
#: Midpoints looked at per cell while building; a cell whose ball holds more is left to the scan.
_PREFILTER = 64
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
    ``ends`` holds ``ax, ay, bx, by`` of every piece (metres).
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

    @classmethod
    def build(cls, p0: np.ndarray, p1: np.ndarray, half: float, cell: float = CELL_M) -> SnapGrid:
        """The grid over pieces ``p0 → p1`` (``(n, 2)`` arrays in metres)."""
        ends = np.ascontiguousarray(np.hstack([p0, p1]), float)
        if len(ends) == 0:
            return cls(0.0, 0.0, 0, 0, cell, np.zeros(1, np.int64), np.zeros(0, np.int32),
                       np.zeros(0, bool), ends)
        lo, hi = np.minimum(p0, p1).min(axis=0), np.maximum(p0, p1).max(axis=0)
        cell = max(cell, math.sqrt(float(np.prod(hi - lo + 2 * cell)) / MAX_CELLS))
        lo, hi = lo - cell, hi + cell
        nx, ny = (int(v) for v in np.ceil((hi - lo) / cell))
        tree = cKDTree((p0 + p1) / 2)
        counts = np.zeros(nx * ny, np.int64)
        parts, full = [], np.zeros(nx * ny, bool)
        for start in range(0, nx * ny, _CHUNK):
            k = np.arange(start, min(start + _CHUNK, nx * ny))
            cand, cnt, over = _cell_candidates(tree, ends, half, lo, cell, nx, k)
            counts[k] = cnt
            full[k] = over
            parts.append(cand)
        off = np.zeros(nx * ny + 1, np.int64)
        np.cumsum(counts, out=off[1:])
        return cls(float(lo[0]), float(lo[1]), nx, ny, cell, off,
                   np.concatenate(parts).astype(np.int32), full, ends)

    @property
    def nbytes(self) -> int:
        return int(self.off.nbytes + self.cand.nbytes + self.full.nbytes)

    @cached_property
    def _views(self) -> tuple[memoryview, memoryview]:
        return memoryview(self.off), memoryview(self.cand)

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


def _rect_dist(x0, y0, x1, y1, ax, ay, bx, by):
    """Distance from axis-aligned rectangles to segments (0 where they meet), vectorised."""
    # Liang-Barsky: the segment a + s (b - a), s in [0, 1], clipped to the rectangle
    dx, dy = bx - ax, by - ay
    lo, hi = np.zeros(np.broadcast(x0, ax).shape), np.ones(np.broadcast(x0, ax).shape)
    for dv, p0, r0, r1 in ((dx, ax, x0, x1), (dy, ay, y0, y1)):
        with np.errstate(divide="ignore", invalid="ignore"):
            s0, s1 = (r0 - p0) / dv, (r1 - p0) / dv
        flat = dv == 0
        inside = (p0 >= r0) & (p0 <= r1)
        lo = np.where(flat, np.where(inside, lo, 2.0), np.maximum(lo, np.minimum(s0, s1)))
        hi = np.where(flat, np.where(inside, hi, -1.0), np.minimum(hi, np.maximum(s0, s1)))
    best = np.where(lo <= hi, 0.0, np.inf)
    for px, py in ((ax, ay), (bx, by)):  # segment ends to the rectangle
        best = np.minimum(best, np.hypot(np.clip(px, x0, x1) - px, np.clip(py, y0, y1) - py))
    for cx in (x0, x1):  # rectangle corners to the segment
        for cy in (y0, y1):
            best = np.minimum(best, _seg_dist(cx, cy, ax, ay, bx, by)[0])
    return best


def _max_corner_dist(x0, y0, x1, y1, ax, ay, bx, by):
    """Largest distance from a rectangle's corners to a segment: the farthest any point is."""
    out = _seg_dist(x0, y0, ax, ay, bx, by)[0]
    for cx, cy in ((x0, y1), (x1, y0), (x1, y1)):
        out = np.maximum(out, _seg_dist(cx, cy, ax, ay, bx, by)[0])
    return out


def _cell_candidates(tree: cKDTree, ends: np.ndarray, half: float, lo: np.ndarray, cell: float,
                     nx: int, k: np.ndarray):
    """Candidate pieces of cells ``k``: (pieces by cell then piece, count per cell, overflow flag).

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
    bound = _max_corner_dist(x0, y0, x0 + cell, y0 + cell, a[:, 0], a[:, 1], a[:, 2], a[:, 3])
    kk = min(_PREFILTER, len(ends))
    dmid, j = tree.query(centre, k=kk)
    dmid, j = dmid.reshape(len(k), -1), j.reshape(len(k), -1)
    # every piece within U of the cell is within U + h of its centre
    over = (dmid[:, -1] <= bound + h + half + _SLACK_M) & (kk < len(ends))  # the ball may hold more
    r, c = np.nonzero(dmid <= (bound + h + half + _SLACK_M)[:, None])
    j = j[r, c]
    e = ends[j]
    ex = (e[:, 0], e[:, 1], e[:, 2], e[:, 3])
    near = _seg_dist(centre[r, 0], centre[r, 1], *ex)[0] <= bound[r] + h + _SLACK_M
    r, j, e = r[near], j[near], e[near]
    ex = (e[:, 0], e[:, 1], e[:, 2], e[:, 3])
    box = (x0[r], y0[r], x0[r] + cell, y0[r] + cell)
    first = np.flatnonzero(np.concatenate([[True], r[1:] != r[:-1]]))  # m passes: no cell is empty
    bound = np.minimum(bound, np.minimum.reduceat(_max_corner_dist(*box, *ex), first)) + _SLACK_M
    keep = (_rect_dist(*box, *ex) <= bound[r]) & ~over[r]
    r, j = r[keep], j[keep]
    cnt = np.bincount(r, minlength=len(k))
    over |= cnt > MAX_CANDIDATES
    cnt[over] = 0
    r_ok = ~over[r]
    order = np.lexsort((j[r_ok], r[r_ok]))
    return j[r_ok][order], cnt, over


def nearest_in_cells(grid: SnapGrid, cols: np.ndarray, x: np.ndarray, y: np.ndarray, cells: np.ndarray):
    """Nearest piece of each point from its cell's list: (distance, piece, u, foot x, foot y).

    ``cols`` holds the rows ``ax, ay, bx - ax, by - ay, |b - a|²`` over pieces.
    Every ``cells`` entry must be a cell of ``grid`` (not -1). The lists are
    laid end to end; the first nearest of each wins, and lists are sorted by
    piece, so ties go to the lowest piece, as in the scan, whose float
    formula this repeats element by element.
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
    at = np.flatnonzero(d == np.minimum.reduceat(d, first)[row])
    at = at[np.searchsorted(row[at], np.arange(len(cells)))]  # the first nearest of each list
    return d[at], piece[at].astype(np.int64), u[at], px[at], py[at]
