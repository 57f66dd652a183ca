"""House numbers placed by their measure along the road (linear referencing).

A real geocoder does not draw a straight axis through a road: it measures
along the road itself. Here each named road gets a **spine**, one line that
follows the road through its bends, and every known address of the road gets
a measure ``m`` (metres along the spine from its start) and a signed side
offset ``o`` (metres to the left, positive, or right of the spine).

The spine
---------
OSM draws a road as many pieces: two carriageways, slip roads, pieces broken
at every bridge. Points are sampled every :data:`STEP_M` metres along every
piece, each piece followed point to point, and points closer than
:data:`LINK_M` linked at :data:`DETOUR` times their length (so two
carriageways are one corridor, but a path follows the pieces round a corner
rather than cutting it); pieces farther apart are joined at their nearest
points. The spine
is the shortest path through that graph between its two most distant points
(the graph's diameter, :func:`scipy.sparse.csgraph.dijkstra` twice),
simplified (Douglas-Peucker, :data:`SIMPLIFY_M`) so that it does not zig-zag
between carriageways while its corners stay where they are. A
bending road gets a bending spine; side pieces hang off it and project onto it.

Placing a number
----------------
Shanghai numbers one side odd and the other even, both rising the same way.
The known numbers of ``n``'s parity (all of them on a one-sided street) are
first cleared of misplaced records: a record whose measure goes against the
road's direction while its two neighbours agree with each other is dropped
(:func:`monotone_run`), so one misplaced record cannot pull its neighbours'
numbers to the other end of the road. Then, with ``a < n < b`` the nearest kept
neighbours::

    m(n) = m(a) + (n - a) / (b - a) · (m(b) - m(a)),   o(n) likewise

and the point is the spine at ``m(n)`` moved ``o(n)`` across it: on the
neighbours' side of the road, following the road between them. Beyond the
last known number the measure goes on at the road's own spacing: the median of
the metres per number between consecutive known numbers of one side
(:meth:`MeasuredNumbers.gap_slope`, robust to a jump in the numbering; with too
few pairs, Theil-Sen shrunk toward the pooled slope of every road), voted by the
nearest known numbers of its side (of both sides when its side knows fewer than
:data:`MIN_SIDE`: odd and even rise together, and one record of a side may be
filed far from its number), with a score that falls with the distance moved; more
than :data:`BEYOND_END_M` past the road's geometry and its known records the
score is lower and the answer says so. It is not clamped to the road's end:
road data stops short of roads (a drive graph has no pedestrian street, so its
南京东路 ends where the street goes on), and on real addresses clamping placed
such numbers hundreds of metres off. There the spine's last direction is
followed straight on.

References: ISO 19148 (linear referencing); Theil (1950) and Sen (1968) for
the slope.

>>> from shapely.geometry import LineString
>>> spine = RoadSpine.build(LineString([(0, 0), (100, 0), (100, 100)]))
>>> round(spine.length)
200
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString

__all__ = ["BEYOND_END_M", "MIN_GAP_PAIRS", "MIN_ROAD_POINTS", "MeasuredNumbers", "RoadSpine",
           "monotone_run"]

#: the spine is simplified to within this (Douglas-Peucker), its corners kept
SIMPLIFY_M = 10.0
#: sampling step along the road's pieces (metres)
STEP_M = 15.0
#: pieces closer than this are one corridor (two carriageways, a piece broken at a bridge)
LINK_M = 45.0
#: an extrapolation farther than this past the road's geometry and known records scores lower;
#: a road estimated from its addresses goes on this far past its first and last known ones
BEYOND_END_M = 100.0
#: fewest consecutive same-side pairs for the road's own spacing (:meth:`MeasuredNumbers.gap_slope`)
MIN_GAP_PAIRS = 3
#: fewest distinct address points from which a road missing from the road data is estimated
MIN_ROAD_POINTS = 3
#: how many of the nearest known numbers vote on an extrapolated measure
ANCHORS = 5
#: fewest known numbers on a side that extrapolate on their own; with fewer, both sides' vote
MIN_SIDE = 2
#: fewest known numbers on a side whose own median offset places its numbers across the road
MIN_SIDE_OFFSET = 3
#: a link between pieces (or across a corner) costs this many times its length
DETOUR = 3.0
#: most samples per road (a longer road is sampled more coarsely)
_MAX_SAMPLES = 2500


def _samples(road: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Points every :data:`STEP_M` along each piece (its vertices too, so a corner is on the
    spine), and the pairs of points that follow each other on a piece."""
    parts = [g for g in shapely.get_parts(road) if g.geom_type == "LineString" and g.length > 0]
    total = sum(g.length for g in parts)
    step = max(STEP_M, total / _MAX_SAMPLES)
    pts, pairs, start = [], [], 0
    for g in parts:
        at = np.linspace(0.0, g.length, max(2, int(np.ceil(g.length / step)) + 1))
        if len(g.coords) <= len(at):
            at = np.union1d(at, shapely.line_locate_point(g, shapely.points(g.coords)))
        pts.append(shapely.get_coordinates(shapely.line_interpolate_point(g, at)))
        pairs.append(np.column_stack([np.arange(start, start + len(at) - 1),
                                      np.arange(start + 1, start + len(at))]))
        start += len(at)
    if not pts:
        return np.zeros((0, 2)), np.zeros((0, 2), int)
    return np.concatenate(pts), np.concatenate(pairs)


def _corridor(pts: np.ndarray, along: np.ndarray):
    """Graph of the samples: each piece followed point to point; links within :data:`LINK_M`
    between other points cost :data:`DETOUR` times their length, so a path follows the
    pieces and crosses over only where they part; components joined at their nearest."""
    tree = cKDTree(pts)
    pairs = tree.query_pairs(LINK_M, output_type="ndarray")
    i, j = (pairs[:, 0], pairs[:, 1]) if len(pairs) else (np.zeros(0, int), np.zeros(0, int))
    n = len(pts)
    ai, aj = along[:, 0], along[:, 1]
    # a pair that follows a piece is an edge once (a sparse matrix sums repeated entries)
    other = ~np.isin(np.minimum(i, j) * n + np.maximum(i, j), np.minimum(ai, aj) * n
                     + np.maximum(ai, aj))
    i, j = i[other], j[other]
    w = np.hypot(*(pts[i] - pts[j]).T) * DETOUR
    i, j = np.concatenate([i, ai]), np.concatenate([j, aj])
    w = np.concatenate([w, np.hypot(*(pts[ai] - pts[aj]).T)])
    _, comp = connected_components(coo_matrix((w + 1e-9, (i, j)), shape=(n, n)), directed=False)
    extra_i, extra_j, extra_w = [], [], []
    joined = comp.copy()
    while len(np.unique(joined)) > 1:
        first = joined == joined[0]
        d, k = cKDTree(pts[~first]).query(pts[first])
        a = int(np.argmin(d))
        b = int(np.flatnonzero(~first)[k[a]])
        a = int(np.flatnonzero(first)[a])
        extra_i.append(a)
        extra_j.append(b)
        extra_w.append(float(d.min()) * DETOUR)
        joined[joined == joined[b]] = joined[0]
    i = np.concatenate([i, extra_i]).astype(int)
    j = np.concatenate([j, extra_j]).astype(int)
    w = np.concatenate([w, extra_w])
    return coo_matrix((w + 1e-9, (i, j)), shape=(n, n)).tocsr()


@dataclass(frozen=True)
class RoadSpine:
    """One line that follows a road through its bends; measures and offsets along it."""

    line: LineString

    @classmethod
    def build(cls, road: shapely.Geometry) -> RoadSpine | None:
        if road is None or road.is_empty:
            return None
        pts, along = _samples(road)
        if len(pts) < 2:
            return None
        graph = _corridor(pts, along)
        d0 = dijkstra(graph, directed=False, indices=0)
        a = int(np.argmax(np.where(np.isfinite(d0), d0, -1)))
        da, pred = dijkstra(graph, directed=False, indices=a, return_predecessors=True)
        b = int(np.argmax(np.where(np.isfinite(da), da, -1)))
        path = [b]
        while path[-1] != a and pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        xy = pts[path[::-1]]
        if len(xy) < 2:
            return None
        if tuple(xy[0]) > tuple(xy[-1]):  # a fixed direction: from its west (then south) end
            xy = xy[::-1]
        # simplified: no zig-zag between carriageways, corners kept
        return cls(LineString(xy).simplify(SIMPLIFY_M))

    @classmethod
    def from_points(cls, xy: np.ndarray) -> RoadSpine | None:
        """A road the road data lacks, estimated from its known addresses: the principal
        axis of their points (the direction of greatest spread), from the first point's
        projection to the last's, extended :data:`BEYOND_END_M` at each end (the road goes
        on past its last known address by some unknown length). ``None`` with fewer than
        :data:`MIN_ROAD_POINTS` distinct points, or points with no clear direction (the
        second axis spreads more than half as far as the first)."""
        pts = np.unique(np.asarray(xy, dtype=float).reshape(-1, 2), axis=0)
        if len(pts) < MIN_ROAD_POINTS:
            return None
        centre = pts.mean(axis=0)
        _, sv, vt = np.linalg.svd(pts - centre, full_matrices=False)
        if sv[0] == 0 or sv[1] > 0.5 * sv[0]:
            return None
        u = vt[0]
        t = (pts - centre) @ u
        a, b = t.min() - BEYOND_END_M, t.max() + BEYOND_END_M
        ends = np.array([centre + a * u, centre + b * u])
        if tuple(ends[0]) > tuple(ends[1]):  # the same fixed direction as :meth:`build`
            ends = ends[::-1]
        return cls(LineString(ends))

    @property
    def length(self) -> float:
        return float(self.line.length)

    def measure(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Measure along the spine and signed offset (left positive) of points ``xy`` (k×2).

        A point beyond an end of the spine (a road that the data cuts short, a pedestrian
        street missing from a drive graph) is measured on the spine's last direction
        straight on, so the measure keeps growing past the end."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        pts = shapely.points(xy)
        m = shapely.line_locate_point(self.line, pts)
        q = shapely.get_coordinates(shapely.line_interpolate_point(self.line, m))
        t = self._tangent(m)
        rel = xy - q
        along = t[:, 0] * rel[:, 0] + t[:, 1] * rel[:, 1]
        length = self.length
        past = ((m >= length - 1e-6) & (along > 0)) | ((m <= 1e-6) & (along < 0))
        m = np.where(past, m + along, m)
        rel = rel - np.where(past, along, 0.0)[:, None] * t
        o = t[:, 0] * rel[:, 1] - t[:, 1] * rel[:, 0]
        return m, o

    def _tangent(self, m: np.ndarray) -> np.ndarray:
        a = shapely.get_coordinates(shapely.line_interpolate_point(self.line, np.clip(m - 10, 0, None)))
        b = shapely.get_coordinates(shapely.line_interpolate_point(self.line, m + 10))
        d = b - a
        norm = np.hypot(d[:, 0], d[:, 1])
        norm[norm == 0] = 1.0
        return d / norm[:, None]

    def point(self, m: float, o: float) -> tuple[float, float]:
        """The point at measure ``m`` (clipped to the spine's ends), ``o`` metres to its left.

        Past an end the spine's last direction is followed straight on."""
        length = self.length
        mm = float(np.clip(m, 0.0, length))
        q = shapely.get_coordinates(shapely.line_interpolate_point(self.line, mm))[0]
        t = self._tangent(np.array([mm]))[0]
        q = q + t * (m - mm)
        return float(q[0] - t[1] * o), float(q[1] + t[0] * o)


def monotone_run(numbers: np.ndarray, m: np.ndarray, slope: float) -> np.ndarray:
    """Indices of the records that agree with their neighbours on the road's order
    (``numbers`` ascending, ``slope``'s sign the road's direction).

    A record is a spike when its measure goes against the direction on one side and
    with it on the other while its two neighbours agree with each other; spikes are
    dropped, the farthest from its neighbours' mean first, until none is left. A
    misplaced record goes; a run of records numbered on from another block (a jump in
    the numbering, a second side numbered apart) stays."""
    keep = list(range(len(numbers)))
    sign = float(np.sign(slope)) or 1.0
    while len(keep) >= 3:
        mk = m[keep] * sign
        worst, worst_d = None, 0.0
        for j in range(len(keep)):
            prev = mk[j - 1] if j > 0 else None
            nxt = mk[j + 1] if j + 1 < len(keep) else None
            if prev is not None and nxt is not None:
                spike = (mk[j] < prev and nxt >= prev) or (mk[j] > nxt and nxt >= prev)
                dev = abs(mk[j] - (prev + nxt) / 2.0)
            elif nxt is not None:  # the first record: against the next two
                spike = j + 2 < len(keep) and mk[j] > nxt and mk[j + 2] >= nxt
                dev = abs(mk[j] - nxt)
            else:  # the last record: against the previous two
                spike = mk[j] < prev and prev >= mk[j - 2]
                dev = abs(mk[j] - prev)
            if spike and dev > worst_d:
                worst, worst_d = j, dev
        if worst is None:
            break
        del keep[worst]
    return np.asarray(keep, dtype=int)


def _theil_sen(x: np.ndarray, y: np.ndarray) -> float:
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    keep = dx != 0
    return float(np.median((y[j] - y[i])[keep] / dx[keep])) if keep.any() else 0.0


@dataclass(frozen=True)
class MeasuredNumbers:
    """The known numbers of one road on its spine: ``numbers`` ascending, with ``m`` and ``o``."""

    spine: RoadSpine
    numbers: np.ndarray
    m: np.ndarray
    o: np.ndarray
    slope: float  # metres of measure per number (signed; 0 when unknown)

    @classmethod
    def build(cls, numbers: np.ndarray, xy: np.ndarray, spine: RoadSpine
              ) -> MeasuredNumbers:
        order = np.argsort(numbers, kind="stable")
        nums = np.asarray(numbers, dtype=float)[order]
        m, o = spine.measure(np.asarray(xy, dtype=float).reshape(-1, 2)[order])
        slope = _theil_sen(nums, m) if len(np.unique(nums)) >= 2 else 0.0
        return cls(spine, nums, m, o, slope)

    def gap_slope(self, *, one_sided: bool = False) -> float | None:
        """Metres of measure per number from the road's own consecutive pairs: for each side
        (parity; the whole road when ``one_sided``), the kept numbers in order, each pair's
        ``Δm / Δn``; the median over both sides, signed. ``None`` with fewer than
        :data:`MIN_GAP_PAIRS` pairs (then the shrunk Theil-Sen slope is used)."""
        keep = self.kept()
        nums, m = self.numbers[keep], self.m[keep]
        rates = []
        for side in ([np.ones(len(nums), bool)] if one_sided
                     else [nums % 2 == 0, nums % 2 == 1]):
            dn, dm = np.diff(nums[side]), np.diff(m[side])
            ok = dn > 0
            rates.append(dm[ok] / dn[ok])
        rates = np.concatenate(rates) if rates else np.zeros(0)
        if len(rates) < MIN_GAP_PAIRS:
            return None
        return float(np.median(rates))

    def sides(self) -> str:
        """Which side of the spine the odd and the even numbers keep to: ``"opposite"`` (the
        usual rule), ``"same"`` (a waterfront: every number on one side; needs 3 of each
        parity) or ``"unknown"``; a parity keeps to a side when 3/4 of it agrees."""
        odd = np.sign(self.o[self.numbers % 2 == 1])
        even = np.sign(self.o[self.numbers % 2 == 0])
        if not len(odd) or not len(even) or len(self.numbers) < 3:
            return "unknown"
        if abs(odd.mean()) < 0.5 or abs(even.mean()) < 0.5:
            return "unknown"
        if np.sign(odd.mean()) != np.sign(even.mean()):
            return "opposite"
        return "same" if min(len(odd), len(even)) >= 3 else "unknown"

    def kept(self) -> np.ndarray:
        """Indices of the numbers in the road's order, each side (parity) on its own:
        misplaced records are dropped (:func:`monotone_run`)."""
        if len(self.numbers) < 3:
            return np.arange(len(self.numbers))
        out = []
        for parity in (0, 1):
            side = np.flatnonzero(self.numbers % 2 == parity)
            out.append(side if len(side) < 3 else
                       side[monotone_run(self.numbers[side], self.m[side], self.slope)])
        return np.sort(np.concatenate(out))

    def place(self, n: int, *, one_sided: bool, slope: float | None = None,
              setback: float | None = None
              ) -> tuple[tuple[float, float], float, str, dict] | None:
        """``(xy, rule score, detail, features)`` for number ``n``; ``None`` when nothing is
        known. ``features``: the gap between the bracketing numbers (``gap_m``) or the
        distance extrapolated (``move_m``), how many numbers the road knows, and how far
        along the spine the answer is from the nearest known number it rests on
        (``near_m``).

        The measure comes from the nearest known numbers on either side of ``n``: its own
        side's (the textbook rule), else, when its side does not bracket it, both sides'
        (odd and even rise together: an opposite neighbour beats extrapolating far); beyond
        them, its own side's nearest numbers vote, or both sides' when its side knows fewer
        than :data:`MIN_SIDE`. The offset is its side's: interpolated between same-side
        neighbours, else its side's (:func:`_side_offset`; ``setback`` caps a mirrored
        one). ``slope`` (metres per number, signed) extrapolates beyond the known numbers
        instead of the road's own."""
        keep = self.kept()
        if not len(keep):
            return None
        nums, m, o = self.numbers[keep], self.m[keep], self.o[keep]
        same = np.ones(len(nums), bool) if one_sided else nums % 2 == n % 2
        side_o = _side_offset(o, same, setback)
        mirrored = "" if same.any() else "; only the other side is known: its offset mirrored"
        own = _bracket(nums[same], n)
        both = _bracket(nums, n)
        if own is not None:
            a, b = (np.flatnonzero(same)[k] for k in own[2:])
            how = "one-sided street" if one_sided else "same side"
        elif both is not None:
            a, b = both[2:]
            how = "both sides"
        elif same.sum() >= MIN_SIDE:  # its own side's numbers vote, as they place
            own_o = o[same] if same.sum() >= MIN_SIDE_OFFSET else np.full(same.sum(), side_o)
            return self._beyond(n, nums[same], m[same], own_o, slope)
        else:  # one number or none on its side: both sides' numbers vote on the measure
            return self._beyond(n, nums, m, np.full(len(nums), side_o), slope)
        f = (n - nums[a]) / (nums[b] - nums[a])
        mm = m[a] + f * (m[b] - m[a])
        oo = o[a] + f * (o[b] - o[a]) if same[a] and same[b] else side_o
        gap = abs(float(m[b] - m[a]))
        score = float(np.clip(0.95 - 0.25 * np.log10(max(gap, 10.0) / 10.0), 0.5, 0.88))
        if how == "both sides":
            score *= 0.9
        return (self.spine.point(mm, oo), score,
                f"interpolated along the road between {int(nums[a])}号 and {int(nums[b])}号 "
                f"({how}, {gap:.0f} m apart){mirrored}",
                {"gap_m": gap, "n_known": float(len(nums)),
                 "near_m": float(min(abs(mm - m[a]), abs(m[b] - mm))),
                 "odd_rate": _odd_rate(gap / (nums[b] - nums[a]), self.slope if slope is None
                                       else slope)})

    def _beyond(self, n, nums, m, o, slope):
        """Past the known numbers: the weighted median of ``m_j + slope · (n - n_j)`` over
        the :data:`ANCHORS` nearest known numbers (nearer ones weigh more), so one misplaced
        record does not carry it. More than :data:`BEYOND_END_M` past the road's geometry
        and its known records the score is lower and the answer says so (not clamped: a
        drive graph stops short of a pedestrian street, 南京东路 goes on past it)."""
        s = self.slope if slope is None else slope
        if s == 0:
            return None
        gap = np.abs(nums - n)
        near = np.argsort(gap, kind="stable")[:ANCHORS]
        preds = m[near] + s * (n - nums[near])
        weights = 1.0 / (1.0 + gap[near] / 50.0)
        order = np.argsort(preds)
        cum = np.cumsum(weights[order])
        want = float(preds[order][np.searchsorted(cum, cum[-1] / 2.0)])
        # the known records may themselves lie past the geometry's ends (measured on)
        lo, hi = min(0.0, float(self.m.min())), max(self.spine.length, float(self.m.max()))
        mm = want
        a = int(near[0])
        move = abs(mm - float(m[a]))
        score = float(np.clip(0.6 - move / 2500.0, 0.2, 0.6))
        clamped = ""
        past = max(lo - mm, mm - hi)
        if past > BEYOND_END_M:
            score *= 0.7
            clamped = (f"; {past:.0f} m past the end of the road's geometry and records "
                       "(the road data may stop short of the road)")
        return (self.spine.point(mm, float(o[a])), score,
                f"extrapolated {move:.0f} m along the road from {int(nums[a])}号 "
                f"({abs(s):.1f} m per number){clamped}",
                {"move_m": move, "n_known": float(len(self.kept())),
                 "near_m": float(np.min(np.abs(mm - m[near])))})


def _side_offset(o: np.ndarray, same: np.ndarray, setback: float | None = None) -> float:
    """Offset across the spine of a number whose side (parity) holds ``same``.

    Both sides of a road stand about as far from its middle: with :data:`MIN_SIDE_OFFSET`
    or more numbers on its side, their median offset; with fewer, the side's sign (the
    other side's mirrored when it has none) at the median distance of every known number
    from the spine, so one record set back from the road (a building behind a forecourt)
    does not carry the side's offset. Unless :data:`MIN_SIDE_OFFSET` numbers of the road
    agree on a depth, the distance is no more than ``setback`` (the usual distance of every
    road's addresses from their road): a road's few records may stand deep inside their
    block (嵩山路69号, 76 m in), and carrying that depth to a neighbour (or mirroring it to
    the other side) puts the answer that far off."""
    if same.sum() >= MIN_SIDE_OFFSET:
        return float(np.median(o[same]))
    far = float(np.median(np.abs(o)))
    if len(o) < MIN_SIDE_OFFSET and setback is not None:
        far = min(far, setback)
    if same.any():
        return float(np.sign(np.median(o[same])) * far)
    return float(-np.sign(np.median(o)) * (far if setback is None else min(far, setback)))


def _odd_rate(rate: float, slope: float) -> float:
    """How far the metres per number between two neighbours stray from the road's own
    (``|log ratio|``, 0 when either is unknown): 68号 and 763号 61 m apart on a road of
    2 m per number say that one of them, or the numbering there, is not what it seems."""
    if rate <= 0 or slope == 0:
        return 0.0
    return float(abs(np.log(max(rate, 0.01) / abs(slope))))


def _bracket(nums: np.ndarray, n: int) -> tuple[int, int, int, int] | None:
    """``(a, b, i, j)``: the known numbers ``a = nums[i] < n < b = nums[j]``, or ``None``."""
    i = int(np.searchsorted(nums, n))
    if 0 < i < len(nums):
        return int(nums[i - 1]), int(nums[i]), i - 1, i
    return None
