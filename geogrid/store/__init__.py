"""Storage at the edge of the core: SpatiaLite (embedded default) and PostGIS."""

from .engine import create_engine
from .migrate import migrate
from .repo import Store

__all__ = ["Store", "create_engine", "migrate", "open_store"]


def open_store(settings=None) -> Store:
    """Open (and migrate) the store named by the settings."""
    from ..settings import get_settings

    settings = settings or get_settings()
    return Store.open(settings.effective_database_url,
                      spatialite_library=settings.spatialite_library)
