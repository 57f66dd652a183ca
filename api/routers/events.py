"""Live incident changes as Server-Sent Events: ``GET /events/incidents``.

The stream polls the store's change sequence (the id of the newest timeline
event; every intake and every step adds one) every ``GEOGRID_EVENTS_POLL_S``
seconds (default 1), so a change written by any worker of any store is seen.
Each change is one ``incident`` event whose ``id`` is that sequence number; a
client that reconnects with ``Last-Event-ID`` (or ``?after=``) gets what it
missed. Only incidents the caller may read are sent. A comment line every
``GEOGRID_EVENTS_KEEPALIVE_S`` seconds keeps proxies from closing the stream.
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from geogrid.security import Principal

from ..auth import Allowed
from ..deps import StateDep
from ..geojson import plain

__all__ = ["router", "EventSettings"]

router = APIRouter(tags=["incidents"])


class EventSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GEOGRID_EVENTS_", env_file=".env",
                                      extra="ignore")

    poll_s: float = Field(default=1.0, gt=0, le=60)
    keepalive_s: float = Field(default=15.0, gt=0, le=600)


def _frame(event: str, data: dict, ident: int | None = None) -> str:
    head = f"id: {ident}\n" if ident is not None else ""
    body = json.dumps({k: plain(v) for k, v in data.items()}, ensure_ascii=False)
    return f"{head}event: {event}\ndata: {body}\n\n"


@router.get("/events/incidents", summary="Live incident changes in the caller's scope (SSE)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def incident_events(request: Request, state: StateDep,
                          principal: Annotated[Principal, Depends(Allowed("incident.read"))],
                          after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                          last_event_id: Annotated[str | None, Header(max_length=20)] = None):
    settings = EventSettings()
    svc = state.incidents
    start = after if after is not None else (
        int(last_event_id) if last_event_id and last_event_id.isdigit() else None)

    async def stream():
        last = start
        if last is None:
            last, _ = await anyio.to_thread.run_sync(svc.changes_since, 2**62, principal)
        yield _frame("hello", {"last": last, "poll_s": settings.poll_s}, last)
        quiet = time.monotonic()
        while not await request.is_disconnected():
            newest, rows = await anyio.to_thread.run_sync(svc.changes_since, last, principal)
            for row in rows:
                yield _frame("incident", row, row["id"])
            if rows or newest != last:
                last, quiet = max(last, newest), time.monotonic()
            elif time.monotonic() - quiet >= settings.keepalive_s:
                yield ": keepalive\n\n"
                quiet = time.monotonic()
            await anyio.sleep(settings.poll_s)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
