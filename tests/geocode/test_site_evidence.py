"""How large the site at a number is, as features of the calibration: how deep inside its
block the answer stands, words of a large site, a building other than the one the records
name; learned per class (sign-constrained), never rules."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from geogrid.geocode import Calibration, Gazetteer
from geogrid.geocode._houses import SITE_WORDS
from geogrid.geocode.calibrate import FEATURES, SIGNS, _cross_fitted, _group_folds, _logistic

ROAD = gpd.GeoDataFrame({"name": ["凤阳路"]},
                        geometry=[LineString([(121.460, 31.235), (121.480, 31.235)])],
                        crs="EPSG:4326")
M_PER_DEG_LAT = 110_900.0


def _house(r):
    """The 门牌 answer among a result and its alternatives (a building named in the query
    may outrank it by rule score)."""
    return next(a for a in (r, *r.alternatives) if a.level == "门牌")


def _gaz(rows):
    """``rows``: (address, name, lon, lat)."""
    addr = gpd.GeoDataFrame({"address": [r[0] for r in rows], "name": [r[1] for r in rows]},
                            geometry=[Point(r[2], r[3]) for r in rows], crs="EPSG:4326")
    return Gazetteer.from_frames(roads=ROAD, addresses=addr, calibration=None)


SHOPS = [("凤阳路401号", "a", 121.4680, 31.2352), ("凤阳路409号", "b", 121.4690, 31.2352),
         ("凤阳路415号东方商厦9层", "c", 121.4700, 31.2350 + 90 / M_PER_DEG_LAT),
         ("凤阳路421号", "d", 121.4710, 31.2352), ("凤阳路402号", "e", 121.4685, 31.2348)]


def test_depth_is_the_answers_distance_across_its_road():
    gaz = _gaz(SHOPS)
    deep = _house(gaz.geocode("凤阳路415号东方商厦2层"))
    front = gaz.geocode("凤阳路409号")
    assert front.level == "门牌"
    assert deep.features["depth_m"] == pytest.approx(90, abs=3)
    assert front.features["depth_m"] == pytest.approx(0.0002 * M_PER_DEG_LAT, abs=3)


def test_depth_is_measured_past_the_end_of_a_road_cut_short():
    """A drive graph stops where 南京东路 turns pedestrian; a record 600 m past the end of
    the road data, 20 m off its line, is 20 m deep, not 600."""
    far = [(f"凤阳路{n}号", str(n), 121.4800 + 0.0015 * k, 31.2350 + 20 / M_PER_DEG_LAT)
           for k, n in enumerate((801, 811, 821, 831))]
    r = _gaz(SHOPS + far).geocode("凤阳路821号")
    assert r.level == "门牌" and r.features["depth_m"] == pytest.approx(20, abs=3)


@pytest.mark.parametrize("text,name,site", [
    ("凤阳路415号东方商厦2层", None, 1.0),          # 商厦
    ("凤阳路415号", "上海长征医院急诊部", 1.0),      # the name given beside the address
    ("凤阳路415号2层", "老王面馆", 0.0),
])
def test_words_of_a_large_site(text, name, site):
    r = _house(_gaz(SHOPS).geocode(text, name))
    assert r.features["site_text"] == site
    assert {"商厦", "医院", "广场"} <= set(SITE_WORDS)


def test_part_differs_when_the_query_names_another_building_of_the_number():
    rows = [("凤阳路415号香港广场购物中心北区F4层", "a", 121.4700, 31.2352),
            ("凤阳路415号香港广场购物中心北区F1层", "b", 121.4701, 31.2352)]
    gaz = _gaz(rows)
    same = _house(gaz.geocode("凤阳路415号香港广场购物中心北区3层"))
    other = _house(gaz.geocode("凤阳路415号香港广场南座9层"))
    none = _house(gaz.geocode("凤阳路415号11楼"))
    assert same.features["part_differs"] == pytest.approx(0.0)
    assert other.features["part_differs"] > 0.3
    assert none.features["part_differs"] == 0.0   # names no building: nothing differs


def test_the_site_features_are_learned_and_may_only_lower_the_confidence():
    """In this fit deep answers miss more often: the model learns it. In another fit the
    deep ones happen to be hits: the weight stays at zero rather than turning depth into a
    reason for confidence."""
    assert {"depth_m", "site_text", "part_differs"} <= set(FEATURES)
    assert SIGNS["depth_m"] == SIGNS["site_text"] == SIGNS["part_differs"] == -1.0
    assert SIGNS["building_m"] == -1.0 and SIGNS["n_known"] == 1.0
    rng = np.random.default_rng(0)
    n = 600
    depth = rng.uniform(5, 150, size=n)
    feats = [{"depth_m": d, "n_records": 1.0} for d in depth]
    score = np.full(n, 0.9)
    for effect in (-1.0, +1.0):
        z = 3.0 + effect * 2.0 * (np.log1p(depth) - 3.5)
        hit = rng.uniform(size=n) < 1 / (1 + np.exp(-z))
        cal = Calibration.fit(["门牌/楼内"] * n, score, hit, features=feats)
        shallow = cal("门牌/楼内", 0.9, {"depth_m": 10.0, "n_records": 1.0})
        deep = cal("门牌/楼内", 0.9, {"depth_m": 140.0, "n_records": 1.0})
        assert deep <= shallow
        if effect < 0:
            # the deep answers' observed rate, not the class's
            assert deep < 0.8 < shallow
            assert deep == pytest.approx(hit[depth > 120].mean(), abs=0.15)


def test_answers_at_one_point_share_a_cross_fitting_fold():
    groups = np.array([7, 3, 7, 7, 3, 9, 1, 9])
    fold = _group_folds(groups, k=3)
    for g in np.unique(groups):
        assert len(set(fold[groups == g])) == 1
    assert len(set(fold)) == 3


def test_cross_fitting_leaves_a_whole_point_out():
    """Twenty shops of one mall answered at one point are one piece of evidence: their
    out-of-fold predictor comes from a model that saw none of them."""
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.normal(size=60), np.r_[np.full(20, 4.8), rng.uniform(0, 5, 40)]])
    y = np.r_[np.zeros(20), (rng.uniform(size=40) < 0.8)].astype(float)
    groups = np.r_[np.zeros(20, int), np.arange(1, 41)]
    signs = np.array([1.0, -1.0])
    fold = _group_folds(groups)
    z = _cross_fitted(x, y, 1.0, signs, fold=fold)
    mall = fold == fold[0]
    assert mall[:20].all()
    mean, scale, w = _logistic(x[~mall], y[~mall], 1.0, signs=signs)
    assert np.allclose(z[mall], w[0] + ((x[mall] - mean) / scale) @ w[1:])
    # by turn instead, the mall's twins train the model that scores them
    assert not np.allclose(_cross_fitted(x, y, 1.0, signs)[:20], z[:20])


def test_building_extent_reaches_the_records_of_the_named_building_at_any_number():
    """香港广场 is filed under 415号 and, 150 m east, 417号: one record at 415号 stands for
    a building 150 m across. A building known from one point spans nothing; a query that
    names no building, or one the database does not know, has no extent."""
    east = 121.4700 + 150 / (111_320 * np.cos(np.radians(31.235)))
    rows = [("凤阳路415号香港广场购物中心F1层", "a", 121.4700, 31.2352),
            ("凤阳路417号香港广场购物中心北区", "b", east, 31.2352),
            ("凤阳路421号东方商厦", "c", 121.4720, 31.2352)]
    gaz = _gaz(rows)
    wide = _house(gaz.geocode("凤阳路415号香港广场购物中心3层"))
    assert wide.features["building_m"] == pytest.approx(150, abs=3)
    assert _house(gaz.geocode("凤阳路421号东方商厦9层")).features["building_m"] < 1
    assert _house(gaz.geocode("凤阳路415号2层")).features["building_m"] == 0.0
    assert _house(gaz.geocode("凤阳路415号金钟广场2层")).features["building_m"] == 0.0
