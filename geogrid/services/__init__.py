"""Use cases: what a caller (the API, the CLI, a page) asks geogrid to do.

Each service takes a store (and the plan cache) and plain values, and returns
plain values or frames; none speaks HTTP or reads settings. The API builds
one :class:`Services` in its lifespan hook; the CLI builds what it needs.

=============  ===========================================================
locating       datum-tagged point → area chain, with the datum warning
incidents      intake (address fallback, datum check, 属地兜底), the loop
planning       partition, edit, undo/redo, validate, diff, activate
public         contacts and complementary-suppressed counts
reports        indicators and the 民情报告
responders     who sees and moves whom; nearest responder by road
accounts       users, tokens, the bootstrap admin token
simulation     a simulated day through the real intake
gazetteer      the address gazetteer from what the store holds
demo           the Lujiazui demo street
policy         who may read or change which object
=============  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:
    from ..store import Store
    from .accounts import AccountService
    from .incidents import IncidentService, Intake
    from .locating import LocatingService, locate_point
    from .plancache import PlanCache, PlanData
    from .planning import PlanningService, ScopedPlanning
    from .public import PublicService
    from .reports import ReportService
    from .responders import ResponderService

__all__ = ["Services", "UseCases", "PlanCache", "PlanData", "LocatingService", "IncidentService", "Intake",
           "PlanningService", "ScopedPlanning", "PublicService", "ReportService",
           "ResponderService", "AccountService", "locate_point"]

#: where each name is defined; a module is imported when one of its names is first used,
#: so that importing one service (``/locate``'s, in a new worker) does not import them all
_HOME = {"PlanCache": "plancache", "PlanData": "plancache", "LocatingService": "locating",
         "locate_point": "locating", "IncidentService": "incidents", "Intake": "incidents",
         "PlanningService": "planning", "ScopedPlanning": "planning", "PublicService": "public",
         "ReportService": "reports", "ResponderService": "responders",
         "AccountService": "accounts"}


__getattr__, __dir__ = lazy_names(__name__, _HOME)


@dataclass(eq=False)
class UseCases:
    """One typed attribute per use case (the API's state carries the same ones)."""

    locating: LocatingService
    incidents: IncidentService
    planning: PlanningService
    public: PublicService
    reports: ReportService
    responders: ResponderService
    accounts: AccountService

    def adopt(self, other: UseCases) -> None:
        """Take ``other``'s services as this object's own."""
        for f in fields(UseCases):
            setattr(self, f.name, getattr(other, f.name))


@dataclass(eq=False)
class Services(UseCases):
    """Every use case over one store, sharing one plan cache."""

    cache: PlanCache

    @classmethod
    def build(cls, store: Store, *, cache: PlanCache | None = None, snap_m: float = 50.0,
              reach_m: float = 500.0, fallback_level: str = "grid",
              ttl_s: float = 1.0, calendar_dir=None, review_below: float = 0.6,
              learning: str = "review") -> Services:
        from ..dispatch import Workflow
        from .accounts import AccountService
        from .incidents import IncidentService
        from .locating import LocatingService
        from .plancache import PlanCache
        from .planning import PlanningService
        from .public import PublicService
        from .reports import ReportService
        from .responders import ResponderService

        cache = cache if cache is not None else PlanCache(store, ttl_s=ttl_s)
        incidents = IncidentService(store, cache, snap_m=snap_m, reach_m=reach_m,
                                    fallback_level=fallback_level,
                                    workflow=Workflow.default(calendar_dir),
                                    review_below=review_below, learning=learning)
        names = {c.code: c.name for c in incidents.workflow.catalogue.categories}
        return cls(cache=cache, locating=LocatingService(cache, snap_m=snap_m),
                   incidents=incidents, planning=PlanningService(store),
                   public=PublicService(cache, names),
                   reports=ReportService(cache, incidents),
                   responders=ResponderService(store, cache), accounts=AccountService(store))
