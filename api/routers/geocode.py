"""Addresses → points → microgrids: ``/geocode`` (one or a batch), ``/geocode/suggest``,
``/reverse``."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from geogrid.errors import LimitExceeded, NotFoundError, OutOfCoverageError
from geogrid.datum import Datum, to_storage
from geogrid.security import Principal

from ..auth import Allowed
from ..deps import StateDep, check_in_china
from ..responses import JSONResp
from ..shared import gazetteer

__all__ = ["router"]

router = APIRouter(tags=["geocode"])
Geocoder = Annotated[Principal, Depends(Allowed("geocode"))]


def _with_area(state, result: dict) -> dict:
    """The answer and each of its alternatives with the microgrid chain they fall in, so a
    dispatcher choosing among a brand's branches sees where each one would be sent."""
    if not result["ok"]:
        return result
    try:
        plan_id = state.active_plan_id()
        locator = state.locator(plan_id)
    except NotFoundError as exc:  # no active plan
        result["chain"] = None
        result["area_reason"] = exc.message
        return result
    for item in (result, *result.get("alternatives", ())):
        try:
            hit = locator.locate_one(item["lon"], item["lat"],
                                     snap_m=state.settings.snap_distance_m)
            item["chain"] = hit["chain"]
            item["area_id"] = hit["leaf"]
            item["snapped"] = hit["snapped"]
        except OutOfCoverageError as exc:  # outside every microgrid
            item["chain"] = None
            item["area_reason"] = exc.message
    return result


@router.get("/geocode/suggest", summary="地址联想 / ranked completions of a partly typed address")
def suggest(state: StateDep, _: Geocoder,
            q: Annotated[str, Query(min_length=1, max_length=100, description="what was typed")],
            limit: Annotated[int, Query(ge=1, le=50)] = 10):
    items = gazetteer(state).suggest(q, limit=limit)
    return JSONResp({"query": q, "count": len(items), "items": items})


@router.get("/geocode", summary="地址或地名定位 / Geocode one Chinese address or place name "
                                  "into a point and its microgrid")
def geocode(state: StateDep, _: Geocoder,
            q: Annotated[str, Query(min_length=1, max_length=300,
                                    description="地址或地名 / the address, or a place name such "
                                                "as 星巴克(张杨路店)")],
            name: Annotated[str | None, Query(
                max_length=100, description="地址旁给出的单位名称 / the name given beside the "
                                            "address (the shop or department that called): it "
                                            "picks among a large site's records, and answers "
                                            "when the address locates nothing")] = None):
    result = gazetteer(state).geocode(q, name).to_dict()
    return JSONResp(_with_area(state, result))


class GeocodeBatch(BaseModel):
    queries: list[Annotated[str, Field(min_length=1, max_length=300)]]
    names: list[Annotated[str, Field(max_length=100)] | None] | None = Field(
        default=None, description="每条地址旁的单位名称（与 queries 等长）/ one name (or null) "
                                  "per query, as `name` of GET /geocode")


@router.post("/geocode", summary="Geocode a batch of addresses (results in order)")
def geocode_batch(body: GeocodeBatch, state: StateDep, _: Geocoder):
    if len(body.queries) > state.settings.max_batch:
        raise LimitExceeded(f"一批 {len(body.queries)} 条地址, 超过上限 {state.settings.max_batch}。"
                            f"batch has {len(body.queries)} queries; the limit is "
                            f"{state.settings.max_batch}.", field="queries",
                            value=len(body.queries),
                            fix="分批发送, 或用 `geogrid geocode` 处理文件。Split it, or use "
                                "`geogrid geocode`.")
    frame = gazetteer(state).geocode_many(body.queries, names=body.names)
    plan_id = state.active_plan_id()
    ok = frame["ok"].to_numpy(bool)
    lon = frame["lon"].to_numpy(float)
    lat = frame["lat"].to_numpy(float)
    areas = np.full(len(frame), None, dtype=object)
    if ok.any():
        located = state.locator(plan_id).locate_many(lon[ok], lat[ok],
                                                     snap_m=state.settings.snap_distance_m)
        areas[ok] = located.iloc[:, 0].to_numpy(object)
    rows = []
    for rec, area in zip(frame.to_dict("records"), areas):
        rec = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in rec.items()}
        rec["area_id"] = area
        rows.append(rec)
    return JSONResp({"count": len(rows), "found": int(ok.sum()), "results": rows})


@router.get("/reverse", summary="The nearest address point to a location")
def reverse(state: StateDep, _: Geocoder, lon: Annotated[float, Query(ge=-180, le=180)],
            lat: Annotated[float, Query(ge=-90, le=90)],
            datum: Annotated[Datum, Query(description="datum of lon/lat")],
            max_distance_m: Annotated[float | None, Query(ge=0, le=10000)] = 500):
    check_in_china(lon, lat)
    x, y = to_storage(np.array([lon]), np.array([lat]), datum)
    res = gazetteer(state).reverse(float(x[0]), float(y[0]), max_distance_m=max_distance_m)
    return JSONResp(res.to_dict())
