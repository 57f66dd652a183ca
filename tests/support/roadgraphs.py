"""The road graphs the project ships, read afresh for routing tests.

The Huangpu drive network (OSMnx export; its largest component) and the demo
Lujiazui roads (not reduced: several components, so some pairs have no path),
both © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from geogrid.routing import graph_from_lines, largest_component, read_osm_xml

__all__ = ["HUANGPU", "DEMO_ROADS", "shipped_graph"]

ROOT = Path(__file__).resolve().parents[2]
HUANGPU = ROOT / "data" / "osm" / "huangpu-drive" / "huangpu_drive_osmnx.osm"
DEMO_ROADS = ROOT / "data" / "boundaries" / "lujiazui_roads.geojson"


def shipped_graph(name: str, weight: str = "length"):
    """``"huangpu"`` or ``"lujiazui"``, built from its file with no derived structures."""
    if name == "huangpu":
        return largest_component(read_osm_xml(HUANGPU, weight=weight))
    if name == "lujiazui":
        return graph_from_lines(gpd.read_file(DEMO_ROADS).to_crs("EPSG:4490"), weight=weight)
    raise ValueError(name)
