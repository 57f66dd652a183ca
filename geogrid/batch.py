"""Batch jobs on plain files: locate points, geocode addresses.

Inputs are CSV (lon/lat or address columns), GeoJSON/GeoPackage or
GeoParquet; outputs are CSV or Parquet with the answer columns appended.

* In-process (default): CSV is streamed in chunks of ``chunk_rows`` rows, so
  memory stays flat however long the file is; progress is reported per chunk.
* ``engine="dask"``: the file is split into partitions by dask /
  dask-geopandas and the same per-chunk function runs on each partition
  (threads share the one index). This is the path for inputs larger than
  memory and for city- or province-scale work; point dask at a distributed
  scheduler to spread it over machines.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import InputError
from .datum import parse_datum, to_storage
from .io import LAT_NAMES, LON_NAMES

__all__ = ["locate_table", "locate_file", "geocode_table", "geocode_file"]

Progress = Callable[[int, int | None], None]


def _columns(df: pd.DataFrame, lon: str | None, lat: str | None) -> tuple[str, str]:
    cols = {c.lower().strip(): c for c in df.columns}
    lon = lon or next((cols[n] for n in LON_NAMES if n in cols), None)
    lat = lat or next((cols[n] for n in LAT_NAMES if n in cols), None)
    if lon not in df.columns or lat not in df.columns:
        raise InputError(f"need longitude and latitude columns; found {list(df.columns)[:12]}.",
                         field="lon/lat columns", value=[lon, lat],
                         fix="Name them lon and lat, or pass --lon-col/--lat-col.")
    return lon, lat


def locate_table(df: pd.DataFrame, locator, *, datum, lon: str | None = None,
                 lat: str | None = None, snap_m: float | None = None) -> pd.DataFrame:
    """``df`` with the located area columns appended (leaf id, code, grid, snapped, distance)."""
    lon, lat = _columns(df, lon, lat)
    x = pd.to_numeric(df[lon], errors="coerce").to_numpy(float)
    y = pd.to_numeric(df[lat], errors="coerce").to_numpy(float)
    sx, sy = to_storage(x, y, parse_datum(datum))
    answer = locator.locate_many(sx, sy, snap_m=snap_m)
    answer.index = df.index
    return pd.concat([df, answer], axis=1)


def _count_rows(path: Path) -> int | None:
    try:
        with open(path, "rb") as fh:
            return max(0, sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 20), b"")) - 1)
    except OSError:
        return None


def _read_points(path: Path, datum) -> pd.DataFrame:
    import geopandas as gpd

    from .io import read_frame

    frame: gpd.GeoDataFrame = read_frame(path, datum=datum)
    pts = frame.geometry.representative_point()
    out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    out["lon"], out["lat"] = pts.x.to_numpy(), pts.y.to_numpy()
    return out


def _write(df: pd.DataFrame, out: Path, first: bool) -> None:
    if out.suffix.lower() in (".parquet", ".geoparquet"):
        raise AssertionError  # handled by callers (parquet is written whole or per partition)
    df.to_csv(out, mode="w" if first else "a", header=first, index=False)


def locate_file(path, out, locator, *, datum, lon: str | None = None, lat: str | None = None,
                snap_m: float | None = None, chunk_rows: int = 500_000,
                engine: str = "pandas", progress: Progress | None = None) -> dict:
    """Locate every row of ``path`` and write ``out``; returns counts."""
    path, out = Path(path), Path(out)
    datum = parse_datum(datum)
    if engine == "dask":
        return _locate_dask(path, out, locator, datum=datum, lon=lon, lat=lat, snap_m=snap_m,
                            progress=progress)
    if engine != "pandas":
        raise InputError(f"engine {engine!r} is not known.", field="engine", value=engine,
                         fix="Use pandas (default) or dask.")
    total, located, done = 0, 0, 0
    if path.suffix.lower() in (".csv", ".txt"):
        expected = _count_rows(path)
        chunks = pd.read_csv(path, chunksize=chunk_rows, dtype=str, keep_default_na=False,
                             na_values=[""])
        pieces = []
        for i, chunk in enumerate(chunks):
            res = locate_table(chunk, locator, datum=datum, lon=lon, lat=lat, snap_m=snap_m)
            located += int(res.iloc[:, len(chunk.columns)].notna().sum())
            total += len(chunk)
            if out.suffix.lower() in (".parquet", ".geoparquet"):
                pieces.append(res)
            else:
                _write(res, out, i == 0)
            done += len(chunk)
            if progress:
                progress(done, expected)
        if pieces:
            pd.concat(pieces).to_parquet(out, index=False)
    else:
        df = _read_points(path, datum)
        res = locate_table(df, locator, datum="cgcs2000", lon="lon", lat="lat", snap_m=snap_m)
        total, located = len(res), int(res.iloc[:, len(df.columns)].notna().sum())
        if out.suffix.lower() in (".parquet", ".geoparquet"):
            res.to_parquet(out, index=False)
        else:
            res.to_csv(out, index=False)
        if progress:
            progress(total, total)
    return {"rows": total, "located": located, "outside": total - located, "out": str(out)}


def _locate_dask(path: Path, out: Path, locator, *, datum, lon, lat, snap_m, progress) -> dict:
    import dask.dataframe as dd

    if path.suffix.lower() in (".csv", ".txt"):
        ddf = dd.read_csv(path, dtype=str, blocksize="64MB", keep_default_na=False, na_values=[""])
    elif path.suffix.lower() in (".parquet", ".geoparquet"):
        import dask_geopandas

        gdf = dask_geopandas.read_parquet(path)
        ddf = gdf.map_partitions(
            lambda p: pd.DataFrame(p.drop(columns=p.geometry.name)).assign(
                lon=p.geometry.representative_point().x, lat=p.geometry.representative_point().y))
        datum, lon, lat = parse_datum("cgcs2000"), "lon", "lat"
    else:
        raise InputError(f"--engine dask reads CSV or GeoParquet, not {path.suffix}.",
                         field="engine", value="dask", fix="Convert the file, or drop --engine dask.")
    sample = ddf._meta
    meta = locate_table(ddf._meta_nonempty, locator, datum=datum, lon=lon, lat=lat,
                        snap_m=snap_m).iloc[:0]
    res = ddf.map_partitions(locate_table, locator, datum=datum, lon=lon, lat=lat, snap_m=snap_m,
                             meta=meta)
    import dask

    leaf = meta.columns[len(sample.columns)]
    if out.suffix.lower() in (".parquet", ".geoparquet") or out.suffix == "":
        write = res.to_parquet(out, write_index=False, compute=False)
    else:
        write = res.to_csv(out, single_file=True, index=False, compute=False)
    # one pass over the data: write and count together
    _, located, total = dask.compute(write, res[leaf].count(), res[leaf].size)
    located, total = int(located), int(total)
    if progress:
        progress(total, total)
    return {"rows": total, "located": located, "outside": total - located, "out": str(out),
            "engine": "dask", "partitions": res.npartitions}


def geocode_table(df: pd.DataFrame, gazetteer, column: str, locator=None,
                  snap_m: float | None = None) -> pd.DataFrame:
    if column not in df.columns:
        raise InputError(f"column {column!r} is not in the file; found {list(df.columns)[:12]}.",
                         field="column", value=column, fix="Pass --column with the address column.")
    res = gazetteer.geocode_many(df[column].fillna("").astype(str))
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
                 chunk_rows: int = 50_000, progress: Progress | None = None) -> dict:
    path, out = Path(path), Path(out)
    expected = _count_rows(path) if path.suffix.lower() in (".csv", ".txt") else None
    if path.suffix.lower() not in (".csv", ".txt"):
        df = pd.read_parquet(path)
        chunks = [df.iloc[i:i + chunk_rows] for i in range(0, len(df), chunk_rows)]
        expected = len(df)
    else:
        chunks = pd.read_csv(path, chunksize=chunk_rows, dtype=str, keep_default_na=False,
                             na_values=[""])
    total = found = 0
    pieces = []
    for i, chunk in enumerate(chunks):
        res = geocode_table(chunk, gazetteer, column, locator, snap_m)
        total += len(res)
        found += int(res["geo_ok"].sum())
        if out.suffix.lower() in (".parquet", ".geoparquet"):
            pieces.append(res)
        else:
            _write(res, out, i == 0)
        if progress:
            progress(total, expected)
    if pieces:
        pd.concat(pieces).to_parquet(out, index=False)
    return {"rows": total, "found": found, "not_found": total - found, "out": str(out)}
