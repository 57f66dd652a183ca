"""Per-application state owned by the lifespan: settings, the plan cache and the services.

:class:`AppState` *is* the plan cache (:class:`geogrid.services.PlanCache`),
so handlers keep ``state.plan_data(id)``, ``state.locator(id)`` and
``state.invalidate()``; the use cases are typed attributes
(``state.incidents``, ``state.planning`` …) built once in the lifespan hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geogrid.services import PlanCache, PlanData, Services, UseCases
from geogrid.services.plancache import Once
from geogrid.settings import Settings
from geogrid.store import Store

if TYPE_CHECKING:
    from geogrid.store.tiles import TileCache

    from .routers.basemap import _Basemap
    from .routers.mygrid import RateLimiter

__all__ = ["AppState", "GeoState", "PlanData"]


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
        # the services share this object as their cache, so an invalidation reaches them all
        self.adopt(Services.build(store, cache=self, snap_m=settings.snap_distance_m,
                                  reach_m=settings.territorial_reach_m,
                                  fallback_level=settings.territorial_fallback,
                                  calendar_dir=settings.effective_calendar_dir,
                                  review_below=settings.geocode_review_below,
                                  learning=settings.geocode_learning))


#: the name the routers used before the services layer
GeoState = AppState
