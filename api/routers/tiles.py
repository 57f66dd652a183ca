"""Vector tiles of a plan's areas: ``GET /tiles/{plan}/{z}/{x}/{y}.mvt``.

For plans too large to inline as GeoJSON (city scale). One layer per level,
features with ``id, name, code, level, kind, parent_id`` only. PostGIS builds
tiles with ``ST_AsMVT``; the embedded store encodes them in Python (see
:mod:`geogrid.store.tiles`).

Tiles are cached in memory per (plan, version, datum, z, x, y) in a bounded
LRU. The ETag names the plan version, so a revalidation is answered 304
without building the tile; empty tiles answer 204. Drafts are visible to
staff only and are never stored by shared caches.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from geogrid.store.tiles import MAX_ZOOM, MVT_MEDIA_TYPE, TileCache, check_tile, render_tile

from ..auth import PrincipalDep
from ..deps import StateDep

router = APIRouter(prefix="/tiles", tags=["tiles"])

#: bump when the tile contents change for the same plan version (new fields, levels, zooms)
TILE_FORMAT = 1
CACHE_ENTRIES = 4096
CACHE_BYTES = 64 * 1024 * 1024
MAX_AGE_ACTIVE_S = 60       # /tiles/active/...: the active plan can be replaced at any time
MAX_AGE_PLAN_S = 3600       # /tiles/{id}/...: a published plan's areas do not change

PlanPath = Annotated[str, Path(max_length=12, description="plan id, or 'active'")]
ZPath = Annotated[int, Path(ge=0, le=MAX_ZOOM, description="zoom")]
XYPath = Annotated[int, Path(ge=0, lt=1 << MAX_ZOOM, description="tile column / row (XYZ)")]
DatumQ = Annotated[Literal["cgcs2000", "wgs84", "gcj02", "bd09"], Query(
    description="datum the tile is drawn in: gcj02 for Amap/Tencent basemaps, bd09 for Baidu")]


def tile_cache(state) -> TileCache:
    return state.tile_cache.get(lambda: TileCache(CACHE_ENTRIES, CACHE_BYTES))


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == bare for t in header.split(","))


def _accepts_gzip(header: str | None) -> bool:
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() == "gzip":
            q = params.strip().removeprefix("q=").strip()
            try:
                return float(q) > 0 if q else True
            except ValueError:
                return True
    return False


def _cache_control(plan: str, draft: bool) -> str:
    if draft:
        return "private, no-cache"
    if plan == "active":
        return f"public, max-age={MAX_AGE_ACTIVE_S}"
    return f"public, max-age={MAX_AGE_PLAN_S}"


@router.get(
    "/{plan}/{z}/{x}/{y}.mvt", summary="Mapbox Vector Tile of a plan's areas",
    response_class=Response,
    responses={200: {"content": {MVT_MEDIA_TYPE: {}},
                     "description": "one layer per level; features carry id, name, code, level, "
                                    "kind, parent_id"},
               204: {"description": "no area in this tile"},
               304: {"description": "not modified (If-None-Match)"}})
def get_tile(plan: PlanPath, z: ZPath, x: XYPath, y: XYPath, request: Request, state: StateDep,
             principal: PrincipalDep, datum: DatumQ = "cgcs2000") -> Response:
    check_tile(z, x, y)
    plan_id = state.visible_plan_id(plan, principal)
    meta = state.plan_data(plan_id).plan
    datum = "cgcs2000" if datum == "wgs84" else datum  # identical at city scale
    key = (plan_id, int(meta["version"]), datum, z, x, y)
    headers = {"ETag": f'W/"t{TILE_FORMAT}-{"-".join(map(str, key))}"',
               "Cache-Control": _cache_control(plan, meta["status"] == "draft"),
               "Vary": "Accept-Encoding"}
    if _etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    cache = tile_cache(state)
    tile = cache.get(key)
    if tile is None:
        tile = cache.put(key, render_tile(state.store, plan_id, z, x, y, datum=datum))
    if not tile.body:
        return Response(status_code=204, headers=headers)
    body = tile.body
    if tile.gzipped is not None and _accepts_gzip(request.headers.get("accept-encoding")):
        body, headers["Content-Encoding"] = tile.gzipped, "gzip"
    return Response(body, media_type=MVT_MEDIA_TYPE, headers=headers)
