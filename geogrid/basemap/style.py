"""The basemap's quiet style: pale land use, soft blue water, white roads with grey casings,
small grey names. The grids drawn over it keep the strong colours.

The same document is served at ``/basemap/style.json`` and embedded in every page that
draws the basemap; ``static/js/basemap.js`` reads it. Widths are pixels at zoom 16 and
scale by √2 per zoom level.
"""

from __future__ import annotations

__all__ = ["STYLE", "ATTRIBUTION", "style_document"]

ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"

STYLE: dict = {
    "background": "#f4f3ef",
    "landuse": {"green": "#dcebd3", "residential": "#ecebe6", "commercial": "#f0e9e4",
                "education": "#efe9d8", "health": "#f2e4e4", "plaza": "#ebe8e2"},
    "water": "#b9d3e8",
    "waterway": {"color": "#b9d3e8", "width": 3},
    "buildings": {"fill": "#e2dfd9", "stroke": "#d3cfc7"},
    "roads": {
        "motorway": {"color": "#fdfbf4", "casing": "#c9c3b5", "width": 7},
        "primary": {"color": "#ffffff", "casing": "#c9c6bf", "width": 6},
        "secondary": {"color": "#ffffff", "casing": "#cfccc5", "width": 5},
        "tertiary": {"color": "#ffffff", "casing": "#d6d3cc", "width": 4},
        "minor": {"color": "#ffffff", "casing": "#dcd9d2", "width": 2.5},
        "service": {"color": "#fbfaf7", "casing": "#e1ded8", "width": 1.5},
        "path": {"color": "#d9d5cc", "casing": None, "width": 0.8, "dash": [2, 2]},
        "rail": {"color": "#b5b1aa", "casing": None, "width": 1, "dash": [4, 3]},
    },
    "labels": {
        "road": {"color": "#5b5955", "halo": "#ffffff", "size": 12},
        "place": {"color": "#6d6a64", "halo": "#ffffff", "size": 12},
        "water": {"color": "#4a78a3", "halo": "#eef5fb", "size": 13},
        "station": {"color": "#3a3a3a", "halo": "#ffffff", "size": 12},
        "font": '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", '
                '"Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif',
    },
}


def style_document(tile_url: str, *, min_zoom: int, max_zoom: int,
                   bounds: tuple[float, float, float, float] | None) -> dict:
    """The style with where its tiles are, their zoom range, bounds and attribution."""
    return {"version": 1, "name": "geogrid 本地矢量底图", "tiles": tile_url,
            "minzoom": min_zoom, "maxzoom": max_zoom,
            "bounds": list(bounds) if bounds else None, "attribution": ATTRIBUTION,
            "datum": "wgs84", "style": STYLE}
