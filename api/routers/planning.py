"""Planning: copy a plan into a draft, partition grids, edit, undo/redo, validate, diff, activate;
the management objects with their microgrid in a plan (for the editor).

Every write takes the plan's ``version`` (optimistic lock): a stale version
answers 409 and changes nothing. Planners are limited to their scope (a
street or grid code prefix); activation needs the street in scope.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from geogrid.errors import NotFoundError
from geogrid.security import Principal
from geogrid.store.planning import PlanningService

from ..auth import Allowed
from ..deps import BBoxDep, StateDep
from ..geojson import feature_collection, plain
from ..responses import GeoJSONResp, JSONResp
from .plans import ATTRIBUTION, plan_public

router = APIRouter(prefix="/plans", tags=["planning"])
Planner = Annotated[Principal, Depends(Allowed("plan.write"))]
Reader = Annotated[Principal, Depends(Allowed("plan.read"))]
PlanId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def planning(state) -> PlanningService:
    return state.shared("planning", lambda: PlanningService(state.store))


def _area_code(state, plan_id: int, uid: str | None) -> str | None:
    if uid is None:
        return None
    areas = state.plan_data(plan_id).areas
    hit = areas[areas["id"] == uid]
    if hit.empty:
        raise NotFoundError(f"area {uid!r} is not in plan {plan_id}.", field="area", value=uid,
                            fix="Use ids from GET /plans/{id}/areas.")
    return hit["code"].iat[0]


class Versioned(BaseModel):
    version: int | None = Field(default=None, ge=1, description="the plan version you edited")


class CopyIn(BaseModel):
    name: str | None = Field(default=None, max_length=200)


class PartitionIn(Versioned):
    grid_id: str = Field(min_length=1, max_length=64)
    n_microgrids: int | None = Field(default=None, ge=1, le=2000)
    target_workload: float | None = Field(default=None, gt=0, le=1e6)
    type_weight: float | None = Field(default=None, ge=0, le=1)
    kind: Literal["residential", "business", "mixed"] | None = None
    cv_target: float | None = Field(default=None, gt=0, le=1)


class EditIn(Versioned):
    op: Literal["move_objects", "move_cells", "split", "merge", "lock", "unlock"]
    objects: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=10_000)
    cells: list[Annotated[int, Field(ge=0, le=10_000_000)]] | None = Field(default=None, max_length=10_000)
    to: str | None = Field(default=None, max_length=64)
    microgrid: str | None = Field(default=None, max_length=64)
    a: str | None = Field(default=None, max_length=64)
    b: str | None = Field(default=None, max_length=64)
    with_cellmates: bool = False


@router.post("/{plan_id}/copy", status_code=201, summary="A draft copy of a plan, to edit")
def copy(plan_id: PlanId, body: CopyIn, state: StateDep, principal: Planner):
    # any planner may start a draft; what they may change in it is limited by scope
    new_id = state.store.copy_plan(plan_id, name=body.name, actor=principal.username)
    return JSONResp(plan_public(state.store.plan(new_id)).model_dump(), status_code=201)


@router.post("/{plan_id}/partition", summary="Partition one grid of a draft into microgrids")
def partition_grid(plan_id: PlanId, body: PartitionIn, state: StateDep, principal: Planner):
    principal.require_scope(_area_code(state, plan_id, body.grid_id), "grid")
    options = body.model_dump(exclude={"grid_id", "version"}, exclude_none=True)
    out = planning(state).partition_grid(plan_id, body.grid_id, actor=principal.username,
                                         expected_version=body.version, **options)
    state.invalidate(plan_id)
    return JSONResp(out)


@router.post("/{plan_id}/edits", summary="Move objects or cells, split, merge, lock or unlock")
def edit(plan_id: PlanId, body: EditIn, state: StateDep, principal: Planner):
    for uid in (body.to, body.microgrid, body.a, body.b):
        if uid:
            principal.require_scope(_area_code(state, plan_id, uid), "microgrid")
    params = body.model_dump(exclude={"op", "version"}, exclude_none=True)
    out = planning(state).edit(plan_id, body.op, actor=principal.username,
                               expected_version=body.version, **params)
    state.invalidate(plan_id)
    return JSONResp(out)


@router.post("/{plan_id}/undo", summary="Undo the last edit")
def undo(plan_id: PlanId, body: Versioned, state: StateDep, principal: Planner):
    out = planning(state).undo(plan_id, actor=principal.username, expected_version=body.version)
    state.invalidate(plan_id)
    return JSONResp(out)


@router.post("/{plan_id}/redo", summary="Redo the last undone edit")
def redo(plan_id: PlanId, body: Versioned, state: StateDep, principal: Planner):
    out = planning(state).redo(plan_id, actor=principal.username, expected_version=body.version)
    state.invalidate(plan_id)
    return JSONResp(out)


@router.get("/{plan_id}/history", summary="The edit stack")
def history(plan_id: PlanId, state: StateDep, _: Reader):
    return JSONResp([{k: plain(v) for k, v in h.items()} for h in planning(state).history(plan_id)])


#: what the editor needs of a management object; ``microgrid`` is its membership in the plan
OBJECT_FIELDS = ["id", "type", "name", "address", "households", "estimated", "business_type",
                 "microgrid"]


def objects_frame(state, plan_id: int, *, grid: str | None = None, bbox=None):
    """The store's objects (in ``bbox``) with their microgrid in the plan (None: in none).

    With ``grid``, only the objects of that grid's microgrids, plus the objects
    lying in the grid that no microgrid holds (so orphans stay visible).
    """
    areas = state.plan_data(plan_id).areas  # 404 for an unknown plan
    parent = None
    if grid is not None:
        parent = areas[(areas["id"] == grid) & areas["level"].isin(["grid", "community"])]
        if parent.empty:
            raise NotFoundError(f"grid {grid!r} is not a grid of plan {plan_id}.", field="grid",
                                value=grid, fix="Use a grid id from GET /plans/{id}/areas?level=grid.")
    box = bbox if bbox is not None or parent is None else tuple(parent.total_bounds)
    objs = state.store.objects(bbox=box)
    objs["microgrid"] = state.store.memberships(plan_id).reindex(objs["id"]).to_numpy()
    if parent is not None and len(objs):
        mine = areas.loc[(areas["level"] == "microgrid") & (areas["parent_id"] == grid), "id"]
        inside = objs.geometry.representative_point().intersects(parent.geometry.iat[0])
        keep = objs["microgrid"].isin(set(mine)) | (objs["microgrid"].isna() & inside)
        objs = objs[keep.to_numpy()]
    return objs


@router.get("/{plan_id}/objects", summary="Management objects with their microgrid in this plan",
            response_class=GeoJSONResp,
            responses={200: {"content": {"application/geo+json": {}}}})
def objects(plan_id: PlanId, state: StateDep, _: Reader, bbox: BBoxDep,
            grid: Annotated[str | None, Query(max_length=64,
                                              description="only the objects of this grid")] = None):
    frame = objects_frame(state, plan_id, grid=grid, bbox=bbox)
    return GeoJSONResp(feature_collection(frame, OBJECT_FIELDS, plan_id=plan_id,
                                          attribution=ATTRIBUTION),
                       media_type="application/geo+json")


@router.get("/{plan_id}/stats", summary="Households, objects, 楼组 per microgrid; CV per grid")
def stats(plan_id: PlanId, state: StateDep, _: Reader):
    return JSONResp(planning(state).stats(plan_id))


@router.get("/{plan_id}/validate", summary="Gaps, overlaps, orphans, imbalance… with locations")
def validate(plan_id: PlanId, state: StateDep, _: Reader,
             grid: Annotated[str | None, Query(max_length=64)] = None,
             format: Literal["json", "text"] = "json"):
    report = planning(state).validate(plan_id, grid)
    if format == "text":
        return PlainTextResponse("\n\n".join(g["text"] for g in report["grids"]) or "no microgrids")
    return JSONResp(report)


@router.get("/{plan_id}/diff", summary="Objects whose microgrid differs from another plan")
def diff(plan_id: PlanId, state: StateDep, _: Reader,
         against: Annotated[str, Query(description="plan id or 'active'")] = "active"):
    other = state.resolve_plan_id(against)
    return JSONResp(planning(state).diff(plan_id, other))


@router.post("/{plan_id}/activate", summary="Activate a draft; the old plan is retired atomically")
def activate(plan_id: PlanId, body: Versioned, state: StateDep,
             principal: Annotated[Principal, Depends(Allowed("plan.activate"))]):
    street = state.store.plan(plan_id)["street_code"]
    principal.require_scope(street, "street")
    plan = state.store.activate_plan(plan_id, expected_version=body.version, actor=principal.username)
    state.invalidate()
    return JSONResp(plan_public(plan).model_dump())


@router.delete("/{plan_id}", status_code=204, summary="Delete a draft")
def delete(plan_id: PlanId, state: StateDep, principal: Planner):
    state.store.delete_plan(plan_id, actor=principal.username)
    state.invalidate(plan_id)
    return JSONResp(None, status_code=204)
