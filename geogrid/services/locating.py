"""Datum-tagged point → area chain, with the datum check: one function for every caller.

``/locate``, incident intake, Open311 and the CLI all call :func:`locate_point`,
so a point with a mislabelled datum gets the same warning whichever way it
came in. :func:`territorial_unit` finds who takes a point just outside every
microgrid (属地兜底).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._errors import InputError, OutOfCoverageError
from ..datum import Datum, parse_datum, to_storage, to_storage_xy
from ..datumcheck import BuildingIndex, check_datum
from ..locator import PlanLocator
from ..model import DEFAULT_LEVELS, Level, PlanLevels
from .plancache import PlanCache

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["locate_point", "territorial_unit", "territorial_levels", "LocatingService", "DeclaredLocator",
           "plan_locator", "open_plan_locator"]


def locate_point(locator: PlanLocator, lon: float, lat: float, datum: Datum | str, *,
                 snap_m: float,
                 buildings: BuildingIndex | Callable[[], BuildingIndex] | None = None) -> dict:
    """Where ``(lon, lat)`` in ``datum`` lies: ``point`` (storage datum), ``chain``, ``leaf``,
    ``snapped``, ``distance_m``, and ``warnings`` / ``datum_warning`` when it lies outside
    every area and another datum would put it on a building.

    Raises OutOfCoverageError beyond ``snap_m`` (naming the likely datum when there is one).
    """
    datum = parse_datum(datum)
    x, y = to_storage_xy(lon, lat, datum)
    try:
        hit = locator.locate_one(x, y, snap_m=snap_m)
    except OutOfCoverageError as exc:
        warning = check_datum(lon, lat, datum, locator, _resolved(buildings))
        if warning:
            raise OutOfCoverageError(
                f"({lon}, {lat}) 按 {datum.value} 不在任何区域内; {warning['message']} "
                f"({lon}, {lat}) in {datum.value} is outside every area; {warning['message']}",
                field="datum", value=datum.value,
                fix=f"若坐标来自 {warning['likely']}, 请用 datum={warning['likely']} 重发。"
                    f"Resend with datum={warning['likely']} if that is where the point came from."
            ) from exc
        raise
    out = {"point": [round(x, 7), round(y, 7)],
           "input": {"lon": lon, "lat": lat, "datum": datum.value}, **hit}
    if hit["snapped"]:
        out["warnings"] = [f"不在任何区域内, 已吸附到 {hit['distance_m']:.1f} 米外最近的区域。"
                           f"outside every area; snapped {hit['distance_m']:.1f} m to the nearest"]
        warning = check_datum(lon, lat, datum, locator, _resolved(buildings))
        if warning:
            out["warnings"].append(warning["message"])
            out["datum_warning"] = warning
    return out


def _resolved(buildings):
    """The footprints for the datum check; a callable is called only now, when a point
    outside coverage needs them (a first request inside coverage reads none)."""
    return buildings() if callable(buildings) else buildings


def territorial_levels(levels: PlanLevels) -> list[str]:
    """The declared levels that may take a report as 属地兜底, lowest first (the street last);
    microgrids and 楼组 are not territorial units."""
    return [k for k in reversed(levels.keys)
            if levels.spec(k).kind not in (Level.MICROGRID.value, Level.BUILDING_GROUP.value)]


def territorial_unit(areas, x: float, y: float, *, reach_m: float, level: str = "grid",
                     levels: PlanLevels = DEFAULT_LEVELS) -> dict | None:
    """The unit that takes a point outside every microgrid but within ``reach_m`` of a street
    (属地兜底): the nearest area of that street on ``level`` (a declared level: key, name or
    kind; the default ``"grid"``), or the street itself (``level="street"``, or no such area).

    Returns ``{"street": {...}, "grid": {...} | None, "unit": id, "distance_m": d,
    "path": [the unit, its ancestors …, the street]}`` (``grid``: the unit below the street,
    whatever its level), or None.
    """
    import geopandas as gpd

    from ..crs import metric_crs

    street_key = levels.keys[0]
    streets = areas[areas["level"] == street_key]
    if streets.empty:
        return None
    crs = metric_crs(streets)
    pt_m = gpd.GeoSeries([shapely.Point(x, y)], crs=streets.crs).to_crs(crs).iloc[0]
    dist = streets.to_crs(crs).distance(pt_m)
    best = dist.idxmin()
    if float(dist[best]) > reach_m:
        return None
    street = streets.loc[best]
    out = {"street": _ref(street), "grid": None, "unit": street["id"],
           "distance_m": round(float(dist[best]), 1), "path": [_ref(street)]}
    key = _unit_level(levels, level)
    if key is None or key == street_key:
        return out
    path = _paths_to(areas, street["id"])
    units = areas[(areas["level"] == key) & areas["id"].isin(set(path))]
    if len(units):
        unit = units.loc[units.to_crs(crs).distance(pt_m).idxmin()]
        out["path"] = path[unit["id"]]
        out["grid"], out["unit"] = _ref(unit), unit["id"]
    return out


def _unit_level(levels: PlanLevels, level: str) -> str | None:
    """The declared key the fallback setting names (None: a level this plan does not have)."""
    try:
        return levels.key_of(level)
    except InputError:
        return None


def _paths_to(areas, street_id) -> dict:
    """Area id → [refs from it up to the street] for every area under ``street_id``."""
    rows = {r["id"]: r for r in areas.to_dict("records")}
    out: dict = {}
    for aid in rows:
        path, cur, seen = [], aid, set()
        while cur is not None and cur in rows and cur not in seen:
            seen.add(cur)
            path.append(_ref(rows[cur]))
            cur = rows[cur].get("parent_id")
            cur = None if cur is None or cur != cur else cur
        if path[-1]["id"] == street_id and aid != street_id:
            out[aid] = path
    return out


def _ref(row) -> dict:
    return {"id": row["id"], "name": row["name"], "code": row.get("code"), "level": row["level"]}


class DeclaredLocator:
    """A :class:`PlanLocator` that answers in a plan's declared levels.

    The locator keeps five fixed slots (街道 / 网格 / 居民区 / 微网格 / 楼组); a plan such
    as Hangzhou's 街道 → 社区 → 网格 puts its levels into them in declared order
    (:meth:`PlanLevels.slots`), so its 网格 are the leaves, and every chain is mapped
    back: keys, ``level`` and order are the plan's own.
    """

    def __init__(self, areas: gpd.GeoDataFrame, levels: PlanLevels, *,
                 known_valid: bool = False):
        self.levels = levels
        self._back = {slot: key for key, slot in levels.slots().items()}
        self.inner = PlanLocator(self._relabelled(areas), known_valid=known_valid)

    def _relabelled(self, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        slots = self.levels.slots()
        return areas.assign(level=areas["level"].map(lambda v: slots.get(v, v)))

    @classmethod
    def open(cls, path, levels: PlanLevels, areas=None) -> DeclaredLocator:
        """A locator saved with ``save`` (:meth:`PlanLocator.save` of the inner one);
        ``areas`` gives the plan's areas if something asks for the leaf rows."""
        self = cls.__new__(cls)
        self.levels = levels
        self._back = {slot: key for key, slot in levels.slots().items()}
        self.inner = PlanLocator.open(path, None if areas is None else
                                      lambda: self._relabelled(areas()))
        return self

    def __getattr__(self, name):
        return getattr(self.inner, name)

    @property
    def leaf_level(self) -> str:
        return self._back.get(self.inner.leaf_level, self.inner.leaf_level)

    def _declared(self, chain: dict) -> dict:
        out = {}
        for key, slot in self.levels.slots().items():
            info = chain.get(slot)
            out[key] = None if info is None else {**info, "level": key}
        return out

    def chain_of(self, position: int, lon: float | None = None, lat: float | None = None) -> dict:
        return self._declared(self.inner.chain_of(position, lon, lat))

    def locate_one(self, lon: float, lat: float, *, snap_m: float | None = None) -> dict:
        hit = self.inner.locate_one(lon, lat, snap_m=snap_m)
        return {**hit, "chain": self._declared(hit["chain"])}

    def locate_many(self, lon, lat, *, snap_m: float | None = None):
        located = self.inner.locate_many(lon, lat, snap_m=snap_m)
        slot = self.inner.leaf_level
        return located.rename(columns={f"{slot}_id": f"{self.leaf_level}_id",
                                       f"{slot}_code": f"{self.leaf_level}_code"})


def plan_locator(areas: gpd.GeoDataFrame, levels: PlanLevels | None = None, *,
                 known_valid: bool = False):
    """The locator of a plan: :class:`PlanLocator` itself for the default five levels.
    ``known_valid``: the areas' validity was checked before (see ``AreaIndex.from_frame``)."""
    if levels is None or levels == DEFAULT_LEVELS:
        return PlanLocator(areas, known_valid=known_valid)
    return DeclaredLocator(areas, levels, known_valid=known_valid)


def open_plan_locator(path, levels: PlanLevels | None = None, areas=None):
    """:func:`plan_locator` saved to ``path`` (its ``save``), opened; ``areas`` is called
    for the plan's areas only if something asks for the leaf rows."""
    if levels is None or levels == DEFAULT_LEVELS:
        return PlanLocator.open(path, areas)
    return DeclaredLocator.open(path, levels, areas)


class LocatingService:
    """:func:`locate_point` over the cached plans (what ``/locate`` and intake call)."""

    def __init__(self, cache: PlanCache, *, snap_m: float):
        self.cache = cache
        self.snap_m = snap_m

    def point(self, lon: float, lat: float, datum: Datum | str, plan_id: int,
              snap_m: float | None = None) -> dict:
        out = locate_point(self.cache.locator(plan_id), lon, lat, datum,
                           snap_m=self.snap_m if snap_m is None else snap_m,
                           buildings=self.cache.buildings)
        return {"plan_id": plan_id, **out}

    def batch(self, points: np.ndarray, datum: Datum | str, plan_id: int,
              snap_m: float | None = None) -> dict:
        """One result per ``[lon, lat]`` row, in order."""
        x, y = to_storage(points[:, 0], points[:, 1], parse_datum(datum))
        snap = self.snap_m if snap_m is None else snap_m
        located = self.cache.locator(plan_id).locate_many(x, y, snap_m=snap)
        leaf = located.columns[0]
        results = [{"area_id": a, "code": c, "grid_id": g, "snapped": bool(s),
                    "distance_m": None if not np.isfinite(d) else round(float(d), 2)}
                   for a, c, g, s, d in zip(located[leaf], located.iloc[:, 1], located["grid_id"],
                                            located["snapped"], located["distance_m"])]
        return {"plan_id": plan_id, "level": leaf.removesuffix("_id"), "count": len(results),
                "located": int(located[leaf].notna().sum()), "results": results}
