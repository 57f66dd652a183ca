"""The dispatcher console (派单指挥台): a Leaflet map and a side panel driven by ``console.js``.

The page itself holds no incident data: after sign-in (``POST /auth/token``,
the JWT kept in ``sessionStorage``) the module lists incidents from the API
by status and category, highlights overdue ones, draws a heatmap
(Leaflet.heat, vendored), shows an incident's chain of areas and timeline,
ranks the available responders by road travel time and routes the chosen one,
and offers the workflow actions the incident allows. ``console-intake.js``
takes calls (接警登记) with address suggestions and a duplicate check;
``console-live.js`` listens to ``/events/incidents`` and toasts new and
overdue incidents. Every value from the API is rendered with ``textContent``.
"""

from __future__ import annotations

import folium

from ._page import app_page, escaped, signin_block
from .i18n import bundle

__all__ = ["console_page"]


def console_page(*, center: tuple[float, float], bounds: list[list[float]] | None = None,
                 static_url: str = "/static", lang: str = "zh", basemap: str | None = None,
                 needs_reason: list[str] = (), title: str | None = None) -> folium.Map:
    """The console page; ``center`` (lat, lon) and ``bounds`` in the basemap's datum."""
    config = {
        "strings": bundle(lang, "console.", "status.", "action.", "field.", "layer.", "level.",
                          "error."),
        "needsReason": sorted(needs_reason),
        "openStatuses": ["reported", "accepted", "dispatched", "handling", "verifying",
                         "evaluating"],
        "overdueStatuses": ["dispatched", "handling"],
        "statuses": ["reported", "accepted", "dispatched", "handling", "verifying", "evaluating",
                     "closed", "rejected"],
    }
    return app_page("console", lambda head: [_panel(lang, head), _call_form(lang)], config,
                    center=center, bounds=bounds, static_url=static_url, basemap=basemap,
                    lang=lang, title=title,
                    extra_js=(("leaflet_heat", "vendor/leaflet.heat/leaflet-heat.js"),))


def _panel(lang: str, head: str) -> str:
    s = escaped(lang)
    return f"""{head}
  {signin_block(lang)}
  <p class="gg-live-row"><button type="button" id="gg-call-open" hidden>{s("console.call_open")}
    </button> <span id="gg-live" class="gg-muted" data-live="0"></span></p>
  <section id="gg-queue" class="gg-queue" hidden>
    <h3>{s("console.queue")} <span id="gg-queue-count" class="gg-badge"></span></h3>
    <ul id="gg-queue-list" class="gg-list"></ul>
  </section>
  <section id="gg-filters" class="gg-filters" hidden>
    <label>{s("field.category")} <select id="gg-f-category"><option value="">{s("console.all")}
      </option></select></label>
    <label>{s("console.area")} <select id="gg-f-area"><option value="">{s("console.all")}
      </option></select></label>
    <label>{s("console.since")} <input type="datetime-local" id="gg-f-since"></label>
    <label>{s("console.until")} <input type="datetime-local" id="gg-f-until"></label>
    <label class="gg-inline"><input type="checkbox" id="gg-f-overdue"> {s("console.overdue_only")}
    </label>
    <button type="button" id="gg-refresh">{s("console.refresh")}</button>
  </section>
  <nav id="gg-status-tabs" class="gg-tabs" hidden></nav>
  <p id="gg-count" class="gg-muted"></p>
  <p id="gg-error" class="gg-error" role="alert"></p>
  <ul id="gg-list" class="gg-list"></ul>
  <section id="gg-detail" class="gg-detail" hidden>
    <header><h2 id="gg-d-title"></h2><button type="button" id="gg-d-close"
      aria-label="{s("console.close")}">×</button></header>
    <dl id="gg-d-fields" class="gg-fields"></dl>
    <div id="gg-d-photos" class="gg-photos" hidden></div>
    <h3>{s("field.chain")}</h3><ol id="gg-chain" class="gg-chain"></ol>
    <h3>{s("field.timeline")}</h3><ol id="gg-timeline" class="gg-timeline"></ol>
    <div id="gg-actions" class="gg-actions"></div>
    <form id="gg-action-form" class="gg-action-form" hidden>
      <p id="gg-action-name"></p>
      <label id="gg-af-reason-l">{s("console.reason")}
        <textarea id="gg-af-reason" rows="2" maxlength="2000"></textarea></label>
      <label id="gg-af-extra-l" hidden>{s("console.extra")}
        <input id="gg-af-extra" value="1 working_days" maxlength="32"></label>
      <label id="gg-af-satisfaction-l" hidden>{s("console.satisfaction")}
        <input id="gg-af-satisfaction" type="number" min="1" max="5" value="5"></label>
      <label id="gg-af-category-l" hidden>{s("field.category")}
        <select id="gg-af-category"></select></label>
      <label id="gg-af-department-l" hidden>{s("console.department")}
        <input id="gg-af-department" maxlength="64"></label>
      <button type="submit">{s("console.confirm")}</button>
      <button type="button" id="gg-af-cancel">{s("console.cancel")}</button>
    </form>
    <section id="gg-responders-box" hidden><h3>{s("console.responders")}</h3>
      <ol id="gg-responders" class="gg-responders"></ol></section>
    <button type="button" id="gg-route-btn" class="gg-route-btn">{s("console.route")}</button>
    <button type="button" id="gg-print-order">{s("console.print")}</button>
    <p id="gg-route-info" class="gg-muted"></p>
  </section>
</aside>
<div id="gg-toasts" class="gg-toasts" aria-live="polite"></div>"""


def _call_form(lang: str) -> str:
    """The call-taking form (接警登记), a floating card over the map."""
    s = escaped(lang)
    return f"""
<section id="gg-call" class="gg-call" hidden>
  <h2>{s("console.call_open")}</h2>
  <form id="gg-call-form" autocomplete="off">
    <label>{s("console.call_address")}<input id="gg-c-address" maxlength="300"></label>
    <ul id="gg-c-suggest" class="gg-suggest"></ul>
    <label>{s("field.category")}<select id="gg-c-category" required></select></label>
    <label>{s("console.caller_name")}<input id="gg-c-name" maxlength="100"></label>
    <label>{s("console.caller_phone")}<input id="gg-c-phone" maxlength="32"
      pattern="[0-9+\\- ]{{3,32}}"></label>
    <label>{s("field.description")}
      <textarea id="gg-c-description" rows="2" maxlength="2000"></textarea></label>
    <label>{s("console.photo_field")}<input id="gg-c-photo" type="file"
      accept="image/jpeg,image/png,image/webp"></label>
    <div id="gg-c-photo-preview" class="gg-photo-preview"></div>
    <button type="submit">{s("console.call_save")}</button>
  </form>
  <div id="gg-c-dups" class="gg-dups" hidden></div>
  <p id="gg-c-status" class="gg-muted" role="status"></p>
</section>"""
