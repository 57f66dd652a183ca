"""Per-application state owned by the lifespan: settings, the plan cache and the services.

:class:`AppState` *is* the plan cache (:class:`geogrid.services.PlanCache`),
so handlers keep ``state.plan_data(id)``, ``state.locator(id)`` and
``state.invalidate()``; the use cases are typed attributes
(``state.incidents``, ``state.planning`` …). ``locating`` (all that ``/locate``
needs) is built in the lifespan hook; the others on first use, or by the app's
background warm-up, so a new worker does not import them before it can answer
``/locate``.

The store itself may still be opening when the first requests come
(:meth:`AppState.opening`): plan rows are then read with a
:class:`geogrid.store.quick.PlanRows`, and whatever asks for :attr:`AppState.store`
waits until it is open.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING

from geogrid.errors import StoreUnavailableError
from geogrid.services import PlanCache, PlanData, UseCases
from geogrid.services.locating import LocatingService
from geogrid.services.plancache import Once
from geogrid.settings import Settings

if TYPE_CHECKING:
    from geogrid.store import Store
    from geogrid.store.quick import PlanRows
    from geogrid.store.tiles import TileCache

    from .routers.basemap import _Basemap
    from .routers.mygrid import RateLimiter

__all__ = ["AppState", "GeoState", "PlanData"]

_USE_CASES = frozenset(f.name for f in fields(UseCases))

log = logging.getLogger("geogrid.api")


class AppState(PlanCache, UseCases):
    """Settings, the plan cache, one typed attribute per service, and what the routers
    build once per process (tile and basemap caches, the /mygrid rate limiter)."""

    def __init__(self, store: Store | None, settings: Settings, ttl_s: float = 1.0,
                 plan_rows: PlanRows | None = None):
        from .auth import state_file

        self._store_open = threading.Event()
        self._store_failed: BaseException | None = None
        self._services_lock = threading.Lock()
        # plans' locators are stored beside the store and opened by every worker
        super().__init__(store, ttl_s=ttl_s, locate_dir=state_file(settings, "locate"),
                         plan_rows=plan_rows)
        self.settings = settings
        self.tile_cache: Once[TileCache] = Once()
        self.basemap: Once[_Basemap] = Once()
        self.mygrid_limiter: Once[RateLimiter] = Once()
        #: background work starts once this is set: when the first /locate can be answered
        #: (the lifespan sets it), or earlier if something needs the store
        self.warm_gate = threading.Event()
        # the services share this object as their cache, so an invalidation reaches them all
        self.locating = LocatingService(self, snap_m=settings.snap_distance_m)

    @property
    def store(self) -> Store:
        """The store; while it is still opening (see :meth:`opening`), once it is open."""
        if not self._store_open.is_set():
            self.warm_gate.set()
            self._store_open.wait()
        if self._store is None:
            raise StoreUnavailableError(
                f"数据库未能打开 ({self._store_failed})。The store could not be opened "
                f"({self._store_failed}).", field="database_url",
                fix="查看服务日志并修正后重启。See the server log, fix it and restart.")
        return self._store

    @store.setter
    def store(self, store: Store | None) -> None:
        self._store = store
        if store is not None:
            self._store_open.set()

    def opening(self, open_store: Callable[[], Store]) -> None:
        """Open the store with ``open_store`` (run in a background thread while plan rows
        are read with a :class:`~geogrid.store.quick.PlanRows`); requests that need the
        store wait for it, and fail with a clear error if it cannot be opened. At shutdown
        (:attr:`closing` set) the store is not opened at all."""
        if self.closing.is_set():
            self._store_failed = RuntimeError("服务正在关闭 / the server is shutting down")
            self._store_open.set()
            return
        try:
            self.use_store(open_store())
        except BaseException as exc:  # noqa: BLE001 - reported to every request that waits
            log.exception("数据库未能打开 / the store could not be opened")
            self._store_failed = exc
            self._store_open.set()

    def close_store(self, timeout_s: float = 60.0) -> None:
        """Dispose of the store (at shutdown), once it has finished opening."""
        self._store_open.wait(timeout_s)
        if self._store is not None:
            self._store.dispose()

    def use_cases(self) -> None:
        """Build the services not built yet (the first use of any of them does this)."""
        from geogrid.services import Services

        with self._services_lock:
            if all(name in self.__dict__ for name in _USE_CASES):
                return
            s = self.settings
            built = Services.build(self.store, cache=self, snap_m=s.snap_distance_m,
                                   reach_m=s.territorial_reach_m,
                                   fallback_level=s.territorial_fallback,
                                   calendar_dir=s.effective_calendar_dir,
                                   review_below=s.geocode_review_below,
                                   learning=s.geocode_learning)
            for name in _USE_CASES - self.__dict__.keys():
                setattr(self, name, getattr(built, name))

    def __getattr__(self, name: str):
        # only reached for an attribute not set yet: a service built on first use
        if name == "accounts":               # what a token needs, without the other services
            from geogrid.services.accounts import AccountService

            with self._services_lock:
                if "accounts" not in self.__dict__:
                    self.accounts = AccountService(self.store)
            return self.__dict__["accounts"]
        if name in _USE_CASES:
            self.use_cases()
            return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


#: the name the routers used before the services layer
GeoState = AppState
