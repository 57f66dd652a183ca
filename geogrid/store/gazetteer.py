"""Build the gazetteer from what the store holds (addresses, objects, roads, street areas).

The address database (:class:`~geogrid.store.addresses.AddressBook`, active
rows only) is the ``addresses`` frame. ``review_below`` is the confidence
under which answers are flagged for a person (setting
``GEOGRID_GEOCODE_REVIEW_BELOW``).
"""

from __future__ import annotations

import geopandas as gpd

from .._errors import InputError
from ..geocode import Gazetteer
from .repo import Store

__all__ = ["gazetteer_from_store"]


def gazetteer_from_store(store: Store, plan_id: int | None = None, *,
                         review_below: float = 0.6) -> Gazetteer:
    from .addresses import AddressBook

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
                         "geocode with.", field="store", fix="Run `geogrid demo`, or "
                         "`geogrid import FILE --as addresses --commit` (or --as roads).")
    return Gazetteer.from_frames(**frames, review_below=review_below)


def _frame(frame: gpd.GeoDataFrame):
    return frame.reset_index(drop=True) if len(frame) else None
