"""Gazetteer: turn an address into a point, and a point into the nearest address.

A :class:`Gazetteer` indexes GeoDataFrames in the storage CRS (EPSG:4490):

* ``addresses``: the address database (标准地址库, imported POIs, confirmed
  incident locations): free-text ``address``, optional ``name``. Gives 门牌,
  and its records rank before OSM's; the building an address names
  (``…8号兰生大厦``) is indexed as a 楼栋 too.
* ``address_points``: ``addr_street`` + ``addr_housenumber`` (or one
  ``address`` column), optional ``name``. Gives 门牌.
* ``buildings``: the same columns; a ``name`` alone is enough. Gives 门牌 and
  楼栋 (by name).
* ``compounds``: ``name``, polygons or points. Gives 小区.
* ``pois``: ``name``. Gives POI; ``星巴克(张杨路店)`` also files 星巴克 as a brand.
* ``roads``: ``name``, lines that need not be noded. Gives 道路, 路段 and
  交叉口, and tells interpolation which side of the road a number is on.
* ``areas`` (optional): ``name`` of 街道 / 区 polygons. Gives 区域, and
  checks that a match lies in the area the address names.

Polygons stand in for their :meth:`~shapely.Geometry.representative_point`.

The resolution ladder
---------------------
Each answer names the rung it reached (:class:`MatchLevel`, ``rung``):

1. **门牌** exact: road (plus 弄 / 支弄, or the compound written before the
   number) and number looked up in a dictionary; when several records share
   the number, those naming the asked building, then their medoid.
2. **弄口**: a 弄 address whose lane is not indexed goes to the lane's entrance,
   the main road's house number equal to the lane number (崂山路638弄1号 →
   崂山路638号); a lane with known records goes to their medoid.
3. **道路插值**: between known numbers on the same side (odd/even; a one-sided
   street is detected); beyond them, or from a single known number, the road's
   number model (position along the road's axis, metres per number shrunk
   toward the pooled slope of every road); on a road with no known number,
   pooled spacings from the road's start, the direction taken from roads
   alike; a hinted cross street (``近X路``, ``X路口``) confirms or contradicts
   the estimate (see :mod:`geogrid.geocode._houses`,
   :mod:`geogrid.geocode._numbering` and :mod:`geogrid.geocode._geometry`).
4. **路段**: only the road and a hinted cross street are known: the road
   segment nearest that street.
5. **道路**: only the road: the middle of its longest part (the last resort).
6. **区域**: only an administrative area (needs ``areas``).

Names (楼栋 / POI / 小区) are matched exactly, by brand and branch, then
fuzzily (:func:`rapidfuzz.process.extract`, ``fuzz.WRatio``); a name shared
by places far apart is ambiguous and every place comes back. 交叉口 is the
junction of two named roads, optionally moved along the road that leaves it
toward a compass direction (``东50米``).

Road names that do not match exactly are resolved by their longest known
suffix (``崂山五村崂山路`` → ``崂山路``) and then fuzzily (``fuzz.ratio`` ≥
``fuzzy_cutoff``, default 80, so 陆家咀环路 finds 陆家嘴环路 but 四川北路 does
not become 四川中路).

Confidence
----------
Each candidate gets a rule ``score``: ``base(rung) × match factors`` (fuzzy
matches by ``similarity / 100``, ambiguity, a name far from its road, records
that disagree, a hint that contradicts the number, an offset, a point outside
the area the address names). A :class:`~geogrid.geocode.calibrate.Calibration`
maps ``(rung, score)`` to ``confidence``, the measured probability of being
within 100 m; candidates are ranked by it, and an answer under
``review_below`` is flagged ``needs_review`` with the others as
``alternatives``.

No match is not an exception: :meth:`Gazetteer.geocode` returns a
:class:`GeocodeResult` with ``ok=False`` and a ``reason`` that says what was
recognised and what was missing, which is what a dispatcher or an API client
needs. Call :meth:`GeocodeResult.require` to turn it into
:class:`~geogrid.NotFoundError`.

Coordinates in and out are CGCS2000 lon/lat (EPSG:4490). Convert GCJ-02 or
BD-09 input with :func:`geogrid.datum.to_storage` before :meth:`Gazetteer.reverse`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import box

from .._errors import InputError, ValidationProblem
from ..crs import STORAGE_CRS, metric_crs
from ._geometry import NumberLine, merge_lines, road_anchor, street_sides
from ._index import (
    FuzzyIndex,
    House,
    Place,
    StreetKey,
    grouped_places,
    index_houses,
    is_missing,
    places_of,
    validate_frames,
)
from ._houses import HouseMatching
from ._numbering import Numbering
from ._names import NameMatching
from ._roads import RoadMatching
from ._suggest import Suggestions
from .calibrate import Calibration, evidence
from .selfcal import database_fit
from ._results import (
    _BASE,
    _SOURCE_ORDER,
    GeocodeResult,
    MatchLevel,
    ReverseResult,
    _Candidate,
    _join,
)
from .address import (DIRECTIONS, ParsedAddress, normalise, parse_address, road_key,
                      with_place_name)

__all__ = ["Gazetteer", "GeocodeResult", "MatchLevel", "ReverseResult"]


class Gazetteer(HouseMatching, RoadMatching, NameMatching, Suggestions):
    """An in-memory address index over GeoDataFrames. Build it with :meth:`from_frames`.

    Example
    -------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> roads = gpd.GeoDataFrame({"name": ["浦东大道"]},
    ...     geometry=[LineString([(121.500, 31.240), (121.510, 31.240)])], crs="EPSG:4490")
    >>> pts = gpd.GeoDataFrame({"addr_street": ["浦东大道", "浦东大道"],
    ...     "addr_housenumber": ["600", "700"]},
    ...     geometry=[Point(121.502, 31.2401), Point(121.508, 31.2401)], crs="EPSG:4490")
    >>> g = Gazetteer.from_frames(address_points=pts, roads=roads)
    >>> r = g.geocode("上海市浦东新区浦东大道６５０号（近东方路）")
    >>> r.level.value, round(r.lon, 4)
    ('道路插值', 121.505)
    """

    def __init__(self, *, metric, places_houses, names, roads, areas, fuzzy_cutoff,
                 cache_size, unindexed, building_of=None, calibration=None, review_below=0.6,
                 numbering_errors=None):
        self._crs_metric = metric
        self._fwd = Transformer.from_crs(STORAGE_CRS, metric, always_xy=True)
        self._inv = Transformer.from_crs(metric, STORAGE_CRS, always_xy=True)
        self._houses: dict[StreetKey, dict[int, list[House]]] = places_houses
        self._names: dict[str, list[tuple[MatchLevel, Place]]] = names
        self._roads: dict[str, shapely.Geometry] = roads
        self._areas: dict[str, tuple[shapely.Geometry, Place]] = areas
        self.fuzzy_cutoff = float(fuzzy_cutoff)
        #: (source, index) of a database record → the building its address names
        self._building_of: dict[tuple[str, Any], str] = dict(building_of or {})
        #: maps (rung, rule score) to P(within 100 m); None keeps the rule score
        self.calibration: Calibration | None = calibration
        #: the fit on the address database (calibration="database"), with its reliability
        self.calibration_fit = None
        #: answers below this calibrated confidence are flagged for a person
        self.review_below = float(review_below)
        self._brands: dict[str, list[str]] = defaultdict(list)
        for key in sorted(names):
            if "(" in key and not key.startswith("("):
                self._brands[key.split("(", 1)[0]].append(key)
        #: rows that could not be indexed by house number, with the reason
        self.unindexed: list[ValidationProblem] = list(unindexed)

        self._road_anchor = {k: road_anchor(g) for k, g in roads.items()}
        self._lines: dict[StreetKey, NumberLine] = {}
        for key, by_number in places_houses.items():
            # one anchor per feature: a range such as 151-171 counts once, at its middle number
            anchors = [(n, h.place.x, h.place.y) for n, hs in by_number.items() for h in hs
                       if h.primary]
            if anchors:
                arr = np.array(anchors, dtype=float)
                self._lines[key] = NumberLine.build(arr[:, 0].astype(np.int64), arr[:, 1:])
        self._sides = {k: street_sides(line, roads.get(k[0])) for k, line in self._lines.items()}
        self._numbering = Numbering.build(self._lines, roads)
        self._measured_cache: dict[StreetKey, Any] = {}
        #: how far an estimated number lands off, from the roads' own known numbers left out
        #: one at a time (:mod:`geogrid.geocode._numbering_errors`); a ceiling on confidence
        self.numbering_errors = (numbering_errors if numbering_errors is not None
                                 else self._fit_numbering_errors())
        self._sites_cache = None  # building names and their records' points, on first use
        self._street_roads = {k[0] for k in places_houses}
        self._known_streets = set(roads) | self._street_roads
        self._road_choices = FuzzyIndex(self._known_streets)
        self._name_choices = FuzzyIndex(names)
        self._area_choices = FuzzyIndex(areas)

        rev = []
        for by_number in places_houses.values():
            for n, houses in by_number.items():
                if n == 0:
                    continue
                h = min(houses, key=lambda h: _SOURCE_ORDER.get(h.place.source, 9))
                rev.append((h.place.x, h.place.y, h))
        self._rev_houses = [r[2] for r in rev]
        self._rev_tree = cKDTree(np.array([(r[0], r[1]) for r in rev])) if rev else None
        self._junction_cache: dict[tuple[str, str], list] = {}
        self._street_geoms: dict[str, Any] = {}
        self._street_reaches: dict[str, Any] = {}
        self._build_suggestions()
        self._cached = lru_cache(maxsize=cache_size)(self._geocode_normalised)

    # ------------------------------------------------------------------ build

    @classmethod
    def from_frames(cls, address_points: gpd.GeoDataFrame | None = None,
                    buildings: gpd.GeoDataFrame | None = None,
                    compounds: gpd.GeoDataFrame | None = None,
                    pois: gpd.GeoDataFrame | None = None,
                    roads: gpd.GeoDataFrame | None = None,
                    areas: gpd.GeoDataFrame | None = None,
                    addresses: gpd.GeoDataFrame | None = None, *,
                    fuzzy_cutoff: float = 80.0, cache_size: int = 16384,
                    calibration: Calibration | str | None = "default",
                    review_below: float = 0.6) -> Gazetteer:
        """Index the given frames (all optional, all in EPSG:4490 or the equivalent 4326).

        ``fuzzy_cutoff`` (0-100) is the least rapidfuzz score a fuzzy road or
        name match needs. ``cache_size`` bounds the per-gazetteer cache of
        results by normalised text (under 1 KB each; 0 turns it off).

        ``addresses`` is the address database (标准地址库, imported POIs,
        confirmed incident locations): a free-text ``address`` column, an
        optional ``name``, points. Its numbers and names rank before OSM's.
        ``calibration`` turns rule scores into probabilities (``"default"``:
        the one shipped in :data:`~geogrid.geocode.calibrate.DEFAULT_CALIBRATION`;
        ``"database"``: fit on ``addresses`` themselves by cross-validation,
        :func:`~geogrid.geocode.selfcal.fit_on_database`, kept with its reliability
        table in :attr:`calibration_fit`; the shipped one when the database has
        too few rows; ``None``: keep rule scores). ``review_below`` is the confidence under
        which an answer is flagged ``needs_review``.

        Raises :class:`~geogrid.CRSError` for a frame without a lon/lat CRS,
        :class:`~geogrid.InputError` for missing columns and
        :class:`~geogrid.ValidationError` listing every null or empty geometry
        at once. House numbers that cannot be read (``3F``, ``B2``) do not
        raise: those rows are still indexed by name and are listed in
        :attr:`unindexed`.
        """
        frames = {"addresses": addresses, "address_points": address_points,
                  "buildings": buildings, "compounds": compounds, "pois": pois, "roads": roads,
                  "areas": areas}
        frames = {k: v for k, v in frames.items() if v is not None}
        if not frames:
            raise InputError("no frame was given.", field="frames",
                             fix="Pass at least one of address_points, buildings, compounds, "
                                 "pois, roads or areas.")
        validate_frames(frames)
        nonempty = [f for f in frames.values() if len(f)]
        if not nonempty:
            raise InputError("every frame is empty.", field="frames",
                             fix="Pass frames with at least one row.")
        bounds = np.array([f.total_bounds for f in nonempty])
        extent = gpd.GeoSeries([box(bounds[:, 0].min(), bounds[:, 1].min(),
                                    bounds[:, 2].max(), bounds[:, 3].max())], crs=STORAGE_CRS)
        metric = metric_crs(extent)
        fwd = Transformer.from_crs(STORAGE_CRS, metric, always_xy=True)

        houses, names, unindexed, building_of = _point_index(frames, fwd)
        road_geoms = _road_index(frames.get("roads"), metric)
        area_index = _area_index(frames.get("areas"), metric)
        fit = None
        if calibration == "database":
            fit = database_fit(frames)
            calibration = fit.calibration if fit is not None else "default"
        gaz = cls(metric=metric,
                  places_houses={k: dict(v) for k, v in houses.items()},
                  names=dict(names), roads=road_geoms, areas=area_index,
                  fuzzy_cutoff=fuzzy_cutoff, cache_size=cache_size, unindexed=unindexed,
                  building_of=building_of, review_below=review_below,
                  calibration=Calibration.load() if calibration == "default" else calibration)
        gaz.calibration_fit = fit
        return gaz

    def __repr__(self) -> str:
        n_houses = sum(len(v) for v in self._houses.values())
        return (f"Gazetteer({n_houses} house numbers on {len(self._houses)} streets, "
                f"{len(self._names)} names, {len(self._roads)} roads, {len(self._areas)} areas)")

    @property
    def stats(self) -> dict[str, int]:
        """Counts of what is indexed."""
        return {
            "streets": len(self._houses),
            "house_numbers": sum(len(v) for v in self._houses.values()),
            "names": len(self._names),
            "roads": len(self._roads),
            "areas": len(self._areas),
            "unindexed": len(self.unindexed),
        }

    # ---------------------------------------------------------------- geocode

    def geocode(self, text: str, name: str | None = None) -> GeocodeResult:
        """Locate one address. Never raises for an unmatched address (see ``ok``/``reason``).

        ``name`` is the place's name when the caller gives one (the shop or
        department at the address): among the records of a large site it picks
        the one of that name. Results are cached per normalised text (and
        name), so repeated addresses (the common case in hotline records) cost
        a dictionary lookup.
        """
        name = None if is_missing(name) or not str(name).strip() else normalise(str(name))
        if is_missing(text) or not str(text).strip():
            query = "" if is_missing(text) else str(text)
            if name:  # no address, but the place's name: the name is the query
                return replace(self._by_name(name, GeocodeResult(query=query, ok=False)),
                               query=query)
            return GeocodeResult(query=query, ok=False, reason="the address is empty.")
        text = str(text)
        result = self._cached(normalise(text), name)
        parsed = replace(result.parsed, raw=text) if result.parsed is not None else None
        return replace(result, query=text, parsed=parsed)

    def geocode_many(self, texts: Iterable[str], *, names: Iterable[str | None] | None = None,
                     progress: Callable[[int, int], None] | None = None,
                     progress_every: int | None = None,
                     with_features: bool = False) -> pd.DataFrame:
        """Geocode many addresses; one row per input, in order (a Series keeps its index).

        Columns: query, ok, lon, lat, level (the Chinese value of
        :class:`MatchLevel`), confidence, matched, estimated, detail, reason,
        score (the rule score before calibration), needs_review, evidence (the class the
        confidence was calibrated in); with ``with_features``, features (what the answer
        rests on, as calibrated: a dict).
        ``progress(n_done, n_total)`` is called every ``progress_every`` rows
        (default: about 100 times in all) and once at the end. ``names``, aligned
        with ``texts``, gives each address's place name (see :meth:`geocode`).
        """
        index = texts.index if isinstance(texts, pd.Series) else None
        items = list(texts)
        total = len(items)
        given = [None] * total if names is None else list(names)
        if len(given) != total:
            raise InputError(f"names 与地址数量不同 / names has {len(given)} entries for "
                             f"{total} addresses.", field="names", value=len(given),
                             fix="每个地址给一个名称 (或 null)。Pass one name (or None) per address.")
        every = progress_every or max(1, total // 100)
        rows = []
        seen: dict[Any, tuple] = {}  # hotline records repeat: each distinct text once
        for i, (text, name) in enumerate(zip(items, given), start=1):
            key = (text, None if is_missing(name) else str(name))
            row = seen.get(key) if isinstance(text, str) else None
            if row is None:
                r = self.geocode(text, key[1])
                row = (r.query, r.ok, r.lon, r.lat, r.level.value if r.level else None,
                       r.confidence, r.matched, r.estimated, r.detail, r.reason, r.score,
                       r.needs_review, r.evidence) + ((r.features,) if with_features else ())
                if isinstance(text, str):
                    seen[key] = row
            rows.append(row)
            if progress is not None and (i % every == 0 or i == total):
                progress(i, total)
        if progress is not None and total == 0:
            progress(0, 0)
        cols = ["query", "ok", "lon", "lat", "level", "confidence", "matched", "estimated",
                "detail", "reason", "score", "needs_review", "evidence"] + (
                    ["features"] if with_features else [])
        frame = pd.DataFrame(rows, columns=cols)
        if index is not None:
            frame.index = index
        return frame

    def reverse(self, lon: float, lat: float, *, max_distance_m: float | None = None
                ) -> ReverseResult:
        """The nearest indexed house number to (lon, lat) in CGCS2000, with the distance in metres."""
        if self._rev_tree is None:
            return ReverseResult(reason="the gazetteer has no house numbers.")
        if not (np.isfinite(lon) and np.isfinite(lat)):
            raise InputError(f"经纬度须为有限数值, 收到 ({lon}, {lat})。lon/lat must be finite "
                             f"numbers, got ({lon}, {lat}).", field="lon/lat", value=(lon, lat),
                             fix="给出 CGCS2000 经纬度。Pass CGCS2000 lon/lat.")
        x, y = self._fwd.transform(lon, lat)
        dist, i = self._rev_tree.query((x, y))
        if max_distance_m is not None and dist > max_distance_m:
            return ReverseResult(distance_m=float(dist),
                                 reason=f"the nearest house number is {dist:.0f} m away, "
                                        f"beyond max_distance_m={max_distance_m:g}.")
        return ReverseResult(self._rev_houses[int(i)], float(dist))

    # ------------------------------------------------------------- internals

    def _lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self._inv.transform(x, y)
        return float(lon), float(lat)

    def _geocode_normalised(self, s: str, name: str | None = None) -> GeocodeResult:
        p = parse_address(s)
        if name:
            p = with_place_name(p, name)
        if p.metro_lines and not (p.road or p.poi or p.intersection or p.alternates):
            return self._by_name(name, GeocodeResult(query=s, ok=False, parsed=p, reason=(
                f"线路列表不是地点 / {'、'.join(p.metro_lines)} is a list of metro lines, "
                "not a place; give the station name or an address.")))
        result = self._by_name(name, self._ladder(s, p))
        if not p.alternates:
            return result
        # several addresses in one field: the best of them, the others as alternatives
        results = [result] + [self._cached(normalise(a), name) for a in p.alternates]
        found = sorted((r for r in results if r.ok), key=lambda r: -r.confidence)
        if not found:
            return result
        rest = [a for r in found for a in (r, *r.alternatives)][1:7]
        return replace(found[0], query=s, parsed=p, alternatives=tuple(rest))

    def _ladder(self, s: str, p: ParsedAddress) -> GeocodeResult:
        cands: list[_Candidate] = []
        misses: list[str] = []

        body = s
        for part in (p.province, p.city, p.district, p.subdistrict):
            if part and body.startswith(part):
                body = body[len(part):]
            elif part and part.endswith("市") and body.startswith(part[:-1]):
                body = body[len(part) - 1:]
        whole = bool(body) and body in self._names
        if whole:
            cands += self._name_candidates(body, None, misses, whole=True)

        road, road_score, leftover = None, 1.0, None
        if p.road:
            resolved = self._resolve_road(p.road)
            if resolved is None:
                misses.append(self._road_miss(p.road))
            else:
                road, road_score, leftover = resolved
        anchor = self._roads.get(road) if road else None

        if p.intersection is not None:
            cands += self._intersection_candidates(p, misses)

        has_number = p.number is not None or p.lane is not None
        got = self._numbered(p, road, road_score, leftover, misses)
        found_house = has_number and bool(got)
        cands += got

        for name in () if whole else (p.poi, p.compound if not found_house else None, leftover):
            if name:
                # with the house found, a name only adds alternatives: exact names, no fuzzy search
                got = self._name_candidates(name, anchor, misses, branch=p.branch,
                                            whole=found_house)
                if has_number and not found_house:
                    for c in got:
                        c.detail = _join(c.detail, "the house number was not found; "
                                                   "located by name")
                cands += got

        if road and not found_house:
            cands += self._road_candidates(p, road, road_score, has_number)
        if not cands and p.road and road is None:
            cands += self._hinted_road_only(p)
        if not cands and p.branch and not p.road:
            cands += self._branch_road(p)

        if not cands:
            cands += self._area_candidates(p, misses)
        if not cands:
            if not misses:
                misses.append(f"no road, house number, name or area was recognised in {s!r}")
            return GeocodeResult(query=s, ok=False, parsed=p,
                                 reason="无法定位 / not located: " + "; ".join(misses) + ".")

        if p.offset is not None:
            _apply_offset(p, cands)
        self._check_areas(p, cands)
        return self._result(s, p, cands)

    def _hinted_road_only(self, p: ParsedAddress) -> list[_Candidate]:
        """The road is unknown but a hinted cross street is: somewhere along that street.

        ``蓬莱路225号(迎勋北路)`` with no 蓬莱路 in the data: the middle of 迎勋北路,
        scored low so that it is flagged for a person, not trusted.
        """
        out = []
        for name in p.near_roads:
            near = self._resolve_road(name)
            if near and near[0] in self._roads:
                x, y = self._road_anchor[near[0]]
                out.append(_Candidate(MatchLevel.ROAD, x, y, 0.2 * near[1], near[0],
                                      f"{p.road} is not in the gazetteer; the hinted cross "
                                      f"street {near[0]}", estimated=True))
        return out

    def _numbered(self, p: ParsedAddress, road: str | None, road_score: float,
                  leftover: str | None, misses: list[str]) -> list[_Candidate]:
        """The numbered rungs: the house on the first street that knows it, or a compound's
        building by its own number (崂山五村3号楼)."""
        if p.number is not None or p.lane is not None:
            streets: list[tuple[StreetKey, float]] = []
            if p.compound:
                # 浦东南路东园一村113号: 113 numbers a building of the compound, not the road
                if (k := road_key(p.compound)) in self._street_roads:
                    streets.append(((k, p.lane, p.sublane), 1.0))
            elif road:
                streets.append(((road, p.lane, p.sublane), road_score))
            for name in (p.poi, leftover):
                if name and (k := road_key(name)) in self._street_roads:
                    streets.append(((k, p.lane, p.sublane), 1.0))
            for key, score in streets:
                if got := self._house_candidates(p, key, score, misses):
                    return got
            return []
        if (p.building is not None and p.building.isdigit() and p.poi
                and (k := road_key(p.poi)) in self._street_roads):
            return [_Candidate(MatchLevel.BUILDING, h.place.x, h.place.y,
                               _BASE[MatchLevel.BUILDING], f"{p.poi}{p.building}号楼",
                               "building number read as the compound's house number",
                               place=h.place)
                    for h in self._houses.get((k, None, None), {}).get(int(p.building), [])]
        return []

    def _result(self, s: str, p: ParsedAddress, cands: list[_Candidate]) -> GeocodeResult:
        cands.sort(key=lambda c: -c.confidence)
        chosen: list[_Candidate] = []
        for c in cands:
            if any(o.level == c.level and math.hypot(o.x - c.x, o.y - c.y) < 10 for o in chosen):
                continue
            chosen.append(c)
            if len(chosen) == 6:
                break
        # ranked by calibrated confidence before a candidate's cap: the cap lowers what is
        # reported for a wide site's answer, it does not hand the answer to another rung
        ranked = sorted(((self._to_result(s, p, c), c.cap) for c in chosen),
                        key=lambda rc: -rc[0].confidence)
        results = [r if r.confidence <= cap else replace(r, confidence=cap) for r, cap in ranked]
        best = results[0]
        return replace(best, alternatives=tuple(results[1:]),
                       needs_review=best.confidence < self.review_below)

    def _to_result(self, s: str, p: ParsedAddress, c: _Candidate) -> GeocodeResult:
        if c.place is not None and not c.estimated:
            lon, lat = c.place.lon, c.place.lat
        else:
            lon, lat = self._lonlat(c.x, c.y)
        score = float(round(min(max(c.confidence, 0.0), 1.0), 4))
        kind = evidence(c.level.value, p, c.detail)
        conf = (score if self.calibration is None
                else self.calibration(kind, score, c.features))
        return GeocodeResult(
            query=s, ok=True, lon=lon, lat=lat, level=c.level, score=score,
            confidence=float(round(conf, 4)), matched=c.matched,
            detail=c.detail, estimated=c.estimated,
            source=c.place.source if c.place else None,
            source_index=c.place.index if c.place else None, parsed=p, evidence=kind,
            features=dict(c.features))



def _index_building_names(addresses: list, places: list[Place], names: dict
                          ) -> dict[tuple[str, Any], str]:
    """Index the building or compound named inside each database address as a building.

    ``淮海中路8号兰生大厦5层`` names 兰生大厦: another caller's ``兰生大厦`` (or
    ``淮海中路10号兰生大厦``) is the same building, whatever number they write.
    """
    out = {}
    for text, place in zip(addresses, places):
        if is_missing(text):
            continue
        p = parse_address(str(text))
        name = p.poi or p.compound
        if name and len(name) >= 3 and (p.road or p.lane is not None):
            names[normalise(name)].append((MatchLevel.BUILDING, place))
            out[(place.source, place.index)] = normalise(name)
    return out


def _point_index(frames: dict, fwd: Transformer):
    """House numbers and names of the point-like frames, compounds' names, unreadable rows."""
    houses: dict[StreetKey, dict[int, list[House]]] = defaultdict(lambda: defaultdict(list))
    names: dict[str, list[tuple[MatchLevel, Place]]] = defaultdict(list)
    unindexed: list[ValidationProblem] = []
    street_cache: dict[str, Any] = {}
    building_of: dict[tuple[str, Any], str] = {}

    for source in ("addresses", "address_points", "buildings", "pois"):
        frame = frames.get(source)
        if frame is None or not len(frame):
            continue
        places = places_of(frame, source, fwd)
        level = {"buildings": MatchLevel.BUILDING}.get(source, MatchLevel.POI)
        if "name" in frame.columns:
            for place, name in zip(places, frame["name"].tolist()):
                if not is_missing(name) and str(name).strip():
                    names[normalise(str(name))].append((level, place))
        if source == "pois":
            continue
        if source == "addresses":
            building_of.update(_index_building_names(frame["address"].tolist(), places,
                                                     names))
        index_houses(frame, places, source, houses, unindexed, street_cache)

    if (frame := frames.get("compounds")) is not None and len(frame):
        for key, place in grouped_places(frame, "compounds", fwd):
            names[key].append((MatchLevel.COMPOUND, place))
    return houses, names, unindexed, building_of


def _apply_offset(p: ParsedAddress, cands: list[_Candidate]) -> None:
    """Move every candidate by the written offset (``东50米``): an estimate now."""
    ux, uy = DIRECTIONS[p.offset.direction]
    d = p.offset.distance_m
    for c in cands:
        c.x, c.y = c.x + ux * d, c.y + uy * d
        c.confidence *= 0.95
        c.estimated = True
        c.matched += f"{p.offset.direction}{d:g}米"
        c.detail = _join(c.detail, f"moved {d:g} m {p.offset.direction}")
        c.place = None


def _road_index(frame: gpd.GeoDataFrame | None, metric) -> dict[str, shapely.Geometry]:
    """Road key → merged metric geometry of every named piece of that road."""
    if frame is None or not len(frame):
        return {}
    groups: dict[str, list] = defaultdict(list)
    for name, geom in zip(frame["name"].tolist(), frame.geometry.to_crs(metric).tolist()):
        if not is_missing(name) and str(name).strip():
            groups[road_key(str(name))].append(geom)
    merged = {k: merge_lines(v) for k, v in groups.items()}
    return {k: g for k, g in merged.items() if not g.is_empty}


def _area_index(frame: gpd.GeoDataFrame | None, metric
                ) -> dict[str, tuple[shapely.Geometry, Place]]:
    """Area name → (prepared metric polygon, its representative place)."""
    out: dict[str, tuple[shapely.Geometry, Place]] = {}
    if frame is None or not len(frame):
        return out
    for (name, idx), geom, orig in zip(zip(frame["name"].tolist(), frame.index),
                                       frame.geometry.to_crs(metric).tolist(),
                                       frame.geometry.tolist()):
        if is_missing(name):
            continue
        rp, rpo = geom.representative_point(), orig.representative_point()
        shapely.prepare(geom)
        out[normalise(str(name))] = (geom, Place(str(name), rp.x, rp.y, rpo.x, rpo.y, "areas", idx))
    return out
