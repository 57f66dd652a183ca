"""Storage at the edge of the core: SpatiaLite (embedded default) and PostGIS.

Names are imported on first use, so that a part of the store that needs no engine
(:mod:`.quick`, read by a new worker before the store is opened) does not load
SQLAlchemy's spatial types, pandas and GDAL with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names
from .migrate import migrate  # imports no SQLAlchemy until it runs

if TYPE_CHECKING:
    from .engine import create_engine
    from .repo import Store

__all__ = ["Store", "create_engine", "migrate", "open_store"]

__getattr__, __dir__ = lazy_names(__name__, {"Store": "repo", "create_engine": "engine"})


def open_store(settings=None) -> Store:
    """Open (and migrate) the store named by the settings."""
    from ..settings import get_settings
    from .repo import Store

    settings = settings or get_settings()
    return Store.open(settings.effective_database_url,
                      spatialite_library=settings.spatialite_library)
