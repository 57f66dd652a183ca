"""Simulated incident reports: a realistic day of a street, reproducible from a seed.

For demos, load tests and end-to-end checks of locating and dispatch.
:func:`simulate_day` draws

* **how many**: Poisson with mean ``rate_per_1000`` per 1,000 residents of
  the places (fewer patrol reports on days off);
* **where**: places weighted by ``population``, else ``households`` × 2.5,
  else a small weight by object type; a point inside the place's polygon
  (or near its point) with the position error of the channel;
* **what**: categories by their catalogue ``frequency``, tilted by the kind
  of place (street-front shops see 占道经营, housing sees 群租 and 高空抛物,
  plazas see 重大活动 and litter);
* **how and when**: a channel by category — 12345 hotline, 巡查 (patrol),
  居民上报 (residents' WeChat mini-program), 传感器 (sensors) — and a time of
  day from that channel's diurnal profile (patrols in office hours, the
  hotline peaking again in the evening with noise complaints);
* **in which datum**: patrol GPS reports WGS84, residents' map pickers
  GCJ-02, the hotline GCJ-02, BD-09 or CGCS2000, sensors CGCS2000. ``lon`` /
  ``lat`` are in the stated ``datum``; ``true_lon`` / ``true_lat`` are the
  place in CGCS2000, so the locating step can be checked against them.

Pure: no IO and no global random state; the same arguments give the same
frame.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import InputError
from ..constants import M_PER_DEG_EQUATOR, m_per_deg_lat
from ..crs import require_storage_crs
from ..datum import from_storage
from .calendar import BEIJING, WorkingCalendar
from .catalogue import Catalogue

__all__ = ["CHANNELS", "simulate_day", "simulate_days"]

#: Report channels and their Chinese names.
CHANNELS = {"12345": "12345热线", "patrol": "巡查", "resident": "居民上报", "sensor": "传感器"}

_HOURLY = {  # relative reports per hour of day, Beijing time
    "patrol": [0, 0, 0, 0, 0, 0, 0, 0.3, 1.0, 1.0, 1.0, 0.8, 0.2, 0.7, 1.0, 1.0, 0.9, 0.6, 0.1,
               0, 0, 0, 0, 0],
    "12345": [0.15, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 1.0, 1.0, 0.9, 0.8, 0.6, 0.8, 0.9, 0.9,
              0.8, 0.7, 0.7, 0.9, 1.0, 0.9, 0.6, 0.3],
    "resident": [0.1, 0.05, 0.02, 0.02, 0.02, 0.05, 0.2, 0.6, 0.9, 1.0, 1.0, 0.9, 0.8, 0.8, 0.9,
                 0.9, 0.9, 0.9, 1.0, 1.0, 0.9, 0.7, 0.4, 0.2],
    "sensor": [1.0] * 24,
}
_CHANNEL_MIX = {  # channel weights by category code; "*" for the rest
    "*": {"patrol": 0.5, "12345": 0.25, "resident": 0.25, "sensor": 0.0},
    "waterlogging": {"patrol": 0.25, "12345": 0.15, "resident": 0.1, "sensor": 0.5},
    "manhole_cover": {"patrol": 0.3, "12345": 0.1, "resident": 0.1, "sensor": 0.5},
    "noise": {"patrol": 0.05, "12345": 0.65, "resident": 0.3, "sensor": 0.0},
    "group_rental": {"patrol": 0.2, "12345": 0.5, "resident": 0.3, "sensor": 0.0},
    "falling_objects": {"patrol": 0.1, "12345": 0.5, "resident": 0.4, "sensor": 0.0},
    "dispute": {"patrol": 0.2, "12345": 0.5, "resident": 0.3, "sensor": 0.0},
    "emergency": {"patrol": 0.3, "12345": 0.5, "resident": 0.2, "sensor": 0.0},
}
_DATUMS = {  # (datum, probability) by channel
    "patrol": (("wgs84", 1.0),),
    "resident": (("gcj02", 1.0),),
    "12345": (("gcj02", 0.6), ("bd09", 0.2), ("cgcs2000", 0.2)),
    "sensor": (("cgcs2000", 1.0),),
}
_ERROR_M = {"patrol": 5.0, "resident": 15.0, "12345": 30.0, "sensor": 0.0}  # position error (sd)
_TYPE_WEIGHT = {"shop": 3.0, "plaza": 8.0, "institution": 10.0, "building": 20.0, "compound": 50.0,
                "address": 2.0}
_TILT = {  # category multipliers by object type
    "shop": {"street_vending": 4.0, "unlicensed_business": 5.0, "exposed_garbage": 1.5, "fire_lane": 1.5,
             "group_rental": 0.1, "falling_objects": 0.2},
    "plaza": {"major_event": 20.0, "dirty_road": 2.0, "exposed_garbage": 2.0, "bike_parking": 2.5,
              "group_rental": 0.0, "falling_objects": 0.0},
    "institution": {"bike_parking": 2.0, "fire_lane": 1.5, "group_rental": 0.0},
    "building": {"group_rental": 2.0, "falling_objects": 2.0, "noise": 1.3, "dispute": 1.3},
    "compound": {"group_rental": 2.0, "falling_objects": 2.5, "noise": 1.5, "dispute": 1.5,
                 "illegal_construction": 1.5},
}
_PHRASES = ("{place}附近{cat}", "{place}{cat}，请尽快处理", "反映{place}存在{cat}问题", "{place}：{cat}")
_PHRASES_NO_PLACE = ("发现{cat}", "{cat}，请尽快处理", "反映存在{cat}问题")
_M_PER_DEG_LAT = m_per_deg_lat(31.0)      # near 31°N; jitter only needs metre-level accuracy
_M_PER_DEG_LON_EQ = M_PER_DEG_EQUATOR


def _place_weights(places: gpd.GeoDataFrame) -> np.ndarray:
    n = len(places)
    pop = pd.to_numeric(places["population"], errors="coerce").to_numpy(float) \
        if "population" in places.columns else np.full(n, np.nan)
    hh = pd.to_numeric(places["households"], errors="coerce").to_numpy(float) \
        if "households" in places.columns else np.full(n, np.nan)
    kind = places["type"].astype(str).to_numpy() if "type" in places.columns else np.full(n, "")
    base = np.array([_TYPE_WEIGHT.get(k, 5.0) for k in kind])
    w = np.where(np.isfinite(pop) & (pop > 0), pop, np.where(np.isfinite(hh) & (hh > 0), hh * 2.5, base))
    return w


def _labels(places: gpd.GeoDataFrame) -> list[str | None]:
    """Per place: its address, else its name, else ``None``."""
    out: list[str | None] = [None] * len(places)
    for col in ("name", "address"):  # address wins
        if col in places.columns:
            for i, v in enumerate(places[col].tolist()):
                if isinstance(v, str) and v.strip():
                    out[i] = v.strip()
    return out


def _point_in(geom, rng: np.random.Generator) -> tuple[float, float]:
    if geom.geom_type in ("Polygon", "MultiPolygon") and geom.area > 0:
        minx, miny, maxx, maxy = geom.bounds
        for _ in range(64):
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if shapely.contains_xy(geom, x, y):
                return x, y
        p = geom.representative_point()
        return p.x, p.y
    c = geom.centroid if geom.geom_type != "Point" else geom
    return c.x, c.y


def _jitter(lon: float, lat: float, sd_m: float, rng: np.random.Generator) -> tuple[float, float]:
    if sd_m <= 0:
        return lon, lat
    dx, dy = rng.normal(0.0, sd_m, 2)
    return (lon + dx / (_M_PER_DEG_LON_EQ * math.cos(math.radians(lat))),
            lat + dy / _M_PER_DEG_LAT)


def _choice(rng: np.random.Generator, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _checked_day(places: gpd.GeoDataFrame, day: date, n: int | None) -> date:
    """``day`` as a date, once ``places`` and ``n`` are known to be usable."""
    require_storage_crs(places, "places")
    if len(places) == 0:
        raise InputError("places is empty.", field="places", fix="Pass the street's objects or areas.")
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        raise InputError(f"day must be a date, got {day!r}.", field="day", value=day,
                         fix="Pass e.g. date(2026, 3, 2).")
    if n is not None and (not isinstance(n, int) or n < 0):
        raise InputError(f"n must be an integer >= 0, got {n!r}.", field="n", value=n, fix="Pass e.g. n=100.")
    return day


def simulate_day(places: gpd.GeoDataFrame, day: date, *, catalogue: Catalogue | None = None,
                 calendar: WorkingCalendar | None = None, seed: int = 0, n: int | None = None,
                 rate_per_1000: float = 1.5, id_prefix: str = "SIM") -> pd.DataFrame:
    """One day of simulated incident reports over ``places`` (objects or areas, EPSG:4490).

    ``places`` may carry ``id``, ``type``, ``name``, ``address``,
    ``population`` and ``households`` (see :mod:`geogrid.model`). ``n`` fixes
    the number of reports; otherwise it is drawn as described in the module
    docstring. Returns a DataFrame sorted by ``reported_at`` (aware, Beijing
    time) with columns ``id``, ``category``, ``category_name``, ``channel``,
    ``channel_name``, ``reported_at``, ``lon``, ``lat``, ``datum``,
    ``true_lon``, ``true_lat``, ``place_id``, ``place_type``, ``description``,
    ``source``.
    """
    day = _checked_day(places, day, n)
    catalogue = catalogue or Catalogue.default()
    calendar = calendar or WorkingCalendar.default()
    rng = np.random.default_rng([int(seed), day.toordinal()])
    weights = _place_weights(places)
    working = calendar.is_working_day(day)
    if n is None:
        pop = pd.to_numeric(places["population"], errors="coerce").sum() if "population" in places.columns else 0
        if not pop > 0:
            pop = weights.sum()
        n = int(rng.poisson(rate_per_1000 * pop / 1000.0 * (1.0 if working else 0.8)))

    cats = [c for c in catalogue if c.frequency > 0]
    if not cats:
        raise InputError("the catalogue has no category with frequency > 0.", field="catalogue",
                         fix="Give categories a frequency.")
    freq = np.array([c.frequency for c in cats])
    kinds = places["type"].astype(str).to_numpy() if "type" in places.columns else np.full(len(places), "")
    ids = places["id"].to_numpy() if "id" in places.columns else places.index.to_numpy()
    labels = _labels(places)
    geoms = places.geometry.to_numpy()
    p_place = weights / weights.sum()

    rows: list[dict[str, Any]] = []
    for _ in range(n):
        i = int(rng.choice(len(places), p=p_place))
        tilt = _TILT.get(kinds[i], {})
        w = freq * np.array([tilt.get(c.code, 1.0) for c in cats])
        if w.sum() <= 0:
            w = freq
        cat = cats[int(rng.choice(len(cats), p=w / w.sum()))]
        mix = dict(_CHANNEL_MIX.get(cat.code, _CHANNEL_MIX["*"]))
        if not working:
            mix["patrol"] *= 0.3
        channel = _choice(rng, mix)
        hourly = np.array(_HOURLY[channel], float)
        hour = int(rng.choice(24, p=hourly / hourly.sum()))
        at = datetime.combine(day, time(hour), tzinfo=BEIJING) + timedelta(seconds=int(rng.integers(3600)))
        tx, ty = _point_in(geoms[i], rng)
        ox, oy = _jitter(tx, ty, _ERROR_M[channel], rng)
        datums = _DATUMS[channel]
        datum = datums[int(rng.choice(len(datums), p=[p for _, p in datums]))][0]
        lon, lat = (ox, oy) if datum in ("cgcs2000", "wgs84") else \
            tuple(float(v[0]) for v in from_storage(np.array([ox]), np.array([oy]), datum))
        phrases = _PHRASES if labels[i] else _PHRASES_NO_PLACE
        desc = phrases[int(rng.integers(len(phrases)))].format(place=labels[i], cat=cat.name)
        rows.append({"category": cat.code, "category_name": cat.name, "channel": channel,
                     "channel_name": CHANNELS[channel], "reported_at": at, "lon": float(lon),
                     "lat": float(lat), "datum": datum, "true_lon": float(tx), "true_lat": float(ty),
                     "place_id": ids[i].item() if hasattr(ids[i], "item") else ids[i],
                     "place_type": kinds[i] or None, "description": desc, "source": "simulated"})
    cols = ["id", "category", "category_name", "channel", "channel_name", "reported_at", "lon", "lat",
            "datum", "true_lon", "true_lat", "place_id", "place_type", "description", "source"]
    frame = pd.DataFrame(rows, columns=cols[1:])
    frame = frame.sort_values("reported_at", kind="stable").reset_index(drop=True)
    frame.insert(0, "id", [f"{id_prefix}-{day:%Y%m%d}-{k + 1:04d}" for k in range(len(frame))])
    if len(frame):
        frame["reported_at"] = pd.to_datetime(frame["reported_at"]).dt.tz_convert(BEIJING)
    return frame


def simulate_days(places: gpd.GeoDataFrame, start: date, days: int, **kwargs: Any) -> pd.DataFrame:
    """:func:`simulate_day` for ``days`` consecutive days from ``start``, concatenated."""
    if not isinstance(days, int) or days < 1:
        raise InputError(f"days must be an integer >= 1, got {days!r}.", field="days", value=days,
                         fix="Pass e.g. days=7.")
    frames = [simulate_day(places, start + timedelta(days=k), **kwargs) for k in range(days)]
    return pd.concat(frames, ignore_index=True)
