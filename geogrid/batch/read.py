"""Read a points file chunk by chunk, whatever its format.

:func:`iter_points` yields ``(attributes, lon, lat)`` per chunk: the file's
own columns (an Arrow record batch for CSV and plain Parquet, else a
DataFrame) and the raw coordinates as float arrays (in the file's datum;
converting them is the caller's job). CSV is read with
pyarrow's streaming reader and (Geo)Parquet by row groups, so memory stays
flat however long the file is; GeoJSON, GeoPackage and shapefiles are read
whole (they are small in practice).

Lines and polygons become points only by an explicit rule
(:data:`GEOMETRY_POINTS`); without one they are refused, never reduced
silently to one of their vertices.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._errors import InputError
from .._lonlat import SUPPORTED_SUFFIXES, lonlat_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["iter_points", "check_points_file", "require_file", "text_encoding", "points_of", "GEOMETRY_POINTS", "count_rows", "estimate_rows",
           "floats", "prefetched", "Prefetched"]

#: how a line or polygon becomes the point that is located
GEOMETRY_POINTS = ("representative", "centroid", "first", "last")

Chunk = tuple["pd.DataFrame", np.ndarray, np.ndarray]


def points_of(geoms: np.ndarray, how: str | None, *, where: str = "geometry"
              ) -> tuple[np.ndarray, np.ndarray]:
    """x and y of the point standing for each geometry (NaN for missing/empty).

    Points stand for themselves. Any other geometry needs ``how``:
    ``representative`` (a point inside, :func:`shapely.point_on_surface`),
    ``centroid``, ``first`` or ``last`` (the first or last vertex).
    """
    geoms = np.asarray(geoms, dtype=object)
    kinds = shapely.get_type_id(geoms)
    empty = (kinds < 0) | shapely.is_empty(geoms)
    other = ~empty & (kinds != shapely.GeometryType.POINT)
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    pts = ~empty & ~other
    x[pts], y[pts] = shapely.get_x(geoms[pts]), shapely.get_y(geoms[pts])
    if not other.any():
        return x, y
    if how not in GEOMETRY_POINTS:
        names = sorted({g.geom_type for g in geoms[other][:1000]})
        raise InputError(
            f"{where} 含 {int(other.sum())} 个非点几何（{', '.join(names)}）/ has {int(other.sum())} "
            f"geometries that are not points ({', '.join(names)}); which point of each should be "
            "located?", field="--geometry-point", value=how,
            fix="用 --geometry-point 选择 representative（面内一点）、centroid（质心）、first 或 last"
                "（首/末顶点）/ choose one with --geometry-point representative|centroid|first|last.")
    sel = geoms[other]
    if how == "representative":
        p = shapely.point_on_surface(sel)
    elif how == "centroid":
        p = shapely.centroid(sel)
    else:
        xy, owner = shapely.get_coordinates(sel, return_index=True)
        at = np.searchsorted(owner, np.arange(len(sel)), side="left" if how == "first" else "right")
        at = at if how == "first" else at - 1
        p = shapely.points(xy[at])
    x[other], y[other] = shapely.get_x(p), shapely.get_y(p)
    return x, y


def estimate_rows(path: Path, sample: int = 1 << 20) -> int | None:
    """About how many data rows a CSV file has, from its size and the mean length of
    the lines in its first and last ``sample / 2`` bytes (rows often grow longer down a
    file, e.g. with their ids), without reading it all; exact for a short file."""
    try:
        size = Path(path).stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(sample)
            if len(head) >= size:
                return max(0, head.count(b"\n") + (bool(head) and not head.endswith(b"\n")) - 1)
            head = head[:sample // 2]
            fh.seek(max(size - sample // 2, len(head)))
            tail = fh.read()
    except OSError:
        return None
    tail = tail[tail.find(b"\n") + 1:]                # from the first whole line
    lines = head.count(b"\n") + tail.count(b"\n")
    if lines == 0:
        return 1
    return max(0, round(size * lines / (len(head) + len(tail))) - 1)


def count_rows(path: Path) -> int | None:
    """Data rows of a CSV file (newlines minus the header), for progress."""
    try:
        with open(path, "rb") as fh:
            return max(0, sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 20), b"")) - 1)
    except OSError:
        return None


def text_encoding(path, encoding: str | None = None) -> str:
    """The text encoding of file ``path``: ``encoding`` if given, else UTF-8 (with or
    without a byte-order mark), else GB18030 (GBK's superset, what Excel and Chinese GIS
    tools write); the whole file is decoded, in blocks, so a bad byte anywhere is found
    before anything is written. A file that is none of them is a bilingual error."""
    import codecs

    tries = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for name in tries:
        try:
            decoder = codecs.getincrementaldecoder(name)()
        except LookupError:
            raise InputError(f"未知编码 / unknown text encoding {name!r}.", field="--encoding",
                             value=name, fix="如 UTF-8、GBK、GB18030 / e.g. UTF-8, GBK, "
                                             "GB18030.") from None
        try:
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            return name
        except UnicodeDecodeError as exc:
            bad = exc
    names = [{"utf-8-sig": "UTF-8", "gb18030": "GB18030"}.get(t, t) for t in tries]
    raise InputError(f"{Path(path).name} 的文字无法按 {' 或 '.join(names)} 解码 / the text of "
                     f"{Path(path).name} is not {' or '.join(names)} ({bad.reason}).",
                     field="--encoding", value=encoding,
                     fix="用 UTF-8 另存 (Excel: CSV UTF-8)，或用 --encoding 声明编码 / save it as "
                         "UTF-8 (Excel: CSV UTF-8) or declare it with --encoding.")


def require_file(path) -> Path:
    """``path`` as a :class:`~pathlib.Path` if it exists; the bilingual error naming it
    otherwise (checked before any costly work: an index, a gazetteer)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"文件不存在 / file {str(path)!r} does not exist.", field="path",
                         value=str(path), fix="检查路径 / check the path.")
    return path


def check_points_file(path) -> Path:
    """``path`` as a :class:`~pathlib.Path` if it names an existing points file of a
    supported type; the bilingual error otherwise (what :func:`iter_points` checks
    first, callable before any other work starts)."""
    path = require_file(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(f"不支持的文件类型 / file type {suffix!r} is not supported.", field="path",
                         value=path.name, fix=f"请使用 / use one of {', '.join(SUPPORTED_SUFFIXES)}.")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"文件 {path.name} 是空的 / file {path.name} is empty.", field="path",
                         value=path.name, fix="放入带表头行（含经纬度列）的数据 / give it a header "
                                              "row with the lon/lat columns, and rows.")
    return path


def iter_points(path, *, lon: str | None = None, lat: str | None = None,
                chunk_rows: int = 500_000, geometry_point: str | None = None) -> Iterator[Chunk]:
    """Chunks of ``(attributes, lon, lat)`` from a points file (see the module doc)."""
    path = check_points_file(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        yield from _csv_chunks(path, lon, lat, chunk_rows)
    elif suffix in (".parquet", ".geoparquet"):
        yield from _parquet_chunks(path, lon, lat, chunk_rows, geometry_point)
    else:
        import pandas as pd

        from ..io import read_frame

        frame = read_frame(path, datum="wgs84")      # projected files come back as lon/lat
        x, y = points_of(frame.geometry.values, geometry_point, where=path.name)
        attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name)).reset_index(drop=True)
        yield attrs.assign(lon=x, lat=y), x, y


def _csv_chunks(path: Path, lon, lat, chunk_rows: int) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, newline="", encoding="utf-8-sig") as fh:
        try:
            header = next(csv.reader(fh))
        except StopIteration:
            header = []
        except UnicodeDecodeError:
            raise InputError(f"{path.name} 不是 UTF-8 编码 / is not UTF-8 text.", field="path",
                             value=path.name, fix="另存为 UTF-8 / save it as UTF-8 (e.g. from "
                                                  "GBK: iconv -f gbk -t utf-8).") from None
        sample = fh.read(1 << 16)
    lon, lat = lonlat_columns(header, lon, lat, what=path.name)
    row_bytes = max(8, len(sample.encode()) // max(1, sample.count("\n")))
    # blocks of a few rows' worth (pyarrow parses each on one thread, several at once),
    # gathered into chunks: the first block comes as a chunk of its own, so that the
    # points are checked and located while the rest is parsed (a block of a whole chunk
    # kept everything waiting for its parse)
    block = int(min(max(row_bytes * chunk_rows // 8, 1 << 20), 1 << 30))

    def reader(numeric: bool):
        types = {c: pa.large_string() for c in header}
        if numeric:              # parsed by arrow, far faster than from strings
            types[lon] = types[lat] = pa.float64()
        return pacsv.open_csv(
            path, read_options=pacsv.ReadOptions(block_size=block, encoding="utf8"),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))

    done = 0
    try:
        for batch in _gathered(reader(numeric=True), chunk_rows):
            done += batch.num_rows
            yield batch, floats(batch.column(lon)), floats(batch.column(lat))
        return
    except pa.ArrowInvalid:
        pass                     # a coordinate that is not a number: read them as text
    seen = 0
    for batch in reader(numeric=False):
        attrs = batch.to_pandas()
        seen += len(attrs)
        if seen <= done:
            continue             # already yielded with numeric coordinates
        if seen - len(attrs) < done:
            attrs = attrs.iloc[done - (seen - len(attrs)):]
        x, y = _numbers(attrs[lon]), _numbers(attrs[lat])
        # same column types as the chunks before; text that is no number is missing
        yield attrs.assign(**{lon: x, lat: y}), x, y


def _gathered(batches, rows: int):
    """The first of ``batches`` alone, then the others gathered into batches of at
    least ``rows`` rows (each column one array)."""
    import pyarrow as pa

    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return
    yield first
    waiting, count = [], 0
    for batch in batches:
        waiting.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.concat_batches(waiting)
            waiting, count = [], 0
    if waiting:
        yield pa.concat_batches(waiting)


def prefetched(items: Iterator, depth: int = 1) -> Prefetched:
    """``items``, read on a background thread from now on, at most ``depth`` ahead of
    the consumer (pyarrow parses on its own threads, without the GIL). An error while
    reading is raised where the item would have been; :meth:`Prefetched.close` (or
    the end of the items) stops the reader and closes ``items``."""
    return Prefetched(items, depth)


class Prefetched:
    """An iterator over items read ahead on a thread (see :func:`prefetched`)."""

    _END = object()

    def __init__(self, items: Iterator, depth: int = 1):
        import queue
        import threading

        self._items = items
        self._ahead: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._fill, name="geogrid-read", daemon=True)
        self._reader.start()

    def _put(self, entry) -> bool:
        import queue

        while not self._stop.is_set():
            try:
                self._ahead.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _fill(self) -> None:
        try:
            for item in self._items:
                if not self._put((True, item)):
                    return
            self._put((True, self._END))
        except BaseException as exc:    # handed to the consumer, raised there
            self._put((False, exc))

    def __iter__(self) -> Prefetched:
        return self

    def __next__(self):
        if self._stop.is_set():
            raise StopIteration
        ok, item = self._ahead.get()
        if not ok or item is self._END:
            self.close()
            if not ok:
                raise item
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop the reader (after the item it is reading) and close the items."""
        self._stop.set()
        self._reader.join()
        close = getattr(self._items, "close", None)
        if close is not None:
            close()


def floats(column) -> np.ndarray:
    """A float64 Arrow array as numpy, NaN where missing (read from its buffers:
    pyarrow's own conversion of an array with nulls would load pandas)."""
    lo, hi = column.offset, column.offset + len(column)
    validity, data = column.buffers()[:2]
    values = np.frombuffer(data, dtype=np.float64)[lo:hi]
    if column.null_count == 0:
        return values
    values = values.copy()
    valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")[lo:hi]
    values[valid == 0] = np.nan
    return values


def _numbers(col: pd.Series) -> np.ndarray:
    import pandas as pd

    if pd.api.types.is_float_dtype(col.dtype):
        return col.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _parquet_chunks(path: Path, lon, lat, chunk_rows: int, how: str | None) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    meta = pf.schema_arrow.metadata or {}
    geo = json.loads(meta[b"geo"]) if b"geo" in meta else None
    if geo is None:
        lon, lat = lonlat_columns(pf.schema_arrow.names, lon, lat,
                                  what=f"{path.name} (Parquet without geo metadata)")
    else:
        column = geo.get("primary_column", "geometry")
        transform = _to_lonlat(geo["columns"].get(column, {}).get("crs"), path)
    for batch in pf.iter_batches(batch_size=chunk_rows):
        if geo is None:
            x, y = _numbers(batch.column(lon).to_pandas()), _numbers(batch.column(lat).to_pandas())
            yield batch, x, y
            continue
        attrs = batch.to_pandas()
        geoms = shapely.from_wkb(attrs.pop(column).to_numpy(object))
        x, y = points_of(geoms, how, where=path.name)
        if transform is not None:
            x, y = transform(x, y)
        yield attrs.assign(lon=x, lat=y), x, y


def _to_lonlat(crs, path: Path):
    """None for lon/lat data, else a function taking projected x/y to lon/lat (EPSG:4490)."""
    if crs is None:
        return None
    from pyproj import CRS, Transformer

    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        return None
    transformer = Transformer.from_crs(crs, "EPSG:4490", always_xy=True)
    return lambda x, y: transformer.transform(x, y)

