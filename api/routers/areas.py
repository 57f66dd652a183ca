"""Areas of the active plan (or of ?plan=ID), filterable by level, parent and bbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from geogrid.errors import NotFoundError

from ..auth import PrincipalDep
from ..deps import BBoxDep, StateDep
from ..geojson import feature_collection
from ..responses import GeoJSONResp
from ..schemas import Feature, FeatureCollection
from ..shared import AREA_FIELDS, LevelQ, areas_response

__all__ = ["router"]

router = APIRouter(prefix="/areas", tags=["areas"])
PlanQ = Annotated[str | None, Query(description="plan id; default: the active plan")]


@router.get("", summary="Areas as GeoJSON", response_class=GeoJSONResp,
            response_model=FeatureCollection,
            responses={200: {"content": {"application/geo+json": {}}}})
def list_areas(state: StateDep, principal: PrincipalDep, bbox: BBoxDep, level: LevelQ = None,
               parent: Annotated[str | None, Query(max_length=64)] = None, plan: PlanQ = None):
    return areas_response(state, state.visible_plan_id(plan, principal), level=level,
                          parent=parent, bbox=bbox)


@router.get("/{area_id}", summary="One area as a GeoJSON Feature", response_class=GeoJSONResp,
            response_model=Feature)
def get_area(area_id: str, state: StateDep, principal: PrincipalDep, plan: PlanQ = None):
    plan_id = state.visible_plan_id(plan, principal)
    frame = state.plan_data(plan_id).areas
    hit = frame[frame["id"] == area_id]
    if hit.empty:
        raise NotFoundError(f"区域 {area_id!r} 不在方案 {plan_id} 中。area {area_id!r} is not in "
                            f"plan {plan_id}.", field="area_id", value=area_id,
                            fix="用 GET /areas 列出区域。List areas with GET /areas.")
    fc = feature_collection(hit, AREA_FIELDS)
    return GeoJSONResp(fc["features"][0], media_type="application/geo+json")
