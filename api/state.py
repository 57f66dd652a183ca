"""Per-application state owned by the lifespan: the store and the caches built from it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from geogrid._errors import NotFoundError
from geogrid.settings import Settings
from geogrid.store import Store

__all__ = ["GeoState", "PlanData"]


@dataclass
class PlanData:
    plan: dict
    areas: gpd.GeoDataFrame
    extra: dict[str, Any] = field(default_factory=dict)


class GeoState:
    """The store plus caches keyed by plan id and version (rebuilt when a plan changes)."""

    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings
        self._plans: dict[int, PlanData] = {}
        self._lock = threading.Lock()

    def resolve_plan_id(self, plan: str | int | None) -> int:
        if plan in (None, "", "active"):
            active = self.store.active_plan()
            if active is None:
                raise NotFoundError("there is no active plan.", field="plan", value="active",
                                    fix="Load the demo (geogrid demo) or activate a plan.")
            return int(active["id"])
        try:
            return int(plan)
        except (TypeError, ValueError):
            raise NotFoundError(f"plan {plan!r} is not a plan id.", field="plan", value=plan,
                                fix="Pass a numeric plan id or 'active'.") from None

    def plan_data(self, plan_id: int) -> PlanData:
        plan = self.store.plan(plan_id)
        cached = self._plans.get(plan_id)
        if cached is not None and cached.plan["version"] == plan["version"] \
                and cached.plan["status"] == plan["status"]:
            return cached
        with self._lock:
            cached = self._plans.get(plan_id)
            if cached is not None and cached.plan["version"] == plan["version"] \
                    and cached.plan["status"] == plan["status"]:
                return cached
            data = PlanData(plan=plan, areas=self.store.areas(plan_id))
            self._plans[plan_id] = data
            return data

    def invalidate(self, plan_id: int | None = None) -> None:
        with self._lock:
            if plan_id is None:
                self._plans.clear()
            else:
                self._plans.pop(plan_id, None)
