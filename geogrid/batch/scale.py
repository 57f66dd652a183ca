"""Batch locate with dask: partitions in parallel, on this machine or a cluster.

Every partition runs :func:`locate_partition`: it reads only its own rows,
converts their datum, looks them up in a shared :class:`BatchLookup` (whose
arrays are never written after construction, so threads may share it) and
returns its answer, which dask writes as one GeoParquet part per partition.
Memory therefore depends on the partition size and the number of workers,
not on the number of points.

Schedulers
----------
``threads`` (default) share one lookup in this process. ``processes`` and
the address of a ``dask.distributed`` scheduler (``tcp://host:8786``) need
the lookup in every worker: for ``processes`` it is saved to a temporary
directory that each worker process memory-maps once; for a cluster it is
sent once to every worker (``Client.scatter(..., broadcast=True)``), never
per partition. ``synchronous`` runs the partitions one after another.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from ..datum import Datum, to_storage
from ..io import _lonlat_columns
from .lookup import BatchLookup, open_lookup
from .read import points_of
from .write import geo_metadata, point_wkb

__all__ = ["locate_dask", "locate_partition", "SCHEDULERS"]

SCHEDULERS = ("threads", "processes", "synchronous")


def locate_partition(df: pd.DataFrame, lookup, *, datum: str, lon: str | None, lat: str | None,
                     geo: dict | None, how: str | None, snap_m: float | None,
                     geometry: bool) -> pd.DataFrame:
    """One partition: its own columns, the answer columns and a point geometry."""
    if isinstance(lookup, str):
        lookup = open_lookup(lookup)
    df = df.reset_index(drop=True)
    if geo is None:
        x = pd.to_numeric(df[lon], errors="coerce").to_numpy(float, na_value=np.nan)
        y = pd.to_numeric(df[lat], errors="coerce").to_numpy(float, na_value=np.nan)
        df = df.assign(**{lon: x, lat: y})        # as the in-process engine writes them
    else:
        import shapely

        wkb = df.pop(geo["column"]).to_numpy(object)
        x, y = points_of(shapely.from_wkb(wkb), how, where="geometry")
        if geo.get("crs_wkt"):
            from pyproj import Transformer

            x, y = Transformer.from_crs(geo["crs_wkt"], "EPSG:4490", always_xy=True).transform(x, y)
        df = df.assign(lon=x, lat=y)
    sx, sy = to_storage(x, y, datum)
    out = pd.concat([df, lookup.locate(sx, sy, snap_m=snap_m)], axis=1)
    if geometry:
        import pyarrow as pa

        out["geometry"] = pd.array(point_wkb(np.asarray(sx, float), np.asarray(sy, float)),
                                   dtype=pd.ArrowDtype(pa.binary()))
    return out


def _frame(path: Path, lon, lat, blocksize: str):
    """The input as a dask DataFrame, plus the column names or geo description."""
    import dask.dataframe as dd

    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        ddf = dd.read_csv(path, dtype=str, blocksize=blocksize, keep_default_na=False,
                          na_values=[""])
        lon, lat = _lonlat_columns(ddf, lon, lat, what=path.name)
        return ddf, lon, lat, None
    if suffix in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq

        meta = pq.read_schema(path).metadata or {}
        ddf = dd.read_parquet(path, split_row_groups=True)
        if b"geo" not in meta:
            lon, lat = _lonlat_columns(ddf, lon, lat, what=path.name)
            return ddf, lon, lat, None
        geo = json.loads(meta[b"geo"])
        column = geo.get("primary_column", "geometry")
        crs = geo["columns"].get(column, {}).get("crs")
        wkt = None
        if crs is not None:
            from pyproj import CRS

            crs = CRS.from_user_input(crs)
            wkt = crs.to_wkt() if crs.is_projected else None
        return ddf, None, None, {"column": column, "crs_wkt": wkt}
    raise InputError(f"--engine dask 只读 CSV 或 (Geo)Parquet / reads CSV or (Geo)Parquet, not "
                     f"{path.suffix}.", field="--engine", value="dask",
                     fix="转换文件或去掉 --engine dask / convert the file, or drop --engine dask.")


def locate_dask(path, out, lookup: BatchLookup, *, datum: Datum, lon=None, lat=None,
                snap_m=None, geometry_point=None, scheduler: str | None = None,
                blocksize: str = "64MB", geometry: bool = True) -> dict:
    """Locate ``path`` partition by partition and write ``out`` (a Parquet dataset)."""
    import dask

    path, out = Path(path), Path(out)
    if out.suffix.lower() not in (".parquet", ".geoparquet", ""):
        raise InputError(f"--engine dask 写出 GeoParquet / writes GeoParquet, not {out.suffix}.",
                         field="--out", value=out.name,
                         fix="输出用 .parquet / use an .parquet output.")
    ddf, lon, lat, geo = _frame(path, lon, lat, blocksize)
    scheduler = scheduler or "threads"
    tmpdir, client, shipped = None, None, lookup
    try:
        if scheduler == "processes":
            tmpdir = tempfile.mkdtemp(prefix="geogrid-lookup-")
            shipped = str(lookup.save(Path(tmpdir) / "lookup"))
        elif scheduler not in SCHEDULERS:
            client = _client(scheduler)
            shipped = client.scatter(lookup, broadcast=True, hash=False)
        kwargs = dict(datum=Datum(datum).value, lon=lon, lat=lat, geo=geo, how=geometry_point,
                      snap_m=snap_m, geometry=geometry)
        meta = locate_partition(ddf._meta, lookup, **kwargs)
        res = ddf.map_partitions(locate_partition, shipped, meta=meta, **kwargs)
        leaf = lookup.columns[0]
        tmp_out = out.with_name(f".{out.name}.part")
        shutil.rmtree(tmp_out, ignore_errors=True)
        write = res.to_parquet(tmp_out, write_index=False, compute=False,
                               name_function=lambda i: f"part.{i:06d}.parquet",
                               custom_metadata={b"geo": geo_metadata()} if geometry else None)
        run = {} if client is not None else {"scheduler": scheduler}
        _, located, total = dask.compute(write, res[leaf].count(), res[leaf].size, **run)
        if out.exists():
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        tmp_out.rename(out)
    finally:
        if client is not None:
            client.close()
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return {"rows": int(total), "located": int(located), "outside": int(total) - int(located),
            "out": str(out), "engine": "dask", "scheduler": scheduler,
            "partitions": res.npartitions}


def _client(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise InputError("连接 Dask 集群需要 distributed / a Dask cluster needs the distributed "
                         "package.", field="--scheduler", value=address,
                         fix="pip install 'geogrid[dask]'") from None
    if "://" not in address and ":" not in address:
        raise InputError(f"未知的调度器 / unknown scheduler {address!r}.", field="--scheduler",
                         value=address, fix="用 threads、processes、synchronous 或集群地址 "
                                            "tcp://host:8786 / use one of those or an address.")
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"连不上 Dask 调度器 / cannot reach the Dask scheduler at {address}: "
                         f"{exc}.", field="--scheduler", value=address,
                         fix="检查地址和端口 / check the address and that the scheduler runs.") from None
