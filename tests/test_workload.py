"""Workload in household equivalents: the one definition the partition, the validator and
the rule metrics all apply."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geogrid.workload import WorkloadWeights

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
