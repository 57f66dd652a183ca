"""Small helpers shared by the repositories: WKB parameters, row → frame, JSON-safe values.

Geometries go in as WKB through ``ST_GeomFromWKB(:wkb, 4490)`` and come out
with ``ST_AsBinary``; both functions exist in SpatiaLite and PostGIS. Spatial
filters transform the query literal, never the column, so spatial indexes
stay usable.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from .._errors import InputError
from ..crs import STORAGE_CRS, STORAGE_SRID

__all__ = ["now", "wkb_param", "to_multi", "clean", "json_safe", "chunks", "frame",
           "replace_by_uid", "bbox_clause", "is_unavailable", "utc"]


def now() -> datetime:
    return datetime.now(UTC)


def utc(dt: datetime | None) -> datetime | None:
    """``dt`` as an aware UTC datetime (naive values are taken as UTC; SQLite drops offsets)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def wkb_param(name: str = "wkb"):
    return sa.func.ST_GeomFromWKB(sa.bindparam(name, type_=sa.LargeBinary), STORAGE_SRID)


def _keep_postgis_name() -> None:
    """GeoAlchemy2 compiles ``ST_GeomFromWKB`` for SQLite by renaming the statement's own
    function to ``GeomFromWKB``; a statement built once at import time and run later on
    PostGIS in the same process then calls a function PostGIS does not have. Compile it
    for PostGIS under its own name each time."""
    from geoalchemy2 import functions
    from geoalchemy2.admin.dialects.postgresql import _compile_GeomFromWKB_Postgresql
    from sqlalchemy.ext.compiler import compiles

    @compiles(functions.ST_GeomFromWKB, "postgresql")
    def _postgis(element, compiler, **kw):
        element.identifier = "ST_GeomFromWKB"
        return _compile_GeomFromWKB_Postgresql(element, compiler, **kw)


_keep_postgis_name()


def to_multi(geoms: np.ndarray, kind: str) -> list[bytes]:
    """WKB of each geometry, promoted to Multi* so typed columns accept it."""
    out = []
    for g in geoms:
        if kind == "polygon" and g.geom_type == "Polygon":
            g = shapely.MultiPolygon([g])
        elif kind == "line" and g.geom_type == "LineString":
            g = shapely.MultiLineString([g])
        out.append(shapely.to_wkb(g, include_srid=False))
    return out


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    return value


def clean(value: Any) -> Any:
    """A plain Python value, with NaN/NA/None as None."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return _jsonable(value)


def json_safe(value: Any) -> Any:
    if value is None:
        return None
    try:
        return json.loads(json.dumps(value, default=_jsonable, ensure_ascii=False))
    except (TypeError, ValueError):
        return str(value)


def chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def frame(rows, columns: list[str]) -> gpd.GeoDataFrame:
    """Rows with a ``wkb`` column as a GeoDataFrame in the storage CRS."""
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=STORAGE_CRS)
    data = {c: [r._mapping[c] for r in rows] for c in columns}
    wkb = [bytes(r._mapping["wkb"]) for r in rows]
    return gpd.GeoDataFrame(data, geometry=shapely.from_wkb(wkb), crs=STORAGE_CRS)


def replace_by_uid(conn: Connection, table: sa.Table, rows: list[dict], columns) -> int:
    """Insert ``rows`` (each with ``wkb``), first deleting rows of ``table`` with the same uid."""
    for chunk in chunks([r["uid"] for r in rows], 500):
        conn.execute(sa.delete(table).where(table.c.uid.in_(chunk)))
    stmt = sa.insert(table).values(**{c: sa.bindparam(c) for c in columns}, geom=wkb_param())
    conn.execute(stmt, rows)
    return len(rows)


def bbox_clause(dialect: str, column, bbox):
    """``column`` intersects the lon/lat box (index-assisted on both stores)."""
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    if not (minx < maxx and miny < maxy):
        raise InputError(f"bbox {bbox} is empty or inverted.", field="bbox", value=list(bbox),
                         fix="Pass minlon,minlat,maxlon,maxlat with min < max.")
    if dialect == "sqlite":
        env = sa.func.BuildMbr(minx, miny, maxx, maxy, STORAGE_SRID)
        return sa.and_(sa.func.MbrIntersects(column, env) == 1,
                       sa.func.ST_Intersects(column, env) == 1)
    env = sa.func.ST_MakeEnvelope(minx, miny, maxx, maxy, STORAGE_SRID)
    return sa.func.ST_Intersects(column, env)


def is_unavailable(exc: DBAPIError) -> bool:
    text = str(exc.orig if getattr(exc, "orig", None) else exc).lower()
    return any(s in text for s in ("could not connect", "connection refused", "server closed",
                                   "terminating connection", "connection is closed",
                                   "unable to open database", "connection timeout",
                                   "the database system is shutting down", "no such host",
                                   "consuming input failed", "connection failed"))
