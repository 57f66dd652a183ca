"""The per-road numbering error model (``geogrid.geocode._numbering_errors``).

Each road's known numbers are left out one at a time and placed from the others as a
query would be; the chance of landing within 100 m is fitted on those residuals against
the distance from the nearest known number, and caps the confidence of an estimate.

The synthetic road 直路 runs east from (0, 0) to (3000, 0) in metres; number ``n`` stands
5 n metres along it, odd 15 m north, even 15 m south.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pytest
from geocode_helpers import ll, xy
from shapely.geometry import LineString, Point

from geogrid.geocode import Gazetteer, MatchLevel
from geogrid.geocode._numbering_errors import MIN_RESIDUALS, NumberingErrors

ROAD = "直路"
KEY = (ROAD, None, None)


def _truth(n: int) -> tuple[float, float]:
    return 5.0 * n, (15.0 if n % 2 else -15.0)


def _gaz(known, where=_truth) -> Gazetteer:
    pts = gpd.GeoDataFrame({"addr_street": [ROAD] * len(known),
                            "addr_housenumber": [str(n) for n in known]},
                           geometry=[Point(ll(*where(n))) for n in known], crs="EPSG:4490")
    # 横路 crosses 直路 at x = 1000 m, where 200号 / 201号 stand
    roads = [LineString([ll(0, 0), ll(3000, 0)]), LineString([ll(1000, -300), ll(1000, 300)])]
    return Gazetteer.from_frames(
        address_points=pts, calibration=None, cache_size=0,
        roads=gpd.GeoDataFrame({"name": [ROAD, "横路"]}, geometry=roads, crs="EPSG:4490"))


@pytest.fixture(scope="module")
def regular():
    # every 4th number of each side from 1 to 399 (odd) and 2 to 400 (even): 20 m apart
    return _gaz(list(range(1, 400, 4)) + list(range(2, 401, 4)))


def test_leave_one_out_on_a_regular_road_lands_on_the_left_out_number(regular):
    res = regular._loo_residuals(KEY)
    assert set(res) == {f"{ROAD}#odd", f"{ROAD}#even"}
    d, err, beyond = res[f"{ROAD}#odd"]
    # 1号 left out is extrapolated; 397号 is bracketed by the even side (394号, 398号)
    assert len(d) == 100 and beyond.sum() == 1 and beyond[0]
    assert d[-1] == pytest.approx(5.0, abs=0.5)
    # an inner number left out sits midway between neighbours 40 m apart: 20 m from each
    assert np.allclose(d[1:-1], 20.0, atol=0.5)
    assert err.max() < 2.0, err.max()
    model = regular.numbering_errors
    assert model is not None and model.n == 200
    assert model.p_within(f"{ROAD}#odd", 20.0) == pytest.approx(1.0)


def test_leave_one_out_measures_a_jump_in_the_numbering():
    # the odd side's numbers jump 400 m at 201号 (a renumbered block): the numbers next to
    # the jump are placed 200 m off when left out, and that side is less regular
    def jumped(n):
        x, y = _truth(n)
        return (x + 400.0 if n % 2 and n >= 201 else x), y
    gaz = _gaz(list(range(1, 400, 20)) + list(range(2, 401, 20)), jumped)
    d, err, _ = gaz._loo_residuals(KEY)[f"{ROAD}#odd"]
    assert err.max() > 150.0
    d_even, err_even, _ = gaz._loo_residuals(KEY)[f"{ROAD}#even"]
    assert err_even.max() < 5.0
    model = gaz.numbering_errors
    assert model.roads[f"{ROAD}#odd"] > 1.0 > model.roads[f"{ROAD}#even"]
    assert model.p_within(f"{ROAD}#odd", 60.0) < model.p_within(f"{ROAD}#even", 60.0)


def test_the_fit_gives_the_chance_a_half_normal_scale_implies():
    rng = np.random.default_rng(1)
    d = rng.uniform(0, 800, 20000)
    scale = 10.0 + 0.25 * d
    e = np.abs(rng.normal(0.0, scale))
    model = NumberingErrors.fit({"x路": (d, e, np.zeros(len(d), bool))})
    for at in (50.0, 200.0, 400.0, 600.0):
        want = math.erf(100.0 / (math.sqrt(2.0) * (10.0 + 0.25 * at)))
        assert model.p_within("x路", at) == pytest.approx(want, abs=0.05), at
    assert model.roads["x路"] == pytest.approx(1.0, abs=0.05)


def test_the_chance_never_rises_with_the_distance():
    rng = np.random.default_rng(2)
    d = rng.uniform(0, 1500, 3000)
    e = np.abs(rng.standard_t(2, 3000)) * (5.0 + 0.3 * d)
    beyond = rng.random(3000) < 0.3
    model = NumberingErrors.fit({"a路#odd": (d[:1500], e[:1500], beyond[:1500]),
                                 "a路#even": (d[1500:], e[1500:], beyond[1500:])})
    grid = np.linspace(0, 3000, 301)
    for road in ("a路#odd", "a路#even", "unknown路"):
        for b in (False, True):
            p = np.array([model.p_within(road, g, beyond=b) for g in grid])
            assert np.all(np.diff(p) <= 1e-12) and 0.0 <= p.min() <= p.max() <= 1.0


def test_too_few_residuals_fit_no_model():
    assert NumberingErrors.fit({"x路": (np.arange(MIN_RESIDUALS - 1.0),
                                       np.zeros(MIN_RESIDUALS - 1),
                                       np.zeros(MIN_RESIDUALS - 1, bool))}) is None
    assert _gaz([1, 3, 5]).numbering_errors is None


def test_stored_and_read_back_identically(regular):
    rng = np.random.default_rng(3)
    d = rng.uniform(0, 900, 500)
    e = np.abs(rng.normal(0.0, 20 + 0.3 * d))
    model = NumberingErrors.fit({"b路#odd": (d[:250], e[:250], d[:250] > 700),
                                 "b路#even": (d[250:], e[250:], d[250:] > 700)})
    back = NumberingErrors.from_dict(json.loads(json.dumps(model.to_dict())))
    assert back == model
    for g in (0.0, 37.5, 120.0, 480.0, 2000.0):
        assert back.p_within("b路#odd", g, beyond=True) == model.p_within("b路#odd", g, True)
    stored = regular.numbering_errors
    assert NumberingErrors.from_dict(json.loads(json.dumps(stored.to_dict()))) == stored


def _irregular_model() -> NumberingErrors:
    """Residuals whose hits fall with the distance, as on real roads."""
    rng = np.random.default_rng(4)
    d = rng.uniform(0, 1200, 4000)
    e = np.abs(rng.normal(0.0, 15 + 0.3 * d))
    return NumberingErrors.fit({f"{ROAD}#odd": (d, e, np.zeros(len(d), bool))})


def test_a_long_gap_lowers_the_confidence():
    # 61号 sits 20 m from its neighbours; 201号 600 m from either (1号 ... 81号, 321号 ...)
    known = list(range(1, 82, 4)) + list(range(321, 400, 4))
    gaz = _gaz(known)
    gaz.numbering_errors = _irregular_model()
    short, long_ = gaz.geocode(f"{ROAD}63号"), gaz.geocode(f"{ROAD}201号")
    assert short.level is long_.level is MatchLevel.INTERPOLATED
    assert long_.features["near_m"] == pytest.approx(600.0, abs=5.0)
    assert short.features["near_m"] == pytest.approx(10.0, abs=1.0)
    cap = gaz.numbering_errors.p_within(f"{ROAD}#odd", long_.features["near_m"])
    assert long_.confidence <= cap + 1e-4 < 0.5
    assert short.confidence > long_.confidence
    # the answer is still where interpolation puts it: only its confidence changes
    x, _ = xy(long_.lon, long_.lat)
    assert x == pytest.approx(5.0 * 201, abs=3.0)


def test_an_agreeing_hint_lifts_the_ceiling():
    # the hinted cross street 横路 meets 直路 beside 201号: the hint places the answer, so
    # the numbering's error model does not bound it (calibration=None: the rule score)
    gaz = _gaz(list(range(1, 82, 4)) + list(range(321, 400, 4)))
    gaz.numbering_errors = _irregular_model()
    plain, hinted = gaz.geocode(f"{ROAD}201号"), gaz.geocode(f"{ROAD}201号(近横路)")
    cap = gaz.numbering_errors.p_within(f"{ROAD}#odd", plain.features["near_m"])
    assert plain.confidence == pytest.approx(cap, abs=1e-4) and cap < plain.score
    assert hinted.features["hint"] == 1.0
    assert hinted.confidence == pytest.approx(hinted.score) and hinted.confidence > cap
