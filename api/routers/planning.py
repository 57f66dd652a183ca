"""Planning: copy a plan into a draft, partition grids, edit, undo/redo, validate, diff, activate;
the management objects with their microgrid in a plan (for the editor).

Every write takes the plan's ``version`` (optimistic lock): a stale version
answers 409 and changes nothing. Planners are limited to their scope (a
street or grid code prefix); activation needs the street in scope.
"""

from __future__ import annotations

from typing import Annotated, Literal

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from geogrid.errors import NotFoundError
from geogrid.security import Principal
from geogrid.services import ScopedPlanning
from geogrid.services.imports import layer_attribution
from geogrid.services.locatefiles import prepare as prepare_locator

from ..auth import Allowed
from ..deps import BBoxDep, StateDep
from ..geojson import feature_collection, plain
from ..responses import GeoJSONResp, JSONResp
from ..schemas import FeatureCollection, Open
from ..shared import PlanPublic, plan_attribution, plan_public

__all__ = ["router", "objects_frame"]

router = APIRouter(prefix="/plans", tags=["planning"])
Planner = Annotated[Principal, Depends(Allowed("plan.write"))]
Reader = Annotated[Principal, Depends(Allowed("plan.read"))]
PlanId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def scoped(state, principal: Principal) -> ScopedPlanning:
    return ScopedPlanning(state.planning, principal)


class WriteOut(Open):
    plan_id: int
    version: int


class EditOut(WriteOut):
    op: str


class PartitionOut(WriteOut):
    grid_id: str
    microgrids: int
    report: dict[str, Any]


class StepOut(EditOut):
    seq: int
    undone: bool


class HistoryEntry(Open):
    seq: int
    op: str
    params: dict[str, Any] | None = None
    actor: str | None = None
    at: str | None = None
    undone: bool


class StatsOut(Open):
    plan_id: int
    microgrids: list[dict[str, Any]]
    grids: list[dict[str, Any]]
    workload: dict[str, Any] | None = Field(
        default=None, description="the workload formula (households + weight per object type) "
                                  "and the balance tolerance around each grid's mean")


class ValidateOut(Open):
    plan_id: int
    ok: bool
    grids: list[dict[str, Any]]


class DiffOut(Open):
    plan_id: int
    against: int
    moved: int
    changes: list[dict[str, Any]]


#: the plan version a write was made on: required, so a write never lands on a plan that
#: changed since the client read it (stale: 409, missing: 422)
PlanVersion = Field(ge=1, le=2**31 - 1, description="the plan version you read (required: a "
                    "write on a plan changed since answers 409 and changes nothing)")


class Versioned(BaseModel):
    version: int = PlanVersion


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
    op: Literal["move_objects", "move_cells", "split", "merge", "cut", "lock", "unlock"]
    objects: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=10_000)
    cells: list[Annotated[int, Field(ge=0, le=10_000_000)]] | None = Field(default=None, max_length=10_000)
    to: str | None = Field(default=None, max_length=64)
    microgrid: str | None = Field(default=None, max_length=64)
    a: str | None = Field(default=None, max_length=64)
    b: str | None = Field(default=None, max_length=64)
    with_cellmates: bool = False
    microgrids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, min_length=1, max_length=2,
        description="cut: one area to split along the line, or two neighbours to redraw "
                    "their shared boundary: microgrids (their cells change side), or areas one "
                    "level up such as 网格, 居民区 or 社区 (their children move whole; the answer "
                    "lists moved_areas and new_areas)")
    line: list[tuple[float, float]] | None = Field(
        default=None, min_length=2, max_length=2000,
        description="cut: the drawn line, [lon, lat] points in the storage datum")


@router.post("/{plan_id}/copy", status_code=201, response_model=PlanPublic,
             summary="A draft copy of a plan, to edit")
def copy(plan_id: PlanId, body: CopyIn, state: StateDep, principal: Planner):
    plan = scoped(state, principal).copy(plan_id, body.name)
    return JSONResp(plan_public(plan).model_dump(), status_code=201)


@router.post("/{plan_id}/partition", response_model=PartitionOut,
             summary="Partition one grid of a draft into microgrids")
def partition_grid(plan_id: PlanId, body: PartitionIn, state: StateDep, principal: Planner):
    options = body.model_dump(exclude={"grid_id", "version"}, exclude_none=True)
    return _changed(state, plan_id, scoped(state, principal).partition(
        plan_id, body.grid_id, body.version, **options))


@router.post("/{plan_id}/edits", response_model=EditOut,
             summary="Move objects or cells, split, merge, cut along a line, lock or unlock")
def edit(plan_id: PlanId, body: EditIn, state: StateDep, principal: Planner):
    params = body.model_dump(exclude={"op", "version"}, exclude_none=True)
    return _changed(state, plan_id, scoped(state, principal).edit(plan_id, body.op, body.version,
                                                                  **params))


def _changed(state, plan_id: int, out: dict):
    """The answer to a write: the plan's cached data is stale from now on."""
    state.invalidate(plan_id)
    return JSONResp(out)


class TargetsIn(BaseModel):
    objects: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1, max_length=10_000)


@router.post("/{plan_id}/move-targets", summary="Where objects could move as one edit (a dry run)")
def move_targets(plan_id: PlanId, body: TargetsIn, state: StateDep, _: Reader):
    return JSONResp(state.planning.move_targets(plan_id, body.objects))


@router.post("/{plan_id}/undo", response_model=StepOut, summary="Undo the last edit")
def undo(plan_id: PlanId, body: Versioned, state: StateDep, principal: Planner):
    out = scoped(state, principal).step(plan_id, body.version, undo=True)
    state.invalidate(plan_id)
    return JSONResp(out)


@router.post("/{plan_id}/redo", response_model=StepOut, summary="Redo the last undone edit")
def redo(plan_id: PlanId, body: Versioned, state: StateDep, principal: Planner):
    out = scoped(state, principal).step(plan_id, body.version, undo=False)
    state.invalidate(plan_id)
    return JSONResp(out)


@router.get("/{plan_id}/history", response_model=list[HistoryEntry], summary="The edit stack")
def history(plan_id: PlanId, state: StateDep, _: Reader):
    return JSONResp([{k: plain(v) for k, v in h.items()}
                     for h in state.planning.history(plan_id)])


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
            raise NotFoundError(f"{grid!r} 不是方案 {plan_id} 的网格。grid {grid!r} is not a grid of "
                                f"plan {plan_id}.", field="grid", value=grid,
                                fix="用 GET /plans/{id}/areas?level=grid 中的网格 id。Use a grid "
                                    "id from GET /plans/{id}/areas?level=grid.")
    box = bbox if bbox is not None or parent is None else tuple(parent.total_bounds)
    # the whole table from this worker's cache (checked against imports), else by bbox
    objs = state.all_objects().copy(deep=False) if box is None else state.store.objects(bbox=box)
    objs["microgrid"] = state.store.memberships(plan_id).reindex(objs["id"]).to_numpy()
    if parent is not None and len(objs):
        mine = areas.loc[(areas["level"] == "microgrid") & (areas["parent_id"] == grid), "id"]
        inside = objs.geometry.representative_point().intersects(parent.geometry.iat[0])
        keep = objs["microgrid"].isin(set(mine)) | (objs["microgrid"].isna() & inside)
        objs = objs[keep.to_numpy()]
    return objs


@router.get("/{plan_id}/objects", summary="Management objects with their microgrid in this plan",
            response_class=GeoJSONResp, response_model=FeatureCollection,
            responses={200: {"content": {"application/geo+json": {}}}})
def objects(plan_id: PlanId, state: StateDep, _: Reader, bbox: BBoxDep,
            grid: Annotated[str | None, Query(max_length=64,
                                              description="only the objects of this grid")] = None):
    frame = objects_frame(state, plan_id, grid=grid, bbox=bbox)
    return GeoJSONResp(feature_collection(frame, OBJECT_FIELDS, plan_id=plan_id,
                                          geometry_json=state.object_geometries(),
                                          attribution=layer_attribution(state.store, "objects",
                                                                        frame)),
                       media_type="application/geo+json")


EXPORT_TYPES = {"gpkg": "application/geopackage+sqlite3", "geojson": "application/geo+json"}


@router.get("/{plan_id}/export.{fmt}", summary="The plan's areas and object memberships as a file",
            responses={200: {"content": {t: {} for t in EXPORT_TYPES.values()}}})
def export(plan_id: PlanId, fmt: Literal["gpkg", "geojson"], state: StateDep, _: Reader):
    """GeoPackage: layers ``areas`` (every level; attrs as JSON text) and ``objects`` (with
    their microgrid); GeoJSON: one collection, ``layer`` telling which. Both attributed."""
    import json
    import tempfile
    from pathlib import Path

    import pandas as pd

    from geogrid.io import write_frame

    areas = state.plan_data(plan_id).areas.copy()
    areas["attrs"] = areas["attrs"].map(lambda v: json.dumps(plain(v or {}), ensure_ascii=False))
    every = objects_frame(state, plan_id)
    objs = every[OBJECT_FIELDS + ["geometry"]].copy()
    layers = {"areas": areas[AREA_EXPORT + ["geometry"]], "objects": objs}
    areas["attribution"] = plan_attribution(state, plan_id)
    objs["attribution"] = layer_attribution(state.store, "objects", every)
    name = f"plan-{plan_id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "geojson":
        both = pd.concat([f.assign(layer=k) for k, f in layers.items()], ignore_index=True)
        body = both.set_geometry("geometry").to_json(drop_id=True, ensure_ascii=False)
        return Response(body.encode(), media_type=EXPORT_TYPES[fmt], headers=headers)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        for layer, frame in layers.items():
            write_frame(frame, path, layer=layer)
        return Response(path.read_bytes(), media_type=EXPORT_TYPES[fmt], headers=headers)


#: the area columns exported (``attrs`` as JSON text)
AREA_EXPORT = ["id", "level", "kind", "name", "code", "parent_id", "attrs"]


@router.get("/{plan_id}/stats", response_model=StatsOut,
            summary="Households, objects, 楼组 per microgrid; CV per grid")
def stats(plan_id: PlanId, state: StateDep, _: Reader):
    return JSONResp(state.planning.stats(plan_id))


@router.get("/{plan_id}/validate", response_model=ValidateOut,
            responses={200: {"content": {"text/plain": {}}}},
            summary="Gaps, overlaps, orphans, imbalance… with locations")
def validate(plan_id: PlanId, state: StateDep, _: Reader,
             grid: Annotated[str | None, Query(
                 max_length=64, description="only this grid (with its 居民区/商务区) or one "
                                            "居民区/商务区")] = None,
             format: Literal["json", "text"] = "json"):
    report = state.planning.validate(plan_id, grid)
    if format == "text":
        return PlainTextResponse("\n\n".join(g["text"] for g in report["grids"]) or "no microgrids")
    return JSONResp(report)


@router.get("/{plan_id}/diff", response_model=DiffOut,
            summary="Objects whose microgrid differs from another plan")
def diff(plan_id: PlanId, state: StateDep, _: Reader,
         against: Annotated[str, Query(description="plan id or 'active'")] = "active"):
    other = state.resolve_plan_id(against)
    return JSONResp(state.planning.diff(plan_id, other))


@router.post("/{plan_id}/activate", response_model=PlanPublic,
             summary="Activate a draft; the old plan is retired atomically")
def activate(plan_id: PlanId, body: Versioned, state: StateDep,
             principal: Annotated[Principal, Depends(Allowed("plan.activate"))]):
    plan = scoped(state, principal).activate(plan_id, body.version)
    state.invalidate()
    prepare_locator(state, plan_id)     # built and stored once, here, not by each worker
    return JSONResp(plan_public(plan).model_dump())


@router.delete("/{plan}", status_code=204, response_class=Response, summary="Delete a draft")
def delete(plan: PlanId, state: StateDep, principal: Planner,
           version: Annotated[int, Query(ge=1, le=2**31 - 1,
                                         description=PlanVersion.description)]):
    # named ``plan`` as in GET /plans/{plan}: one path template, so the OpenAPI document has
    # one /plans/{plan} entry with both methods rather than two templates for one URL
    scoped(state, principal).delete(plan, version)
    state.invalidate(plan)
    return Response(status_code=204)
