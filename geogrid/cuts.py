"""The shortest straight cuts that split a polygon into pieces of bounded share.

A compound (小区) too heavy for one microgrid must be cut; the rule
打破围墙边界、内外一网覆盖 wants the cut short, and on an internal road or path
where one exists. :func:`slices_offroad` measures ``m - 1`` parallel cuts in
one direction, each placed where the pieces' shares allow and where it lies
least off roads; :func:`shortest_cut_angle` tries directions every 15°. The
rule metrics use it for the floor the data impose, the partition engine to lay
a heavy compound's cells out as slices in that direction.

Households are taken as spread by area (a compound without footprints knows no
better), so a piece's share is its share of the area.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
import shapely.affinity

__all__ = ["slices_offroad", "shortest_cut_angle", "shortest_cuts", "ANGLES"]

#: directions tried (radians): every 15°
ANGLES = tuple(math.radians(a) for a in range(0, 180, 15))


def slices_offroad(poly, m: int, cap: float, zone, angle: float, samples: int = 48, *,
                   positions: bool = False):
    """Off-road length of the shortest ``m - 1`` cuts across ``poly`` at ``angle``.

    The cuts are parallel lines across ``poly`` at ``angle`` + 90° (``angle``
    is the direction along which the pieces follow each other, in radians);
    cut ``j`` lies where the area before it is between ``1 - (m - j)·cap``
    and ``j·cap`` of the whole (no piece above ``cap``), and among the
    ``samples`` positions allowed, where its length outside ``zone`` (the
    roads' and water's reach) is least. With ``positions`` also the cuts'
    abscissae in ``poly`` turned by ``-angle`` about its centroid.

    >>> box = shapely.box(0, 0, 300, 60)
    >>> round(slices_offroad(box, 2, 0.575, shapely.Polygon(), 0.0), 1)
    60.0
    >>> round(slices_offroad(box, 2, 0.575, shapely.Polygon(), math.pi / 2), 1)
    300.0
    """
    origin = shapely.centroid(poly)
    q = shapely.affinity.rotate(poly, -angle, origin=origin, use_radians=True)
    z = shapely.affinity.rotate(zone, -angle, origin=origin, use_radians=True)
    x0, y0, x1, y1 = shapely.bounds(q)
    xs = x0 + (x1 - x0) * (np.arange(samples) + 0.5) / samples
    west = shapely.area(shapely.intersection(q, shapely.box(x0 - 1, y0 - 1, xs, y1 + 1)))
    frac = west / max(shapely.area(q), 1e-9)
    chords = shapely.intersection(shapely.linestrings(
        np.stack([np.stack([xs, np.full(samples, y0 - 1)], 1),
                  np.stack([xs, np.full(samples, y1 + 1)], 1)], 1)), q)
    off = shapely.length(shapely.difference(chords, z))
    total, at = 0.0, []
    for j in range(1, m):
        ok = (frac >= 1 - (m - j) * cap - 1e-9) & (frac <= j * cap + 1e-9)
        i = int(np.flatnonzero(ok)[np.argmin(off[ok])]) if ok.any() \
            else int(np.argmin(np.abs(frac - j / m)))
        total += float(off[i])
        at.append(float(xs[i]))
    return (total, at) if positions else total


def shortest_cut_angle(poly, m: int, cap: float, zone) -> tuple[float, float]:
    """``(angle, off-road metres)`` of the shortest cuts (:func:`slices_offroad`)
    over :data:`ANGLES`; the first angle wins a tie (:func:`shortest_cuts` also
    gives where the cuts lie).

    >>> a, length = shortest_cut_angle(shapely.box(0, 0, 60, 300), 2, 0.575, shapely.Polygon())
    >>> round(math.degrees(a)), round(length, 1)
    (90, 60.0)
    """
    lengths = [slices_offroad(poly, m, cap, zone, a) for a in ANGLES]
    best = int(np.argmin(np.round(lengths, 3)))
    return ANGLES[best], float(lengths[best])


def shortest_cuts(poly, m: int, cap: float, zone) -> tuple[float, float, list[float]]:
    """``(angle, off-road metres, cut abscissae)``: :func:`shortest_cut_angle` and
    where its cuts lie in ``poly`` turned by ``-angle`` about its centroid.

    >>> a, length, at = shortest_cuts(shapely.box(0, 0, 300, 60), 3, 0.4, shapely.Polygon())
    >>> round(math.degrees(a)), round(length), len(at)
    (0, 120, 2)
    """
    angle, _ = shortest_cut_angle(poly, m, cap, zone)
    length, at = slices_offroad(poly, m, cap, zone, angle, positions=True)
    return angle, length, at
