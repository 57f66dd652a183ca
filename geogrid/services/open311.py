"""Open311 GeoReport v2 as the specification reads, mapped onto the closed loop.

The use cases behind ``/open311/v2``: discovery, the service list and
definitions (with attributes derived from the category catalogue), creating a
request through the ordinary incident intake, and reading requests.

Who sees what
    Reading requests is public, as the specification makes it. The public sees
    no personal data, no free-text description or address, and no position
    finer than the public map: ``lat``/``long`` are the representative point of
    the microgrid the incident was filed in (``position_precision`` says so).
    Staff whose scope covers the incident get the full record; personal fields
    (reporter, phone, email, device and account ids) only with the ``incident.personal`` permission.
    Staff outside the incident's scope get the public view.

Times
    Every timestamp is ISO 8601 in Beijing time with one offset, ``+08:00``.

Statuses
    reported, accepted, dispatched, handling, verifying, evaluating → ``open``;
    closed, rejected → ``closed``; ``status_notes`` names the loop stage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from .._errors import InputError, NotFoundError
from ..dispatch import IncidentState, Status
from ..dispatch.calendar import BEIJING
from ..dispatch.catalogue import Catalogue, Category
from ..security import Principal
from . import policy

__all__ = ["CLOSED", "DEFAULT_WINDOW", "OpenRequest", "iso", "discovery", "service_list",
           "service_definition", "parse_attributes", "check_attributes", "incident_code",
           "AreaInfo", "area_index", "public_point", "agency_name", "request_view", "status_of", "create_request"]

CLOSED = frozenset({"closed", "rejected"})
#: GET requests without dates covers the most recent 90 days, as the specification says
DEFAULT_WINDOW = timedelta(days=90)
_LISTS = ("singlevaluelist", "multivaluelist")


def iso(value: datetime | str | None) -> str | None:
    """ISO 8601 in Beijing time, ``+08:00``, to the second (naive values are UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        from datetime import UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING).isoformat(timespec="seconds")


def discovery(base_url: str, *, changeset: datetime) -> dict:
    """The GeoReport discovery document for this server."""
    return {
        "changeset": iso(changeset), "contact": "街道城运中心 / street operations centre",
        "key_service": "向管理员申请 API 令牌 / Ask an administrator for an API token.",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2", "url": base_url,
            "changeset": iso(changeset), "type": "production",
            "formats": ["text/xml", "application/json"]}],
    }


def attributes(cat: Category) -> list[dict]:
    """The service definition attributes of a category.

    ``time_limit`` is informational (``variable`` false): the time limit and the
    handler from the catalogue. ``location_detail`` asks where exactly. ``hazard``
    asks whether people are in danger; it is required for the 三必到 categories
    (emergencies, disputes, major events), which leaders attend in person.
    """
    limit = f"处置时限 {cat.time_limit.zh}，由{cat.handler}处置 / time limit {cat.time_limit}, " \
            f"handled by {cat.handler}"
    return [
        {"variable": False, "code": "time_limit", "datatype": "string", "required": False,
         "datatype_description": None, "order": 1, "description": limit},
        {"variable": True, "code": "location_detail", "datatype": "string", "required": False,
         "datatype_description": "楼号、单元、楼层或部位 / building, unit, floor or spot",
         "order": 2, "description": "具体位置 / where exactly"},
        {"variable": True, "code": "hazard", "datatype": "singlevaluelist",
         "required": cat.must_attend is not None, "datatype_description": None, "order": 3,
         "description": "是否危及人身安全 / are people in danger?",
         "values": [{"key": "yes", "name": "是 / yes"}, {"key": "no", "name": "否 / no"}]},
    ]


def service_list(catalogue: Catalogue) -> list[dict]:
    return [{**c.to_open311(), "metadata": True} for c in catalogue]


def _category(catalogue: Catalogue, service_code: str) -> Category:
    cat = catalogue.find(service_code)
    if cat is None:
        raise NotFoundError(f"service_code {service_code!r} 不存在 / is not known.",
                            field="service_code", value=service_code,
                            fix="用 GET /open311/v2/services.xml (或 .json) 查看服务。List "
                                "services with GET /open311/v2/services.xml (or .json).")
    return cat


def service_definition(catalogue: Catalogue, service_code: str) -> dict:
    cat = _category(catalogue, service_code)
    return {"service_code": cat.service_code, "attributes": attributes(cat)}


def parse_attributes(form: Mapping[str, Any] | Any) -> dict[str, Any]:
    """``attribute[code]`` and ``attribute[code][]`` form fields → {code: value or [values]}."""
    out: dict[str, Any] = {}
    items = form.multi_items() if hasattr(form, "multi_items") else list(dict(form).items())
    for key, value in items:
        if not key.startswith("attribute[") or not key.endswith("]"):
            continue
        code = key[len("attribute["):].removesuffix("[]").removesuffix("]")
        if key.endswith("[]"):
            out.setdefault(code, []).append(str(value))
        else:
            out[code] = str(value)
    return out


def check_attributes(catalogue: Catalogue, service_code: str, given: dict[str, Any]) -> dict:
    """Check answers against the definition; report every problem at once."""
    defs = {a["code"]: a for a in attributes(_category(catalogue, service_code)) if a["variable"]}
    problems = [f"attribute[{c}] 未定义 / is not defined" for c in given if c not in defs]
    for code, a in defs.items():
        value = given.get(code)
        if value in (None, "", []):
            if a["required"]:
                problems.append(f"attribute[{code}] 必填 / is required")
            continue
        if a["datatype"] in _LISTS:
            keys = {v["key"] for v in a["values"]}
            bad = [v for v in (value if isinstance(value, list) else [value]) if v not in keys]
            if bad or (a["datatype"] == "singlevaluelist" and isinstance(value, list)):
                problems.append(f"attribute[{code}]={value!r} 不在 / not in {sorted(keys)}")
        elif isinstance(value, list) or len(value) > 500:
            problems.append(f"attribute[{code}] 应为一个不超过500字的值 / takes one value of "
                            "at most 500 characters")
    if problems:
        raise InputError("; ".join(problems), field="attribute", value=given,
                         fix=f"属性见 GET /open311/v2/services/{service_code}.xml。See GET "
                             f"/open311/v2/services/{service_code}.xml for the attributes.")
    return {k: v for k, v in given.items() if v not in (None, "", [])}


@dataclass
class OpenRequest:
    """What a GeoReport v2 client posted, beyond the incident fields."""

    service_code: str
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def status_of(row: Mapping[str, Any]) -> str:
    return "closed" if row["status"] in CLOSED else "open"


def incident_code(row: Mapping[str, Any]) -> str | None:
    """The most specific code of the incident's area chain (microgrid, community, grid,
    street); scope is decided on the whole chain by :mod:`.policy`."""
    return policy.incident_code(dict(row))


def _area_id(row: Mapping[str, Any]) -> str | None:
    chain = row.get("area_chain") or {}
    return (chain.get("microgrid") or {}).get("id") or row.get("microgrid_uid")


@dataclass(frozen=True)
class AreaInfo:
    name: str
    code: str | None
    parent_id: str | None
    point: tuple[float, float]  # representative point (lon, lat), inside the area


def area_index(areas: gpd.GeoDataFrame) -> dict[str, AreaInfo]:
    """Area id → name, code, parent and representative point; built once per plan version."""
    pts = shapely.point_on_surface(np.asarray(areas.geometry.values))
    xs, ys = shapely.get_x(pts), shapely.get_y(pts)
    return {str(i): AreaInfo(n, None if c is None else str(c), p, (round(float(x), 6),
                                                                    round(float(y), 6)))
            for i, n, c, p, x, y in zip(areas["id"], areas["name"], areas["code"],
                                        areas["parent_id"], xs, ys)}


def public_point(row: Mapping[str, Any],
                 index: Mapping[str, AreaInfo] | None) -> tuple[float, float, str]:
    """(lon, lat, precision): the microgrid's representative point, which the public map
    shows anyway; without the area, the centre of the 0.01° cell (about 1 km) it falls in."""
    info = (index or {}).get(_area_id(row) or "")
    if info is not None:
        return info.point[0], info.point[1], "microgrid"
    cell = 0.01
    lon, lat = ((v // cell + 0.5) * cell for v in (row["lon"], row["lat"]))
    return round(lon, 6), round(lat, 6), "0.01deg"


def agency_name(row: Mapping[str, Any], index: Mapping[str, AreaInfo] | None,
                teams: Mapping[str, str]) -> str:
    """The name of who handles it: a department, or the team covering the handling area
    (its own, else the nearest ancestor's: 属地兜底)."""
    handler = row.get("handler")
    if not handler:
        return "街道城运中心（待派遣）/ operations centre (awaiting dispatch)"
    if row.get("handler_kind") == "department" or not index:
        return str(handler)
    node, first_name, seen = handler, None, set()
    while node is not None and node in index and node not in seen:
        seen.add(node)
        info = index[node]
        first_name = first_name or info.name
        if teams.get(str(info.code)):
            return teams[str(info.code)]
        node = info.parent_id
    return f"{first_name}网格团队" if first_name else str(handler)


def _area_label(row: Mapping[str, Any]) -> str | None:
    chain = row.get("area_chain") or {}
    names = [(chain.get(k) or {}).get("name") for k in ("community", "grid", "microgrid")]
    names = [n for n in names if n]
    return " ".join(names) or None


def request_view(row: Mapping[str, Any], *, principal: Principal, catalogue: Catalogue,
                 index: Mapping[str, AreaInfo] | None, teams: Mapping[str, str],
                 extras: Mapping[str, Any] | None, photo_url: str | None = None) -> dict:
    """One request as GeoReport v2 fields: the full record for staff in scope, else public.

    ``photo_url``: the first stored photo's address; it is the ``media_url`` of the full
    record only (the photo is served to staff who may read the incident, never publicly)."""
    cat = catalogue.find(row["category"])
    state = IncidentState.from_dict(row["attrs"]["state"]) if row.get("attrs") else None
    extras = extras or {}
    full = policy.allowed(principal, "read", policy.IncidentRef.of(dict(row)))
    out = {
        "service_request_id": row["uid"], "status": status_of(row),
        "status_notes": f"{Status(row['status']).zh} ({row['status']})",
        "service_name": cat.name if cat else row["category"],
        "service_code": cat.service_code if cat else row["category"],
        "description": None, "agency_responsible": agency_name(row, index, teams),
        "service_notice": None,
        "requested_datetime": iso(row.get("reported_at")),
        "updated_datetime": iso(state.updated_at if state else row.get("reported_at")),
        "expected_datetime": iso(row.get("deadline_at")),
        "address": _area_label(row), "address_id": None, "zipcode": None,
        "media_url": extras.get("media_url"),
    }
    if not full:
        lon, lat, precision = public_point(row, index)
        return out | {"lat": lat, "long": lon, "position_precision": precision}
    out |= {"description": row.get("description"), "address": row.get("address") or out["address"],
            "address_id": extras.get("address_id"), "lat": row["lat"], "long": row["lon"],
            "position_precision": "exact", "channel": row.get("channel"),
            "attributes": extras.get("attributes") or {},
            "media_url": photo_url or extras.get("media_url")}
    if principal.can("incident.personal"):
        out |= {"reporter_name": row.get("reporter_name"), "phone": row.get("reporter_phone"),
                "email": extras.get("email"), "device_id": extras.get("device_id"),
                "account_id": extras.get("account_id")}
    return out


def create_request(req: OpenRequest, *, catalogue: Catalogue,
                   intake: Callable[..., tuple[dict, bool]],
                   save_extras: Callable[..., str],
                   geocode: Callable[[str], tuple[float, float, str]] | None = None,
                   person: Mapping[str, Any] | None = None) -> tuple[dict, bool, str]:
    """Create an incident from a GeoReport v2 POST through the ordinary intake.

    ``intake(item, also)`` is the incident intake (it takes an
    :class:`~geogrid.services.incidents.Intake` and writes ``also(conn, uid)`` in the
    incident's transaction); ``save_extras(uid, extras, conn=None)`` records the Open311
    extras and returns the request's token. The extras (email, device and account ids…)
    are written with the incident, so a failure leaves neither. Returns
    (incident row, created, token).
    """
    from .incidents import Intake, Reporter

    cat = _category(catalogue, req.service_code)
    attrs = check_attributes(catalogue, req.service_code, req.extras.get("attributes") or {})
    lon, lat, datum = req.long, req.lat, (person or {}).get("datum", "wgs84")
    if lon is None or lat is None:
        if (lon is None) != (lat is None):
            raise InputError("lat 与 long 须同时给出 / lat and long go together.",
                             field="lat/long",
                             fix="同时发送 lat 和 long, 或改用 address_string。Send both lat and "
                                 "long, or address_string instead.")
        if not req.address_string or geocode is None:
            raise InputError("缺少位置 / a request needs lat/long or address_string.",
                             field="lat/long", value=req.extras.get("address_id"),
                             fix="发送 lat 和 long (WGS84, 或注明 datum), 或 address_string。Send lat "
                                 "and long (WGS84, or name the datum), or address_string.")
        lon, lat, datum = geocode(req.address_string)
    p = dict(person or {})
    name = " ".join(v for v in (p.get("last_name"), p.get("first_name")) if v) or None
    item = Intake(category=cat.code, lon=lon, lat=lat, datum=datum, channel="open311",
                  description=p.get("description"), address=req.address_string,
                  reporter=Reporter(name, p.get("phone")),
                  idempotency_key=p.get("idempotency_key"))
    extras = {**req.extras, "attributes": attrs or None}
    saved: dict[str, str] = {}
    row, created = intake(item, lambda conn, uid: saved.update(
        token=save_extras(uid, extras, conn=conn)))
    token = saved.get("token") or save_extras(row["uid"], extras)  # a replay: the first token
    return row, created, token
