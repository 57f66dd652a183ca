"""Calibration learned from the address database itself (``calibration="database"``).

A synthetic street in metres (see ``geocode_helpers``): 长街 numbered at 4 m per number,
odd north, even south. A known share of the database's records is misplaced 300 m away,
so the true rate of hits is known, and the fit must see only the database.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geocode_helpers import ll
from shapely.geometry import LineString, Point

from geogrid._errors import InputError
from geogrid.geocode import Calibration, Gazetteer
from geogrid.geocode.calibrate import FEATURES, evidence
from geogrid.geocode.selfcal import MIN_ROWS, _chosen, fit_on_database, fit_ranked

ROADS = gpd.GeoDataFrame({"name": ["长街"]}, geometry=[LineString([ll(0, 0), ll(2000, 0)])],
                         crs="EPSG:4490")


def _database(n_rows: int, misplaced: float, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    nums = rng.choice(np.arange(1, 480), size=n_rows, replace=False)
    pts = []
    for n in nums:
        x, y = 4.0 * n, 15.0 if n % 2 else -15.0
        if rng.uniform() < misplaced:
            y += 300.0
        pts.append(Point(ll(x, y)))
    return gpd.GeoDataFrame({"address": [f"长街{n}号" for n in nums]}, geometry=pts,
                            crs="EPSG:4490")


@pytest.fixture(scope="module")
def fitted():
    db = _database(240, 0.2)
    return db, Gazetteer.from_frames(roads=ROADS, addresses=db, calibration="database")


def test_the_fit_is_monotone_bounded_probabilities(fitted):
    _, gaz = fitted
    cal = gaz.calibration
    assert cal is gaz.calibration_fit.calibration
    for level, (scores, probs) in cal.curves.items():
        assert np.all(np.diff(probs) >= -1e-9), level
        assert all(0.0 <= p <= 1.0 for p in probs), level
        assert np.all(np.diff(scores) >= 0), level
    grid = np.linspace(0, 1, 21)
    for level in cal.curves:
        vals = [cal(level, s) for s in grid]
        assert np.all(np.diff(vals) >= -1e-9) and min(vals) >= 0 and max(vals) <= 1


def test_the_fit_measures_the_database_and_reports_reliability(fitted):
    db, gaz = fitted
    fit = gaz.calibration_fit
    assert fit.n == len(fit.answers) and fit.n >= 0.9 * len(db) and fit.folds == 10
    # a fifth of the records are misplaced: the interpolations they feed miss often, and the
    # fit says so instead of the rule scores' 0.6-0.9
    rate = fit.answers["hit"].mean()
    assert 0.4 < rate < 0.95
    table = fit.reliability
    assert list(table.columns) == ["band", "n", "predicted", "observed"]
    assert table["n"].sum() == fit.n
    mean_pred = float((table["predicted"] * table["n"]).sum() / table["n"].sum())
    assert abs(mean_pred - rate) < 0.1  # honest on answers each scored out of its fold


def test_the_fit_sees_only_the_database():
    """Two databases that differ only in how many records are misplaced give different
    calibrations, and geocoding queries never changes them."""
    clean = Gazetteer.from_frames(roads=ROADS, addresses=_database(200, 0.0, 1),
                                  calibration="database")
    dirty = Gazetteer.from_frames(roads=ROADS, addresses=_database(200, 0.4, 1),
                                  calibration="database")
    before = dirty.calibration.to_dict()
    key = "道路插值/同侧"
    assert clean.calibration(key, 0.8) > dirty.calibration(key, 0.8) + 0.1
    for q in ("长街101号", "长街103号", "长街999号"):
        dirty.geocode(q)
    assert dirty.calibration.to_dict() == before


def test_a_small_database_keeps_the_shipped_calibration():
    small = _database(MIN_ROWS - 1, 0.0)
    gaz = Gazetteer.from_frames(roads=ROADS, addresses=small, calibration="database")
    assert gaz.calibration_fit is None
    assert gaz.calibration.to_dict() == Calibration.load().to_dict()
    with pytest.raises(InputError) as err:
        fit_on_database({"roads": ROADS}, small)
    assert "至少" in str(err.value) or "at least" in str(err.value)


def test_evidence_classes_and_their_fallback():
    from geogrid.geocode import parse_address

    assert evidence("门牌", parse_address("淮海中路283号香港广场11楼")) == "门牌/楼内"
    assert evidence("门牌", parse_address("淮海中路283号")) == "门牌"
    assert evidence("道路插值", None, "extrapolated 30 m along the road from 5号") == "道路插值/外推"
    assert evidence("道路插值", None, "extrapolated 1123 m along the road from 181号 (1.8 m per "
                    "number); 1080 m past the end of the road's geometry and records") \
        == "道路插值/越界"
    assert evidence("道路插值", None, "interpolated along the road between 1号 and 9号 "
                                     "(both sides, 30 m apart)") == "道路插值/两侧"
    cal = Calibration.fit(["门牌"] * 40, np.linspace(0, 1, 40), np.arange(40) % 4 != 0)
    assert cal("门牌/楼内", 0.9) == cal("门牌", 0.9)  # an unseen class falls back to its rung
    assert cal("道路", 0.9) <= 0.5                     # an unseen rung is not trusted


def test_the_fit_depends_on_the_database_alone(fitted):
    db, gaz = fitted
    again = fit_on_database({"roads": ROADS}, db).calibration
    assert gaz.calibration.to_dict() == again.to_dict()
    # what it learned from: each database row's out-of-fold answer, with its features
    answers = gaz.calibration_fit.answers
    assert len(answers) == gaz.calibration_fit.n <= len(db)
    assert all(isinstance(f, dict) for f in answers["features"])
    for level, model in gaz.calibration.models.items():
        assert set(model["features"]) <= set(FEATURES)
        assert model["weights"][1] >= 0.0, level   # the score never counts against


def test_the_fit_sees_the_answers_the_service_gives():
    """By rule score a building named in one record's address (楼栋 0.92) outranks the
    record's own number (门牌 0.90); calibrated, the number wins. The fit is redone on the
    answers its calibration ranks first, so it learns the 门牌 answers the service gives."""
    rng = np.random.default_rng(0)
    rows = [[("门牌", 0.90, {}, 20.0)] for _ in range(40)]
    rows += [[("楼栋", 0.92, {}, 250.0 if rng.uniform() < 0.7 else 10.0),
              ("门牌", 0.90, {}, 15.0)] for _ in range(60)]
    got = pd.DataFrame({"fold": np.arange(100) % 10, "candidates": rows})
    by_rule = fit_ranked(got, 100.0, rounds=0)
    assert by_rule.counts == {"门牌": 40, "楼栋": 60}
    cal = fit_ranked(got, 100.0)
    assert cal.counts == {"门牌": 100}
    assert (_chosen(got["candidates"], cal)["level"] == "门牌").all()
    assert cal("门牌", 0.90) > 0.9 and by_rule("楼栋", 0.92) < 0.5
