"""Annotated dependency aliases shared by the routers."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator

from fastapi import Depends, Query, Request

from geogrid._validate import CHINA_BOUNDS
from geogrid.errors import InputError
from geogrid.services.features import parse_bbox as parse_ogc_bbox

from .state import AppState

__all__ = ["StateDep", "app_state", "BBoxDep", "parse_bbox", "check_in_china", "NO_STORE"]

#: headers of responses that carry personal data: never kept by a cache
NO_STORE = {"Cache-Control": "no-store"}


def _iso_only(value):
    """A time in a query is an ISO 8601 string: a bare number is not read as a timestamp."""
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("时间须为 ISO 8601 (如 2026-05-01T08:00:00+08:00) / "
                         "a time must be ISO 8601, e.g. 2026-05-01T08:00:00+08:00")
    return value


#: an ISO 8601 date-time query parameter (numbers refused, not taken as Unix time)
IsoTime = Annotated[datetime, BeforeValidator(_iso_only)]


def app_state(request: Request) -> AppState:
    """The application state the lifespan hook made (a plain attribute read)."""
    return request.app.state.geo


async def get_state(request: Request) -> AppState:
    """:func:`app_state` as a dependency (async: it needs no worker thread)."""
    return request.app.state.geo


StateDep = Annotated[AppState, Depends(get_state)]


def parse_bbox(bbox: Annotated[str | None, Query(
        description="minlon,minlat,maxlon,maxlat (CRS84)", examples=["121.50,31.23,121.52,31.25"])] = None
) -> tuple[float, float, float, float] | None:
    """The OGC parse (:func:`geogrid.services.features.parse_bbox`), min below max on both axes."""
    box = parse_ogc_bbox(bbox)
    if box is not None and not (box[0] < box[2] and box[1] < box[3]):
        raise InputError(f"bbox {bbox!r} 的最小值须小于最大值 / needs min below max on both axes.",
                         field="bbox", value=bbox,
                         fix="按 minlon,minlat,maxlon,maxlat 顺序传四个数。Pass four numbers "
                             "minlon,minlat,maxlon,maxlat, e.g. bbox=121.50,31.23,121.52,31.25.")
    return box


BBoxDep = Annotated[tuple[float, float, float, float] | None, Depends(parse_bbox)]


def check_in_china(lon: float, lat: float, field: str = "lon/lat") -> None:
    """Refuse coordinates outside China (or not finite) with a 422 naming the field."""
    lo_x, lo_y, hi_x, hi_y = CHINA_BOUNDS
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (lo_x <= lon <= hi_x and lo_y <= lat <= hi_y):
        swapped = lo_x <= lat <= hi_x and lo_y <= lon <= hi_y
        hint = ("看起来经纬度写反了。", " They look swapped.") if swapped else ("", "")
        raise InputError(f"({lon}, {lat}) 不在中国境内。{hint[0]}({lon}, {lat}) is outside China."
                         f"{hint[1]}", field=field, value=[lon, lat],
                         fix=f"经度须在 [{lo_x}, {hi_x}], 纬度须在 [{lo_y}, {hi_y}], 经度在前。"
                             f"Send lon in [{lo_x}, {hi_x}] and lat in [{lo_y}, {hi_y}], lon first.")
