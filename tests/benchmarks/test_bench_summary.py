"""``make bench``'s summary rows for the HTTP path, the command line and the new worker:
each done-when figure is a median of paired ratios with the rounds' load, and the
measurement of a new process answers what the plain endpoint answers."""

from __future__ import annotations

import shutil

import pytest

from benchmarks.__main__ import cli_rows, city_rows, http_rows
from benchmarks.locate.bench_city import fresh_ratios
from benchmarks.locate.bench_http import parse_wrk

#: ``wrk -t1 -c8 -d10s --latency`` output, as wrk 4 prints it
WRK_OUT = """Running 10s test @ http://127.0.0.1:8000
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.15ms    3.20ms  60.11ms   97.12%
    Req/Sec     3.98k   312.45     4.41k    80.00%
  Latency Distribution
     50%  710.00us
     75%    1.93ms
     90%    2.30ms
     99%    1.24s
  39612 requests in 10.00s, 9.12MB read
  Non-2xx or 3xx responses: 12
Requests/sec:   3960.52
Transfer/sec:    933.71KB
"""


def test_wrk_output_is_read_in_milliseconds():
    got = parse_wrk(WRK_OUT)
    assert got["rps"] == 3960.52
    assert got["p50_ms"] == pytest.approx(0.71)         # µs → ms
    assert got["p90_ms"] == 2.30
    assert got["p99_ms"] == pytest.approx(1240.0)       # s → ms
    assert got["non_2xx"] == 12
    assert got["socket_errors"] is None


def test_wrk_without_figures_is_a_clear_error():
    with pytest.raises(RuntimeError, match="wrk printed no figures"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def _runs(rps: list[float], p99: list[float]) -> list[dict]:
    return [{"rps": r, "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": p, "non_2xx": 0} for r, p in zip(rps, p99)]


def test_http_rows_give_each_geogrid_side_against_plain_with_p99_and_load():
    runs = {"geogrid": _runs([4000, 4400, 3600, 4200], [6.0, 7.0, 9.5, 6.5]),
            "geogrid-validated": _runs([3000, 3100, 2900, 3300], [8.0, 8.5, 9.0, 12.0]),
            "plain": _runs([3300, 3400, 3000, 3500], [9.0, 9.5, 10.5, 9.0])}
    ratios = {side: [a["rps"] / b["rps"] for a, b in zip(runs[side], runs["plain"])]
              for side in ("geogrid", "geogrid-validated")}
    r = {"client": "wrk", "connections": 8, "runs": runs, "ratios": ratios["geogrid"],
         "ratios_by_side": ratios, "load": [1.2, 2.5, 1.9, 1.4]}
    rows = http_rows(r)
    assert [row[0] for row in rows] == [
        "GET /locate over HTTP, 1 worker (wrk, 8 conns; done when ≥0.8× with p99 <10 ms)",
        "  same, a query whose parameters are validated (plan=active)"]
    ours, validated = rows
    assert ours[1] == "4100 req/s, p99 6.8 ms (worst 9.5)"
    assert ours[2] == "plain FastAPI+STRtree 3350 req/s, p99 9.2 ms (worst 10.5)"
    # median of the per-round ratios 1.21, 1.29, 1.20, 1.20 (not the ratio of the medians)
    assert ours[3] == "1.21× (paired, 4 rounds, load 1.2-2.5)"
    assert validated[1] == "3050 req/s, p99 8.8 ms (worst 12.0)"
    assert validated[3] == "0.93× (paired, 4 rounds, load 1.2-2.5)"


def test_cli_rows_name_the_target_the_memory_and_the_differences():
    rows = cli_rows([{"points": 1_000_000, "polygons": 300_000, "geogrid_s": [1.8, 1.7, 1.9],
                      "sjoin_s": [5.2, 5.1, 5.0], "ratios": [2.9, 3.0, 2.6],
                      "geogrid_mb": [680, 690, 685], "sjoin_mb": [800, 806, 790],
                      "differ": 0, "load": [0.5, 0.9, 0.7]}])
    assert rows == [("geogrid locate, whole process, 1,000,000 pts in 300,000 polygons "
                     "(done when ≥3×, peak ≤ script's)", "1.8 s / 690 MB", "sjoin script 5.1 s / 806 MB",
                     "2.90× (paired, 3 rounds, load 0.5-0.9), 0 answers differ")]


def _worker(start: float, first: float, mb: float) -> dict:
    return {"start_s": start, "first_locate_s": first, "peak_mb": mb}


def test_city_rows_pair_the_new_process_with_the_plain_one():
    fresh = {"this": [{"first_s": 0.70, "cpu_s": 0.62, "load": 0.4},
                      {"first_s": 0.80, "cpu_s": 0.66, "load": 0.6},
                      {"first_s": 0.75, "cpu_s": 0.64, "load": 0.5}],
             "plain": [{"first_s": 1.40, "cpu_s": 0.90, "load": 0.5},
                       {"first_s": 1.20, "cpu_s": 0.88, "load": 0.7},
                       {"first_s": 1.50, "cpu_s": 0.93, "load": 0.3}]}
    assert fresh_ratios(fresh) == pytest.approx([2.0, 1.5, 2.0])
    row = {"microgrids": 60_000, "stored": [_worker(0.15, 0.006, 300), _worker(0.13, 0.008, 310)],
           "rebuilt": [_worker(60.0, 0.07, 2000), _worker(64.0, 0.07, 2100)], "fresh": fresh,
           "prefork_respawn_s": [0.17, 0.15, 0.21], "load": 0.8}
    rows = city_rows(row, (0.6, 1.1))
    assert rows[0][0] == "new worker, lifespan + first /locate, 60,000 microgrids"
    assert rows[0][1] == "stored locator 0.14 s + 7.0 ms, 305 MB"
    assert rows[0][3].endswith("(paired, 2 rounds, load 0.6-1.1)")
    spawn = rows[1]
    assert spawn[0] == ("  new uvicorn process: spawn → first 200 on /locate, 60,000 microgrids "
                        "(done when ≤1 s)")
    assert spawn[1] == "0.75 s, CPU 0.64 s"
    assert spawn[2] == "plain FastAPI+STRtree 1.40 s, CPU 0.90 s"
    assert spawn[3] == "2.00× (paired, 3 rounds, load 0.3-0.7)"
    assert rows[2][1] == "0.17 s (worst 0.21)" and rows[2][3] == "load 0.8"


def test_fresh_ratios_need_a_plain_side():
    assert fresh_ratios({"this": [{"first_s": 1.0}]}) == []


@pytest.mark.slow
def test_new_processes_of_geogrid_and_the_plain_endpoint_answer_the_same_microgrid(tmp_path):
    """The real measurement on a small city: both new processes answer (the same leaf, or
    :func:`fresh_processes` raises), and each reports a spawn → first answer that covers
    the CPU it used on its main thread."""
    import shapely

    from benchmarks.locate.bench_city import build_store, fresh_processes, grid_boxes, synthetic_city

    db = tmp_path / "city.sqlite"
    build_store(synthetic_city(300), db)
    centre = shapely.centroid(shapely.union_all(grid_boxes(300)))
    out = fresh_processes(db, centre.x, centre.y, repeat=1)
    assert set(out) == {"this", "plain"}
    for side, (run,) in out.items():
        assert run["leaf"].startswith("M"), side              # a microgrid of the city
        assert 0 < run["main_cpu_s"] <= run["cpu_s"]
        assert run["first_s"] > 0.8 * run["main_cpu_s"], side  # wall covers the main thread's CPU
    assert out["this"][0]["other_route_s"] >= out["this"][0]["first_s"]
    assert (db.parent / "city.sqlite.plain.parquet").exists()
    shutil.rmtree(db.parent / "city.sqlite.locate")
