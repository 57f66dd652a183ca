"""Plans (versioned boundary sets) and their areas, as JSON and GeoJSON."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from geogrid.services.policy import can_read_plan

from ..auth import PrincipalDep
from ..deps import BBoxDep, StateDep
from ..responses import GeoJSONResp
from ..schemas import FeatureCollection
from ..shared import LevelQ, PlanPublic, areas_frame, areas_response, plan_public

__all__ = ["router", "LevelQ", "PlanPublic", "plan_public", "areas_response",
           "areas_frame"]

router = APIRouter(prefix="/plans", tags=["plans"])
GEOJSON = {200: {"content": {"application/geo+json": {}}}}


@router.get("", response_model=list[PlanPublic], summary="List plans")
def list_plans(state: StateDep, principal: PrincipalDep,
               status: Annotated[Literal["draft", "active", "retired"] | None, Query()] = None):
    return [plan_public(p) for p in state.store.plans(status) if can_read_plan(principal, p)]


@router.get("/{plan}", response_model=PlanPublic, summary="One plan ('active' for the active one)")
def get_plan(plan: str, state: StateDep, principal: PrincipalDep):
    return plan_public(state.store.plan(state.visible_plan_id(plan, principal)))


@router.get("/{plan}/areas", response_model=FeatureCollection, summary="Areas of a plan as GeoJSON", response_class=GeoJSONResp,
            responses=GEOJSON)
def plan_areas(plan: str, state: StateDep, principal: PrincipalDep, bbox: BBoxDep,
               level: LevelQ = None, parent: Annotated[str | None, Query(max_length=64)] = None):
    return areas_response(state, state.visible_plan_id(plan, principal), level=level,
                          parent=parent, bbox=bbox)
