"""Comparing a partition's areas with the stored ones, so an edit rewrites only what changed.

Pure helpers of :mod:`geogrid.services.planning`: no store, no session.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["area_changes", "part_id", "plain", "uid_or_none"]


def part_id(uid: str, code: str | None, attrs: dict) -> int:
    """The partition's id of a stored part: kept in its attrs; in plans saved before,
    the serial its code (or uid) ends with, which was the id."""
    part = (attrs or {}).get("part")
    return int(part) if part is not None else int((code or uid)[-3:])


def uid_or_none(value) -> str | None:
    return None if value is None or value != value else str(value)


def area_changes(stored: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> tuple[list[str], list[str]]:
    """(uids to delete, uids to insert) to turn the ``stored`` areas into ``new``: a uid whose
    geometry (exactly) or fields differ is both deleted and inserted again."""
    fields = ["level", "kind", "name", "code", "parent_id"]
    had = {str(r["id"]): r for r in stored.to_dict("records")}
    want = {str(r["id"]): r for r in new.to_dict("records")}
    same = set()
    for uid in had.keys() & want.keys():
        a, b = had[uid], want[uid]
        if any(uid_or_none(a.get(f)) != uid_or_none(b.get(f)) for f in fields):
            continue
        if plain(a.get("attrs") or {}) != plain(b.get("attrs") or {}):
            continue
        ga, gb = a["geometry"], b["geometry"]
        if ga is None or gb is None or not shapely.equals_exact(
                ga, shapely.multipolygons(shapely.get_parts(gb)) if gb.geom_type == "Polygon"
                else gb, tolerance=0):
            continue
        same.add(uid)
    return sorted(had.keys() - same), sorted(want.keys() - same)


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    try:
        if value != value:
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
