"""Management objects (buildings, compounds, shops, …) and their memberships in a plan."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..crs import require_storage_crs
from . import schema as S
from ._sql import bbox_clause, chunks, clean, frame, wkb_param
from .audit import AuditRepository
from .database import Database

__all__ = ["ObjectRepository", "OBJECT_COLUMNS"]

OBJECT_COLUMNS = ("type", "name", "address", "households", "population", "floors",
                  "business_type", "compound_uid", "source", "estimated", "estimate_method")


class ObjectRepository:
    def __init__(self, db: Database, audit: AuditRepository):
        self.db, self.audit = db, audit

    def upsert(self, conn: Connection, objects: gpd.GeoDataFrame, *,
               actor: str | None = None) -> int:
        """Insert objects; ones whose uid exists are replaced (in the same transaction)."""
        if objects.empty:
            return 0
        require_storage_crs(objects, "objects")
        data = objects.rename(columns={"compound_id": "compound_uid"})
        uids = [str(u) for u in data["id"]]
        for chunk in chunks(uids, 500):
            conn.execute(sa.delete(S.objects).where(S.objects.c.uid.in_(chunk)))
        wkb = [shapely.to_wkb(g) for g in data.geometry.values]
        extra = [c for c in data.columns if c not in (*OBJECT_COLUMNS, "id", data.geometry.name)]
        rows = [_object_row(o, w, extra) for (_, o), w in zip(data.iterrows(), wkb)]
        stmt = sa.insert(S.objects).values(
            **{c: sa.bindparam(c) for c in ("uid", *OBJECT_COLUMNS)},
            attrs=sa.bindparam("attrs", type_=S.JSON), geom=wkb_param())
        conn.execute(stmt, rows)
        self.audit.record(conn, actor=actor, action="objects.upsert", entity="objects",
                          entity_id=None, after={"count": len(rows)})
        return len(rows)

    def list(self, *, bbox=None, types: list[str] | None = None,
             uids: list[str] | None = None) -> gpd.GeoDataFrame:
        o = S.objects.c
        q = sa.select(o.uid.label("id"), *[o[c] for c in OBJECT_COLUMNS],
                      sa.func.ST_AsBinary(o.geom).label("wkb"))
        if bbox:
            q = q.where(bbox_clause(self.db.dialect, o.geom, bbox))
        if types:
            q = q.where(o.type.in_(types))
        if uids is not None:
            q = q.where(o.uid.in_(list(uids)))
        with self.db.read() as conn:
            rows = conn.execute(q.order_by(o.uid)).all()
        return frame(rows, ["id", *OBJECT_COLUMNS]).rename(columns={"compound_uid": "compound_id"})

    def set_memberships(self, conn: Connection, plan_id: int, assignment: pd.Series) -> int:
        """Replace the plan's object → microgrid assignment (index: object uid)."""
        conn.execute(sa.delete(S.memberships).where(S.memberships.c.plan_id == plan_id))
        rows = [{"plan_id": plan_id, "object_uid": str(k), "area_uid": str(v)}
                for k, v in assignment.items() if v is not None and not pd.isna(v)]
        if rows:
            conn.execute(sa.insert(S.memberships), rows)
        return len(rows)

    def revision(self) -> int:
        """A number that grows with every write of the objects (the id of the newest audit
        entry about them: :meth:`upsert` writes one in its transaction); 0 before any."""
        a = S.audit_log.c
        with self.db.read() as conn:
            return int(conn.execute(sa.select(sa.func.max(a.id)).where(a.entity == "objects"))
                       .scalar() or 0)

    def sums_by_area(self, plan_id: int) -> pd.DataFrame:
        """Per area of the plan: households, objects and buildings of its members, summed in
        the database (index: area uid; a member with no object row counts as an object
        with no households)."""
        m, o = S.memberships.c, S.objects.c
        q = (sa.select(m.area_uid, sa.func.sum(sa.func.coalesce(o.households, 0.0)),
                       sa.func.count(), sa.func.sum(sa.case((o.type == "building", 1), else_=0)))
             .select_from(S.memberships.outerjoin(S.objects, o.uid == m.object_uid))
             .where(m.plan_id == plan_id).group_by(m.area_uid))
        with self.db.read() as conn:
            rows = conn.execute(q).all()
        out = pd.DataFrame([tuple(r) for r in rows],
                           columns=["area", "households", "objects", "buildings"])
        return out.astype({"households": float, "objects": int, "buildings": int}) \
            .set_index("area")

    def memberships(self, plan_id: int, conn: Connection | None = None) -> pd.Series:
        m = S.memberships.c
        q = sa.select(m.object_uid, m.area_uid).where(m.plan_id == plan_id).order_by(m.object_uid)
        with self.db.reading(conn) as c:
            rows = c.execute(q).all()
        return pd.Series({r[0]: r[1] for r in rows}, dtype=object, name="area_uid")


def _object_row(o, wkb: bytes, extra: list[str]) -> dict:
    row = {c: clean(o.get(c)) for c in OBJECT_COLUMNS}
    row["households"] = float(row["households"] or 0.0)
    row["population"] = float(row["population"] or 0.0)
    row["floors"] = None if row["floors"] is None else int(row["floors"])
    row["estimated"] = bool(row["estimated"] or False)
    row["type"] = str(row["type"] or "building")
    row["attrs"] = {c: clean(o.get(c)) for c in extra if clean(o.get(c)) is not None}
    row["uid"] = str(o["id"])
    row["wkb"] = wkb
    return row
