"""Public data for the embed: areas with their public contact point, and suppressed counts.

Nothing here needs sign-in and nothing here is personal; the rules (allow-listed
contact keys, complementary suppression of small counts) are in
:mod:`geogrid.services.public`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from geogrid.services.public import public_areas_frame  # noqa: F401  (kept import path)

from ..deps import StateDep
from ..geojson import feature_collection, plain
from ..responses import GeoJSONResp, JSONResp
from ..schemas import FeatureCollection
from ..shared import LevelQ, active_attribution

__all__ = ["router", "public_areas_frame"]

router = APIRouter(prefix="/public", tags=["public"])
PUBLIC_FIELDS = ["id", "level", "kind", "name", "code", "parent_id", "contact", "label"]


class AreaCounts(BaseModel):
    id: str
    level: str
    name: str
    code: str | None = None
    total: int | str
    by_category: dict[str, int | str]


class PublicStats(BaseModel):
    days: int
    since: str
    until: str
    threshold: int
    categories: dict[str, str]
    areas: list[AreaCounts]
    attribution: str


@router.get("/areas", summary="Areas of the active plan with public contacts (no personal data)",
            response_class=GeoJSONResp, response_model=FeatureCollection,
            responses={200: {"content": {"application/geo+json": {}}}})
def public_areas(state: StateDep, level: LevelQ = None):
    frame = state.public.areas(level)
    return GeoJSONResp(feature_collection(frame, PUBLIC_FIELDS, precision=6,
                                          attribution=active_attribution(state)),
                       media_type="application/geo+json")


@router.get("/stats", response_model=PublicStats,
            summary="Incident counts per area and category (counts below 3 shown as '<3')")
def public_stats(state: StateDep,
                 days: Annotated[int, Query(ge=1, le=365, description="window, days back")] = 30):
    out: dict[str, Any] = state.public.stats(days)
    out["areas"] = [{k: plain(v) for k, v in a.items()} for a in out["areas"]]
    return JSONResp({**out, "attribution": active_attribution(state)})
