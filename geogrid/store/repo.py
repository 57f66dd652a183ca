"""Read and write the domain through one SQLAlchemy engine, for both stores.

Every multi-row write runs in one transaction (:meth:`Store.write`): a failure
anywhere rolls the whole write back, so a failed import or a crash half-way
leaves the store as it was. Geometries go in as WKB through
``ST_GeomFromWKB(:wkb, 4490)`` and come out with ``ST_AsBinary``; both
functions exist in SpatiaLite and PostGIS. Spatial filters transform the
query literal, never the column, so spatial indexes stay usable.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from .._errors import ConflictError, InputError, NotFoundError, StateError, StoreUnavailableError
from ..crs import STORAGE_CRS, STORAGE_SRID, require_storage_crs
from ..model import Level, PlanStatus, parse_level
from . import schema as S
from .engine import create_engine, is_sqlite

__all__ = ["Store", "now"]


def now() -> datetime:
    return datetime.now(UTC)


def _wkb_param(name: str = "wkb"):
    return sa.func.ST_GeomFromWKB(sa.bindparam(name, type_=sa.LargeBinary), STORAGE_SRID)


def _to_multi(geoms: np.ndarray, kind: str) -> list[bytes]:
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


def _clean(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return _jsonable(value)


class Store:
    """The repository over one engine (SpatiaLite or PostGIS)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        # SQLite has one writer. Writers of this process queue on a lock instead of on
        # SQLite's busy handler, whose growing sleeps (up to 100 ms) make long tails.
        self._write_lock = threading.Lock() if is_sqlite(engine) else None

    @classmethod
    def open(cls, url: str, *, spatialite_library: str = "mod_spatialite", migrate: bool = True,
             **kwargs) -> Store:
        engine = create_engine(url, spatialite_library=spatialite_library, **kwargs)
        store = cls(engine)
        if migrate:
            from .migrate import migrate as run_migrations
            run_migrations(engine)
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: all of it commits, or none of it."""
        lock = self._write_lock or nullcontext()
        try:
            with lock, self.engine.connect().execution_options(geogrid_write=True) as conn:
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            if _is_unavailable(exc):
                raise StoreUnavailableError(
                    "The database is unavailable; nothing was written.",
                    fix="Retry later.") from exc
            raise

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            if _is_unavailable(exc):
                raise StoreUnavailableError("The database is unavailable.", fix="Retry later.") from exc
            raise

    def ping(self) -> bool:
        with self.read() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True

    # -- audit ------------------------------------------------------------------------------
    def audit(self, conn: Connection, *, actor: str | None, action: str, entity: str,
              entity_id: Any, before: Any = None, after: Any = None) -> None:
        conn.execute(sa.insert(S.audit_log).values(
            at=now(), actor=actor, action=action, entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before=_json_safe(before), after=_json_safe(after)))

    def audit_entries(self, *, entity: str | None = None, entity_id: str | None = None,
                      actor: str | None = None, limit: int = 100) -> list[dict]:
        q = sa.select(S.audit_log).order_by(S.audit_log.c.id.desc()).limit(limit)
        if entity:
            q = q.where(S.audit_log.c.entity == entity)
        if entity_id:
            q = q.where(S.audit_log.c.entity_id == str(entity_id))
        if actor:
            q = q.where(S.audit_log.c.actor == actor)
        with self.read() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    # -- plans --------------------------------------------------------------------------
    def create_plan(self, conn: Connection, *, name: str, street_code: str,
                    parent_plan_id: int | None = None, description: str | None = None,
                    actor: str | None = None, attrs: dict | None = None) -> int:
        if not name or not name.strip():
            raise InputError("plan name is empty.", field="name", value=name,
                             fix="Give the plan a name, e.g. '陆家嘴街道 2026 微网格'.")
        res = conn.execute(sa.insert(S.plans).values(
            name=name.strip(), street_code=street_code, status=PlanStatus.DRAFT.value,
            parent_plan_id=parent_plan_id, description=description, created_at=now(),
            created_by=actor, attrs=attrs or {}, version=1))
        plan_id = int(res.inserted_primary_key[0])
        self.audit(conn, actor=actor, action="plan.create", entity="plan", entity_id=plan_id,
                   after={"name": name, "street_code": street_code, "parent_plan_id": parent_plan_id})
        return plan_id

    def plans(self, status: str | None = None) -> list[dict]:
        q = sa.select(S.plans).order_by(S.plans.c.id)
        if status:
            q = q.where(S.plans.c.status == status)
        with self.read() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def plan(self, plan_id: int, conn: Connection | None = None) -> dict:
        q = sa.select(S.plans).where(S.plans.c.id == plan_id)
        if conn is not None:
            row = conn.execute(q).first()
        else:
            with self.read() as c:
                row = c.execute(q).first()
        if row is None:
            raise NotFoundError(f"plan {plan_id} does not exist.", field="plan_id", value=plan_id,
                                fix="List plans with GET /plans.")
        return dict(row._mapping)

    def active_plan(self, street_code: str | None = None) -> dict | None:
        q = sa.select(S.plans).where(S.plans.c.status == PlanStatus.ACTIVE.value)
        if street_code:
            q = q.where(S.plans.c.street_code == street_code)
        with self.read() as conn:
            row = conn.execute(q.order_by(S.plans.c.effective_at.desc())).first()
        return dict(row._mapping) if row else None

    def plan_on(self, when: datetime, street_code: str | None = None) -> dict | None:
        """The plan that was active at ``when`` (MapIt-style generation lookup)."""
        p = S.plans.c
        q = sa.select(S.plans).where(p.effective_at.is_not(None), p.effective_at <= when,
                                     sa.or_(p.retired_at.is_(None), p.retired_at > when))
        if street_code:
            q = q.where(p.street_code == street_code)
        with self.read() as conn:
            row = conn.execute(q.order_by(p.effective_at.desc())).first()
        return dict(row._mapping) if row else None

    def bump_version(self, conn: Connection, plan_id: int, expected_version: int | None) -> int:
        """Optimistic lock: raise ConflictError unless the plan is still at ``expected_version``."""
        plan = self.plan(plan_id, conn)
        if expected_version is not None and plan["version"] != expected_version:
            raise ConflictError(
                f"plan {plan_id} is at version {plan['version']}, not {expected_version}: "
                "someone else changed it.", field="version", value=expected_version,
                fix="Reload the plan and re-apply your change.")
        current = plan["version"]
        res = conn.execute(sa.update(S.plans).where(S.plans.c.id == plan_id,
                                                    S.plans.c.version == current)
                           .values(version=current + 1))
        if res.rowcount != 1:
            raise ConflictError(f"plan {plan_id} changed while saving.", field="version",
                                value=current, fix="Reload the plan and re-apply your change.")
        return current + 1

    def require_draft(self, conn: Connection, plan_id: int) -> dict:
        plan = self.plan(plan_id, conn)
        if plan["status"] != PlanStatus.DRAFT.value:
            raise StateError(
                f"plan {plan_id} is {plan['status']}; only drafts can be edited.",
                field="plan_id", value=plan_id,
                fix="Create a draft from it (POST /plans/{id}/copy) and edit that.")
        return plan

    def activate_plan(self, plan_id: int, *, expected_version: int | None = None,
                      actor: str | None = None, when: datetime | None = None) -> dict:
        """Make a draft the active plan of its street and retire the old one, atomically."""
        when = when or now()
        with self.write() as conn:
            plan = self.require_draft(conn, plan_id)
            self.bump_version(conn, plan_id, expected_version)
            old = conn.execute(sa.select(S.plans.c.id).where(
                S.plans.c.status == PlanStatus.ACTIVE.value,
                S.plans.c.street_code == plan["street_code"])).scalars().all()
            if old:
                conn.execute(sa.update(S.plans).where(S.plans.c.id.in_(old)).values(
                    status=PlanStatus.RETIRED.value, retired_at=when,
                    version=S.plans.c.version + 1))
            conn.execute(sa.update(S.plans).where(S.plans.c.id == plan_id).values(
                status=PlanStatus.ACTIVE.value, effective_at=when))
            self.audit(conn, actor=actor, action="plan.activate", entity="plan", entity_id=plan_id,
                       before={"status": "draft", "retired": old},
                       after={"status": "active", "effective_at": when.isoformat()})
        return self.plan(plan_id)

    def copy_plan(self, plan_id: int, *, name: str | None = None, actor: str | None = None) -> int:
        """A new draft with the same areas and memberships, for editing."""
        src = self.plan(plan_id)
        with self.write() as conn:
            new_id = self.create_plan(conn, name=name or f"{src['name']} (草稿)",
                                      street_code=src["street_code"], parent_plan_id=plan_id,
                                      description=src["description"], actor=actor,
                                      attrs=src.get("attrs"))
            cols = [c for c in S.areas.c if c.name not in ("id", "plan_id")]
            conn.execute(sa.insert(S.areas).from_select(
                ["plan_id", *[c.name for c in cols]],
                sa.select(sa.literal(new_id), *cols).where(S.areas.c.plan_id == plan_id)))
            conn.execute(sa.insert(S.memberships).from_select(
                ["plan_id", "object_uid", "area_uid"],
                sa.select(sa.literal(new_id), S.memberships.c.object_uid, S.memberships.c.area_uid)
                .where(S.memberships.c.plan_id == plan_id)))
            self._copy_partition_states(conn, plan_id, new_id, actor)
        return new_id

    def _copy_partition_states(self, conn: Connection, src: int, dst: int, actor) -> None:
        """Carry each grid's current cell tessellation over, so the copy can be edited.

        The copies enter the new plan's edit stack as ``base`` entries, which
        undo never goes past.
        """
        e, p = S.plan_edits.c, S.partition_states.c
        current: dict[str, int] = {}
        for undo in conn.execute(sa.select(e.undo).where(e.plan_id == src, e.undone.is_(False))
                                 .order_by(e.seq.desc())).scalars():
            parent, after = (undo or {}).get("parent_uid"), (undo or {}).get("after")
            if parent and after is not None and parent not in current:
                current[parent] = int(after)
        for seq, (parent, state_id) in enumerate(sorted(current.items()), start=1):
            row = conn.execute(sa.select(S.partition_states).where(p.id == state_id)).first()
            res = conn.execute(sa.insert(S.partition_states).values(
                plan_id=dst, parent_uid=parent, created_at=now(), options=row.options,
                report=row.report, cells=row.cells, edges=row.edges, objects=row.objects))
            conn.execute(sa.insert(S.plan_edits).values(
                plan_id=dst, seq=seq, op="base", params={"copied_from": src}, actor=actor,
                at=now(), undo={"parent_uid": parent, "before": None,
                                "after": int(res.inserted_primary_key[0])}))

    def delete_plan(self, plan_id: int, *, actor: str | None = None) -> None:
        with self.write() as conn:
            self.require_draft(conn, plan_id)
            conn.execute(sa.delete(S.memberships).where(S.memberships.c.plan_id == plan_id))
            conn.execute(sa.delete(S.plan_edits).where(S.plan_edits.c.plan_id == plan_id))
            conn.execute(sa.delete(S.partition_states).where(
                S.partition_states.c.plan_id == plan_id))
            conn.execute(sa.delete(S.areas).where(S.areas.c.plan_id == plan_id))
            conn.execute(sa.delete(S.plans).where(S.plans.c.id == plan_id))
            self.audit(conn, actor=actor, action="plan.delete", entity="plan", entity_id=plan_id)

    # -- areas ----------------------------------------------------------------------------
    def add_areas(self, conn: Connection, plan_id: int, areas: gpd.GeoDataFrame,
                  *, actor: str | None = None) -> int:
        """Insert areas (columns id, level, kind, name, code, parent_id, geometry)."""
        if areas.empty:
            return 0
        require_storage_crs(areas, "areas")
        polys = areas.geometry.values
        bad = ~np.isin(shapely.get_type_id(polys), [3, 6])
        if bad.any():
            raise InputError(f"{int(bad.sum())} area geometries are not polygonal.",
                             field="geometry", value=areas.loc[bad, "id"].tolist()[:5],
                             fix="Areas must be Polygon or MultiPolygon.")
        wkb = _to_multi(polys, "polygon")
        rows = []
        for (_, a), w in zip(areas.iterrows(), wkb):
            rows.append({
                "plan_id": plan_id, "uid": str(a["id"]), "level": parse_level(a["level"]).value,
                "kind": _clean(a.get("kind")) or "mixed", "name": _clean(a.get("name")) or str(a["id"]),
                "code": _clean(a.get("code")), "parent_uid": _clean(a.get("parent_id")),
                "team": _clean(a.get("team")), "attrs": _json_safe(a.get("attrs")) or {},
                "wkb": w,
            })
        stmt = sa.insert(S.areas).values(
            plan_id=sa.bindparam("plan_id"), uid=sa.bindparam("uid"), level=sa.bindparam("level"),
            kind=sa.bindparam("kind"), name=sa.bindparam("name"), code=sa.bindparam("code"),
            parent_uid=sa.bindparam("parent_uid"), team=sa.bindparam("team", type_=S.JSON),
            attrs=sa.bindparam("attrs", type_=S.JSON), geom=_wkb_param())
        conn.execute(stmt, rows)
        self.audit(conn, actor=actor, action="areas.add", entity="plan", entity_id=plan_id,
                   after={"count": len(rows), "levels": sorted({r["level"] for r in rows})})
        return len(rows)

    def replace_areas(self, conn: Connection, plan_id: int, level: Level | str,
                      areas: gpd.GeoDataFrame, *, parent_uid: str | None = None,
                      actor: str | None = None) -> int:
        level = parse_level(level).value
        q = sa.delete(S.areas).where(S.areas.c.plan_id == plan_id, S.areas.c.level == level)
        if parent_uid is not None:
            q = q.where(S.areas.c.parent_uid == parent_uid)
        conn.execute(q)
        return self.add_areas(conn, plan_id, areas, actor=actor)

    def areas(self, plan_id: int, *, level: str | None = None, parent: str | None = None,
              bbox: tuple[float, float, float, float] | None = None,
              uids: list[str] | None = None, conn: Connection | None = None) -> gpd.GeoDataFrame:
        a = S.areas.c
        q = sa.select(a.uid.label("id"), a.level, a.kind, a.name, a.code,
                      a.parent_uid.label("parent_id"), a.locked, a.team, a.attrs,
                      sa.func.ST_AsBinary(a.geom).label("wkb")).where(a.plan_id == plan_id)
        if level:
            q = q.where(a.level == parse_level(level).value)
        if parent:
            q = q.where(a.parent_uid == parent)
        if uids is not None:
            q = q.where(a.uid.in_(list(uids)))
        if bbox:
            q = q.where(self._bbox_clause(a.geom, bbox))
        q = q.order_by(a.level, a.code, a.uid)
        if conn is not None:
            rows = conn.execute(q).all()
        else:
            with self.read() as c:
                rows = c.execute(q).all()
        return _frame(rows, ["id", "level", "kind", "name", "code", "parent_id", "locked", "team",
                             "attrs"])

    def _bbox_clause(self, column, bbox):
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        if not (minx < maxx and miny < maxy):
            raise InputError(f"bbox {bbox} is empty or inverted.", field="bbox", value=list(bbox),
                             fix="Pass minlon,minlat,maxlon,maxlat with min < max.")
        if is_sqlite(self.engine):
            env = sa.func.BuildMbr(minx, miny, maxx, maxy, STORAGE_SRID)
            return sa.and_(sa.func.MbrIntersects(column, env) == 1,
                           sa.func.ST_Intersects(column, env) == 1)
        env = sa.func.ST_MakeEnvelope(minx, miny, maxx, maxy, STORAGE_SRID)
        return sa.func.ST_Intersects(column, env)

    # -- objects --------------------------------------------------------------------------
    OBJECT_COLUMNS = ("type", "name", "address", "households", "population", "floors",
                      "business_type", "compound_uid", "source", "estimated", "estimate_method")

    def upsert_objects(self, conn: Connection, objects: gpd.GeoDataFrame,
                       *, actor: str | None = None) -> int:
        """Insert objects; ones whose uid exists are replaced (in the same transaction)."""
        if objects.empty:
            return 0
        require_storage_crs(objects, "objects")
        frame = objects.rename(columns={"compound_id": "compound_uid"})
        uids = [str(u) for u in frame["id"]]
        for chunk in _chunks(uids, 500):
            conn.execute(sa.delete(S.objects).where(S.objects.c.uid.in_(chunk)))
        wkb = [shapely.to_wkb(g) for g in frame.geometry.values]
        extra = [c for c in frame.columns if c not in (*self.OBJECT_COLUMNS, "id", frame.geometry.name)]
        rows = []
        for (_, o), w in zip(frame.iterrows(), wkb):
            row = {c: _clean(o.get(c)) for c in self.OBJECT_COLUMNS}
            row["households"] = float(row["households"] or 0.0)
            row["population"] = float(row["population"] or 0.0)
            row["floors"] = None if row["floors"] is None else int(row["floors"])
            row["estimated"] = bool(row["estimated"] or False)
            row["type"] = str(row["type"] or "building")
            row["attrs"] = {c: _clean(o.get(c)) for c in extra if _clean(o.get(c)) is not None}
            row["uid"] = str(o["id"])
            row["wkb"] = w
            rows.append(row)
        stmt = sa.insert(S.objects).values(
            **{c: sa.bindparam(c) for c in ("uid", *self.OBJECT_COLUMNS)},
            attrs=sa.bindparam("attrs", type_=S.JSON), geom=_wkb_param())
        conn.execute(stmt, rows)
        self.audit(conn, actor=actor, action="objects.upsert", entity="objects", entity_id=None,
                   after={"count": len(rows)})
        return len(rows)

    def objects(self, *, bbox=None, types: list[str] | None = None,
                uids: list[str] | None = None) -> gpd.GeoDataFrame:
        o = S.objects.c
        q = sa.select(o.uid.label("id"), *[o[c] for c in self.OBJECT_COLUMNS],
                      sa.func.ST_AsBinary(o.geom).label("wkb"))
        if bbox:
            q = q.where(self._bbox_clause(o.geom, bbox))
        if types:
            q = q.where(o.type.in_(types))
        if uids is not None:
            q = q.where(o.uid.in_(list(uids)))
        with self.read() as conn:
            rows = conn.execute(q.order_by(o.uid)).all()
        frame = _frame(rows, ["id", *self.OBJECT_COLUMNS])
        return frame.rename(columns={"compound_uid": "compound_id"})

    # -- memberships ----------------------------------------------------------------------
    def set_memberships(self, conn: Connection, plan_id: int, assignment: pd.Series) -> int:
        """Replace the plan's object → microgrid assignment (index: object uid)."""
        conn.execute(sa.delete(S.memberships).where(S.memberships.c.plan_id == plan_id))
        rows = [{"plan_id": plan_id, "object_uid": str(k), "area_uid": str(v)}
                for k, v in assignment.items() if v is not None and not pd.isna(v)]
        if rows:
            conn.execute(sa.insert(S.memberships), rows)
        return len(rows)

    def memberships(self, plan_id: int, conn: Connection | None = None) -> pd.Series:
        m = S.memberships.c
        q = sa.select(m.object_uid, m.area_uid).where(m.plan_id == plan_id).order_by(m.object_uid)
        if conn is not None:
            rows = conn.execute(q).all()
        else:
            with self.read() as c:
                rows = c.execute(q).all()
        return pd.Series({r[0]: r[1] for r in rows}, dtype=object, name="area_uid")

    # -- roads ------------------------------------------------------------------------------
    def add_roads(self, conn: Connection, roads: gpd.GeoDataFrame) -> int:
        if roads.empty:
            return 0
        require_storage_crs(roads, "roads")
        wkb = _to_multi(roads.geometry.values, "line")
        rows = [{"uid": str(r["id"]), "name": _clean(r.get("name")), "kind": _clean(r.get("kind")),
                 "kind_detail": _clean(r.get("kind_detail")),
                 "oneway": None if _clean(r.get("oneway")) is None else str(r.get("oneway")),
                 "is_tunnel": bool(_clean(r.get("is_tunnel")) or False), "wkb": w}
                for (_, r), w in zip(roads.iterrows(), wkb)]
        return _replace_by_uid(conn, S.roads, rows,
                               ("uid", "name", "kind", "kind_detail", "oneway", "is_tunnel"))

    def roads(self, *, bbox=None) -> gpd.GeoDataFrame:
        r = S.roads.c
        q = sa.select(r.uid.label("id"), r.name, r.kind, r.kind_detail, r.oneway, r.is_tunnel,
                      sa.func.ST_AsBinary(r.geom).label("wkb"))
        if bbox:
            q = q.where(self._bbox_clause(r.geom, bbox))
        with self.read() as conn:
            rows = conn.execute(q.order_by(r.uid)).all()
        return _frame(rows, ["id", "name", "kind", "kind_detail", "oneway", "is_tunnel"])

    # -- address registry -----------------------------------------------------------------
    def add_addresses(self, conn: Connection, addresses: gpd.GeoDataFrame) -> int:
        """Insert or replace address points (columns id, addr_street, addr_housenumber, name)."""
        if addresses.empty:
            return 0
        require_storage_crs(addresses, "addresses")
        pts = addresses.geometry.representative_point().values
        rows = [{"uid": str(a["id"]), "addr_street": str(a["addr_street"]),
                 "addr_housenumber": str(a["addr_housenumber"]), "name": _clean(a.get("name")),
                 "source": _clean(a.get("source")) or "import", "wkb": shapely.to_wkb(p)}
                for (_, a), p in zip(addresses.iterrows(), pts)]
        return _replace_by_uid(conn, S.addresses, rows,
                               ("uid", "addr_street", "addr_housenumber", "name", "source"))

    def addresses(self, *, bbox=None) -> gpd.GeoDataFrame:
        a = S.addresses.c
        q = sa.select(a.uid.label("id"), a.addr_street, a.addr_housenumber, a.name, a.source,
                      sa.func.ST_AsBinary(a.geom).label("wkb"))
        if bbox:
            q = q.where(self._bbox_clause(a.geom, bbox))
        with self.read() as conn:
            rows = conn.execute(q.order_by(a.uid)).all()
        return _frame(rows, ["id", "addr_street", "addr_housenumber", "name", "source"])

    def counts(self) -> dict[str, int]:
        with self.read() as conn:
            return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                    for t in (S.plans, S.areas, S.objects, S.memberships, S.roads, S.incidents)}


def _replace_by_uid(conn: Connection, table: sa.Table, rows: list[dict], columns) -> int:
    """Insert ``rows`` (each with ``wkb``), first deleting rows of ``table`` with the same uid."""
    for chunk in _chunks([r["uid"] for r in rows], 500):
        conn.execute(sa.delete(table).where(table.c.uid.in_(chunk)))
    stmt = sa.insert(table).values(**{c: sa.bindparam(c) for c in columns}, geom=_wkb_param())
    conn.execute(stmt, rows)
    return len(rows)


def _chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def _frame(rows, columns: list[str]) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=STORAGE_CRS)
    data = {c: [r._mapping[c] for r in rows] for c in columns}
    wkb = [bytes(r._mapping["wkb"]) for r in rows]
    return gpd.GeoDataFrame(data, geometry=shapely.from_wkb(wkb), crs=STORAGE_CRS)


def _json_safe(value: Any) -> Any:
    if value is None:
        return None
    try:
        return json.loads(json.dumps(value, default=_jsonable, ensure_ascii=False))
    except (TypeError, ValueError):
        return str(value)


def _is_unavailable(exc: DBAPIError) -> bool:
    text = str(exc.orig if getattr(exc, "orig", None) else exc).lower()
    return any(s in text for s in ("could not connect", "connection refused", "server closed",
                                   "terminating connection", "connection is closed",
                                   "unable to open database", "connection timeout",
                                   "the database system is shutting down", "no such host",
                                   "consuming input failed", "connection failed"))
