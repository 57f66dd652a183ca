"""Name matching for the gazetteer: buildings, POIs and compounds, with branches and areas.

A mixin of :class:`~geogrid.geocode.gazetteer.Gazetteer`; it reads the
indexes the gazetteer builds (``_names``, ``_name_choices``, ``_areas``).
"""

from __future__ import annotations

import math

from rapidfuzz import fuzz
from shapely.geometry import Point

from ._index import Place
from ._results import _BASE, _NAME_LEVEL_ORDER, MatchLevel, _Candidate, _join
from .address import ParsedAddress, normalise

__all__ = ["NameMatching"]


class NameMatching:
    """Name and area candidates (mixed into the gazetteer)."""

    # names -------------------------------------------------------------

    def _name_candidates(self, name: str, anchor, misses: list[str], *, whole: bool = False
                         ) -> list[_Candidate]:
        key = normalise(name)
        hits: list[tuple[str, float]] = []
        if key in self._names:
            hits.append((key, 1.0))
        elif len(key) >= 2 and not whole:
            for choice, sc, _ in self._name_choices.extract(key, fuzz.WRatio, 3,
                                                            self.fuzzy_cutoff):
                hits.append((choice, sc / 100.0))
        if not hits:
            if not whole:
                misses.append(f"name {name!r} matches no building, POI or compound")
            return []
        out = []
        for choice, sc in hits:
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
            for rank, (level, pl) in enumerate(places):
                conf = _BASE[level] * sc
                detail = None if sc == 1.0 else f"fuzzy name match {sc * 100:.0f}"
                if anchor is not None and not ambiguous:
                    far = anchor.distance(Point(pl.x, pl.y))
                    if far > 300:
                        conf *= 0.75
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


