"""Responders (网格长 / 专职网格员 / 兼职网格员 / department staff) and teams."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from .._errors import NotFoundError
from ..datum import to_storage
from . import schema as S
from .repo import Store

__all__ = ["add_responder", "update_responder", "list_responders", "ensure_team"]


def _point(lon, lat, datum):
    if lon is None or lat is None:
        return None, None
    x, y = to_storage(np.array([lon]), np.array([lat]), datum)
    return float(x[0]), float(y[0])


def ensure_team(conn, area_code: str, name: str, public_contact: dict | None = None) -> int:
    row = conn.execute(sa.select(S.teams.c.id).where(S.teams.c.area_code == area_code)).first()
    if row:
        if public_contact is not None:
            conn.execute(sa.update(S.teams).where(S.teams.c.id == row[0])
                         .values(name=name, public_contact=public_contact))
        return int(row[0])
    res = conn.execute(sa.insert(S.teams).values(area_code=area_code, name=name,
                                                 public_contact=public_contact or {}))
    return int(res.inserted_primary_key[0])


def add_responder(store: Store, *, name: str, role: str, actor: str, department: str | None = None,
                  area_code: str | None = None, phone: str | None = None, lon=None, lat=None,
                  datum="cgcs2000", available: bool = True) -> int:
    x, y = _point(lon, lat, datum)
    with store.write() as conn:
        team_id = ensure_team(conn, area_code, f"{area_code} 网格团队") if area_code else None
        res = conn.execute(sa.insert(S.responders).values(
            team_id=team_id, department=department, name=name, role=role, phone=phone,
            lon=x, lat=y, available=available))
        rid = int(res.inserted_primary_key[0])
        store.audit(conn, actor=actor, action="responder.create", entity="responder",
                    entity_id=rid, after={"name": name, "role": role, "area_code": area_code})
    return rid


def update_responder(store: Store, rid: int, *, actor: str, lon=None, lat=None,
                     datum="cgcs2000", available: bool | None = None) -> dict:
    values = {}
    x, y = _point(lon, lat, datum)
    if x is not None:
        values.update(lon=x, lat=y)
    if available is not None:
        values["available"] = available
    with store.write() as conn:
        exists = conn.execute(sa.select(S.responders.c.id).where(S.responders.c.id == rid)).first()
        if exists is None:
            raise NotFoundError(f"responder {rid} does not exist.", field="responder", value=rid,
                                fix="List responders with GET /responders.")
        if values:
            conn.execute(sa.update(S.responders).where(S.responders.c.id == rid).values(**values))
        store.audit(conn, actor=actor, action="responder.update", entity="responder", entity_id=rid,
                    after={k: v for k, v in values.items()})
    return next(r for r in list_responders(store) if r["id"] == rid)


def list_responders(store: Store) -> list[dict]:
    r, t = S.responders.c, S.teams.c
    q = (sa.select(r.id, r.name, r.role, r.department, r.phone, r.lon, r.lat, r.available,
                   t.area_code, t.name.label("team"))
         .select_from(S.responders.outerjoin(S.teams, r.team_id == t.id)).order_by(r.id))
    with store.read() as conn:
        return [dict(x._mapping) for x in conn.execute(q)]
