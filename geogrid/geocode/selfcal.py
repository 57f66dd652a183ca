"""Calibration learned from the address database itself, when it is imported.

Confidence must be a measured probability of landing within 100 m
(:mod:`geogrid.geocode.calibrate`), and it must be measured on data the
evaluation never sees. The address database is such data, and it is what the
gazetteer serves from: :func:`fit_on_database` cross-validates it, ``k``
folds by row (leave-one-out when ``k`` equals the number of rows; 10 folds
by default, which is close to it and costs ten builds instead of thousands):
every row is geocoded (its address and its name) by a gazetteer built
without it, from the same other frames, and ``(rung, rule score, hit within
100 m)`` of those answers fit the per-rung isotonic map. The answer fitted
is the one the service would give: the gazetteer ranks its candidates by
calibrated confidence, so the fit is redone on the answers its own first fit
ranks first (by rule score a building named in one record's address outranks
that single record; once calibrated it often does not, and the fit must see
the cases the service answers with a single record). The held-out
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

__all__ = ["DatabaseCalibration", "MIN_ROWS", "answer_candidates", "database_fit",
           "fit_on_database", "fit_ranked", "held_out_answers"]

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
    """Every row geocoded by a gazetteer built without its fold: one row per answer with
    ``candidates``, the answer and its alternatives as ``(class, score, features, error_m)``
    in the order of their rule scores."""
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
        pts = addresses.geometry[test].to_crs(4326)
        for text, name, x, y in zip(addresses["address"][test], names[test], pts.x, pts.y):
            r = gaz.geocode(text, name)
            if r.ok:
                out.append({"fold": f, "candidates": answer_candidates(r, x, y)})
    return pd.DataFrame(out, columns=["fold", "candidates"])


def answer_candidates(r, x: float, y: float) -> list[tuple]:
    """``(class, score, features, error_m, at)`` of a result and its located alternatives,
    the true point being ``(x, y)`` (lon/lat) and ``at`` the answer's (to about a metre):
    what :func:`fit_ranked` fits on. Answers of one ``at`` (shops sharing an address, the
    numbers of a road counted from its start) are one piece of evidence, and count once
    in what a class's fit supports."""
    found = [a for a in (r, *r.alternatives) if a.ok and a.lon is not None]
    err = _GEOD.inv([a.lon for a in found], [a.lat for a in found], [x] * len(found),
                    [y] * len(found))[2]
    return [(a.evidence, a.score, dict(a.features or {}), float(e), _unit(a, r))
            for a, e in zip(found, np.atleast_1d(err))]


def _unit(a, r) -> tuple:
    """What an answer's error shares with others': a number placed with a direction
    taken from other roads is as right as that direction and the road's start, which
    every number of its road shares (the road); any other, its point (to about a metre)."""
    parsed = a.parsed or r.parsed
    if (a.features or {}).get("guessed") and parsed is not None and parsed.road:
        return ("road", parsed.road)
    return (round(a.lon, 5), round(a.lat, 5))


def _chosen(candidates: pd.Series, cal: Calibration | None) -> pd.DataFrame:
    """The answer each row gets when ``cal`` ranks its candidates, as the gazetteer does:
    by calibrated confidence, the first of equals (``None``: by rule score, the first)."""
    if cal is None:
        best = [cands[0] for cands in candidates]
    else:
        flat = [c for cands in candidates for c in cands]
        conf = cal.many([c[0] for c in flat], [c[1] for c in flat], [c[2] for c in flat])
        best, start = [], 0
        for cands in candidates:
            best.append(cands[int(np.argmax(conf[start:start + len(cands)]))])
            start += len(cands)
    best = [tuple(c) + (None,) * (5 - len(c)) for c in best]   # ``at`` may be left out
    return pd.DataFrame(best, columns=["level", "score", "features", "error_m", "at"],
                        index=candidates.index)


def fit_ranked(answers: pd.DataFrame, radius_m: float = 100.0, rounds: int = 2) -> Calibration:
    """The calibration of the answers the service would give (``answers['candidates']``: each
    held-out row's :func:`answer_candidates`): fit on the rule-ranked answers, then
    ``rounds`` times again on the answers that fit ranks first (a name's
    building may outrank a single record by rule, not once calibrated)."""
    cal = None
    for _ in range(rounds + 1):
        got = _chosen(answers["candidates"], cal)
        cal = Calibration.fit(got["level"], got["score"], got["error_m"] <= radius_m,
                              features=list(got["features"]), errors=got["error_m"],
                              groups=list(got["at"]), radius_m=radius_m)
    return cal


def held_out_answers(frames: dict, addresses: gpd.GeoDataFrame, *, folds: int = 10,
                     seed: int = 0) -> pd.DataFrame:
    """Every row of ``addresses`` geocoded by a gazetteer built from ``frames`` and the rows
    of the other ``folds`` - 1 folds: one row per answer, its ``fold`` and
    ``candidates`` (:func:`answer_candidates`), what :func:`fit_ranked` fits on. Answers
    of several databases (or fold definitions) may be concatenated before fitting."""
    usable = addresses[addresses["address"].notna() & ~addresses.geometry.is_empty
                       & addresses.geometry.notna()]
    k = int(min(max(2, folds), len(usable)))
    return _held_out(frames, usable, np.random.default_rng(seed).permutation(len(usable)) % k,
                     k)


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
    if not len(got):
        raise InputError("地址库的记录都无法定位 / no address of the database could be located by "
                         "the others.", field="addresses", value=len(usable),
                         fix="Check the addresses' road names against the roads loaded.")
    cal = fit_ranked(got, radius_m)
    # each answer chosen and scored by the calibration of the other folds: an honest table
    parts = []
    for f in np.unique(got["fold"]):
        mine = (got["fold"] == f).to_numpy()
        other = cal if mine.all() else fit_ranked(got[~mine], radius_m)
        pick = _chosen(got["candidates"][mine], other)
        parts.append(pick.assign(fold=f, confidence=other.many(pick["level"], pick["score"],
                                                                pick["features"])))
    answers = pd.concat(parts).sort_index().reset_index(drop=True)
    answers["hit"] = answers["error_m"].to_numpy(float) <= radius_m
    conf, hit = answers["confidence"].to_numpy(float), answers["hit"].to_numpy(bool)
    return DatabaseCalibration(cal, len(got), k, reliability_table(conf, hit), answers)


def database_fit(frames: dict) -> DatabaseCalibration | None:
    """The fit on the ``addresses`` of the gazetteer's input ``frames``, the other frames
    as they are; ``None`` when the database has fewer than :data:`MIN_ROWS` rows."""
    addresses = frames.get("addresses")
    if addresses is None or len(addresses) < MIN_ROWS:
        return None
    return fit_on_database({k: v for k, v in frames.items() if k != "addresses"}, addresses)
