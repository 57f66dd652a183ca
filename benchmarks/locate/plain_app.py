"""The baseline of the HTTP benchmark: a plain FastAPI endpoint over an STRtree.

What a team writes without geogrid: read the microgrids (GeoParquet named by
``PLAIN_AREAS``), put them in a shapely STRtree, answer ``GET /locate`` with
the id of an area that intersects the point. No datum conversion, no chain,
no plan, no auth. Run with
``PLAIN_AREAS=areas.parquet uvicorn benchmarks.locate.plain_app:app``.
"""

from __future__ import annotations

import os

import geopandas as gpd
import shapely
from fastapi import FastAPI

__all__ = ["app"]

_areas = gpd.read_parquet(os.environ["PLAIN_AREAS"])
_ids = _areas["id"].tolist()
_tree = shapely.STRtree(_areas.geometry.values)

app = FastAPI()


@app.get("/health")
async def health() -> dict:
    return {"ok": True}


@app.get("/locate")
async def locate(lon: float, lat: float) -> dict:
    hits = _tree.query(shapely.Point(lon, lat), predicate="intersects")
    return {"id": _ids[int(hits.min())] if len(hits) else None}
