"""The partition benchmark stays runnable (tiny sizes, spopt left out)."""

from __future__ import annotations

from benchmarks.partition import bench_partition


def test_benchmark_runs_and_reports():
    result = bench_partition.run(sizes=(300,), spopt=False)
    row = result["scaling"][0]
    assert row["units"] == 300 and row["contiguous"] and row["cv"] < 0.15
    assert "300" in bench_partition.table(result)
