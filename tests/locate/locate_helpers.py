"""A synthetic city for the locate tests: Voronoi microgrids and random points."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

#: Lujiazui's extent (EPSG:4490)
EXTENT = (121.49, 31.225, 121.52, 31.25)


def voronoi_city(n: int, *, seed: int = 0, extent=EXTENT) -> gpd.GeoDataFrame:
    """``n`` Voronoi microgrids tiling ``extent``, with id, code, name, level, parent."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = extent
    seeds = shapely.multipoints(np.c_[rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])
    clip = box(*extent)
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=clip)),
                                 clip)
    cells = cells[~shapely.is_empty(cells)]
    ids = [f"MG{i:05d}" for i in range(len(cells))]
    grids = [f"G{i % 7}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"id": ids, "code": ids, "name": ids, "level": "microgrid",
                             "parent_id": grids}, geometry=cells, crs="EPSG:4490")


def random_points(n: int, *, seed: int = 1, extent=EXTENT, margin: float = 0.003) -> pd.DataFrame:
    """``n`` points over ``extent`` and a margin around it (some fall outside every area)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = extent
    return pd.DataFrame({"pid": np.arange(n).astype(str),
                         "lon": rng.uniform(minx - margin, maxx + margin, n),
                         "lat": rng.uniform(miny - margin, maxy + margin, n)})


def truth(areas: gpd.GeoDataFrame, lon, lat) -> np.ndarray:
    """The id of the area covering each point by brute force (shapely), None outside.

    A point covered by several areas (on a shared edge) gets the smallest code,
    the index's tie-break.
    """
    tree = shapely.STRtree(areas.geometry.values)
    pi, ai = tree.query(shapely.points(lon, lat), predicate="intersects")
    key = areas["code"].to_numpy(str) if "code" in areas else areas["id"].to_numpy(str)
    by = np.lexsort((key[ai], pi))                 # per point, smallest code first
    pi, ai = pi[by], ai[by]
    first = np.r_[True, pi[1:] != pi[:-1]]
    out = np.full(len(lon), None, dtype=object)
    out[pi[first]] = areas["id"].to_numpy(object)[ai[first]]
    return out

