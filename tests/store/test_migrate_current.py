"""An up-to-date store is recognised without Alembic, and agrees with Alembic about it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from geogrid.store import Store
from geogrid.store.migrate import alembic_config, head_revisions, is_current, migrate


def test_heads_read_from_the_files_are_alembics_heads():
    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_a_new_store_is_not_current_until_migrated(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'new.sqlite'}", migrate=False)
    try:
        assert not is_current(store.engine)
        migrate(store.engine)
        assert is_current(store.engine)
        with store.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        assert {"plans", "areas", "incidents"} <= tables
        migrate(store.engine)                      # idempotent: nothing to do
        assert is_current(store.engine)
    finally:
        store.dispose()


def test_a_store_behind_the_head_is_upgraded(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'old.sqlite'}", migrate=False)
    try:
        migrate(store.engine, "0009")
        assert not is_current(store.engine)
        migrate(store.engine)
        assert is_current(store.engine)
        with store.engine.connect() as conn:
            assert "incident_photos" in sa.inspect(conn).get_table_names()
    finally:
        store.dispose()
