"""Webhook subscribers (admin) and the delivery log; the dispatcher runs with the app.

Settings (environment, ``GEOGRID_WEBHOOK_`` prefix): ``ENABLED`` (default
true), ``POLL_S`` (1), ``RETRY_BASE_S`` (2), ``RETRY_MAX_S`` (600),
``MAX_ATTEMPTS`` (20), ``TIMEOUT_S`` (5). See :mod:`geogrid.services.webhooks`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Response
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from geogrid.security import Principal
from geogrid.services import webhooks as hooks
from geogrid.store import webhooks as W

from ..auth import Allowed
from ..deps import StateDep
from ..geojson import plain
from ..responses import JSONResp

__all__ = ["router", "WebhookSettings", "start_delivery"]


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GEOGRID_WEBHOOK_", env_file=".env",
                                      extra="ignore")

    enabled: bool = True
    poll_s: float = Field(default=1.0, gt=0, le=3600)
    retry_base_s: float = Field(default=2.0, gt=0, le=3600)
    retry_max_s: float = Field(default=600.0, gt=0, le=86400)
    max_attempts: int = Field(default=20, ge=1, le=100)
    timeout_s: float = Field(default=5.0, gt=0, le=60)


def start_delivery(app: FastAPI) -> hooks.Dispatcher | None:
    """Start this worker's delivery loop (the app does, once its store is open); ``None``
    when delivery is turned off or the app has no store."""
    cfg = WebhookSettings()
    if not cfg.enabled or getattr(app.state, "geo", None) is None:
        return None
    dispatcher = hooks.Dispatcher(
        app.state.geo.store, poll_s=cfg.poll_s, timeout_s=cfg.timeout_s,
        policy=hooks.RetryPolicy(cfg.retry_base_s, cfg.retry_max_s, cfg.max_attempts))
    dispatcher.start()
    return dispatcher


router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses={
    s: {"description": "错误 / error: {error: {code, message, field, value, fix}}"}
    for s in (401, 403, 404, 422, 503)})
Admin = Annotated[Principal, Depends(Allowed("webhooks.manage"))]
EventType = Literal["incident.created", "incident.status_changed", "incident.overdue",
                    "plan.activated", "*"]


#: whsec_ (optional) + base64 of at least 24 bytes: what ``WebhookCreate._secret`` accepts
SECRET = r"^(whsec_)?(?:[A-Za-z0-9+/]{4}){8,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class WebhookCreate(BaseModel):
    url: str = Field(min_length=8, max_length=500, pattern=r"^https?://[^\s]+$",
                     description="接收地址 / receiver URL (http or https)")
    events: list[EventType] = Field(default=["*"], min_length=1, max_length=5)
    description: str | None = Field(default=None, max_length=200)
    secret: str | None = Field(default=None, min_length=30, max_length=200, pattern=SECRET,
                               description="whsec_… (Standard Webhooks); generated when absent")

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        import base64
        import binascii

        if value is None:
            return None
        try:
            if len(base64.b64decode(value.removeprefix("whsec_"), validate=True)) < 24:
                raise ValueError
        except (binascii.Error, ValueError):
            raise ValueError("secret 须为 whsec_ 加 base64（至少 24 字节）/ must be whsec_ + "
                             "base64 of at least 24 bytes") from None
        return value


def _out(row: dict) -> dict:
    """JSON values, times in Beijing time (+08:00) like every other timestamp we publish."""
    return {k: hooks.iso(v) if isinstance(v, datetime) else plain(v) for k, v in row.items()}


def _public(sub: dict) -> dict:
    return _out({k: v for k, v in sub.items() if k != "secret"})


@router.post("", status_code=201,
             summary="Add a webhook subscriber (admin); the secret is shown once")
def add(body: WebhookCreate, state: StateDep, admin: Admin):
    secret = body.secret or hooks.new_secret()
    sub = W.add_subscriber(state.store, url=body.url, secret=secret, events=body.events,
                           description=body.description, actor=admin.username)
    return JSONResp({**_public(sub), "secret": secret}, status_code=201)


@router.get("", summary="Webhook subscribers (admin)")
def list_all(state: StateDep, _: Admin):
    return JSONResp([_public(s) for s in W.list_subscribers(state.store)])


@router.delete("/{sid:int}", status_code=204,
               summary="Remove a subscriber and its deliveries (admin)")
def remove(sid: Annotated[int, Path(ge=1, le=2**31 - 1)], state: StateDep, admin: Admin):
    W.delete_subscriber(state.store, sid, actor=admin.username)
    return Response(status_code=204)


@router.get("/deliveries", summary="The delivery log, newest first (admin)")
def deliveries(state: StateDep, _: Admin,
               subscriber_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
               status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    rows = W.delivery_log(state.store, subscriber_id=subscriber_id, status=status, limit=limit)
    return JSONResp([_out(r) for r in rows])
