"""Helpers for looking into JSON answers."""

from __future__ import annotations

__all__ = ["keys"]


def keys(value) -> set[str]:
    """Every key at any depth of a JSON value.

    >>> sorted(keys({"a": [{"b": 1}, {"c": {"d": None}}]}))
    ['a', 'b', 'c', 'd']
    """
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()
