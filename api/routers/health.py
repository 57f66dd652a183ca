"""Liveness and store reachability."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import StateDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    store: str
    active_plan: int | None = None


@router.get("/health", response_model=Health, summary="Liveness and store reachability")
def health(state: StateDep) -> Health:
    state.store.ping()  # raises StoreUnavailableError → 503 with Retry-After
    active = state.store.active_plan()
    return Health(status="ok", store=state.store.dialect,
                  active_plan=None if active is None else active["id"])
