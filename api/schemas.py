"""Response models of the JSON endpoints, so OpenAPI describes what is really returned.

Models are open (``extra="allow"``): the documented keys are always there and
typed; an answer may carry more (e.g. personal fields for roles that see them).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["Open", "Feature", "FeatureCollection", "IncidentPublic", "IncidentDetail",
           "ResponderPublic", "Created", "RouteOut",
           "LocateOut", "BatchResult", "BatchOut", "AuditEntry", "ReportOut"]


class Open(BaseModel):
    """An answer whose documented keys are always there; more may follow."""
    model_config = ConfigDict(extra="allow")


class IncidentPublic(Open):
    id: int
    uid: str
    channel: str
    category: str
    status: str
    lon: float
    lat: float
    input_datum: str
    reported_at: str
    version: int
    microgrid_uid: str | None = None
    handler: str | None = None
    handler_kind: str | None = None
    participants: list[str] | None = None
    area_chain: dict[str, Any] | None = None
    assignment: dict[str, Any] | None = None
    flags: list[str] | None = None
    warnings: list[str] | None = None
    calendar_gap: list[Any] | None = None


class IncidentDetail(IncidentPublic):
    events: list[dict[str, Any]]
    timer: dict[str, Any] | None = None
    allowed_actions: list[str]
    photos: list[dict[str, Any]] = []


class ResponderPublic(Open):
    id: int
    name: str
    role: str
    lon: float | None = None
    lat: float | None = None
    available: bool


class Created(BaseModel):
    id: int


class RouteOut(Open):
    incident: str
    responder: dict[str, Any]
    route: dict[str, Any]


class LocateOut(Open):
    plan_id: int
    point: list[float]
    input: dict[str, Any]
    chain: dict[str, Any]
    leaf: str
    snapped: bool
    distance_m: float
    warnings: list[str] | None = None
    calendar_gap: list[Any] | None = None
    datum_warning: dict[str, Any] | None = None


class BatchResult(BaseModel):
    area_id: str | None = None
    code: str | None = None
    grid_id: str | None = None
    snapped: bool
    distance_m: float | None = None


class BatchOut(BaseModel):
    plan_id: int
    level: str
    count: int
    located: int
    results: list[BatchResult]


class AuditEntry(Open):
    id: int
    at: str
    actor: str | None = None
    action: str
    entity: str
    entity_id: str | None = None


class ReportOut(Open):
    """The 民情报告 of one microgrid (JSON); ``format=html`` gives the page."""


class Feature(Open):
    """A GeoJSON Feature (RFC 7946), lon/lat."""
    type: str
    id: str | int | None = None
    properties: dict[str, Any]
    geometry: dict[str, Any] | None = None


class FeatureCollection(Open):
    """A GeoJSON FeatureCollection (RFC 7946); ``plan_id`` and ``attribution`` when known."""
    type: str
    features: list[Feature]
