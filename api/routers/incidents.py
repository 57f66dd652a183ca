"""Incidents: intake, the closed loop, queues, routing to responders, metrics and reports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from geogrid.datum import Datum
from geogrid.dispatch.workflow import Status
from geogrid.errors import InputError
from geogrid.security import Principal
from geogrid.store._sql import now

from ..auth import Allowed, PrincipalDep
from ..deps import IsoTime, StateDep, check_in_china
from ..geojson import plain
from ..responses import JSONResp
from ..intake import (IncidentCreate, intake_response, personal_response, photo_public,
                      public_incident)
from ..schemas import (Created, IncidentDetail, IncidentPublic, ReportOut, ResponderPublic,
                       RouteOut)

__all__ = ["router"]

router = APIRouter(tags=["incidents"])

Creator = Annotated[Principal, Depends(Allowed("incident.create"))]
Reader = Annotated[Principal, Depends(Allowed("incident.read"))]
Dispatcher = Annotated[Principal, Depends(Allowed("incident.dispatch"))]

#: which permission each workflow action needs
ACTION_PERMISSION = {
    "start": "incident.handle", "complete": "incident.handle", "raise_hand": "incident.handle",
    "extend": "incident.handle",
}


@router.get("/categories", response_model=list[dict[str, Any]],
            summary="The incident catalogue (time limits, handlers)")
def categories(state: StateDep):
    return JSONResp([c.to_dict() for c in state.incidents.workflow.catalogue.categories])


@router.post("/incidents", status_code=201, response_model=IncidentPublic,
             summary="Report an incident (idempotent with Idempotency-Key)")
def create_incident(body: IncidentCreate, state: StateDep, principal: Creator,
                    idempotency_key: Annotated[str | None, Header(max_length=128)] = None):
    return intake_response(body, state, principal, idempotency_key)


@router.get("/incidents", response_model=list[IncidentPublic],
            summary="Incidents, filterable (overdue=true: past their deadline)")
def list_incidents(state: StateDep, principal: Reader,
                   status: Annotated[list[Status] | None, Query()] = None,
                   microgrid: Annotated[str | None, Query(max_length=64)] = None,
                   category: Annotated[str | None, Query(max_length=32)] = None,
                   since: IsoTime | None = None, until: IsoTime | None = None,
                   overdue: bool = False,
                   limit: Annotated[int, Query(ge=1, le=5000)] = 500,
                   offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
    status = [s.value for s in status] if status else None
    rows = state.incidents.list(status=status, microgrid=microgrid, category=category, since=since,
                               until=until, overdue_at=now() if overdue else None, limit=limit,
                               offset=offset)
    rows = state.incidents.visible(principal, rows)
    return personal_response([public_incident(r, principal) for r in rows], principal)


@router.get("/incidents/duplicates", response_model=list[IncidentPublic],
            summary="Open reports of the same category near a point, before saving a new one")
def nearby_duplicates(state: StateDep, principal: Reader,
                      category: Annotated[str, Query(min_length=1, max_length=32)],
                      lon: Annotated[float, Query(ge=-180, le=180)],
                      lat: Annotated[float, Query(ge=-90, le=90)],
                      datum: Datum = Datum.CGCS2000):
    check_in_china(lon, lat)
    rows = state.incidents.nearby_duplicates(principal, category, lon, lat, datum.value)
    return personal_response([public_incident(r, principal) for r in rows], principal)


@router.get("/command-queue", response_model=list[IncidentPublic],
            summary="待指挥: accepted incidents waiting for a dispatcher to dispatch them")
def command_queue(state: StateDep,
                  principal: Annotated[Principal, Depends(Allowed("incident.dispatch"))]):
    rows = state.incidents.command_queue(principal)
    return personal_response([public_incident(r, principal) for r in rows], principal)


@router.get("/incidents/{uid}", response_model=IncidentDetail,
            summary="One incident with its timeline")
def get_incident(uid: str, state: StateDep, principal: Reader):
    svc = state.incidents
    row = svc.get_for(principal, uid)
    out = public_incident(row, principal)
    out["events"] = [{k: plain(v) for k, v in e.items() if k != "id"} for e in svc.events(uid)]
    st = svc.state(row)
    timer = svc.workflow.timer(st, now())
    out["timer"] = None if timer is None else {k: plain(v) for k, v in timer.__dict__.items()} \
        if hasattr(timer, "__dict__") else plain(timer._asdict())
    out["allowed_actions"] = [a.value for a in svc.workflow.allowed(st)]
    out["photos"] = [photo_public(p) for p in state.store.photos.list([uid]).get(uid, [])]
    return personal_response(out, principal)


class ActionIn(BaseModel):
    action: str = Field(min_length=1, max_length=32, description="accept, dispatch, start, ...")
    reason: str | None = Field(default=None, max_length=2000)
    version: int | None = Field(default=None, ge=1, le=2**31 - 1, description="optimistic lock")
    department: str | None = Field(default=None, max_length=64)
    satisfaction: int | None = Field(default=None, ge=1, le=5)
    category: str | None = Field(default=None, max_length=32)
    extra: str | None = Field(default=None, max_length=32, description="e.g. '2 working_days'")
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    datum: Datum | None = None


@router.post("/incidents/{uid}/actions", response_model=IncidentPublic,
             summary="Move an incident through the loop")
def act(uid: str, body: ActionIn, state: StateDep, principal: PrincipalDep):
    principal.require(ACTION_PERMISSION.get(body.action, "incident.dispatch"))
    svc = state.incidents
    row = svc.get_for(principal, uid, "change")
    payload: dict[str, Any] = {}
    for key in ("department", "satisfaction", "category", "extra"):
        if getattr(body, key) is not None:
            payload[key] = getattr(body, key)
    locator = None
    if body.action == "relocate":
        if body.lon is None or body.lat is None or body.datum is None:
            raise InputError("改址须给出 lon、lat 和 datum。relocate needs lon, lat and datum.",
                             field="lon/lat", fix="发送更正后的经纬度及其坐标系。Send the corrected "
                                                  "lon, lat and their datum.")
        check_in_china(body.lon, body.lat)
        payload.update(lon=body.lon, lat=body.lat, datum=body.datum.value,
                       snap_m=state.settings.snap_distance_m)
        locator = state.locator(row["plan_id"] or state.active_plan_id())
    out = svc.transition(uid, body.action, actor=principal.username, reason=body.reason,
                         expected_version=body.version, locator=locator, **payload)
    return personal_response(public_incident(out, principal), principal)


@router.post("/incidents/{uid}/location/confirm", response_model=IncidentPublic,
             summary="Confirm that the incident's point is where its address is")
def confirm_location(uid: str, state: StateDep,
                     principal: Annotated[Principal, Depends(Allowed("incident.dispatch"))]):
    """The (address, point) pair joins the address database, active at once or for review
    (setting ``GEOCODE_LEARNING``); the audit log keeps who confirmed it. To correct the
    point, use the ``relocate`` action: it teaches the address the corrected point."""
    state.incidents.get_for(principal, uid, "change")
    out = state.incidents.confirm_location(uid, actor=principal.username)
    return personal_response(public_incident(out, principal), principal)


class AssignIn(BaseModel):
    responder_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                     description="the responder who goes; null clears it")


@router.post("/incidents/{uid}/responder", response_model=IncidentPublic,
             summary="Send a named responder (or clear the choice)")
def assign_responder(uid: str, body: AssignIn, state: StateDep, principal: Dispatcher):
    svc = state.incidents
    svc.get_for(principal, uid, "change")
    row = svc.assign_responder(uid, body.responder_id, actor=principal.username)
    return personal_response(public_incident(row, principal), principal)


class MergeIn(BaseModel):
    into: str = Field(min_length=1, max_length=40)


@router.post("/incidents/{uid}/merge", response_model=IncidentPublic,
             summary="Merge a duplicate report into another incident")
def merge(uid: str, body: MergeIn, state: StateDep, principal: Dispatcher):
    svc = state.incidents
    for either in (uid, body.into):
        svc.get_for(principal, either, "change")
    row = svc.merge(uid, body.into, actor=principal.username)
    return personal_response(public_incident(row, principal), principal)


@router.get("/queues/{unit}", response_model=list[IncidentPublic],
            summary="Open incidents assigned to a microgrid, grid or department")
def queue(unit: str, state: StateDep, principal: Reader):
    rows = state.incidents.visible(principal, state.incidents.queue(unit))
    return personal_response([public_incident(r, principal) for r in rows], principal)


# -- responders and routing ---------------------------------------------------------------

class ResponderIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["网格长", "专职网格员", "兼职网格员", "department"] = "专职网格员"
    department: str | None = Field(default=None, max_length=64)
    area_code: str | None = Field(default=None, pattern=r"^\d{9,15}$")
    phone: str | None = Field(default=None, max_length=32, pattern=r"^[0-9+\- ]{3,32}$")
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    datum: Datum = Datum.CGCS2000
    available: bool = True


class ResponderPatch(BaseModel):
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    datum: Datum = Datum.CGCS2000
    available: bool | None = None


@router.get("/responders", response_model=list[ResponderPublic],
            summary="Responders with positions and availability")
def responders(state: StateDep, principal: Reader):
    rows = state.responders.visible(principal)
    return personal_response([{k: plain(v) for k, v in r.items()} for r in rows], principal)


@router.post("/responders", status_code=201, response_model=Created, summary="Add a responder")
def add_responder(body: ResponderIn, state: StateDep,
                  principal: Dispatcher):
    if body.lon is not None and body.lat is not None:
        check_in_china(body.lon, body.lat)
    rid = state.responders.add(principal, **body.model_dump())
    return JSONResp({"id": rid}, status_code=201)


@router.patch("/responders/{rid}", response_model=ResponderPublic,
              summary="Update a responder's position or availability")
def patch_responder(rid: Annotated[int, Path(ge=1, le=2**31 - 1)], body: ResponderPatch, state: StateDep,
                    principal: Annotated[Principal, Depends(Allowed("responder.write"))]):
    if body.lon is not None and body.lat is not None:
        check_in_china(body.lon, body.lat)
    row = state.responders.update(principal, rid, **body.model_dump())
    return personal_response({k: plain(v) for k, v in row.items()}, principal)


@router.get("/incidents/{uid}/responders", response_model=list[dict[str, Any]],
            summary="Available responders ranked by travel time over the road network")
def ranked_responders(uid: str, state: StateDep, principal: Reader):
    row = state.incidents.get_for(principal, uid)
    return JSONResp(state.responders.ranked(row))


@router.get("/incidents/{uid}/route", response_model=RouteOut,
            summary="The chosen (else fastest available) responder's route by road")
def route(uid: str, state: StateDep, principal: Reader,
          responder_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None):
    row = state.incidents.get_for(principal, uid)
    return JSONResp(state.responders.route(row, responder_id))


# -- metrics and reports ------------------------------------------------------------------

@router.get("/metrics", response_model=list[dict[str, Any]],
            summary="结案率, 按期结案率, 返工率, 延期率, 每千人投诉率, satisfaction")
def metrics(state: StateDep, _: Annotated[Principal, Depends(Allowed("metrics.read"))],
            by: Literal["microgrid", "grid", "street"] = "microgrid",
            start: IsoTime | None = None, end: IsoTime | None = None,
            freq: Literal["D", "W", "M", "Q", "Y"] | None = None, as_of: IsoTime | None = None):
    rows = state.reports.metrics(by=by, start=start, end=end, freq=freq, as_of=as_of)
    return JSONResp([{k: plain(v) for k, v in r.items()} for r in rows])


@router.get("/reports/microgrid/{area_id}", response_model=ReportOut,
            responses={200: {"content": {"text/html": {}}}},
            summary="Yearly microgrid report (民情报告), JSON or HTML")
def yearly_report(area_id: str, state: StateDep,
                  _: Annotated[Principal, Depends(Allowed("metrics.read"))],
                  year: Annotated[int, Query(ge=2000, le=2100)],
                  format: Literal["json", "html"] = "json"):
    report = state.reports.yearly(area_id, year, html=format == "html")
    return HTMLResponse(report) if format == "html" else JSONResp(report)
