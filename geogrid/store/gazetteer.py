"""Kept so existing imports keep working: the gazetteer is built in :mod:`geogrid.services.gazetteer`."""

__all__ = ["gazetteer_from_store"]


def __getattr__(name: str):
    if name == "gazetteer_from_store":
        from ..services.gazetteer import gazetteer_from_store

        return gazetteer_from_store
    raise AttributeError(name)
