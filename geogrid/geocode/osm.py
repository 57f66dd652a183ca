"""Shape OSM vector layers (© OpenStreetMap contributors, ODbL 1.0) into gazetteer inputs.

The Lujiazui extract (``data/osm/lujiazui/``) mixes kinds in one layer:
``buildings`` holds footprints, their label points and ``kind == "address"``
entrance points; ``landuse`` holds residential compounds next to parks and
walls. :func:`gazetteer_frames` splits them into the keyword arguments of
:meth:`Gazetteer.from_frames`. It reads no files: pass frames read with
:func:`geopandas.read_file` (or :mod:`geogrid.io`).

>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> b = gpd.GeoDataFrame({"kind": ["address"], "addr_street": ["九江路"],
...     "addr_housenumber": ["89"], "name": [None]}, geometry=[Point(121.49, 31.24)],
...     crs="EPSG:4326")
>>> sorted(gazetteer_frames(buildings=b))
['address_points', 'buildings']
"""

from __future__ import annotations

import geopandas as gpd

__all__ = ["COMPOUND_KINDS", "PLACE_KINDS", "gazetteer_frames"]

#: landuse kinds that are housing compounds (小区)
COMPOUND_KINDS = ("residential",)
#: other named landuse that people use as places (plazas, malls, office parks)
PLACE_KINDS = ("commercial", "retail", "pedestrian", "attraction")

_ADDRESS_COLUMNS = ["name", "addr_street", "addr_housenumber", "geometry"]


def _keep(frame: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    present = [c for c in columns if c in frame.columns]
    return frame[present].copy()


def gazetteer_frames(buildings: gpd.GeoDataFrame | None = None,
                     landuse: gpd.GeoDataFrame | None = None,
                     pois: gpd.GeoDataFrame | None = None,
                     roads: gpd.GeoDataFrame | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Split OSM layers into ``address_points``, ``buildings``, ``compounds``, ``pois``, ``roads``.

    * ``buildings`` rows of kind ``address`` become address points; the rest
      (footprints and their label points) stay buildings.
    * Named ``landuse`` of a kind in :data:`COMPOUND_KINDS` become compounds;
      named landuse of a kind in :data:`PLACE_KINDS` join the POIs.
    * Unnamed POIs and roads are dropped; rails and ferries are not roads.

    CRSs are passed through unchanged (the gazetteer checks them).
    """
    out: dict[str, gpd.GeoDataFrame] = {}
    if buildings is not None:
        is_address = buildings["kind"].eq("address") if "kind" in buildings.columns else False
        out["address_points"] = _keep(buildings[is_address], _ADDRESS_COLUMNS)
        out["buildings"] = _keep(buildings[~is_address], _ADDRESS_COLUMNS)
    extra_places = None
    if landuse is not None:
        named = landuse[landuse["name"].notna()]
        polys = named[named.geom_type.isin(["Polygon", "MultiPolygon", "Point"])]
        out["compounds"] = _keep(polys[polys["kind"].isin(COMPOUND_KINDS)], ["name", "geometry"])
        extra_places = _keep(polys[polys["kind"].isin(PLACE_KINDS)], ["name", "geometry"])
    if pois is not None:
        named = _keep(pois[pois["name"].notna()], ["name", "kind", "geometry"])
        if extra_places is not None and len(extra_places):
            extra_places = extra_places.to_crs(named.crs) if named.crs else extra_places
            named = gpd.GeoDataFrame(
                [*named.to_dict("records"), *extra_places.to_dict("records")],
                geometry="geometry", crs=named.crs)
        out["pois"] = named
    elif extra_places is not None and len(extra_places):
        out["pois"] = extra_places
    if roads is not None:
        named = roads[roads["name"].notna()]
        if "kind" in named.columns:
            named = named[~named["kind"].isin(["rail", "ferry"])]
        out["roads"] = _keep(named, ["name", "kind", "kind_detail", "geometry"])
    return out
