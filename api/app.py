"""The FastAPI application factory.

Nothing is built at import time: ``create_app()`` returns an app whose
lifespan opens (and migrates) the store, loads the demo when asked, and owns
the caches. Run it with ``geogrid serve`` or
``uvicorn --factory api.app:create_app``.

A new worker answers ``/locate`` first: the app starts with that route (and the
error handlers, middleware and API contract every route shares); the other
routers, with the services, maps and pages they import, are loaded by
:class:`DeferredRoutes` in a background thread once the lifespan has opened
the active plan's locator. A request that no loaded route fully matches (an
unknown path, or a method only a later router serves) waits for them (it pays
that warm-up, once per process), then is answered as usual; ``app.openapi()``
waits likewise.

On a SpatiaLite file already at the newest schema the store itself is opened in
that background thread too (SQLAlchemy's spatial types, pandas and GDAL are most
of a new process's start): the lifespan reads the active plan with
:class:`geogrid.store.quick.PlanRows` and opens its stored locator, and anything
that needs the store waits until it is open. Otherwise (PostGIS, a new store, a
migration to run, the demo to load) the lifespan opens the store first, as before.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from geogrid.errors import GeoGridError
from geogrid.settings import Settings, get_settings

from .contract import install_contract
from .errors import install_error_handlers, install_store_error_handlers
from .middleware import install_middleware
from .routers import locate
from .state import AppState

if TYPE_CHECKING:
    from geogrid.store import Store

__all__ = ["create_app", "DeferredRoutes"]

log = logging.getLogger("geogrid.api")

#: the background start waits for the first answer, or this many seconds after start-up
WARM_AFTER_S = 1.0

#: the background start and the deferred routes import one at a time: two threads importing
#: parts of the store and services that import each other could otherwise each be handed the
#: other's module half-initialised (Python's answer to an import deadlock)
_IMPORTING = threading.RLock()


def _other_routers() -> list:
    """Every router but ``/locate``'s, in the order their routes are matched (imports them)."""
    from .routers import (areas, basemap, docs, events, geocode, health, incident_photos,
                          incidents, mygrid, ogc, open311, pages, planning, plans, public,
                          tiles, users, webhooks)

    return [health.router, users.router, plans.router, planning.router, areas.router,
            geocode.router, incident_photos.router, incidents.router, open311.router,
            pages.router, public.router, tiles.router, docs.router, basemap.router,
            mygrid.router, events.router, ogc.router, webhooks.router]


class DeferredRoutes:
    """The routes after ``/locate``, added to ``app`` once, by whichever comes first: the
    background thread the lifespan starts, a request no loaded route fully matches, or
    ``app.openapi()``. Until then such a request waits rather than answering 404 (or 405,
    for a method of a loaded path that only a later router serves)."""

    def __init__(self, app: FastAPI):
        self.app = app
        self._lock = threading.Lock()
        self.loaded = False
        self.seconds: float | None = None
        self._route = app.router.middleware_stack
        app.router.middleware_stack = self._route_or_wait
        #: called once the first request has been answered (the lifespan sets it)
        self.after_first = None
        self._delivery = None           # the webhook dispatcher, started once the routes are in
        self._closed = False

    def load(self) -> None:
        """Import the other routers and add their routes (and ``/static``); idempotent."""
        if self.loaded:
            return
        with _IMPORTING, self._lock:
            if self.loaded:
                return
            from fastapi.staticfiles import StaticFiles

            from maps import STATIC_DIR

            t0 = time.perf_counter()
            for router in _other_routers():
                self.app.include_router(router)
            self.app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
            self.app.router.middleware_stack = self._route
            self.seconds = time.perf_counter() - t0
            self.loaded = True

    def warm(self, state: AppState) -> None:
        """Load the routes, build the services they use and start the webhook delivery
        (run in a background thread)."""
        try:
            if self._closed:                    # shutting down: build nothing more
                return
            self.load()
            if self._closed:
                return
            with _IMPORTING:
                state.use_cases()
            from .routers.webhooks import start_delivery

            with self._lock:
                if not self._closed:
                    self._delivery = start_delivery(self.app)
        except Exception:                       # a request that needs them reports it
            log.exception("后台加载失败 / loading the other routes in the background failed")

    def close(self) -> None:
        """Stop the webhook delivery (at shutdown); a warm-up still running starts none."""
        with self._lock:
            self._closed = True
            delivery, self._delivery = self._delivery, None
        if delivery is not None:
            delivery.stop()

    async def _route_or_wait(self, scope, receive, send) -> None:
        if not self.loaded and scope["type"] in ("http", "websocket") and not any(
                route.matches(scope)[0] is Match.FULL for route in self.app.router.routes):
            await run_in_threadpool(self.load)
        try:
            await self._route(scope, receive, send)
        finally:
            done, self.after_first = self.after_first, None
            if done is not None:
                done()


def _bootstrap_admin(store: Store, settings: Settings) -> None:
    """Make GEOGRID_ADMIN_TOKEN the admin's API token (stored hashed), replacing the previous
    one; a token that could never work is refused with a message, not stored."""
    if settings.admin_token is None:
        return
    from geogrid.services.accounts import AccountService

    try:
        AccountService(store).bootstrap_admin(settings.admin_token.get_secret_value())
    except GeoGridError as exc:
        log.error("%s %s", exc.message, exc.fix or "")


def _open_store(settings: Settings) -> Store:
    """Open (and migrate) the store."""
    from geogrid.store import Store

    return Store.open(settings.effective_database_url,
                      spatialite_library=settings.spatialite_library)


def _opened_with_admin(settings: Settings) -> Store:
    store = _open_store(settings)
    _bootstrap_admin(store, settings)
    return store


def _start(state: AppState, deferred: DeferredRoutes, settings: Settings | None) -> None:
    """The background start: open the store (when ``settings`` are given: the lifespan
    did not), then load the other routes, build the services, start webhook delivery.
    It begins once the first request is answered (so that it does not compete with it),
    something needs the store, or :data:`WARM_AFTER_S` after start-up."""
    state.warm_gate.wait(WARM_AFTER_S)
    state.warm_gate.set()
    if settings is not None:
        def open_store() -> Store:
            with _IMPORTING:
                store = _opened_with_admin(settings)
                install_store_error_handlers(deferred.app)
            return store

        state.opening(open_store)
    if not state.closing.is_set():
        deferred.warm(state)


def _stop_background(state: AppState, warm: threading.Thread, timeout_s: float = 60.0) -> None:
    """At shutdown, let the background start and the locator warm-up finish or skip what
    they have not begun, so that none is still running when the interpreter exits: a daemon
    thread stopped inside a C extension aborts the process ("terminate called without an
    active exception"), which a script that used the app once and exited met."""
    deadline = time.monotonic() + timeout_s
    done = state.stop_background(timeout_s)
    warm.join(max(0.0, deadline - time.monotonic()))
    if warm.is_alive() or not done:
        log.warning("后台任务在 %.0f 秒内未结束 / background work still running after %.0f s",
                    timeout_s, timeout_s)


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
        from geogrid.store.quick import PlanRows

        own = store is None
        rows = PlanRows.open(settings.effective_database_url) \
            if own and not settings.demo else None
        if rows is None:
            st = store or _open_store(settings)
            install_store_error_handlers(app)
            if settings.demo:
                from geogrid.services.demo import load_demo

                load_demo(st, progress=lambda m: log.info("demo: %s", m))
            _bootstrap_admin(st, settings)
            state = AppState(st, settings)
        else:           # the store opens in the background; /locate reads the plan from `rows`
            state = AppState(None, settings, plan_rows=rows)
        app.state.geo = state
        warm = threading.Thread(target=_start, args=(state, deferred, settings if rows else None),
                                name="geogrid-warm", daemon=True)
        warm.start()
        _open_active_locator(state)     # a locator to build opens the gate: it needs the store
        deferred.after_first = state.warm_gate.set
        try:
            yield
        finally:
            deferred.close()
            _stop_background(state, warm)
            if own:
                state.close_store()

    app = FastAPI(
        title="geogrid",
        summary="网格化治理: microgrid planning, geocoding, dispatch and maps",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    if store is not None:
        install_store_error_handlers(app)
    # routes are matched in this order: /locate, the dispatch hot path, is tried first
    app.include_router(locate.router)
    deferred = DeferredRoutes(app)
    install_middleware(app, settings)
    install_contract(app)
    documented = app.openapi

    def openapi() -> dict:
        deferred.load()
        return documented()

    app.openapi = openapi
    app.state.deferred = deferred
    return app
