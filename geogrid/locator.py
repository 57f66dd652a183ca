"""Kept for existing imports: the area chain lives in :mod:`geogrid.locate.chain`."""

from __future__ import annotations

from .locate.chain import CHAIN_LEVELS, PlanLocator

__all__ = ["PlanLocator", "CHAIN_LEVELS"]
