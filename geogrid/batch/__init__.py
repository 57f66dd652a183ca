"""Batch jobs on plain files: locate points, geocode addresses.

Inputs are CSV (lon/lat columns), Parquet (lon/lat columns or GeoParquet),
GeoJSON, GeoPackage or shapefiles; ``locate`` writes GeoParquet (a point
geometry in EPSG:4490 plus the file's columns and the answer) or CSV.

* In-process (``engine="pandas"``, default): the file is read chunk by chunk
  (:mod:`geogrid.batch.read`) and written chunk by chunk
  (:mod:`geogrid.batch.write`), so memory stays flat however long it is.
* ``engine="dask"``: partitions in parallel on threads, processes or a
  ``dask.distributed`` cluster (:mod:`geogrid.batch.scale`).

Before any point is located, the first chunk is checked against the other
datums (:func:`geogrid.locate.datumcheck.check_batch_datum`): a file whose
points fit another datum far better stops with a message unless ``force``.
Distances to the nearest area are measured only when ``snap_m`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._errors import InputError
from ..datum import parse_datum, to_storage
from .lookup import BatchLookup, open_lookup
from .read import (GEOMETRY_POINTS, check_points_file, count_rows, estimate_rows, iter_points,
                   points_of, prefetched)
from .write import ResultWriter

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["locate_table", "locate_file", "check_lonlat_range", "geocode_table", "geocode_file",
           "BatchLookup", "open_lookup", "iter_points", "points_of", "GEOMETRY_POINTS",
           "DatumMismatch"]

Progress = Callable[[int, int | None], None]


class DatumMismatch(InputError):
    """The batch's points fit another datum far better than the declared one."""

    code = "datum_mismatch"


def _columns(df: pd.DataFrame, lon: str | None, lat: str | None) -> tuple[str, str]:
    from ..io import _lonlat_columns

    return _lonlat_columns(df, lon, lat)


def locate_table(df: pd.DataFrame, locator, *, datum, lon: str | None = None,
                 lat: str | None = None, snap_m: float | None = None) -> pd.DataFrame:
    """``df`` with the located area columns appended (leaf id, code, grid, snapped, distance)."""
    import pandas as pd

    lon, lat = _columns(df, lon, lat)
    x = pd.to_numeric(df[lon], errors="coerce").to_numpy(float)
    y = pd.to_numeric(df[lat], errors="coerce").to_numpy(float)
    sx, sy = to_storage(x, y, parse_datum(datum))
    answer = locator.locate_many(sx, sy, snap_m=snap_m)
    answer.index = df.index
    return pd.concat([df, answer], axis=1)


def _lookup(locator) -> BatchLookup:
    return locator if isinstance(locator, BatchLookup) else BatchLookup.from_locator(locator)


def check_datum_or_stop(x, y, datum, lookup: BatchLookup, *, buildings=None,
                        force: bool = False) -> dict | None:
    """Run the batch datum check on raw coordinates; raise unless ``force``."""
    from ..locate.datumcheck import check_batch_datum

    warning = check_batch_datum(x, y, datum, lookup.index, buildings)
    if warning and not force:
        raise DatumMismatch(warning["message"], field="--datum", value=warning["declared"],
                            fix=f"若确认无误，加 --force；否则改用 --datum {warning['likely']} / "
                                f"declare --datum {warning['likely']}, or pass --force if the "
                                "declared datum is right.")
    return warning


def check_lonlat_range(x, y, where: str) -> None:
    """Stop when most of the first points cannot be lon/lat at all (latitude beyond 90°,
    longitude beyond 180°): the columns are swapped or the file is projected. A few such
    points are only located nowhere, as any point outside the areas."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return
    x, y = x[finite], y[finite]
    wild = (np.abs(x) > 180) | (np.abs(y) > 90)
    if wild.mean() <= 0.5:
        return
    at = int(np.flatnonzero(wild)[0])
    swapped = bool(((np.abs(y[wild]) <= 180) & (np.abs(x[wild]) <= 90)).mean() > 0.5)
    why_zh, why = (("经纬度列似乎颠倒", "the lon and lat columns look swapped") if swapped else
                   ("坐标似乎是投影坐标（米）", "the coordinates look projected (metres)"))
    raise InputError(f"{where}: {wild.sum():,} / {len(x):,} 个点的纬度超过 90° 或经度超过 180°，"
                     f"{why_zh} / {wild.sum():,} of the first {len(x):,} points have a latitude "
                     f"beyond 90° or a longitude beyond 180°: {why}.", field="lat",
                     value=[float(x[at]), float(y[at])],
                     fix="用 --lon-col / --lat-col 指明经度、纬度列，或先转换为经纬度 / name the "
                         "longitude and latitude columns with --lon-col / --lat-col, or convert "
                         "the file to lon/lat first.")


def locate_file(path, out, locator, *, datum, lon: str | None = None, lat: str | None = None,
                snap_m: float | None = None, chunk_rows: int = 250_000,
                engine: str = "pandas", scheduler: str | None = None,
                geometry_point: str | None = None, force: bool = False, buildings=None,
                blocksize: str = "64MB", progress: Progress | None = None) -> dict:
    """Locate every row of ``path`` and write ``out``; returns counts.

    ``locator`` is a :class:`~geogrid.locate.chain.PlanLocator` or a
    :class:`BatchLookup`, or a function making one, called while the first
    points are read on another thread. See the module docstring for the engines, the
    datum check (``force``, ``buildings``) and ``geometry_point``; ``blocksize``
    is the size of a dask partition of a CSV file.
    """
    path, out = Path(path), Path(out)
    datum = parse_datum(datum)
    if engine not in ("pandas", "dask"):
        raise InputError(f"未知引擎 / engine {engine!r} is not known.", field="--engine",
                         value=engine, fix="用 pandas（默认）或 dask / use pandas (default) or dask.")
    if geometry_point is not None and geometry_point not in GEOMETRY_POINTS:
        raise InputError(f"未知取点方式 / --geometry-point {geometry_point!r} is not known.",
                         field="--geometry-point", value=geometry_point,
                         fix=f"用 / use one of {', '.join(GEOMETRY_POINTS)}.")
    check_points_file(path)         # a wrong path is said before the areas are indexed
    # the points are read ahead on another thread, from the start: while the areas
    # are indexed (``locator`` a function), then while each chunk is located; up to
    # three chunks wait, so a million rows are parsed while large areas are indexed
    chunks = prefetched(iter_points(path, lon=lon, lat=lat, chunk_rows=chunk_rows,
                                    geometry_point=geometry_point), depth=3)
    try:
        return _locate_prefetched(chunks, path, out, locator, datum=datum, lon=lon, lat=lat,
                                  snap_m=snap_m, engine=engine, scheduler=scheduler,
                                  geometry_point=geometry_point, force=force,
                                  buildings=buildings, blocksize=blocksize, progress=progress)
    finally:
        chunks.close()


def _locate_prefetched(chunks, path: Path, out: Path, locator, *, datum, lon, lat, snap_m,
                       engine, scheduler, geometry_point, force, buildings, blocksize,
                       progress) -> dict:
    lookup = _lookup(locator() if callable(locator) else locator)
    first = next(chunks, None)
    warning = None
    if first is not None:
        check_lonlat_range(first[1], first[2], path.name)
        warning = check_datum_or_stop(first[1], first[2], datum, lookup, buildings=buildings,
                                      force=force)
    if engine == "dask":
        chunks.close()          # dask reads the file itself
        lookup.checked()
        from .scale import locate_dask

        stats = locate_dask(path, out, lookup, datum=datum, lon=lon, lat=lat, snap_m=snap_m,
                            geometry_point=geometry_point, scheduler=scheduler,
                            blocksize=blocksize)
    else:
        stats = _locate_chunks(first, chunks, out, lookup, datum=datum, snap_m=snap_m,
                               expected=estimate_rows(path) if path.suffix.lower() in
                               (".csv", ".txt") else None, progress=progress)
    if warning:
        stats["datum_warning"] = warning["message"]
    return stats


def _locate_chunks(first, chunks, out: Path, lookup: BatchLookup, *, datum, snap_m,
                   expected: int | None, progress: Progress | None) -> dict:
    """Locate chunk after chunk; each chunk is written on a second thread while the
    next one is read and located (Parquet and CSV writers release the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    total = located = 0
    writer = ResultWriter(out)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="geogrid-write")
    pending_write = None
    try:
        # the next chunk is read while this one is located and the one before written
        for attrs, x, y in _chain([first] if first is not None else [], chunks):
            sx, sy = to_storage(x, y, datum)
            answer = lookup.arrow_columns(sx, sy, snap_m=snap_m)
            first_column = next(iter(answer.values()))
            if pending_write is not None:
                pending_write.result()           # one chunk in flight; its error stops us
            lookup.check_failed()                # areas found bad meanwhile: stop now
            pending_write = pool.submit(writer.write, attrs, answer, np.asarray(sx),
                                        np.asarray(sy))
            located += len(first_column) - first_column.null_count
            total += len(first_column)
            if progress:            # ``expected`` of a CSV is an estimate: never below the rows
                progress(total, None if expected is None else max(expected, total))
        if pending_write is not None:
            pending_write.result()
        lookup.checked()                         # nothing is published from bad areas
        writer.close()
        if progress:
            progress(total, total)
    except BaseException:
        if pending_write is not None:
            pending_write.cancel()
            try:
                pending_write.result()
            except BaseException:  # the first error is the one to report
                pass
        writer.abort()
        raise
    finally:
        pool.shutdown(wait=True)
    return {"rows": total, "located": located, "outside": total - located, "out": str(out)}


def _chain(first: list, rest):
    yield from first
    yield from rest


def geocode_table(df: pd.DataFrame, gazetteer, column: str, locator=None,
                  snap_m: float | None = None, name_column: str | None = None) -> pd.DataFrame:
    """Geocode ``df[column]``; ``name_column`` (optional) holds the place or caller name
    written beside each address (a shop, a department), which picks among the records of
    a large site and answers a row whose address is empty."""
    import pandas as pd

    for col, option, what in ((column, "--column", "地址列 / the address column"),
                              (name_column, "--name-column", "名称列 / the name column")):
        if col is not None and col not in df.columns:
            raise InputError(
                f"文件中没有列 {col!r} / column {col!r} is not in the file; "
                f"found {list(df.columns)[:12]}.", field=option.lstrip("-"), value=col,
                fix=f"请用 {option} 指定{what.split(' / ')[0]} / Pass {option} with "
                    f"{what.split(' / ')[1]}.")
    names = None
    if name_column is not None:
        names = [None if v == "" else v for v in df[name_column].fillna("").astype(str)]
    res = gazetteer.geocode_many(df[column].fillna("").astype(str), names=names)
    res = res.drop(columns=["query"]).add_prefix("geo_")
    res.index = df.index
    out = pd.concat([df, res], axis=1)
    if locator is not None:
        ok = out["geo_ok"].to_numpy(bool)
        area = np.full(len(out), None, dtype=object)
        if ok.any():
            found = locator.locate_many(out.loc[ok, "geo_lon"].to_numpy(float),
                                        out.loc[ok, "geo_lat"].to_numpy(float), snap_m=snap_m)
            area[ok] = found.iloc[:, 0].to_numpy(object)
        out["area_id"] = area
    return out


def geocode_file(path, out, gazetteer, *, column: str, locator=None, snap_m=None,
                 chunk_rows: int = 50_000, progress: Progress | None = None,
                 name_column: str | None = None, encoding: str | None = None) -> dict:
    """Geocode the ``column`` of a CSV or Parquet file into ``out``, one output row per
    input row (a blank line is a row with no address, not dropped). A CSV's text is
    ``encoding``, or UTF-8, else GB18030 (what Excel and Chinese GIS tools write); the
    whole file is checked before anything is written, so an unreadable one leaves no
    output behind."""
    import pandas as pd

    path, out = Path(path), Path(out)
    chunks, expected = _address_chunks(path, chunk_rows, encoding)
    total = found = 0
    pieces = []
    for i, chunk in enumerate(chunks):
        res = geocode_table(chunk, gazetteer, column, locator, snap_m, name_column)
        total += len(res)
        found += int(res["geo_ok"].sum())
        if out.suffix.lower() in (".parquet", ".geoparquet"):
            pieces.append(res)
        else:
            res.to_csv(out, mode="w" if i == 0 else "a", header=i == 0, index=False)
        if progress:
            progress(total, expected)
    if pieces:
        pd.concat(pieces).to_parquet(out, index=False)
    return {"rows": total, "found": found, "not_found": total - found, "out": str(out)}


def _address_chunks(path: Path, chunk_rows: int, encoding: str | None):
    """The rows of an addresses file in chunks of text cells, and how many there are (a
    CSV's: counted); a missing, empty, unreadable or wrongly encoded file is a bilingual
    error naming it, raised before the first chunk."""
    import pandas as pd

    from .._errors import unreadable_file
    from .read import require_file, text_encoding

    suffix = require_file(path).suffix.lower()
    if suffix not in (".csv", ".txt", ".parquet", ".geoparquet"):
        raise InputError(f"不支持的文件类型 / file type {suffix!r} is not supported for "
                         "addresses.", field="path", value=path.name,
                         fix="请用 CSV 或 Parquet / use a CSV or Parquet file.")
    fix = ("确认这是有表头行、逗号分隔的 CSV 文件。Check that it is a comma-separated CSV "
           "file with a header row.")
    try:
        if suffix in (".parquet", ".geoparquet"):
            df = pd.read_parquet(path)
            return [df.iloc[i:i + chunk_rows] for i in range(0, len(df), chunk_rows)], len(df)
        encoding = text_encoding(path, encoding)
        expected = count_rows(path)
        pd.read_csv(path, nrows=0, encoding=encoding)   # raises if there is no header
        chunks = pd.read_csv(path, chunksize=chunk_rows, dtype=str, keep_default_na=False,
                             na_values=[""], skip_blank_lines=False, encoding=encoding)
        return chunks, expected
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(f"文件 {path.name} 是空的 / file {path.name} is empty.", field="path",
                         value=path.name, fix="放入带表头行（含地址列）的数据 / give it a header "
                                              "row with the address column, and rows.") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise unreadable_file(path, exc, fix) from None
