"""What every page shares: the config the JS modules read, module tags and the language switch.

A page is a folium ``Map`` (Leaflet served locally) plus:

* ``<script type="application/json" id="gg-config">``: strings, datum and
  endpoints for the page's module, serialised so that no value can close the
  script element;
* ``window.geogrid``: the Leaflet map (and named layers) for the modules,
  registered by :class:`Register` right after folium creates them;
* ``<script type="module">`` tags for the page's modules under
  ``static/js/``. Modules are deferred, so they run after folium's inline
  script has built the map.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from urllib.parse import urlencode

import folium

from .i18n import t

__all__ = ["json_for_script", "add_config", "add_modules", "Register", "lang_switch",
           "page_url", "escaped", "link_basemap", "side_head", "start_page", "signin_block",
           "app_page"]


def json_for_script(value) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>``, ``&`` and line separators are escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def add_config(m: folium.Map, config: dict) -> None:
    m.get_root().header.add_child(folium.Element(
        f'<script type="application/json" id="gg-config">{json_for_script(config)}</script>'))


def add_modules(m: folium.Map, static_url: str, *names: str) -> None:
    tags = "".join(f'<script type="module" src="{html.escape(static_url)}/js/{html.escape(n)}">'
                   "</script>" for n in names)
    m.get_root().html.add_child(folium.Element(tags))


class Register(folium.MacroElement):
    """Expose the map (and optionally one layer, under ``key``) as ``window.geogrid``."""

    _template = folium.elements.Template("""
        {% macro script(this, kwargs) %}
        (function (g) {
            g.map = {{ this._parent.get_name() }};
            g.layers = g.layers || {};
            {% if this.layer is not none %}
            g.layers[{{ this.key|tojson }}] = {{ this.layer.get_name() }};
            {% endif %}
        })(window.geogrid = window.geogrid || {});
        {% endmacro %}
    """)

    def __init__(self, layer=None, key: str | None = None):
        super().__init__()
        self._name = "GeogridRegister"
        self.layer = layer
        self.key = key


def page_url(path: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "", False)})
    return f"{path}?{query}" if query else path


def escaped(lang: str) -> Callable[[str], str]:
    """``s(key)``: the string ``key`` in ``lang``, escaped for HTML."""
    def s(key: str) -> str:
        return html.escape(t(key, lang))

    return s


def link_basemap(basemap: str | None) -> str | None:
    """The basemap for links: None when it is the default."""
    from .basemaps import default_basemap

    return None if basemap in (None, default_basemap()) else basemap


def side_head(path: str, lang: str, *, basemap: str | None, title: str, classes: str = "gg-side"
              ) -> str:
    """The side panel's opening: ``<aside>`` and its header with the title and language switch."""
    switch = lang_switch(path, lang, basemap=link_basemap(basemap))
    return f"""
<aside id="gg-side" class="{classes}">
  <header class="gg-side-head"><h1>{html.escape(title)}</h1>{switch}</header>"""


def lang_switch(path: str, lang: str, **params) -> str:
    """A link to the same page in the other language (other query parameters kept)."""
    other = "en" if lang == "zh" else "zh"
    href = page_url(path, **params, lang=None if other == "zh" else other)
    return (f'<a class="gg-lang" hreflang="{other}" href="{html.escape(href)}">'
            f"{html.escape(t('lang.switch', lang))}</a>")


def start_page(*, title: str, css: str, center, bounds, static_url: str, basemap: str | None,
               extra_js: tuple = (), lang: str = "zh"):
    """The common start of every app page: offline map, fitted view, page title and stylesheet.

    Returns ``(map, basemap)``; the caller adds its panel, config and modules.
    """
    from .basemaps import get_basemap, offline_map

    bm = get_basemap(basemap)
    kwargs = {"extra_js": extra_js} if extra_js else {}
    m = offline_map(static_url=static_url, center=list(center), zoom=15, basemap=bm, lang=lang,
                    **kwargs)
    if bounds:
        m.fit_bounds(bounds)
    m.add_child(Register())
    root = m.get_root()
    root.title = html.escape(title)
    root.header.add_child(folium.Element(
        f'<link rel="stylesheet" href="{html.escape(static_url)}/{css}"/>'))
    return m, bm


def signin_block(lang: str, *, hidden: bool = False) -> str:
    """The sign-in form and the signed-in line shared by the console and the editor."""
    s = escaped(lang)
    return f"""<form id="gg-signin" class="gg-signin" autocomplete="on"{" hidden" if hidden else ""}>
    <label>{s("console.username")} <input name="username" id="gg-username" required
      autocomplete="username"></label>
    <label>{s("console.password")} <input name="password" id="gg-password" type="password"
      required autocomplete="current-password"></label>
    <button type="submit">{s("console.signin")}</button>
    <p class="gg-error" id="gg-signin-error" role="alert"></p>
  </form>
  <div id="gg-session" class="gg-session" hidden>
    {s("console.signed_in")} <b id="gg-user"></b> <span id="gg-role" class="gg-muted"></span>
    <button type="button" id="gg-signout">{s("console.signout")}</button>
  </div>"""


def app_page(page: str, panel: Callable[[str], Sequence[str]], config: dict, *, center, bounds,
             static_url: str, basemap: str | None, lang: str, title: str | None,
             side_class: str = "gg-side", extra_js: tuple = ()) -> folium.Map:
    """A signed-in app page (``console``, ``editor``): map, side panel, config and ``<page>.js``.

    ``panel(head)`` returns the HTML blocks of the page, the side panel opening with ``head``
    (its ``<aside>``, title and language switch). ``config`` follows page, lang and datum.
    """
    title = title or t(f"title.{page}", lang)
    m, bm = start_page(title=title, css=f"{page}.css", center=center, bounds=bounds,
                       static_url=static_url, basemap=basemap, extra_js=extra_js, lang=lang)
    head = side_head(f"/{page}", lang, basemap=basemap, title=title, classes=side_class)
    for block in panel(head):
        m.get_root().html.add_child(folium.Element(block))
    add_config(m, {"page": page, "lang": lang, "datum": bm.datum, **config})
    add_modules(m, static_url, f"{page}.js")
    return m
