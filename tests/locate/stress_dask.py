"""Run a dask batch locate again and again on the threaded scheduler.

Run as a script (under ``-X faulthandler``) by the stress test, so that a
crash names its frame and fails the test instead of killing pytest. Prints
one line per run and ``identical N`` at the end.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from locate_helpers import random_points, voronoi_city  # noqa: E402

from geogrid.batch import BatchLookup, locate_file  # noqa: E402
from geogrid.locate import PlanLocator  # noqa: E402


def _table(path: Path):
    """The data of a Parquet file or dataset, rows in file order, without metadata:
    equal tables hold the same bytes in every column."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return table.replace_schema_metadata(None).combine_chunks()


def main(workdir: str, runs: int, points: int, polygons: int) -> None:
    work = Path(workdir)
    pd.DataFrame(random_points(points)).to_csv(work / "pts.csv", index=False)
    locator = PlanLocator(voronoi_city(polygons))   # fresh: every lazy part starts cold
    locate_file(work / "pts.csv", work / "ref.parquet", locator, datum="wgs84")
    reference = _table(work / "ref.parquet")
    # what `geogrid locate --areas` uses: the lazy index, no lookup table
    lazy = BatchLookup.from_frame(voronoi_city(polygons))
    same = 0
    for run in range(runs):
        started = time.perf_counter()
        out = work / f"dask{run}.parquet"
        chosen = (PlanLocator(voronoi_city(polygons)) if run % 5 == 0
                  else lazy if run % 2 else locator)
        stats = locate_file(work / "pts.csv", out, chosen, datum="wgs84", engine="dask",
                            scheduler="threads", blocksize="512KB")
        equal = _table(out).equals(reference)
        same += equal
        print(run, stats["partitions"], equal, round(time.perf_counter() - started, 2), flush=True)
    print("identical", same, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
