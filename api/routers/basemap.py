"""The offline basemap: ``GET /basemap/{z}/{x}/{y}.pbf`` and ``GET /basemap/style.json``.

Vector tiles of roads, water, green space, land use, buildings and names, cut
by :mod:`geogrid.basemap` from OpenStreetMap data on this machine, so maps
have a readable basemap on networks with no internet access. The data is, in
order of preference:

1. the extract imported with ``geogrid basemap import … --commit``
   (``{GEOGRID_DATA_DIR}/basemap.gpkg``);
2. ``GEOGRID_BASEMAP_SOURCE`` (a directory of layer files or an OSM extract);
3. the Lujiazui extract the project ships (``data/osm/lujiazui``).

Tiles are WGS84 (= CGCS2000), like the stored areas: overlays on them are
never shifted. They are built on first request and kept in a bounded LRU;
they never change while the server runs, so they are cacheable for a day
(ETag names the source). Empty tiles answer 204.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Path as PathParam, Request, Response

from geogrid.basemap import MAX_ZOOM, MIN_ZOOM, BasemapTiles, read_layers, style_document

from ..deps import StateDep

__all__ = ["router", "basemap_source", "TILE_URL"]

router = APIRouter(prefix="/basemap", tags=["basemap"])
TILE_URL = "/basemap/{z}/{x}/{y}.pbf"
SHIPPED = Path(__file__).resolve().parents[2] / "data" / "osm" / "lujiazui"
CACHE_ENTRIES = 2048
MAX_AGE_S = 86400
MVT = "application/vnd.mapbox-vector-tile"

ZPath = Annotated[int, PathParam(ge=0, le=MAX_ZOOM, description="zoom")]
XYPath = Annotated[int, PathParam(ge=0, lt=1 << MAX_ZOOM, description="tile column / row")]


def basemap_source(data_dir: Path) -> Path:
    """Where the basemap's OSM data is read from (see the module docstring)."""
    imported = Path(data_dir) / "basemap.gpkg"
    if imported.exists():
        return imported
    configured = os.environ.get("GEOGRID_BASEMAP_SOURCE")
    return Path(configured) if configured else SHIPPED


class _Basemap:
    def __init__(self, source: Path):
        self.tiles = BasemapTiles(read_layers(source))
        stat = source.stat()
        self.etag = hashlib.sha1(f"{source}:{stat.st_mtime_ns}:{stat.st_size}".encode()
                                 ).hexdigest()[:16]
        self._cache: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def tile(self, z: int, x: int, y: int) -> tuple[bytes, bytes]:
        """The tile and its gzip, from the LRU or built."""
        key = (z, x, y)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        raw = self.tiles.tile(z, x, y)
        entry = (raw, gzip.compress(raw, 6, mtime=0) if raw else b"")
        with self._lock:
            self._cache[key] = entry
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return entry


def _basemap(state) -> _Basemap:
    return state.basemap.get(lambda: _Basemap(basemap_source(state.settings.data_dir)))


@router.get("/style.json", summary="Style of the offline basemap (colours, widths, tiles)")
def style(state: StateDep) -> dict:
    bm = _basemap(state)
    return style_document(TILE_URL, min_zoom=MIN_ZOOM, max_zoom=MAX_ZOOM, bounds=bm.tiles.bounds)


@router.get("/{z}/{x}/{y}.pbf", summary="Offline basemap vector tile (MVT, WGS84)",
            response_class=Response, responses={200: {"content": {MVT: {}}}, 204: {}})
def tile(state: StateDep, request: Request, z: ZPath, x: XYPath, y: XYPath) -> Response:
    bm = _basemap(state)
    etag = f'"{bm.etag}-{z}-{x}-{y}"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={MAX_AGE_S}",
               "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    raw, packed = bm.tile(z, x, y)
    if not raw:
        return Response(status_code=204, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type=MVT, headers=headers | {"Content-Encoding": "gzip"})
    return Response(raw, media_type=MVT, headers=headers)
