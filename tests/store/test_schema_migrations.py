"""The live schema (``schema.py``) describes exactly what the migrations build.

The migrations are frozen; ``schema.py`` is what the code reads. A database
migrated to the newest revision must have every table, column (in order, with
type, nullability and server default), key, unique constraint and index that
``schema.metadata`` declares, on SpatiaLite and on PostGIS.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from geogrid.store import schema as S

OURS = set(S.metadata.tables)


def _spatial_index(item) -> bool:
    """The geometry columns' spatial indexes: geoalchemy2 and the migrations name them alike,
    but SpatiaLite keeps them as virtual tables that reflection does not see as indexes."""
    index = item[1] if isinstance(item, tuple) and item[0].endswith("_index") else None
    return index is not None and index.name == f"idx_{index.table.name}_geom"


def _ours(item) -> bool:
    change = item[0] if isinstance(item, list) else item
    kind, obj = change[0], change[1]
    if kind in ("remove_table", "add_table"):
        return obj.name in OURS
    if kind.endswith("_index") or kind.endswith("_constraint") or kind.endswith("_fk"):
        return obj.table.name in OURS
    return True  # column-level changes name one of our tables by construction


def test_a_migrated_store_matches_the_schema(store):
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "compare_server_default": True})
        diff = [d for d in compare_metadata(ctx, S.metadata) if _ours(d) and not _spatial_index(d)]
    assert diff == []


def test_columns_stand_in_the_schema_order(store):
    inspector = sa.inspect(store.engine)
    assert OURS <= set(inspector.get_table_names())
    for name, table in S.metadata.tables.items():
        found = [c["name"] for c in inspector.get_columns(name)]
        assert found == [c.name for c in table.columns], name


def test_every_table_with_an_id_has_an_integer_primary_key_named_id():
    for table in S.metadata.tables.values():
        if "id" in table.c:
            assert [c.name for c in table.primary_key] == ["id"], table.name
            assert isinstance(table.c.id.type, sa.Integer), table.name
