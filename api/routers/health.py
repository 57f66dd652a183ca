from __future__ import annotations

from fastapi import APIRouter

from ..deps import StateDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and store reachability")
def health(state: StateDep) -> dict:
    state.store.ping()  # raises StoreUnavailableError → 503 with Retry-After
    active = state.store.active_plan()
    return {"status": "ok", "store": state.store.dialect,
            "active_plan": None if active is None else active["id"]}
