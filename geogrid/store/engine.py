"""Engines for the two stores: embedded SpatiaLite and server PostGIS.

``sqlite:///path`` opens SpatiaLite through GeoAlchemy2's SQLite dialect. The
running Python's ``sqlite3`` often cannot load extensions (pyenv and some
distribution builds disable it); then ``pysqlite3`` (the pysqlite3-binary
wheel) is used instead. ``postgresql+psycopg://...`` opens PostGIS.

Both stores share one schema (``geogrid/store/migrations``) and one SRID,
:data:`geogrid.crs.STORAGE_SRID` (CGCS2000, EPSG:4490).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import weakref
from pathlib import Path

import pyogrio  # noqa: F401  (see the note below)
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from .._errors import InputError, StoreUnavailableError
from ..crs import STORAGE_SRID

__all__ = ["create_engine", "is_sqlite", "sqlite_module", "durability", "DURABLE_PG"]

log = logging.getLogger("geogrid.store")

#: PostgreSQL settings an acknowledged commit relies on, with their durable values
DURABLE_PG = {"fsync": "on", "synchronous_commit": ("on", "remote_write", "remote_apply"),
              "full_page_writes": "on"}

# Note: pyogrio's GDAL carries its own SQLite. It must be loaded before
# mod_spatialite pulls the system SQLite into the process; the other order
# makes GDAL's GeoPackage driver crash on write (shared symbols resolve to the
# wrong library). Importing pyogrio above, before any connection, fixes the order.


#: every engine made here: a process forked from this one must not use their connections
_ENGINES: weakref.WeakSet = weakref.WeakSet()


def _drop_inherited_pools() -> None:
    """In a forked child: forget the parent's pooled connections without closing them (the
    parent still owns them); the child's engines open their own on first use."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_drop_inherited_pools)


def sqlite_module():
    """A DB-API sqlite module that can load extensions."""
    probe = sqlite3.connect(":memory:")
    try:
        if hasattr(probe, "enable_load_extension"):
            return sqlite3
    finally:
        probe.close()
    try:
        from pysqlite3 import dbapi2
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise StoreUnavailableError(
            "This Python's sqlite3 cannot load extensions and pysqlite3 is not installed.",
            fix="pip install pysqlite3-binary (or install geogrid[store]).",
        ) from exc
    return dbapi2


def is_sqlite(engine_or_conn) -> bool:
    return engine_or_conn.dialect.name == "sqlite"


def _spatialite_listener(library: str):
    def on_connect(dbapi_conn, _record):
        dbapi_conn.enable_load_extension(True)
        try:
            dbapi_conn.load_extension(library)
        except Exception as exc:
            raise StoreUnavailableError(
                f"Cannot load the SpatiaLite module {library!r}: {exc}.",
                field="spatialite_library", value=library,
                fix="Install it (Debian: apt-get install libsqlite3-mod-spatialite) "
                    "or set GEOGRID_SPATIALITE_LIBRARY to its path.",
            ) from exc
        finally:
            dbapi_conn.enable_load_extension(False)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk (WAL fsynced) before it is acknowledged, so an
        # acknowledged write survives a power cut, not only a killed process
        cur.execute("PRAGMA synchronous=FULL")
        if cur.execute("SELECT CheckSpatialMetaData()").fetchone()[0] < 3:
            cur.execute("SELECT InitSpatialMetaData(1, 'EMPTY')")
        for srid in (STORAGE_SRID, 4326):
            if not cur.execute("SELECT 1 FROM spatial_ref_sys WHERE srid = ?", (srid,)).fetchone():
                cur.execute("SELECT InsertEpsgSrid(?)", (srid,))
        cur.close()
        # SQLAlchemy manages transactions itself; let it issue BEGIN
        dbapi_conn.isolation_level = None

    return on_connect


def durability(conn) -> dict[str, str]:
    """The settings an acknowledged commit depends on, as the database reports them."""
    if is_sqlite(conn):
        level = conn.exec_driver_sql("PRAGMA synchronous").scalar()
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        return {"synchronous": {0: "off", 1: "normal", 2: "full", 3: "extra"}.get(level, str(level)),
                "journal_mode": str(mode)}
    return {name: conn.exec_driver_sql(f"SHOW {name}").scalar() for name in DURABLE_PG}


def _warn_if_not_durable(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    try:
        weak = []
        for name, good in DURABLE_PG.items():
            cur.execute(f"SHOW {name}")
            value = cur.fetchone()[0]
            if value not in (good if isinstance(good, tuple) else (good,)):
                weak.append(f"{name}={value}")
    finally:
        cur.close()
    if weak:
        log.warning("PostgreSQL 未按持久化配置运行（%s）：断电后已确认的写入可能丢失 / PostgreSQL "
                    "runs with %s: acknowledged writes may be lost on a crash of the machine",
                    ", ".join(weak), ", ".join(weak))


def create_engine(url: str, *, spatialite_library: str = "mod_spatialite", **kwargs) -> Engine:
    """Create an engine for ``url`` with the spatial extension ready."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, module=sqlite_module(), **kwargs)
        event.listen(engine, "connect", _spatialite_listener(spatialite_library))

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # writers take the write lock up front (BEGIN IMMEDIATE), so two writers
            # queue on busy_timeout instead of deadlocking on a lock upgrade
            immediate = conn.get_execution_options().get("geogrid_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        _ENGINES.add(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() not in ("psycopg", ""):
            raise InputError(
                f"database_url uses driver {parsed.get_driver_name()!r}.", field="database_url",
                value=url.split("@")[-1], fix="Use postgresql+psycopg://user:password@host/db.",
            )
        if parsed.get_driver_name() == "":
            url = str(parsed.set(drivername="postgresql+psycopg"))
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        engine = sa.create_engine(url, **kwargs)
        event.listen(engine, "first_connect", _warn_if_not_durable)
        _ENGINES.add(engine)
        return engine
    raise InputError(
        f"database_url scheme {parsed.get_backend_name()!r} is not supported.",
        field="database_url", value=parsed.get_backend_name(),
        fix="Use sqlite:///path/to/file.sqlite (SpatiaLite) or postgresql+psycopg://... (PostGIS).",
    )
