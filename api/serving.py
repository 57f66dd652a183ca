"""Several workers forked from one loaded parent (``geogrid serve --workers N``).

With the ``serve`` extra (gunicorn and uvicorn-worker) the parent process imports the
app and every router once, brings the store's schema up to date, loads the demo when
asked, and opens (or builds and stores) the active plan's locator, memory-mapped; then
gunicorn forks the workers from it. Every worker, the first ones and any that replaces
a dead one, starts with all of that in memory (shared, copy-on-write) and only runs
its lifespan: its own store engine, its own background threads.

Nothing that is unsafe to share crosses the fork: the parent closes its store (every
engine also drops its pooled connections in a child, see
:func:`geogrid.store.engine.create_engine`), and it starts no thread; the route
warm-up, the locator's metric tree for snapping and the webhook delivery run in each
worker, started by its lifespan.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from geogrid.errors import GeoGridError
from geogrid.settings import Settings, get_settings

from .app import create_app

__all__ = ["preloaded_app", "prefork_available", "run_prefork"]

log = logging.getLogger("geogrid.api")


def prefork_available() -> bool:
    """Whether gunicorn and its uvicorn worker (the ``serve`` extra) can be imported."""
    try:
        import gunicorn  # noqa: F401
        import uvicorn_worker  # noqa: F401
    except ImportError:
        return False
    return True


def preloaded_app(settings: Settings | None = None) -> FastAPI:
    """The app, with what every worker forked from this process should inherit done once:
    every route imported and added, the store migrated (and the demo loaded when asked),
    the active plan's locator opened. The store is closed again before returning."""
    settings = settings or get_settings()
    app = create_app(settings)
    app.state.deferred.load()
    _open_locator_for_workers(settings)
    return app


def _open_locator_for_workers(settings: Settings) -> None:
    from geogrid.services.locatefiles import keep_for_workers
    from geogrid.store import Store

    from .auth import state_file

    store = Store.open(settings.effective_database_url,
                       spatialite_library=settings.spatialite_library)
    try:
        if settings.demo:
            from geogrid.services.demo import load_demo

            load_demo(store, progress=lambda m: log.info("demo: %s", m))
        keep_for_workers(store, state_file(settings, "locate"))
    except GeoGridError as exc:      # the workers start as they would without it
        log.info("父进程未打开定位器 / the parent opened no locator: %s", exc.message)
    finally:
        store.dispose()


def run_prefork(host: str, port: int, workers: int, *, log_level: str = "info") -> None:
    """Serve with gunicorn: ``workers`` uvicorn workers forked from one preloaded parent
    (a dead worker is replaced by a fork of the same parent)."""
    from gunicorn.app.base import BaseApplication

    class _Prefork(BaseApplication):
        def load_config(self) -> None:
            options = {"bind": f"{host}:{port}", "workers": workers, "preload_app": True,
                       "worker_class": "uvicorn_worker.UvicornWorker", "loglevel": log_level}
            if "control_socket_disable" in self.cfg.settings:   # gunicorn >= 25: one per user
                options["control_socket_disable"] = True
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return preloaded_app()

    _Prefork().run()
