"""What several routers share: the plan schemas, the areas view, level and attribution.

Routers import from here (never from each other), so each router stays one
resource that can be read on its own.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel

from geogrid.errors import NotFoundError
from geogrid.model import PlanLevels
from geogrid.services import IncidentService
from geogrid.services.gazetteer import cached_gazetteer

from .geojson import feature_collection, plain
from .responses import GeoJSONResp

__all__ = ["active_attribution", "LevelQ", "PlanPublic", "plan_public", "areas_frame",
           "areas_response", "service", "gazetteer", "AREA_FIELDS", "plan_attribution"]

LevelQ = Annotated[str | None, Query(
    description="只看此层级 only areas of this level: one of the plan's declared levels "
                "(key or Chinese name, e.g. grid or 网格)", max_length=32)]
AREA_FIELDS = ["id", "level", "kind", "name", "code", "parent_id", "attrs"]


class PlanPublic(BaseModel):
    id: int
    name: str
    description: str | None = None
    street_code: str
    status: Literal["draft", "active", "retired"]
    parent_plan_id: int | None = None
    version: int
    created_at: str | None = None
    effective_at: str | None = None
    retired_at: str | None = None
    levels: list[dict] = []


def plan_public(row: dict) -> PlanPublic:
    fields = {k: plain(v) for k, v in row.items() if k in PlanPublic.model_fields}
    fields["levels"] = PlanLevels.from_list(row.get("levels")).to_list()
    return PlanPublic(**fields)


def plan_attribution(state, plan_id: int) -> str:
    """Exactly the sources of this plan's areas (the OSM line only for OSM-derived plans)."""
    from geogrid.services.imports import plan_attribution as recorded

    return recorded(state.store, state.plan_data(plan_id).plan)


def active_attribution(state) -> str:
    """The sources of the active plan's areas (none active: none recorded)."""
    from geogrid.services.imports import NOT_RECORDED

    try:
        return plan_attribution(state, state.active_plan_id())
    except NotFoundError:
        return NOT_RECORDED


def areas_frame(state, plan_id: int, *, level=None, parent=None, bbox=None):
    """Areas from the plan cache (small plans) or straight from the store with a bbox."""
    if bbox is not None:
        return state.store.areas(plan_id, level=level, parent=parent, bbox=bbox)
    frame = state.plan_data(plan_id).areas
    if level:
        key = PlanLevels.from_list(state.plan_data(plan_id).plan.get("levels")).key_of(level)
        frame = frame[frame["level"] == key]
    if parent:
        frame = frame[frame["parent_id"] == parent]
    return frame


def areas_response(state, plan_id: int, *, level=None, parent=None, bbox=None) -> GeoJSONResp:
    """The public fields of a plan's areas as a GeoJSON FeatureCollection, attributed."""
    frame = areas_frame(state, plan_id, level=level, parent=parent, bbox=bbox)
    cached = state.area_geometries(plan_id) if bbox is None else None
    return GeoJSONResp(feature_collection(frame, AREA_FIELDS, plan_id=plan_id,
                                          geometry_json=cached,
                                          attribution=plan_attribution(state, plan_id)))


def service(state) -> IncidentService:
    """The incident service of the app (for routers that take reports in, e.g. Open311)."""
    return state.incidents


def gazetteer(state):
    """This worker's gazetteer, rebuilt when the address database changes."""
    return cached_gazetteer(state, review_below=state.settings.geocode_review_below)
