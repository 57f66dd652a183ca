"""Build the gazetteer from what the store holds (addresses, objects, roads, street areas)."""

from __future__ import annotations

import geopandas as gpd

from ..geocode import Gazetteer
from ..store import Store

__all__ = ["gazetteer_from_store", "cached_gazetteer"]


def gazetteer_from_store(store: Store, plan_id: int | None = None) -> Gazetteer:
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
              "roads": _frame(roads), "areas": areas}
    return Gazetteer.from_frames(**{k: v for k, v in frames.items() if v is not None})


def _frame(frame: gpd.GeoDataFrame):
    return frame.reset_index(drop=True) if len(frame) else None


def cached_gazetteer(cache) -> Gazetteer:
    """The gazetteer of the store behind ``cache`` (a PlanCache), built once per process."""
    def build() -> Gazetteer:
        try:
            plan_id = cache.active_plan_id()
        except Exception:  # no active plan yet: the gazetteer has no street areas
            plan_id = None
        return gazetteer_from_store(cache.store, plan_id)

    return cache.shared("gazetteer", build)
