"""The coverage map: who covers where, built with folium on locally served Leaflet.

Layers for each level (街道 / 网格 / 居民区 / 微网格 / 楼组) can be toggled;
microgrids are coloured by their grid, grids carry labels; every feature
has a tooltip with its name and code. The map carries the OpenStreetMap
attribution, and all JavaScript and CSS come from ``static_url`` (the package's
``maps/static``), never from a CDN.
"""

from __future__ import annotations

import html
import json
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from .basemaps import Basemap, get_basemap, shift_geometries
from .i18n import t

__all__ = ["coverage_map", "PALETTE", "OSM_ATTRIBUTION", "offline_map"]

OSM_ATTRIBUTION = ('© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                   "contributors (ODbL)")
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
LEVELS = ["street", "grid", "community", "microgrid", "building_group"]
STYLE = {
    "street": {"weight": 3, "color": "#222", "fillOpacity": 0.0, "dashArray": "6 4"},
    "grid": {"weight": 2.5, "fillOpacity": 0.12},
    "community": {"weight": 1.5, "fillOpacity": 0.0, "dashArray": "4 3"},
    "microgrid": {"weight": 1, "fillOpacity": 0.3},
    "building_group": {"weight": 0.5, "fillOpacity": 0.15},
}


def offline_map(*, static_url: str, center, zoom: int = 15, basemap: Basemap | None = None,
                **kwargs) -> folium.Map:
    """A folium Map whose JS/CSS come from ``static_url`` and whose tiles are ``basemap``."""
    basemap = basemap or get_basemap("osm")
    m = folium.Map(location=center, zoom_start=zoom, tiles=None, control_scale=True,
                   prefer_canvas=False, **kwargs)
    m.default_js = [("leaflet", f"{static_url}/vendor/leaflet/leaflet.js")]
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


def _color_by_grid(areas: gpd.GeoDataFrame) -> dict[str, str]:
    """A colour per area: grids get palette colours, descendants inherit their grid's colour."""
    colors: dict[str, str] = {}
    grids = areas[areas["level"] == "grid"].sort_values("code", na_position="last")
    for i, gid in enumerate(grids["id"]):
        colors[gid] = PALETTE[i % len(PALETTE)]
    parent = dict(zip(areas["id"], areas["parent_id"]))
    for aid in areas["id"]:
        seen, cur = 0, aid
        while cur is not None and cur not in colors and seen < 8:
            cur, seen = parent.get(cur), seen + 1
        colors.setdefault(aid, colors.get(cur, "#555555") if cur else "#555555")
    return colors


def _features(frame: gpd.GeoDataFrame, colors: dict[str, str], fields: list[str],
              choropleth: dict[str, float] | None) -> dict[str, Any]:
    feats = []
    geoms = shapely.set_precision(frame.geometry.values, 1e-6)  # ~0.1 m: keeps the page small
    lo = hi = None
    if choropleth:
        vals = np.array([v for v in choropleth.values() if v is not None], dtype=float)
        if vals.size:
            lo, hi = float(vals.min()), float(vals.max())
    for (_, row), geom in zip(frame.iterrows(), geoms):
        props = {f: _plain(row.get(f)) for f in fields if f in row}
        props["color"] = colors.get(row["id"], "#555555")
        if choropleth and row["id"] in choropleth and lo is not None:
            v = choropleth[row["id"]]
            props["workload"] = v
            props["fill"] = _ramp(0.0 if hi == lo else (v - lo) / (hi - lo))
        feats.append({"type": "Feature", "properties": props,
                      "geometry": shapely.geometry.mapping(geom)})
    return {"type": "FeatureCollection", "features": feats}


def _plain(value):
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else round(float(value), 2)
    if isinstance(value, (str, int, bool)):
        return html.escape(value) if isinstance(value, str) else value
    return html.escape(str(value))


def _ramp(x: float) -> str:
    """White → dark red, for the workload choropleth."""
    x = min(max(x, 0.0), 1.0)
    r, g, b = 255, int(245 - 200 * x), int(240 - 210 * x)
    return f"#{r:02x}{g:02x}{b:02x}"


def coverage_map(
    areas: gpd.GeoDataFrame,
    *,
    static_url: str = "/static",
    lang: str = "zh",
    basemap: str = "osm",
    workload: dict[str, float] | None = None,
    problems: list[dict] | None = None,
    title: str | None = None,
    api_url: str = "",
) -> folium.Map:
    """Build the coverage map of one plan's areas (GeoDataFrame in EPSG:4490)."""
    bm = get_basemap(basemap)
    shown = areas if bm.datum in ("wgs84", "cgcs2000") else shift_geometries(areas, bm.datum)
    minx, miny, maxx, maxy = shown.total_bounds if len(shown) else (121.49, 31.22, 121.52, 31.25)
    m = offline_map(static_url=static_url, center=[(miny + maxy) / 2, (minx + maxx) / 2],
                    zoom=15, basemap=bm)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    colors = _color_by_grid(shown)
    fields = ["id", "name", "code", "level", "kind", "parent_id"]
    for level in LEVELS:
        frame = shown[shown["level"] == level]
        if frame.empty:
            continue
        data = _features(frame, colors, fields, workload if level == "microgrid" else None)
        style = STYLE[level]
        group = folium.FeatureGroup(name=t(f"level.{level}", lang), show=level != "building_group")
        folium.GeoJson(
            data, name=level,
            style_function=_style_fn(style),
            highlight_function=lambda _f: {"weight": 4, "fillOpacity": 0.45},
            tooltip=folium.GeoJsonTooltip(fields=["name", "code"],
                                          aliases=[t("field.name", lang), t("field.code", lang)],
                                          sticky=True),
        ).add_to(group)
        group.add_to(m)
        if level == "grid":
            for _, row in frame.iterrows():
                p = row.geometry.representative_point()
                folium.Marker(
                    [p.y, p.x],
                    icon=folium.DivIcon(html=f'<div class="gg-label">{html.escape(str(row["name"]))}</div>',
                                        icon_size=(120, 20), icon_anchor=(60, 10)),
                ).add_to(group)
    if problems:
        bad = folium.FeatureGroup(name=t("layer.problems", lang), show=True)
        for p in problems:
            loc = p.get("location")
            if not loc:
                continue
            folium.CircleMarker([loc[1], loc[0]], radius=7, color="#d00", fill=True,
                                fill_opacity=0.8,
                                tooltip=html.escape(f"{p.get('kind', '')}: {p.get('message', '')}")
                                ).add_to(bad)
        bad.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    legend = _legend(shown, colors, lang, title)
    m.get_root().html.add_child(folium.Element(legend))
    m.get_root().header.add_child(folium.Element(
        f'<meta name="geogrid-api" content="{html.escape(api_url)}">'
        f'<meta name="geogrid-basemap-datum" content="{bm.datum}">'))
    return m


def _style_fn(style: dict):
    def fn(feature):
        props = feature["properties"]
        out = dict(style)
        out.setdefault("color", props.get("color", "#555"))
        out["fillColor"] = props.get("fill") or props.get("color", "#555")
        if "color" not in style:
            out["color"] = props.get("color", "#555")
        return out
    return fn


def _legend(areas: gpd.GeoDataFrame, colors: dict[str, str], lang: str, title: str | None) -> str:
    grids = areas[areas["level"] == "grid"].sort_values("code", na_position="last")
    rows = "".join(
        f'<div><span class="gg-swatch" style="background:{colors[g["id"]]}"></span>'
        f'{html.escape(str(g["name"]))} <small>{html.escape(str(g["code"] or ""))}</small></div>'
        for _, g in grids.iterrows())
    head = html.escape(title or t("legend.title", lang))
    counts = json.dumps({lvl: int((areas["level"] == lvl).sum()) for lvl in LEVELS})
    return (f'<div id="gg-legend" class="gg-legend" data-counts=\'{counts}\'>'
            f"<b>{head}</b>{rows}"
            f'<div class="gg-attr">{OSM_ATTRIBUTION}</div></div>')
