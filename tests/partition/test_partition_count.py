"""The microgrid count for a target workload (:mod:`geogrid.partition.count`)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from geogrid.partition import partition
from geogrid.partition.count import balance_goal, choose_count, count_note, settle_count

from partition_helpers import synthetic_case

#: two compounds of 1,253.3 and 620.7 in cells of about 31, and 399.4 outside them
#: (梅园住区's figures)
MEIYUAN = (np.array([1253.3 / 40] * 40 + [620.7 / 20] * 20 + [399.4 / 40] * 40),
           ["a"] * 40 + ["b"] * 20 + [None] * 40)


def test_the_other_count_when_only_it_lets_compounds_stay_within_need():
    w, comp = MEIYUAN
    choice = choose_count(w, comp, 300.0, cv_goal=0.15)
    assert (choice["k"], choice["rounded"], choice["reason"]) == (7, 8, "need")
    assert choice["candidates"][8] > choice["goals"][8]
    assert choice["candidates"][7] <= choice["goals"][7]


def test_the_rounded_count_when_both_are_within_the_goal():
    w = np.full(100, 22.734)  # no compound: every count balances
    choice = choose_count(w, [None] * 100, 300.0, cv_goal=0.15)
    assert (choice["k"], choice["reason"]) == (8, "rounded")
    assert choice["candidates"] == {7: 0.0, 8: 0.0}


def test_the_rounded_count_when_the_buildings_hold_the_floor_above_the_goal():
    # a 600 building alone: the engine's own goal rises with the plain floor, and the
    # compound-free floor is that floor, so the rounded count stays
    w = np.array([600.0] + [20.0] * 60)
    choice = choose_count(w, [None] * 61, 300.0, cv_goal=0.15)
    assert choice["goals"][6] > 0.15 and choice["k"] == choice["rounded"] == 6


def test_a_whole_number_of_targets_has_one_candidate():
    w, comp = np.full(30, 20.0), [None] * 30
    choice = choose_count(w, comp, 300.0, cv_goal=0.15)
    assert choice["k"] == 2 and choice["reason"] == "same" and list(choice["candidates"]) == [2]


def test_settle_count_draws_the_other_count_at_the_mean():
    w, comp = MEIYUAN
    choice, k, per = settle_count(w, comp, 300.0, 0.15)
    assert k == 7 and per == pytest.approx(w.sum() / 7)
    note = choice["note"]
    assert re.search(r"[\u4e00-\u9fff]", note) and "7 microgrids can reach" in note
    assert "324.8" in note


def test_count_note_of_a_rounded_count_lists_both_floors():
    w = np.full(100, 22.734)
    note = count_note(choose_count(w, [None] * 100, 300.0, cv_goal=0.15), 300.0)
    assert "取整" in note and "rounded" in note and "7: 0.000" in note and "8: 0.000" in note


def test_balance_goal_is_the_engine_goal():
    assert balance_goal(np.full(4, 100.0), 2, 0.15) == 0.15
    assert balance_goal(np.array([500.0, 100, 100, 100]), 2, 0.15) == pytest.approx(
        1.05 * 0.25 + 0.005)


def test_an_explicit_count_is_always_honoured():
    parent, objs, roads = synthetic_case(120, seed=5)
    res = partition(parent, objs, roads, n_microgrids=3, measure_rules=False)
    assert len(res.microgrids) == 3
    assert res.report["count"] is None and res.report["notes"] == []


def test_a_target_reports_its_count_and_why():
    parent, objs, roads = synthetic_case(120, seed=5)
    res = partition(parent, objs, roads, target_workload=300, measure_rules=False)
    count = res.report["count"]
    assert count["k"] == len(res.microgrids) == res.report["k_requested"]
    assert count["rounded"] == max(1, round(res.report["total_workload"] / 300))
    assert len(res.report["notes"]) == 1 and "/" in res.report["notes"][0]
