"""Bring a store's schema to the newest revision with Alembic.

A store already at the newest revision is recognised without Alembic: the
revisions named by the migration files (read as literals, not imported) are
compared with the store's version table, so a worker that starts on an
up-to-date store does not import Alembic (a large share of a new process's start).
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["migrate", "alembic_config", "is_current", "head_revisions", "VERSION_TABLE"]

_HERE = Path(__file__).resolve().parent
#: the table Alembic keeps the store's revision in (``version_table`` in migrations/env.py)
VERSION_TABLE = "geogrid_alembic_version"


def alembic_config():
    from alembic.config import Config

    cfg = Config(str(_HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    return cfg


def _literal(tree: ast.Module, name: str):
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign) else
                   [node.target] if isinstance(node, ast.AnnAssign) and node.value else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(node.value)
    return None


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The revisions no migration file builds on (what ``alembic heads`` lists)."""
    revisions, parents = set(), set()
    for file in (_HERE / "migrations" / "versions").glob("*.py"):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        revision, down = _literal(tree, "revision"), _literal(tree, "down_revision")
        if revision is not None:
            revisions.add(revision)
        parents.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - parents)


def is_current(engine: Engine) -> bool:
    """Whether ``engine``'s database is at every head revision (False when unsure)."""
    import sqlalchemy as sa

    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(sa.column("version_num"))
                                .select_from(sa.table(VERSION_TABLE))).all()
    except sa.exc.DBAPIError:                 # no such table yet: a new store
        return False
    return {r[0] for r in rows} == head_revisions()


def migrate(engine: Engine, revision: str = "heads") -> None:
    """Upgrade the schema of ``engine``'s database to ``revision`` (idempotent)."""
    if revision == "heads" and is_current(engine):
        return
    from alembic import command

    cfg = alembic_config()
    with engine.connect().execution_options(geogrid_write=True) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.commit()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()
