"""HTML pages: the coverage map at ``/``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from maps import coverage_map
from maps.i18n import t

from ..deps import StateDep

router = APIRouter(tags=["pages"])
Lang = Annotated[Literal["zh", "en"], Query(description="UI language")]
BasemapQ = Annotated[Literal["osm", "amap", "tianditu", "local", "none"], Query()]


@router.get("/", response_class=HTMLResponse, summary="Coverage map of the active plan")
def index(state: StateDep, lang: Lang = "zh", basemap: BasemapQ = "osm",
          plan: Annotated[str | None, Query()] = None):
    plan_id = state.resolve_plan_id(plan)
    data = state.plan_data(plan_id)
    key = ("coverage", lang, basemap)
    html = data.extra.get(key)
    if html is None:
        m = coverage_map(data.areas, static_url="/static", lang=lang, basemap=basemap,
                         title=f"{data.plan['name']} · {t('title.coverage', lang)}")
        m.get_root().title = f"{data.plan['name']} · {t('title.coverage', lang)}"
        html = m.get_root().render()
        data.extra[key] = html
    return HTMLResponse(html)
