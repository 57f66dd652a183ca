"""Liveness and store reachability."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from geogrid.dispatch.calendar import WARN_DAYS_AHEAD

from ..deps import StateDep
from ..shared import service

__all__ = ["router"]

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    store: str
    active_plan: int | None = None
    calendar: dict | None = None


@router.get("/health", response_model=Health, summary="Liveness and store reachability")
def health(state: StateDep) -> Health:
    state.store.ping()  # raises StoreUnavailableError → 503 with Retry-After
    active = state.store.active_plan()
    return Health(status="ok", store=state.store.dialect,
                  active_plan=None if active is None else active["id"],
                  calendar=service(state).workflow.calendar.coverage(datetime.now(UTC),
                                                                     WARN_DAYS_AHEAD))
