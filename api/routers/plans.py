"""Plans (versioned boundary sets) and their areas, as JSON and GeoJSON."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from ..responses import GeoJSONResp
from pydantic import BaseModel

from geogrid.model import parse_level

from ..auth import PrincipalDep
from ..deps import BBoxDep, StateDep
from ..geojson import feature_collection, plain

router = APIRouter(prefix="/plans", tags=["plans"])

LevelQ = Annotated[Literal["street", "grid", "community", "microgrid", "building_group"] | None,
                   Query(description="only areas of this level")]
ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"


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


@router.get("", response_model=list[PlanPublic], summary="List plans")
def list_plans(state: StateDep, principal: PrincipalDep,
               status: Annotated[Literal["draft", "active", "retired"] | None, Query()] = None):
    rows = state.store.plans(status)
    if not principal.can("plan.read"):
        rows = [p for p in rows if p["status"] != "draft"]
    return [plan_public(p) for p in rows]


@router.get("/{plan}", response_model=PlanPublic, summary="One plan ('active' for the active one)")
def get_plan(plan: str, state: StateDep, principal: PrincipalDep):
    return plan_public(state.store.plan(state.visible_plan_id(plan, principal)))


@router.get("/{plan}/areas", summary="Areas of a plan as GeoJSON",
            response_class=GeoJSONResp,
            responses={200: {"content": {"application/geo+json": {}}}})
def plan_areas(plan: str, state: StateDep, principal: PrincipalDep, bbox: BBoxDep, level: LevelQ = None,
               parent: Annotated[str | None, Query(max_length=64)] = None):
    return areas_response(state, state.visible_plan_id(plan, principal), level=level,
                          parent=parent, bbox=bbox)


def areas_response(state, plan_id: int, *, level=None, parent=None, bbox=None) -> GeoJSONResp:
    """The public fields of a plan's areas as a GeoJSON FeatureCollection, attributed."""
    frame = areas_frame(state, plan_id, level=level, parent=parent, bbox=bbox)
    return GeoJSONResp(feature_collection(frame, ["id", "level", "kind", "name", "code", "parent_id"],
                                          plan_id=plan_id, attribution=ATTRIBUTION))


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
