"""Workload in household equivalents: the one definition the partition, the validator and
the rule metrics all apply."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geogrid.workload import (NEED_TOLERANCE, WorkloadWeights, cv_floor_within_need, cv_lower_bound,
                             need_pieces)

TYPES = ["building", "compound", "shop", "institution", "plaza", "address", "unknown", ""]


def test_workload_is_households_times_weight_plus_type_weight():
    w = WorkloadWeights(household=1.5, shop=3.0, institution=7.0)
    got = w.workload([10.0, 0.0, 4.0, np.nan], ["building", "shop", "institution", "plaza"])
    assert got.tolist() == [1.5 * 10 + 2.0, 3.0, 1.5 * 4 + 7.0, 2.0]


def test_loads_keep_the_two_parts_apart():
    hh, per_type = WorkloadWeights(household=2.0).loads([3.0, 5.0], ["compound", "unknown"])
    assert hh.tolist() == [6.0, 10.0]
    assert per_type.tolist() == [0.0, 0.0]  # compounds and unknown types carry no type weight


def test_empty_input_gives_empty_arrays():
    hh, per_type = WorkloadWeights().loads(np.zeros(0), np.array([], dtype=object))
    assert hh.shape == per_type.shape == (0,)


@given(st.lists(st.tuples(st.floats(0, 1e4, allow_nan=False), st.sampled_from(TYPES)), max_size=40),
       st.floats(0, 10, allow_nan=False))
def test_workload_matches_the_per_object_definition(rows, household):
    w = WorkloadWeights(household=household)
    hh = [h for h, _ in rows]
    types = [t for _, t in rows]
    expected = [household * h + w.of(t) for h, t in rows]
    assert w.workload(hh, types) == pytest.approx(expected)


def test_floor_within_need_with_single_pieces_is_the_plain_floor():
    w = np.array([641.0, 402] + [50.0] * 9)
    assert cv_floor_within_need(w, np.ones(len(w)), 4) == cv_lower_bound(w, 4)


def test_floor_within_need_is_reached_when_the_pieces_fit():
    # 600 in two pieces and two of 300: four microgrids of 300 exactly
    assert cv_floor_within_need([600.0, 300, 300], [2, 1, 1], 4) == 0.0
    # cut into one piece only it holds a microgrid of 600 against 300, 300 and nothing
    assert cv_floor_within_need([600.0, 300, 300], [1, 1, 1], 4) == pytest.approx(
        cv_lower_bound(np.array([600.0, 300, 300]), 4))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(1, 1000), min_size=1, max_size=12),
       st.lists(st.integers(1, 4), min_size=12, max_size=12), st.integers(1, 10))
def test_allowing_more_pieces_never_raises_the_floor(weights, pieces, k):
    k = min(k, len(weights))  # the bound counts at most one part per unit
    few = np.ones(len(weights), dtype=int)
    more = np.asarray(pieces[:len(weights)])
    assert cv_floor_within_need(weights, more, k) <= cv_floor_within_need(weights, few, k) + 1e-9


def test_need_pieces_follows_the_tolerance():
    assert need_pieces([345.0, 345.1, 0.0], 300.0).tolist() == [1, 2, 1]
    assert need_pieces([900.0], 0.0).tolist() == [1]
    assert NEED_TOLERANCE == 1.15
