"""Polygon vertices read straight from WKB with numpy, for a one-shot batch.

A GeoParquet file of 300,000 microgrids holds about two million vertices in
25 MB of WKB. A batch needs those vertices (for the crossing test of
:mod:`geogrid.locate._quick`), not a GEOS object per area: parsing every
polygon with :func:`shapely.from_wkb` and reading its coordinates back took
longer than locating a million points in them. :func:`wkb_rings` reads the
vertices from the Arrow buffers in a few numpy passes:

* a row that is a little-endian 2D ``Polygon`` of one ring (header of 13
  bytes: byte order, type 3, one ring, its vertex count) or a
  ``MultiPolygon`` of one such polygon (22 bytes) is read in place: with
  the headers (and any other row) masked out of the buffer, what is left is
  their vertices, in row order, as doubles, copied once into an array of
  (x, y) pairs that the lookup reads (``x`` and ``y`` are views of it) and
  GEOS builds the polygons from;
* any other row (holes, several parts, big-endian, Z, a missing or
  malformed value) is parsed with shapely, those rows only.

The result is the :class:`~geogrid.locate._quick.Rings` that
:func:`~geogrid.locate._quick.rings_of` gives for the parsed polygons (the
tests check this on every kind of row). :func:`ragged_polygons` makes the
GEOS polygons from those vertices when they are needed (for the input
checks), about twice as fast as parsing the WKB again.
"""

from __future__ import annotations

import numpy as np
import shapely

from ..locate._build import expand
from ..locate._quick import Rings, rings_of

__all__ = ["wkb_rings", "ragged_polygons", "WkbRings"]

#: header bytes before the vertices of a Polygon of one ring
_POLYGON_HEAD = 13
#: header bytes before the vertices of a MultiPolygon of one Polygon of one ring
_MULTI_HEAD = 22


class WkbRings:
    """The :class:`Rings` of a WKB column, and per row what it was.

    ``kind`` per row: ``3`` a one-ring Polygon read in place, ``6`` a
    MultiPolygon of one such, ``0`` parsed by shapely (its polygon in
    ``parsed``, keyed by row). ``xy``: the vertices as (x, y) pairs, of which
    ``rings.x`` and ``rings.y`` are views (``None``: made when needed).
    """

    def __init__(self, rings: Rings, kind: np.ndarray, parsed: dict[int, object],
                 xy: np.ndarray | None = None):
        self.rings = rings
        self.kind = kind
        self.parsed = parsed
        self.xy = xy

    def __len__(self) -> int:
        return len(self.kind)

    def shift(self, vertices, polygons) -> None:
        """Move every vertex, in place: ``vertices(x, y)`` gives the new arrays,
        ``polygons`` is the same move for :func:`shapely.transform` (rows parsed by
        shapely)."""
        x, y = vertices(self.rings.x, self.rings.y)
        self.xy = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
        self.rings = self.rings._replace(x=self.xy[:, 0], y=self.xy[:, 1])
        if self.parsed:
            rows = list(self.parsed)
            moved = shapely.transform(np.array([self.parsed[r] for r in rows], dtype=object),
                                      polygons)
            self.parsed = dict(zip(rows, moved))


def _u32(head: np.ndarray, at: int) -> np.ndarray:
    """Little-endian unsigned 32-bit integers at byte ``at`` of each header row."""
    return np.ascontiguousarray(head[:, at:at + 4]).view("<u4")[:, 0].astype(np.int64)


def _layout(column) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(byte buffer, row starts, row lengths, row present) of an Arrow binary array."""
    import pyarrow as pa

    n = len(column)
    validity, offsets, data = column.buffers()[:3]
    kind = np.int64 if pa.types.is_large_binary(column.type) else np.int32
    off = np.frombuffer(offsets, dtype=kind)[column.offset:column.offset + n + 1].astype(np.int64)
    buf = np.frombuffer(data, dtype=np.uint8) if data is not None and data.size else \
        np.zeros(8, dtype=np.uint8)
    present = np.ones(n, dtype=bool)
    if column.null_count:
        bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
        present = bits[column.offset:column.offset + n].astype(bool)
    return buf, off[:-1], np.diff(off), present


def _heads(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The 22 bytes from each of the positions ``at`` (zeros past the buffer's end), as
    rows gathered from a strided view of the buffer (no index per byte)."""
    width = _MULTI_HEAD
    if len(buf) < 2 * width:
        buf = np.concatenate([buf, np.zeros(2 * width, dtype=np.uint8)])
    view = np.lib.stride_tricks.sliding_window_view(buf, width)
    last = len(buf) - width
    head = view[np.minimum(at, last)]
    tail = np.flatnonzero(at > last)
    if tail.size:                            # rows that end within the last 22 bytes
        end = np.concatenate([buf[-width:], np.zeros(width, dtype=np.uint8)])
        head[tail] = np.lib.stride_tricks.sliding_window_view(end, width)[at[tail] - last]
    return head


def _kinds(buf, start, length, present) -> tuple[np.ndarray, np.ndarray]:
    """Per row: kind (3, 6 or 0, see :class:`WkbRings`) and vertex count."""
    n = len(start)
    kind = np.zeros(n, dtype=np.int8)
    npts = np.zeros(n, dtype=np.int64)
    ok = np.flatnonzero(present & (length >= _POLYGON_HEAD))
    head = _heads(buf, start[ok])
    one = (head[:, 0] == 1) & (_u32(head, 5) == 1)   # little endian; one ring, or one part
    typ = _u32(head, 1)
    count = _u32(head, 9)
    poly = one & (typ == 3) & (length[ok] == _POLYGON_HEAD + 16 * count)
    count_multi = _u32(head, 18)
    multi = (one & (typ == 6) & (head[:, 9] == 1) & (_u32(head, 10) == 3)
             & (_u32(head, 14) == 1) & (length[ok] == _MULTI_HEAD + 16 * count_multi))
    kind[ok[poly]] = 3
    npts[ok[poly]] = count[poly]
    kind[ok[multi]] = 6
    npts[ok[multi]] = count_multi[multi]
    return kind, npts


def wkb_rings(column) -> WkbRings | None:
    """The vertices of a column of WKB (Multi)Polygons (an Arrow binary array or
    chunked array), or ``None`` when a row is not a (Multi)Polygon that shapely
    can parse (the caller's full reader reports it)."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not (pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)):
        return None
    buf, start, length, present = _layout(column)
    kind, npts = _kinds(buf, start, length, present)
    rest = np.flatnonzero(kind == 0)
    parsed = {}
    if rest.size:
        values = np.empty(len(rest), dtype=object)
        values[:] = [buf[start[i]:start[i] + length[i]].tobytes() if present[i] else None
                     for i in rest]
        try:
            geoms = shapely.from_wkb(values)
        except Exception:       # malformed WKB: the full reader names the row
            return None
        kinds = shapely.get_type_id(geoms)
        if not np.isin(kinds, (shapely.GeometryType.POLYGON,
                               shapely.GeometryType.MULTIPOLYGON)).all():
            return None
        parsed = dict(zip(rest.tolist(), geoms))
        other = rings_of(geoms)
        npts[rest] = np.diff(other.ptr)
    if not npts.all():          # an empty polygon: the full reader reports it
        return None
    ptr = np.zeros(len(kind) + 1, dtype=np.intp)
    np.cumsum(npts, out=ptr[1:])
    xy = np.empty((ptr[-1], 2))
    x, y = xy[:, 0], xy[:, 1]
    _gather(buf, start, length, kind, npts, ptr, xy)
    breaks = np.zeros(0, dtype=np.intp)
    if rest.size:
        owner, step = expand(npts[rest])
        at = ptr[rest][owner] + step
        x[at], y[at] = other.x, other.y
        # ring breaks of the parsed rows, moved to where their rows' vertices now are
        row = np.searchsorted(other.ptr, other.breaks, side="right") - 1
        breaks = (other.breaks + (ptr[rest] - other.ptr[:-1])[row]).astype(np.intp)
    return WkbRings(Rings(x, y, ptr, breaks), kind, parsed, xy)


def _gather(buf, start, length, kind, npts, ptr, xy) -> None:
    """Copy the vertices of the rows read in place (``kind`` 3 or 6) into the pairs
    ``xy`` at ``ptr``: the bytes of every other row and every header are masked out of the
    buffer, and what is left is the vertices, in row order, as doubles."""
    fast = np.flatnonzero(kind != 0)
    if not fast.size:
        return
    keep = np.zeros(len(buf), dtype=bool)
    lo, hi = start[fast[0]], start[fast[-1]] + length[fast[-1]]
    keep[lo:hi] = True
    for code, size in ((3, _POLYGON_HEAD), (6, _MULTI_HEAD)):
        rows = start[kind == code]
        for k in range(size):            # a header is a few bytes: one pass per byte
            keep[rows + k] = False
    rest = np.flatnonzero(kind[fast[0]:fast[-1]] == 0) + fast[0]
    if rest.size:                        # rows parsed by shapely, between rows read here
        owner, step = expand(length[rest])
        keep[start[rest][owner] + step] = False
    if len(fast) == len(kind):           # every row, in order
        xy[:] = buf[keep].view("<f8").reshape(-1, 2)
        return
    mine = np.zeros(len(xy), dtype=bool)
    owner, step = expand(npts[fast])
    mine[ptr[fast][owner] + step] = True
    xy[mine] = buf[keep].view("<f8").reshape(-1, 2)


def ragged_polygons(found: WkbRings, rows: np.ndarray | None = None) -> np.ndarray:
    """The polygons of ``found`` (or of its ``rows``) as shapely objects: the rows
    read in place built from their vertices (:func:`shapely.from_ragged_array`), the
    others as parsed."""
    rings = found.rings
    rows = np.arange(len(found.kind)) if rows is None else np.asarray(rows, dtype=np.intp)
    kind = found.kind[rows]
    out = np.empty(len(rows), dtype=object)
    for code, kind_type in ((3, shapely.GeometryType.POLYGON),
                            (6, shapely.GeometryType.MULTIPOLYGON)):
        at = np.flatnonzero(kind == code)
        if not at.size:
            continue
        count = rings.ptr[rows[at] + 1] - rings.ptr[rows[at]]
        if at.size == len(found.kind):                  # every row, in order
            coords = found.xy if found.xy is not None else np.column_stack([rings.x, rings.y])
        else:
            owner, step = expand(count)
            vertex = rings.ptr[rows[at]][owner] + step
            coords = np.column_stack([rings.x[vertex], rings.y[vertex]])
        ring_ptr = np.zeros(at.size + 1, dtype=np.int64)
        np.cumsum(count, out=ring_ptr[1:])
        one = np.arange(at.size + 1, dtype=np.int64)
        offsets = (ring_ptr, one) if code == 3 else (ring_ptr, one, one)
        out[at] = shapely.from_ragged_array(kind_type, coords, offsets)
    for at in np.flatnonzero(kind == 0):
        out[at] = found.parsed[int(rows[at])]
    return out
