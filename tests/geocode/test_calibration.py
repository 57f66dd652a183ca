"""Calibrated confidence: monotone, honest on held-out data, conservative where data is thin."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from geogrid._errors import InputError
from geogrid.geocode import Calibration, reliability_table
from geogrid.geocode.calibrate import DEFAULT_CALIBRATION


def _truth(n, seed, p=lambda s: s):
    rng = np.random.default_rng(seed)
    score = rng.uniform(size=n)
    return score, rng.uniform(size=n) < p(score)


def test_recovers_a_known_probability_on_held_out_data():
    score, hit = _truth(4000, 0, p=lambda s: 0.2 + 0.7 * s ** 2)
    cal = Calibration.fit(["门牌"] * len(score), score, hit)
    test_score, test_hit = _truth(4000, 1, p=lambda s: 0.2 + 0.7 * s ** 2)
    conf = np.array([cal("门牌", s) for s in test_score])
    table = reliability_table(conf, test_hit)
    assert (abs(table["predicted"] - table["observed"]) < 0.08).all(), table
    assert table["n"].sum() == 4000


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_never_decreases_with_the_score(seed):
    score, hit = _truth(300, seed, p=lambda s: np.full_like(s, 0.5))  # noise only
    cal = Calibration.fit(["道路插值"] * 300, score, hit)
    grid = np.linspace(0, 1, 101)
    probs = np.array([cal("道路插值", s) for s in grid])
    assert (np.diff(probs) >= -1e-12).all()
    assert ((probs >= 0) & (probs <= 1)).all()


def test_perfect_bins_are_shrunk_not_certain():
    """Forty hits in forty: the top bin's shrunk rate (10 + 2 r) / 12 says 0.996, but forty
    answers support no more than the 5 % quantile of Beta(41, 1), 0.05 ** (1 / 41) = 0.93."""
    cal = Calibration.fit(["门牌"] * 40, np.linspace(0.5, 1, 40), np.ones(40, bool), bins=4)
    rate = 41 / 42                                      # the rung's own, (40 + 1) / (40 + 2)
    assert cal("门牌", 1.0) == pytest.approx(min((10 + 2 * rate) / 12, 0.05 ** (1 / 41)),
                                            abs=1e-6)
    assert cal("门牌", 1.0) < 0.93


def test_bins_shrink_toward_their_rungs_rate_not_one_half():
    """A perfect bin in a rung right 90 % of the time reads near 0.9-1, not 0.86: shrinking
    every bin toward one half made the best rungs under-confident."""
    score = np.linspace(0, 1, 100)
    hit = np.ones(100, bool)
    hit[:10] = False                                    # the ten lowest scores miss
    cal = Calibration.fit(["门牌"] * 100, score, hit, bins=10)
    rate = 91 / 102
    # the top bin reads (10 + 2 r) / 12; what 90 hits in the top 90 support bounds it
    assert cal("门牌", 1.0) == pytest.approx(min((10 + 2 * rate) / 12, beta.ppf(0.05, 91, 1)),
                                            abs=1e-6)
    assert cal("门牌", 1.0) > (10 + 1) / (10 + 2)


def test_thin_and_unseen_rungs_are_not_trusted():
    levels = ["门牌"] * 100 + ["POI"] * 5
    score = np.r_[np.linspace(0, 1, 100), np.full(5, 0.9)]
    hit = np.r_[np.ones(100, bool), np.array([1, 1, 1, 1, 0], bool)]
    cal = Calibration.fit(levels, score, hit, min_rung=30)
    # its own rate (4 + 1) / (5 + 2), held to what four hits in five support
    assert cal("POI", 0.9) == pytest.approx(min(5 / 7, beta.ppf(0.05, 5, 2)), abs=1e-6)
    assert cal("POI", 0.9) < 0.45
    assert cal("POI", 0.3) == pytest.approx(0.3)        # never above the rule score
    assert cal("区域", 0.99) <= 0.5                       # a rung the fit never saw


def test_round_trip_and_bad_input(tmp_path):
    score, hit = _truth(500, 3)
    cal = Calibration.fit(["门牌"] * 500, score, hit)
    cal.save(tmp_path / "c.json")
    back = Calibration.load(tmp_path / "c.json")
    assert back == cal
    assert Calibration.load(tmp_path / "missing.json") is None
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="not JSON"):
        Calibration.load(tmp_path / "bad.json")
    with pytest.raises(InputError, match="aligned"):
        Calibration.fit(["门牌"], [0.5, 0.6], [True])


def test_shipped_calibration_is_monotone_probabilities():
    cal = Calibration.load(DEFAULT_CALIBRATION)
    assert cal is not None and cal.radius_m == 100.0
    assert sum(cal.counts.values()) > 400   # fit on OSM's addressed points, held out in turn
    for level, (xs, ys) in cal.curves.items():
        assert list(xs) == sorted(xs) and list(ys) == sorted(ys), level
        assert all(0 <= y <= 1 for y in ys)


def _gapped(n, seed):
    """Answers whose hit depends on the interpolation gap, not on the rule score."""
    rng = np.random.default_rng(seed)
    score = rng.uniform(0.5, 0.9, size=n)
    gap = rng.uniform(10, 1500, size=n)
    hit = rng.uniform(size=n) < 1.0 / (1.0 + np.exp(np.log1p(gap) - 6.0))
    return score, [{"gap_m": g} for g in gap], hit


def test_features_separate_what_the_score_cannot():
    score, feats, hit = _gapped(3000, 0)
    cal = Calibration.fit(["道路插值/同侧"] * 3000, score, hit, features=feats)
    assert "道路插值/同侧" in cal.models and cal.models["道路插值/同侧"]["features"] == ["gap_m"]
    near, far = cal("道路插值/同侧", 0.7, {"gap_m": 20}), cal("道路插值/同侧", 0.7, {"gap_m": 1200})
    assert near > 0.75 and far < 0.35
    t_score, t_feats, t_hit = _gapped(3000, 1)
    conf = [cal("道路插值/同侧", s, f) for s, f in zip(t_score, t_feats)]
    table = reliability_table(conf, t_hit)
    big = table[table["n"] >= 100]
    assert (abs(big["predicted"] - big["observed"]) < 0.08).all(), table
    # without features the class's curve of the score alone answers: the overall rate
    assert cal("道路插值/同侧", 0.7) == pytest.approx(float(np.mean(hit)), abs=0.08)


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.floats(10, 1500))
def test_with_features_never_decreases_with_the_score(seed, gap):
    score, feats, hit = _gapped(400, seed)
    cal = Calibration.fit(["道路插值/同侧"] * 400, score, hit, features=feats)
    probs = np.array([cal("道路插值/同侧", s, {"gap_m": gap}) for s in np.linspace(0, 1, 41)])
    assert (np.diff(probs) >= -1e-12).all()
    assert ((probs >= 0) & (probs <= 1)).all()


def test_a_model_survives_the_round_trip(tmp_path):
    score, feats, hit = _gapped(600, 2)
    cal = Calibration.fit(["道路插值/同侧"] * 600, score, hit, features=feats)
    cal.save(tmp_path / "c.json")
    back = Calibration.load(tmp_path / "c.json")
    for g in (20.0, 700.0):
        assert back("道路插值/同侧", 0.6, {"gap_m": g}) == pytest.approx(
            cal("道路插值/同侧", 0.6, {"gap_m": g}))


def test_features_must_align_with_the_answers():
    with pytest.raises(InputError, match="features"):
        Calibration.fit(["门牌"] * 40, np.linspace(0, 1, 40), np.ones(40, bool),
                        features=[{}] * 39)


def test_the_curve_does_not_promise_what_noise_features_cannot_keep():
    """A class that hits 80 % whatever its features: a model of seven noise features fits
    its own 60 training answers apart, and a curve on those in-sample predictors calls about
    one fresh answer in seven 0.9 or more. On cross-fitted predictors it does not."""
    rng = np.random.default_rng(5)
    names = ("gap_m", "move_m", "spread_m", "n_records", "odd_rate", "hint", "guessed")

    def answers(n):
        feats = [{k: float(rng.uniform(0, 500)) for k in names} for _ in range(n)]
        return rng.uniform(0.4, 0.9, n), feats, rng.uniform(size=n) < 0.8

    score, feats, hit = answers(60)
    cal = Calibration.fit(["道路插值/同侧"] * 60, score, hit, features=feats)
    model = cal.models.get("道路插值/同侧")   # dropped when it separates nothing out of fold
    assert model is None or len(model["features"]) == len(names)
    t_score, t_feats, t_hit = answers(3000)
    conf = np.array([cal("道路插值/同侧", s, f) for s, f in zip(t_score, t_feats)])
    assert ((conf >= 0) & (conf <= 1)).all()
    assert (conf >= 0.9).mean() < 0.04
    assert abs(conf.mean() - t_hit.mean()) < 0.08


def test_many_answers_at_once_equal_one_at_a_time():
    score, feats, hit = _gapped(500, 4)
    levels = ["道路插值/同侧"] * 300 + ["门牌"] * 200
    cal = Calibration.fit(levels, score, hit, features=feats)
    assert "道路插值/同侧" in cal.models
    mixed = levels + ["门牌/楼内", "区域"]
    s2, f2 = np.r_[score, 0.7, 0.9], feats + [{"gap_m": 5.0}, {}]
    got = cal.many(mixed, s2, f2)
    assert got == pytest.approx([cal(lv, s, f) for lv, s, f in zip(mixed, s2, f2)])
    assert got[-1] <= 0.5   # a rung never seen stays untrusted in bulk too


def test_a_class_claims_only_what_its_sample_supports():
    """Twenty answers, eighteen right, all scored 0.95: the curve says about 0.85, but
    eighteen in twenty support at most 0.73 (the Beta(19, 3) 5 % quantile); 300 answers
    right as often support nearly their rate."""
    few = Calibration.fit(["道路插值/起点"] * 20, np.full(20, 0.95), np.arange(20) >= 2,
                          min_rung=10)
    assert few("道路插值/起点", 0.95) == pytest.approx(beta.ppf(0.05, 19, 3), abs=1e-6)
    hit = np.random.default_rng(1).uniform(size=300) < 0.9
    many = Calibration.fit(["道路插值/起点"] * 300, np.full(300, 0.95), hit)
    assert many("道路插值/起点", 0.95) > few("道路插值/起点", 0.95) + 0.1
    assert many("道路插值/起点", 0.95) >= beta.ppf(0.05, hit.sum() + 1, 300 - hit.sum() + 1) - 1e-6


def test_answers_of_one_point_count_once():
    """Forty shops at one address point, all right, are one piece of evidence, not forty:
    grouped by the point answered they support what one right answer does."""
    score, hit = np.full(40, 0.9), np.ones(40, bool)
    apart = Calibration.fit(["门牌"] * 40, score, hit)
    one = Calibration.fit(["门牌"] * 40, score, hit, groups=[(121.5, 31.2)] * 40)
    assert apart("门牌", 0.9) == pytest.approx(0.05 ** (1 / 41), abs=1e-6)
    assert one("门牌", 0.9) == pytest.approx(0.05 ** (1 / 2), abs=1e-6)


def test_confidence_never_exceeds_the_chance_of_landing_within_250_m():
    """P(within 100 m) <= P(within 250 m): where the tail model sees far misses grow with
    the distance extrapolated, a long extrapolation is held under its tail bound, however
    its own curve reads."""
    rng = np.random.default_rng(4)
    move = rng.uniform(0, 1500, 600)
    far = rng.uniform(size=600) < move / 1500         # the farther, the likelier 250 m off
    err = np.where(far, 400.0, np.where(rng.uniform(size=600) < 0.9, 30.0, 150.0))
    feats = [{"move_m": m} for m in move]
    cal = Calibration.fit(["道路插值/外推"] * 600, np.full(600, 0.6), err <= 100,
                          features=feats, errors=err)
    assert "道路插值/外推" in cal.near
    got = cal.many(["道路插值/外推"] * 4, [0.6] * 4, [{"move_m": m} for m in (0, 500, 1000, 1500)])
    assert (np.diff(got) <= 1e-12).all() and got[-1] < 0.3
    test_move = rng.uniform(0, 1500, 2000)
    test_far = rng.uniform(size=2000) < test_move / 1500
    conf = cal.many(["道路插值/外推"] * 2000, np.full(2000, 0.6), [{"move_m": m} for m in test_move])
    table = reliability_table(conf, ~test_far & (rng.uniform(size=2000) < 0.9))
    assert (abs(table["predicted"] - table["observed"])[table["n"] >= 100] < 0.1).all(), table
