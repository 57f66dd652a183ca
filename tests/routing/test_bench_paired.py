"""The shared benchmark helper: alternation, paired ratios, whole-process memory.

No assertion here is about speed (timings vary with the machine); they are
about what is measured and how it is reported.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from benchmarks._paired import Paired, format_table, paired, python_argv, whole_process


def test_paired_alternates_and_flips_the_order_every_round():
    calls = []
    res = paired("A", lambda i: calls.append(("a", i)), "B", lambda i: calls.append(("b", i)),
                 rounds=4, warmup=1)
    assert calls == [("a", 0), ("b", 0),  # warm-up, untimed
                     ("a", 0), ("b", 0), ("b", 1), ("a", 1), ("a", 2), ("b", 2), ("b", 3), ("a", 3)]
    assert len(res.a) == len(res.b) == 4
    assert (res.a > 0).all() and (res.b > 0).all()


def test_ratio_is_the_median_of_paired_ratios():
    res = Paired("A", "B", np.array([1.0, 2.0, 4.0]), np.array([3.0, 2.0, 40.0]), 0.5, 0.7, "x")
    assert res.ratios.tolist() == [3.0, 1.0, 10.0]
    assert res.ratio == 3.0  # not mean(B) / mean(A) = 45 / 7
    assert res.iqr == (2.0, 6.5)
    s = res.summary()
    assert s["ratio_b_over_a"] == 3.0 and s["rounds"] == 3
    assert s["a_p50_ms"] == 2000.0 and (s["load_before"], s["load_after"]) == (0.5, 0.7)
    text = format_table("demo", [res])
    assert "3.00" in text and "2.00-6.50" in text and "0.5-0.7" in text


def test_paired_rejects_zero_rounds():
    with pytest.raises(ValueError):
        paired("A", lambda i: None, "B", lambda i: None, rounds=0)


def test_whole_process_reports_each_childs_peak_memory():
    big = python_argv("-c", "import numpy as np; a = np.ones(64 * 2**20 // 8); print(a.sum())")
    small = python_argv("-c", "print(1)")
    res = whole_process("big", big, "small", small, rounds=2)
    assert len(res.a) == len(res.b) == 2
    # 64 MiB of ones are resident in the first child, not in the second
    assert res.extra["a_peak_mb"] - res.extra["b_peak_mb"] > 50
    assert "peak memory: A" in format_table("processes", [res], unit="s")


def test_whole_process_failure_names_the_command_and_its_error():
    bad = [sys.executable, "-c", "raise SystemExit('no data file')"]
    with pytest.raises(RuntimeError, match="no data file"):
        whole_process("bad", bad, "ok", python_argv("-c", "pass"), rounds=1)


def test_routing_summary_words_follow_the_direction_of_the_ratio():
    from benchmarks.routing.bench_routing import _speed

    fast = Paired("A", "B", np.ones(4), np.array([2.0, 3.0, 4.0, 5.0]), 0.0, 0.0)
    slow = Paired("A", "B", np.array([2.0, 3.0, 4.0, 5.0]), np.ones(4), 0.0, 0.0)
    assert _speed(fast) == "3.5× faster (快), IQR 2.75-4.25"
    # B/A = 1/2 .. 1/5: A is slower, and the IQR is given as A/B like the headline figure
    assert _speed(slow).startswith("3.4× slower (慢), IQR 2.67-4.2")
    assert _speed(slow, iqr=False) == "3.4× slower (慢)"


def test_ratio_text_never_reads_zero():
    from benchmarks._paired import ratio_text

    assert ratio_text(2.5) == "2.50"
    assert ratio_text(0.1) == "0.10"
    assert ratio_text(1 / 1250) == "1/1,250"  # an index build 1,250× an STRtree's is not "0.00"


def test_summary_ratio_names_rounds_or_spread_and_the_load():
    from benchmarks.__main__ import _paired_ratio

    few = Paired("A", "B", np.ones(3), np.array([2.0, 3.0, 4.0]), 1.5, 2.0)
    assert _paired_ratio(few) == "3.00× (paired, 3 rounds, load 1.5)"
    many = Paired("A", "B", np.ones(8), np.arange(1.0, 9.0), 0.5, 0.7)
    assert _paired_ratio(many) == "4.50× (paired, IQR 2.75-6.25, load 0.5)"
