"""Database-side faults, for tests that a failed write leaves the store as it was."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["count_rows", "refuse_inserts"]


def refuse_inserts(store, table: str, on: bool = True) -> None:
    """While ``on``, every insert into ``table`` fails inside the database (a trigger
    ``refuse_<table>``), on SQLite and PostgreSQL alike; ``on=False`` removes it."""
    if not table.isidentifier():
        raise ValueError(f"table must be a plain name, got {table!r}")
    name = f"refuse_{table}"
    with store.write() as conn:
        if store.engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            if on:
                conn.exec_driver_sql(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
                                     "BEGIN SELECT RAISE(ABORT, 'refused'); END")
            return
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        if on:
            conn.exec_driver_sql(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ "
                                 "BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
                                 f"FOR EACH ROW EXECUTE FUNCTION {name}()")


def count_rows(store, table: str) -> int:
    """How many rows ``table`` holds now."""
    if not table.isidentifier():
        raise ValueError(f"table must be a plain name, got {table!r}")
    with store.read() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
