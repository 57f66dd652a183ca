"""Basemaps and the datum their tiles are drawn in.

OpenStreetMap tiles are WGS84; Amap (高德) tiles are GCJ-02; Tianditu (天地图)
tiles are CGCS2000. Overlays are shifted into the basemap's datum before they
are drawn, so nothing sits hundreds of metres off.

The default, ``geogrid``, is the offline basemap geogrid serves itself
(``/basemap/{z}/{x}/{y}.pbf``, :mod:`geogrid.basemap`): vector tiles cut from
the OpenStreetMap data on the machine, in WGS84 (= CGCS2000), drawn in the
browser by ``static/js/basemap.js`` over the vendored Leaflet.VectorGrid
decoder, so it needs no internet and overlays on it are never shifted.
``GEOGRID_BASEMAP`` picks another default (``osm``, ``amap``, ``tianditu``,
``local``, ``none``); ``GEOGRID_TILE_URL`` points ``local`` at a tile server
(datum ``GEOGRID_TILE_DATUM``).
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

__all__ = ["Basemap", "BASEMAPS", "OSM_ATTRIBUTION", "default_basemap", "get_basemap",
           "offline_map",
           "PageFigure",
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
    #: ``raster``: an XYZ image tile URL; ``vector``: geogrid's own basemap style at ``url``
    kind: str = "raster"


BASEMAPS = {
    "geogrid": Basemap("本地矢量底图", "/basemap/{z}/{x}/{y}.pbf", OSM_ATTRIBUTION, "wgs84",
                       kind="vector"),
    "osm": Basemap("OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                   "OpenStreetMap", "wgs84"),
    "amap": Basemap("高德地图", "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1"
                    "&scale=1&style=8&x={x}&y={y}&z={z}", "© 高德地图 AutoNavi", "gcj02", "1234"),
    "tianditu": Basemap("天地图", "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}"
                        "&tk={key}", "© 天地图 Tianditu", "cgcs2000", "01234567"),
    "none": Basemap("无底图", None, "", "wgs84"),
}


def default_basemap() -> str:
    """The basemap pages use when none is asked for: ``GEOGRID_BASEMAP``, else ``geogrid``."""
    return os.environ.get("GEOGRID_BASEMAP", "").strip().lower() or "geogrid"


def get_basemap(name: str | None) -> Basemap:
    name = (name or default_basemap()).lower()
    if name == "local" or (name == "osm" and os.environ.get("GEOGRID_TILE_URL")):
        url = os.environ.get("GEOGRID_TILE_URL")
        if url:
            return Basemap("本地底图", url, os.environ.get("GEOGRID_TILE_ATTRIBUTION", "local tiles"),
                           parse_datum(os.environ.get("GEOGRID_TILE_DATUM", "wgs84")).value)
    if name not in BASEMAPS:
        names = ", ".join(BASEMAPS)
        raise InputError(f"未知的底图 {name!r}。basemap {name!r} is not known.", field="basemap",
                         value=name, fix=f"底图取以下之一: {names} (设置 GEOGRID_TILE_URL 后还可用 "
                                         f"local)。Use one of {names} (or local with "
                                         "GEOGRID_TILE_URL).")
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


class PageFigure(folium.Figure):
    """folium's page with ``<html lang>`` set, so dates, fonts and screen readers follow it."""

    def __init__(self, lang: str = "zh"):
        super().__init__()
        self.lang = "zh-CN" if lang == "zh" else "en"

    def render(self, **kwargs) -> str:
        return super().render(**kwargs).replace("<html>", f'<html lang="{self.lang}">', 1)


def offline_map(*, static_url: str, center, zoom: int = 15, basemap: Basemap | None = None,
                extra_js: tuple[tuple[str, str], ...] = (), lang: str = "zh",
                **kwargs) -> folium.Map:
    """A folium Map whose JS/CSS come from ``static_url`` and whose tiles are ``basemap``.

    ``extra_js`` adds classic scripts after Leaflet (e.g. the vendored Leaflet.heat).
    The OpenStreetMap attribution is always in the attribution control, with or
    without tiles. The page is in ``lang`` (``<html lang>``), with a metric scale bar.
    """
    basemap = basemap or get_basemap(None)
    m = folium.Map(location=center, zoom_start=zoom, tiles=None, control_scale=False,
                   prefer_canvas=False, **kwargs)
    PageFigure(lang).add_child(m)
    m.add_child(_MapChrome(lang))
    m.get_root().html.add_child(folium.Element(
        f'<script type="module" src="{static_url}/js/mobile.js"></script>'
        f'<script type="module" src="{static_url}/js/print.js"></script>'))
    m.default_js = [("leaflet", f"{static_url}/vendor/leaflet/leaflet.js"),
                    *((name, f"{static_url}/{path}") for name, path in extra_js)]
    m.default_css = [("leaflet_css", f"{static_url}/vendor/leaflet/leaflet.css"),
                     ("geogrid_css", f"{static_url}/geogrid.css")]
    if basemap.kind == "vector":
        _add_vector_basemap(m, static_url, basemap)
    elif basemap.url:
        folium.TileLayer(tiles=basemap.url, attr=f"{basemap.attribution} | {OSM_ATTRIBUTION}",
                         name=basemap.name, max_zoom=19, subdomains=basemap.subdomains,
                         control=False).add_to(m)
    else:
        # no basemap: still credit the data the overlays are derived from
        m.add_child(_AttributionOnly(OSM_ATTRIBUTION))
    return m


def _add_vector_basemap(m: folium.Map, static_url: str, basemap: Basemap) -> None:
    """geogrid's own basemap: the style in the page, the decoder and the drawing module."""
    from geogrid.basemap import MAX_ZOOM, MIN_ZOOM, style_document

    from ._page import Register, json_for_script

    vectorgrid = f"{static_url}/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"
    if all(src != vectorgrid for _, src in m.default_js):
        m.default_js.append(("leaflet_vectorgrid", vectorgrid))
    doc = style_document(basemap.url, min_zoom=MIN_ZOOM, max_zoom=MAX_ZOOM, bounds=None)
    doc["attribution"] = OSM_ATTRIBUTION
    root = m.get_root()
    root.header.add_child(folium.Element(
        f'<script type="application/json" id="gg-basemap">{json_for_script(doc)}</script>'))
    root.html.add_child(folium.Element(
        f'<script type="module" src="{static_url}/js/basemap.js"></script>'))
    m.add_child(Register())


class _MapChrome(folium.MacroElement):
    """A metric scale bar, the attribution prefix without Leaflet's English tooltip, and
    Leaflet's control titles (zoom, layers) in the page's language."""

    _template = folium.elements.Template("""
        {% macro script(this, kwargs) %}
        (function (map, titles) {
            L.control.scale({metric: true, imperial: false}).addTo(map);
            map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
            var name = function (el, text) {
                if (el) { el.title = text; el.setAttribute("aria-label", text); }
            };
            if (map.zoomControl) {
                name(map.zoomControl._zoomInButton, titles.zoom_in);
                name(map.zoomControl._zoomOutButton, titles.zoom_out);
            }
            var proto = L.Control.Layers.prototype;
            if (!proto._ggTitled) {
                var init = proto._initLayout;
                proto._initLayout = function () {
                    init.call(this);
                    name(this._layersLink, titles.layers);
                };
                proto._ggTitled = true;
            }
        })({{ this._parent.get_name() }}, {{ this.titles|tojson }});
        {% endmacro %}
    """)

    def __init__(self, lang: str = "zh"):
        super().__init__()
        from .i18n import t

        self.titles = {k: t(f"map.{k}", lang) for k in ("zoom_in", "zoom_out", "layers")}


class _AttributionOnly(folium.MacroElement):
    _template = folium.elements.Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
    """)

    def __init__(self, text: str):
        super().__init__()
        self.text = text
