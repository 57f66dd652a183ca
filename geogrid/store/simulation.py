"""Kept so existing imports keep working: this use case lives in :mod:`geogrid.services.simulation`."""

__all__ = ["run_day"]


def __getattr__(name: str):
    from ..services import simulation

    return getattr(simulation, name)
