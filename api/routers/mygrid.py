"""「我的网格」 for the public: ``GET /public/mygrid`` — an address, or a point tapped on the
public map, to the microgrid that covers it, its chain of areas and its team's public contact.

* Addresses go through the same gazetteer as ``/geocode`` (shared cache entry), points
  through the same locator as ``/locate``; the answer names areas and contacts only. It
  carries **no coordinates**: not the geocoded point (an exact address position), not the
  snapped point; the public map already shows the areas themselves.
* Contacts are the public ones of ``/public/areas`` (allow-listed keys, nearest ancestor's
  when an area has no team of its own).
* Rate-limited per client address (:data:`RATE` requests per :data:`WINDOW_S` seconds):
  beyond it the answer is 429 with ``Retry-After`` in the usual error shape.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from geogrid.errors import InputError, OutOfCoverageError
from geogrid.geocode import MatchLevel
from geogrid.services.public import public_areas_frame, team_contacts
from geogrid.datum import parse_datum, to_storage

from ..deps import StateDep, check_in_china
from ..responses import JSONResp
from ..shared import gazetteer

__all__ = ["router", "RATE", "WINDOW_S", "RateLimiter"]

router = APIRouter(prefix="/public", tags=["public"])
RATE = 20
WINDOW_S = 60.0
LEVELS = ("street", "grid", "community", "microgrid", "building_group")
#: geocoder rungs that place an address only somewhere on a road or in an area
VAGUE = frozenset({MatchLevel.ROAD.value, MatchLevel.AREA.value})


class RateLimiter:
    """At most ``rate`` calls per ``window`` seconds per key (sliding window, in memory)."""

    def __init__(self, rate: int = RATE, window: float = WINDOW_S, max_keys: int = 10000):
        self.rate, self.window, self.max_keys = rate, window, max_keys
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: float | None = None) -> float:
        """0 when the call may go ahead (and it is counted), else seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.rate:
                return self.window - (now - hits[0])
            hits.append(now)
            if len(self._hits) > self.max_keys:  # forget idle clients
                for k in [k for k, v in self._hits.items() if not v][: self.max_keys // 2]:
                    del self._hits[k]
            return 0.0


def _limited(wait: float) -> JSONResponse:
    seconds = max(1, int(np.ceil(wait)))
    return JSONResponse({"error": {
        "code": "limit_exceeded", "message": f"查询过于频繁, 请 {seconds} 秒后再试。Too many "
        f"lookups; try again in {seconds} s.", "field": None, "value": None,
        "fix": "请稍候再试。Wait a minute."}}, status_code=429,
        headers={"Retry-After": str(seconds)})


def _contact(state, plan_id: int, area_id: str) -> dict | None:
    areas = state.plan_data(plan_id).areas
    frame = public_areas_frame(areas, team_contacts(state.store))
    row = frame.loc[frame["id"] == area_id, "contact"]
    return None if row.empty else row.iloc[0]


def _answer(state, plan_id: int, lon: float, lat: float) -> dict:
    hit = state.locator(plan_id).locate_one(lon, lat, snap_m=state.settings.snap_distance_m)
    chain = [{"level": lv, "name": (hit["chain"].get(lv) or {}).get("name"),
              "code": (hit["chain"].get(lv) or {}).get("code")}
             for lv in LEVELS if hit["chain"].get(lv)]
    mg = hit["chain"].get("microgrid") or {}
    leaf = mg.get("id") or hit["leaf"]
    return {"found": True, "chain": chain,
            "microgrid": {"name": mg.get("name"), "code": mg.get("code")} if mg else None,
            "contact": _contact(state, plan_id, leaf)}


@router.get("/mygrid", summary="我的网格: an address or a point → its microgrid, team and contact "
                               "(no coordinates in the answer; rate-limited)")
def mygrid(state: StateDep, request: Request,
           q: Annotated[str | None, Query(min_length=2, max_length=120,
                                          description="a Chinese address, e.g. 东昌路498号")] = None,
           lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
           lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
           datum: Annotated[Literal["wgs84", "cgcs2000", "gcj02", "bd09"] | None, Query(
               description="datum of lon/lat (required with them)")] = None):
    wait = state.mygrid_limiter.get(RateLimiter).retry_after(
        request.client.host if request.client else "?")
    if wait:
        return _limited(wait)
    plan_id = state.active_plan_id()
    if q is not None:
        found = gazetteer(state).geocode(q).to_dict()
        if not found["ok"]:
            return JSONResp({"found": False, "query": q, "reason": "address_not_found"})
        if found["level"] in VAGUE:
            # a whole road or area spans many microgrids: naming one of them (the point the
            # geocoder put on the road) would send a resident to the wrong team
            return JSONResp({"found": False, "query": q, "matched": found["matched"],
                             "match_level": found["level"], "reason": "address_too_vague"})
        x, y = found["lon"], found["lat"]
        head = {"query": q, "matched": found["matched"], "match_level": found["level"],
                "estimated": bool(found.get("estimated"))}
    elif lon is not None and lat is not None:
        if datum is None:
            raise InputError("坐标须注明坐标系。lon/lat need their datum.", field="datum", value=None,
                             fix="加上 datum=wgs84、gcj02、bd09 或 cgcs2000。Add datum=wgs84, gcj02, "
                                 "bd09 or cgcs2000.")
        check_in_china(lon, lat)
        xs, ys = to_storage(np.array([lon]), np.array([lat]), parse_datum(datum))
        x, y, head = float(xs[0]), float(ys[0]), {}
    else:
        raise InputError("请输入地址 (q) 或给出一个点 (lon、lat、datum)。give an address (q) or a point "
                         "(lon, lat, datum).", field="q", value=None,
                         fix="如 /public/mygrid?q=东昌路498号。e.g. /public/mygrid?q=东昌路498号")
    try:
        return JSONResp(head | _answer(state, plan_id, x, y))
    except OutOfCoverageError:
        return JSONResp(head | {"found": False, "reason": "outside_coverage"})
