"""OGC API – Features (Part 1 Core, GeoJSON; Part 2 CRS by reference) over plans.

Collections
    One per level of the active plan (``street``, ``grid``, ``community``,
    ``microgrid``, ``building_group``); ``datetime`` picks the plan that was
    active at that instant instead (MapIt-style generations). And one per plan
    (``plan-{id}``, every level, ``level`` filters), drafts for staff only.

CRS
    CRS84 (lon, lat) by default. ``crs`` / ``bbox-crs`` may name CGCS2000,
    ``http://www.opengis.net/def/crs/EPSG/0/4490``, the storage CRS; its EPSG
    axis order is (lat, lon), so coordinates are swapped, not transformed
    (CGCS2000 and WGS84 agree to centimetres at city scale; PROJ treats the
    conversion as the identity, and so does geogrid).

Everything here works on the plan's areas as a GeoDataFrame, so both stores
serve the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["CRS84", "CGCS2000", "SUPPORTED_CRS", "LEVELS", "PROPERTIES", "CONFORMANCE",
           "Interval", "parse_datetime", "parse_crs", "parse_bbox", "select", "to_features",
           "spatial_extent", "temporal_extent", "plan_valid_in"]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"
SUPPORTED_CRS = (CRS84, CGCS2000)
LEVELS = ("street", "grid", "community", "microgrid", "building_group")
#: the public fields of an area, the same the GeoJSON API serves
PROPERTIES = ["id", "level", "kind", "name", "code", "parent_id"]
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
_ALIASES = {CRS84: CRS84, "crs84": CRS84, "ogc:crs84": CRS84, "epsg:4326": None,
            CGCS2000: CGCS2000, "epsg:4490": CGCS2000,
            "http://www.opengis.net/def/crs/epsg/0/4490": CGCS2000}


@dataclass(frozen=True)
class Interval:
    """A closed instant or interval; ``None`` ends are open (``..``)."""

    start: datetime | None
    end: datetime | None

    @property
    def instant(self) -> bool:
        return self.start is not None and self.start == self.end


def _when(text: str) -> datetime | None:
    if text in ("", ".."):
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_datetime(value: str | None) -> Interval | None:
    """RFC 3339 instant (``2026-11-28T00:00:00Z``, a date is its midnight UTC) or interval
    (``a/b``, ``../b``, ``a/..``), as OGC API Features reads it."""
    if value is None or value == "":
        return None
    try:
        if "/" in value:
            a, b = value.split("/", 1)
            out = Interval(_when(a), _when(b))
            if out.start and out.end and out.start > out.end:
                raise ValueError("start after end")
            return out
        at = _when(value)
        if at is None:
            raise ValueError("open instant")
        return Interval(at, at)
    except ValueError:
        raise InputError(f"datetime {value!r} 不是 RFC 3339 时刻或区间 / is not an RFC 3339 "
                         "instant or interval.", field="datetime", value=value,
                         fix="如 2026-11-28T00:00:00Z 或 2026-01-01T00:00:00Z/..。Send e.g. "
                             "2026-11-28T00:00:00Z or 2026-01-01T00:00:00Z/..") from None


def parse_crs(value: str | None, field: str = "crs") -> str:
    if value is None or value == "":
        return CRS84
    found = _ALIASES.get(value.strip().strip("<>").lower()) or _ALIASES.get(value.strip("<>"))
    if found is None:
        raise InputError(f"{field} {value!r} 不受支持 / is not supported.", field=field,
                         value=value, fix=f"用 {CRS84} (默认) 或 {CGCS2000}。Use {CRS84} "
                                          f"(default) or {CGCS2000}.")
    return found


def parse_bbox(value: str | None, crs: str = CRS84) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` in ``crs`` axis order → (minlon, minlat, maxlon, maxlat)."""
    if value is None or value == "":
        return None
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not all(np.isfinite(parts)):
        raise InputError(f"bbox {value!r} 需要四个数 / needs four numbers.", field="bbox",
                         value=value, fix="按 minlon,minlat,maxlon,maxlat (CRS84) 传四个数, 或加 "
                                          "bbox-crs EPSG:4490 按 minlat,minlon,maxlat,maxlon; 例如 "
                                          "bbox=121.50,31.23,121.52,31.25。Send "
                                          "minlon,minlat,maxlon,maxlat (CRS84), or "
                                          "minlat,minlon,maxlat,maxlon with bbox-crs EPSG:4490; "
                                          "e.g. bbox=121.50,31.23,121.52,31.25.")
    if crs == CGCS2000:
        parts = [parts[1], parts[0], parts[3], parts[2]]
    x0, y0, x1, y1 = parts
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InputError(f"bbox {value!r} 超出经纬度范围 / is outside lon/lat range.",
                         field="bbox", value=value,
                         fix="检查坐标顺序 (CRS84 为经度在前) 和 bbox-crs。Check the axis order "
                             "(CRS84: longitude first) and bbox-crs.")
    return x0, y0, x1, y1


def select(frame: gpd.GeoDataFrame, *, level: str | None = None,
           bbox: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
    """Areas of ``level`` that intersect ``bbox`` (antimeridian-crossing boxes split)."""
    if level is not None:
        frame = frame[frame["level"].values == level]
    if bbox is None or frame.empty:
        return frame
    x0, y0, x1, y1 = bbox
    boxes = [shapely.box(x0, y0, x1, y1)] if x0 <= x1 else \
        [shapely.box(x0, y0, 180, y1), shapely.box(-180, y0, x1, y1)]
    hits = np.unique(np.concatenate([frame.sindex.query(b, predicate="intersects")
                                     for b in boxes]))
    return frame.iloc[np.sort(hits)]


def _swap(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: xy[:, ::-1])


def to_features(frame: gpd.GeoDataFrame, crs: str, precision: int = 7) -> list[dict]:
    """Features with the public properties; CGCS2000 in its (lat, lon) axis order."""
    geoms = frame.geometry.values
    if len(frame):
        geoms = shapely.set_precision(np.asarray(geoms), 10.0 ** -precision)
        if crs == CGCS2000:
            geoms = _swap(geoms)
    records = frame[PROPERTIES].to_dict("records") if len(frame) else []
    out = []
    for rec, geom in zip(records, geoms):
        props = {k: _plain(v) for k, v in rec.items()}
        out.append({"type": "Feature", "id": props["id"], "properties": props,
                    "geometry": None if geom is None else shapely.geometry.mapping(geom)})
    return out


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


def spatial_extent(frame: gpd.GeoDataFrame) -> list[float] | None:
    if frame.empty:
        return None
    return [round(float(v), 7) for v in frame.total_bounds]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def temporal_extent(plan: dict) -> list[str | None]:
    return [_iso(plan.get("effective_at")), _iso(plan.get("retired_at"))]


def plan_valid_in(plan: dict, when: Interval) -> bool:
    """Whether the plan's validity [effective_at, retired_at) meets ``when``."""
    start, end = plan.get("effective_at"), plan.get("retired_at")
    if start is None:
        return False
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    end = None if end is None else end if end.tzinfo else end.replace(tzinfo=UTC)
    if when.instant:
        return start <= when.start and (end is None or when.start < end)
    return (when.end is None or start <= when.end) and \
        (end is None or when.start is None or when.start < end)
