"""The per-class model of calibrated confidence: sign-constrained weights, a Platt map
that keeps going where a binned curve stays flat, the ridge chosen by cross-validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from geogrid.geocode import Calibration, reliability_table
from geogrid.geocode.calibrate import RIDGES, SIGNS

LEVEL = "道路插值/外推"


def _moved(n, seed, effect=-1.0):
    """Extrapolations whose hit depends on how far they moved (``effect`` < 0: the farther,
    the likelier a miss; > 0: the other way round, as a small fit may happen to see)."""
    rng = np.random.default_rng(seed)
    move = rng.uniform(10, 600, size=n)
    z = 2.5 + effect * 1.2 * (np.log1p(move) - 5.0)
    hit = rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-z))
    return rng.uniform(0.3, 0.7, size=n), [{"move_m": m} for m in move], hit


def test_a_longer_extrapolation_never_raises_the_confidence():
    """In this fit the long moves happen to be hits; the weight still may not turn the
    distance into a reason for confidence (``SIGNS``): it stays at zero."""
    assert SIGNS["move_m"] == -1.0
    score, feats, hit = _moved(400, 0, effect=+1.0)
    cal = Calibration.fit([LEVEL] * 400, score, hit, features=feats)
    model = cal.models.get(LEVEL)   # none at all when nothing else separates out of fold
    if model is not None:
        w = model["weights"][2:]                   # after the intercept and the score
        assert w[model["features"].index("move_m")] <= 0.0
    near, far = cal(LEVEL, 0.5, {"move_m": 50.0}), cal(LEVEL, 0.5, {"move_m": 3000.0})
    assert far <= near


def test_beyond_the_fitted_range_the_map_keeps_going_down():
    """A binned curve is flat beyond its last bin: a 3 km move would read as the 600 m
    ones. The logistic map extrapolates."""
    score, feats, hit = _moved(1500, 1)
    cal = Calibration.fit([LEVEL] * 1500, score, hit, features=feats)
    edge = cal(LEVEL, 0.5, {"move_m": 600.0})
    far = cal(LEVEL, 0.5, {"move_m": 3000.0})
    assert far < edge - 0.1
    assert 0.0 < far < edge < cal(LEVEL, 0.5, {"move_m": 20.0}) < 1.0


def test_held_out_answers_read_what_they_get():
    score, feats, hit = _moved(2000, 2)
    cal = Calibration.fit([LEVEL] * 2000, score, hit, features=feats)
    t_score, t_feats, t_hit = _moved(4000, 3)
    table = reliability_table(cal.many([LEVEL] * 4000, t_score, t_feats), t_hit)
    big = table[table["n"] >= 150]
    assert len(big) >= 3
    assert (abs(big["predicted"] - big["observed"]) < 0.06).all(), table


def test_a_predictor_that_separates_nothing_leaves_the_score_curve_to_answer():
    rng = np.random.default_rng(4)
    n = 300
    feats = [{"move_m": float(m)} for m in rng.uniform(10, 600, n)]
    hit = rng.uniform(size=n) < 0.75
    cal = Calibration.fit([LEVEL] * n, rng.uniform(0.3, 0.7, n), hit, features=feats)
    conf = cal.many([LEVEL] * 5, [0.1, 0.3, 0.5, 0.7, 0.9], [{"move_m": m} for m in
                                                             (5, 50, 500, 5000, 50)])
    assert LEVEL not in cal.models
    assert conf == pytest.approx([cal(LEVEL, s) for s in (0.1, 0.3, 0.5, 0.7, 0.9)])
    assert np.ptp(conf) < 0.15
    assert conf.mean() == pytest.approx(hit.mean(), abs=0.08)


def test_the_ridge_is_chosen_among_the_grid_and_stored():
    score, feats, hit = _moved(500, 5)
    cal = Calibration.fit([LEVEL] * 500, score, hit, features=feats)
    assert cal.models[LEVEL]["ridge"] in RIDGES
    assert len(cal.models[LEVEL]["platt"]) == 2 and cal.models[LEVEL]["platt"][0] >= 0


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.floats(0, 5000))
def test_bounded_and_monotone_in_score_and_distance(seed, move):
    score, feats, hit = _moved(200, seed, effect=float(np.random.default_rng(seed).normal()))
    cal = Calibration.fit([LEVEL] * 200, score, hit, features=feats)
    by_score = cal.many([LEVEL] * 21, np.linspace(0, 1, 21), [{"move_m": move}] * 21)
    by_move = cal.many([LEVEL] * 21, np.full(21, 0.5),
                       [{"move_m": m} for m in np.linspace(0, 5000, 21)])
    assert ((by_score >= 0) & (by_score <= 1)).all()
    assert (np.diff(by_score) >= -1e-12).all()
    assert (np.diff(by_move) <= 1e-12).all()


def test_an_older_stored_model_with_a_curve_still_reads(tmp_path):
    """A calibration written before the logistic map (a binned ``curve`` per model) reads
    back and answers from its curve."""
    score, feats, hit = _moved(400, 6)
    cal = Calibration.fit([LEVEL] * 400, score, hit, features=feats)
    data = cal.to_dict()
    model = data["models"][LEVEL]
    del model["platt"]
    model["curve"] = [[-1.0, 1.0], [0.2, 0.9]]
    old = Calibration.from_dict(data)
    assert 0.2 <= old(LEVEL, 0.5, {"move_m": 100.0}) <= 0.9
    cal.save(tmp_path / "c.json")
    assert Calibration.load(tmp_path / "c.json") == cal


def test_a_thin_evidence_class_borrows_its_rungs_curve():
    """Seven 门牌/楼内 answers beside 300 plain 门牌 ones: the thin class reads as its rung,
    curve and evidence bound alike, not as its own seven (which would put it under an
    unseen rung's capped 0.5)."""
    rng = np.random.default_rng(7)
    levels = ["门牌"] * 300 + ["门牌/楼内"] * 7
    score = np.r_[rng.uniform(0.8, 1.0, 300), np.full(7, 0.98)]
    hit = np.r_[rng.uniform(size=300) < 0.97, np.array([1, 0, 0, 1, 0, 1, 0], bool)]
    cal = Calibration.fit(levels, score, hit)
    assert "门牌/楼内" not in cal.curves and cal.counts["门牌/楼内"] == 7
    assert "门牌/楼内" not in cal.ceilings
    assert cal("门牌/楼内", 0.98) == pytest.approx(cal("门牌", 0.98))
    assert cal("门牌/楼内", 0.98) > 0.9
    alone = Calibration.fit(["门牌/楼内"] * 7, np.full(7, 0.98), hit[-7:])
    # no rung to borrow: its own rate 4 / 9, held to its bound
    assert alone("门牌/楼内", 0.98) == pytest.approx(min(4 / 9, beta.ppf(0.05, 4, 5)), abs=1e-6)
