"""Point → microgrid: ``/locate`` for one point or a batch, in any declared datum.

Public: the answer is the public chain of areas and contact, no personal data.
The single-point handler is deliberately lean (its response model documents the
answer; the body is orjson bytes, not validated again) because it is the dispatch hot path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, StrictFloat, StrictInt

from geogrid.datum import Datum
from geogrid.errors import InputError, LimitExceeded

from ..auth import PrincipalDep
from ..deps import StateDep, app_state, check_in_china
from ..responses import JSONResp
from ..schemas import BatchOut, LocateOut

__all__ = ["router", "locate_point"]

router = APIRouter(tags=["locate"])

#: a JSON number, not a boolean (pydantic would read false as 0)
StrictNumber = StrictInt | StrictFloat
DatumQ = Annotated[Datum, Query(description="datum of lon/lat: wgs84, cgcs2000, gcj02 or bd09")]


def _plan_for(state, plan: str | None, date: datetime | None, principal=None) -> int:
    if date is not None:
        row = state.store.plan_on(date)
        if row is None:
            raise InputError(f"{date.isoformat()} 时没有已启用的方案。no plan was active on "
                             f"{date.isoformat()}.", field="date", value=date.isoformat(),
                             fix="传更晚的日期或方案编号。Pass a later date or a plan id.")
        return int(row["id"])
    if principal is not None:
        return state.visible_plan_id(plan, principal)
    return state.resolve_plan_id(plan)


def locate_point(state, lon: float, lat: float, datum: Datum, plan_id: int,
                 snap_m: float | None) -> dict:
    """Check the point is in China, then :meth:`LocatingService.point` (kept for callers)."""
    check_in_china(lon, lat)
    return state.locating.point(lon, lat, datum, plan_id, snap_m)


@router.get("/locate", response_model=LocateOut, summary="Which microgrid is this point in (and its whole chain)")
async def locate(request: Request, principal: PrincipalDep, lon: Annotated[float, Query(ge=-180, le=180)],
                 lat: Annotated[float, Query(ge=-90, le=90)], datum: DatumQ,
                 plan: Annotated[str | None, Query(description="plan id; default active")] = None,
                 date: Annotated[datetime | None, Query(description="use the plan active then")] = None,
                 snap_m: Annotated[float | None, Query(ge=0, le=5000)] = None):
    # the state is read off the request rather than declared as a dependency: each
    # dependency FastAPI solves costs tens of microseconds on this, the busiest route
    state = app_state(request)
    plan_id = _plan_for(state, plan, date, principal)
    return JSONResp(locate_point(state, lon, lat, datum, plan_id, snap_m))


class BatchIn(BaseModel):
    datum: Datum
    points: list[tuple[StrictNumber, StrictNumber]] = Field(description="[[lon, lat], ...]")
    plan: str | None = None
    snap_m: float | None = Field(default=None, ge=0, le=5000)


@router.post("/locate", response_model=BatchOut, summary="Locate a batch of points (one result per point, in order)")
def locate_batch(body: BatchIn, state: StateDep, principal: PrincipalDep):
    if len(body.points) > state.settings.max_batch:
        raise LimitExceeded(f"batch has {len(body.points)} points; the limit is "
                            f"{state.settings.max_batch}.", field="points", value=len(body.points),
                            fix="Split the batch, or use `geogrid locate` on a file.")
    pts = np.asarray(body.points, dtype=float).reshape(-1, 2)
    bad = ~((np.abs(pts[:, 0]) <= 180) & (np.abs(pts[:, 1]) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"points[{i}] = {body.points[i]} is not a lon/lat pair.",
                         field=f"points[{i}]", value=list(body.points[i]),
                         fix="Send [lon, lat] pairs with lon in [-180, 180], lat in [-90, 90].")
    plan_id = state.visible_plan_id(body.plan, principal)
    return JSONResp(state.locating.batch(pts, body.datum, plan_id, body.snap_m))
