"""The planner editor (微网格规划编辑): a Leaflet map and a side panel driven by ``editor.js``.

Like the console, the page carries no plan data. After sign-in (JWT in
``sessionStorage``) the modules talk to the planning API:

* pick a plan: view the active one, copy it into a draft, or continue a draft;
* draw the draft's grids and microgrids coloured by grid (microgrids in shades
  of their grid's colour, neighbours apart), 楼组 outlines, and the management
  objects (footprints and points) in the shade of the microgrid that holds them.
  "Grid" and "microgrid" are the plan's declared levels: the lowest tiling level
  is the unit edited, the first below the street the one its balance is read
  against (社区 and 网格 in a Hangzhou-style plan), named as declared;
* click an object and move it to a neighbouring microgrid of the same grid
  (from a list or by clicking the target), and offer "move together" when the
  API answers that cellmates must follow; split, merge, lock and unlock a
  microgrid; undo and redo;
* tools (``editor-tools.js``, ``editor-draw.js``): brush or lasso many objects and
  move them as one edit to a neighbour the API has checked (the others listed
  disabled, with the reason); draw a line across a microgrid to cut it; drag the
  points of the boundary two microgrids share; both one level up too (网格, 居民区:
  whole children change side). Writes are queued, so a quick
  Ctrl+Z, Ctrl+Y never sends a stale version;
* live statistics per microgrid (households, objects, 楼组, workload) and the
  balance of each grid (CV, max/min, and a bar per microgrid against the grid's
  target and tolerance band, with the workload formula), refreshed after every edit;
* export (GeoJSON, GeoPackage, PDF) and a swipe between two whole plans;
* compare with the active plan (moved objects highlighted), validate (problems
  marked on the map), activate with a confirmation.

Every write sends the plan version it was made on; a 409 conflict reloads the
plan and says that someone else changed it. Every value from the API is
rendered with ``textContent``.
"""

from __future__ import annotations

import folium

from ._page import app_page, escaped, signin_block
from .basemaps import OSM_ATTRIBUTION
from .i18n import bundle, t

__all__ = ["editor_page"]

#: sign-in strings shared with the console
SIGNIN_KEYS = ("console.signin", "console.signout", "console.username", "console.password",
               "console.signed_in", "console.signin_failed", "console.expired")

#: an SVG hatch for locked microgrids (Leaflet paths refer to it as ``url(#gg-hatch)``)
HATCH = ('<svg class="gg-defs" width="0" height="0" aria-hidden="true" focusable="false">'
         '<defs><pattern id="gg-hatch" patternUnits="userSpaceOnUse" width="8" height="8" '
         'patternTransform="rotate(45)"><rect width="8" height="8" fill="#d9d9d9"/>'
         '<line x1="0" y1="0" x2="0" y2="8" stroke="#777" stroke-width="3"/></pattern></defs></svg>')


def editor_page(*, center: tuple[float, float], bounds: list[list[float]] | None = None,
                static_url: str = "/static", lang: str = "zh", basemap: str | None = None,
                title: str | None = None) -> folium.Map:
    """The editor page; ``center`` (lat, lon) and ``bounds`` in the basemap's datum."""
    strings = bundle(lang, "editor.", "level.", "error.")
    strings.update({k: t(k, lang) for k in SIGNIN_KEYS})
    return app_page("editor", lambda head: [HATCH + _panel(lang, head)],
                    {"strings": strings, "writers": ["admin", "planner"]},
                    center=center, bounds=bounds, static_url=static_url, basemap=basemap,
                    lang=lang, title=title, side_class="gg-side gg-editor")


def _panel(lang: str, head: str) -> str:
    s = escaped(lang)
    return f"""{head}
  {signin_block(lang, hidden=True)}
  <section id="gg-plans" class="gg-plans" hidden>
    <h2>{s("editor.plans")}</h2>
    <div id="gg-active-plan" class="gg-plan-row"></div>
    <form id="gg-copy" class="gg-copy">
      <input id="gg-draft-name" maxlength="200" placeholder="{s("editor.draft_name")}"
        aria-label="{s("editor.draft_name")}">
      <button type="submit" id="gg-create-draft">{s("editor.create_draft")}</button>
    </form>
    <h3>{s("editor.drafts")}</h3>
    <ul id="gg-drafts" class="gg-drafts"></ul>
  </section>
  <section id="gg-workspace" class="gg-workspace" hidden>
    <header class="gg-plan-head">
      <div><b id="gg-plan-name"></b> <span id="gg-plan-status" class="gg-badge"></span>
        <span id="gg-plan-version" class="gg-muted"></span></div>
      <button type="button" id="gg-switch-plan">{s("editor.switch_plan")}</button>
    </header>
    <p id="gg-readonly" class="gg-note" hidden></p>
    <div id="gg-toolbar" class="gg-toolbar" role="toolbar">
      <button type="button" id="gg-undo" data-write="1" title="Ctrl+Z">{s("editor.undo")}</button>
      <button type="button" id="gg-redo" data-write="1" title="Ctrl+Y">{s("editor.redo")}</button>
      <button type="button" id="gg-validate">{s("editor.validate")}</button>
      <label class="gg-inline" id="gg-compare-l"><input type="checkbox" id="gg-compare">
        {s("editor.compare")}</label>
      <button type="button" id="gg-activate" data-write="1" class="gg-primary">
        {s("editor.activate")}</button>
    </div>
    {_tools(s)}
    <div id="gg-activate-confirm" class="gg-confirm" role="alertdialog" hidden>
      <p id="gg-activate-text"></p>
      <button type="button" id="gg-activate-yes" class="gg-primary">{s("editor.confirm")}</button>
      <button type="button" id="gg-activate-no">{s("editor.cancel")}</button>
    </div>
    <p id="gg-message" class="gg-message" role="status"></p>
    <p id="gg-error" class="gg-error" role="alert"></p>
    <section id="gg-selection" class="gg-selection" aria-live="polite">
      <p class="gg-muted">{s("editor.hint")}</p>
    </section>
    <section id="gg-stats-panel" class="gg-stats-panel">
      <h3>{s("editor.stats")}</h3>
      <table id="gg-grid-stats" class="gg-table">
        <caption class="gg-muted">{s("editor.balance")}</caption>
        <thead><tr><th>{s("editor.grid")}</th><th>{s("editor.n_microgrids")}</th>
          <th>{s("editor.cv")}</th><th>{s("editor.max_min")}</th></tr></thead>
        <tbody></tbody>
      </table>
      <table id="gg-stats" class="gg-table">
        <caption id="gg-stats-caption"></caption>
        <thead><tr><th>{s("editor.code")}</th><th>{s("editor.households")}</th>
          <th>{s("editor.objects")}</th><th>{s("editor.groups")}</th>
          <th>{s("editor.workload")}</th><th></th></tr></thead>
        <tbody></tbody>
      </table>
      <div id="gg-chart-box" class="gg-chart-box"></div>
    </section>
    <section id="gg-diff-panel" class="gg-diff-panel" hidden>
      <h3>{s("editor.diff")}</h3>
      <p id="gg-diff-count"></p>
      <ul id="gg-diff" class="gg-list"></ul>
    </section>
    <section id="gg-problems-panel" class="gg-problems-panel" hidden>
      <h3>{s("editor.problems")}</h3>
      <p id="gg-problems-summary"></p>
      <ul id="gg-problems" class="gg-list"></ul>
    </section>
  </section>
  <footer class="gg-attr">{OSM_ATTRIBUTION}</footer>
</aside>"""


def _tools(s) -> str:
    """The export row, the swipe switch and the tools (filled by editor-export.js, editor-tools.js)."""
    return f"""<div class="gg-toolbar"><span id="gg-export" class="gg-toolbar"></span>
      <label class="gg-inline" id="gg-swipe-l"><input type="checkbox" id="gg-swipe">
        {s("editor.swipe")}</label></div>
    <section id="gg-tools" class="gg-tools" hidden>
      <div id="gg-tool-buttons" class="gg-toolbar" role="toolbar" aria-label="{s("editor.tools")}"></div>
      <p id="gg-tool-hint" class="gg-muted"></p>
      <div id="gg-tool-panel"></div>
    </section>"""
