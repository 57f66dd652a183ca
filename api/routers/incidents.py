"""Incidents: intake, the closed loop, queues, routing to responders, metrics and reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from geogrid._errors import InputError, NotFoundError, PermissionDenied
from geogrid.datum import Datum
from geogrid.dispatch.workflow import Workflow
from geogrid.security import Principal
from geogrid.store.incidents import PERSONAL_FIELDS, Intake, IncidentService

from ..auth import Allowed, PrincipalDep
from ..deps import StateDep, check_in_china
from ..geojson import plain
from ..responses import JSONResp

router = APIRouter(tags=["incidents"])

Channel = Literal["api", "12345", "patrol", "resident", "sensor", "csv", "open311"]
Creator = Annotated[Principal, Depends(Allowed("incident.create"))]
Reader = Annotated[Principal, Depends(Allowed("incident.read"))]

#: which permission each workflow action needs
ACTION_PERMISSION = {
    "start": "incident.handle", "complete": "incident.handle", "raise_hand": "incident.handle",
    "extend": "incident.handle",
}


def service(state) -> IncidentService:
    return state.shared("incidents", lambda: IncidentService(
        state.store, Workflow.default(state.settings.effective_calendar_dir)))


class Reporter(BaseModel):
    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=32, pattern=r"^[0-9+\- ]{3,32}$")


class IncidentCreate(BaseModel):
    category: str = Field(min_length=1, max_length=32, description="code, name or alias, e.g. 积水")
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    datum: Datum | None = Field(default=None, description="required with lon/lat")
    address: str | None = Field(default=None, max_length=300, description="geocoded when no lon/lat")
    channel: Channel = "api"
    description: str | None = Field(default=None, max_length=4000)
    reporter: Reporter | None = None
    reported_at: datetime | None = None
    footprint: dict | None = Field(default=None, description="GeoJSON geometry it spans (CGCS2000)")


def _check_footprint(footprint: dict, max_vertices: int) -> None:
    import shapely

    from geogrid._errors import LimitExceeded

    try:
        geom = shapely.geometry.shape(footprint)
    except Exception:
        raise InputError("footprint is not a GeoJSON geometry.", field="footprint",
                         fix="Send a GeoJSON Polygon or LineString in CGCS2000 lon/lat.") from None
    n = shapely.get_num_coordinates(geom)
    if n > max_vertices:
        raise LimitExceeded(f"footprint has {n} vertices; the limit is {max_vertices}.",
                            field="footprint", value=n, fix="Simplify the geometry.")
    if not geom.is_valid:
        raise InputError(f"footprint is invalid: {shapely.is_valid_reason(geom)}.",
                         field="footprint", fix="Send a valid geometry.")
    lo_x, lo_y, hi_x, hi_y = geom.bounds
    check_in_china(lo_x, lo_y, "footprint")
    check_in_china(hi_x, hi_y, "footprint")


def public_incident(row: dict, principal: Principal) -> dict:
    out = {k: plain(v) for k, v in row.items() if k not in ("attrs", "idempotency_key")}
    state = (row.get("attrs") or {}).get("state") or {}
    out["assignment"] = state.get("assignment")
    out["on_time"] = state.get("on_time")
    out["calendar_gap"] = state.get("calendar_gap") or []  # deadline in a year without holidays
    out["duplicates_of"] = (row.get("attrs") or {}).get("duplicates_of")
    if not principal.can("incident.personal"):
        for f in PERSONAL_FIELDS:
            out.pop(f, None)
    return out


def _scope_check(principal: Principal, row: dict) -> None:
    chain = row.get("area_chain") or {}
    code = ((chain.get("microgrid") or chain.get("grid") or chain.get("street")) or {}).get("code")
    if not principal.in_scope(code):
        raise PermissionDenied(f"{principal.username} is scoped to {principal.scope}; incident "
                               f"{row['uid']} is in {code}.", field="scope", value=code,
                               fix="Ask an admin for a wider scope.")


@router.get("/categories", summary="The incident catalogue (time limits, handlers)")
def categories(state: StateDep):
    return JSONResp([c.to_dict() for c in service(state).workflow.catalogue.categories])


@router.post("/incidents", status_code=201, summary="Report an incident (idempotent with Idempotency-Key)")
def create_incident(body: IncidentCreate, state: StateDep, principal: Creator,
                    idempotency_key: Annotated[str | None, Header(max_length=128)] = None):
    lon, lat, datum = body.lon, body.lat, body.datum
    if lon is None or lat is None:
        if not body.address:
            raise InputError("an incident needs lon/lat (with datum) or an address.",
                             field="lon/lat", fix="Send lon, lat and datum, or address.")
        from .geocode import gazetteer

        found = gazetteer(state).geocode(body.address)
        if not found.ok:
            raise InputError(f"address {body.address!r} was not found: {found.reason}",
                             field="address", value=body.address,
                             fix="Send lon/lat with datum, or a fuller address.")
        lon, lat, datum = found.lon, found.lat, Datum.CGCS2000
    elif datum is None:
        raise InputError("datum is required with lon/lat.", field="datum",
                         fix="Send datum: wgs84, cgcs2000, gcj02 or bd09.")
    else:
        check_in_china(lon, lat)
    if body.footprint is not None:
        _check_footprint(body.footprint, state.settings.max_vertices)
    plan_id = state.active_plan_id()
    item = Intake(category=body.category, lon=lon, lat=lat, datum=datum.value,
                  channel=body.channel, description=body.description, address=body.address,
                  reporter_name=body.reporter.name if body.reporter else None,
                  reporter_phone=body.reporter.phone if body.reporter else None,
                  reported_at=body.reported_at, idempotency_key=idempotency_key,
                  footprint=body.footprint)
    row, created = service(state).intake(item, actor=principal.username,
                                         locator=state.locator(plan_id), plan_id=plan_id,
                                         snap_m=state.settings.snap_distance_m)
    return JSONResp(public_incident(row, principal), status_code=201 if created else 200,
                    headers={"Location": f"/incidents/{row['uid']}",
                             "Idempotent-Replay": "false" if created else "true",
                             **({"Idempotency-Key": idempotency_key} if idempotency_key else {})})


@router.get("/incidents", summary="Incidents, filterable (overdue=true: past their deadline)")
def list_incidents(state: StateDep, principal: Reader,
                   status: Annotated[list[str] | None, Query()] = None,
                   microgrid: Annotated[str | None, Query(max_length=64)] = None,
                   category: Annotated[str | None, Query(max_length=32)] = None,
                   since: datetime | None = None, until: datetime | None = None,
                   overdue: bool = False,
                   limit: Annotated[int, Query(ge=1, le=5000)] = 500,
                   offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
    from geogrid.store.repo import now

    rows = service(state).list(status=status, microgrid=microgrid, category=category, since=since,
                               until=until, overdue_at=now() if overdue else None, limit=limit,
                               offset=offset)
    rows = [r for r in rows if principal.in_scope(_code(r))]
    return JSONResp([public_incident(r, principal) for r in rows])


def _code(row: dict) -> str | None:
    chain = row.get("area_chain") or {}
    return ((chain.get("microgrid") or chain.get("grid") or chain.get("street")) or {}).get("code")


@router.get("/incidents/{uid}", summary="One incident with its timeline")
def get_incident(uid: str, state: StateDep, principal: Reader):
    svc = service(state)
    row = svc.get(uid)
    _scope_check(principal, row)
    out = public_incident(row, principal)
    out["events"] = [{k: plain(v) for k, v in e.items() if k != "id"} for e in svc.events(uid)]
    st = svc.state(row)
    from geogrid.store.repo import now

    timer = svc.workflow.timer(st, now())
    out["timer"] = None if timer is None else {k: plain(v) for k, v in timer.__dict__.items()} \
        if hasattr(timer, "__dict__") else plain(timer._asdict())
    out["allowed_actions"] = [a.value for a in svc.workflow.allowed(st)]
    return JSONResp(out)


class ActionIn(BaseModel):
    action: str = Field(min_length=1, max_length=32, description="accept, dispatch, start, ...")
    reason: str | None = Field(default=None, max_length=2000)
    version: int | None = Field(default=None, ge=1, description="optimistic lock")
    department: str | None = Field(default=None, max_length=64)
    satisfaction: int | None = Field(default=None, ge=1, le=5)
    category: str | None = Field(default=None, max_length=32)
    extra: str | None = Field(default=None, max_length=32, description="e.g. '2 working_days'")
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    datum: Datum | None = None


@router.post("/incidents/{uid}/actions", summary="Move an incident through the loop")
def act(uid: str, body: ActionIn, state: StateDep, principal: PrincipalDep):
    principal.require(ACTION_PERMISSION.get(body.action, "incident.dispatch"))
    svc = service(state)
    row = svc.get(uid)
    _scope_check(principal, row)
    payload: dict[str, Any] = {}
    for key in ("department", "satisfaction", "category", "extra"):
        if getattr(body, key) is not None:
            payload[key] = getattr(body, key)
    locator = None
    if body.action == "relocate":
        if body.lon is None or body.lat is None or body.datum is None:
            raise InputError("relocate needs lon, lat and datum.", field="lon/lat",
                             fix="Send the corrected lon, lat and their datum.")
        check_in_china(body.lon, body.lat)
        payload.update(lon=body.lon, lat=body.lat, datum=body.datum.value,
                       snap_m=state.settings.snap_distance_m)
        locator = state.locator(row["plan_id"] or state.active_plan_id())
    out = svc.transition(uid, body.action, actor=principal.username, reason=body.reason,
                         expected_version=body.version, locator=locator, **payload)
    return JSONResp(public_incident(out, principal))


class AssignIn(BaseModel):
    responder_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                     description="the responder who goes; null clears it")


@router.post("/incidents/{uid}/responder", summary="Send a named responder (or clear the choice)")
def assign_responder(uid: str, body: AssignIn, state: StateDep,
                     principal: Annotated[Principal, Depends(Allowed("incident.dispatch"))]):
    svc = service(state)
    _scope_check(principal, svc.get(uid))
    return JSONResp(public_incident(svc.assign_responder(uid, body.responder_id,
                                                         actor=principal.username), principal))


class MergeIn(BaseModel):
    into: str = Field(min_length=1, max_length=40)


@router.post("/incidents/{uid}/merge", summary="Merge a duplicate report into another incident")
def merge(uid: str, body: MergeIn, state: StateDep,
          principal: Annotated[Principal, Depends(Allowed("incident.dispatch"))]):
    return JSONResp(public_incident(service(state).merge(uid, body.into, actor=principal.username),
                                    principal))


@router.get("/queues/{unit}", summary="Open incidents assigned to a microgrid, grid or department")
def queue(unit: str, state: StateDep, principal: Reader):
    rows = service(state).list(status=["dispatched", "handling"], handler=unit)
    rows = [r for r in rows if principal.in_scope(_code(r))]
    return JSONResp([public_incident(r, principal) for r in rows])


# -- responders and routing ---------------------------------------------------------------

def road_graph(state):
    from geogrid.routing import graph_from_lines, largest_component

    return state.shared("road_graph", lambda: largest_component(graph_from_lines(
        state.store.roads())))


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


@router.get("/responders", summary="Responders with positions and availability")
def responders(state: StateDep, principal: Reader):
    from geogrid.store.responders import list_responders

    rows = list_responders(state.store)
    if not principal.can("incident.personal"):
        for r in rows:
            r.pop("phone", None)
    return JSONResp([{k: plain(v) for k, v in r.items()} for r in rows])


@router.post("/responders", status_code=201, summary="Add a responder")
def add_responder(body: ResponderIn, state: StateDep,
                  principal: Annotated[Principal, Depends(Allowed("incident.dispatch"))]):
    from geogrid.store.responders import add_responder as add

    if body.lon is not None and body.lat is not None:
        check_in_china(body.lon, body.lat)
    rid = add(state.store, actor=principal.username, **body.model_dump())
    return JSONResp({"id": rid}, status_code=201)


@router.patch("/responders/{rid}", summary="Update a responder's position or availability")
def patch_responder(rid: Annotated[int, Path(ge=1, le=2**31 - 1)], body: ResponderPatch, state: StateDep,
                    principal: Annotated[Principal, Depends(Allowed("responder.write"))]):
    from geogrid.store.responders import update_responder

    if body.lon is not None and body.lat is not None:
        check_in_china(body.lon, body.lat)
    return JSONResp({k: plain(v) for k, v in update_responder(
        state.store, rid, actor=principal.username, **body.model_dump()).items()})


@router.get("/incidents/{uid}/route", summary="Nearest available responder by road, and the route")
def route(uid: str, state: StateDep, principal: Reader,
          responder_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None):
    from geogrid.routing import nearest_responder
    from geogrid.store.responders import list_responders

    row = service(state).get(uid)
    _scope_check(principal, row)
    people = [r for r in list_responders(state.store) if r["lon"] is not None]
    if responder_id is not None:  # route a named responder rather than the nearest
        people = [r for r in people if r["id"] == responder_id]
    if not people:
        raise NotFoundError("no responder with a position matches.", field="responder_id",
                            value=responder_id, fix="Add responders with POST /responders, or "
                            "update their position with PATCH /responders/{id}.")
    pts = np.array([[r["lon"], r["lat"]] for r in people])
    avail = np.array([bool(r["available"]) or responder_id is not None for r in people])
    idx, rt = nearest_responder(road_graph(state), (row["lon"], row["lat"]), pts, avail)
    who = {k: plain(v) for k, v in people[idx].items() if k != "phone"}
    return JSONResp({"incident": uid, "responder": who, "route": rt.to_dict()})


# -- metrics and reports ------------------------------------------------------------------

@router.get("/metrics", summary="结案率, 按期结案率, 返工率, 延期率, 每千人投诉率, satisfaction")
def metrics(state: StateDep, _: Annotated[Principal, Depends(Allowed("metrics.read"))],
            by: Literal["microgrid", "grid", "street"] = "microgrid",
            start: datetime | None = None, end: datetime | None = None,
            freq: Literal["D", "W", "M", "Q", "Y"] | None = None, as_of: datetime | None = None):
    from geogrid.dispatch import incident_metrics

    inc, ev = service(state).frames()  # cases due in the period may be reported before it
    if inc.empty:
        return JSONResp([])
    population = _population(state, by)
    table = incident_metrics(inc, ev, by=by, freq=freq, start=start, end=end, as_of=as_of,
                             population=population)
    return JSONResp([{k: plain(v) for k, v in r.items()} for r in table.reset_index().to_dict("records")])


def _population(state, by: str) -> dict[str, float]:
    """Residents per microgrid (compounds split by their buildings' households), summed up to
    ``by``'s level."""
    from geogrid.locate import ancestors

    plan_id = state.active_plan_id()
    mem = state.store.memberships(plan_id)
    if mem.empty:
        return {}
    from geogrid.dispatch.metrics import population_by_area

    leaves = state.plan_data(plan_id).areas
    pop = population_by_area(state.store.objects(), mem, leaves[leaves["id"].isin(set(mem))])
    if by == "microgrid":
        return {k: float(v) for k, v in pop.items()}
    areas = state.plan_data(plan_id).areas
    level = dict(zip(areas["id"], areas["level"]))
    up = ancestors(areas[["id", "parent_id"]])
    out: dict[str, float] = {}
    for mg, p in pop.items():
        target = next((a for a in up.get(mg, ()) if level.get(a) == by), None)
        if target is not None:
            out[target] = out.get(target, 0.0) + float(p)
    return out


@router.get("/reports/microgrid/{area_id}", summary="Yearly microgrid report (民情报告), JSON or HTML")
def yearly_report(area_id: str, state: StateDep,
                  _: Annotated[Principal, Depends(Allowed("metrics.read"))],
                  year: Annotated[int, Query(ge=2000, le=2100)],
                  format: Literal["json", "html"] = "json"):
    from geogrid.dispatch import microgrid_report, report_html

    inc, ev = service(state).frames()
    plan_id = state.active_plan_id()
    areas = state.plan_data(plan_id).areas.set_index("id")
    if area_id not in areas.index:
        raise NotFoundError(f"area {area_id!r} is not in the active plan.", field="area_id",
                            value=area_id, fix="Use an id from GET /areas?level=microgrid.")
    pop = _population(state, "microgrid").get(area_id)
    report = microgrid_report(inc, ev, microgrid=area_id, year=year,
                              name=str(areas.loc[area_id, "name"]), population_end=pop,
                              notes=["人口为估算值 (OSM 无户数, 按建筑面积估算)"])
    if format == "html":
        return HTMLResponse(report_html(report))
    return JSONResp(report)
