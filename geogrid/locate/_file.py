"""An :class:`~geogrid.locate.index.AreaIndex` as a directory of ``.npy`` files.

Build the index once (when a plan is activated or imported), save it beside
the store, and let every worker process open it: the lookup table and the
candidate lists are memory-mapped, so opening costs milliseconds and the
pages are shared by all processes on the machine. The polygons (needed only
for the exact test of points in boundary cells and for distances) are kept
as flat coordinate arrays (:func:`shapely.to_ragged_array`) and turned into
geometries on first use.

Layout: ``index.json`` (format version, CRS, grid, ids, stats) and one
``.npy`` file per array. A save writes a sibling temporary directory and
renames it into place, so a failed save leaves any earlier index intact.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import shapely

from .._errors import InputError

__all__ = ["save_index", "load_index", "FORMAT"]

#: bumped whenever the layout changes; an index of another version is refused
FORMAT = "geogrid-area-index/1"
_ARRAYS = ("lut", "set_ptr", "set_items", "rank")


def save_index(index, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    geom_type, coords, offsets = shapely.to_ragged_array(index._geoms)
    meta = {
        "format": FORMAT,
        "crs": index.crs.to_wkt() if index.crs is not None else None,
        "grid": [float(v) for v in index._grid[:4]] + [int(v) for v in index._grid[4:]],
        "ids": np.asarray(index._ids).tolist(),
        "geometry_type": int(geom_type),
        "offsets": len(offsets),
        "stats": {**index.stats, "fingerprint": index.fingerprint},
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        for name in _ARRAYS:
            np.save(tmp / f"{name}.npy", getattr(index, f"_{name}"))
        np.save(tmp / "coords.npy", coords)
        for i, off in enumerate(offsets):
            np.save(tmp / f"offsets{i}.npy", off)
        (tmp / "index.json").write_text(json.dumps(meta, ensure_ascii=False, default=str),
                                        encoding="utf-8")
        old = path.with_name(f".{path.name}.old")
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def load_index(cls, path, *, mmap: bool = True):
    from pyproj import CRS

    path = Path(path)
    try:
        meta = json.loads((path / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"无法读取定位索引 {str(path)!r} / cannot read the locate index "
                         f"{str(path)!r}: {exc}.", field="path", value=str(path),
                         fix="重新构建索引 / rebuild it with AreaIndex.save.") from None
    if meta.get("format") != FORMAT:
        raise InputError(f"定位索引格式不符 / the locate index {str(path)!r} has format "
                         f"{meta.get('format')!r}, not {FORMAT!r}.", field="path",
                         value=meta.get("format"), fix="重新构建索引 / rebuild the index.")
    mode = "r" if mmap else None
    arrays = {name: np.load(path / f"{name}.npy", mmap_mode=mode) for name in _ARRAYS}
    n_off = int(meta["offsets"])
    geom_type = shapely.GeometryType(meta["geometry_type"])

    def geometries() -> np.ndarray:
        coords = np.load(path / "coords.npy")
        offsets = tuple(np.load(path / f"offsets{i}.npy") for i in range(n_off))
        return shapely.from_ragged_array(geom_type, coords, offsets)

    stats = dict(meta["stats"])
    stats["grid"] = tuple(stats["grid"])
    ids = np.empty(len(meta["ids"]), dtype=object)
    ids[:] = meta["ids"]
    grid = tuple(meta["grid"][:4]) + tuple(int(v) for v in meta["grid"][4:])
    crs = CRS.from_wkt(meta["crs"]) if meta["crs"] else None
    return cls(geoms=geometries, ids=ids, crs=crs, grid=grid, stats=stats, **arrays)
