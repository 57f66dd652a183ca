"""Incident intake as the API takes it: the request model, its checks, and the public view.

Shared by the incident, photo and Open311 routers, so no router imports another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from geogrid.datum import Datum
from geogrid.errors import InputError
from geogrid.security import Principal
from geogrid.services import policy
from geogrid.services.incidents import PERSONAL_FIELDS, Intake
from geogrid.services.incidents import Reporter as ReporterData

from .deps import NO_STORE, check_in_china
from .geojson import plain
from .responses import JSONResp

__all__ = ["Reporter", "IncidentCreate", "intake_response", "public_incident",
           "personal_response", "photo_url", "photo_public", "FOOTPRINT_REACH_M"]

Channel = Literal["api", "12345", "patrol", "resident", "sensor", "csv", "open311"]


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


#: how far (m) a footprint may lie from the incident's point
FOOTPRINT_REACH_M = 1000.0


def _check_footprint(footprint: dict, max_vertices: int, point=None) -> None:
    import shapely

    from geogrid.errors import LimitExceeded

    try:
        geom = shapely.geometry.shape(footprint)
    except Exception:
        raise InputError("footprint 不是 GeoJSON 几何。footprint is not a GeoJSON geometry.",
                         field="footprint",
                         fix="发送 CGCS2000 经纬度的 GeoJSON 面或线。Send a GeoJSON Polygon or "
                             "LineString in CGCS2000 lon/lat.") from None
    n = shapely.get_num_coordinates(geom)
    if n > max_vertices:
        raise LimitExceeded(f"footprint 有 {n} 个顶点, 超过上限 {max_vertices}。footprint has {n} "
                            f"vertices; the limit is {max_vertices}.", field="footprint", value=n,
                            fix="简化几何后重发。Simplify the geometry.")
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise InputError(f"footprint 几何无效: {reason}。footprint is invalid: {reason}.",
                         field="footprint", fix="发送有效的几何 (无自相交)。Send a valid geometry.")
    lo_x, lo_y, hi_x, hi_y = geom.bounds
    check_in_china(lo_x, lo_y, "footprint")
    check_in_china(hi_x, hi_y, "footprint")
    if point is not None:
        _check_footprint_near(geom, *point)


def _check_footprint_near(geom, lon: float, lat: float, datum) -> None:
    import numpy as np
    import shapely

    from geogrid.datum import to_storage

    x, y = (float(v[0]) for v in to_storage(np.array([lon]), np.array([lat]), datum))
    d = geom.distance(shapely.Point(x, y)) * 111_000.0
    if d > FOOTPRINT_REACH_M:
        raise InputError(f"footprint 离事件点约 {d:.0f} 米, 超过 {FOOTPRINT_REACH_M:.0f} 米。"
                         f"footprint lies about {d:.0f} m from the incident's point (limit "
                         f"{FOOTPRINT_REACH_M:.0f} m).", field="footprint", value=round(d),
                         fix="检查 footprint 与经纬度是否同一地点、同一坐标系。Check the footprint and "
                             "the point describe the same place, in the same datum.")


def public_incident(row: dict, principal: Principal) -> dict:
    out = {k: plain(v) for k, v in row.items() if k not in ("attrs", "idempotency_key")}
    state = (row.get("attrs") or {}).get("state") or {}
    out["assignment"] = state.get("assignment")
    out["on_time"] = state.get("on_time")
    out["calendar_gap"] = state.get("calendar_gap") or []  # deadline in a year without holidays
    out["duplicates_of"] = (row.get("attrs") or {}).get("duplicates_of")
    # 属地兜底 and datum warnings: what a dispatcher should look at
    out["flags"] = (row.get("attrs") or {}).get("flags")
    out["warnings"] = (row.get("attrs") or {}).get("warnings")
    if not principal.can("incident.personal"):
        for f in PERSONAL_FIELDS:
            out.pop(f, None)
    return out


def personal_response(body, principal: Principal, status_code: int = 200, **headers) -> JSONResp:
    """A response that may carry personal data: never cached."""
    extra = NO_STORE if principal.can("incident.personal") else {}
    return JSONResp(body, status_code=status_code, headers={**headers, **extra} or None)


def intake_response(body: IncidentCreate, state, principal: Principal,
                    idempotency_key: str | None, also=None) -> JSONResp:
    """Check and take in one report; ``also(conn, uid)`` is written in its transaction."""
    if body.lon is not None and body.lat is not None:
        if body.datum is None:
            raise InputError("经纬度须注明坐标系。datum is required with lon/lat.", field="datum",
                             fix="发送 datum: wgs84、cgcs2000、gcj02 或 bd09。"
                                 "Send datum: wgs84, cgcs2000, gcj02 or bd09.")
        check_in_china(body.lon, body.lat)
    if body.footprint is not None:
        _check_footprint(body.footprint, state.settings.max_vertices,
                         None if body.lon is None or body.lat is None
                         else (body.lon, body.lat, body.datum))
    item = Intake(category=body.category, lon=body.lon, lat=body.lat,
                  datum=body.datum.value if body.datum else None, channel=body.channel,
                  description=body.description, address=body.address,
                  reporter=ReporterData(body.reporter.name, body.reporter.phone) if body.reporter
                  else None,
                  reported_at=body.reported_at, idempotency_key=idempotency_key,
                  footprint=body.footprint)
    row, created = state.incidents.intake(item, actor=principal.username, also=also,
                                          key_owner=str(principal.user_id or principal.username))
    out = public_incident(row, principal)
    if not created and not policy.allowed(principal, "read", policy.IncidentRef.of(row)):
        # a replay of a report outside the caller's scope shows no more than they sent
        out = {k: v for k, v in out.items() if k not in (*PERSONAL_FIELDS, "description",
                                                         "address", "events")}
    return personal_response(out, principal, status_code=201 if created else 200,
                     Location=f"/incidents/{row['uid']}",
                     **{"Idempotent-Replay": "false" if created else "true"},
                     **({"Idempotency-Key": idempotency_key} if idempotency_key else {}))


def photo_url(uid: str, photo_id: int) -> str:
    """Where a photo is served (to staff who may read its incident, never publicly)."""
    return f"/incidents/{uid}/photos/{int(photo_id)}"


def photo_public(p: dict) -> dict:
    """A photo's metadata as the API shows it (the bytes are at ``url``)."""
    return {"id": int(p["id"]), "url": photo_url(p["incident_uid"], p["id"]),
            "content_type": p["content_type"], "bytes": int(p["bytes"]),
            "width": int(p["width"]), "height": int(p["height"]),
            "created_at": plain(p["created_at"]), "created_by": p.get("created_by")}
