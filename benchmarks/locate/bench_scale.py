"""Peak memory of a batch locate as the number of points grows (10M → 100M).

Run with ``python -m benchmarks.locate.bench_scale --points 10000000,100000000``
(``--input parquet`` reads lon/lat from Parquet instead of CSV).

For each size a points CSV is written chunk by chunk (uniform over a city of
``--polygons`` Voronoi microgrids), then ``geogrid locate`` runs on it as a
separate process with ``--engine dask`` (and, with ``--engines``, the
streamed pandas engine), writing GeoParquet. The table gives wall time,
throughput and peak resident memory (``ru_maxrss``) per size, and the ratio
of each peak to the smallest size's: flat memory means that ratio stays
near 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .bench_cli import _measure
from .bench_locate import LUJIAZUI, voronoi_microgrids

__all__ = ["write_points", "main"]


def write_points(path: Path, n: int, bounds, *, chunk: int = 2_000_000, seed: int = 0) -> None:
    """``n`` uniform points written chunk by chunk (memory stays flat): CSV, or
    Parquet with one row group per chunk when ``path`` ends in ``.parquet``."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    schema = pa.schema([("pid", pa.int64()), ("lon", pa.float64()), ("lat", pa.float64())])
    parquet = path.suffix == ".parquet"
    writer = pq.ParquetWriter(path, schema) if parquet else pcsv.CSVWriter(path, schema)
    done = 0
    with writer:
        while done < n:
            k = min(chunk, n - done)
            writer.write_table(pa.table({"pid": np.arange(done, done + k),
                                         "lon": rng.uniform(bounds[0], bounds[2], k),
                                         "lat": rng.uniform(bounds[1], bounds[3], k)},
                                        schema=schema))
            done += k


def main(argv: list[str] | None = None) -> list[dict]:
    import sys

    p = argparse.ArgumentParser(prog="python -m benchmarks.locate.bench_scale",
                                description=__doc__.split("\n")[0])
    p.add_argument("--points", default="10000000,100000000")
    p.add_argument("--polygons", type=int, default=60_000)
    p.add_argument("--engines", default="dask", help="dask and/or pandas, comma separated")
    p.add_argument("--workdir", default=None, help="where the (large) inputs go")
    p.add_argument("--input", default="csv", choices=("csv", "parquet"),
                   help="points file format (Parquet: lon/lat columns, 2M-row row groups)")
    a = p.parse_args(argv)
    work = Path(a.workdir or tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    minx, miny, maxx, maxy = LUJIAZUI
    grow = (a.polygons / 300) ** 0.5
    bounds = (minx, miny, minx + (maxx - minx) * grow, miny + (maxy - miny) * grow)
    areas = work / "areas.parquet"
    voronoi_microgrids(a.polygons, bounds).to_parquet(areas)
    rows = []
    try:
        for n in (int(v) for v in a.points.split(",")):
            pts = work / f"pts{n}.{a.input}"
            write_points(pts, n, bounds)
            for engine in a.engines.split(","):
                out = work / f"out-{engine}.parquet"
                cmd = [sys.executable, "-c", "from geogrid.cli import app; app()", "locate",
                       str(pts), "-o", str(out), "-d", "cgcs2000", "--areas", str(areas),
                       "--engine", engine]
                took, mb = _measure(cmd)
                rows.append({"engine": engine, "points": n, "s": took, "peak_mb": mb,
                             "load": os.getloadavg()[0]})
                base = next(r["peak_mb"] for r in rows if r["engine"] == engine)
                print(f"{engine:>6s} {a.input:>7s} {n:>12,d} points: {took:8.1f} s, {n / took / 1e6:5.2f} M pts/s, "
                      f"peak {mb:7.0f} MB ({mb / base:.2f}x the first size), "
                      f"load {rows[-1]['load']:.1f}", flush=True)
                shutil.rmtree(out, ignore_errors=True) if out.is_dir() else out.unlink(missing_ok=True)
            pts.unlink()
    finally:
        if a.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return rows


if __name__ == "__main__":
    main()
