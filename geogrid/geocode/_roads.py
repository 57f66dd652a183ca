"""Road matching for the gazetteer: names, hinted cross streets, junctions, road rungs.

A mixin of :class:`~geogrid.geocode.gazetteer.Gazetteer`; it reads the
indexes the gazetteer builds (``_roads``, ``_houses``, ``_known_streets``, …).
"""

from __future__ import annotations

import numpy as np
import shapely
from rapidfuzz import fuzz
from shapely.geometry import Point

from ._geometry import junctions, meeting_point, offset_from_junction
from ._results import _BASE, MatchLevel, _Candidate, _join
from .address import DIRECTIONS, ParsedAddress, normalise, road_key

__all__ = ["RoadMatching"]

#: how far a road may pass from a hinted cross street that it does not meet, or from a
#: hinted neighbour (近来福士广场) for the neighbour to say where along the road the address is
_HINT_REACH_M = 250.0
#: least ``fuzz.ratio`` of a hinted neighbour's name to an indexed name, unless one holds the other
_NEAR_PLACE_RATIO = 85.0


class RoadMatching:
    """Road, road-segment and intersection candidates (mixed into the gazetteer)."""

    def _resolve_road(self, name: str) -> tuple[str, float, str | None] | None:
        k = road_key(name)
        if k in self._known_streets:
            return k, 1.0, None
        for i in range(2, len(k) - 2):  # 崂山五村崂山路 → 崂山路, leftover 崂山五村
            if k[i:] in self._known_streets:
                return k[i:], 0.95, k[:i]
        hit = self._road_choices.extract_one(k, fuzz.ratio, self.fuzzy_cutoff)
        if hit is not None:
            return hit[0], hit[1] / 100.0, None
        return None

    def _road_miss(self, name: str) -> str:
        hit = self._road_choices.extract_one(road_key(name), fuzz.ratio)
        if hit is None:
            return f"road {name!r} is not in the gazetteer (it has no roads)"
        return (f"road {name!r} is not in the gazetteer (closest: {hit[0]}, similarity "
                f"{hit[1]:.0f} < {self.fuzzy_cutoff:.0f})")

    def _road_candidates(self, p: ParsedAddress, road: str, score: float, has_number: bool
                         ) -> list[_Candidate]:
        why = (f"number {p.number if p.number is not None else p.lane} is not known on {road} "
               "and cannot be interpolated") if has_number else None
        out = []
        for x, y, near in self._hinted_junctions(p, road)[:1]:
            out.append(_Candidate(MatchLevel.ROAD_SEGMENT, x, y,
                                  _BASE[MatchLevel.ROAD_SEGMENT] * score, f"{road}(近{near})",
                                  _join(why, f"the segment at the {self._hint_what(near)}"),
                                  estimated=True))
        if out:  # the middle of the road is the last resort, never beside a known segment
            return out
        if road in self._roads:
            x, y = self._road_anchor[road]
            out.append(_Candidate(MatchLevel.ROAD, x, y, _BASE[MatchLevel.ROAD] * score, road,
                                  _join(why, "middle of the road"), estimated=True))
        elif road in self._street_roads:
            pts = np.array([(h.place.x, h.place.y) for key, by_n in self._houses.items()
                            if key[0] == road for hs in by_n.values() for h in hs])
            c = pts.mean(axis=0)
            j = int(np.argmin(np.hypot(*(pts - c).T)))
            out.append(_Candidate(MatchLevel.ROAD, float(pts[j, 0]), float(pts[j, 1]),
                                  0.3 * score, road,
                                  _join(why, "no road geometry: central numbered point"),
                                  estimated=True))
        return out

    def _branch_road(self, p: ParsedAddress) -> list[_Candidate]:
        """A place known only by a branch named after a road (``村夫烤鱼(黄河路店)``, no
        address, the brand unknown): somewhere on that road, its middle, scored as low as
        a bare road so that a person checks it."""
        got = self._resolve_road(p.branch)
        if got is None or got[0] not in self._roads:
            return []
        x, y = self._road_anchor[got[0]]
        return [_Candidate(MatchLevel.ROAD, x, y, 0.6 * _BASE[MatchLevel.ROAD] * got[1], got[0],
                           f"only the branch name {p.branch} locates it: the middle of the road",
                           estimated=True)]

    def _hinted_junctions(self, p: ParsedAddress, road: str) -> list[tuple[float, float, str]]:
        """Where ``road`` meets the cross streets hinted in ``p`` (近X路, X路口).

        Two road lines give their junction. When they do not meet (a road cut
        off by the edge of the data, a pedestrian street missing from the
        drive graph) or a street is known only by its numbered records, the
        point of ``road`` nearest the cross street counts, if within
        ``_HINT_REACH_M``: the segment of the road nearest the hinted street.
        A road line that stops short (南京东路 in a drive graph ends where the
        pedestrian street begins) reaches on through the road's numbered
        records (:meth:`_street_reach`).
        """
        out = []
        main = self._street_geom(road)
        if main is None:
            return out
        for name in p.near_roads:
            near = self._resolve_road(name)
            if not near or near[0] == road:
                continue
            if road in self._roads and near[0] in self._roads:
                got = self._junctions(road, near[0])[:1]
                if got:
                    out += [(x, y, near[0]) for x, y, _ in got]
                    continue
            other = self._street_geom(near[0])
            here = self._street_reach(road)
            if other is not None and here.distance(other) <= _HINT_REACH_M:
                q = shapely.shortest_line(here, other).coords[0]
                out.append((float(q[0]), float(q[1]), near[0]))
        for name in p.near_places:
            if (got := self._near_place_point(name, road)) is not None:
                out.append(got)
        return out

    def _hint_what(self, near: str) -> str:
        """How a hint point reads in an answer's detail: a junction, or a neighbour's stretch."""
        return (f"junction with {near}" if near in self._known_streets
                else f"stretch of the road nearest {near}")

    def _near_place_point(self, name: str, road: str) -> tuple[float, float, str] | None:
        """The point of ``road`` nearest a hinted neighbour (``近来福士广场``), if the
        neighbour is indexed (its name, a name that holds it, or ``fuzz.ratio`` ≥
        :data:`_NEAR_PLACE_RATIO`) within :data:`_HINT_REACH_M` of the road: the stretch of
        the road the address is on. Of several places so named, the one nearest the road."""
        key = normalise(name)
        keys = [key] if key in self._names else [
            c for c, sc, _ in self._name_choices.extract(key, fuzz.partial_ratio, 8, 100.0)
            if key in c or fuzz.ratio(key, c) >= _NEAR_PLACE_RATIO]
        here = self._street_reach(road)
        best = None
        for k in keys:
            for _, pl in self._names[k]:
                d = here.distance(Point(pl.x, pl.y))
                if d <= _HINT_REACH_M and (best is None or d < best[0]):
                    best = (d, pl)
        if best is None:
            return None
        q = shapely.shortest_line(here, Point(best[1].x, best[1].y)).coords[0]
        return float(q[0]), float(q[1]), best[1].name or name

    def _street_reach(self, key: str):
        """Where ``key`` is known to run: its road line and the points of its numbered
        records together (the line alone when it has no records)."""
        line = self._roads.get(key)
        if line is None:
            return self._street_geom(key)
        if key not in self._street_reaches:
            pts = [(h.place.x, h.place.y) for k, by_n in self._houses.items() if k[0] == key
                   for hs in by_n.values() for h in hs]
            self._street_reaches[key] = (shapely.union(line, shapely.multipoints(pts))
                                         if pts else line)
        return self._street_reaches[key]

    def _street_geom(self, key: str):
        """The road line of ``key``, else the points of its numbered records, else None."""
        if key in self._roads:
            return self._roads[key]
        if key not in self._street_geoms:
            pts = [(h.place.x, h.place.y) for k, by_n in self._houses.items() if k[0] == key
                   for hs in by_n.values() for h in hs]
            self._street_geoms[key] = shapely.multipoints(pts) if pts else None
        return self._street_geoms[key]

    def _junctions(self, a: str, b: str) -> list:
        key = (a, b) if a <= b else (b, a)
        if key not in self._junction_cache:
            self._junction_cache[key] = junctions(self._roads[a], self._roads[b])
        return self._junction_cache[key]

    def _intersection_candidates(self, p: ParsedAddress, misses: list[str]) -> list[_Candidate]:
        ix = p.intersection
        ra, rb = self._resolve_road(ix.road_a), self._resolve_road(ix.road_b)
        if ra is None or rb is None:
            for raw, r in ((ix.road_a, ra), (ix.road_b, rb)):
                if r is None:
                    misses.append(self._road_miss(raw))
            known = ra or rb
            if known and known[0] in self._roads:
                x, y = self._road_anchor[known[0]]
                return [_Candidate(MatchLevel.ROAD, x, y, 0.25 * known[1], known[0],
                                   "the other road of the intersection is unknown",
                                   estimated=True)]
            return []
        (ka, sa, _), (kb, sb, _) = ra, rb
        if ka not in self._roads or kb not in self._roads:
            missing = ka if ka not in self._roads else kb
            misses.append(f"road {missing} has no geometry, so its junctions are unknown")
            return []
        points = self._junctions(ka, kb)
        apart = None
        if not points:
            got = meeting_point(self._roads[ka], self._roads[kb], reach_m=_HINT_REACH_M)
            if got is None:
                d = self._roads[ka].distance(self._roads[kb])
                misses.append(f"{ka} and {kb} do not meet (nearest approach {d:.0f} m)")
                return []
            points, apart = [(got[0], got[1], False)], got[2]
        out = []
        label = f"{ka}与{kb}交叉口"
        for rank, (x, y, crosses) in enumerate(points):
            conf = (0.85 if crosses else 0.70 if apart is None else 0.5) * sa * sb
            if len(points) > 1:
                conf *= 0.8 if rank == 0 else 0.6
            detail = ("roads cross" if crosses else "nearest approach of the two roads"
                      if apart is None else f"the roads do not meet in the road data "
                      f"({apart:.0f} m apart): where the one cut short would reach the other")
            matched = label
            off = ix.offset
            if off and off.distance_m:
                x, y, how = offset_from_junction(x, y, [self._roads[ka], self._roads[kb]],
                                                 DIRECTIONS[off.direction], off.distance_m)
                conf *= 0.95
                matched = f"{label}{off.direction}{off.distance_m:g}米"
                detail += f"; moved {off.distance_m:g} m {off.direction} ({how})"
            elif off:
                detail += f"; {off.direction} corner"
            out.append(_Candidate(MatchLevel.INTERSECTION, x, y, conf, matched, detail,
                                  estimated=True))
        return out
