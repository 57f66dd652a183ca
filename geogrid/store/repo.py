"""The store: one engine, and one repository per aggregate behind a small facade.

=================  ====================================================
``store.db``        the engine, one-transaction writes, reads, ping
``store.plan_repo`` plans and their areas (:mod:`.plans`)
``store.edits``     the planners' edit stack and partition states
``store.registry``  management objects and memberships (:mod:`.objects`)
``store.network``   roads and address points (:mod:`.network`)
``store.incidents`` incidents and their events (:mod:`.incidents`)
``store.photos``    incident photos, stored as blobs (:mod:`.photos`)
``store.responders`` responders and teams (:mod:`.responders`)
``store.accounts``  users and API tokens (:mod:`.users`)
``store.audit_log`` the audit log (:mod:`.audit`)
=================  ====================================================

The facade keeps the short methods every caller used before the split
(``store.plan(id)``, ``store.areas(id)``, ``store.write()``…); each is one
line into its repository.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import schema as S
from ._sql import now
from .audit import AuditRepository
from .database import Database
from .edits import EditRepository
from .engine import create_engine
from .incidents import IncidentRepository
from .network import NetworkRepository
from .objects import OBJECT_COLUMNS, ObjectRepository
from .photos import PhotoRepository
from .plans import PlanRepository
from .responders import ResponderRepository
from .users import AccountRepository

__all__ = ["Store", "now"]


class Store:
    """The repositories over one engine (SpatiaLite or PostGIS)."""

    OBJECT_COLUMNS = OBJECT_COLUMNS

    def __init__(self, engine: Engine):
        self.engine = engine
        self.db = Database(engine)
        self.audit_log = AuditRepository(self.db)
        self.plan_repo = PlanRepository(self.db, self.audit_log)
        self.edits = EditRepository()
        self.registry = ObjectRepository(self.db, self.audit_log)
        self.network = NetworkRepository(self.db)
        self.incidents = IncidentRepository(self.db, self.audit_log)
        self.photos = PhotoRepository(self.db, self.audit_log)
        self.responders = ResponderRepository(self.db, self.audit_log)
        self.accounts = AccountRepository(self.db, self.audit_log)

    @classmethod
    def open(cls, url: str, *, spatialite_library: str = "mod_spatialite", migrate: bool = True,
             **kwargs) -> Store:
        store = cls(create_engine(url, spatialite_library=spatialite_library, **kwargs))
        if migrate:
            from .migrate import migrate as run_migrations
            run_migrations(store.engine)
        return store

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def dispose(self) -> None:
        self.engine.dispose()

    # -- transactions -------------------------------------------------------------------
    def write(self) -> AbstractContextManager[Connection]:
        """One write transaction: all of it commits, or none of it."""
        return self.db.write()

    def read(self) -> AbstractContextManager[Connection]:
        return self.db.read()

    def ping(self) -> bool:
        return self.db.ping()

    # -- audit --------------------------------------------------------------------------
    def audit(self, conn: Connection, *, actor: str | None, action: str, entity: str,
              entity_id: Any, before: Any = None, after: Any = None) -> None:
        self.audit_log.record(conn, actor=actor, action=action, entity=entity,
                              entity_id=entity_id, before=before, after=after)

    def audit_entries(self, *, entity: str | None = None, entity_id: str | None = None,
                      actor: str | None = None, limit: int = 100) -> list[dict]:
        return self.audit_log.entries(entity=entity, entity_id=entity_id, actor=actor,
                                      limit=limit)

    # -- plans and areas ----------------------------------------------------------------
    def create_plan(self, conn: Connection, *, name: str, street_code: str,
                    parent_plan_id: int | None = None, description: str | None = None,
                    actor: str | None = None, attrs: dict | None = None,
                    levels=None) -> int:
        return self.plan_repo.create(conn, name=name, street_code=street_code,
                                     parent_plan_id=parent_plan_id, description=description,
                                     actor=actor, attrs=attrs, levels=levels)

    def plan_levels(self, plan_id: int, conn: Connection | None = None):
        """The plan's declared hierarchy (:class:`geogrid.model.PlanLevels`)."""
        return self.plan_repo.levels(plan_id, conn)

    def record_dataset(self, conn: Connection, **fields) -> int:
        """Record an imported dataset's source and licence (see :func:`.plans.record_dataset`)."""
        from .plans import record_dataset

        return record_dataset(conn, **fields)

    def datasets(self, *, plan_id: int | None = None, what: str | None = None) -> list[dict]:
        from .plans import datasets

        with self.read() as conn:
            return datasets(conn, plan_id=plan_id, what=what)

    def plans(self, status: str | None = None) -> list[dict]:
        return self.plan_repo.list(status)

    def plan(self, plan_id: int, conn: Connection | None = None) -> dict:
        return self.plan_repo.get(plan_id, conn)

    def active_plan(self, street_code: str | None = None) -> dict | None:
        return self.plan_repo.active(street_code)

    def plan_on(self, when: datetime, street_code: str | None = None) -> dict | None:
        return self.plan_repo.on(when, street_code)

    def bump_version(self, conn: Connection, plan_id: int, expected_version: int | None) -> int:
        return self.plan_repo.bump_version(conn, plan_id, expected_version)

    def check_version(self, plan: dict, expected_version: int | None) -> int:
        return self.plan_repo.check_version(plan, expected_version)

    def require_draft(self, conn: Connection, plan_id: int) -> dict:
        return self.plan_repo.require_draft(conn, plan_id)

    def activate_plan(self, plan_id: int, *, expected_version: int | None = None,
                      actor: str | None = None, when: datetime | None = None) -> dict:
        return self.plan_repo.activate(plan_id, expected_version=expected_version, actor=actor,
                                       when=when)

    def copy_plan(self, plan_id: int, *, name: str | None = None,
                  actor: str | None = None, conn: Connection | None = None) -> int:
        return self.plan_repo.copy(plan_id, name=name, actor=actor, conn=conn)

    def delete_plan(self, plan_id: int, *, expected_version: int | None = None,
                    actor: str | None = None) -> None:
        self.plan_repo.delete(plan_id, expected_version=expected_version, actor=actor)

    def add_areas(self, conn: Connection, plan_id: int, areas: gpd.GeoDataFrame, *,
                  actor: str | None = None) -> int:
        return self.plan_repo.add_areas(conn, plan_id, areas, actor=actor)

    def replace_areas(self, conn: Connection, plan_id: int, level: str,
                      areas: gpd.GeoDataFrame, *, parent_uid: str | None = None,
                      actor: str | None = None) -> int:
        return self.plan_repo.replace_areas(conn, plan_id, level, areas, parent_uid=parent_uid,
                                            actor=actor)

    def areas(self, plan_id: int, *, level: str | None = None, parent: str | None = None,
              bbox: tuple[float, float, float, float] | None = None,
              uids: list[str] | None = None, conn: Connection | None = None) -> gpd.GeoDataFrame:
        return self.plan_repo.areas(plan_id, level=level, parent=parent, bbox=bbox, uids=uids,
                                    conn=conn)

    # -- objects and memberships ----------------------------------------------------------
    def upsert_objects(self, conn: Connection, objects: gpd.GeoDataFrame, *,
                       actor: str | None = None) -> int:
        return self.registry.upsert(conn, objects, actor=actor)

    def objects(self, *, bbox=None, types: list[str] | None = None,
                uids: list[str] | None = None) -> gpd.GeoDataFrame:
        return self.registry.list(bbox=bbox, types=types, uids=uids)

    def set_memberships(self, conn: Connection, plan_id: int, assignment: pd.Series) -> int:
        return self.registry.set_memberships(conn, plan_id, assignment)

    def member_sums(self, plan_id: int) -> pd.DataFrame:
        return self.registry.sums_by_area(plan_id)

    def memberships(self, plan_id: int, conn: Connection | None = None) -> pd.Series:
        return self.registry.memberships(plan_id, conn)

    # -- network --------------------------------------------------------------------------
    def add_roads(self, conn: Connection, roads: gpd.GeoDataFrame) -> int:
        return self.network.add_roads(conn, roads)

    def roads(self, *, bbox=None) -> gpd.GeoDataFrame:
        return self.network.roads(bbox=bbox)

    def add_addresses(self, conn: Connection, addresses: gpd.GeoDataFrame) -> int:
        return self.network.add_addresses(conn, addresses)

    def addresses(self, *, bbox=None) -> gpd.GeoDataFrame:
        return self.network.addresses(bbox=bbox)

    def counts(self) -> dict[str, int]:
        with self.read() as conn:
            return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                    for t in (S.plans, S.areas, S.objects, S.memberships, S.roads, S.incidents)}
