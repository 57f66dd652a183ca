"""The partition benchmark stays runnable (tiny sizes, spopt left out)."""

from __future__ import annotations

from benchmarks.partition import bench_partition


def test_benchmark_runs_and_reports():
    result = bench_partition.run(sizes=(300,), spopt=False)
    row = result["scaling"][0]
    assert row["units"] == 300 and row["contiguous"] and row["cv"] < 0.15
    assert "300" in bench_partition.table(result)


def test_rule_benchmark_builds_its_real_second_set():
    from benchmarks.partition import bench_rules

    case = bench_rules.bund_case()
    parent = case["parent"].geometry.iloc[0]
    assert parent.geom_type == "Polygon" and case["parent"].crs.to_epsg() == 4490
    objs = case["objects"]
    assert len(objs) > 200 and objs["id"].is_unique
    assert objs.representative_point().within(parent).all()  # outside the demo, on land
    assert objs["business_type"].notna().sum() > 0 and len(case["roads"]) > 100
