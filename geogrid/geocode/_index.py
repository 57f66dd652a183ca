"""The gazetteer's index: records, input validation and the fuzzy-match pool.

Private to :mod:`geogrid.geocode`; :class:`~geogrid.geocode.gazetteer.Gazetteer`
is the public face. Everything here is built once, in
:meth:`Gazetteer.from_frames`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from rapidfuzz import process

from .._errors import InputError, ValidationError, ValidationProblem
from ..crs import require_storage_crs
from .address import normalise, parse_address, parse_house_number, road_key

__all__ = ["REQUIRED_COLUMNS", "FuzzyIndex", "House", "Place", "StreetKey", "grouped_places",
           "index_houses", "is_missing", "label", "places_of", "street_of", "validate_frames"]


@dataclass(frozen=True)
class Place:
    name: str
    x: float
    y: float
    lon: float
    lat: float
    source: str
    index: Any


@dataclass(frozen=True)
class House:
    place: Place
    number: int
    suffix: str | None
    label: str
    primary: bool = True


StreetKey = tuple[str, int | None, int | None]


def label(key: StreetKey, number: int | None, suffix: str | None = None) -> str:
    road, lane, sublane = key
    out = road
    if lane is not None:
        out += f"{lane}弄"
    if sublane is not None:
        out += f"{sublane}支弄"
    if number is not None:
        out += f"{number}{suffix or ''}号"
    return out


def street_of(text: str) -> tuple[str, int | None, int | None] | None:
    """Street key of an ``addr:street`` value: ``四川中路126弄`` → (四川中路, 126, None)."""
    p = parse_address(text)
    if p.road:
        return road_key(p.road), p.lane, p.sublane
    if p.poi:
        return road_key(p.poi), p.lane, p.sublane
    return None


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


class FuzzyIndex:
    """Choices for rapidfuzz, narrowed by a character index when there are many.

    Scoring 100 000 names costs tens of milliseconds, too slow for a
    dispatcher. Any name that can reach the cutoff (``fuzz.ratio`` ≥ 80, or a
    ``WRatio`` partial match) shares most of the query's characters, so above
    ``direct_max`` choices only the names sharing at least half of the
    query's distinct characters are scored, at most ``pool`` of them, most
    shared characters first.
    """

    def __init__(self, choices: Iterable[str], *, direct_max: int = 2000, pool: int = 256):
        self.choices = sorted(choices)
        self.pool_size = pool
        self._post: dict[str, np.ndarray] | None = None
        if len(self.choices) > direct_max:
            post: dict[str, list[int]] = defaultdict(list)
            for i, c in enumerate(self.choices):
                for ch in set(c):
                    post[ch].append(i)
            self._post = {ch: np.asarray(v, dtype=np.int64) for ch, v in post.items()}

    def pool(self, query: str) -> list[str]:
        if self._post is None:
            return self.choices
        chars = set(query)
        posts = [self._post[c] for c in chars if c in self._post]
        if not posts:
            return []
        counts = np.bincount(np.concatenate(posts), minlength=len(self.choices))
        cand = np.flatnonzero(counts >= max(1, (len(chars) + 1) // 2))
        if len(cand) > self.pool_size:
            cand = cand[np.argsort(-counts[cand], kind="stable")[: self.pool_size]]
        return [self.choices[i] for i in cand]

    def extract(self, query: str, scorer, limit: int, cutoff: float):
        return process.extract(query, self.pool(query), scorer=scorer, limit=limit,
                               score_cutoff=cutoff)

    def extract_one(self, query: str, scorer, cutoff: float | None = None):
        return process.extractOne(query, self.pool(query), scorer=scorer, score_cutoff=cutoff)


REQUIRED_COLUMNS = {
    "addresses": (("address",),),
    "address_points": (("addr_street", "addr_housenumber"), ("address",)),
    "buildings": (("addr_street", "addr_housenumber"), ("address",), ("name",)),
    "compounds": (("name",),),
    "pois": (("name",),),
    "roads": (("name",),),
    "areas": (("name",),),
}


def validate_frames(frames: dict[str, gpd.GeoDataFrame]) -> None:
    problems: list[ValidationProblem] = []
    for name, frame in frames.items():
        if not isinstance(frame, gpd.GeoDataFrame):
            raise InputError(f"{name} must be a GeoDataFrame, got {type(frame).__name__}.",
                             field=name, fix=f"Wrap it: gpd.GeoDataFrame({name}, crs='EPSG:4490').")
        require_storage_crs(frame, name)
        options = REQUIRED_COLUMNS[name]
        if not any(all(c in frame.columns for c in opt) for opt in options):
            wanted = " or ".join("+".join(opt) for opt in options)
            raise InputError(f"{name} lacks the columns {wanted}; it has {list(frame.columns)}.",
                             field=name, fix=f"Rename the columns of {name} to {wanted}.")
        geoms = frame.geometry
        bad = geoms.isna() | geoms.is_empty
        for idx in frame.index[bad.to_numpy()]:
            problems.append(ValidationProblem(idx, f"{name}.geometry", "null or empty geometry"))
        if name == "roads":
            kinds = geoms[~bad].geom_type
            for idx in kinds.index[~kinds.isin(["LineString", "MultiLineString"]).to_numpy()]:
                problems.append(ValidationProblem(idx, "roads.geometry",
                                                  f"a road must be a line, got {kinds[idx]}"))
        if name == "areas":
            kinds = geoms[~bad].geom_type
            for idx in kinds.index[~kinds.isin(["Polygon", "MultiPolygon"]).to_numpy()]:
                problems.append(ValidationProblem(idx, "areas.geometry",
                                                  f"an area must be a polygon, got {kinds[idx]}"))
    if problems:
        raise ValidationError("the gazetteer frames have unusable geometries", problems,
                              fix="Drop or repair those rows before building the gazetteer.")


def places_of(frame: gpd.GeoDataFrame, source: str, fwd: Transformer) -> list[Place]:
    reps = frame.geometry.representative_point()
    lon, lat = reps.x.to_numpy(), reps.y.to_numpy()
    x, y = fwd.transform(lon, lat)
    names = frame["name"].tolist() if "name" in frame.columns else [None] * len(frame)
    return [Place("" if is_missing(nm) else str(nm), float(a), float(b), float(c), float(d),
                   source, idx)
            for nm, a, b, c, d, idx in zip(names, x, y, lon, lat, frame.index)]


def grouped_places(frame: gpd.GeoDataFrame, source: str, fwd: Transformer):
    """One place per compound name: the representative point of the union of its parts."""
    groups: dict[str, list[int]] = defaultdict(list)
    for pos, name in enumerate(frame["name"].tolist()):
        if not is_missing(name) and str(name).strip():
            groups[normalise(str(name))].append(pos)
    geoms = frame.geometry.to_numpy()
    for key, positions in groups.items():
        parts = [geoms[i] for i in positions]
        polys = [g for g in parts if g.geom_type in ("Polygon", "MultiPolygon")]
        rp = (shapely.union_all(polys) if polys else parts[0]).representative_point()
        x, y = fwd.transform(rp.x, rp.y)
        name = str(frame["name"].iloc[positions[0]])
        yield key, Place(name, float(x), float(y), rp.x, rp.y, source, frame.index[positions[0]])


def index_houses(frame, places, source, houses, unindexed, street_cache) -> None:
    if "addr_street" in frame.columns and "addr_housenumber" in frame.columns:
        pairs = zip(frame["addr_street"].tolist(), frame["addr_housenumber"].tolist())
        parsed_rows = []
        number_cache: dict[str, Any] = {}
        for street, hn in pairs:
            if is_missing(street) and is_missing(hn):
                parsed_rows.append(None)
                continue
            if is_missing(street) or is_missing(hn):
                parsed_rows.append("street and house number must both be given")
                continue
            street = str(street)
            if street not in street_cache:
                street_cache[street] = street_of(street)
            skey = street_cache[street]
            hn = str(hn)
            if hn not in number_cache:
                number_cache[hn] = parse_house_number(hn)
            number = number_cache[hn]
            if skey is None:
                parsed_rows.append(f"street {street!r} is not a road or place name")
            elif number is None:
                parsed_rows.append(f"house number {hn!r} is not a plain house number")
            else:
                lane = number.lane if number.lane is not None else skey[1]
                sub = number.sublane if number.sublane is not None else skey[2]
                parsed_rows.append(((skey[0], lane, sub), number.numbers, number.suffix))
    elif "address" in frame.columns:
        parsed_rows = []
        for text in frame["address"].tolist():
            if is_missing(text):
                parsed_rows.append(None)
                continue
            p = parse_address(str(text))
            street = p.road or p.poi
            if street is not None and p.lane is not None and p.number is None:
                # 太仓路181弄新天地北里: a place in the lane, number 0 stands for "somewhere in it"
                parsed_rows.append(((road_key(street), p.lane, p.sublane), (0,), None))
                continue
            if street is None or p.number is None:
                parsed_rows.append(f"address {text!r} has no road and house number")
                continue
            numbers = p.numbers
            if p.number_range is not None:
                a, b = p.number_range
                numbers = tuple(range(a, b + 1, 2 if (b - a) % 2 == 0 and p.lane is None else 1))
            if p.compound:  # 浦东南路东园一村113号: number 113 of the compound
                street = p.compound
            parsed_rows.append(((road_key(street), p.lane, p.sublane), numbers, p.number_suffix))
    else:
        return
    for place, row in zip(places, parsed_rows):
        if row is None:
            continue
        if isinstance(row, str):
            unindexed.append(ValidationProblem(place.index, f"{source}.address", row))
            continue
        key, numbers, suffix = row
        middle = numbers[len(numbers) // 2]
        for n in numbers:
            houses[key][n].append(House(place, n, suffix, label(key, n if n else None, suffix),
                                        n == middle and n != 0))
