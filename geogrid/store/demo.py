"""Kept so existing imports keep working: this use case lives in :mod:`geogrid.services.demo`."""

__all__ = ["DEMO_DIR", "demo_frames", "load_demo", "DEMO_STREET_CODE", "DEMO_PLAN_NAME"]


def __getattr__(name: str):
    from ..services import demo

    return getattr(demo, name)
