"""Plans and the indexes built from them, cached per plan id and version.

Entries are checked against the plan's version and status at most once
every ``ttl_s`` seconds, so a hot path such as ``/locate`` does not query
the database per request, and an activation or an edit (which bumps the
version) is picked up within ``ttl_s`` by every worker process — at once by
the process that made it (it calls :meth:`PlanCache.invalidate`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np
import shapely

from .._errors import NotFoundError
from .policy import can_read_plan

if TYPE_CHECKING:
    import geopandas as gpd

    from ..datumcheck import BuildingIndex
    from ..locator import PlanLocator
    from ..store import Store

__all__ = ["PlanCache", "PlanData", "Once"]

T = TypeVar("T")


@dataclass
class PlanData:
    plan: dict
    #: the plan's areas; with ``load`` given instead, read from the store on first use
    #: (a worker that opens a stored locator never needs them for ``/locate``)
    _areas: gpd.GeoDataFrame | None = None
    checked_at: float = 0.0
    #: the point → area-chain index of this version (opened or built on first use)
    locator: PlanLocator | None = None
    #: pages and other things derived from this version of the plan (workload, problems …)
    extra: dict[str, Any] = field(default_factory=dict)
    load: Callable[[], gpd.GeoDataFrame] | None = None
    _lock: Any = field(default_factory=threading.Lock, repr=False)

    @property
    def areas(self) -> gpd.GeoDataFrame:
        if self._areas is None:
            with self._lock:
                if self._areas is None:
                    self._areas = self.load()
        return self._areas


class Once(Generic[T]):
    """One value built on first use and kept (per process) until :meth:`clear`."""

    def __init__(self, lock: threading.RLock | None = None):
        self._lock = lock if lock is not None else threading.RLock()
        self._value: T | None = None

    def get(self, build: Callable[[], T]) -> T:
        value = self._value
        if value is None:
            with self._lock:
                value = self._value
                if value is None:
                    value = self._value = build()
        return value

    def clear(self) -> None:
        self._value = None


class PlanCache:
    """The store plus caches keyed by plan id and version (rebuilt when a plan changes)."""

    #: area geometries whose GeoJSON text is kept (per precision)
    AREA_JSON_LIMIT = 50_000

    def __init__(self, store: Store, ttl_s: float = 1.0, locate_dir: Path | None = None,
                 plan_rows=None):
        self.store = store
        #: where plan rows are read: the store, or until it is open a reader of its plans
        #: alone (:class:`geogrid.store.quick.PlanRows`, see :meth:`use_store`)
        self.plan_rows = store if plan_rows is None else plan_rows
        self.ttl_s = ttl_s
        #: when given, background work (the locator's tree for snapping) waits until it is set
        self.warm_gate: threading.Event | None = None
        #: set at shutdown (:meth:`stop_background`): background work not begun is skipped
        self.closing = threading.Event()
        self._warmers: list[threading.Thread] = []
        #: where plans' locators are stored (see :meth:`locator`); None: built per process
        self.locate_dir = None if locate_dir is None else Path(locate_dir)
        self._plans: dict[int, PlanData] = {}
        self._active: tuple[float, int | None] = (0.0, None)
        self._lock = threading.RLock()
        # built from the store's objects, roads and addresses; cleared by invalidate(objects=True)
        #: footprints for the datum check
        self.building_index: Once[BuildingIndex] = Once(self._lock)
        #: the largest connected part of the road network (a networkx graph)
        self.road_graph: Once[Any] = Once(self._lock)
        #: (address database revision, gazetteer) — see :mod:`.gazetteer`
        self.gazetteer: Once[tuple[Any, Any]] = Once(self._lock)
        #: GeoJSON text of area geometries by precision and WKB — see :meth:`area_geometries`
        self._area_json: dict[int, dict[bytes, str]] = {}
        #: (checked at, objects revision, every management object) — see :meth:`all_objects`
        self._objects: tuple[float, int, gpd.GeoDataFrame] | None = None

    # -- which plan ---------------------------------------------------------------------
    def active_plan_id(self) -> int:
        checked, plan_id = self._active
        if plan_id is None or time.monotonic() - checked > self.ttl_s:
            active = self.plan_rows.active_plan()
            plan_id = None if active is None else int(active["id"])
            self._active = (time.monotonic(), plan_id)
        if plan_id is None:
            raise NotFoundError("没有已启用的方案。there is no active plan.", field="plan",
                                value="active",
                                fix="加载演示数据 (geogrid demo) 或启用一个方案。"
                                    "Load the demo (geogrid demo) or activate a plan.")
        return plan_id

    def resolve_plan_id(self, plan: str | int | None) -> int:
        if plan in (None, "", "active"):
            return self.active_plan_id()
        try:
            plan_id = int(plan)
        except (TypeError, ValueError):
            plan_id = -1
        if not 0 < plan_id < 2**31:
            raise NotFoundError(f"{plan!r} 不是方案编号。plan {plan!r} is not a plan id.",
                                field="plan", value=plan,
                                fix="传数字方案编号或 'active'。Pass a numeric plan id or 'active'.")
        return plan_id

    def visible_plan_id(self, plan: str | int | None, principal) -> int:
        """Like :meth:`resolve_plan_id`, but a plan the caller may not read does not exist."""
        plan_id = self.resolve_plan_id(plan)
        if plan in (None, "", "active") or principal.can("plan.read"):
            return plan_id
        if not can_read_plan(principal, self.plan_data(plan_id).plan):
            raise NotFoundError(f"方案 {plan!r} 不存在。plan {plan!r} does not exist.",
                                field="plan", value=plan,
                                fix="登录后才能查看草稿方案。Sign in to see draft plans.")
        return plan_id

    # -- cached data --------------------------------------------------------------------
    def plan_data(self, plan_id: int) -> PlanData:
        cached = self._plans.get(plan_id)
        if cached is not None and time.monotonic() - cached.checked_at <= self.ttl_s:
            return cached
        plan = self.plan_rows.plan(plan_id)
        with self._lock:
            cached = self._plans.get(plan_id)
            if cached is not None and cached.plan["version"] == plan["version"] \
                    and cached.plan["status"] == plan["status"]:
                cached.plan, cached.checked_at = plan, time.monotonic()
                return cached
            data = PlanData(plan=plan, checked_at=time.monotonic(),
                            load=lambda: self.store.areas(plan_id))
            self._plans[plan_id] = data
            return data

    def locator(self, plan_id: int) -> PlanLocator:
        """The point → area-chain index of a plan (rebuilt when the plan changes).

        With :attr:`locate_dir`, the locator of each plan version is stored there the
        first time any process builds it (a plan's activation does), and every other
        process opens it in milliseconds (see :mod:`.locatefiles`) without reading the
        plan's areas."""
        data = self.plan_data(plan_id)
        if data.locator is None:
            from .locatefiles import stored_locator

            with self._lock:
                if data.locator is None:
                    data.locator = stored_locator(self.locate_dir, self.plan_rows, data)
                    # distances for snapping are built now, not on the first snapped request
                    self._start_warm(data.locator)
        return data.locator

    def _start_warm(self, locator) -> None:
        if self.closing.is_set():
            return
        thread = threading.Thread(target=_warm, args=(locator, self.warm_gate, self.closing),
                                  name="geogrid-locator-warm", daemon=True)
        self._warmers = [t for t in self._warmers if t.is_alive()] + [thread]
        thread.start()

    def stop_background(self, timeout_s: float = 60.0) -> bool:
        """At shutdown: skip background work not begun and wait (up to ``timeout_s``) for
        what is running, so that no thread is inside a C extension when the interpreter
        exits (a daemon thread killed there aborts the process: "terminate called without
        an active exception"). True when every thread has finished."""
        self.closing.set()
        if self.warm_gate is not None:
            self.warm_gate.set()        # a thread waiting for the gate wakes up and returns
        deadline = time.monotonic() + timeout_s
        for thread in list(self._warmers):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._warmers)

    def use_store(self, store: Store) -> None:
        """Read plan rows from ``store`` from now on; rows read before are read again (as
        the store types them) on their next use."""
        self.store = store     # first: a thread may wait for it holding the lock
        with self._lock:
            self.plan_rows = store
            self._active = (0.0, None)
            for data in self._plans.values():
                data.checked_at = 0.0

    def buildings(self) -> BuildingIndex:
        """Building footprints, for the datum check."""
        from ..datumcheck import BuildingIndex

        return self.building_index.get(
            lambda: BuildingIndex(self.store.objects(types=["building"])))

    def all_objects(self) -> gpd.GeoDataFrame:
        """Every management object (read-only: copy before changing it). Objects change only
        by imports, which leave an audit entry: its id is checked at most every ``ttl_s``, so
        an import by any worker is seen within ``ttl_s`` and the table is not re-read per
        request (the editor reloads all objects after every edit)."""
        cached = self._objects
        if cached is not None and time.monotonic() - cached[0] <= self.ttl_s:
            return cached[2]
        revision = self.store.registry.revision()
        with self._lock:
            cached = self._objects
            if cached is None or cached[1] != revision:
                cached = (time.monotonic(), revision, self.store.objects())
            else:
                cached = (time.monotonic(), revision, cached[2])
            self._objects = cached
            return cached[2]

    def object_geometries(self, precision: int = 7) -> dict[str, str]:
        """GeoJSON of each object's geometry (lon/lat rounded to ``precision`` decimals),
        made once per objects revision: the editor redraws every object after every edit,
        and the footprints never change with a plan."""
        objects = self.all_objects()
        cached = getattr(self, "_object_json", None)
        if cached is not None and cached[0] is objects and cached[1] == precision:
            return cached[2]
        geoms = shapely.set_precision(objects.geometry.values, 10.0 ** -precision) \
            if len(objects) else objects.geometry.values
        out = dict(zip(objects["id"].astype(str), shapely.to_geojson(geoms)))
        self._object_json = (objects, precision, out)
        return out

    def area_geometries(self, plan_id: int, precision: int = 7) -> dict[str, str]:
        """GeoJSON of each area's geometry in the plan's current version, by area id. Texts
        are kept by geometry (its WKB), so after an edit only the areas it reshaped are
        serialised again, not the whole plan."""
        data = self.plan_data(plan_id)
        done = data.extra.get(("geometry_json", precision))
        if done is not None:
            return done
        memo = self._area_json.setdefault(precision, {})
        wkbs = shapely.to_wkb(data.areas.geometry.values)
        todo = [i for i, w in enumerate(wkbs) if w not in memo]
        if todo:
            geoms = shapely.set_precision(np.asarray(data.areas.geometry.values)[todo],
                                          10.0 ** -precision)
            memo.update(zip((wkbs[i] for i in todo), shapely.to_geojson(geoms)))
        out = {str(uid): memo[w] for uid, w in zip(data.areas["id"], wkbs)}
        if len(memo) > self.AREA_JSON_LIMIT:  # keep this version's, drop the rest
            self._area_json[precision] = {w: memo[w] for w in wkbs}
        data.extra[("geometry_json", precision)] = out
        return out

    def invalidate(self, plan_id: int | None = None, *, objects: bool = False) -> None:
        with self._lock:
            if plan_id is None:
                self._plans.clear()
            else:
                self._plans.pop(plan_id, None)
            self._active = (0.0, None)
            if objects:
                self._objects = None
                for derived in (self.building_index, self.road_graph, self.gazetteer):
                    derived.clear()


def _warm(locator, gate: threading.Event | None = None,
          closing: threading.Event | None = None) -> None:
    if gate is not None:
        gate.wait()
    if closing is not None and closing.is_set():
        return
    index = getattr(locator, "index", None)
    if index is not None and hasattr(index, "warm"):
        index.warm()


