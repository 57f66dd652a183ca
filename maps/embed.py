"""The public embed (社区网格公示) for an ``<iframe>`` on a community website, and its snippet.

The embed reads only the public endpoints (``/public/areas``,
``/public/stats``): coverage, each area's public contact point (team role,
office phone, hours) and incident counts per area with small counts
suppressed. It never sees an incident's position, text or reporter. The view
(centre, zoom, visible layers) lives in the URL hash, so a link or an iframe
``src`` can open it where it was left.
"""

from __future__ import annotations

import html

import folium

from ._page import add_config, add_modules, lang_switch, link_basemap, start_page
from .basemaps import OSM_ATTRIBUTION
from .i18n import bundle, t
from .levels import map_levels

__all__ = ["embed_page", "embed_snippet", "snippet_page"]


def embed_page(*, center: tuple[float, float], bounds: list[list[float]] | None = None,
               static_url: str = "/static", lang: str = "zh", basemap: str | None = None,
               days: int = 30, title: str | None = None, levels=None) -> folium.Map:
    """The embed page; ``center`` (lat, lon) and ``bounds`` in the basemap's datum;
    ``levels`` the plan's declaration (``None``: the default five), whose names the
    layer list and the info box show."""
    m, bm = start_page(title=title or t("title.embed", lang), css="embed.css", center=center,
                       bounds=bounds, static_url=static_url, basemap=basemap, lang=lang)
    root = m.get_root()
    switch = lang_switch("/embed/coverage", lang, basemap=link_basemap(basemap),
                         days=None if days == 30 else days)
    head = html.escape(title or t("title.embed", lang))
    root.html.add_child(folium.Element(
        f'<div id="gg-embed-head" class="gg-embed-head"><b>{head}'
        f'</b> <span class="gg-muted">{html.escape(t("embed.click", lang))}</span> {switch}</div>'
        f'<div id="gg-info" class="gg-info" hidden></div>'
        f'<details open id="gg-embed-legend" class="gg-embed-legend">'
        f'<summary>{html.escape(t("legend.legend", lang))}</summary><div id="gg-counts-legend">'
        f'</div><div class="gg-attr">{OSM_ATTRIBUTION}</div></details>'))
    add_config(m, {
        "page": "embed", "lang": lang, "datum": bm.datum, "days": days,
        "strings": bundle(lang, "level.", "field.", "layer.", "embed.", "legend.", "error."),
        "areas": "/public/areas", "stats": f"/public/stats?days={days}",
        "levels": [lv.to_dict(lang) for lv in map_levels(levels)],
    })
    add_modules(m, static_url, "embed.js")
    return m


def embed_snippet(base_url: str, *, lang: str = "zh", width: str = "100%",
                  height: int = 480) -> str:
    """The ``<iframe>`` HTML a community website pastes to show the embed."""
    src = f"{base_url.rstrip('/')}/embed/coverage" + ("?lang=en" if lang == "en" else "")
    return (f'<iframe src="{html.escape(src)}" title="{html.escape(t("title.embed", lang))}" '
            f'width="{html.escape(width)}" height="{int(height)}" style="border:0" '
            f'loading="lazy" referrerpolicy="no-referrer"></iframe>')


def snippet_page(base_url: str, *, lang: str = "zh") -> str:
    """A small page with the snippet to copy and a live preview of the embed."""
    snippet = embed_snippet(base_url, lang=lang)
    e = html.escape
    switch = "/embed/snippet" + ("?lang=en" if lang == "zh" else "")
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<title>{e(t("title.snippet", lang))}</title>
<link rel="stylesheet" href="/static/geogrid.css"></head>
<body class="gg-snippet-page">
<h1>{e(t("title.snippet", lang))}</h1>
<p><a class="gg-lang" href="{switch}">{e(t("lang.switch", lang))}</a></p>
<p>{e(t("embed.help", lang))}</p>
<textarea id="gg-embed-snippet" readonly rows="4" cols="100">{e(snippet)}</textarea>
<p>{e(t("embed.note", lang))}</p>
{snippet}
<p class="gg-attr">{OSM_ATTRIBUTION}</p>
</body></html>"""
