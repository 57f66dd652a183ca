"""The shortest straight cuts that split a polygon into pieces of bounded share.

A compound (小区) too heavy for one microgrid must be cut; the rule
打破围墙边界、内外一网覆盖 wants the cut short, and on an internal road or path
where one exists. :func:`slices_offroad` measures ``m - 1`` parallel cuts in
one direction, each placed where the pieces' shares allow and where it lies
least off roads; :func:`shortest_cut_angle` tries directions every 15°. The
rule metrics use it for the floor the data impose.

Households are taken as spread by area (a compound without footprints knows no
better), so a piece's share is its share of the area, unless ``masses`` say
where the workload lies (points count where they stand, polygons spread by
area): a road block is cut between its buildings, not through the middle of its
area.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
import shapely.affinity

__all__ = ["slices_offroad", "shortest_cut_angle", "ANGLES"]

#: directions tried (radians): every 15°
ANGLES = tuple(math.radians(a) for a in range(0, 180, 15))


def slices_offroad(poly, m: int, cap: float, zone, angle: float, samples: int = 48,
                   masses=None) -> float:
    """Off-road length of the shortest ``m - 1`` cuts across ``poly`` at ``angle``.

    The cuts are parallel lines across ``poly`` at ``angle`` + 90° (``angle``
    is the direction along which the pieces follow each other, in radians),
    placed so that no piece holds more than ``cap`` of the area, at the ``samples``
    positions where their total length outside ``zone`` (the roads' and
    water's reach) is least. ``masses``: ``(geometries, weights)`` giving the
    share instead of the area (points where they stand, polygons by area).

    >>> box = shapely.box(0, 0, 300, 60)
    >>> round(slices_offroad(box, 2, 0.575, shapely.Polygon(), 0.0), 1)
    60.0
    >>> round(slices_offroad(box, 2, 0.575, shapely.Polygon(), math.pi / 2), 1)
    300.0

    Two equal buildings at the west end: the cut falls between them, not mid-box.

    >>> pts = shapely.points([(10, 30), (40, 30)]), np.array([1.0, 1.0])
    >>> round(slices_offroad(box, 2, 0.575, shapely.box(100, 0, 300, 60), 0.0,
    ...                      masses=pts), 1)
    60.0
    """
    origin = shapely.centroid(poly)
    q = shapely.affinity.rotate(poly, -angle, origin=origin, use_radians=True)
    z = shapely.affinity.rotate(zone, -angle, origin=origin, use_radians=True)
    x0, y0, x1, y1 = shapely.bounds(q)
    xs = x0 + (x1 - x0) * (np.arange(samples) + 0.5) / samples
    boxes = shapely.box(x0 - 1, y0 - 1, xs, y1 + 1)
    if masses is None:
        frac = shapely.area(shapely.intersection(q, boxes)) / max(shapely.area(q), 1e-9)
    else:
        frac = _west_share(masses, boxes, xs, angle, origin)
    chords = shapely.intersection(shapely.linestrings(
        np.stack([np.stack([xs, np.full(samples, y0 - 1)], 1),
                  np.stack([xs, np.full(samples, y1 + 1)], 1)], 1)), q)
    off = shapely.length(shapely.difference(chords, z))
    return float(off[_place_cuts(frac, off, m, cap)].sum())


def shortest_cut_angle(poly, m: int, cap: float, zone, masses=None) -> tuple[float, float]:
    """``(angle, off-road metres)`` of the shortest cuts (:func:`slices_offroad`)
    over :data:`ANGLES`; the first angle wins a tie.

    >>> a, length = shortest_cut_angle(shapely.box(0, 0, 60, 300), 2, 0.575, shapely.Polygon())
    >>> round(math.degrees(a)), round(length, 1)
    (90, 60.0)
    """
    lengths = [slices_offroad(poly, m, cap, zone, a, masses=masses) for a in ANGLES]
    best = int(np.argmin(np.round(lengths, 3)))
    return ANGLES[best], float(lengths[best])


def _west_share(masses, boxes, xs: np.ndarray, angle: float, origin) -> np.ndarray:
    """Share of the ``masses`` weight west of each ``xs`` (in the frame rotated by ``-angle``)."""
    geoms, weights = np.asarray(masses[0], dtype=object), np.asarray(masses[1], dtype=float)
    total = float(weights.sum())
    if total <= 0:
        return (np.arange(len(xs)) + 1.0) / len(xs)
    rot = np.array([shapely.affinity.rotate(g, -angle, origin=origin, use_radians=True)
                    for g in geoms], dtype=object)
    point = shapely.get_type_id(rot) == 0
    west = (shapely.get_x(rot[point])[:, None] < xs[None, :]).astype(float).T \
        @ weights[point] if point.any() else np.zeros(len(xs))
    for g, w in zip(rot[~point], weights[~point]):
        a = shapely.area(g)
        if a > 0:
            west = west + w * shapely.area(shapely.intersection(g, boxes)) / a
    return west / total


def _place_cuts(frac: np.ndarray, off: np.ndarray, m: int, cap: float) -> list[int]:
    """Sample index of each of the ``m - 1`` cuts: least total ``off`` (dynamic
    programming over the samples) with every piece at most ``cap`` of the area.

    >>> _place_cuts(np.array([0.2, 0.4, 0.6, 0.8]), np.array([1.0, 5.0, 1.0, 1.0]), 3, 0.45)
    [0, 2]
    """
    tol = 1e-9
    gap = frac[:, None] - frac[None, :]  # [i, h]: the piece between cut h and cut i
    fits = (gap > tol) & (gap <= cap + tol)
    cost = np.where(frac <= cap + tol, 0.0, np.inf)  # the first piece, before cut 1
    back = []
    for j in range(1, m):
        if j == 1:
            arg = np.full(len(frac), -1)
            cost = cost + off
        else:
            cand = np.where(fits, cost[None, :], np.inf)
            arg = np.argmin(cand, axis=1)
            cost = cand[np.arange(len(frac)), arg] + off
        back.append(arg)
    last = np.where(1.0 - frac <= cap + tol, cost, np.inf)
    if not np.isfinite(last).any():  # no placement keeps every piece small: even shares
        return [int(np.argmin(np.abs(frac - j / m))) for j in range(1, m)]
    picks = [int(np.argmin(last))]
    for arg in reversed(back[1:]):
        picks.append(int(arg[picks[-1]]))
    return picks[::-1]
