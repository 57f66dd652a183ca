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

from geogrid.settings import Settings, get_settings
from geogrid.store import Store
from maps import STATIC_DIR

from .errors import install_error_handlers
from .middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from .routers import areas, geocode, health, incidents, locate, open311, pages, plans, users
from .routers import planning, public, tiles
from .routers import basemap, docs as docs_pages, mygrid
from .state import GeoState

__all__ = ["create_app"]

log = logging.getLogger("geogrid.api")


def _bootstrap_admin(store: Store, settings: Settings) -> None:
    """Make GEOGRID_ADMIN_TOKEN a valid admin API token (stored hashed), once."""
    if settings.admin_token is None:
        return
    import sqlalchemy as sa

    from geogrid.security import hash_token
    from geogrid.store import schema as S
    from geogrid.store.repo import now
    from geogrid.store.users import create_user

    token = settings.admin_token.get_secret_value()
    with store.read() as conn:
        known = conn.execute(sa.select(S.api_tokens.c.id).where(
            S.api_tokens.c.token_hash == hash_token(token))).first()
        admin = conn.execute(sa.select(S.users.c.id).where(S.users.c.username == "admin")).first()
    if known:
        return
    uid = admin[0] if admin else create_user(store, "admin", "admin", actor="bootstrap")
    with store.write() as conn:
        conn.execute(sa.insert(S.api_tokens).values(user_id=uid, token_hash=hash_token(token),
                                                    name="bootstrap", created_at=now()))


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        own = store is None
        st = store or Store.open(settings.effective_database_url,
                                 spatialite_library=settings.spatialite_library)
        if settings.demo:
            from geogrid.store.demo import load_demo
            load_demo(st, progress=lambda m: log.info("demo: %s", m))
        _bootstrap_admin(st, settings)
        app.state.geo = GeoState(st, settings)
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
    for router in (health.router, users.router, plans.router, planning.router, areas.router,
                   locate.router,
                   geocode.router, incidents.router, open311.router, pages.router, public.router,
                   tiles.router, docs_pages.router, basemap.router, mygrid.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityHeadersMiddleware, frame_ancestors=settings.frame_ancestors)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app
