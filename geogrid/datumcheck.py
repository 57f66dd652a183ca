"""Kept for existing imports: the datum check lives in :mod:`geogrid.locate.datumcheck`."""

from __future__ import annotations

from .locate.datumcheck import BuildingIndex, check_datum

__all__ = ["BuildingIndex", "check_datum"]
