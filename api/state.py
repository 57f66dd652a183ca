"""Per-application state owned by the lifespan: the store and the caches built from it.

Caches are keyed by plan id and checked against the plan's version and
status at most once every ``ttl_s`` seconds, so a hot path such as
``/locate`` does not query the database per request, and an activation or
an edit (which bumps the version) is picked up within ``ttl_s`` by every
worker process — at once by the process that made it (it calls
:meth:`GeoState.invalidate`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from geogrid.errors import NotFoundError
from geogrid.settings import Settings
from geogrid.store import Store

__all__ = ["GeoState", "PlanData"]


@dataclass
class PlanData:
    plan: dict
    areas: gpd.GeoDataFrame
    checked_at: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class GeoState:
    """The store plus caches keyed by plan id and version (rebuilt when a plan changes)."""

    def __init__(self, store: Store, settings: Settings, ttl_s: float = 1.0):
        self.store = store
        self.settings = settings
        self.ttl_s = ttl_s
        self._plans: dict[int, PlanData] = {}
        self._active: tuple[float, int | None] = (0.0, None)
        self._shared: dict[str, Any] = {}
        self._lock = threading.RLock()

    # -- plans ----------------------------------------------------------------------------
    def active_plan_id(self) -> int:
        checked, plan_id = self._active
        if plan_id is None or time.monotonic() - checked > self.ttl_s:
            active = self.store.active_plan()
            plan_id = None if active is None else int(active["id"])
            self._active = (time.monotonic(), plan_id)
        if plan_id is None:
            raise NotFoundError("there is no active plan.", field="plan", value="active",
                                fix="Load the demo (geogrid demo) or activate a plan.")
        return plan_id

    def resolve_plan_id(self, plan: str | int | None) -> int:
        if plan in (None, "", "active"):
            return self.active_plan_id()
        try:
            plan_id = int(plan)
        except (TypeError, ValueError):
            plan_id = -1
        if not 0 < plan_id < 2**31:
            raise NotFoundError(f"plan {plan!r} is not a plan id.", field="plan", value=plan,
                                fix="Pass a numeric plan id or 'active'.")
        return plan_id

    def visible_plan_id(self, plan: str | int | None, principal) -> int:
        """Like :meth:`resolve_plan_id`, but drafts exist only for staff who may read plans."""
        plan_id = self.resolve_plan_id(plan)
        if plan in (None, "", "active") or principal.can("plan.read"):
            return plan_id
        if self.plan_data(plan_id).plan["status"] == "draft":
            raise NotFoundError(f"plan {plan!r} does not exist.", field="plan", value=plan,
                                fix="Sign in to see draft plans.")
        return plan_id

    def plan_data(self, plan_id: int) -> PlanData:
        cached = self._plans.get(plan_id)
        if cached is not None and time.monotonic() - cached.checked_at <= self.ttl_s:
            return cached
        plan = self.store.plan(plan_id)
        with self._lock:
            cached = self._plans.get(plan_id)
            if cached is not None and cached.plan["version"] == plan["version"] \
                    and cached.plan["status"] == plan["status"]:
                cached.checked_at = time.monotonic()
                return cached
            data = PlanData(plan=plan, areas=self.store.areas(plan_id), checked_at=time.monotonic())
            self._plans[plan_id] = data
            return data

    def locator(self, plan_id: int):
        """The point → area-chain index of a plan (built on first use, rebuilt on change)."""
        from geogrid.locator import PlanLocator

        data = self.plan_data(plan_id)
        loc = data.extra.get("locator")
        if loc is None:
            with self._lock:
                loc = data.extra.get("locator")
                if loc is None:
                    loc = PlanLocator(data.areas)
                    data.extra["locator"] = loc
        return loc

    def buildings(self):
        from geogrid.datumcheck import BuildingIndex

        idx = self._shared.get("buildings")
        if idx is None:
            with self._lock:
                idx = self._shared.get("buildings")
                if idx is None:
                    idx = BuildingIndex(self.store.objects(types=["building"]))
                    self._shared["buildings"] = idx
        return idx

    def shared(self, key: str, build):
        """A cache entry shared across plans (e.g. the gazetteer), built once."""
        value = self._shared.get(key)
        if value is None:
            with self._lock:
                value = self._shared.get(key)
                if value is None:
                    value = build()
                    self._shared[key] = value
        return value

    def invalidate(self, plan_id: int | None = None, *, objects: bool = False) -> None:
        with self._lock:
            if plan_id is None:
                self._plans.clear()
            else:
                self._plans.pop(plan_id, None)
            self._active = (0.0, None)
            if objects:
                self._shared.clear()
