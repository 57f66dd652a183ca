"""HTML pages: the coverage map at ``/``, the dispatcher console and the public embed.

Pages are built once per plan version, language and basemap and cached with
the plan (``PlanData.extra``); the console and the embed carry no data, their
modules fetch it from the API.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from maps import console_page, coverage_map, embed_page, get_basemap, snippet_page
from maps.basemaps import default_basemap
from maps._page import page_url
from maps.editor import editor_page
from maps.i18n import t
from maps.levels import map_levels, role_key

from ..auth import PrincipalDep
from ..deps import StateDep

__all__ = ["router"]

router = APIRouter(tags=["pages"])
Lang = Annotated[Literal["zh", "en"], Query(description="UI language")]
BasemapQ = Annotated[Literal["geogrid", "osm", "amap", "tianditu", "local", "none"] | None,
                     Query(description="tiles (default: geogrid's own offline basemap); "
                                       "overlays are shifted into their datum")]
Choropleth = Annotated[Literal["workload"] | None,
                       Query(description="colour microgrids by workload (households)")]
Days = Annotated[int, Query(ge=1, le=365, description="window of the incident counts")]


def workload(state, plan_id: int) -> tuple[dict[str, float], bool]:
    """Households per leaf area (微网格, or the plan's declared lowest tiling level) from the
    store's object memberships, and whether any is estimated.

    Empty when the plan has no memberships (the choropleth is then not offered).
    """
    data = state.plan_data(plan_id)
    cached = data.extra.get("workload")
    if cached is None:
        mem = state.store.memberships(plan_id)
        cached = ({}, False)
        if not mem.empty:
            objs = state.store.objects()[["id", "households", "estimated"]].set_index("id")
            objs = objs.reindex(mem.index)
            hh = objs["households"].fillna(0.0).groupby(mem.values).sum()
            leaf = role_key(map_levels(data.plan.get("levels")), "leaf")  # 微网格 by default
            mgs = set(data.areas.loc[data.areas["level"] == leaf, "id"])
            values = {k: float(v) for k, v in hh.items() if k in mgs}
            values.update({k: 0.0 for k in mgs - values.keys()})
            est = bool((objs["estimated"].fillna(False).astype(bool)
                        & (objs["households"].fillna(0) > 0)).any())
            cached = (values, est) if values else ({}, False)
        data.extra["workload"] = cached
    return cached


def problems(state, plan_id: int) -> tuple[list[dict], dict[str, str]]:
    """The plan's validation findings (the editor's validation, the same service) with the
    grid each is in, and display names for the ids they mention (cached with the plan)."""
    data = state.plan_data(plan_id)
    if "problems" not in data.extra:
        report = state.planning.validate(plan_id)
        found = [dict(i, grid=g["grid_name"]) for g in report["grids"] for i in g["issues"]]
        mentioned = {str(i) for f in found for i in f.get("ids") or ()}
        names = {str(r["id"]): str(r["name"]) for r in data.areas[["id", "name"]].to_dict("records")
                 if str(r["id"]) in mentioned and r["name"]}
        if mentioned - names.keys():
            objs = state.store.objects()
            objs = objs[objs["id"].astype(str).isin(mentioned - names.keys())]
            for r in objs[["id", "type", "name", "address"]].to_dict("records"):
                label = next((v for v in (r["name"], r["address"]) if isinstance(v, str) and v),
                             t(f"editor.type.{r['type']}"))
                names[str(r["id"])] = label
        data.extra["problems"] = (found, names)
    return data.extra["problems"]


def _view(state, plan_id: int, datum: str):
    """Centre (lat, lon) and bounds of the plan in ``datum`` (what the tiles are drawn in)."""
    from geogrid.datum import from_storage

    areas = state.plan_data(plan_id).areas
    minx, miny, maxx, maxy = areas.total_bounds if len(areas) else (121.49, 31.22, 121.52, 31.25)
    xs, ys = from_storage(np.array([minx, maxx]), np.array([miny, maxy]), datum)
    bounds = [[float(ys[0]), float(xs[0])], [float(ys[1]), float(xs[1])]]
    center = ((bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2)
    return center, bounds


@router.get("/", response_class=HTMLResponse, summary="Coverage map of the active plan")
def index(state: StateDep, principal: PrincipalDep, lang: Lang = "zh", basemap: BasemapQ = None,
          plan: Annotated[str | None, Query()] = None, choropleth: Choropleth = None,
          check: Annotated[bool, Query(description="highlight validation problems")] = False,
          tiles: Annotated[bool | None, Query(
              description="draw the areas from /tiles instead of inline GeoJSON; "
                          "default: only for plans too large to inline")] = None):
    plan_id = state.visible_plan_id(plan, principal)
    data = state.plan_data(plan_id)
    load, estimated = workload(state, plan_id)
    choropleth = choropleth if load else None
    key = ("coverage", lang, basemap, choropleth, check, tiles)
    html = data.extra.get(key)
    if html is None:
        title = f"{data.plan['name']} · {t('title.coverage', lang)}"
        shown_basemap = None if basemap in (None, default_basemap()) else basemap
        params = {"plan": plan, "basemap": shown_basemap,
                  "check": check or None, "tiles": None if tiles is None else str(int(tiles))}
        links = [(t("lang.switch", lang), page_url("/", **params, choropleth=choropleth,
                                                   lang=None if lang == "en" else "en"))]
        if load:
            links.append((t("legend.by_grid" if choropleth else "legend.by_workload", lang),
                          page_url("/", **params, lang=None if lang == "zh" else lang,
                                   choropleth=None if choropleth else "workload")))
        found, names = problems(state, plan_id) if check else (None, None)
        m = coverage_map(data.areas, static_url="/static", lang=lang, basemap=basemap,
                         workload=load if choropleth else None, estimated=estimated,
                         problems=found, names=names, title=title,
                         links=links, embed_snippet=True, tiles=tiles,
                         tile_url=f"/tiles/{plan_id}/{{z}}/{{x}}/{{y}}.mvt",
                         extent=(data.plan.get("attrs") or {}).get("data_extent"),
                         levels=data.plan.get("levels"))
        m.get_root().title = escape(title)
        html = m.get_root().render()
        data.extra[key] = html
    return HTMLResponse(html)


def _app_page(state, key: tuple, basemap: str, build) -> HTMLResponse:
    """An app page over the active plan, rendered once per plan version and key."""
    plan_id = state.active_plan_id()
    data = state.plan_data(plan_id)
    html = data.extra.get(key)
    if html is None:
        center, bounds = _view(state, plan_id, get_basemap(basemap).datum)
        html = build(data, center, bounds).get_root().render()
        data.extra[key] = html
    return HTMLResponse(html)


@router.get("/console", response_class=HTMLResponse,
            summary="Dispatcher console (sign-in required)")
def console(state: StateDep, lang: Lang = "zh", basemap: BasemapQ = None):
    from geogrid.dispatch.workflow import NEEDS_REASON

    return _app_page(state, ("console", lang, basemap), basemap, lambda data, center, bounds:
                     console_page(center=center, bounds=bounds, lang=lang, basemap=basemap,
                                  needs_reason=[a.value for a in NEEDS_REASON],
                                  title=f"{t('title.console', lang)} · {data.plan['name']}"))


@router.get("/editor", response_class=HTMLResponse,
            summary="Planner editor: drafts, reassignment, split/merge, stats (sign-in required)")
def editor(state: StateDep, lang: Lang = "zh", basemap: BasemapQ = None):
    return _app_page(state, ("editor", lang, basemap), basemap, lambda data, center, bounds:
                     editor_page(center=center, bounds=bounds, lang=lang, basemap=basemap,
                                 title=t("title.editor", lang)))


@router.get("/embed", include_in_schema=False)
def embed_root(request: Request):
    query = request.url.query
    return RedirectResponse("/embed/coverage" + (f"?{query}" if query else ""), status_code=307)


@router.get("/embed/coverage", response_class=HTMLResponse,
            summary="Public coverage map for an iframe (aggregates only, no personal data)")
def embed_coverage(state: StateDep, lang: Lang = "zh", basemap: BasemapQ = None, days: Days = 30):
    return _app_page(state, ("embed", lang, basemap, days), basemap, lambda data, center, bounds:
                     embed_page(center=center, bounds=bounds, lang=lang, basemap=basemap,
                                days=days, levels=data.plan.get("levels")))


@router.get("/embed/snippet", response_class=HTMLResponse,
            summary="The <iframe> snippet to paste into a community website")
def embed_snippet_page(request: Request, lang: Lang = "zh"):
    return HTMLResponse(snippet_page(str(request.base_url), lang=lang))
