"""Open311 GeoReport v2 (services; requests POST and GET), mapped onto the closed loop.

Statuses map as: reported, accepted, dispatched, handling, verifying,
evaluating → ``open``; closed, rejected → ``closed`` (``status_notes`` gives
the loop stage in Chinese). Coordinates are WGS84 as the standard says; the
extension field ``datum`` accepts gcj02 / bd09 / cgcs2000 as well.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Header, Query

from geogrid.errors import NotFoundError
from geogrid.datum import Datum
from geogrid.dispatch import Status
from geogrid.security import Principal
from geogrid.services.incidents import Intake

from ..auth import Allowed
from ..deps import StateDep
from ..responses import JSONResp
from ..shared import service

router = APIRouter(prefix="/open311/v2", tags=["open311"])
CLOSED = {"closed", "rejected"}


def _status(row: dict) -> str:
    return "closed" if row["status"] in CLOSED else "open"


def _request(row: dict, svc) -> dict:
    cat = svc.workflow.catalogue.find(row["category"])
    return {
        "service_request_id": row["uid"], "status": _status(row),
        "status_notes": Status(row["status"]).zh,
        "service_name": cat.name if cat else row["category"],
        "service_code": cat.service_code if cat else row["category"],
        "description": row.get("description"),
        "agency_responsible": row.get("handler"),
        "requested_datetime": row["reported_at"].isoformat() if row.get("reported_at") else None,
        "updated_datetime": (row.get("attrs") or {}).get("state", {}).get("updated_at"),
        "expected_datetime": row["deadline_at"].isoformat() if row.get("deadline_at") else None,
        "address": row.get("address"), "lat": row["lat"], "long": row["lon"],
    }


@router.get("/services.json", summary="Open311 service list")
def services(state: StateDep):
    return JSONResp(service(state).workflow.catalogue.services())


@router.get("/services/{service_code}.json", summary="Open311 service definition")
def service_definition(service_code: str, state: StateDep):
    cat = service(state).workflow.catalogue.find(service_code)
    if cat is None:
        raise NotFoundError(f"service_code {service_code!r} is not known.", field="service_code",
                            value=service_code, fix="List services with GET /open311/v2/services.json.")
    return JSONResp({"service_code": cat.service_code, "attributes": []})


@router.post("/requests.json", summary="Open311: create a service request")
def create_request(
    state: StateDep, principal: Annotated[Principal, Depends(Allowed("incident.create"))],
    service_code: Annotated[str, Form(max_length=64)],
    lat: Annotated[float, Form(ge=-90, le=90)], long: Annotated[float, Form(ge=-180, le=180)],
    description: Annotated[str | None, Form(max_length=4000)] = None,
    address_string: Annotated[str | None, Form(max_length=300)] = None,
    first_name: Annotated[str | None, Form(max_length=50)] = None,
    last_name: Annotated[str | None, Form(max_length=50)] = None,
    phone: Annotated[str | None, Form(max_length=32, pattern=r"^[0-9+\- ]{3,32}$")] = None,
    datum: Annotated[Datum, Form(description="extension: the datum of lat/long")] = Datum.WGS84,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
):
    svc = service(state)
    cat = svc.workflow.catalogue.find(service_code)
    plan_id = state.active_plan_id()
    name = " ".join(p for p in (last_name, first_name) if p) or None
    row, _ = svc.intake(Intake(category=cat.code if cat else service_code, lon=long, lat=lat,
                               datum=datum.value, channel="open311", description=description,
                               address=address_string, reporter_name=name, reporter_phone=phone,
                               idempotency_key=idempotency_key),
                        actor=principal.username, locator=state.locator(plan_id), plan_id=plan_id,
                        snap_m=state.settings.snap_distance_m)
    return JSONResp([{"service_request_id": row["uid"], "account_id": None,
                      "service_notice": f"已派至 {row.get('handler')}"}], status_code=201)


@router.get("/requests.json", summary="Open311: service requests")
def list_requests(state: StateDep, principal: Annotated[Principal, Depends(Allowed("incident.read"))],
                  service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
                  service_code: Annotated[str | None, Query(max_length=64)] = None,
                  start_date: datetime | None = None, end_date: datetime | None = None,
                  status: Annotated[str | None, Query(pattern=r"^(open|closed)(,(open|closed))?$")] = None):
    svc = service(state)
    if service_request_id:
        rows = []
        for uid in service_request_id.split(","):
            try:
                rows.append(svc.get(uid.strip()))
            except NotFoundError:
                continue
    else:
        cat = svc.workflow.catalogue.find(service_code) if service_code else None
        rows = svc.list(category=cat.code if cat else None, since=start_date, until=end_date,
                        limit=1000)
    wanted = set(status.split(",")) if status else {"open", "closed"}
    return JSONResp([_request(r, svc) for r in rows if _status(r) in wanted])


@router.get("/requests/{uid}.json", summary="Open311: one service request")
def get_request(uid: str, state: StateDep,
                _: Annotated[Principal, Depends(Allowed("incident.read"))]):
    svc = service(state)
    return JSONResp([_request(svc.get(uid), svc)])
