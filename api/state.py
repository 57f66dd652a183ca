"""Per-application state owned by the lifespan: settings, the plan cache and the services.

:class:`AppState` *is* the plan cache (:class:`geogrid.services.PlanCache`),
so handlers keep ``state.plan_data(id)``, ``state.locator(id)`` and
``state.invalidate()``; the use cases are typed attributes
(``state.incidents``, ``state.planning`` …) built once in the lifespan hook.
"""

from __future__ import annotations

from geogrid.services import (AccountService, IncidentService, LocatingService, PlanCache,
                              PlanData, PlanningService, PublicService, ReportService,
                              ResponderService, Services)
from geogrid.settings import Settings
from geogrid.store import Store

__all__ = ["AppState", "GeoState", "PlanData"]


class AppState(PlanCache):
    """Settings, the plan cache, and one typed attribute per service."""

    locating: LocatingService
    incidents: IncidentService
    planning: PlanningService
    public: PublicService
    reports: ReportService
    responders: ResponderService
    accounts: AccountService

    def __init__(self, store: Store, settings: Settings, ttl_s: float = 1.0):
        super().__init__(store, ttl_s=ttl_s)
        self.settings = settings
        # the services share this object as their cache, so an invalidation reaches them all
        services = Services.build(store, cache=self, snap_m=settings.snap_distance_m,
                                  reach_m=settings.territorial_reach_m,
                                  fallback_level=settings.territorial_fallback,
                                  calendar_dir=settings.effective_calendar_dir,
                                  review_below=settings.geocode_review_below,
                                  learning=settings.geocode_learning)
        self.locating = services.locating
        self.incidents = services.incidents
        self.planning = services.planning
        self.public = services.public
        self.reports = services.reports
        self.responders = services.responders
        self.accounts = services.accounts


#: the name the routers used before the services layer
GeoState = AppState
