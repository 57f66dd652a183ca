"""How far an estimated house number lands off, learned from each road's own known numbers.

An interpolated or extrapolated number is only as good as the road's numbering is regular
near it, and it gets worse the farther it stands from the known numbers it rests on: 60 m
from 630号 a gap of 1.3 km between 630号 and 700号 says nothing about where 650号 is. A
real geocoder measures this on its own data. For every road (and the side the ladder
uses), each known number is left out and placed from the others exactly as a query would
be (:meth:`~geogrid.geocode._measure.MeasuredNumbers.place`); its error against where the
database has it is recorded with ``d``, the distance along the spine from the nearest known
number the placement used (half the bracket for a number midway, the distance moved for
one extrapolated).

The chance of landing within ``R`` (100 m) is fitted on those residuals as a function of
``d`` that never rises with it: an isotonic (decreasing) regression of the hits on ``d``
over every road (:func:`scipy.optimize.isotonic_regression`, pool adjacent violators),
read between the centres of its blocks and flat past the last. The errors are heavy
tailed (most left-out numbers land within 30 m, a few hundreds of metres off where the
numbering jumps), so a scale model such as a half-normal ``|N(0, (a + b·d)²)|`` fitted by
maximum likelihood lets the tail inflate its scale and reads 0.71 where 92 % hit; the
isotonic fit makes no assumption on the shape. A road's irregularity is the ratio of its
own misses to those the pooled curve expects of its residuals, shrunk toward 1 with the
weight of :data:`PRIOR_MISSES` expected misses (a Poisson-gamma posterior mean, as for
standardised rates), so a road with three known numbers follows the pool and a long road
whose numbering jumps follows itself::

    P_r(error ≤ R | d) = 1 - min(1, λ_r · (1 - P(d)))

The gazetteer uses it as a ceiling on its confidence (the calibrated class probability
says how good such answers are on average; this says how far this one stands from
anything known on a road this regular). It is fitted when the gazetteer is built, from
its own address records (never from queries), and costs one dictionary look-up and one
interpolation per answer.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> d = rng.uniform(0, 600, 3000)
>>> e = np.abs(rng.normal(0, 10 + 0.25 * d))
>>> m = NumberingErrors.fit({"x路": (d, e, d > 500)})
>>> m.p_within("x路", 0.0) > 0.95 > 0.5 > m.p_within("x路", 550.0)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import isotonic_regression

__all__ = ["MIN_RESIDUALS", "NumberingErrors", "PRIOR_MISSES", "RADIUS_M"]

#: weight, in expected misses, of the pooled curve in a road's irregularity
PRIOR_MISSES = 2.0
#: fewest residuals over all roads for a fitted model (fewer: no ceiling)
MIN_RESIDUALS = 20
#: the radius the model gives the chance of landing within (metres)
RADIUS_M = 100.0


@dataclass(frozen=True)
class NumberingErrors:
    """The fitted error model: P(within :data:`RADIUS_M`) at distance ``d`` from the
    nearest known number, ``np.interp(d, *curves[kind])`` (non-increasing), ``kind`` being
    ``"between"`` (interpolated) or ``"beyond"`` (extrapolated past the known numbers,
    where the road's spacing is a guess too; the pooled curve of both when one has under
    :data:`MIN_RESIDUALS`), with each road side's miss ratio ``roads[name]`` (1 for one
    not fitted)."""

    curves: dict[str, tuple[tuple[float, ...], tuple[float, ...]]]
    roads: dict[str, float] = field(default_factory=dict)
    n: int = 0

    @classmethod
    def fit(cls, residuals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
            prior_misses: float = PRIOR_MISSES) -> NumberingErrors | None:
        """Fit on ``{road side: (d, error, beyond)}`` (metres, metres, bools); ``None`` with
        under :data:`MIN_RESIDUALS` residuals."""
        clean = {}
        for road, (rd, re, rb) in residuals.items():
            rd, re = np.asarray(rd, dtype=float), np.asarray(re, dtype=float)
            keep = np.isfinite(rd) & np.isfinite(re)
            if keep.any():
                clean[road] = (rd[keep], re[keep] <= RADIUS_M, np.asarray(rb, bool)[keep])
        if sum(len(v[0]) for v in clean.values()) < MIN_RESIDUALS:
            return None
        d, hit, beyond = (np.concatenate([v[i] for v in clean.values()]) for i in range(3))
        pooled = _decreasing(d, hit.astype(float))
        curves = {kind: (_decreasing(d[sel], hit[sel].astype(float))
                         if sel.sum() >= MIN_RESIDUALS else pooled)
                  for kind, sel in (("between", ~beyond), ("beyond", beyond))}
        model = cls(curves, {}, len(d))
        roads = {}
        for road, (rd, rh, rb) in clean.items():
            expected = float(np.sum(1.0 - model.pooled(rd, rb)))
            roads[road] = float((prior_misses + np.sum(~rh)) / (prior_misses + expected))
        return cls(curves, roads, len(d))

    def pooled(self, d, beyond) -> np.ndarray:
        """The pooled chance of landing within :data:`RADIUS_M` at ``d`` (arrays)."""
        d, beyond = np.asarray(d, dtype=float), np.asarray(beyond, bool)
        return np.where(beyond, np.interp(d, *self.curves["beyond"]),
                        np.interp(d, *self.curves["between"]))

    def p_within(self, road: str, d: float, beyond: bool = False) -> float:
        """P(error ≤ :data:`RADIUS_M`) of an answer on ``road`` (a side key) ``d`` metres
        from the nearest known number it rests on (``beyond``: extrapolated past them):
        falls as ``d`` grows, and on a road side whose own numbers miss more often than
        the pool's."""
        curve = self.curves["beyond" if beyond else "between"]
        miss = 1.0 - float(np.interp(d, curve[0], curve[1]))
        return 1.0 - min(1.0, self.roads.get(road, 1.0) * miss)

    def to_dict(self) -> dict:
        return {"curves": {k: {"d": list(v[0]), "p": list(v[1])}
                           for k, v in sorted(self.curves.items())},
                "n": self.n, "roads": dict(sorted(self.roads.items()))}

    @classmethod
    def from_dict(cls, d: dict) -> NumberingErrors:
        curves = {str(k): (tuple(float(x) for x in v["d"]), tuple(float(x) for x in v["p"]))
                  for k, v in d["curves"].items()}
        return cls(curves, {str(k): float(v) for k, v in d.get("roads", {}).items()},
                   int(d.get("n", 0)))


def _decreasing(d: np.ndarray, hit: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Knots of the isotonic (non-increasing) fit of ``hit`` on ``d``: each block of equal
    fitted value at its mean ``d``, so reading between knots is linear and still monotone."""
    order = np.argsort(d, kind="stable")
    d, hit = d[order], hit[order]
    fitted = isotonic_regression(hit, increasing=False).x
    starts = np.flatnonzero(np.r_[True, np.diff(fitted) != 0])
    ends = np.r_[starts[1:], len(d)]
    knots_d = tuple(float(d[a:b].mean()) for a, b in zip(starts, ends))
    knots_p = tuple(float(fitted[a]) for a in starts)
    return knots_d, knots_p
