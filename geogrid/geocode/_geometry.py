"""Metric geometry behind the gazetteer: house-number interpolation and road junctions.

Everything here works in a local metric CRS (metres, x east, y north); the
gazetteer converts to and from lon/lat at its edges.

House-number interpolation
--------------------------
Chinese streets number one side odd and the other even, both rising in the
same direction. A missing number ``n`` is therefore placed between its
nearest *same-parity* neighbours ``a < n < b`` on the same street::

    p(n) = p(a) + (n - a) / (b - a) * (p(b) - p(a))

Because both neighbours stand on the same side, so does ``p(n)``. Beyond the
last known number the spacing of the last two same-parity points is
continued, capped at ``max_extrapolation_m``. With fewer than two
same-parity points the opposite side is interpolated and the point is
mirrored across the road centreline (``p' = 2q - p``, ``q`` the nearest
point of the road), which keeps it on the correct side.

The rule has exceptions: along a waterfront or a park every number stands on
the one built-up side (the Bund, 中山东一路). :func:`street_sides` checks the
data: when the odd and the even points keep to the same side of the road,
all numbers are neighbours regardless of parity.

Junctions
---------
OSM roads are not noded: two named roads may cross between vertices, touch
only approximately, or meet several times (dual carriageways). The junction
of roads A and B is the set of points of ``A ∩ B``, clustered within
``cluster_m`` (a junction of two dual carriageways spreads over 100 m and
more on avenues such as 世纪大道); if they do not intersect, the midpoint of the shortest line
between them counts when it is shorter than ``tolerance_m``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point

from ._numbering import theil_sen

__all__ = [
    "NumberLine",
    "interpolate_number",
    "junctions",
    "meeting_point",
    "merge_lines",
    "offset_from_junction",
    "road_anchor",
    "street_sides",
]


@dataclass(frozen=True)
class NumberLine:
    """Known numbered points of one street: ``numbers`` sorted ascending, ``xy`` aligned."""

    numbers: np.ndarray
    xy: np.ndarray

    @classmethod
    def build(cls, numbers, xy) -> NumberLine:
        numbers = np.asarray(numbers, dtype=np.int64)
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        uniq, inverse = np.unique(numbers, return_inverse=True)
        sums = np.zeros((len(uniq), 2))
        np.add.at(sums, inverse, xy)
        counts = np.bincount(inverse, minlength=len(uniq))[:, None]
        return cls(uniq, sums / counts)

    def parity(self, p: int) -> NumberLine:
        keep = self.numbers % 2 == p
        return NumberLine(self.numbers[keep], self.xy[keep])

    def __len__(self) -> int:
        return len(self.numbers)


@dataclass(frozen=True)
class Interpolated:
    xy: tuple[float, float]
    confidence: float
    detail: str
    #: what the estimate rests on (gap_m, move_m, n_known), for the calibration
    features: dict | None = None


def _between(line: NumberLine, n: int, max_extrapolation_m: float):
    """Point for ``n`` from ``line`` (≥ 2 numbers): (xy, bracketed?, neighbours, gap_m)."""
    nums, xy = line.numbers, line.xy
    i = int(np.searchsorted(nums, n))
    if 0 < i < len(nums):
        a, b = i - 1, i
        t = (n - nums[a]) / (nums[b] - nums[a])
        gap = float(np.hypot(*(xy[b] - xy[a])))
        return xy[a] + t * (xy[b] - xy[a]), True, (int(nums[a]), int(nums[b])), gap
    a, b = (0, 1) if i == 0 else (len(nums) - 1, len(nums) - 2)  # a: the end, b: its neighbour
    step = (xy[a] - xy[b]) / (nums[a] - nums[b])  # metres per number, signed
    out = (n - nums[a]) * step
    length = float(np.hypot(*out))
    if length > max_extrapolation_m:
        out = out * (max_extrapolation_m / length)
    return xy[a] + out, False, (int(nums[a]), int(nums[b])), length


def street_sides(line: NumberLine, road: shapely.Geometry | None) -> str:
    """Which side of ``road`` the odd and the even numbers of ``line`` stand on.

    Returns ``"opposite"`` (the usual rule), ``"same"`` when both parities
    keep to one side (a waterfront such as the Bund, 中山东一路 1-33 on the west
    side only), or ``"unknown"`` without geometry or with too few points.

    A point's side is the sign of the cross product of the road's local axis
    with the vector from the axis to the point. The local axis is the
    principal direction of the road's vertices within 150 m, through their
    mean, so a dual carriageway counts as one road: a point between its two
    lines is not "left of one and right of the other". A parity keeps to a
    side when at least 3/4 of its points agree; "same" also needs 3 points of
    each parity, since it overrules the usual rule.
    """
    coords = shapely.get_coordinates(road) if road is not None and not road.is_empty else None
    if coords is None or len(coords) < 2 or len(line) < 3:
        return "unknown"
    centre = coords.mean(axis=0)
    main = np.linalg.svd(coords - centre, full_matrices=False)[2][0]
    signs = {0: [], 1: []}
    for n, xy in zip(line.numbers, line.xy):
        near = coords[np.hypot(*(coords - xy).T) <= 150.0]
        if len(near) < 2:
            near = coords[np.argsort(np.hypot(*(coords - xy).T))[:4]]
        c = near.mean(axis=0)
        d = np.linalg.svd(near - c, full_matrices=False)[2][0] if len(near) >= 2 else main
        d = d if d @ main >= 0 else -d
        cross = d[0] * (xy[1] - c[1]) - d[1] * (xy[0] - c[0])
        signs[int(n) % 2].append(np.sign(cross))
    if not signs[0] or not signs[1]:
        return "unknown"
    odd, even = np.mean(signs[1]), np.mean(signs[0])
    if abs(odd) < 0.5 or abs(even) < 0.5:
        return "unknown"
    if np.sign(odd) != np.sign(even):
        return "opposite"
    return "same" if min(len(signs[0]), len(signs[1])) >= 3 else "unknown"


def interpolate_number(line: NumberLine, n: int, road: shapely.Geometry | None = None, *,
                       sides: str = "opposite",
                       max_extrapolation_m: float = 300.0) -> Interpolated | None:
    """Estimate where house number ``n`` stands on a street (see the module docstring).

    ``sides`` comes from :func:`street_sides`: with ``"same"`` every number is
    a neighbour, whatever its parity.

    Confidence falls with the distance between the bracketing neighbours
    (0.83 for neighbours 30 m apart, 0.58 at 300 m) and is lower for
    extrapolation (≤ 0.5) and for mirrored opposite-side estimates (≤ 0.45).
    Returns ``None`` when fewer than two numbered points are known.
    """
    one_sided = sides == "same"
    same = line if one_sided else line.parity(n % 2)
    side_note = "one-sided street" if one_sided else "same side"
    if len(same) >= 2:
        p, bracketed, (a, b), gap = _between(same, n, max_extrapolation_m)
        if bracketed:
            conf = float(np.clip(0.95 - 0.25 * np.log10(max(gap, 10.0) / 10.0), 0.5, 0.85))
            return Interpolated((float(p[0]), float(p[1])), conf,
                                f"interpolated between {a}号 and {b}号 ({side_note})")
        along = _along_road(line, same, n, road) if road is not None else None
        if along is not None:
            return along
        conf = float(np.clip(0.5 - gap / 1000.0, 0.25, 0.5))
        return Interpolated((float(p[0]), float(p[1])), conf,
                            f"extrapolated {gap:.0f} m beyond {a}号 ({side_note}, spacing of {a}-{b})")
    other = line.parity(1 - n % 2)
    if len(other) >= 2 and road is not None and not road.is_empty:
        p, bracketed, (a, b), _ = _between(other, n, max_extrapolation_m)
        if not bracketed and (along := _along_road(line, same, n, road)) is not None:
            return along
        q = shapely.line_interpolate_point(road, shapely.line_locate_point(road, Point(p)))
        qx, qy = q.x, q.y
        if np.hypot(p[0] - qx, p[1] - qy) <= 80.0:
            p = (2 * qx - p[0], 2 * qy - p[1])
        conf = 0.45 if bracketed else 0.3
        return Interpolated((float(p[0]), float(p[1])), conf,
                            f"placed from the opposite side ({a}号-{b}号) and mirrored across the road")
    if len(line) >= 2:
        p, bracketed, (a, b), _ = _between(line, n, max_extrapolation_m)
        return Interpolated((float(p[0]), float(p[1])), 0.4 if bracketed else 0.25,
                            f"interpolated between {a}号 and {b}号 (sides unknown)")
    return None


#: how far from the nearest known number an extrapolation may move
_BEYOND_END_M = 1000.0


def _along_road(line: NumberLine, same: NumberLine, n: int, road: shapely.Geometry
                ) -> Interpolated | None:
    """Extrapolate ``n`` along the road's main axis from the numbers known on it.

    Positions ``t`` along the principal axis of the road's vertices are fit
    against the numbers with the Theil-Sen slope (metres per number, robust
    to a misplaced record); ``n`` goes to ``t(a) + slope · (n - a)`` from its
    nearest known same-side number ``a`` (any number, mirrored across the road,
    when that side has none), then onto the road and to ``a``'s side of it.
    Past the end of the road's geometry (a road cut off by the edge of the
    data) the axis is followed straight from ``a``, with a lower score. No
    estimate moves more than ``_BEYOND_END_M`` from ``a``. Needs 4 known numbers.
    """
    if len(line) < 4 or road.is_empty:
        return None
    coords = shapely.get_coordinates(road)
    centre = coords.mean(axis=0)
    _, _, vt = np.linalg.svd(coords - centre, full_matrices=False)
    u = vt[0]
    t = (line.xy - centre) @ u
    slope = theil_sen(line.numbers.astype(float), t)
    if abs(slope) < 0.2 or abs(slope) > 30:
        return None  # not a numbered sequence along this road
    ref, mirror = (same, 1.0) if len(same) else (line, -1.0)
    i = int(np.argmin(np.abs(ref.numbers - n)))
    a, pa = int(ref.numbers[i]), ref.xy[i]
    ends = (coords - centre) @ u
    move = float(np.clip(slope * (n - a), -_BEYOND_END_M, _BEYOND_END_M))
    want = float((pa - centre) @ u) + move
    beyond = not ends.min() <= want <= ends.max()
    if beyond:  # past the road's geometry (or the record already is): straight along the axis
        p = pa + move * u
    else:
        on_axis = Point(*(centre + want * u))
        q = shapely.line_interpolate_point(road, shapely.line_locate_point(road, on_axis))
        qa = shapely.line_interpolate_point(road, shapely.line_locate_point(road, Point(pa)))
        p = np.array([q.x, q.y]) + mirror * (pa - np.array([qa.x, qa.y]))
    gap = float(np.hypot(*(p - pa)))
    conf = float(np.clip(0.5 - gap / 2000.0, 0.2, 0.5)) * (0.7 if beyond else 1.0)
    return Interpolated((float(p[0]), float(p[1])), conf,
                        f"extrapolated {gap:.0f} m along the road from {a}号 "
                        f"({abs(slope):.1f} m per number, fit on {len(line)} numbers)")


def _parts(geom: shapely.Geometry) -> list[LineString]:
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, LineString):
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, LineString) and not g.is_empty]


def _cluster(points: np.ndarray, radius: float) -> list[np.ndarray]:
    """Greedy clusters of ``points`` (n×2) within ``radius``; largest first."""
    remaining = list(range(len(points)))
    clusters = []
    while remaining:
        seed = points[remaining[0]]
        members = [i for i in remaining if np.hypot(*(points[i] - seed)) <= radius]
        clusters.append(points[members])
        remaining = [i for i in remaining if i not in members]
    clusters.sort(key=len, reverse=True)
    return clusters


def junctions(a: shapely.Geometry, b: shapely.Geometry, *, tolerance_m: float = 40.0,
              cluster_m: float = 150.0) -> list[tuple[float, float, bool]]:
    """Junction points of two roads, largest cluster first: ``(x, y, crosses)``.

    ``crosses`` is False when the roads do not intersect and the point is the
    midpoint of their nearest approach (within ``tolerance_m``).
    """
    if a is None or b is None or a.is_empty or b.is_empty:
        return []
    inter = shapely.intersection(a, b)
    coords = []
    if not inter.is_empty:
        for g in getattr(inter, "geoms", [inter]):
            if g.is_empty:
                continue
            c = g if isinstance(g, Point) else g.centroid
            coords.append((c.x, c.y))
    if coords:
        return [(float(c[:, 0].mean()), float(c[:, 1].mean()), True)
                for c in _cluster(np.array(coords), cluster_m)]
    line = shapely.shortest_line(a, b)
    if line is None or line.length > tolerance_m:
        return []
    mid = line.interpolate(0.5, normalized=True)
    return [(mid.x, mid.y, False)]


def meeting_point(a: shapely.Geometry, b: shapely.Geometry, *, reach_m: float
                  ) -> tuple[float, float, float] | None:
    """Where two roads that do not meet in the data would meet: ``(x, y, gap)``.

    Road data stops a road short of its junction (a drive graph drops a one-way
    or pedestrian piece). When one road's line ends at the nearest approach and
    the other's goes on there, the junction is on the road that goes on, where
    the stopped one would reach it; otherwise the midpoint of the nearest
    approach. ``None`` when the roads are more than ``reach_m`` apart.
    """
    if a is None or b is None or a.is_empty or b.is_empty:
        return None
    line = shapely.shortest_line(a, b)
    if line is None or line.length > reach_m:
        return None
    qa, qb = np.asarray(line.coords)
    a_ends, b_ends = _ends_at(a, qa), _ends_at(b, qb)
    q = qa if b_ends and not a_ends else qb if a_ends and not b_ends else (qa + qb) / 2.0
    return float(q[0]), float(q[1]), float(line.length)


def _ends_at(road: shapely.Geometry, q: np.ndarray, tol_m: float = 1.0) -> bool:
    """True when ``q`` is an end of one of ``road``'s pieces."""
    ends = np.array([c for g in _parts(road) for c in (g.coords[0], g.coords[-1])])
    return bool(len(ends)) and bool(np.hypot(*(ends[:, :2] - q).T).min() <= tol_m)


def offset_from_junction(x: float, y: float, roads: list[shapely.Geometry], unit: tuple[float, float],
                         distance: float, *, max_angle_deg: float = 35.0) -> tuple[float, float, str]:
    """Move ``distance`` metres from a junction toward compass vector ``unit``.

    A person who says "交叉口东50米" walks along whichever road leaves the
    junction eastward. So each road part near the junction contributes its
    two directions of travel; the one closest to ``unit`` (within
    ``max_angle_deg``) is followed along the line. If no road leaves in
    roughly that direction the offset is a straight line.
    Returns ``(x, y, how)`` with ``how`` one of ``"along road"``, ``"straight"``.
    """
    ux, uy = unit
    here = Point(x, y)
    best, best_dot = None, np.cos(np.radians(max_angle_deg))
    for road in roads:
        for part in _parts(road):
            if part.distance(here) > 30.0:
                continue
            m = part.project(here)
            base = part.interpolate(m)
            for sign in (1.0, -1.0):
                probe = part.interpolate(float(np.clip(m + sign * 20.0, 0.0, part.length)))
                vx, vy = probe.x - base.x, probe.y - base.y
                norm = np.hypot(vx, vy)
                if norm < 5.0:
                    continue
                dot = (vx * ux + vy * uy) / norm
                if dot > best_dot:
                    best_dot, best = dot, (part, m, sign, vx / norm, vy / norm)
    if best is None:
        return x + ux * distance, y + uy * distance, "straight"
    part, m, sign, tx, ty = best
    target = m + sign * distance
    if 0.0 <= target <= part.length:
        p = part.interpolate(target)
        # the junction point may sit between carriageways: keep its offset from the line
        base = part.interpolate(m)
        return p.x + (x - base.x), p.y + (y - base.y), "along road"
    return x + tx * distance, y + ty * distance, "along road"


def road_anchor(geom: shapely.Geometry) -> tuple[float, float]:
    """A point on the road that stands for the whole road: the middle of its longest part."""
    parts = _parts(geom)
    if not parts:
        c = geom.representative_point()
        return c.x, c.y
    longest = max(parts, key=lambda g: g.length)
    p = longest.interpolate(0.5, normalized=True)
    return p.x, p.y


def merge_lines(geoms) -> shapely.Geometry:
    """Union of line geometries as one (Multi)LineString, merged where parts touch."""
    lines = []
    for g in geoms:
        lines.extend(_parts(g))
    if not lines:
        return MultiLineString()
    merged = shapely.line_merge(MultiLineString(lines))
    return merged
