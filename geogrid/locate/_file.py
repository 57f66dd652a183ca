"""An :class:`~geogrid.locate.index.AreaIndex` as a directory of ``.npy`` files.

Build the index once (when a plan is activated or imported), save it beside
the store, and let every worker process open it: the lookup table and the
candidate lists are memory-mapped, so opening costs milliseconds and the
pages are shared by all processes on the machine. The polygons (needed only
for the exact test of points in boundary cells and for distances) are kept
as WKB in one byte array, and each is parsed the first time a lookup needs
it (:class:`LazyGeometries`), so a fresh process pays only for the polygons
its points touch.

Layout: ``index.json`` (format version, CRS, grid, stats) and one ``.npy``
file per array, the ids included (fixed-width text or int64, memory-mapped
too, made into Python objects the first time something asks for them; ids
of mixed types stay in ``index.json``). At 300,000 areas the ids as JSON
took half of an open (50 ms to parse, 20 more to make an object array).
A save writes a sibling temporary directory and renames it into place, so
a failed save leaves any earlier index intact.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import shapely

from .._errors import InputError
from ._args import objects

__all__ = ["save_index", "load_index", "read_meta", "LazyGeometries", "replacing_dir",
           "id_array", "distinct", "FORMAT"]

#: bumped whenever the layout changes; an index of another version is refused
FORMAT = "geogrid-area-index/3"
#: the layouts this version opens: /2 kept the ids in ``index.json``
_OPENS = (FORMAT, "geogrid-area-index/2")


class LazyGeometries:
    """Polygons kept as WKB, parsed on first use, each once.

    Parsing happens under a lock; a polygon, once parsed, is only read.
    """

    def __init__(self, buf: np.ndarray, offsets: np.ndarray):
        self._buf = buf
        self._offsets = offsets
        n = len(offsets) - 1
        self._cache = np.full(n, None, dtype=object)
        self._done = np.zeros(n, dtype=bool)
        self._lock = threading.Lock()

    def take(self, positions) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.intp)
        if not self._done[positions].all():
            with self._lock:
                need = distinct(positions[~self._done[positions]])
                if need.size:
                    starts, ends = self._offsets[need], self._offsets[need + 1]
                    blobs = np.array([self._buf[a:b].tobytes() for a, b in
                                      zip(starts.tolist(), ends.tolist())], dtype=object)
                    self._cache[need] = shapely.from_wkb(blobs)
                    self._done[need] = True      # after the cache: readers never see a gap
        return self._cache[positions]


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: :func:`numpy.unique` without its first call's import
    of ``numpy.ma`` (30 ms, paid by the first lookup of a fresh process)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def id_array(ids: np.ndarray) -> np.ndarray | None:
    """The ids as a fixed-width text or int64 array to save, or ``None`` for ids of
    other or mixed types (kept in the JSON)."""
    items = ids.tolist()
    kinds = set(map(type, items))
    if kinds == {str}:
        return np.array(items, dtype=str)
    if kinds and all(issubclass(k, (int, np.integer)) and not issubclass(k, bool)
                     for k in kinds):
        try:
            return np.array(items, dtype=np.int64)
        except OverflowError:
            return None
    return None


_ARRAYS = ("lut", "set_ptr", "set_items", "rank")


def save_index(index, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wkb = shapely.to_wkb(index._geoms)
    sizes = np.fromiter((len(b) for b in wkb), dtype=np.int64, count=len(wkb))
    offsets = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    bounds = shapely.bounds(index._geoms)
    # the extent of every area: the nearest-area search's projection, without a pass
    extent = [float(bounds[:, 0].min()), float(bounds[:, 1].min()),
              float(bounds[:, 2].max()), float(bounds[:, 3].max())]
    meta = {
        "format": FORMAT,
        "crs": index.crs.to_wkt() if index.crs is not None else None,
        "grid": [float(v) for v in index._grid[:4]] + [int(v) for v in index._grid[4:]],
        "stats": {**index.stats, "fingerprint": index.fingerprint, "extent": extent},
    }
    ids = id_array(np.asarray(index._ids, dtype=object))
    if ids is None:
        meta["ids"] = np.asarray(index._ids).tolist()
    with replacing_dir(path) as tmp:
        if ids is not None:
            np.save(tmp / "ids.npy", ids)
        for name in _ARRAYS:
            np.save(tmp / f"{name}.npy", getattr(index, f"_{name}"))
        np.save(tmp / "wkb.npy", np.frombuffer(b"".join(wkb), dtype=np.uint8))
        np.save(tmp / "wkb_offsets.npy", offsets)
        # read when present: the nearest-area search starts without parsing polygons
        np.save(tmp / "bounds.npy", bounds)
        (tmp / "index.json").write_text(json.dumps(meta, ensure_ascii=False, default=str),
                                        encoding="utf-8")
    return path


@contextmanager
def replacing_dir(path: Path):
    """A temporary sibling directory to fill; on success it replaces ``path`` in one
    rename (a reader sees the old directory or the new one), on failure it is removed
    and ``path`` is left as it was."""
    import os
    import shutil
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        old = path.with_name(f".{path.name}.old")
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_meta(file: Path, what: tuple[str, str], fix: str) -> dict:
    """The JSON description of a saved directory; a clear error naming it when unreadable.

    ``what`` is its name in Chinese and English, ``fix`` how to make it again."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        where = str(file.parent)
        raise InputError(f"无法读取{what[0]} {where!r} / cannot read {what[1]} {where!r}: {exc}.",
                         field="path", value=where, fix=fix) from None


def load_index(cls, path, *, mmap: bool = True):
    path = Path(path)
    meta = read_meta(path / "index.json", ("定位索引", "the locate index"),
                     "重新构建索引 / rebuild it with AreaIndex.save.")
    if meta.get("format") not in _OPENS:
        raise InputError(f"定位索引格式不符 / the locate index {str(path)!r} has format "
                         f"{meta.get('format')!r}, not {FORMAT!r}.", field="path",
                         value=meta.get("format"), fix="重新构建索引 / rebuild the index.")
    mode = "r" if mmap else None
    arrays = {name: np.load(path / f"{name}.npy", mmap_mode=mode) for name in _ARRAYS}
    geometries = LazyGeometries(np.load(path / "wkb.npy", mmap_mode=mode),
                                np.load(path / "wkb_offsets.npy"))

    stats = dict(meta["stats"])
    stats["grid"] = tuple(stats["grid"])
    if "ids" in meta:
        ids = np.empty(len(meta["ids"]), dtype=object)
        ids[:] = meta["ids"]
    else:                # memory-mapped: made into Python objects when first asked for
        ids = np.load(path / "ids.npy", mmap_mode=mode)
        if not mmap:
            ids = objects(ids)
    grid = tuple(meta["grid"][:4]) + tuple(int(v) for v in meta["grid"][4:])
    crs = meta["crs"]                # WKT, parsed (pyproj) the first time it is asked for
    bounds = path / "bounds.npy"                  # absent from indexes saved before it
    bounds = np.load(bounds, mmap_mode=mode) if bounds.exists() else None
    return cls(geoms=geometries, ids=ids, crs=crs, grid=grid, stats=stats, bounds=bounds, **arrays)
