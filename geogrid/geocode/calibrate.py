"""Calibrated confidence: the measured probability that a geocode lands within 100 m.

The gazetteer scores each answer by rule (a rung and how well its parts
matched). A rule score is not a probability: 0.85 for an interpolation means
nothing until one counts how often such answers really fall within 100 m.
:class:`Calibration` is that count, per rung:

1. geocode addresses whose true point is known but that the gazetteer did not
   learn from (another fold of the data), and record ``(rung, score, hit)``
   with ``hit = error <= 100 m``;
2. per rung, sort by score, cut into at most ``bins`` equal-count bins and
   estimate each bin's hit rate shrunk toward the rung's own rate ``r`` (itself
   ``(K + 1) / (N + 2)`` over the rung's ``N`` answers), ``(k + 2r) / (n + 2)``:
   a bin of 5 hits out of 5 in a rung right 90 % of the time says 0.97, not 1,
   and in a rung right half the time 0.86. (Shrinking every bin toward one half
   made the best rungs read 0.85 where 0.95 of their answers were right.);
3. make the bin rates non-decreasing in the score with the pool-adjacent-
   violators algorithm (:func:`scipy.optimize.isotonic_regression`, weighted
   by bin size): a higher score never means a lower probability;
4. predict by linear interpolation between bin centres (flat beyond them).

With the answers' **features** (:data:`FEATURES`: the gap between the
bracketing known numbers and how far their metres per number stray from the
road's own, the distance extrapolated, how many records share the number and
how far they spread, how well the name given beside the address matched
theirs, whether a hinted cross street agreed, whether the numbers' direction
was taken from other roads, and how large the site at the number is: how far
the answer stands across its road, how far the records of the building the
query names reach, whether the query names another building than the records
do, words of a large site), a class seen at least
``min_rung`` times with both outcomes gets a small logistic model on the logit
of the rule score and the features' ``log1p``, fitted by iteratively
reweighted least squares in numpy:

* ridge on standardised inputs, the penalty chosen per class among
  :data:`RIDGES` by the cross-validated log loss;
* each weight keeps the sign the evidence allows (:data:`SIGNS`): a wider gap,
  a longer extrapolation or a wider spread never raises the confidence, a
  hint that agrees never lowers it, nor does a higher rule score. Without
  this a feature whose few large values happened to be hits in the fit would
  lift a 1.3 km gap to 0.98;
* its linear predictor is mapped to a probability by a two-parameter logistic
  (Platt scaling) fit on *cross-fitted* predictors (each answer's from the
  model fit on the other :data:`CROSS_FOLDS` - 1 folds of the class), like the
  predictor a new answer gets. A binned curve stays flat beyond the fitted
  range, so an extrapolation scored 0.14 by rule took the lowest bin's 0.80;
  the logistic map keeps going down. When the predictor does not separate hits
  from misses out of fold (the map's slope is zero), the class keeps no model
  and its curve of the rule score answers.

A probability fit on a few answers can reach 0.9 on their luck, and
P(within 100 m) says nothing of how far the misses fall. So a class claims
only what its fit supports (:func:`_ceiling`): an answer predicted ``p``
reports at most the largest one-sided :data:`EVIDENCE_LEVEL` lower bound
(Beta posterior) of the hit rate among the class's answers predicted at
least ``p`` out of fold, where answers of one group (one point answered for
several rows; the numbers of one road counted from its start, which share
its start and direction) count once; and no more than its chance of landing
within :data:`TAIL_M`, fit per class on the same features and bounded the
same way (an answer 250 m off is not within 100 m either). On the roads-only
evaluation (seed 6), numbers counted from a road's start with an agreeing
hint, all right in one half's fit, read 0.895 in the other half, where 15
of 22 were right; counted per road, that evidence supports under 0.8.

How many numbers the road knows (``n_known``) may only raise the confidence of
an estimate: on the real-address evaluation extrapolations from a road that
knows one or two numbers were right 77 % of the time, from three or more 93 %.
The number of house numbers within 100 m of an exact answer, or the gap to the
nearest known numbers of its side, did not separate hits from misses (not
monotone), so the model leaves them out. An answer given
without features uses its class's 1-D curve. The cross-fitting keeps the
answers of one point (the shops of a mall answered at its centre) in one
fold: twins do not vouch for each other out of fold.

An evidence class seen fewer than ``min_rung`` times whose rung was seen more
(``门牌/楼内`` in a fit on plain house numbers) borrows its rung's curve. A rung
seen fewer than ``min_rung`` times gets its own rate
``(k + 1) / (n + 2)``, but never more than the rule score (so an ambiguous
name the rules scored 0.3 stays at 0.3); a rung never seen gets the pooled
model capped at 0.5: an answer of a kind the fit never checked is not
trusted. :func:`reliability_table` checks the result on held-out answers:
predicted versus observed share within 100 m per confidence band.

References: Zadrozny & Elkan (2002), *Transforming classifier scores into
accurate multiclass probability estimates*, KDD (isotonic calibration); Platt
(1999), *Probabilistic outputs for support vector machines*, in Advances in
Large Margin Classifiers (the logistic map).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> score = rng.uniform(size=2000)
>>> hit = rng.uniform(size=2000) < score          # truly P(hit) = score
>>> cal = Calibration.fit(["门牌"] * 2000, score, hit)
>>> abs(cal("门牌", 0.8) - 0.8) < 0.08
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError

__all__ = ["DEFAULT_CALIBRATION", "EVIDENCE_LEVEL", "FEATURES", "RIDGES", "SIGNS", "TAIL_M",
           "Calibration", "evidence", "reliability_table"]

#: the calibration shipped with geogrid (fit by ``benchmarks.geocode.real_addresses``)
DEFAULT_CALIBRATION = Path(__file__).with_name("calibration.json")


#: what an answer reports about its evidence, beside its rule score (missing: 0)
FEATURES = ("gap_m", "move_m", "n_records", "spread_m", "hint", "guessed", "odd_rate",
            "name_match", "depth_m", "site_text", "part_differs", "building_m", "n_known")
#: the direction each feature may move the confidence (+1 up, -1 down, 0 either): a wider
#: gap between known numbers, a longer extrapolation, records spread wider, a direction
#: guessed, a larger site (deeper, wider, another building, its words) never raise it; a
#: hint that agrees or more known numbers on the road never lower it
SIGNS = {"gap_m": -1.0, "move_m": -1.0, "spread_m": -1.0, "guessed": -1.0, "hint": 1.0,
         "site_text": -1.0, "site_name": -1.0, "name_match": 1.0, "part_differs": -1.0,
         "depth_m": -1.0, "building_m": -1.0, "n_known": 1.0}
#: ridge penalty of the per-class logistic model (on standardised inputs) when none is chosen
RIDGE = 3.0
#: the ridge penalties the cross-validation chooses among, per class
RIDGES = (0.3, 1.0, 3.0, 10.0, 30.0)
#: weight, in answers, of a rung's own rate in each bin of its curve
PRIOR = 2.0
#: folds of the cross-fitting that gives the per-class curve out-of-fold predictors
CROSS_FOLDS = 5
#: one-sided level of the bound a class's fit must support (a 95 % lower bound)
EVIDENCE_LEVEL = 0.05
#: beyond this an answer is in the wrong place, not an imprecise one: its chance bounds the
#: confidence (P(within 100 m) <= P(within 250 m))
TAIL_M = 250.0


def _design(scores: np.ndarray, feats: list[dict | None], names: tuple[str, ...]
            ) -> np.ndarray:
    """Columns: the logit of the rule score, then ``log1p`` of each feature (sign kept)."""
    s = np.clip(np.asarray(scores, dtype=float), 1e-3, 1 - 1e-3)
    cols = [np.log(s / (1 - s))]
    for name in names:
        v = np.array([float((f or {}).get(name, 0.0) or 0.0) for f in feats])
        cols.append(np.sign(v) * np.log1p(np.abs(v)))
    return np.column_stack(cols)


def _logistic(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE, iters: int = 50,
              signs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ridge logistic regression by IRLS on standardised ``x``: (mean, scale, weights);
    ``weights[0]`` is the intercept (not penalised).

    ``signs`` (one per column of ``x``: +1, -1 or 0) keeps a weight non-negative,
    non-positive or free: projected Newton steps, a weight held at zero while its
    gradient pushes it across (an active set)."""
    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-6] = 1.0       # as stored (6 decimals), a smaller spread would read 0
    z = np.column_stack([np.ones(len(x)), (x - mean) / scale])
    w = np.zeros(z.shape[1])
    pen = np.full(z.shape[1], ridge)
    pen[0] = 0.0
    sign = np.zeros(z.shape[1]) if signs is None else np.concatenate([[0.0], signs])
    lo = np.where(sign > 0, 0.0, -np.inf)
    hi = np.where(sign < 0, 0.0, np.inf)
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (p - y) + pen * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(pen + 1e-9)
        free = ~(((w <= lo) & (grad > 0)) | ((w >= hi) & (grad < 0)))
        step = np.zeros_like(w)
        step[free] = np.linalg.solve(hess[np.ix_(free, free)], grad[free])
        new = np.clip(w - step, lo, hi)
        moved = np.abs(new - w).max()
        w = new
        if moved < 1e-8:
            break
    return mean, scale, w


def _mapped(model: dict, z: np.ndarray) -> np.ndarray:
    """A class model's predictor ``z`` as a probability: its Platt map (a stored model
    of an older fit: its isotonic curve)."""
    if "platt" in model:
        a, b = model["platt"]
        return _sigmoid(a * np.asarray(z, dtype=float) + b)
    return np.interp(z, *model["curve"])


def _linear(model: dict, x: np.ndarray) -> np.ndarray:
    z = (x - np.asarray(model["mean"])) / np.asarray(model["scale"])
    return model["weights"][0] + z @ np.asarray(model["weights"][1:])


#: kinds of interpolation, told apart by how the answer describes itself
_INTERPOLATION_KINDS = (("", "估线", "road line estimated from its"),
                        ("interpolated along the road", "两侧", "both sides"),
                        ("interpolated along the road", "同侧", ""),
                        ("extrapolated", "越界", "past the end of the road"),
                        ("extrapolated", "外推", ""), ("no number known", "起点", ""))


def evidence(level: str | None, parsed=None, detail: str | None = None) -> str | None:
    """The class an answer is calibrated in: its rung, split where the evidence differs.

    * 门牌 with a floor, room, unit, building or named part after the number
      (``淮海中路283号香港广场11楼``) is ``门牌/楼内``: a place inside a large building,
      whose footprint spreads further from its one address point than a shop front's;
    * 道路插值 is ``/同侧`` (between same-side neighbours), ``/两侧`` (between numbers of
      both sides), ``/外推`` (beyond the known numbers), ``/越界`` (extrapolated past
      the end of the road's geometry and records: the road data may stop short of the
      road, and the estimate is as unsure as the gap is long) or ``/起点`` (no number
      known on the road: counted from its start); ``/估线`` when the road is missing from the road
      data and its line was estimated from its own addresses, whatever the rest.

    A class the calibration has not seen falls back to its rung (see :class:`Calibration`).
    """
    if level is None:
        return None
    if level == "门牌" and parsed is not None and (
            parsed.floor is not None or parsed.room or parsed.unit or parsed.building
            or parsed.poi):
        return "门牌/楼内"
    if level == "道路插值" and detail:
        for start, kind, also in _INTERPOLATION_KINDS:
            if detail.startswith(start) and also in detail:
                return f"道路插值/{kind}"
    return level


def _curve(score: np.ndarray, hit: np.ndarray, bins: int) -> tuple[list[float], list[float]]:
    order = np.argsort(score, kind="stable")
    s, h = score[order], hit[order].astype(float)
    n_bins = min(bins, max(1, len(s) // 10))
    parts = [p for p in np.array_split(np.arange(len(s)), n_bins) if len(p)]
    centres = np.array([s[p].mean() for p in parts])
    n = np.array([len(p) for p in parts], dtype=float)
    # each bin's rate shrunk toward the rate of all the answers (itself toward one half)
    prior = (h.sum() + 1.0) / (len(h) + 2.0)
    rate = np.array([(h[p].sum() + PRIOR * prior) / (len(p) + PRIOR) for p in parts])
    from scipy.optimize import isotonic_regression   # scipy.optimize takes a second to import

    fitted = isotonic_regression(rate, weights=n, increasing=True).x
    return centres.round(6).tolist(), np.clip(fitted, 0.0, 1.0).round(6).tolist()


@dataclass(frozen=True)
class Calibration:
    """Per-rung maps from rule score to P(within 100 m). Call it: ``cal(level, score)``."""

    curves: dict[str, tuple[list[float], list[float]]]
    pooled: tuple[list[float], list[float]]
    counts: dict[str, int] = field(default_factory=dict)
    radius_m: float = 100.0
    #: per class: the logistic model on score and features, and the curve of its predictor
    models: dict[str, dict] = field(default_factory=dict)
    #: per class: ``[t, cap]``, what its fit supports at prediction t (:func:`_ceiling`)
    ceilings: dict[str, list] = field(default_factory=dict)
    #: per class: the model of P(within :data:`TAIL_M`), same features (no tail seen: none)
    near: dict[str, dict] = field(default_factory=dict)
    #: per class: the ceiling of P(within :data:`TAIL_M`)
    near_ceilings: dict[str, list] = field(default_factory=dict)

    @classmethod
    def fit(cls, levels, scores, hits, *, features=None, errors=None, groups=None,
            bins: int = 8, min_rung: int = 30, radius_m: float = 100.0) -> Calibration:
        """Fit from held-out answers: their rung (level value), rule score and hit (bool);
        ``features`` (one dict per answer, keys of :data:`FEATURES`) adds a model per class;
        ``errors`` (metres) bounds each class by how often it lands beyond :data:`TAIL_M`;
        answers of one ``groups`` key (the point answered) count once in those bounds."""
        levels = np.asarray([str(v) for v in levels], dtype=object)
        scores = np.asarray(scores, dtype=float)
        hits = np.asarray(hits, dtype=bool)
        if not (len(levels) == len(scores) == len(hits)) or len(scores) == 0:
            raise InputError(f"校准数据不完整 / calibration needs aligned, non-empty levels, "
                             f"scores and hits; got "
                             f"{len(levels)}, {len(scores)}, {len(hits)}.", field="hits",
                             fix="Pass one level, score and hit per held-out answer.")
        curves, counts = {}, {}
        for level in sorted(set(levels)):
            mask = levels == level
            counts[level] = int(mask.sum())
            if mask.sum() >= min_rung:
                curves[level] = _curve(scores[mask], hits[mask], bins)
            elif "/" in level and (levels == level.split("/", 1)[0]).sum() >= min_rung:
                continue  # a thin evidence class borrows its rung's curve (see __call__)
            else:  # too few to fit a curve: its own rate, never above the rule score
                rate = round((hits[mask].sum() + 1.0) / (mask.sum() + 2.0), 6)
                curves[level] = ([0.0, rate, 1.0], [0.0, rate, rate])
        feats = None if features is None else list(features)
        groups = np.arange(len(levels)) if groups is None else _group_ids(groups)
        models, oof = ({}, {}) if feats is None else _models(levels, scores, hits, feats,
                                                              bins, min_rung, groups)
        raw = cls(curves, _curve(scores, hits, bins), counts, radius_m, models)
        # a class that borrows its rung's curve borrows the evidence bounding it too
        own = np.array([lv in curves or lv in models for lv in levels])
        levels, scores, hits, groups = levels[own], scores[own], hits[own], groups[own]
        feats = None if feats is None else [f for f, o in zip(feats, own) if o]
        errors = None if errors is None else np.asarray(errors, dtype=float)[own]
        ceilings = _ceilings(levels, raw.many(levels, scores, feats), hits, oof, groups)
        near, near_ceilings = {}, {}
        if errors is not None and feats is not None:
            close = np.asarray(errors, dtype=float) <= TAIL_M
            near, oof = _models(levels, scores, close, feats, bins, min_rung, groups)
            near_ceilings = _ceilings(levels, np.ones(len(levels)), close, oof, groups)
        return cls(curves, raw.pooled, counts, radius_m, models, ceilings, near, near_ceilings)

    def __call__(self, level: str, score: float, features: dict | None = None) -> float:
        """P(within 100 m) of an answer of class ``level`` (a rung, or an :func:`evidence`
        class such as ``门牌/楼内``, which falls back to its rung when unseen); with the
        answer's ``features`` its class's model decides, when it has one."""
        return float(self.many([level], [score], None if features is None else [features])[0])

    def _raw(self, level: str, score: float) -> float:
        curve = self.curves.get(str(level))
        if curve is None and "/" in str(level):
            curve = self.curves.get(str(level).split("/", 1)[0])
        if curve is None:
            return min(float(np.interp(score, *self.pooled)), 0.5)
        return float(np.interp(score, *curve))

    def many(self, levels, scores, features=None) -> np.ndarray:
        """``self(level, score, features)`` of many answers at once (one array pass per
        class): what fitting on thousands of database rows needs. Each class's probability
        is held to what its fit supports (:func:`_ceiling`) and to its chance of landing
        within :data:`TAIL_M` (an answer beyond it is not within 100 m either)."""
        levels = np.asarray([str(v) for v in levels], dtype=object)
        scores = np.asarray(scores, dtype=float)
        features = None if features is None else list(features)
        out = np.empty(len(scores))
        for level in set(levels.tolist()):
            idx = np.flatnonzero(levels == level)
            model = self.models.get(level) if features is not None else None
            if model is not None:
                out[idx] = _predict(model, scores[idx], [features[i] for i in idx])
            else:
                out[idx] = [self._raw(level, sc) for sc in scores[idx]]
            out[idx] = _capped(out[idx], _own(self.ceilings, level))
            near = self.near.get(level) if features is not None else None
            close = (np.ones(len(idx)) if near is None
                     else _predict(near, scores[idx], [features[i] for i in idx]))
            out[idx] = np.minimum(out[idx], _capped(close, _own(self.near_ceilings, level)))
        return out

    def to_dict(self) -> dict:
        return {"radius_m": self.radius_m, "counts": self.counts,
                "curves": {k: {"score": v[0], "p": v[1]} for k, v in self.curves.items()},
                "pooled": {"score": self.pooled[0], "p": self.pooled[1]},
                "models": self.models, "ceilings": self.ceilings, "near": self.near,
                "near_ceilings": self.near_ceilings}

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        try:
            curves = {k: (list(v["score"]), list(v["p"])) for k, v in d["curves"].items()}
            pooled = (list(d["pooled"]["score"]), list(d["pooled"]["p"]))
        except (KeyError, TypeError) as exc:
            raise InputError(f"校准数据缺少 {exc} / calibration data lacks {exc}.", field="calibration",
                             fix="Write it with Calibration.to_dict() / save().") from exc
        return cls(curves, pooled, dict(d.get("counts", {})), float(d.get("radius_m", 100.0)),
                   dict(d.get("models", {})), dict(d.get("ceilings", {})),
                   dict(d.get("near", {})), dict(d.get("near_ceilings", {})))

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")

    @classmethod
    def load(cls, path: Path = DEFAULT_CALIBRATION) -> Calibration | None:
        """The calibration in ``path``; ``None`` when the file does not exist."""
        path = Path(path)
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"校准文件 {path.name} 不是 JSON / calibration file {path.name} "
                             f"is not JSON: {exc}.",
                             field="calibration", value=str(path),
                             fix="Regenerate it with the geocoding benchmark.") from exc
        return cls.from_dict(data)


def _models(levels: np.ndarray, scores: np.ndarray, hits: np.ndarray, feats: list,
            bins: int, min_rung: int, groups: np.ndarray | None = None
            ) -> tuple[dict[str, dict], dict[str, np.ndarray]]:
    """Per class seen ``min_rung`` times with both outcomes: a ridge logistic model on
    the score and the features that vary in the class (the ridge chosen among
    :data:`RIDGES` by cross-validated log loss), and the logistic map of its
    cross-fitted linear predictor to a probability (Platt scaling). The score's weight
    is kept non-negative, so within a class, all else equal, a higher rule score never
    lowers the confidence. Also returns each model's out-of-fold probabilities of its
    class's answers (what :func:`_ceiling` bounds)."""
    if len(feats) != len(scores):
        raise InputError(f"features 与答案数量不同 / features has {len(feats)} entries for "
                         f"{len(scores)} answers.", field="features", value=len(feats),
                         fix="Pass one feature dict (or None) per answer.")
    out, oof = {}, {}
    for level in sorted(set(levels)):
        mask = levels == level
        y = hits[mask].astype(float)
        if mask.sum() < min_rung or y.min() == y.max():
            continue
        mine = [feats[i] for i in np.flatnonzero(mask)]
        x_all = _design(scores[mask], mine, FEATURES)
        used = tuple(n for n, col in zip(FEATURES, x_all[:, 1:].T) if col.std() > 0)
        x = _design(scores[mask], mine, used)
        signs = np.array([1.0] + [SIGNS.get(n, 0.0) for n in used])
        fold = None if groups is None else _group_folds(groups[mask])
        ridge, z_cv = _inner_ridge(x, y, signs, fold)
        mean, scale, w = _logistic(x, y, ridge, signs=signs)
        model = {"features": list(used), "mean": mean.round(6).tolist(),
                 "scale": scale.round(6).tolist(), "weights": w.round(6).tolist(),
                 "ridge": ridge}
        # the map takes predictors of answers the model did not see, as a new answer's is
        model["platt"] = _platt(z_cv, y)
        if model["platt"][0] > 0:   # else it separates nothing out of fold: the score's curve
            out[str(level)] = model
            oof[str(level)] = _sigmoid(model["platt"][0] * z_cv + model["platt"][1])
    return out, oof


def _predict(model: dict, scores: np.ndarray, feats: list) -> np.ndarray:
    return _mapped(model, _linear(model, _design(scores, feats, tuple(model["features"]))))


def _own(table: dict, level: str):
    """A class's entry, else its rung's (a thin evidence class is bounded as its rung)."""
    got = table.get(level)
    return table.get(level.split("/", 1)[0]) if got is None and "/" in level else got


def _group_ids(groups) -> np.ndarray:
    """One integer per answer, equal for equal keys (``None``: a group of its own)."""
    ids, out = {}, np.empty(len(groups), dtype=int)
    for i, g in enumerate(groups):
        out[i] = ids.setdefault(("own", i) if g is None else g, len(ids))
    return out


def _ceilings(levels: np.ndarray, pred: np.ndarray, hits: np.ndarray,
              oof: dict[str, np.ndarray], groups: np.ndarray) -> dict[str, list]:
    """:func:`_ceiling` of every class, on its out-of-fold predictions where it has a
    model (``oof``), else on its curve's; the answers of one group (one point answered
    for several rows) count once, with their mean prediction and mean outcome."""
    out = {}
    for level in sorted(set(levels)):
        mask = levels == level
        p = np.asarray(oof.get(str(level), pred[mask]), dtype=float)
        g = pd.DataFrame({"g": groups[mask], "p": p, "y": hits[mask].astype(float)})
        once = g.groupby("g", sort=False)[["p", "y"]].mean()
        out[str(level)] = _ceiling(once["p"].to_numpy(), once["y"].to_numpy())
    return out


def _ceiling(pred: np.ndarray, hit: np.ndarray) -> list[list[float]]:
    """``[t, cap]`` (t ascending): the most a prediction of at least ``t`` may claim.

    The answers of a class predicted at least ``t`` were right ``k`` times out of
    ``n``; with a uniform prior their rate is Beta(k + 1, n - k + 1), whose lower
    :data:`EVIDENCE_LEVEL` quantile is what the fit supports. A new answer predicted
    ``p`` belongs to every such set with ``t <= p``, so its cap is the largest of their
    bounds (non-decreasing in ``p``). Eighteen hits in twenty support 0.73, not 0.9;
    290 in 300 support 0.95 (Clopper & Pearson 1934; Jeffreys-type Beta posterior).

    >>> t, cap = _ceiling(np.full(20, 0.9), np.arange(20) >= 2)
    >>> round(cap[0], 2)
    0.73
    """
    from scipy.stats import beta

    order = np.argsort(-np.asarray(pred, dtype=float), kind="stable")
    p, y = np.asarray(pred, dtype=float)[order], np.asarray(hit, dtype=float)[order]
    k, n = np.cumsum(y), np.arange(1.0, len(y) + 1.0)
    last = np.r_[p[1:] != p[:-1], True]          # a set holds all the ties of its bound
    t, k, n = p[last][::-1], k[last][::-1], n[last][::-1]
    cap = np.maximum.accumulate(beta.ppf(EVIDENCE_LEVEL, k + 1.0, n - k + 1.0))
    return [t.round(6).tolist(), cap.round(6).tolist()]


def _capped(p: np.ndarray, ceiling: list | None) -> np.ndarray:
    """``p`` held to its class's :func:`_ceiling` (below every fitted ``t``: the bound of
    the whole class)."""
    p = np.asarray(p, dtype=float)
    if not ceiling or not ceiling[0]:
        return p
    t, cap = np.asarray(ceiling[0]), np.asarray(ceiling[1])
    i = np.clip(np.searchsorted(t, p, side="right") - 1, 0, None)
    return np.minimum(p, cap[i])


def _inner_ridge(x: np.ndarray, y: np.ndarray, signs: np.ndarray,
                 fold: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """The ridge of :data:`RIDGES` whose cross-fitted predictors have the least log loss
    once mapped by their own Platt fit, and those predictors."""
    best = None
    for ridge in RIDGES:
        z = _cross_fitted(x, y, ridge, signs, fold=fold)
        a, b = _platt(z, y)
        p = np.clip(_sigmoid(a * z + b), 1e-6, 1 - 1e-6)
        loss = -float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        if best is None or loss < best[0] - 1e-9:
            best = (loss, ridge, z)
    return best[1], best[2]


def _platt(z: np.ndarray, y: np.ndarray) -> list[float]:
    """``[a, b]`` of ``P = 1 / (1 + exp(-(a z + b)))`` fit to ``(z, y)``, ``a >= 0``.

    Platt (1999): a two-parameter logistic on the predictor. Unlike a binned
    curve, it extrapolates: a predictor below every one the fit saw maps lower
    still, not to the lowest bin's rate, and a predictor that does not separate
    hits from misses (``a = 0``) maps every answer to the class's rate."""
    mean, scale, w = _logistic(z[:, None], y, ridge=1e-3)
    a = max(float(w[1] / scale[0]), 0.0)
    b = float(w[0] - a * mean[0]) if a > 0 else float(np.log((y.sum() + 0.5) / (len(y) - y.sum() + 0.5)))
    return [round(a, 6), round(b, 6)]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def _group_folds(groups: np.ndarray, k: int = CROSS_FOLDS) -> np.ndarray:
    """Cross-fitting fold of each answer: the answers of one group (one point answered,
    whichever row or repeat of the fit it answered) share a fold, so no answer's predictor
    comes from a model that saw its twin."""
    _, first = np.unique(np.asarray(groups), return_inverse=True)
    return first % k


def _cross_fitted(x: np.ndarray, y: np.ndarray, ridge: float, signs: np.ndarray,
                  k: int = CROSS_FOLDS, fold: np.ndarray | None = None) -> np.ndarray:
    """Each answer's linear predictor from the model fit on the other ``k - 1`` folds
    (``fold``: each answer's, by default in turn).

    A model's predictor on its own training answers separates hits from misses
    better than it will on new answers, so a map fit on it promises too much at
    the top. (A fold whose complement has one outcome only gets the model of
    every answer.)"""
    fold = np.arange(len(y)) % k if fold is None else np.asarray(fold)
    mean, scale, w = _logistic(x, y, ridge, signs=signs)
    z = w[0] + ((x - mean) / scale) @ w[1:]
    for f in range(k):
        test = fold == f
        if not test.any() or y[~test].min() == y[~test].max():
            continue
        mean, scale, w = _logistic(x[~test], y[~test], ridge, signs=signs)
        z[test] = w[0] + ((x[test] - mean) / scale) @ w[1:]
    return z


def reliability_table(confidence, hit, *, bands=(0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0001)
                      ) -> pd.DataFrame:
    """Predicted versus observed hit rate per confidence band (rows with n = 0 dropped)."""
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(hit, dtype=bool)
    rows = []
    for lo, hi in zip(bands[:-1], bands[1:]):
        m = (conf >= lo) & (conf < hi)
        if m.any():
            rows.append({"band": f"{lo:.1f}-{min(hi, 1.0):.1f}", "n": int(m.sum()),
                         "predicted": float(conf[m].mean()), "observed": float(hit[m].mean())})
    return pd.DataFrame(rows, columns=["band", "n", "predicted", "observed"])
