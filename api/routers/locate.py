"""Point → microgrid: ``/locate`` for one point or a batch, in any declared datum.

Public: the answer is the public chain of areas and contact, no personal data.
The single-point handler is deliberately lean (its response model documents the
answer; the body is orjson bytes, not validated again) because it is the dispatch hot path.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import (BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError,
                      create_model)

from geogrid.datum import Datum
from geogrid.errors import InputError, LimitExceeded
from geogrid.security import PUBLIC

from ..auth import PrincipalDep, current_principal
from ..deps import StateDep, app_state, check_in_china
from ..responses import JSONResp
from ..schemas import BatchOut, LocateOut

__all__ = ["router", "locate_point", "answer", "plain_query", "query_validator", "LocateRoute"]

#: a plain decimal, as every client sends one (anything else takes the validated path)
_DECIMAL = re.compile(rb"-?[0-9]{1,4}(?:\.[0-9]{1,15})?")
_DATUMS = {d.value.encode(): d for d in Datum}
_PLAIN_KEYS = frozenset((b"lon", b"lat", b"datum", b"snap_m"))
_RANGES = {b"lon": (-180.0, 180.0), b"lat": (-90.0, 90.0), b"snap_m": (0.0, 5000.0)}


def plain_query(scope) -> tuple[float, float, Datum, float | None] | None:
    """``(lon, lat, datum, snap_m)`` of a public ``GET /locate`` whose query is written
    plainly and holds nothing but valid values; ``None`` for anything else.

    The common dispatch call (``?lon=121.51&lat=31.23&datum=wgs84``, no token, no plan)
    is answered from this without FastAPI's per-request dependency and parameter
    solving, which costs several times the lookup itself. Everything else (a token,
    ``plan``, ``date``, percent-encoding, repeated or unknown keys, an exponent, a value
    out of range: whatever might need validating or an error) returns ``None`` and goes
    the validated way, so errors and their shape are FastAPI's own; a value accepted here
    is one that FastAPI accepts, and parses to the same float.
    """
    raw = scope.get("query_string", b"")
    if not raw or b"%" in raw or b"+" in raw:
        return None
    for key, _ in scope["headers"]:
        if key == b"authorization":
            return None
    found: dict[bytes, bytes] = {}
    for part in raw.split(b"&"):
        key, sep, value = part.partition(b"=")
        if not sep or key in found or key not in _PLAIN_KEYS:
            return None
        found[key] = value
    datum = _DATUMS.get(found.get(b"datum", b""))
    if datum is None or b"lon" not in found or b"lat" not in found:
        return None
    numbers = {}
    for key, (low, high) in _RANGES.items():
        if key in found:
            if _DECIMAL.fullmatch(found[key]) is None:
                return None
            numbers[key] = value = float(found[key])
            if not low <= value <= high:
                return None
    return numbers[b"lon"], numbers[b"lat"], datum, numbers.get(b"snap_m")


def query_validator(route: APIRoute):
    """One pydantic model of ``route``'s query parameters (their types, constraints and
    aliases as the endpoint declares them; other keys ignored, the last of a repeated key
    kept, as FastAPI does), so a query is validated in one call rather than parameter by
    parameter; ``None`` when the endpoint takes anything else than the request and query
    parameters. Its errors carry FastAPI's locations (``("query", name)``)."""
    dep = route.dependant
    if dep.path_params or dep.header_params or dep.cookie_params or dep.body_params \
            or dep.dependencies or not dep.query_params:
        return None
    fields = {f.name: (f.field_info.annotation, f.field_info) for f in dep.query_params}
    model = create_model(f"{route.name}_query", __config__=ConfigDict(extra="ignore"), **fields)

    def validate(request: Request) -> dict:
        try:
            return dict(model.model_validate(dict(request.query_params)))
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("query", *e["loc"])}
                 for e in exc.errors(include_url=False)]) from None

    return validate


class LocateRoute(APIRoute):
    """A route whose ``GET`` answers a :func:`plain_query` straight away (the public
    caller, the active plan), validates any other query with :func:`query_validator` and
    calls the endpoint; other methods take FastAPI's handler."""

    def get_route_handler(self):
        validated = super().get_route_handler()
        validate = query_validator(self) if "GET" in self.methods else None
        if validate is None:
            return validated
        endpoint, request_name = self.endpoint, self.dependant.request_param_name

        async def handler(request: Request):
            query = plain_query(request.scope)
            if query is not None:
                return answer(app_state(request), PUBLIC, *query)
            return await endpoint(**{request_name: request}, **validate(request))

        return handler


router = APIRouter(tags=["locate"], route_class=LocateRoute)

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
async def locate(request: Request, lon: Annotated[float, Query(ge=-180, le=180)],
                 lat: Annotated[float, Query(ge=-90, le=90)], datum: DatumQ,
                 plan: Annotated[str | None, Query(description="plan id; default active")] = None,
                 date: Annotated[datetime | None, Query(description="use the plan active then")] = None,
                 snap_m: Annotated[float | None, Query(ge=0, le=5000)] = None):
    # the state and the caller are read off the request rather than declared as
    # dependencies: each dependency FastAPI solves costs tens of microseconds on this, the
    # busiest route (and the plainest calls skip even these parameters: see LocateRoute)
    principal = await current_principal(request)
    return answer(app_state(request), principal, lon, lat, datum, snap_m, plan, date)


def answer(state, principal, lon: float, lat: float, datum: Datum, snap_m: float | None,
           plan: str | None = None, date: datetime | None = None) -> JSONResp:
    """The ``GET /locate`` response for validated parameters."""
    plan_id = _plan_for(state, plan, date, principal)
    return JSONResp(locate_point(state, lon, lat, datum, plan_id, snap_m))


class BatchIn(BaseModel):
    datum: Datum
    points: list[tuple[StrictNumber, StrictNumber]] = Field(description="[[lon, lat], ...]")
    plan: str | None = None
    snap_m: StrictNumber | None = Field(default=None, ge=0, le=5000)


@router.post("/locate", response_model=BatchOut, summary="Locate a batch of points (one result per point, in order)")
def locate_batch(body: BatchIn, state: StateDep, principal: PrincipalDep):
    if len(body.points) > state.settings.max_batch:
        raise LimitExceeded(f"一批 {len(body.points)} 个点，上限 {state.settings.max_batch} / batch "
                            f"has {len(body.points)} points; the limit is "
                            f"{state.settings.max_batch}.", field="points", value=len(body.points),
                            fix="分批提交，或对文件用 `geogrid locate` / split the batch, or use "
                                "`geogrid locate` on a file.")
    pts = np.asarray(body.points, dtype=float).reshape(-1, 2)
    bad = ~((np.abs(pts[:, 0]) <= 180) & (np.abs(pts[:, 1]) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"points[{i}] = {list(body.points[i])} 不是经纬度 / is not a lon/lat pair.",
                         field=f"points[{i}]", value=list(body.points[i]),
                         fix="发送 [经度, 纬度]，经度 -180..180，纬度 -90..90 / send [lon, lat] "
                             "pairs with lon in [-180, 180], lat in [-90, 90].")
    plan_id = state.visible_plan_id(body.plan, principal)
    return JSONResp(state.locating.batch(pts, body.datum, plan_id, body.snap_m))
