"""House-number matching for the gazetteer: exact, lane, interpolated, nearest number.

A mixin of :class:`~geogrid.geocode.gazetteer.Gazetteer`. The rungs it gives,
best first: the exact number (the medoid of the records that share it, those
naming the asked building first) → the lane as a whole or its entrance on the
main road (弄口) → interpolation between same-side numbers, checked against a
hinted cross street → the nearest known number.

A large site (a hospital, a mall, a campus) files many records under one
number. When they spread more than :data:`WIDE_M` from their medoid, the name
given with the query (``place_name``, e.g. the department that called) picks
the record whose name matches it (rapidfuzz ``WRatio`` ≥ :data:`NAME_MATCH`);
without such a match the answer is the site's typical place and its calibrated
confidence stays under :data:`WIDE_CAP`: the site is wider than 100 m, so
which corner the caller is at is a guess.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import shapely
from rapidfuzz import fuzz

from ._geometry import Interpolated, interpolate_number
from ._index import FuzzyIndex, House, StreetKey, label
from ._measure import MeasuredNumbers, RoadSpine, _theil_sen
from ._numbering_errors import NumberingErrors
from ._numbering import SHRINK_SPAN
from ._results import _BASE, _SOURCE_ORDER, MatchLevel, _Candidate, _join
from .address import HouseNumber, ParsedAddress, normalise

__all__ = ["ESTIMATED_NOTE", "ESTIMATED_ROAD", "SITE_WORDS", "HouseMatching"]

#: records of one number this close to their medoid agree: their mean stands for the site
AGREE_M = 150.0
#: records of one number farther than this from their medoid make a wide site
WIDE_M = 100.0
#: a wide site's answer, unless a given name picks one record, stays below this confidence
WIDE_CAP = 0.75
#: an estimate along a road line drawn through its addresses scores this much of one on a
#: mapped road; calibrated in its own evidence class (the detail names it)
ESTIMATED_ROAD = 0.9
ESTIMATED_NOTE = "road line estimated from its"
#: rapidfuzz ``WRatio`` (0-100) of a given name to a record's name that picks the record
NAME_MATCH = 85.0
#: records of one building (the query's record among them) that make its centre worth using
BUILDING_RECORDS = 3
#: words naming a large site (a mall, a department store, an office tower, a hospital, a
#: campus), whose one known record may stand 150 m from a shop elsewhere in it
SITE_WORDS = ("广场", "中心", "大厦", "百货", "商城", "商厦", "购物", "商场", "医院", "大学", "天地")
#: records whose building name is this close (``fuzz.ratio`` points) to the best match tie
BUILDING_TIE = 5.0


class HouseMatching:
    """House-number candidates (mixed into the gazetteer)."""

    def _house_candidates(self, p: ParsedAddress, key: StreetKey, score: float,
                          misses: list[str]) -> list[_Candidate]:
        by_number = self._houses.get(key)
        numbers = p.numbers or ((p.number,) if p.number is not None else ())
        if by_number:
            for n in numbers:
                houses = by_number.get(n)
                if houses:
                    return self._exact(p, key, n, houses, score)
        if p.number is not None and key in self._lines:
            got = self._interpolate(key, p.number)
            if got is not None:
                cand = _Candidate(MatchLevel.INTERPOLATED, got.xy[0], got.xy[1],
                                  got.confidence * score, label(key, p.number, p.number_suffix),
                                  got.detail, estimated=True, features=dict(got.features or {}),
                                  cap=self._numbering_ceiling(key, p.number, got.features))
                return self._check_hint(p, key, cand)
        if p.number is not None and p.lane is None and by_number:
            got = self._nearest_number(p, key, by_number, score)
            if got:
                return got
        if p.lane is not None and by_number:
            # the lane itself (张杨路628弄), or a number not known in it: its most typical place
            hs = _by_medoid([h for hs in by_number.values() for h in hs])
            return [_Candidate(MatchLevel.HOUSE_NUMBER, hs[0].place.x, hs[0].place.y,
                               0.75 * score * _spread_factor(hs), label(key, None),
                               f"the lane as a whole: the medoid of its {len(hs)} known places",
                               estimated=True)]
        if p.lane is not None:
            # a lane opens onto its road at the road's house number equal to the lane number
            outer = (key[0], None, None)
            lane_as_number = replace(p, house=HouseNumber((p.lane,)))
            got = self._house_candidates(lane_as_number, outer, score, [])
            for c in got:
                c.level = MatchLevel.LANE_ENTRANCE
                c.confidence *= 0.8
                c.matched = label(key, p.number, p.number_suffix)
                c.detail = _join(f"house {p.number} inside lane {p.lane} is not indexed; "
                                 f"placed at the lane entrance {key[0]}{p.lane}号", c.detail)
                c.estimated = True
            return got
        if p.number is not None and not by_number and key[1] is None and key[2] is None:
            if (est := self._numbering.from_start(key[0], p.number)) is not None:
                cand = _Candidate(MatchLevel.INTERPOLATED, est[0][0], est[0][1], est[1] * score,
                                  label(key, p.number, p.number_suffix), est[2], estimated=True,
                                  features=dict(est[3]))
                return self._check_hint(p, key, cand)
        if p.number is not None:
            misses.append(f"{label(key, p.number)} is not indexed and {label(key, None)} has "
                          f"{len(self._lines[key]) if key in self._lines else 0} numbered points "
                          "to interpolate from")
        return []

    def _interpolate(self, key: StreetKey, n: int) -> Interpolated | None:
        """Between same-side neighbours; beyond them (or from one known number), the road's
        number model (:mod:`geogrid.geocode._numbering`)."""
        line, sides = self._lines[key], self._sides[key]
        if key[1] is None and key[2] is None and (measured := self._measured(key)) is not None:
            # the side each parity keeps to, measured across the road's spine (bends included)
            one_sided = measured.sides() == "same"
            own = measured.gap_slope(one_sided=one_sided)
            est = measured.place(n, one_sided=one_sided, slope=self._shrunk_slope(measured, own),
                                 setback=self._numbering.setback)
            if est is not None:
                if key[0] not in self._roads:
                    return Interpolated(est[0], est[1] * ESTIMATED_ROAD, _join(
                        est[2], f"{ESTIMATED_NOTE} {len(measured.numbers)} known addresses"),
                        est[3])
                return Interpolated(*est)
        same = line if sides == "same" else line.parity(n % 2)
        inside = len(same) >= 2 and same.numbers[0] < n < same.numbers[-1]
        if not inside and key[1] is None and key[2] is None:
            est = self._numbering.estimate(key[0], n, one_sided=sides == "same")
            if est is not None:
                return Interpolated(*est)
        return interpolate_number(line, n, self._roads.get(key[0]), sides=sides)

    def _numbering_ceiling(self, key: StreetKey, n: int, features: dict | None) -> float:
        """P(within 100 m) of a number placed ``near_m`` from the road's nearest known number,
        by the road's own leave-one-out errors (:mod:`geogrid.geocode._numbering_errors`)."""
        model = self.numbering_errors
        near = (features or {}).get("near_m")
        if model is None or near is None:
            return 1.0
        # a one-sided street's irregularity is kept under the road's own name
        return model.p_within(_side_key(key[0], n, key[0] in model.roads), float(near),
                              beyond="move_m" in features)

    def _loo_residuals(self, key: StreetKey) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each known number of the road left out and placed from the others as a query
        would be: ``{road side: (near_m, error_m, extrapolated)}`` (the side: odd or even
        numbers, the whole road when one-sided)."""
        measured = self._measured(key)
        if measured is None or len(np.unique(measured.numbers)) < 3:
            return {}
        line = self._lines[key]
        out: dict[str, tuple[list, list]] = {}
        for n in np.unique(measured.numbers):
            rest = measured.numbers != n
            if len(np.unique(measured.numbers[rest])) < 2:
                continue
            nums = measured.numbers[rest]
            reduced = MeasuredNumbers(measured.spine, nums, measured.m[rest], measured.o[rest],
                                      _theil_sen(nums, measured.m[rest]))
            one_sided = reduced.sides() == "same"
            own = reduced.gap_slope(one_sided=one_sided)
            est = reduced.place(int(n), one_sided=one_sided,
                                slope=self._shrunk_slope(reduced, own),
                                setback=self._numbering.setback)
            if est is None:
                continue
            truth = np.median(line.xy[line.numbers == n], axis=0)
            side = _side_key(key[0], int(n), measured.sides() == "same")
            got = out.setdefault(side, ([], [], []))
            got[0].append(est[3]["near_m"])
            got[1].append(float(np.hypot(*(np.asarray(est[0]) - truth))))
            got[2].append("move_m" in est[3])
        return {k: (np.array(v[0]), np.array(v[1]), np.array(v[2], bool)) for k, v in out.items()}

    def _fit_numbering_errors(self) -> NumberingErrors | None:
        """The error model of every road's known numbers (built with the gazetteer)."""
        residuals = {}
        for key in self._lines:
            if key[1] is None and key[2] is None:
                residuals.update(self._loo_residuals(key))
        return NumberingErrors.fit(residuals)

    def _measured(self, key: StreetKey) -> MeasuredNumbers | None:
        """The known numbers of a road measured along its spine (built on first use)."""
        if key not in self._measured_cache:
            road = self._roads.get(key[0])
            line = self._lines[key]
            # a road the road data lacks: its line estimated from its own addresses
            spine = RoadSpine.build(road) if road is not None else RoadSpine.from_points(line.xy)
            self._measured_cache[key] = (MeasuredNumbers.build(line.numbers, line.xy, spine)
                                         if spine is not None else None)
        return self._measured_cache[key]

    def _shrunk_slope(self, measured: MeasuredNumbers, own: float | None = None) -> float:
        """The road's metres per number (``own``: its median same-side spacing, else its
        Theil-Sen slope), shrunk toward the pooled slope of every road (few numbers close
        together give a noisy slope; see :mod:`geogrid.geocode._numbering`)."""
        own = measured.slope if not own else own
        pooled = self._numbering.pooled_slope
        if own == 0 or pooled is None:
            return own
        span = float(measured.numbers.max() - measured.numbers.min())
        w = span ** 2 / (span ** 2 + SHRINK_SPAN ** 2)
        return float(w * own + (1 - w) * np.sign(own) * pooled)

    def _nearest_number(self, p: ParsedAddress, key: StreetKey, by_number, score: float
                        ) -> list[_Candidate]:
        """Too few numbers to interpolate: the nearest known number, if within 20 of the asked one.

        Same parity first (same side of the street). Neighbouring numbers
        stand a few metres apart, so a number 6 away is usually the same block.
        """
        known = [n for n in by_number if n > 0]
        same = [n for n in known if n % 2 == p.number % 2] or known
        n0 = min(same, key=lambda n: abs(n - p.number))
        gap = abs(n0 - p.number)
        if gap > 60:
            return []
        h = _by_medoid(by_number[n0])[0]
        parity = "same side" if n0 % 2 == p.number % 2 else "other side"
        cand = _Candidate(MatchLevel.INTERPOLATED, h.place.x, h.place.y,
                          score * (0.9 - 0.01 * gap) * (1.0 if parity == "same side" else 0.8),
                          label(key, p.number, p.number_suffix),
                          f"too few numbers to interpolate: at {n0}号, {gap} numbers away "
                          f"({parity})", estimated=True,
                          features={"n_known": float(len(known)), "guessed": 1.0})
        return self._check_hint(p, key, cand)

    def _check_hint(self, p: ParsedAddress, key: StreetKey, cand: _Candidate) -> list[_Candidate]:
        """Use a hinted cross street (近X路, X路口) or neighbour (近来福士广场) as a constraint on
        an interpolated number.

        Within 150 m of the junction the two agree and the score rises (and the ceiling
        the road's numbering errors put on the estimate is lifted); more
        than 300 m away they disagree: both answers are returned, each with a
        lower score, the junction's road segment first only if the
        interpolation was weak.
        """
        if key[1] is not None:
            return [cand]
        found = self._hinted_junctions(p, key[0])
        if not found:
            return [cand]
        x, y, near = min(found, key=lambda j: math.hypot(j[0] - cand.x, j[1] - cand.y))
        d = math.hypot(x - cand.x, y - cand.y)
        cand.features["hint"] = 1.0 if d <= 150 else 0.0 if d <= 300 else -1.0
        if d <= 150:
            cand.confidence = min(cand.confidence * 1.15, 0.95)
            # the hint places it, not the numbering alone: the numbering's error model does
            # not bound it (the class's model weighs the agreeing hint)
            cand.cap = 1.0
            cand.detail = _join(cand.detail, f"{d:.0f} m from the hinted {self._hint_what(near)}")
            return [cand]
        if d <= 300:
            return [cand]
        cand.confidence *= 0.6
        cand.detail = _join(cand.detail, f"{d:.0f} m from the hinted {self._hint_what(near)}")
        seg = _Candidate(MatchLevel.ROAD_SEGMENT, x, y, cand.confidence * 0.9,
                         f"{key[0]}(近{near})", "the hint and the interpolation disagree; "
                         f"the segment at the {self._hint_what(near)}", estimated=True)
        return [cand, seg]

    def _same_building(self, p: ParsedAddress, houses: list[House]) -> list[House]:
        """The records of one number whose address names the building the query names.

        ``南京东路800号东方商厦9层``: 800号 covers several buildings; the records
        that say 东方商厦 are the ones to use. Of records that all hold the name, those
        naming it most exactly (``fuzz.ratio`` within :data:`BUILDING_TIE` of the best):
        ``香港广场购物中心北区`` picks the north block's records, not every record of
        ``香港广场购物中心``.
        """
        if not p.poi or len(houses) < 2:
            return []
        want = normalise(p.poi)
        scored = [(fuzz.ratio(want, b), h) for h in houses
                  if (b := self._building_of.get((h.place.source, h.place.index)))
                  and fuzz.partial_ratio(want, b) >= 80]
        best = max((sc for sc, _ in scored), default=0.0)
        out = [h for sc, h in scored if sc >= best - BUILDING_TIE]
        return out if len(out) < len(houses) else []

    def _exact(self, p: ParsedAddress, key: StreetKey, n: int, houses: list[House],
               score: float) -> list[_Candidate]:
        want = p.number_suffix
        same = [h for h in houses if (h.suffix or None) == (want or None)]
        pool, factor, detail = (same, 1.0, None) if same else (
            houses, 0.85, f"suffix {want or '(none)'} asked, {houses[0].suffix or '(none)'} found")
        pool = sorted(pool, key=lambda h: _SOURCE_ORDER.get(h.place.source, 9))
        top = [h for h in pool if h.place.source == pool[0].place.source]
        site = list(top)  # every record of the number: how large the site is
        named = self._same_building(p, top)
        if named:
            top, detail = named, _join(detail, f"{len(named)} records name {p.poi}")
            pool = top + [h for h in pool if h not in top]
        centre, cap = None, 1.0
        if len(top) >= 2:
            top = _by_medoid(top)
            wide = _wide(top)
            picked = _by_place_name(p.place_name, top) if wide else None
            if picked is not None:
                top = [picked] + [h for h in top if h is not picked]
                detail = _join(detail, f"the name {p.place_name} picks {picked.place.name} "
                                       f"among {len(top)} records spread over more than {WIDE_M:.0f} m")
            else:
                factor *= _spread_factor(top)
                centre = self._agreeing_centre(top)
                cap = WIDE_CAP if wide else 1.0
                if wide:
                    detail = _join(detail, f"{len(top)} records spread over more than "
                                           f"{WIDE_M:.0f} m and no given name picks one")
            pool = top + [h for h in pool if h not in top]
        elif top[0].place.source == "addresses":
            factor *= 0.92  # one record, nothing to confirm it
            if (centre := self._building_centre(p, top[0])) is not None:
                detail = _join(detail, f"the centre of the records that name {p.poi}")
        out = []
        first = pool[0]
        feats = _site_features(p.place_name, site, centre or first.place)
        feats.update(self._site_evidence(p, top, centre or first.place, key))
        for h in pool:
            far = math.hypot(h.place.x - first.place.x, h.place.y - first.place.y)
            if h is not first and far < 30:
                continue
            conf = _BASE[MatchLevel.HOUSE_NUMBER] * score * factor * (1.0 if h is first else 0.9)
            place = centre if h is first and centre is not None else h.place
            out.append(_Candidate(MatchLevel.HOUSE_NUMBER, place.x, place.y, conf,
                                  h.label, detail, place=place, cap=cap,
                                  features=dict(feats)))
        return out

    def _site_evidence(self, p: ParsedAddress, houses: list[House], at, key: StreetKey
                       ) -> dict[str, float]:
        """How large the site at the number is, as features of the calibration (learned
        per class, never rules):

        * ``depth_m``: how far the answer stands from its road (metres; 0 when the road
          data lacks the road). A shop front stands by its road; a record 90 m inside its
          block is the centre of a large site (a hospital, a mall, a campus), and a place
          elsewhere on that site may be 150 m from it;
        * ``site_text``: 1 when the place the query names (or the name given beside it)
          has a word of a large site (:data:`SITE_WORDS`);
        * ``part_differs``: how far (``1 - fuzz.ratio / 100``) the building the query
          names is from the nearest building the answer's records name (``香港广场南座``
          asked, ``香港广场购物中心北区`` known: another part of the site); 0 when either
          names none;
        * ``building_m``: how far the records of the building it names reach
          (:meth:`_building_extent`)."""
        depth = self._depth(key[0], at)
        text = normalise((p.poi or "") + (p.place_name or ""))
        site_text = float(any(w in text for w in SITE_WORDS))
        differs = 0.0
        if p.poi:
            want = normalise(p.poi)
            names = [b for h in houses
                     if (b := self._building_of.get((h.place.source, h.place.index)))]
            if names:
                differs = 1.0 - max(fuzz.ratio(want, b) for b in names) / 100.0
        return {"depth_m": round(depth, 1), "site_text": site_text,
                "part_differs": round(differs, 3),
                "building_m": round(self._building_extent(p.poi, at), 1)}

    def _building_extent(self, name: str | None, at) -> float:
        """How far from ``at`` the database's records of the building ``name`` reach
        (metres; records whose address names a building that ``name`` matches, rapidfuzz
        ``partial_ratio`` >= 80, at any number of any road: 香港广场 is filed under 淮海中路
        282号 and 283号, 第一百货 under 南京东路800号 and 西藏中路500号). A building known
        150 m across is a large site wherever its one record at this number stands; 0 when
        no building is named or none is known."""
        if not name:
            return 0.0
        index, xy = self._building_sites()
        got = index.extract(normalise(name), fuzz.partial_ratio, None, 80)
        if not got:
            return 0.0
        pts = np.concatenate([xy[b] for b, _, _ in got])
        return float(np.hypot(pts[:, 0] - at.x, pts[:, 1] - at.y).max())

    def _building_sites(self) -> tuple[FuzzyIndex, dict[str, np.ndarray]]:
        """The building names the database's addresses hold (a :class:`FuzzyIndex`, narrowed
        by characters when there are many), and each one's record points (built on first
        use)."""
        if self._sites_cache is None:
            where: dict[str, dict] = {}
            for key, entries in self._names.items():
                for level, pl in entries:
                    if self._building_of.get((pl.source, pl.index)) == key:
                        where.setdefault(key, {})[(pl.source, pl.index)] = (pl.x, pl.y)
            self._sites_cache = (FuzzyIndex(where),
                                 {n: np.array(list(v.values())) for n, v in where.items()})
        return self._sites_cache

    def _depth(self, road: str, at) -> float:
        """Metres from ``at`` across its road: the offset from the road's spine, which goes
        on straight past the road data's ends (a drive graph has no pedestrian 南京东路, and
        the distance to its geometry would be a kilometre); the distance to the road's
        geometry when its numbers are not measured; 0 without road data."""
        main = (road, None, None)
        measured = self._measured(main) if main in self._lines else None
        if measured is not None:
            return float(abs(measured.spine.measure(np.array([[at.x, at.y]]))[1][0]))
        line = self._roads.get(road)
        return float(shapely.distance(line, shapely.Point(at.x, at.y))) if line is not None \
            else 0.0

    def _building_centre(self, p: ParsedAddress, house: House):
        """One record of a number, in a building the database knows from other records too
        (``兴业路123弄1-7号上海新天地南里``: other records say ``太仓路181弄上海新天地南里``):
        the mean of the records of that building that stand within :data:`AGREE_M` of
        their medoid, when the one record is among them and at least
        :data:`BUILDING_RECORDS` agree. One shop of a mall says where that shop is; a caller
        elsewhere in the mall is nearer the mall's centre. ``None`` otherwise."""
        if not p.poi:
            return None
        key = normalise(p.poi)
        own = (house.place.source, house.place.index)
        places = [house.place] + [
            pl for level, pl in self._names.get(key, ())
            if level is MatchLevel.BUILDING and (pl.source, pl.index) != own
            and self._building_of.get((pl.source, pl.index)) == key]
        if len(places) < BUILDING_RECORDS:
            return None
        xy = np.array([(pl.x, pl.y) for pl in places])
        dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        near = dist[int(np.argmin(dist.sum(1)))] <= AGREE_M
        if not near[0] or near.sum() < BUILDING_RECORDS:
            return None
        x, y = (float(v) for v in xy[near].mean(axis=0))
        lon, lat = self._lonlat(x, y)
        return replace(house.place, x=x, y=y, lon=lon, lat=lat)

    def _agreeing_centre(self, houses: list[House]):
        """The mean of the records within :data:`AGREE_M` of their medoid, as a place.

        Records of one number that agree (the shops of one mall, the departments of one
        hospital) each stand somewhere on a site; their mean stands for the site better
        than any one of them, and of two records neither is the medoid. Records farther
        out are other places sharing the number and keep their own candidates."""
        medoid = houses[0].place
        near = [h.place for h in houses
                if math.hypot(h.place.x - medoid.x, h.place.y - medoid.y) <= AGREE_M]
        if len(near) < 2:
            return None
        x, y = float(np.mean([p.x for p in near])), float(np.mean([p.y for p in near]))
        lon, lat = self._lonlat(x, y)
        return replace(medoid, x=x, y=y, lon=lon, lat=lat)




#: how far a road may pass from a hinted cross street that it does not meet

def _side_key(road: str, n: int, one_sided: bool) -> str:
    """The name a road side's irregularity is kept under: ``road`` for a one-sided street,
    else ``road#odd`` / ``road#even``."""
    return road if one_sided else f"{road}#{'odd' if n % 2 else 'even'}"


def _by_medoid(houses: list[House]) -> list[House]:
    """``houses`` ordered by their summed distance to the others: the medoid first.

    Many records may share one number (the shops of a mall at 西藏中路268号);
    the medoid is the record most typical of them, robust to a stray one.
    """
    xy = np.array([(h.place.x, h.place.y) for h in houses])
    cost = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]).sum(1)
    return [houses[i] for i in np.argsort(cost, kind="stable")]


def _wide(houses: list[House]) -> bool:
    """True when a record lies more than :data:`WIDE_M` from the medoid (``houses[0]``)."""
    m = houses[0].place
    return any(math.hypot(h.place.x - m.x, h.place.y - m.y) > WIDE_M for h in houses[1:])


def _by_place_name(name: str | None, houses: list[House]) -> House | None:
    """The record whose name matches ``name`` (``WRatio`` ≥ :data:`NAME_MATCH`), if the
    records that match about as well (within 5 points) stand within :data:`WIDE_M` of it;
    ``None`` when no name is given, none matches, or the matches are far apart."""
    if not name:
        return None
    want = normalise(name)
    scored = [(fuzz.WRatio(want, normalise(h.place.name)), h) for h in houses if h.place.name]
    good = [(s, h) for s, h in scored if s >= NAME_MATCH]
    if not good:
        return None
    best_s, best = max(good, key=lambda t: t[0])
    rivals = [h for s, h in good if s >= best_s - 5.0]
    if any(math.hypot(h.place.x - best.place.x, h.place.y - best.place.y) > WIDE_M
           for h in rivals):
        return None
    return best


def _site_features(name: str | None, houses: list[House], at) -> dict[str, float]:
    """What an exact answer rests on: how many records share the number, how far they
    spread from the answer (metres, the farthest), and how well the given name matches
    the best of their names (``WRatio`` / 100; 0 without a name)."""
    spread = max(math.hypot(h.place.x - at.x, h.place.y - at.y) for h in houses)
    match = 0.0
    if name:
        want = normalise(name)
        match = max((fuzz.WRatio(want, normalise(h.place.name)) for h in houses
                     if h.place.name), default=0.0) / 100.0
    return {"n_records": float(len(houses)), "spread_m": float(spread), "name_match": match}


def _spread_factor(houses: list[House]) -> float:
    """1 when the records of one number agree within 50 m, down to 0.7 when spread over 250 m."""
    xy = np.array([(h.place.x, h.place.y) for h in houses])
    spread = float(np.median(np.hypot(*(xy - np.median(xy, axis=0)).T)))
    return float(np.clip(1.0 - (spread - 50.0) / 667.0, 0.7, 1.0))
