from __future__ import annotations

from fastapi import APIRouter

from datetime import UTC, datetime

from geogrid.dispatch.calendar import WARN_DAYS_AHEAD

from ..deps import StateDep
from .incidents import service

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and store reachability")
def health(state: StateDep) -> dict:
    state.store.ping()  # raises StoreUnavailableError → 503 with Retry-After
    active = state.store.active_plan()
    return {"status": "ok", "store": state.store.dialect,
            "active_plan": None if active is None else active["id"],
            "calendar": service(state).workflow.calendar.coverage(datetime.now(UTC), WARN_DAYS_AHEAD)}
