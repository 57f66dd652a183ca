"""Build the gazetteer from what the store holds (address database, address points, objects,
roads, street areas), and keep one per worker that follows the address database.

The address database (:class:`~geogrid.store.addresses.AddressBook`, active rows only) is the
``addresses`` frame. ``review_below`` is the confidence under which answers are flagged for a
person (setting ``GEOGRID_GEOCODE_REVIEW_BELOW``).
"""

from __future__ import annotations

import geopandas as gpd

from .._errors import InputError, NotFoundError
from ..geocode import Gazetteer
from ..store import Store
from ..store.addresses import AddressBook

__all__ = ["gazetteer_from_store", "cached_gazetteer"]


def gazetteer_from_store(store: Store, plan_id: int | None = None, *,
                         review_below: float = 0.6) -> Gazetteer:
    book = AddressBook(store).frame()
    addresses = store.addresses()
    objects = store.objects()
    named = objects[objects["name"].notna()]
    buildings = named[named["type"] == "building"][["name", "geometry"]]
    compounds = named[named["type"] == "compound"][["name", "geometry"]]
    pois = named[named["type"].isin(["shop", "institution", "plaza"])][["name", "geometry"]]
    roads = store.roads()
    roads = roads[roads["name"].notna()][["name", "kind", "kind_detail", "geometry"]]
    areas = None
    if plan_id is not None:
        streets = store.areas(plan_id, level="street")
        if len(streets):
            areas = streets[["name", "geometry"]]
    frames = {"address_points": addresses[["addr_street", "addr_housenumber", "name", "geometry"]]
              if len(addresses) else None,
              "buildings": _frame(buildings), "compounds": _frame(compounds), "pois": _frame(pois),
              "roads": _frame(roads), "areas": areas,
              "addresses": book[["address", "name", "geometry"]] if len(book) else None}
    frames = {k: v for k, v in frames.items() if v is not None}
    if not frames:
        raise InputError("地址库为空 / the store holds no addresses, roads or named places to "
                         "geocode with.", field="store", fix="运行 `geogrid demo`，或导入地址库 / run `geogrid demo`, or "
                         "`geogrid import FILE --as addresses --commit` (or --as roads).")
    # confidence calibrated on the address database itself when it is large enough
    return Gazetteer.from_frames(**frames, review_below=review_below, calibration="database")


def _frame(frame: gpd.GeoDataFrame):
    return frame.reset_index(drop=True) if len(frame) else None


def cached_gazetteer(cache, review_below: float = 0.6) -> Gazetteer:
    """The gazetteer of the store behind ``cache`` (a PlanCache), built once per process and
    rebuilt on this worker when the address database's revision changes."""
    try:
        plan_id = cache.active_plan_id()
    except NotFoundError:  # no active plan yet: the gazetteer has no street areas
        plan_id = None
    revision = AddressBook(cache.store).revision()

    def build():
        return revision, gazetteer_from_store(cache.store, plan_id, review_below=review_below)

    entry = cache.gazetteer.get(build)
    if entry[0] != revision:
        cache.invalidate(objects=True)
        entry = cache.gazetteer.get(build)
    return entry[1]
