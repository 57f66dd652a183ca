"""Point → microgrid: ``/locate`` for one point or a batch, in any declared datum.

Public: the answer is the public chain of areas and contact, no personal data.
The single-point handler is deliberately lean (no response model, orjson
bytes) because it is the dispatch hot path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from geogrid.errors import InputError, LimitExceeded
from geogrid.datum import Datum, to_storage
from geogrid.datumcheck import check_datum

from ..auth import PrincipalDep
from ..deps import StateDep, check_in_china
from ..responses import JSONResp

router = APIRouter(tags=["locate"])

DatumQ = Annotated[Datum, Query(description="datum of lon/lat: wgs84, cgcs2000, gcj02 or bd09")]


def _plan_for(state, plan: str | None, date: datetime | None, principal=None) -> int:
    if date is not None:
        row = state.store.plan_on(date)
        if row is None:
            raise InputError(f"no plan was active on {date.isoformat()}.", field="date",
                             value=date.isoformat(), fix="Pass a later date or a plan id.")
        return int(row["id"])
    if principal is not None:
        return state.visible_plan_id(plan, principal)
    return state.resolve_plan_id(plan)


def _check_lonlat(lon: float, lat: float) -> None:
    check_in_china(lon, lat)


def locate_point(state, lon: float, lat: float, datum: Datum, plan_id: int,
                 snap_m: float | None) -> dict:
    _check_lonlat(lon, lat)
    x, y = (float(v[0]) for v in to_storage(np.array([lon]), np.array([lat]), datum))
    locator = state.locator(plan_id)
    snap = state.settings.snap_distance_m if snap_m is None else snap_m
    try:
        hit = locator.locate_one(x, y, snap_m=snap)
    except Exception:
        warning = check_datum(lon, lat, datum, locator, state.buildings())
        if warning:
            from geogrid.errors import OutOfCoverageError
            raise OutOfCoverageError(
                f"({lon}, {lat}) in {datum.value} is outside every area; {warning['message']}",
                field="datum", value=datum.value,
                fix=f"Resend with datum={warning['likely']} if that is where the point came from.")
        raise
    out = {"plan_id": plan_id, "point": [round(x, 7), round(y, 7)],
           "input": {"lon": lon, "lat": lat, "datum": datum.value}, **hit}
    if hit["snapped"]:
        out["warnings"] = [f"outside every area; snapped {hit['distance_m']:.1f} m to the nearest"]
        warning = check_datum(lon, lat, datum, locator, state.buildings())
        if warning:
            out["warnings"].append(warning["message"])
            out["datum_warning"] = warning
    return out


@router.get("/locate", summary="Which microgrid is this point in (and its whole chain)")
async def locate(state: StateDep, principal: PrincipalDep, lon: Annotated[float, Query(ge=-180, le=180)],
                 lat: Annotated[float, Query(ge=-90, le=90)], datum: DatumQ,
                 plan: Annotated[str | None, Query(description="plan id; default active")] = None,
                 date: Annotated[datetime | None, Query(description="use the plan active then")] = None,
                 snap_m: Annotated[float | None, Query(ge=0, le=5000)] = None):
    plan_id = _plan_for(state, plan, date, principal)
    return JSONResp(locate_point(state, lon, lat, datum, plan_id, snap_m))


class BatchIn(BaseModel):
    datum: Datum
    points: list[tuple[float, float]] = Field(description="[[lon, lat], ...]")
    plan: str | None = None
    snap_m: float | None = Field(default=None, ge=0, le=5000)


@router.post("/locate", summary="Locate a batch of points (one result per point, in order)")
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
    x, y = to_storage(pts[:, 0], pts[:, 1], body.datum)
    snap = state.settings.snap_distance_m if body.snap_m is None else body.snap_m
    frame = state.locator(plan_id).locate_many(x, y, snap_m=snap)
    leaf = frame.columns[0]
    results = [{"area_id": a, "code": c, "grid_id": g, "snapped": bool(s),
                "distance_m": None if not np.isfinite(d) else round(float(d), 2)}
               for a, c, g, s, d in zip(frame[leaf], frame.iloc[:, 1], frame["grid_id"],
                                        frame["snapped"], frame["distance_m"])]
    return JSONResp({"plan_id": plan_id, "level": leaf.removesuffix("_id"), "count": len(results),
                     "located": int(frame[leaf].notna().sum()), "results": results})
