"""Name matching for the gazetteer: buildings, POIs and compounds, with branches and areas.

A mixin of :class:`~geogrid.geocode.gazetteer.Gazetteer`; it reads the
indexes the gazetteer builds (``_names``, ``_name_choices``, ``_areas``).
"""

from __future__ import annotations

import math
from dataclasses import replace

from rapidfuzz import fuzz
from shapely.geometry import Point

from ._forms import name_aliases
from ._index import Place
from ._results import _BASE, _NAME_LEVEL_ORDER, GeocodeResult, MatchLevel, _Candidate, _join
from .address import ParsedAddress, normalise

#: a place named as the caller names it this close to the address's road is the place
NAME_ON_ROAD_M = 100.0
#: rungs whose point is an estimate from house numbers, which a known place's point beats
_ESTIMATED_NUMBER = (MatchLevel.INTERPOLATED, MatchLevel.LANE_ENTRANCE, MatchLevel.ROAD_SEGMENT)

__all__ = ["NameMatching"]


class NameMatching:
    """Name and area candidates (mixed into the gazetteer)."""

    # names -------------------------------------------------------------

    def _by_name(self, name: str | None, result: GeocodeResult) -> GeocodeResult:
        """The place's own name, when the address located nothing or only a whole road or
        area: a named place (楼栋 / POI / 小区) found by that name answers instead, with the
        address's answer among the alternatives. When the address's number was only
        estimated, or it gave only the road, a place of that name (or alias) on the
        address's road answers (:meth:`_named_on_road`)."""
        if name and result.ok and result.estimated and result.level in _ESTIMATED_NUMBER:
            return self._named_on_road(name, result)
        if not name or (result.ok and result.level not in (MatchLevel.ROAD, MatchLevel.AREA)):
            return result
        if result.ok and result.level is MatchLevel.ROAD and (
                on_road := self._named_on_road(name, result)) is not result:
            return on_road
        named = self._cached(name, None)
        # a road named by the place's branch (村夫烤鱼(黄河路店)) only when nothing else is known
        usable = named.level in _NAME_LEVEL_ORDER or (
            not result.ok and named.level is MatchLevel.ROAD)
        if not named.ok or not usable or (result.ok and named.confidence <= result.confidence):
            return result
        note = ("located by the place's name: the address located "
                + ("nothing" if not result.ok else f"only the {result.rung}"))
        rest = ((result,) if result.ok else ()) + named.alternatives
        return replace(named, query=result.query, parsed=result.parsed,
                       detail=_join(named.detail, note), alternatives=rest[:6])

    def _named_on_road(self, name: str, result: GeocodeResult) -> GeocodeResult:
        """An estimated number (interpolated, a lane's entrance, a hinted segment) gives way
        to the place itself when the database knows it: a place indexed under the given
        name or one of its aliases (:func:`~geogrid.geocode._forms.name_aliases`: 上海长征医院
        for 海军军医大学第二附属医院(上海长征医院) or 上海长征医院-门诊处), exactly, within
        :data:`NAME_ON_ROAD_M` of the address's road, and only one such place (places
        closer than 100 m are one). The estimate stays among the alternatives."""
        p = result.parsed
        road = self._resolve_road(p.road) if p is not None and p.road else None
        reach = self._street_reach(road[0]) if road else None
        if reach is None:
            return result
        found: list[tuple[MatchLevel, Place]] = []
        for key in name_aliases(name):
            for level, pl in self._names.get(key, ()):
                if (reach.distance(Point(pl.x, pl.y)) <= NAME_ON_ROAD_M and not any(
                        math.hypot(pl.x - o.x, pl.y - o.y) < 100 for _, o in found)):
                    found.append((level, pl))
            if found:
                break
        if len(found) != 1:
            return result
        level, pl = found[0]
        cand = _Candidate(level, pl.x, pl.y, _BASE[level], pl.name,
                          f"located by the place's name: {name} is indexed beside {road[0]}; "
                          f"the address gave only the {result.rung}", place=pl)
        named = self._to_result(result.query, p, cand)
        rest = (result, *result.alternatives)[:6]
        return replace(named, alternatives=rest,
                       needs_review=named.confidence < self.review_below)

    def _name_candidates(self, name: str, anchor, misses: list[str], *, whole: bool = False,
                         branch: str | None = None) -> list[_Candidate]:
        """Places named ``name``: exact, then by brand and branch, then fuzzy.

        A name shared by several branches (星巴克, 肯德基) is a brand: with a
        branch (``星巴克(张杨路店)``) the branch whose own branch text or
        position fits (within 150 m of a branch road) wins; without one, or
        when no branch fits, every branch comes back with a low confidence so
        a person chooses.
        """
        key = normalise(name)
        if branch:
            for k in (f"{key}({branch}店)", f"{key}({branch})"):
                if k in self._names:
                    return self._places_named(k, 1.0, anchor)
        group = self._brands.get(key, ())
        shared = key in self._names and len(self._names[key]) > 1
        if (group or (branch and shared)) and (branch or len(group) + (key in self._names) > 1):
            return self._brand_candidates(key, group, branch)
        hits: list[tuple[str, float]] = []
        if key in self._names:
            hits.append((key, 1.0))
        elif group:
            hits.append((group[0], 0.95))
        elif len(key) >= 2 and not whole:
            for choice, sc, _ in self._name_choices.extract(key, fuzz.WRatio, 3,
                                                            self.fuzzy_cutoff):
                hits.append((choice, sc / 100.0 * (0.7 if branch and "(" in choice else 1.0)))
        if not hits:
            if not whole:
                misses.append(f"name {name!r} matches no building, POI or compound")
            return []
        return [c for choice, sc in hits for c in self._places_named(choice, sc, anchor)]

    def _brand_candidates(self, key: str, group, branch: str | None) -> list[_Candidate]:
        keys = ([key] if key in self._names else []) + list(group)
        road = self._resolve_road(branch) if branch else None
        line = self._roads.get(road[0]) if road else None
        scored = []
        for k in keys:
            own = k[len(key) + 1:-1].removesuffix("店") if k != key else ""
            sim = fuzz.partial_ratio(branch, own) / 100.0 if branch and own else 0.0
            for level, pl in self._names[k]:
                if line is not None:
                    d = line.distance(Point(pl.x, pl.y))
                    sim = max(sim, 1.0 if d < 150 else 0.5 if d < 400 else 0.0)
                scored.append((sim, level, pl))
        scored.sort(key=lambda e: -e[0])
        best = scored[0][0]
        rivals = sum(1 for sc, _, pl in scored if sc >= best - 0.1 and math.hypot(
            pl.x - scored[0][2].x, pl.y - scored[0][2].y) > 100)
        out = []
        for rank, (sc, level, pl) in enumerate(scored[:6]):
            if rank == 0 and branch and best >= 0.8 and rivals == 0:
                conf, detail = _BASE[level] * best, f"branch {branch} of {key}"
            else:
                conf = 0.3 / (1 + rank)
                detail = (f"{len(keys)} branches of {key}; "
                          + (f"none fits branch {branch}" if branch else "no branch given"))
            out.append(_Candidate(level, pl.x, pl.y, conf, pl.name, detail, place=pl))
        return out

    def _places_named(self, choice: str, sc: float, anchor) -> list[_Candidate]:
        entries = self._names[choice]
        # one entry per place: prefer building over POI over compound when they coincide
        entries = sorted(entries, key=lambda e: _NAME_LEVEL_ORDER.index(e[0]))
        places: list[tuple[MatchLevel, Place]] = []
        for level, pl in entries:
            if not any(math.hypot(pl.x - o.x, pl.y - o.y) < 100 for _, o in places):
                places.append((level, pl))
        ambiguous = len(places) > 1
        if ambiguous and anchor is not None:
            places.sort(key=lambda e: anchor.distance(Point(e[1].x, e[1].y)))
        out = []
        for rank, (level, pl) in enumerate(places):
            conf = _BASE[level] * sc
            detail = None if sc == 1.0 else f"fuzzy name match {sc * 100:.0f}"
            if anchor is not None and not ambiguous:
                far = anchor.distance(Point(pl.x, pl.y))
                if far > 300:  # far from the road written with it: most likely another place
                    conf *= 0.4 if sc == 1.0 else 0.25
                    detail = _join(detail, f"{far:.0f} m from the road named with it")
            if ambiguous:
                near = anchor is not None and anchor.distance(Point(pl.x, pl.y)) < 300
                conf *= (0.8 if near else 0.6) if rank == 0 else 0.5
                detail = _join(detail, f"{len(places)} places share this name"
                               + ("; nearest to the road chosen" if near and rank == 0 else ""))
            out.append(_Candidate(level, pl.x, pl.y, conf, pl.name, detail, place=pl))
        return out

    # areas -------------------------------------------------------------

    def _find_area(self, name: str | None):
        if not name or not self._areas:
            return None
        key = normalise(name)
        if key in self._areas:
            return self._areas[key], 1.0
        hit = self._area_choices.extract_one(key, fuzz.ratio, self.fuzzy_cutoff)
        return (self._areas[hit[0]], hit[1] / 100.0) if hit else None

    def _area_candidates(self, p: ParsedAddress, misses: list[str]) -> list[_Candidate]:
        named = [n for n in (p.subdistrict, p.district, p.city) if n]
        for name in named:
            found = self._find_area(name)
            if found:
                (_, pl), sc = found
                return [_Candidate(MatchLevel.AREA, pl.x, pl.y, _BASE[MatchLevel.AREA] * sc,
                                   pl.name, "only an administrative area was recognised",
                                   estimated=True, place=pl)]
        if named:
            misses.append(f"only the area {named[0]} was recognised"
                          + ("" if self._areas else " and no areas are loaded"))
        return []

    def _check_areas(self, p: ParsedAddress, cands: list[_Candidate]) -> None:
        for name in (p.subdistrict, p.district):
            found = self._find_area(name)
            if not found:
                continue
            (geom, pl), _ = found
            for c in cands:
                if c.level is not MatchLevel.AREA and geom.distance(Point(c.x, c.y)) > 100:
                    c.confidence *= 0.6
                    c.detail = _join(c.detail, f"outside {pl.name} named in the address")


