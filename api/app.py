"""The FastAPI application factory.

Nothing is built at import time: ``create_app()`` returns an app whose
lifespan opens (and migrates) the store, loads the demo when asked, and owns
the caches. Run it with ``geogrid serve`` or
``uvicorn --factory api.app:create_app``.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from geogrid.errors import GeoGridError
from geogrid.services.demo import load_demo
from geogrid.settings import Settings, get_settings
from geogrid.store import Store
from maps import STATIC_DIR

from .contract import install_contract
from .errors import install_error_handlers
from .middleware import install_middleware
from .routers import areas, geocode, health, incidents, locate, open311, pages, plans, users
from .routers import planning, public, tiles
from .routers import basemap, docs as docs_pages, events, mygrid, ogc, webhooks
from .routers import incident_photos
from .state import AppState

__all__ = ["create_app"]

log = logging.getLogger("geogrid.api")


def _bootstrap_admin(state: AppState, settings: Settings) -> None:
    """Make GEOGRID_ADMIN_TOKEN the admin's API token (stored hashed), replacing the previous
    one; a token that could never work is refused with a message, not stored."""
    if settings.admin_token is None:
        return
    try:
        state.accounts.bootstrap_admin(settings.admin_token.get_secret_value())
    except GeoGridError as exc:
        log.error("%s %s", exc.message, exc.fix or "")


def _open_active_locator(state: AppState) -> None:
    """Open (or, the first time, build and store) the active plan's locator before the
    worker takes requests, so that its first /locate pays for neither."""
    try:
        state.locator(state.active_plan_id())
    except GeoGridError as exc:
        log.info("启动时未打开定位器 / no locator opened at start: %s", exc.message)


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        own = store is None
        st = store or Store.open(settings.effective_database_url,
                                 spatialite_library=settings.spatialite_library)
        if settings.demo:
            load_demo(st, progress=lambda m: log.info("demo: %s", m))
        state = AppState(st, settings)
        _bootstrap_admin(state, settings)
        _open_active_locator(state)
        app.state.geo = state
        try:
            yield
        finally:
            if own:
                st.dispose()

    app = FastAPI(
        title="geogrid",
        summary="网格化治理: microgrid planning, geocoding, dispatch and maps",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    # routes are matched in this order: /locate, the dispatch hot path, is tried first
    for router in (locate.router, health.router, users.router, plans.router, planning.router,
                   areas.router, geocode.router, incident_photos.router, incidents.router,
                   open311.router, pages.router, public.router,
                   tiles.router, docs_pages.router, basemap.router, mygrid.router,
                   events.router):
        app.include_router(router)
    app.include_router(ogc.router)
    app.include_router(webhooks.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_middleware(app, settings)
    install_contract(app)
    return app
