"""The street network and the address registry: road centrelines and address points."""

from __future__ import annotations

import geopandas as gpd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..crs import require_storage_crs
from . import schema as S
from ._sql import bbox_clause, clean, frame, replace_by_uid, to_multi
from .database import Database

__all__ = ["NetworkRepository"]

ROAD_COLUMNS = ("uid", "name", "kind", "kind_detail", "oneway", "is_tunnel")
ADDRESS_COLUMNS = ("uid", "addr_street", "addr_housenumber", "name", "source")


class NetworkRepository:
    def __init__(self, db: Database):
        self.db = db

    def add_roads(self, conn: Connection, roads: gpd.GeoDataFrame) -> int:
        if roads.empty:
            return 0
        require_storage_crs(roads, "roads")
        wkb = to_multi(roads.geometry.values, "line")
        rows = [{"uid": str(r["id"]), "name": clean(r.get("name")), "kind": clean(r.get("kind")),
                 "kind_detail": clean(r.get("kind_detail")),
                 "oneway": None if clean(r.get("oneway")) is None else str(r.get("oneway")),
                 "is_tunnel": bool(clean(r.get("is_tunnel")) or False), "wkb": w}
                for (_, r), w in zip(roads.iterrows(), wkb)]
        return replace_by_uid(conn, S.roads, rows, ROAD_COLUMNS)

    def roads(self, *, bbox=None) -> gpd.GeoDataFrame:
        r = S.roads.c
        q = sa.select(r.uid.label("id"), r.name, r.kind, r.kind_detail, r.oneway, r.is_tunnel,
                      sa.func.ST_AsBinary(r.geom).label("wkb"))
        if bbox:
            q = q.where(bbox_clause(self.db.dialect, r.geom, bbox))
        with self.db.read() as conn:
            rows = conn.execute(q.order_by(r.uid)).all()
        return frame(rows, ["id", "name", "kind", "kind_detail", "oneway", "is_tunnel"])

    def add_addresses(self, conn: Connection, addresses: gpd.GeoDataFrame) -> int:
        """Insert or replace address points (columns id, addr_street, addr_housenumber, name)."""
        if addresses.empty:
            return 0
        require_storage_crs(addresses, "addresses")
        pts = addresses.geometry.representative_point().values
        rows = [{"uid": str(a["id"]), "addr_street": str(a["addr_street"]),
                 "addr_housenumber": str(a["addr_housenumber"]), "name": clean(a.get("name")),
                 "source": clean(a.get("source")) or "import", "wkb": shapely.to_wkb(p)}
                for (_, a), p in zip(addresses.iterrows(), pts)]
        return replace_by_uid(conn, S.addresses, rows, ADDRESS_COLUMNS)

    def addresses(self, *, bbox=None) -> gpd.GeoDataFrame:
        a = S.addresses.c
        q = sa.select(a.uid.label("id"), a.addr_street, a.addr_housenumber, a.name, a.source,
                      sa.func.ST_AsBinary(a.geom).label("wkb"))
        if bbox:
            q = q.where(bbox_clause(self.db.dialect, a.geom, bbox))
        with self.db.read() as conn:
            rows = conn.execute(q.order_by(a.uid)).all()
        return frame(rows, ["id", "addr_street", "addr_housenumber", "name", "source"])
