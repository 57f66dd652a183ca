"""Basemaps and the datum their tiles are drawn in.

OpenStreetMap tiles are WGS84; Amap (高德) tiles are GCJ-02; Tianditu (天地图)
tiles are CGCS2000. Overlays are shifted into the basemap's datum before they
are drawn, so nothing sits hundreds of metres off. For isolated networks set
``GEOGRID_TILE_URL`` to a local tile server (datum ``GEOGRID_TILE_DATUM``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import shapely

from geogrid.errors import InputError
from geogrid.datum import from_storage, parse_datum

__all__ = ["Basemap", "BASEMAPS", "OSM_ATTRIBUTION", "get_basemap", "offline_map",
           "shift_geometries"]

#: every overlay is derived from OpenStreetMap: credited on every map, whatever the tiles
OSM_ATTRIBUTION = ('© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                   "contributors (ODbL)")


@dataclass(frozen=True)
class Basemap:
    name: str
    url: str | None
    attribution: str
    datum: str = "wgs84"
    subdomains: str = "abc"


BASEMAPS = {
    "osm": Basemap("OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                   "OpenStreetMap", "wgs84"),
    "amap": Basemap("高德地图", "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1"
                    "&scale=1&style=8&x={x}&y={y}&z={z}", "© 高德地图 AutoNavi", "gcj02", "1234"),
    "tianditu": Basemap("天地图", "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}"
                        "&tk={key}", "© 天地图 Tianditu", "cgcs2000", "01234567"),
    "none": Basemap("无底图", None, "", "wgs84"),
}


def get_basemap(name: str | None) -> Basemap:
    name = (name or "osm").lower()
    if name == "local" or (name == "osm" and os.environ.get("GEOGRID_TILE_URL")):
        url = os.environ.get("GEOGRID_TILE_URL")
        if url:
            return Basemap("本地底图", url, os.environ.get("GEOGRID_TILE_ATTRIBUTION", "local tiles"),
                           parse_datum(os.environ.get("GEOGRID_TILE_DATUM", "wgs84")).value)
    if name not in BASEMAPS:
        raise InputError(f"basemap {name!r} is not known.", field="basemap", value=name,
                         fix=f"Use one of {', '.join(BASEMAPS)} (or local with GEOGRID_TILE_URL).")
    bm = BASEMAPS[name]
    if name == "tianditu":
        key = os.environ.get("GEOGRID_TIANDITU_KEY", "")
        bm = Basemap(bm.name, bm.url.replace("{key}", key), bm.attribution, bm.datum, bm.subdomains)
    return bm


def shift_geometries(frame: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """Storage-datum geometries moved into ``datum`` for drawing on that datum's tiles."""
    datum = parse_datum(datum)

    def shift(xy: np.ndarray) -> np.ndarray:
        lon, lat = from_storage(xy[:, 0], xy[:, 1], datum)
        return np.column_stack([lon, lat])

    out = frame.copy()
    out["geometry"] = shapely.transform(np.asarray(frame.geometry.values, dtype=object), shift)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs)


def offline_map(*, static_url: str, center, zoom: int = 15, basemap: Basemap | None = None,
                extra_js: tuple[tuple[str, str], ...] = (), **kwargs) -> folium.Map:
    """A folium Map whose JS/CSS come from ``static_url`` and whose tiles are ``basemap``.

    ``extra_js`` adds classic scripts after Leaflet (e.g. the vendored Leaflet.heat).
    The OpenStreetMap attribution is always in the attribution control, with or
    without tiles.
    """
    basemap = basemap or get_basemap("osm")
    m = folium.Map(location=center, zoom_start=zoom, tiles=None, control_scale=True,
                   prefer_canvas=False, **kwargs)
    m.default_js = [("leaflet", f"{static_url}/vendor/leaflet/leaflet.js"),
                    *((name, f"{static_url}/{path}") for name, path in extra_js)]
    m.default_css = [("leaflet_css", f"{static_url}/vendor/leaflet/leaflet.css"),
                     ("geogrid_css", f"{static_url}/geogrid.css")]
    if basemap.url:
        folium.TileLayer(tiles=basemap.url, attr=f"{basemap.attribution} | {OSM_ATTRIBUTION}",
                         name=basemap.name, max_zoom=19, subdomains=basemap.subdomains,
                         control=False).add_to(m)
    else:
        # no basemap: still credit the data the overlays are derived from
        m.add_child(_AttributionOnly(OSM_ATTRIBUTION))
    return m


class _AttributionOnly(folium.MacroElement):
    _template = folium.elements.Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
    """)

    def __init__(self, text: str):
        super().__init__()
        self.text = text
