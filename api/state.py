"""Per-application state owned by the lifespan: settings, the plan cache and the services.

:class:`AppState` *is* the plan cache (:class:`geogrid.services.PlanCache`),
so handlers keep ``state.plan_data(id)``, ``state.locator(id)`` and
``state.invalidate()``; the use cases are typed attributes
(``state.incidents``, ``state.planning`` …). ``locating`` and ``accounts``
(all that ``/locate`` needs) are built in the lifespan hook; the others on
first use, or by the app's background warm-up, so a new worker does not import
them before it can answer ``/locate``.
"""

from __future__ import annotations

import threading
from dataclasses import fields
from typing import TYPE_CHECKING

from geogrid.services import PlanCache, PlanData, UseCases
from geogrid.services.accounts import AccountService
from geogrid.services.locating import LocatingService
from geogrid.services.plancache import Once
from geogrid.settings import Settings
from geogrid.store import Store

if TYPE_CHECKING:
    from geogrid.store.tiles import TileCache

    from .routers.basemap import _Basemap
    from .routers.mygrid import RateLimiter

__all__ = ["AppState", "GeoState", "PlanData"]

_USE_CASES = frozenset(f.name for f in fields(UseCases))


class AppState(PlanCache, UseCases):
    """Settings, the plan cache, one typed attribute per service, and what the routers
    build once per process (tile and basemap caches, the /mygrid rate limiter)."""

    def __init__(self, store: Store, settings: Settings, ttl_s: float = 1.0):
        from .auth import state_file

        # plans' locators are stored beside the store and opened by every worker
        super().__init__(store, ttl_s=ttl_s, locate_dir=state_file(settings, "locate"))
        self.settings = settings
        self.tile_cache: Once[TileCache] = Once()
        self.basemap: Once[_Basemap] = Once()
        self.mygrid_limiter: Once[RateLimiter] = Once()
        self._services_lock = threading.Lock()
        # the services share this object as their cache, so an invalidation reaches them all
        self.locating = LocatingService(self, snap_m=settings.snap_distance_m)
        self.accounts = AccountService(store)

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
        if name in _USE_CASES:
            self.use_cases()
            return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


#: the name the routers used before the services layer
GeoState = AppState
