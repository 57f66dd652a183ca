"""Accuracy evaluation of the gazetteer on addresses derived from the data itself.

:func:`build_eval_set` turns gazetteer input frames (for example the OSM
Lujiazui extract via :func:`geogrid.geocode.osm.gazetteer_frames`) into test
cases whose true location is known, written the ways addresses reach a
dispatch desk. :func:`evaluate` geocodes them and reports, per variant and in
total, the share of results within ``threshold_m`` (50 m) of the truth, plus
every case's error so callers can add their own checks (for example "in the
right microgrid").

Variants
--------
For every indexed house number ``R n号`` (truth: its address point, else its
building's representative point):

=================  ===========================================
exact              中山东一路18号
bare               中山东一路18              (no 号)
prefix             上海市黄浦区中山东一路18号  (上海市 / 上海 / district only)
fullwidth          中山东一路１８号
cn_numeral         中山东一路十八号 or 二〇一 digit by digit
traditional        中山东一路18號
detail             中山东一路18号3号楼502室 / 12层 / 2单元
paren_hint         中山东一路18号(近南京东路)  (nearest other road)
spaces             " 上海 中山东一路 18 号 "
dash               四川中路126-5               (lanes only: 弄-号)
=================  ===========================================

``interpolation``: a share of numbers (``holdout_fraction``, never the
first or last of their side of the street) is removed from the frames
returned in :attr:`EvalSet.frames`; the case asks for that number, so the
answer must be interpolated from the neighbours that remain.

``intersection`` / ``intersection_offset``: POIs named after a crossing
(bus stops and signals such as 九江路江西中路) give an independent truth for
``九江路与江西中路交叉口`` and ``九江路和江西中路路口``; these POIs are removed from the
frames. ``intersection_offset`` asks for ``…交叉口东50米`` and its truth is the
POI moved 50 m due east (straight), so it also measures how far "along the
road" lands from "due east".

``poi_with_road`` (``浦东南路正大广场``), ``compound`` (``崂山五村12号302室``) and
``building_name`` (``上海市黄浦区和平饭店``) check that names survive the parse.

The cases are generated with a seeded RNG, so a run is reproducible.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from shapely.geometry import Point

from ._index import street_of
from ._numerals import int_to_cn
from .address import parse_house_number, road_key
from .gazetteer import Gazetteer, MatchLevel

__all__ = ["EvalCase", "EvalSet", "build_eval_set", "district_namer", "evaluate"]

_GEOD = Geod(ellps="GRS80")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class EvalCase:
    """One address with its true location and the level(s) a correct answer has."""

    query: str
    variant: str
    lon: float
    lat: float
    expected: tuple[MatchLevel, ...]
    truth: str


@dataclass
class EvalSet:
    """Cases plus the gazetteer frames to build from (held-out rows removed)."""

    cases: list[EvalCase]
    frames: dict[str, gpd.GeoDataFrame]
    holdout: list[str] = field(default_factory=list)


def district_namer(boundaries: gpd.GeoDataFrame) -> Callable[[float, float], str | None]:
    """Name the district a point lies in from district boundary lines.

    OSM boundary lines carry ``name:left`` / ``name:right``: the districts on
    either side in the direction the line is drawn. The nearest line and the
    sign of the cross product of its nearest segment with the point decide
    the side. Good enough to write a realistic prefix (上海市浦东新区…); not a
    substitute for district polygons.
    """
    lines = boundaries[boundaries.geom_type == "LineString"]
    segs, left, right = [], [], []
    for geom, ln, rn in zip(lines.geometry, lines["name:left"], lines["name:right"]):
        c = np.asarray(geom.coords)
        for a, b in itertools.pairwise(c):
            segs.append((a[0], a[1], b[0], b[1]))
            left.append(ln)
            right.append(rn)
    segs = np.array(segs)

    def name(lon: float, lat: float) -> str | None:
        if not len(segs):
            return None
        ax, ay, bx, by = segs.T
        dx, dy = bx - ax, by - ay
        t = np.clip(((lon - ax) * dx + (lat - ay) * dy) / (dx * dx + dy * dy), 0, 1)
        d2 = (ax + t * dx - lon) ** 2 + (ay + t * dy - lat) ** 2
        i = int(np.argmin(d2))
        cross = dx[i] * (lat - ay[i]) - dy[i] * (lon - ax[i])
        return left[i] if cross > 0 else right[i]

    return name


def _truths(frames) -> dict[tuple, dict]:
    """Every indexed (street key, number) with its truth point and the rows that hold it."""
    out: dict[tuple, dict] = {}
    for source in ("address_points", "buildings"):
        frame = frames.get(source)
        if frame is None or "addr_street" not in frame.columns:
            continue
        reps = frame.geometry.representative_point()
        for idx, street, hn, pt in zip(frame.index, frame["addr_street"], frame["addr_housenumber"],
                                       reps):
            if not isinstance(street, str) or not isinstance(hn, str):
                continue
            skey = street_of(street)
            num = parse_house_number(hn)
            if skey is None or num is None or not re.search(r"[\u4e00-\u9fff]", street):
                continue
            lane = num.lane if num.lane is not None else skey[1]
            key_street = (skey[0], lane, skey[2])
            for n in num.numbers:
                rec = out.setdefault((key_street, n), {"rows": [], "point": None,
                                                       "single": True})
                rec["rows"].append((source, idx))
                if rec["point"] is None:  # address points come first
                    rec["point"] = (pt.x, pt.y)
                if len(num.numbers) > 1:
                    rec["single"] = False
    return out


def _street_text(key: tuple) -> str:
    road, lane, sub = key
    return road + (f"{lane}弄" if lane is not None else "") + (f"{sub}支弄" if sub is not None else "")


def build_eval_set(frames: dict[str, gpd.GeoDataFrame], *, boundaries: gpd.GeoDataFrame | None = None,
                   holdout_fraction: float = 0.2, seed: int = 0) -> EvalSet:
    """Build evaluation cases from gazetteer input ``frames`` (see the module docstring).

    ``boundaries`` (district lines with ``name:left`` / ``name:right``) let the
    ``prefix`` variant write the right district; without them it writes 上海市.
    """
    rng = np.random.default_rng(seed)
    frames = {k: v.copy() for k, v in frames.items() if v is not None}
    namer = district_namer(boundaries) if boundaries is not None else (lambda lon, lat: None)
    truths = _truths(frames)
    roads = frames.get("roads")
    road_names = sorted({road_key(n) for n in roads["name"]}) if roads is not None else []
    holdout = _holdout(truths, holdout_fraction, rng)
    drop = _drop_held(frames, truths, holdout)
    cases = _address_cases(truths, set(holdout), drop, namer, roads, rng)
    cases += _intersection_cases(frames, road_names)
    cases += _name_cases(frames, roads, road_names, namer, rng, seed)
    return EvalSet(cases=cases, frames=frames,
                   holdout=[f"{_street_text(s)}{n}号" for s, n in holdout])


def _holdout(truths: dict, holdout_fraction: float, rng: np.random.Generator) -> list[tuple]:
    """Interior numbers of each street side, held out to test interpolation."""
    by_street: dict[tuple, list[int]] = defaultdict(list)
    for (street, n), rec in truths.items():
        if rec["single"]:
            by_street[street].append(n)
    holdout: list[tuple] = []
    for street, nums in sorted(by_street.items(), key=lambda kv: _street_text(kv[0])):
        for parity in (0, 1):
            side = sorted(n for n in set(nums) if n % 2 == parity)
            interior = side[1:-1]
            k = round(len(interior) * holdout_fraction)
            if k:
                holdout += [(street, int(n)) for n in rng.choice(interior, size=k, replace=False)]
    return holdout


def _drop_held(frames: dict, truths: dict, holdout: list[tuple]) -> dict[str, set]:
    """Remove the held-out numbers' rows from ``frames``; the rows dropped, by source."""
    drop: dict[str, set] = defaultdict(set)
    for key in holdout:
        for source, idx in truths[key]["rows"]:
            drop[source].add(idx)
    for source, idxs in drop.items():
        frames[source] = frames[source].drop(index=list(idxs))
    return drop


def _nearest_other_road(roads, lon: float, lat: float, own: str) -> str | None:
    """The nearest road or street not named ``own`` (tunnels passed over)."""
    if roads is None:
        return None
    # degrees are fine for ranking neighbours a few hundred metres apart
    d = shapely.distance(roads.geometry.to_numpy(), Point(lon, lat))
    for i in np.argsort(d):
        name = roads["name"].iloc[i]
        if (isinstance(name, str) and road_key(name) != own
                and name.endswith(("路", "街", "大道")) and not name.endswith(("隧道", "地道"))):
            return name
    return None


def _address_cases(truths, held, drop, namer, roads, rng) -> list[EvalCase]:
    """House-number cases: the held-out ones, and written variants of the others."""
    cases: list[EvalCase] = []
    for (street, n), rec in sorted(truths.items(), key=lambda kv: (_street_text(kv[0][0]), kv[0][1])):
        lon, lat = rec["point"]
        s = _street_text(street)
        truth = f"{s}{n}号"
        if (street, n) in held:
            cases.append(EvalCase(f"{s}{n}号", "interpolation", lon, lat,
                                  (MatchLevel.INTERPOLATED,), truth))
            continue
        if any(source in drop and idx in drop[source] for source, idx in rec["rows"]):
            continue
        if not rec["single"] and rng.random() > 0.2:
            continue  # ranges index many numbers; keep a few of them
        variants = _variants(street, n, namer(lon, lat), rng)
        other = _nearest_other_road(roads, lon, lat, street[0])
        if other:
            variants["paren_hint"] = f"{s}{n}号(近{other})"
        for variant, q in variants.items():
            cases.append(EvalCase(q, variant, lon, lat, (MatchLevel.HOUSE_NUMBER,), truth))
    return cases


def _variants(street: tuple, n: int, district: str | None, rng: np.random.Generator) -> dict:
    """The ways people write house number ``n`` of ``street``, by variant name."""
    s = _street_text(street)
    prefix = rng.choice([f"上海市{district or ''}", f"上海{district or '市'}",
                         district or "上海市"])
    ncn = int_to_cn(n, digitwise=bool(rng.random() < 0.3)) if n < 10000 else str(n)
    detail = rng.choice([f"{rng.integers(1, 12)}号楼{rng.integers(1, 30)}0{rng.integers(1, 6)}室",
                         f"{rng.integers(1, 30)}层", f"{rng.integers(1, 4)}单元"])
    variants = {
        "exact": f"{s}{n}号",
        "bare": f"{s}{n}",
        "prefix": f"{prefix}{s}{n}号",
        "fullwidth": f"{s}{str(n).translate(_FULLWIDTH)}号",
        "cn_numeral": f"{s}{ncn}号",
        "traditional": f"{s}{n}號",
        "detail": f"{s}{n}号{detail}",
        "spaces": f" 上海 {' '.join([s, str(n), '号'])} ",
    }
    if street[1] is not None and street[2] is None:
        variants["dash"] = f"{street[0]}{street[1]}-{n}"
    return variants


def _intersection_cases(frames: dict, road_names: list[str]) -> list[EvalCase]:
    """Intersections from POIs named after a crossing (those POIs leave ``frames``)."""
    pois = frames.get("pois")
    if pois is None or not road_names:
        return []
    names = set(road_names)
    pattern = re.compile(r"^(.+?(?:路|街|大道))(.+?(?:路|街|大道))$")
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for idx, name, geom in zip(pois.index, pois["name"], pois.geometry):
        if not isinstance(name, str):
            continue
        m = pattern.match(name.strip())
        if m and road_key(m.group(1)) in names and road_key(m.group(2)) in names:
            groups[(m.group(1), m.group(2))].append((idx, geom))
    cases: list[EvalCase] = []
    used = set()
    ix = (MatchLevel.INTERSECTION,)
    for (a, b), items in sorted(groups.items()):
        lon = float(np.mean([g.x for _, g in items]))
        lat = float(np.mean([g.y for _, g in items]))
        used |= {idx for idx, _ in items}
        truth = f"{a}{b}"
        cases.append(EvalCase(f"{a}与{b}交叉口", "intersection", lon, lat, ix, truth))
        cases.append(EvalCase(f"{b}和{a}路口", "intersection", lon, lat, ix, truth))
        elon, elat, _ = _GEOD.fwd(lon, lat, 90.0, 50.0)
        cases.append(EvalCase(f"{a}与{b}交叉口东50米", "intersection_offset", float(elon),
                              float(elat), ix, truth))
    frames["pois"] = pois.drop(index=list(used))
    return cases


def _name_cases(frames, roads, road_names, namer, rng, seed) -> list[EvalCase]:
    """Names: POIs with a road in front, compounds with a number, named buildings."""
    cases: list[EvalCase] = []
    pois = frames.get("pois")
    names_of_roads = set(road_names)
    if pois is not None and roads is not None:
        counts = pois["name"].value_counts()
        unique = pois[pois["name"].map(counts).eq(1) & pois["name"].str.len().ge(3)]
        unique = unique[unique["name"].str.contains(r"[\u4e00-\u9fff]", regex=True)
                        & ~unique["name"].map(lambda n: road_key(n) in names_of_roads)
                        & ~unique["name"].str.contains(r"[()（）]", regex=True)]
        pick = unique.sample(n=min(40, len(unique)), random_state=seed)
        for name, geom in zip(pick["name"], pick.geometry.representative_point()):
            road = _nearest_other_road(roads, geom.x, geom.y, "")
            if road and not name.startswith(road):
                cases.append(EvalCase(f"{road}{name}", "poi_with_road", geom.x, geom.y,
                                      (MatchLevel.POI, MatchLevel.BUILDING), name))
    compounds = frames.get("compounds")
    if compounds is not None and len(compounds):
        for name, grp in compounds.groupby("name"):
            polys = grp[grp.geom_type.isin(["Polygon", "MultiPolygon"])]
            rp = (polys if len(polys) else grp).geometry.union_all().representative_point()
            q = f"{name}{rng.integers(1, 40)}号{rng.integers(1, 7)}0{rng.integers(1, 4)}室"
            cases.append(EvalCase(q, "compound", rp.x, rp.y, (MatchLevel.COMPOUND,), name))
    return cases + _building_cases(frames.get("buildings"), namer, seed)


def _building_cases(buildings, namer, seed: int) -> list[EvalCase]:
    """Named buildings (a name used at most twice), written with city and district."""
    if buildings is None or "name" not in buildings.columns:
        return []
    named = buildings[buildings["name"].notna()]
    counts = named["name"].value_counts()
    named = named[named["name"].map(counts).le(2) & named["name"].str.len().ge(4)]
    named = named[named.geom_type.isin(["Polygon", "MultiPolygon"])]
    named = named.drop_duplicates("name")
    pick = named.sample(n=min(40, len(named)), random_state=seed)
    return [EvalCase(f"上海市{namer(geom.x, geom.y) or ''}{name}", "building_name", geom.x, geom.y,
                     (MatchLevel.BUILDING,), name)
            for name, geom in zip(pick["name"], pick.geometry.representative_point())]


def _stats(frame: pd.DataFrame, threshold_m: float, more: tuple[float, ...]) -> dict:
    err = frame["error_m"].dropna()
    n = len(frame)
    errors = frame["error_m"].fillna(np.inf)
    return {
        "n": n,
        "found": int(frame["ok"].sum()),
        "within": int(frame["within"].sum()),
        "pct_within": round(100.0 * frame["within"].mean(), 2) if n else float("nan"),
        **{f"pct_within_{t:g}m": round(100.0 * float((errors <= t).mean()), 2) if n
           else float("nan") for t in more},
        "pct_level": round(100.0 * frame["level_ok"].mean(), 2) if n else float("nan"),
        "median_m": round(float(err.median()), 2) if len(err) else float("nan"),
        "p90_m": round(float(err.quantile(0.9)), 2) if len(err) else float("nan"),
        "max_m": round(float(err.max()), 2) if len(err) else float("nan"),
        "threshold_m": threshold_m,
    }


def evaluate(gazetteer: Gazetteer, cases: list[EvalCase], *, threshold_m: float = 50.0,
             more_thresholds_m: tuple[float, ...] = (100.0, 200.0)) -> dict:
    """Geocode every case and measure the error against its truth.

    Returns ``{"total": stats, "by_variant": {variant: stats}, "cases": DataFrame}``
    where stats hold ``n``, ``found``, ``within`` (count within
    ``threshold_m``), ``pct_within``, ``pct_within_<t>m`` for each of
    ``more_thresholds_m``, ``pct_level`` (share answered at an
    expected :class:`MatchLevel`), ``median_m``, ``p90_m`` and ``max_m``. The
    frame has one row per case: query, variant, truth, truth_lon, truth_lat,
    ok, lon, lat, level, confidence, error_m (geodesic, GRS80), within,
    level_ok. A case that is not found counts as outside the threshold.
    """
    rows = []
    for c in cases:
        r = gazetteer.geocode(c.query)
        rows.append({
            "query": c.query, "variant": c.variant, "truth": c.truth,
            "truth_lon": c.lon, "truth_lat": c.lat, "ok": r.ok, "lon": r.lon, "lat": r.lat,
            "level": r.level.value if r.level else None, "confidence": r.confidence,
            "level_ok": bool(r.level in c.expected) if r.ok else False,
        })
    frame = pd.DataFrame(rows)
    if not len(frame):
        empty = pd.DataFrame({"error_m": [], "within": [], "ok": [], "level_ok": []})
        return {"total": _stats(empty, threshold_m, more_thresholds_m), "by_variant": {},
                "cases": frame}
    found = frame["ok"].to_numpy(dtype=bool)
    err = np.full(len(frame), np.nan)
    if found.any():
        _, _, dist = _GEOD.inv(frame.loc[found, "truth_lon"].to_numpy(float),
                               frame.loc[found, "truth_lat"].to_numpy(float),
                               frame.loc[found, "lon"].to_numpy(float),
                               frame.loc[found, "lat"].to_numpy(float))
        err[found] = dist
    frame["error_m"] = err
    frame["within"] = found & (np.nan_to_num(err, nan=np.inf) <= threshold_m)
    by_variant = {v: _stats(g, threshold_m, more_thresholds_m)
                  for v, g in frame.groupby("variant", sort=True)}
    return {"total": _stats(frame, threshold_m, more_thresholds_m), "by_variant": by_variant,
            "cases": frame}
