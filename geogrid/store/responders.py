"""Responders (网格长 / 专职网格员 / 兼职网格员 / department staff) and their teams."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._errors import NotFoundError
from . import schema as S
from .audit import AuditRepository
from .database import Database

__all__ = ["ResponderRepository", "add_responder", "update_responder", "list_responders",
           "ensure_team", "place_responder"]

_NOT_FOUND_FIX = "用 GET /responders 列出处置人员。List responders with GET /responders."


def ensure_team(conn: Connection, area_code: str, name: str,
                public_contact: dict | None = None) -> int:
    """The id of the team of ``area_code``, created (or its public contact updated)."""
    row = conn.execute(sa.select(S.teams.c.id).where(S.teams.c.area_code == area_code)).first()
    if row:
        if public_contact is not None:
            conn.execute(sa.update(S.teams).where(S.teams.c.id == row[0])
                         .values(name=name, public_contact=public_contact))
        return int(row[0])
    res = conn.execute(sa.insert(S.teams).values(area_code=area_code, name=name,
                                                 public_contact=public_contact or {}))
    return int(res.inserted_primary_key[0])


def place_responder(conn: Connection, team_id: int, *, name: str, role: str,
                    phone: str | None, lon: float, lat: float) -> int:
    """Insert one available responder of ``team_id`` at ``lon``/``lat`` (storage datum)."""
    res = conn.execute(sa.insert(S.responders).values(team_id=team_id, name=name, role=role,
                                                      phone=phone, lon=lon, lat=lat,
                                                      available=True))
    return int(res.inserted_primary_key[0])


class ResponderRepository:
    def __init__(self, db: Database, audit: AuditRepository):
        self.db, self.audit = db, audit

    def add(self, *, name: str, role: str, actor: str, department: str | None = None,
            area_code: str | None = None, phone: str | None = None, lon: float | None = None,
            lat: float | None = None, available: bool = True) -> int:
        """Insert a responder; ``lon``/``lat`` are in the storage datum."""
        with self.db.write() as conn:
            team_id = ensure_team(conn, area_code, f"{area_code} 网格团队") if area_code else None
            res = conn.execute(sa.insert(S.responders).values(
                team_id=team_id, department=department, name=name, role=role, phone=phone,
                lon=lon, lat=lat, available=available))
            rid = int(res.inserted_primary_key[0])
            self.audit.record(conn, actor=actor, action="responder.create", entity="responder",
                              entity_id=rid, after={"name": name, "role": role,
                                                    "area_code": area_code})
        return rid

    def update(self, rid: int, *, actor: str, **values) -> dict:
        with self.db.write() as conn:
            if not self.exists(conn, rid):
                raise NotFoundError(f"处置人员 {rid} 不存在。responder {rid} does not exist.",
                                    field="responder", value=rid, fix=_NOT_FOUND_FIX)
            if values:
                conn.execute(sa.update(S.responders).where(S.responders.c.id == rid)
                             .values(**values))
            self.audit.record(conn, actor=actor, action="responder.update", entity="responder",
                              entity_id=rid, after=dict(values))
        return self.get(rid)

    def exists(self, conn: Connection, rid: int) -> bool:
        return conn.execute(sa.select(S.responders.c.id).where(S.responders.c.id == rid)
                            ).first() is not None

    def list(self) -> list[dict]:
        r, t = S.responders.c, S.teams.c
        q = (sa.select(r.id, r.name, r.role, r.department, r.phone, r.lon, r.lat, r.available,
                       t.area_code, t.name.label("team"))
             .select_from(S.responders.outerjoin(S.teams, r.team_id == t.id)).order_by(r.id))
        return self.db.rows(q)

    def get(self, rid: int) -> dict:
        hit = next((r for r in self.list() if r["id"] == rid), None)
        if hit is None:
            raise NotFoundError(f"处置人员 {rid} 不存在。responder {rid} does not exist.",
                                field="responder", value=rid, fix=_NOT_FOUND_FIX)
        return hit

    def teams(self) -> list[tuple[str, str, dict]]:
        """(area code, team name, public contact) of every team."""
        t = S.teams.c
        with self.db.read() as conn:
            return [(r[0], r[1], r[2]) for r in conn.execute(
                sa.select(t.area_code, t.name, t.public_contact))]


# -- the functions kept for existing callers: same behaviour, through the repository --------

def _storage_point(lon, lat, datum):
    import numpy as np

    from ..datum import to_storage

    if lon is None or lat is None:
        return None, None
    x, y = to_storage(np.array([lon]), np.array([lat]), datum)
    return float(x[0]), float(y[0])


def add_responder(store, *, name: str, role: str, actor: str, department: str | None = None,
                  area_code: str | None = None, phone: str | None = None, lon=None, lat=None,
                  datum="cgcs2000", available: bool = True) -> int:
    x, y = _storage_point(lon, lat, datum)
    return store.responders.add(name=name, role=role, actor=actor, department=department,
                                area_code=area_code, phone=phone, lon=x, lat=y,
                                available=available)


def update_responder(store, rid: int, *, actor: str, lon=None, lat=None, datum="cgcs2000",
                     available: bool | None = None) -> dict:
    values: dict = {}
    x, y = _storage_point(lon, lat, datum)
    if x is not None:
        values.update(lon=x, lat=y)
    if available is not None:
        values["available"] = available
    return store.responders.update(rid, actor=actor, **values)


def list_responders(store) -> list[dict]:
    return store.responders.list()
