"""Alembic environment: runs on the connection geogrid hands over (see migrate.py)."""

from alembic import context

from geogrid.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - alembic CLI use
    from geogrid.settings import get_settings
    from geogrid.store.engine import create_engine

    settings = get_settings()
    engine = create_engine(settings.effective_database_url,
                           spatialite_library=settings.spatialite_library)
    connection = engine.connect()

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    version_table="geogrid_alembic_version",
)
with context.begin_transaction():
    context.run_migrations()
