"""The coverage map: who covers where, built with folium on locally served Leaflet.

One toggleable layer per level the plan declares (:mod:`maps.levels`), in its
order and with its names: 街道 / 网格 / 居民区 / 微网格 / 楼组 by default, 街道 /
社区 / 网格 in a Hangzhou-style plan. The leaf level (微网格) is coloured by
the areas of the first level below the street (网格), or by workload
(households of the objects assigned to them) when a workload is given; those
areas carry labels with their name and code; validation problems, when given, are marked and the
areas they name are outlined in red. The legend lists the grids, the
workload ramp (flagged when it rests on estimates) and the OpenStreetMap
attribution, which the attribution control shows as well.

The page's module (``static/js/coverage.js``) adds tooltips, microgrid codes
at close zoom and a search box (name and code over the loaded features; and
addresses through ``/geocode`` for signed-in staff). All JavaScript and CSS
come from ``static_url`` (the package's ``maps/static``), never from a CDN.

Plans too large to inline (more than :data:`INLINE_MAX_AREAS` areas, or an
estimated :data:`INLINE_MAX_BYTES` of GeoJSON; city scale) are drawn from
vector tiles instead (``tiles=True`` forces it): ``static/js/tiles.js``
loads ``tile_url`` through the vendored Leaflet.VectorGrid, one toggleable
layer per level over one request per tile. Only the upper levels (street,
grid, community: a few thousand at most) travel with the page, for the
grid colours, the labels, the legend and the search; microgrids and
building groups come from the tiles and take their grid's colour there.

Example
-------
>>> import geopandas as gpd, shapely
>>> areas = gpd.GeoDataFrame({"id": ["g1"], "level": ["grid"], "name": ["崂山住区"],
...     "code": ["310115005003"], "kind": ["residential"], "parent_id": [None]},
...     geometry=[shapely.box(121.50, 31.23, 121.51, 31.24)], crs=4490)
>>> "崂山住区" in coverage_map(areas).get_root().render()
True
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from ._page import Register, add_config, add_modules
from .basemaps import OSM_ATTRIBUTION, get_basemap, offline_map, shift_geometries
from .check import findings_layer, findings_panel, prepare_findings
from .i18n import bundle, t
from .levels import ROLE_STYLE, MapLevel, map_levels, role_key

__all__ = ["coverage_map", "PALETTE", "OSM_ATTRIBUTION", "offline_map", "LEVELS",
           "grid_colors", "ramp", "use_tiles", "geojson_size_estimate", "INLINE_MAX_AREAS",
           "INLINE_MAX_BYTES"]

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
#: the default five levels (a plan's declared levels and their styles: :mod:`maps.levels`)
LEVELS = ["street", "grid", "community", "microgrid", "building_group"]
PROBLEM_STYLE = {"color": "#d00", "weight": 3, "dashArray": "5 3"}
FIELDS = ["id", "name", "code", "level", "kind", "parent_id"]
#: above either limit the coverage map loads vector tiles instead of inlining GeoJSON
INLINE_MAX_AREAS = 3000
INLINE_MAX_BYTES = 2 * 1024 * 1024
#: grid labels are drawn on a tiled map only up to this many grids
MAX_TILED_LABELS = 500
#: grids listed in the legend (a city has thousands; the map shows the rest)
MAX_LEGEND_GRIDS = 60
VECTORGRID_JS = "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"


#: the first zoom at which each role's tiles are asked for
ROLE_MIN_ZOOM = {"street": 0, "colour": 10, "middle": 11, "leaf": 13, "group": 15}


def grid_colors(areas: gpd.GeoDataFrame, level: str = "grid") -> dict[str, str]:
    """A colour per area: the areas of ``level`` (the grids; a Hangzhou plan's 社区) get
    palette colours in code order, their descendants inherit theirs."""
    colors: dict[str, str] = {}
    grids = areas[areas["level"] == level].sort_values("code", na_position="last")
    for i, gid in enumerate(grids["id"]):
        colors[gid] = PALETTE[i % len(PALETTE)]
    parent = dict(zip(areas["id"], areas["parent_id"]))
    for aid in areas["id"]:
        seen, cur = 0, aid
        while cur is not None and cur not in colors and seen < 8:
            cur, seen = parent.get(cur), seen + 1
        colors.setdefault(aid, colors.get(cur, "#555555") if cur else "#555555")
    return colors


def ramp(x: float) -> str:
    """White → dark red for x in [0, 1] (the workload choropleth)."""
    x = min(max(float(x), 0.0), 1.0)
    r, g, b = 255 - int(90 * x), int(245 - 215 * x), int(240 - 210 * x)
    return f"#{r:02x}{g:02x}{b:02x}"


def geojson_size_estimate(areas: gpd.GeoDataFrame) -> int:
    """Bytes the inline GeoJSON of ``areas`` would take, roughly.

    A vertex rounded to 1e-6° is about 23 characters (``[121.512345,31.234567],``);
    a feature's properties, label point and framing about 260.
    """
    coords = int(shapely.get_num_coordinates(areas.geometry.values).sum()) if len(areas) else 0
    return 23 * coords + 260 * len(areas)


def use_tiles(areas: gpd.GeoDataFrame) -> bool:
    """Whether the coverage map of ``areas`` should load vector tiles instead of inline GeoJSON."""
    return len(areas) > INLINE_MAX_AREAS or geojson_size_estimate(areas) > INLINE_MAX_BYTES


def _plain(value):
    if value is None:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else round(float(value), 2)
    if isinstance(value, (str, int, bool)):
        return value
    return str(value)


def _features(frame: gpd.GeoDataFrame, colors: Mapping[str, str],
              workload: Mapping[str, float] | None, flagged: set[str]) -> dict[str, Any]:
    """GeoJSON of ``frame``, rounded to 1e-6° (~0.1 m) to keep the page small.

    Properties are raw strings: the page's module renders them with ``textContent``.
    """
    geoms = shapely.set_precision(frame.geometry.values, 1e-6)
    lo = hi = None
    if workload:
        vals = np.array([v for v in workload.values() if v is not None], dtype=float)
        if vals.size:
            lo, hi = float(vals.min()), float(vals.max())
    # from the unrounded shapes: rounding may empty a sliver, which still needs a spot
    labels = shapely.point_on_surface(frame.geometry.values)
    derived = {i for i, a in zip(frame["id"], frame["attrs"] if "attrs" in frame else ())
               if isinstance(a, dict) and a.get("derived")}
    feats = []
    for rec, geom, label in zip(frame[[f for f in FIELDS if f in frame]].to_dict("records"), geoms,
                                labels):
        props = {f: _plain(v) for f, v in rec.items()}
        props["color"] = colors.get(rec["id"], "#555555")
        props["label"] = [round(label.x, 6), round(label.y, 6)]  # inside the area, for its code
        if workload is not None and lo is not None:
            v = workload.get(rec["id"], 0.0)
            props["workload"] = round(float(v), 1)
            props["fill"] = ramp(0.0 if hi == lo else (v - lo) / (hi - lo))
        if rec["id"] in flagged:
            props["problem"] = True
        if rec["id"] in derived:
            props["derived"] = True
        feats.append({"type": "Feature", "id": rec["id"], "properties": props,
                      "geometry": shapely.geometry.mapping(geom)})
    return {"type": "FeatureCollection", "features": feats}


def _style_fn(style: dict):
    def fn(feature):
        props = feature["properties"]
        out = dict(style)
        out.setdefault("color", props.get("color", "#555"))
        out["fillColor"] = props.get("fill") or props.get("color", "#555")
        if props.get("fill"):
            out["fillOpacity"] = 0.75
        if props.get("problem"):
            out.update(PROBLEM_STYLE)
        return out
    return fn


def _findings(problems, names, lang: str) -> list[dict] | None:
    """Validation findings with their sentences; None when no check was asked for."""
    if problems is None or (isinstance(problems, list) and problems and "text" in problems[0]):
        return problems
    return prepare_findings(problems, names, lang)


def _add_findings(m: folium.Map, issues: list[dict], lang: str, datum: str,
                  static_url: str) -> None:
    bad = findings_layer(issues, lang, datum)
    bad.add_to(m)
    m.add_child(Register(bad, "problems"))
    m.get_root().html.add_child(folium.Element(findings_panel(issues, lang, datum)))
    add_modules(m, static_url, "check.js")


def _add_levels(m: folium.Map, shown: gpd.GeoDataFrame, colors: dict[str, str],
                workload: Mapping[str, float] | None, flagged: set[str], lang: str,
                levels: list[MapLevel]) -> None:
    """One layer per declared level present, in declared order, named as declared (the
    colour level with its labels); ``workload`` colours the leaf level."""
    for lv in levels:
        frame = shown[shown["level"] == lv.key]
        if frame.empty:
            continue
        data = _features(frame, colors, workload if lv.role == "leaf" else None, flagged)
        group = folium.FeatureGroup(name=lv.name(lang), show=lv.role != "group")
        layer = folium.GeoJson(data, name=lv.key, style_function=_style_fn(ROLE_STYLE[lv.role]),
                               highlight_function=lambda _f: {"weight": 4, "fillOpacity": 0.45})
        layer.add_to(group)
        group.add_to(m)
        m.add_child(Register(layer, lv.key))
        if lv.role == "colour":
            _grid_labels(frame).add_to(group)


def _colour_key(levels: list[MapLevel]) -> str:
    return role_key(levels, "colour") or role_key(levels, "leaf") or "grid"


def _config(lang: str, datum: str, levels: list[MapLevel], **extra) -> dict:
    """The page's configuration: strings, the declared levels (names as declared)."""
    return {"page": "coverage", "lang": lang, "datum": datum,
            "strings": bundle(lang, "level.", "field.", "search.", "embed.", "layer."),
            "levels": [lv.to_dict(lang) for lv in levels],
            "geocode": "/geocode", "embed": "/embed/coverage",
            "embedTitle": t("title.embed", lang), **extra}


def coverage_map(
    areas: gpd.GeoDataFrame,
    *,
    static_url: str = "/static",
    lang: str = "zh",
    basemap: str | None = None,
    workload: Mapping[str, float] | None = None,
    estimated: bool = False,
    problems: Iterable[Any] | None = None,
    names: Mapping[str, str] | None = None,
    title: str | None = None,
    links: Iterable[tuple[str, str]] = (),
    embed_snippet: bool = False,
    tiles: bool | None = None,
    tile_url: str = "/tiles/active/{z}/{x}/{y}.mvt",
    extent: Mapping[str, Any] | None = None,
    levels=None,
) -> folium.Map:
    """Build the coverage map of one plan's areas (GeoDataFrame in EPSG:4490).

    ``workload`` (microgrid id → households) colours the microgrids as a
    choropleth; ``estimated`` says some of it is estimated (shown in the
    legend). ``problems`` (validation findings; ``None``: no check asked) are
    marked where they are, outline the areas they name and are listed in a
    panel that names the areas (``names``: id → display name) and says so
    plainly when there are none (:mod:`maps.check`). ``links`` are (label,
    href) pairs shown in the legend (the page passes the language switch and the choropleth toggle); ``embed_snippet``
    adds the copy-paste ``<iframe>`` box for the public embed.

    ``tiles`` draws the areas from the vector tiles at ``tile_url`` (a
    ``{z}/{x}/{y}`` template of ``GET /tiles``) instead of inlining them;
    ``None`` decides by size (:func:`use_tiles`).

    ``extent`` (a GeoJSON FeatureCollection of lines) marks edges where the map data were
    cut: drawn dashed and labelled 数据范围边界 (data extent boundary), never as the street's.

    ``levels`` is the plan's declaration (:class:`geogrid.model.PlanLevels` or its stored
    list; ``None``: the default five): the layer list, legend, tooltips and search follow it.
    """
    bm = get_basemap(basemap)
    mls = map_levels(levels)
    if tiles is None:
        tiles = use_tiles(areas)
    if tiles:
        m = _tiled_map(areas, bm, mls, static_url=static_url, lang=lang, tile_url=tile_url,
                          workload=workload, estimated=estimated,
                          problems=_findings(problems, names, lang), title=title, links=links,
                          embed_snippet=embed_snippet)
        return _add_extent(m, extent, lang, bm.datum)
    shown = areas if bm.datum in ("wgs84", "cgcs2000") else shift_geometries(areas, bm.datum)
    minx, miny, maxx, maxy = shown.total_bounds if len(shown) else (121.49, 31.22, 121.52, 31.25)
    m = offline_map(static_url=static_url, center=[(miny + maxy) / 2, (minx + maxx) / 2],
                    zoom=15, basemap=bm, lang=lang)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    colors = grid_colors(shown, _colour_key(mls))
    issues = _findings(problems, names, lang)
    flagged = {str(i) for p in issues or () for i in p.get("ids", ())}
    has_workload = bool(workload) and bool((shown["level"] == role_key(mls, "leaf")).any())
    _add_levels(m, shown, colors, workload if has_workload else None, flagged, lang, mls)
    if issues is not None:
        _add_findings(m, issues, lang, bm.datum, static_url)
    _add_extent(m, extent, lang, bm.datum)  # before the layer control, which lists it
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(Register())
    root = m.get_root()
    root.html.add_child(folium.Element(_legend(
        shown, colors, lang, title, workload if has_workload else None, estimated,
        len(issues or ()), links, embed_snippet, mls)))
    add_config(m, _config(lang, bm.datum, mls))
    add_modules(m, static_url, "coverage.js")
    return m


#: how edges of the data extent are drawn: orange dashes, unlike any area boundary
EXTENT_STYLE = {"color": "#e67e00", "weight": 3, "dashArray": "2 6", "opacity": 0.9}


def _add_extent(m: folium.Map, extent: Mapping[str, Any] | None, lang: str,
                datum: str) -> folium.Map:
    """Draw the data-extent lines as their own labelled layer (nothing when there are none)."""
    if not extent or not extent.get("features"):
        return m
    lines = gpd.GeoDataFrame.from_features(extent["features"], crs=4490)
    if datum not in ("wgs84", "cgcs2000"):
        lines = shift_geometries(lines, datum)
    label = t("layer.data_extent", lang)
    note = t("layer.data_extent_note", lang)
    group = folium.FeatureGroup(name=label, show=True)
    for geom in lines.geometry.values:
        folium.PolyLine([(y, x) for x, y in shapely.get_coordinates(geom)],
                        tooltip=folium.Tooltip(f"{html.escape(label)}: {html.escape(note)}",
                                               permanent=True, direction="center",
                                               class_name="gg-extent-label"),
                        class_name="gg-data-extent", **EXTENT_STYLE).add_to(group)
    group.add_to(m)
    return m


def _tiled_map(areas: gpd.GeoDataFrame, bm, mls: list[MapLevel], *, static_url: str, lang: str, tile_url: str,
               workload: Mapping[str, float] | None, estimated: bool,
               problems: Iterable[Any] | None, title: str | None,
               links: Iterable[tuple[str, str]], embed_snippet: bool) -> folium.Map:
    """The coverage map drawn from vector tiles; only the upper levels travel with the page."""
    from geogrid.datum import from_storage
    from geogrid.store.tiles import LEVEL_MIN_ZOOM

    native = bm.datum in ("wgs84", "cgcs2000")
    page_levels = [lv.key for lv in mls if lv.role in ("street", "colour", "middle")]
    upper = areas[areas["level"].isin(page_levels)]
    shown = upper if native else shift_geometries(upper, bm.datum)
    minx, miny, maxx, maxy = areas.total_bounds if len(areas) else (121.49, 31.22, 121.52, 31.25)
    xs, ys = from_storage(np.array([minx, maxx]), np.array([miny, maxy]), bm.datum)
    minx, maxx, miny, maxy = float(xs[0]), float(xs[1]), float(ys[0]), float(ys[1])
    m = offline_map(static_url=static_url, center=[(miny + maxy) / 2, (minx + maxx) / 2],
                    zoom=15, basemap=bm, extra_js=(("leaflet_vectorgrid", VECTORGRID_JS),),
                    lang=lang)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    colors = grid_colors(shown, _colour_key(mls))
    issues = problems
    flagged = sorted({str(i) for p in issues or () for i in p.get("ids", ())})
    grids = shown[shown["level"] == _colour_key(mls)]
    if 0 < len(grids) <= MAX_TILED_LABELS:
        labels = _grid_labels(grids)
        labels.add_to(m)
        m.add_child(Register(labels, "grid_labels"))
    if issues is not None:
        _add_findings(m, issues, lang, bm.datum, static_url)
    m.add_child(Register())
    present = set(areas["level"])
    mg_ids = set(areas.loc[areas["level"] == role_key(mls, "leaf"), "id"])
    load = {k: round(float(v), 1) for k, v in (workload or {}).items()
            if k in mg_ids and v is not None and np.isfinite(v)}
    url = tile_url if native else f"{tile_url}{'&' if '?' in tile_url else '?'}datum={bm.datum}"
    geoms = shapely.set_precision(shown.geometry.values, 1e-6)
    index = [[rec["id"], rec["level"], _plain(rec["name"]), _plain(rec["code"]),
              [round(float(v), 6) for v in shapely.bounds(g)]]
             for rec, g in zip(shown[["id", "level", "name", "code"]].to_dict("records"), geoms)]
    root = m.get_root()
    root.html.add_child(folium.Element(_legend(
        areas, colors, lang, title, load or None, estimated, len(issues or ()), links,
        embed_snippet, mls)))
    add_config(m, _config(lang, bm.datum, mls, tiles={
            "url": url,
            "levels": [{"level": lv.key, "role": lv.role, "show": lv.role != "group",
                        "minZoom": max(ROLE_MIN_ZOOM[lv.role], LEVEL_MIN_ZOOM.get(lv.key, 0)),
                        "style": ROLE_STYLE[lv.role]} for lv in mls if lv.key in present],
            "colors": colors, "areas": index, "flagged": flagged, "problemStyle": PROBLEM_STYLE,
            "workload": load or None,
            "range": [min(load.values()), max(load.values())] if load else None,
        }))
    add_modules(m, static_url, "coverage.js")
    return m


def _grid_labels(frame: gpd.GeoDataFrame) -> folium.FeatureGroup:
    labels = folium.FeatureGroup(name="labels", control=False)
    for rec, geom in zip(frame[["name", "code"]].to_dict("records"), frame.geometry.values):
        p = geom.representative_point()
        code = html.escape(str(rec["code"] or ""))
        folium.Marker(
            [p.y, p.x],
            icon=folium.DivIcon(
                html=(f'<div class="gg-label">{html.escape(str(rec["name"]))}'
                      f'<small class="gg-label-code">{code}</small></div>'),
                icon_size=(140, 34), icon_anchor=(70, 17)),
        ).add_to(labels)
    return labels


def _legend(areas: gpd.GeoDataFrame, colors: Mapping[str, str], lang: str, title: str | None,
            workload: Mapping[str, float] | None, estimated: bool, n_problems: int,
            links: Iterable[tuple[str, str]], embed_snippet: bool,
            levels: list[MapLevel]) -> str:
    esc = html.escape
    grids = areas[areas["level"] == _colour_key(levels)].sort_values("code", na_position="last")
    rows = "".join(
        f'<div class="gg-legend-row"><span class="gg-swatch" style="background:{colors[g["id"]]}">'
        f'</span>{esc(str(g["name"]))} <small>{esc(str(g["code"] or ""))}</small></div>'
        for g in grids.head(MAX_LEGEND_GRIDS)[["id", "name", "code"]].to_dict("records"))
    if len(grids) > MAX_LEGEND_GRIDS:
        rows += f'<div class="gg-legend-row gg-muted">… +{len(grids) - MAX_LEGEND_GRIDS}</div>'
    parts = [f"<summary><b>{esc(title or t('legend.title', lang))}</b></summary>", rows]
    if workload:
        vals = [float(v) for v in workload.values()]
        lo, hi = min(vals), max(vals)
        stops = "".join(f'<span class="gg-ramp-stop" style="background:{ramp(i / 4)}"></span>'
                        for i in range(5))
        parts.append(f'<div class="gg-ramp" id="gg-workload-legend">'
                     f"<div>{esc(t('legend.workload', lang))}</div>{stops}"
                     f'<div class="gg-ramp-labels"><span>{lo:.0f}</span>'
                     f"<span>{hi:.0f}</span></div>")
        if estimated:
            parts.append(f'<div class="gg-estimated">* {esc(t("legend.estimated", lang))}</div>')
        parts.append("</div>")
    if n_problems:
        parts.append('<div class="gg-legend-row gg-problems">'
                     '<span class="gg-swatch gg-swatch-problem"></span>'
                     f"{esc(t('legend.problems', lang, n=n_problems))}</div>")
    counts = json.dumps({lv.key: int((areas["level"] == lv.key).sum()) for lv in levels})
    parts.append('<div class="gg-legend-levels">' + " · ".join(
        f'<span data-level="{esc(lv.key)}">{esc(lv.name(lang))}</span>' for lv in levels)
        + "</div>")
    link_html = " · ".join(f'<a href="{esc(href)}" class="gg-link">{esc(label)}</a>'
                           for label, href in links)
    if link_html:
        parts.append(f'<div class="gg-links">{link_html}</div>')
    if embed_snippet:
        parts.append(
            f'<details class="gg-embed"><summary>{esc(t("embed.summary", lang))}</summary>'
            f'<p>{esc(t("embed.help", lang))}</p>'
            f'<textarea id="gg-embed-snippet" readonly rows="4"></textarea>'
            f'<p><small>{esc(t("embed.note", lang))}</small> '
            f'<a href="/embed/snippet{"?lang=en" if lang == "en" else ""}">'
            f'{esc(t("embed.more", lang))}</a></p></details>')
    parts.append(f'<div class="gg-attr">{OSM_ATTRIBUTION}</div>')
    return (f'<details open id="gg-legend" class="gg-legend" data-counts=\'{counts}\'>'
            + "".join(parts) + "</details>")
