"""The dask batch beyond one process: a two-worker distributed cluster and the
processes scheduler give the pandas engine's answer exactly."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from locate_helpers import random_points, voronoi_city

from geogrid.batch import BatchLookup, locate_file, open_lookup
from geogrid.locate import PlanLocator


def _table(path):
    return pq.read_table(path).replace_schema_metadata(None).combine_chunks()


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    work = tmp_path_factory.mktemp("cluster")
    random_points(60_000, seed=11).to_csv(work / "pts.csv", index=False)
    locator = PlanLocator(voronoi_city(800, seed=12))
    locate_file(work / "pts.csv", work / "ref.parquet", locator, datum="wgs84")
    return work, locator, _table(work / "ref.parquet")


def test_two_worker_distributed_cluster_gives_identical_output(job):
    distributed = pytest.importorskip("distributed")
    work, locator, reference = job
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster:
        stats = locate_file(work / "pts.csv", work / "cluster.parquet", locator, datum="wgs84",
                            engine="dask", scheduler=cluster.scheduler_address,
                            blocksize="256KB")
    assert stats["partitions"] >= 4 and stats["scheduler"] == cluster.scheduler_address
    assert _table(work / "cluster.parquet").equals(reference)
    assert stats["rows"] == 60_000 and 0 < stats["located"] < 60_000


def test_processes_scheduler_memory_maps_the_saved_lookup(job):
    work, locator, reference = job
    stats = locate_file(work / "pts.csv", work / "proc.parquet", locator, datum="wgs84",
                        engine="dask", scheduler="processes", blocksize="512KB")
    assert stats["partitions"] >= 2
    assert _table(work / "proc.parquet").equals(reference)


def test_saved_lookup_answers_as_the_original(job, tmp_path):
    work, locator, _ = job
    lookup = BatchLookup.from_locator(locator)
    lookup.save(tmp_path / "lk")
    opened = open_lookup(str(tmp_path / "lk"))
    pts = random_points(20_000, seed=3)
    a = lookup.locate(pts["lon"].to_numpy(), pts["lat"].to_numpy(), snap_m=40)
    b = opened.locate(pts["lon"].to_numpy(), pts["lat"].to_numpy(), snap_m=40)
    assert a.equals(b) and a.iloc[:, 0].notna().sum() > 10_000
    assert opened.index._lut.__class__.__name__ == "memmap"
