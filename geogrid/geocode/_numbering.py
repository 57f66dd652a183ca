"""Where a number stands on its road: a per-road model of house number → position.

Linear referencing
------------------
Each numbered road gets an axis: the principal direction ``u`` of its
vertices through their mean ``c``. A point ``p`` has a position
``t = (p - c)·u`` along the road and an offset ``o = (p - c)·v`` across it
(``v`` is ``u`` turned 90°). The road's own centre line, as a function of
``t``, is the median offset of its vertices in 20 m bins (a dual carriageway
counts once, between its lines), so a position maps back to the road even
where the data has gaps in the road's geometry.

The numbering model
-------------------
Shanghai numbers rise steadily along a road, odd on one side and even on the
other, both in the same direction, so ``t(n)`` is close to linear:
``t(n) = t(a) + s · (n - a)`` from a known number ``a``; each of the
:data:`ANCHORS` known numbers nearest to ``n`` gives such an estimate and their
weighted median is the answer, so one misplaced record does not carry it. The
slope ``s`` (metres per number) of one road is the Theil-Sen slope of its
known ``(n, t)``; from a few numbers close together it is noisy, so it is
shrunk toward the pooled slope of every road in the data::

    s = w · s_road + (1 - w) · s_pooled,   w = span² / (span² + S²)

with ``span`` the range of the road's known numbers and ``S`` =
:data:`SHRINK_SPAN` numbers (empirical Bayes, Efron & Morris 1975). With a
single known number the direction in which numbers rise is taken from the
parallel roads nearby: numbers rise away from where they start
(:meth:`Numbering.from_origin`; Puxi numbers its north-south roads from 延安路
outward, so the direction flips across it). Where the nearby roads do not
agree on a start (east-west roads start at many cross streets), the roads of
similar orientation city-wide vote (a city numbers its east-west roads one
way), weighted by how parallel they are; with no such evidence there is no
estimate.

The point goes across the road to the median offset of the known numbers of
its parity (the other parity mirrored when only that side is known, no farther
from the road than the usual setback of every road's addresses, ``Numbering.setback``:
one record of the other side may stand deep inside its block).

A road with no known number is numbered from its start: number 1 at the end
that the roads alike say numbers rise from, ``n`` pooled spacings along it;
not when that end touches the edge of the data (the road may go on beyond).

A straight axis does not follow a ring or a bending road (中华路 circles the
old city): there the estimate is poor, which the calibration measures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

__all__ = ["NumberModel", "Numbering", "SHRINK_SPAN", "theil_sen"]

#: span of known numbers at which a road's own slope and the pooled slope weigh the same
SHRINK_SPAN = 150.0
#: past the ends of a road's geometry by more than this, an estimate scores lower (the road
#: may be cut by the data's edge, or be a pedestrian street missing from a drive graph)
BEYOND_ROAD_M = 100.0


def theil_sen(x: np.ndarray, y: np.ndarray) -> float:
    """Median of the pairwise slopes (Theil 1950, Sen 1968): robust to a few wrong points."""
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    keep = dx != 0
    return float(np.median((y[j] - y[i])[keep] / dx[keep])) if keep.any() else 0.0


#: a parallel road this far across weighs half as much on where numbering starts
ORIGIN_REACH_M = 500.0
#: least weight of parallel roads nearby for them to say where numbering starts (one road
#: beside it counts 1, one :data:`ORIGIN_REACH_M` away 0.5)
ORIGIN_MIN_WEIGHT = 0.5
#: share of the weight that must put the start on one side (:meth:`Numbering.from_origin`)
ORIGIN_AGREE = 0.75
#: how many of the nearest known numbers vote on where a number stands
ANCHORS = 5
#: records of a side that give its depth from the road; fewer are capped at the usual setback
MIN_SIDE_OFFSET = 3
#: a road end this close to the edge of the data may be cut off there
EDGE_M = 150.0


@dataclass(frozen=True)
class NumberModel:
    """The known numbers of one road on its axis, and the slope fitted to them."""

    centre: np.ndarray
    u: np.ndarray
    numbers: np.ndarray
    t: np.ndarray
    offset: np.ndarray
    road_t: np.ndarray
    road_o: np.ndarray
    slope: float | None  # the road's own Theil-Sen slope (None: too few numbers)
    span: float

    @classmethod
    def build(cls, numbers: np.ndarray, xy: np.ndarray, road: shapely.Geometry
              ) -> NumberModel | None:
        coords = shapely.get_coordinates(shapely.segmentize(road, 20.0))
        if len(coords) < 2:
            return None
        centre = coords.mean(axis=0)
        u = np.linalg.svd(coords - centre, full_matrices=False)[2][0]
        v = np.array([-u[1], u[0]])
        rt, ro = (coords - centre) @ u, (coords - centre) @ v
        bins = np.floor(rt / 20.0)
        keys = np.unique(bins)
        road_t = np.array([rt[bins == k].mean() for k in keys])
        road_o = np.array([np.median(ro[bins == k]) for k in keys])
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        t = (xy - centre) @ u
        centre_o = np.interp(t, road_t, road_o)
        offset = (xy - centre) @ v - centre_o
        nums = numbers.astype(float)
        span = float(nums.max() - nums.min()) if len(nums) else 0.0
        slope = theil_sen(nums, t) if len(np.unique(nums)) >= 2 else None
        return cls(centre, u, nums, t, offset, road_t, road_o, slope, span)

    def origin(self) -> tuple[np.ndarray, np.ndarray]:
        """Where number 0 would stand on the axis (the fitted line's intercept, the median
        of ``t - slope · n``) and where the road's known numbers stand (their median)."""
        t0 = float(np.median(self.t - self.axis_slope * self.numbers))
        return self.centre + t0 * self.u, self.centre + float(np.median(self.t)) * self.u

    @property
    def axis_slope(self) -> float | None:
        """The road's slope when it reads as a numbered sequence (0.2-30 m per number)."""
        if self.slope is None or not 0.2 <= abs(self.slope) <= 30.0:
            return None
        return self.slope

    def point(self, t: float, side: float) -> tuple[float, float]:
        """Metric point at position ``t`` along the axis, ``side`` metres off the road's centre."""
        o = float(np.interp(t, self.road_t, self.road_o)) + side
        v = np.array([-self.u[1], self.u[0]])
        p = self.centre + t * self.u + o * v
        return float(p[0]), float(p[1])

    def locate(self, n: int, slope: float, one_sided: bool) -> tuple[float, int, float]:
        """Position ``t`` of ``n``: the weighted median of ``t_j + slope · (n - n_j)`` over the
        :data:`ANCHORS` known numbers ``n_j`` nearest to ``n`` (of its parity when two are
        known), nearer ones weighing more; one misplaced record does not move it. Returns
        ``(t, nearest anchor, distance moved from it)``."""
        gap = np.abs(self.numbers - n)
        same = self.numbers % 2 == n % 2
        pool = np.flatnonzero(same) if (same.sum() >= 2 and not one_sided) else \
            np.arange(len(self.numbers))
        near = pool[np.argsort(gap[pool], kind="stable")[:ANCHORS]]
        preds = self.t[near] + slope * (n - self.numbers[near])
        weights = 1.0 / (1.0 + gap[near] / 50.0)
        order = np.argsort(preds)
        cum = np.cumsum(weights[order])
        t = float(preds[order][np.searchsorted(cum, cum[-1] / 2.0)])
        a = near[0]
        return t, int(self.numbers[a]), t - float(self.t[a])

    def side(self, n: int, one_sided: bool, setback: float | None = None) -> float:
        """Offset across the road for number ``n``: its parity's known side (or the mirror of
        the other parity's side; every number's side on a one-sided street), no farther than
        ``setback`` from the road when fewer than :data:`MIN_SIDE_OFFSET` records give it
        (one record may stand deep inside its block)."""
        same = np.ones(len(self.numbers), bool) if one_sided else self.numbers % 2 == n % 2
        pool, sign = (self.offset[same], 1.0) if same.any() else (self.offset[~same], -1.0)
        o = float(np.median(pool))
        if setback is not None and (len(pool) < MIN_SIDE_OFFSET or not same.any()):
            o = float(np.sign(o)) * min(abs(o), setback)
        return sign * o


@dataclass
class Numbering:
    """Per-road number models plus what all roads say together (pooled slope, directions)."""

    models: dict[str, NumberModel]
    pooled_slope: float | None
    directions: list[tuple[np.ndarray, float]]  # (axis, signed slope) of well-fitted roads
    roads: dict[str, shapely.Geometry]
    extent: tuple[float, float, float, float] | None  # bounds of every road: the data's edge
    #: the usual distance of an address from its road's line: the median over every record
    setback: float | None = None
    #: (axis, where number 0 would stand, where the road's records stand) of well-fitted roads
    origins: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    _bare: dict[str, NumberModel] = field(default_factory=dict)  # roads with no known number

    @classmethod
    def build(cls, lines: dict, roads: dict[str, shapely.Geometry]) -> Numbering:
        models = {}
        for key, line in lines.items():
            road = roads.get(key[0])
            if key[1] is not None or key[2] is not None or road is None or road.is_empty:
                continue
            model = NumberModel.build(line.numbers, line.xy, road)
            if model is not None:
                models[key[0]] = model
        fitted = [m for m in models.values()
                  if m.axis_slope is not None and len(m.numbers) >= 3 and m.span >= 20]
        pooled = float(np.median([abs(m.axis_slope) for m in fitted])) if fitted else None
        bounds = np.array([g.bounds for g in roads.values() if not g.is_empty])
        extent = (tuple(bounds[:, :2].min(axis=0)) + tuple(bounds[:, 2:].max(axis=0))
                  if len(bounds) else None)
        offsets = [np.abs(m.offset) for m in models.values() if len(m.offset)]
        setback = float(np.median(np.concatenate(offsets))) if offsets else None
        return cls(models, pooled, [(m.u, m.axis_slope) for m in fitted], roads, extent,
                   setback, [(m.u, *m.origin()) for m in fitted])

    def from_start(self, road: str, n: int
                   ) -> tuple[tuple[float, float], float, str, dict] | None:
        """Number ``n`` on a road with no known number: ``n`` pooled spacings from its start.

        Numbers start at 1 at one end of a road; which end comes from the roads alike
        (:meth:`rising`). When that end touches the edge of the data the road goes on
        beyond it, its start is unknown, and there is no estimate.
        """
        geom = self.roads.get(road)
        if self.pooled_slope is None or geom is None or geom.is_empty or self.extent is None:
            return None
        if road not in self._bare:
            self._bare[road] = NumberModel.build(np.zeros(0), np.zeros((0, 2)), geom)
        m = self._bare[road]
        sign = self.rising(m.u, m.centre) if m is not None else None
        if sign is None:
            return None
        t0 = float(m.road_t[0] if sign > 0 else m.road_t[-1])
        start = m.centre + t0 * m.u
        x0, y0, x1, y1 = self.extent
        if min(start[0] - x0, x1 - start[0], start[1] - y0, y1 - start[1]) < EDGE_M:
            return None
        move = sign * self.pooled_slope * max(n - 1, 0)
        if abs(move) > float(m.road_t[-1] - m.road_t[0]) + BEYOND_ROAD_M:
            return None  # beyond the road's far end: the numbering is not what we think
        xy = m.point(t0 + move, 0.0)
        score = float(np.clip(0.45 - abs(move) / 2500.0, 0.15, 0.45))
        return xy, score, (f"no number known on the road: {abs(move):.0f} m from its start "
                           f"({self.pooled_slope:.1f} m per number, direction from roads alike)"
                           ), {"move_m": abs(move), "n_known": 0.0, "guessed": 1.0}

    def rising(self, u: np.ndarray, at: np.ndarray | None = None) -> float | None:
        """+1 or -1: the way numbers rise along axis ``u``, from roads of similar orientation.

        With ``at`` (a point of the road), first away from where the parallel roads nearby
        start (:meth:`from_origin`); when they do not agree, the way most roads of similar
        orientation rise."""
        if at is not None and (sign := self.from_origin(u, at)) is not None:
            return sign
        vote = sum(float(np.sign(s) * (u @ d)) * abs(u @ d) ** 4 for d, s in self.directions
                   if abs(u @ d) >= 0.8)
        return float(np.sign(vote)) if abs(vote) >= 1.0 else None

    def from_origin(self, u: np.ndarray, at: np.ndarray) -> float | None:
        """+1 or -1: numbers rise along ``u`` away from where the parallel roads nearby start.

        Shanghai numbers its roads from a common line: a north-south road in Puxi from
        延安路 outward (north of it northward, south of it southward), so the direction
        flips from one block to the next and no city-wide vote gets both right. Each
        well-fitted road of similar orientation (``|u·d| ≥ 0.8``) says where its number 0
        would stand (:meth:`NumberModel.origin`), projected on ``u`` from ``at``; nearer
        roads weigh more (``1 / (1 + (d / R)²)``, ``d`` from ``at`` to the road's records,
        ``R`` = :data:`ORIGIN_REACH_M`). When :data:`ORIGIN_AGREE` of the weight puts the
        start on one side of ``at``, numbers rise away from it; otherwise, or with less
        than :data:`ORIGIN_MIN_WEIGHT` of weight (no parallel road nearby), ``None``
        (east-west roads start at many cross streets: there the city-wide vote decides)."""
        vals, weights = [], []
        for d, p0, where in self.origins:
            c = float(u @ d)
            if abs(c) < 0.8:
                continue
            far = float(np.hypot(*(at - where)))
            weights.append(abs(c) ** 4 / (1.0 + (far / ORIGIN_REACH_M) ** 2))
            vals.append(float((p0 - at) @ u))
        w, v = np.asarray(weights), np.asarray(vals)
        if w.sum() < ORIGIN_MIN_WEIGHT:
            return None
        behind = float(w[v < 0].sum() / w.sum())
        if max(behind, 1.0 - behind) < ORIGIN_AGREE:
            return None
        return 1.0 if behind > 0.5 else -1.0

    def estimate(self, road: str, n: int, *, one_sided: bool = False
                 ) -> tuple[tuple[float, float], float, str, dict] | None:
        """``(xy, rule score, detail, features)`` for number ``n`` on ``road`` beyond its known
        numbers; features: the distance moved, the numbers known, whether the direction was
        taken from roads alike (``guessed``)."""
        m = self.models.get(road)
        if m is None:
            return None
        own = m.axis_slope
        if self.pooled_slope is None and own is None:
            return None
        if own is not None:
            w = m.span ** 2 / (m.span ** 2 + SHRINK_SPAN ** 2)
            prior = self.pooled_slope if self.pooled_slope is not None else abs(own)
            slope = w * own + (1 - w) * np.sign(own) * prior
            how = f"{abs(slope):.1f} m per number (road {abs(own):.1f}, weight {w:.2f})"
        else:
            sign = self.rising(m.u, m.centre + float(np.median(m.t)) * m.u)
            if sign is None:
                return None
            slope = sign * self.pooled_slope
            how = f"{abs(slope):.1f} m per number, direction from roads alike"
        t, a, move = m.locate(n, slope, one_sided)
        xy = m.point(t, m.side(n, one_sided, self.setback))
        score = float(np.clip(0.6 - abs(move) / 2500.0, 0.15, 0.6))
        if own is None:
            score *= 0.8
        if not m.road_t[0] - BEYOND_ROAD_M <= t <= m.road_t[-1] + BEYOND_ROAD_M:
            score *= 0.7
        detail = f"extrapolated {abs(move):.0f} m along the road from {a}号 ({how})"
        if not one_sided and not (m.numbers % 2 == n % 2).any():
            detail += "; only the other side is known: its side of the road mirrored"
        return xy, score, detail, {"move_m": abs(float(move)), "n_known": float(len(m.numbers)),
                                   "guessed": float(own is None)}
