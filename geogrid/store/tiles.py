"""Mapbox Vector Tiles of a plan's areas, from either store.

A tile ``z/x/y`` is the usual XYZ square of spherical Mercator (EPSG:3857).
It holds one layer per level (``street``, ``grid``, ``community``,
``microgrid``, ``building_group``, in that order) whose features carry
``id, name, code, level, kind, parent_id`` and nothing else: no team, no
attributes, no personal data. A level appears only from its minimum zoom
(:data:`LEVEL_MIN_ZOOM`), so a city-wide tile at z=10 carries streets and
grids, not 100,000 building groups. Coordinates are tile units
(``EXTENT`` = 4096 per side, y down), clipped ``BUFFER`` units outside the
tile so that clipped edges are never drawn.

* **PostGIS** builds the tile in one statement: ``ST_TileEnvelope`` gives the
  tile in EPSG:3857; its (buffered) envelope is transformed *to the storage
  SRID* for the filter, so the GIST index on ``areas.geom`` is used, and only
  the rows found are transformed to 3857 for ``ST_AsMVTGeom``;
  ``ST_AsMVT`` aggregates one layer per level. Every value is a bound
  parameter.
* **SpatiaLite** has no MVT encoder. Candidates come from the store through
  the areas' R*Tree (``idx_areas_geom``); :func:`encode_tile` does what
  ``ST_AsMVTGeom`` does — exact intersection test against the buffered tile,
  projection to tile units, clip, snap to the integer grid (valid output,
  collapsed parts dropped) — and encodes with ``mapbox-vector-tile``.

Both paths select the same features: the areas of the plan, at the levels
shown at ``z``, that intersect the buffered tile, less those that collapse
when snapped to the grid.

CGCS2000 (storage) equals WGS84 at city scale and PROJ converts between
them as the identity, so the 4490 ↔ 3857 step is plain spherical Mercator on
lon/lat. Basemaps in GCJ-02 or BD-09 need tiles in their datum:
``datum=`` shifts the geometries (in Python, for both stores) before
projecting.

>>> tile_bounds(0, 0, 0)[2] == WORLD_HALF
True
>>> levels_at(14)
['street', 'grid', 'community', 'microgrid']
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
import sqlalchemy as sa

from .._errors import InputError, StoreUnavailableError
from ..crs import STORAGE_CRS, STORAGE_SRID, require_storage_crs
from ..datum import Datum, from_storage, parse_datum
from . import schema as S
from .engine import is_sqlite

__all__ = [
    "BUFFER",
    "EXTENT",
    "LEVELS",
    "LEVEL_MIN_ZOOM",
    "MAX_ZOOM",
    "MVT_MEDIA_TYPE",
    "TILE_FIELDS",
    "WORLD_HALF",
    "TileCache",
    "check_tile",
    "encode_tile",
    "levels_at",
    "postgis_tile",
    "render_tile",
    "tile_bounds",
    "tile_lonlat_bounds",
]

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: tile units per side, and the clip buffer outside the tile (both in tile units)
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
LEVELS = ("street", "grid", "community", "microgrid", "building_group")
#: the lowest zoom at which a level is put into tiles (a z=13 tile is ~4 km wide here)
LEVEL_MIN_ZOOM = {"street": 0, "grid": 10, "community": 11, "microgrid": 13,
                  "building_group": 15}
TILE_FIELDS = ("id", "name", "code", "level", "kind", "parent_id")
#: half the width of the EPSG:3857 world, metres (π × 6378137)
WORLD_HALF = math.pi * 6378137.0


def check_tile(z: int, x: int, y: int) -> None:
    """Raise :class:`InputError` naming the field unless ``z/x/y`` is a tile of the XYZ grid."""
    if not 0 <= z <= MAX_ZOOM:
        raise InputError(f"缩放级别 {z} 不在 0..{MAX_ZOOM} 内 / zoom {z} is outside 0..{MAX_ZOOM}.",
                         field="z", value=z,
                         fix=f"请用 0 到 {MAX_ZOOM} 级 / ask for a zoom level from 0 to {MAX_ZOOM}.")
    n = 1 << z
    for name, v in (("x", x), ("y", y)):
        if not 0 <= v < n:
            raise InputError(f"第 {z} 级没有瓦片 {name}={v} / tile {name}={v} does not exist at "
                             f"zoom {z}.", field=name, value=v,
                             fix=f"第 {z} 级的 x、y 为 0 到 {n - 1} / at zoom {z}, x and y run "
                                 f"from 0 to {n - 1}.")


def tile_bounds(z: int, x: int, y: int, margin: float = 0.0) -> tuple[float, float, float, float]:
    """EPSG:3857 bounds of a tile, grown by ``margin`` × its width (as ``ST_TileEnvelope``)."""
    size = 2 * WORLD_HALF / (1 << z)
    pad = size * margin
    minx = -WORLD_HALF + x * size
    maxy = WORLD_HALF - y * size
    return minx - pad, maxy - size - pad, minx + size + pad, maxy + pad


def _unmercator(mx, my):
    lon = np.degrees(np.asarray(mx, dtype=float) / 6378137.0)
    lat = np.degrees(2 * np.arctan(np.exp(np.asarray(my, dtype=float) / 6378137.0)) - np.pi / 2)
    return lon, lat


def _mercator(lon, lat):
    lat = np.clip(lat, -85.0511287798066, 85.0511287798066)
    return (np.radians(lon) * 6378137.0,
            np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * 6378137.0)


def tile_lonlat_bounds(z: int, x: int, y: int, margin: float = 0.0) -> tuple[float, ...]:
    """Lon/lat bounds of a tile (Mercator maps a lon/lat box onto a box, so this is exact)."""
    minx, miny, maxx, maxy = tile_bounds(z, x, y, margin)
    lon, lat = _unmercator([minx, maxx], [miny, maxy])
    return float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])


def levels_at(z: int) -> list[str]:
    """The levels put into tiles at zoom ``z``."""
    return [lv for lv in LEVELS if LEVEL_MIN_ZOOM[lv] <= z]


def _to_tile_units(geoms: np.ndarray, z: int, x: int, y: int, extent: int) -> np.ndarray:
    minx, miny, maxx, maxy = tile_bounds(z, x, y)
    sx, sy = extent / (maxx - minx), extent / (maxy - miny)

    def project(xy: np.ndarray) -> np.ndarray:
        mx, my = _mercator(xy[:, 0], xy[:, 1])
        return np.column_stack([(mx - minx) * sx, (maxy - my) * sy])

    return shapely.transform(geoms, project)


def _shift(geoms: np.ndarray, datum: Datum) -> np.ndarray:
    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = from_storage(xy[:, 0], xy[:, 1], datum)
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, fn)


def encode_tile(areas: gpd.GeoDataFrame, z: int, x: int, y: int, *, extent: int = EXTENT,
                buffer: int = BUFFER, datum: str | Datum = Datum.CGCS2000) -> bytes:
    """The MVT of ``areas`` (storage CRS) for tile ``z/x/y``; ``b""`` when nothing is in it.

    ``areas`` may hold more than the tile (e.g. a bounding-box query): the
    levels shown at ``z`` that intersect the buffered tile are kept, which is
    the filter the PostGIS query applies. ``datum`` is the datum the tile is
    drawn in (GCJ-02 for Amap tiles); geometries are shifted into it first.
    """
    try:
        import mapbox_vector_tile
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise StoreUnavailableError(
            "The vector-tile encoder (mapbox-vector-tile) is not installed.",
            fix="pip install mapbox-vector-tile (or install geogrid[api]).") from exc
    check_tile(z, x, y)
    require_storage_crs(areas, "areas")
    datum = parse_datum(datum)
    frame = areas[areas["level"].isin(levels_at(z))]
    if frame.empty:
        return b""
    geoms = frame.geometry.values
    if datum not in (Datum.WGS84, Datum.CGCS2000):
        geoms = _shift(np.asarray(geoms, dtype=object), datum)
    query = shapely.box(*tile_lonlat_bounds(z, x, y, buffer / extent))
    hit = shapely.intersects(geoms, query)
    if not hit.any():
        return b""
    frame, geoms = frame[hit], np.asarray(geoms, dtype=object)[hit]
    px = _to_tile_units(geoms, z, x, y, extent)
    px = shapely.clip_by_rect(px, -buffer, -buffer, extent + buffer, extent + buffer)
    px = shapely.set_precision(px, 1.0)  # snap to the tile grid; valid, collapsed parts removed
    keep = ~shapely.is_empty(px) & (shapely.area(px) > 0)
    layers = []
    records = frame.reindex(columns=list(TILE_FIELDS)).to_dict("records")
    for level in LEVELS:
        feats = [{"geometry": g, "properties": _props(rec)}
                 for rec, g, k in zip(records, px, keep) if k and rec["level"] == level]
        if feats:
            feats.sort(key=lambda f: (f["properties"].get("code") or "", f["properties"]["id"]))
            layers.append({"name": level, "features": feats})
    if not layers:
        return b""
    return mapbox_vector_tile.encode(layers, default_options={
        "extents": extent, "y_coord_down": True, "quantize_bounds": None})


def _props(rec: dict) -> dict:
    out = {}
    for k in TILE_FIELDS:
        v = rec.get(k)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        out[k] = str(v)
    return out


#: One statement: the tile envelope (3857) for ST_AsMVTGeom, its buffered envelope transformed
#: to the storage SRID for the indexed filter, one ST_AsMVT layer per level, concatenated in
#: level order (a tile is a sequence of layers, so concatenated layers are a tile).
_POSTGIS_SQL = sa.text("""
WITH env AS (
    SELECT ST_TileEnvelope(CAST(:z AS integer), CAST(:x AS integer), CAST(:y AS integer))
               AS tile,
           ST_Transform(ST_TileEnvelope(CAST(:z AS integer), CAST(:x AS integer),
                                        CAST(:y AS integer), margin => CAST(:margin AS float8)),
                        CAST(:srid AS integer)) AS query
),
feats AS (
    SELECT a.uid AS id, a.name, a.code, a.level, a.kind, a.parent_uid AS parent_id,
           ST_AsMVTGeom(ST_Transform(a.geom, 3857), env.tile, CAST(:extent AS integer),
                        CAST(:buffer AS integer), true) AS geom
    FROM areas a CROSS JOIN env
    WHERE a.plan_id = CAST(:plan_id AS integer)
      AND a.level = ANY(CAST(:levels AS text[]))
      AND a.geom && env.query
      AND ST_Intersects(a.geom, env.query)
),
layers AS (
    SELECT f.level,
           ST_AsMVT(f, f.level, CAST(:extent AS integer), 'geom'
                    ORDER BY coalesce(f.code, ''), f.id) AS mvt
    FROM feats f
    WHERE f.geom IS NOT NULL
    GROUP BY f.level
)
SELECT coalesce(string_agg(mvt, ''::bytea
                           ORDER BY array_position(CAST(:levels AS text[]), level)), ''::bytea)
FROM layers
""")


def postgis_tile(conn, plan_id: int, z: int, x: int, y: int, *, extent: int = EXTENT,
                 buffer: int = BUFFER) -> bytes:
    """The tile built by PostGIS (``ST_AsMVT``) in one statement."""
    check_tile(z, x, y)
    levels = levels_at(z)
    row = conn.execute(_POSTGIS_SQL, {
        "z": z, "x": x, "y": y, "margin": buffer / extent, "extent": extent, "buffer": buffer,
        "plan_id": int(plan_id), "levels": levels, "srid": STORAGE_SRID}).first()
    return bytes(row[0]) if row and row[0] is not None else b""


def _candidates(conn, plan_id: int, bbox: tuple[float, ...], levels: Sequence[str],
                sqlite: bool) -> gpd.GeoDataFrame:
    """Areas whose bounding box meets ``bbox`` (storage CRS), through the spatial index."""
    a = S.areas.c
    minx, miny, maxx, maxy = bbox
    q = sa.select(a.uid.label("id"), a.name, a.code, a.level, a.kind,
                  a.parent_uid.label("parent_id"), sa.func.ST_AsBinary(a.geom).label("wkb")
                  ).where(a.plan_id == int(plan_id), a.level.in_(list(levels)))
    if sqlite:
        rtree = sa.table("idx_areas_geom", sa.column("pkid"), sa.column("xmin"),
                         sa.column("xmax"), sa.column("ymin"), sa.column("ymax"))
        r = rtree.c
        q = q.where(a.id.in_(sa.select(r.pkid).where(r.xmin <= maxx, r.xmax >= minx,
                                                     r.ymin <= maxy, r.ymax >= miny)))
    else:
        q = q.where(a.geom.op("&&")(sa.func.ST_MakeEnvelope(minx, miny, maxx, maxy,
                                                           STORAGE_SRID)))
    rows = conn.execute(q).all()
    cols = ["id", "name", "code", "level", "kind", "parent_id"]
    return gpd.GeoDataFrame({c: [r._mapping[c] for r in rows] for c in cols},
                            geometry=shapely.from_wkb([bytes(r._mapping["wkb"]) for r in rows]),
                            crs=STORAGE_CRS)


#: how far GCJ-02 / BD-09 move a point at most, in degrees (~1.2 km), to widen the query box
_DATUM_SLACK_DEG = 0.012


def render_tile(store, plan_id: int, z: int, x: int, y: int, *,
                datum: str | Datum = Datum.CGCS2000, extent: int = EXTENT,
                buffer: int = BUFFER) -> bytes:
    """The tile ``z/x/y`` of a plan from ``store``: ``ST_AsMVT`` on PostGIS, Python on SpatiaLite.

    Tiles in another datum than the storage one (``datum="gcj02"``) are
    encoded in Python on both stores, as PostGIS has no GCJ-02.
    """
    check_tile(z, x, y)
    datum = parse_datum(datum)
    levels = levels_at(z)
    sqlite = is_sqlite(store.engine)
    native = datum in (Datum.WGS84, Datum.CGCS2000)
    with store.read() as conn:
        if native and not sqlite:
            return postgis_tile(conn, plan_id, z, x, y, extent=extent, buffer=buffer)
        minx, miny, maxx, maxy = tile_lonlat_bounds(z, x, y, buffer / extent)
        if not native:  # the tile is in the shifted datum: look a little wider in storage
            minx, miny = minx - _DATUM_SLACK_DEG, miny - _DATUM_SLACK_DEG
            maxx, maxy = maxx + _DATUM_SLACK_DEG, maxy + _DATUM_SLACK_DEG
        frame = _candidates(conn, plan_id, (minx, miny, maxx, maxy), levels, sqlite)
    if frame.empty:
        return b""
    return encode_tile(frame, z, x, y, extent=extent, buffer=buffer, datum=datum)


@dataclass(frozen=True)
class CachedTile:
    body: bytes
    gzipped: bytes | None


class TileCache:
    """A bounded LRU of encoded tiles, keyed e.g. by (plan, version, datum, z, x, y).

    Bounded by entry count and by total bytes; thread-safe.
    """

    def __init__(self, max_entries: int = 4096, max_bytes: int = 64 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[Hashable, CachedTile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def get(self, key: Hashable) -> CachedTile | None:
        with self._lock:
            tile = self._data.get(key)
            if tile is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return tile

    def put(self, key: Hashable, body: bytes, *, gzip_min_bytes: int = 512) -> CachedTile:
        """Store ``body`` (and its gzip form when it is worth compressing); return the entry."""
        import gzip

        gz = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= gzip_min_bytes else None
        tile = CachedTile(body, gz if gz is not None and len(gz) < len(body) else None)
        size = len(body) + len(tile.gzipped or b"")
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body) + len(old.gzipped or b"")
            self._data[key] = tile
            self._bytes += size
            while self._data and (len(self._data) > self.max_entries
                                  or self._bytes > self.max_bytes):
                _, dropped = self._data.popitem(last=False)
                self._bytes -= len(dropped.body) + len(dropped.gzipped or b"")
        return tile

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0
