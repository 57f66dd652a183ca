"""Calibration learned from the address database itself, when it is imported.

Confidence must be a measured probability of landing within 100 m
(:mod:`geogrid.geocode.calibrate`), and it must be measured on data the
evaluation never sees. The address database is such data, and it is what the
gazetteer serves from: :func:`fit_on_database` cross-validates it, ``k``
folds by row (leave-one-out when ``k`` equals the number of rows; 10 folds
by default, which is close to it and costs ten builds instead of thousands):
every row is geocoded (its address and its name) by a gazetteer built
without it, from the same other frames, and ``(rung, rule score, hit within
100 m)`` of those answers fit the per-rung isotonic map. The held-out
answers also give the reliability table the fit reports
(:attr:`DatabaseCalibration.reliability`): predicted versus observed share
within 100 m per confidence band, each answer scored by a fit that did not
see it (the calibration of the other folds).

>>> import geopandas as gpd
>>> from shapely.geometry import LineString, Point
>>> roads = gpd.GeoDataFrame({"name": ["浦东大道"]},
...     geometry=[LineString([(121.50, 31.24), (121.52, 31.24)])], crs="EPSG:4490")
>>> addr = gpd.GeoDataFrame({"address": [f"浦东大道{n}号" for n in range(2, 122, 2)]},
...     geometry=[Point(121.50 + n * 0.00016, 31.2399) for n in range(2, 122, 2)],
...     crs="EPSG:4490")
>>> fit = fit_on_database({"roads": roads}, addr, folds=5)
>>> fit.n, sorted(fit.calibration.counts)
(60, ['道路插值/同侧', '道路插值/外推'])
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod

from .._errors import InputError
from .calibrate import Calibration, reliability_table

__all__ = ["DatabaseCalibration", "MIN_ROWS", "database_fit", "fit_on_database"]

#: fewer database rows than this fit nothing: the shipped calibration is used
MIN_ROWS = 50
_GEOD = Geod(ellps="GRS80")


@dataclass(frozen=True)
class DatabaseCalibration:
    """A calibration fit on the address database, with what it was fit on."""

    calibration: Calibration
    n: int                       # rows geocoded out of their fold
    folds: int
    reliability: pd.DataFrame    # band, n, predicted, observed (each row scored out of fold)
    answers: pd.DataFrame        # level, score, error_m, hit of every held-out answer


def _held_out(frames: dict, addresses: gpd.GeoDataFrame, fold: np.ndarray, k: int
              ) -> pd.DataFrame:
    from .gazetteer import Gazetteer  # the gazetteer imports this module's callers

    out = []
    names = addresses["name"] if "name" in addresses.columns else pd.Series(
        [None] * len(addresses), index=addresses.index)
    for f in range(k):
        test = fold == f
        if not test.any() or test.all():
            continue
        gaz = Gazetteer.from_frames(**frames, addresses=addresses[~test], calibration=None,
                                    cache_size=0)
        got = gaz.geocode_many(addresses["address"][test], names=names[test],
                               with_features=True)
        pts = addresses.geometry[test].to_crs(4326)
        ok = got["ok"].to_numpy(bool)
        err = np.full(len(got), np.inf)
        if ok.any():
            err[ok] = _GEOD.inv(got["lon"].to_numpy(float)[ok], got["lat"].to_numpy(float)[ok],
                                pts.x.to_numpy()[ok], pts.y.to_numpy()[ok])[2]
        out.append(pd.DataFrame({"fold": f, "ok": ok, "level": got["evidence"].to_numpy(object),
                                 "score": got["score"].to_numpy(float), "error_m": err,
                                 "features": got["features"].to_numpy(object)}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(
        columns=["fold", "ok", "level", "score", "error_m", "features"])  # level: evidence class


def fit_on_database(frames: dict, addresses: gpd.GeoDataFrame, *, folds: int = 10,
                    seed: int = 0, radius_m: float = 100.0) -> DatabaseCalibration:
    """Fit the confidence calibration on ``addresses`` (the address database) by ``folds``-fold
    cross-validation by row, with the gazetteer's other input ``frames`` (roads, OSM points…).

    Raises :class:`~geogrid.InputError` when the database has fewer than :data:`MIN_ROWS`
    rows with an address and a point, or no answer could be scored."""
    usable = addresses[addresses["address"].notna() & ~addresses.geometry.is_empty
                       & addresses.geometry.notna()]
    if len(usable) < MIN_ROWS:
        raise InputError(f"地址库只有 {len(usable)} 条可用记录，不足以校准 / the address database "
                         f"has {len(usable)} usable rows; calibration needs at least {MIN_ROWS}.",
                         field="addresses", value=len(usable),
                         fix="Import more addresses, or keep the shipped calibration.")
    k = int(min(max(2, folds), len(usable)))
    fold = np.random.default_rng(seed).permutation(len(usable)) % k
    got = _held_out(frames, usable, fold, k)
    got = got[got["ok"]]
    if not len(got):
        raise InputError("地址库的记录都无法定位 / no address of the database could be located by "
                         "the others.", field="addresses", value=len(usable),
                         fix="Check the addresses' road names against the roads loaded.")
    hit = got["error_m"].to_numpy(float) <= radius_m
    feats = [f if isinstance(f, dict) else {} for f in got["features"]]
    cal = Calibration.fit(got["level"], got["score"], hit, features=feats, radius_m=radius_m)
    # each answer scored by the calibration of the other folds: an honest reliability table
    conf = np.empty(len(got))
    for f in np.unique(got["fold"]):
        mine = (got["fold"] == f).to_numpy()
        mine_f = [f for f, m in zip(feats, mine) if m]
        if mine.all():
            conf[mine] = [cal(lv, sc, f) for lv, sc, f in
                          zip(got["level"][mine], got["score"][mine], mine_f)]
            continue
        other = Calibration.fit(got["level"][~mine], got["score"][~mine], hit[~mine],
                                features=[f for f, m in zip(feats, mine) if not m],
                                radius_m=radius_m)
        conf[mine] = [other(lv, sc, f) for lv, sc, f in
                      zip(got["level"][mine], got["score"][mine], mine_f)]
    answers = got.assign(hit=hit, confidence=conf).reset_index(drop=True)
    return DatabaseCalibration(cal, len(got), k, reliability_table(conf, hit), answers)


def database_fit(frames: dict) -> DatabaseCalibration | None:
    """The fit on the ``addresses`` of the gazetteer's input ``frames``, the other frames
    as they are; ``None`` when the database has fewer than :data:`MIN_ROWS` rows."""
    addresses = frames.get("addresses")
    if addresses is None or len(addresses) < MIN_ROWS:
        return None
    return fit_on_database({k: v for k, v in frames.items() if k != "addresses"}, addresses)
