"""Repository of the address database (table ``address_book``, migration 0005).

Rows come from :func:`geogrid.geocode.addressdb.prepare_addresses` (imports)
and :func:`geogrid.geocode.addressdb.confirmed_candidate` (dispatchers'
confirmations). Writes run inside the caller's transaction
(``with store.write() as conn``), so a failed import leaves the table as it
was. :meth:`AddressBook.revision` changes whenever a row does; workers
compare it to rebuild their gazetteer.
"""

from __future__ import annotations

from datetime import UTC, datetime

import geopandas as gpd
import shapely
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.engine import Connection

from .._errors import NotFoundError
from ..crs import STORAGE_CRS, STORAGE_SRID, require_storage_crs

__all__ = ["AddressBook", "address_book"]

_meta = sa.MetaData()
#: text columns, in table order: name → (length, required); the table is migration 0005's
_TEXT = {"key": (400, True), "address": (300, True), "name": (200, False),
         "building_id": (64, False), "compound_id": (64, False), "source": (100, True),
         "source_date": (32, True), "licence": (200, True), "status": (16, True),
         "confirmed_by": (100, False), "incident_id": (64, False)}
address_book = sa.Table(
    "address_book", _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    *(sa.Column(name, sa.String(length), nullable=not required, unique=(name == "key") or None)
      for name, (length, required) in _TEXT.items()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("geom", Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), nullable=False),
)
_COLS = ("key", "address", "name", "building_id", "compound_id", "source", "source_date",
         "licence", "status",
         "confirmed_by", "incident_id", "updated_at")


def _text(value) -> str | None:
    """None for missing values (None, NaN), else the value as text."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)


def _geom_param():
    return sa.func.ST_GeomFromWKB(sa.bindparam("wkb", type_=sa.LargeBinary), STORAGE_SRID)


class AddressBook:
    """Reads and writes ``address_book`` through a :class:`~geogrid.store.repo.Store`."""

    def __init__(self, store):
        self.store = store

    def upsert(self, conn: Connection, rows: gpd.GeoDataFrame, *, actor: str,
               status: str = "active") -> dict[str, int]:
        """Insert rows, replacing rows with the same key; returns counts new / replaced."""
        if rows.empty:
            return {"new": 0, "replaced": 0}
        require_storage_crs(rows, "addresses")
        t = address_book.c
        keys = rows["key"].tolist()
        existing = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            existing |= set(conn.execute(sa.select(t.key).where(t.key.in_(chunk))).scalars())
            conn.execute(sa.delete(address_book).where(t.key.in_(chunk)))
        at = datetime.now(UTC)
        data = [{"key": r.key, "address": r.address, "name": _text(r.name),
                 "building_id": _text(getattr(r, "building_id", None)),
                 "compound_id": _text(getattr(r, "compound_id", None)), "source": r.source,
                 "source_date": r.source_date, "licence": r.licence,
                 "status": _text(getattr(r, "status", None)) or status,
                 "confirmed_by": _text(getattr(r, "confirmed_by", None)),
                 "incident_id": _text(getattr(r, "incident_id", None)), "updated_at": at,
                 "wkb": shapely.to_wkb(r.geometry)} for r in rows.itertuples()]
        stmt = sa.insert(address_book).values(**{c: sa.bindparam(c) for c in _COLS},
                                               geom=_geom_param())
        conn.execute(stmt, data)
        self.store.audit(conn, actor=actor, action="addresses.import", entity="address_book",
                         entity_id=None, after={"rows": len(data), "replaced": len(existing),
                                                "source": str(rows["source"].iloc[0])})
        return {"new": len(data) - len(existing), "replaced": len(existing)}

    def record_confirmed(self, conn: Connection, row: dict, *, actor: str) -> str:
        """Store a confirmed incident location (from ``confirmed_candidate``); returns its key."""
        frame = gpd.GeoDataFrame([{k: v for k, v in row.items() if k not in ("lon", "lat")}],
                                 geometry=[shapely.Point(row["lon"], row["lat"])], crs=STORAGE_CRS)
        t = address_book.c
        old = conn.execute(sa.select(t.status).where(t.key == row["key"])).scalar_one_or_none()
        if old == "active" and row["status"] == "candidate":
            frame["status"] = "candidate"  # a correction of an active address waits for review
        self.upsert(conn, frame, actor=actor, status=row["status"])
        self.store.audit(conn, actor=actor, action="addresses.confirm", entity="address_book",
                         entity_id=row["key"], after={"incident_id": row.get("incident_id"),
                                                      "lon": row["lon"], "lat": row["lat"],
                                                      "status": row["status"]})
        return row["key"]

    def learn(self, conn: Connection, *, address: str, lon: float, lat: float, actor: str,
              incident_id: str | int | None, mode: str) -> str:
        """Record a dispatcher's confirmed or corrected incident location as an address.

        The incidents use case calls this when a dispatcher confirms an incident's
        point or relocates it (:meth:`geogrid.services.incidents.IncidentService.learn_location`),
        with ``mode=settings.geocode_learning``::

            AddressBook(store).learn(conn, address=incident.address, lon=lon, lat=lat,
                                     actor=actor, incident_id=incident.uid,
                                     mode=settings.geocode_learning)

        ``auto`` makes the row active at once; ``review`` keeps it a candidate
        until :meth:`approve`. Either way the audit log keeps who confirmed what.
        """
        from ..geocode.addressdb import confirmed_candidate

        row = confirmed_candidate(address, lon, lat, actor=actor, incident_id=incident_id,
                                  mode=mode)
        return self.record_confirmed(conn, row, actor=actor)

    def approve(self, conn: Connection, key: str, *, actor: str) -> None:
        """Make a candidate active (it joins the gazetteer on the next rebuild)."""
        t = address_book.c
        n = conn.execute(sa.update(address_book).where(t.key == key, t.status == "candidate")
                         .values(status="active", updated_at=datetime.now(UTC))).rowcount
        if not n:
            raise NotFoundError(f"没有待审核的地址 {key!r} / no candidate address with key {key!r}.",
                                field="key", value=key,
                                fix="List candidates with status='candidate' first.")
        self.store.audit(conn, actor=actor, action="addresses.approve", entity="address_book",
                         entity_id=key)

    def frame(self, *, status: str | None = "active") -> gpd.GeoDataFrame:
        """Rows as a GeoDataFrame in EPSG:4490 (all statuses with ``status=None``)."""
        t = address_book.c
        q = sa.select(*[t[c] for c in _COLS], sa.func.ST_AsBinary(t.geom).label("wkb"))
        if status is not None:
            q = q.where(t.status == status)
        with self.store.read() as conn:
            rows = conn.execute(q.order_by(t.id)).all()
        data = {c: [r._mapping[c] for r in rows] for c in _COLS}
        geoms = shapely.from_wkb([bytes(r._mapping["wkb"]) for r in rows]) if rows else []
        return gpd.GeoDataFrame(data, geometry=list(geoms), crs=STORAGE_CRS)

    def revision(self) -> str:
        """Changes whenever a row is written: count and latest update of the table."""
        t = address_book.c
        with self.store.read() as conn:
            n, last = conn.execute(sa.select(sa.func.count(), sa.func.max(t.updated_at))).one()
        return f"{n}:{last}"
