"""GeoDataFrame → GeoJSON FeatureCollection (CRS84 lon/lat), with clean JSON values."""

from __future__ import annotations

import math
from datetime import datetime

import geopandas as gpd
import numpy as np
import orjson
import shapely

__all__ = ["feature_collection", "plain"]


def plain(value):
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    try:
        if value != value:  # NaN / NA
            return None
    except (TypeError, ValueError):
        pass
    return value


def feature_collection(frame: gpd.GeoDataFrame, properties: list[str] | None = None,
                       precision: int = 7, geometry_json: dict[str, str] | None = None,
                       **meta) -> dict:
    """``geometry_json``: GeoJSON text of the geometries by feature id, made earlier (and
    cached) at the same ``precision``; those features' geometries are not serialised again
    (the response's orjson writes the text as it is)."""
    props = properties or [c for c in frame.columns if c != frame.geometry.name]
    records = frame[props].to_dict("records") if len(frame) else []
    if geometry_json is not None and all(str(r.get("id")) in geometry_json for r in records):
        geoms = [orjson.Fragment(geometry_json[str(r.get("id"))]) for r in records]
    else:
        geoms = [None if g is None else shapely.geometry.mapping(g) for g in (
            shapely.set_precision(frame.geometry.values, 10.0 ** -precision)
            if len(frame) else frame.geometry.values)]
    features = []
    for rec, geom in zip(records, geoms):
        features.append({
            "type": "Feature",
            "id": plain(rec.get("id")),
            "properties": {k: plain(v) for k, v in rec.items()},
            "geometry": geom,
        })
    out = {"type": "FeatureCollection", "features": features}
    out.update(meta)
    return out
