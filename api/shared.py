"""What several routers share: the plan schemas, the areas view, level and attribution.

Routers import from here (never from each other), so each router stays one
resource that can be read on its own.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel

from geogrid.model import parse_level
from geogrid.services import IncidentService
from geogrid.services.gazetteer import cached_gazetteer

from .geojson import feature_collection, plain
from .responses import GeoJSONResp

__all__ = ["ATTRIBUTION", "LevelQ", "PlanPublic", "plan_public", "areas_frame",
           "areas_response", "service", "gazetteer", "AREA_FIELDS"]

LevelQ = Annotated[Literal["street", "grid", "community", "microgrid", "building_group"] | None,
                   Query(description="only areas of this level")]
ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
AREA_FIELDS = ["id", "level", "kind", "name", "code", "parent_id"]


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


def plan_public(row: dict) -> PlanPublic:
    return PlanPublic(**{k: plain(v) for k, v in row.items() if k in PlanPublic.model_fields})


def areas_frame(state, plan_id: int, *, level=None, parent=None, bbox=None):
    """Areas from the plan cache (small plans) or straight from the store with a bbox."""
    if bbox is not None:
        return state.store.areas(plan_id, level=level, parent=parent, bbox=bbox)
    frame = state.plan_data(plan_id).areas
    if level:
        frame = frame[frame["level"] == parse_level(level).value]
    if parent:
        frame = frame[frame["parent_id"] == parent]
    return frame


def areas_response(state, plan_id: int, *, level=None, parent=None, bbox=None) -> GeoJSONResp:
    """The public fields of a plan's areas as a GeoJSON FeatureCollection, attributed."""
    frame = areas_frame(state, plan_id, level=level, parent=parent, bbox=bbox)
    return GeoJSONResp(feature_collection(frame, AREA_FIELDS, plan_id=plan_id,
                                          attribution=ATTRIBUTION))


def service(state) -> IncidentService:
    """The incident service of the app (for routers that take reports in, e.g. Open311)."""
    return state.incidents


def gazetteer(state):
    """This worker's gazetteer, rebuilt when the address database changes."""
    return cached_gazetteer(state, review_below=state.settings.geocode_review_below)
