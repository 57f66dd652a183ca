"""Kept so existing imports keep working: planning is a use case in :mod:`geogrid.services.planning`."""

__all__ = ["PlanningService", "microgrid_uid"]


def __getattr__(name: str):
    if name in __all__:
        from ..services import planning

        return getattr(planning, name)
    raise AttributeError(name)
