"""The CRS contract of the core.

* Geometries are stored in CGCS2000 geographic coordinates, ``EPSG:4490``.
  The API speaks lon/lat (CRS84); at city scale CGCS2000 and WGS84 agree to
  a few centimetres and PROJ converts between them as the identity.
* A GeoDataFrame without a CRS is refused (:class:`~geogrid.CRSError`), and
  so is a pair of inputs whose CRSs differ. The core never reprojects
  silently; callers convert with :func:`to_storage_crs` explicitly.
* Areas and distances are computed in a local metric CRS: a transverse
  Mercator on the CGCS2000 ellipsoid (GRS80) centred on the data, so scale
  error stays below 1e-5 across a city, anywhere in China.
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
from pyproj import CRS

from ._errors import CRSError

__all__ = [
    "STORAGE_CRS",
    "STORAGE_SRID",
    "require_crs",
    "require_same_crs",
    "require_storage_crs",
    "metric_crs",
    "to_metric",
    "to_storage_crs",
]

STORAGE_SRID = 4490
STORAGE_CRS = CRS.from_epsg(STORAGE_SRID)
_GEOGRAPHIC_EQUIVALENT = {4490, 4326}


def require_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries, name: str = "frame") -> CRS:
    """Return the CRS of ``frame``; raise if it has none."""
    if frame.crs is None:
        raise CRSError(
            f"{name} has no CRS.",
            field=name, value=None,
            fix=f"Set one with {name}.set_crs('EPSG:4490') (or the CRS the data is really in).",
        )
    return frame.crs


def require_same_crs(*frames: gpd.GeoDataFrame | gpd.GeoSeries, names: tuple[str, ...] | None = None) -> CRS:
    """Raise unless every frame has a CRS and all CRSs are equal."""
    names = names or tuple(f"frame{i}" for i in range(len(frames)))
    crss = [require_crs(f, n) for f, n in zip(frames, names)]
    first = crss[0]
    for crs, name in zip(crss[1:], names[1:]):
        if crs != first:
            raise CRSError(
                f"{name} is in {crs.to_string()} but {names[0]} is in {first.to_string()}.",
                field=name, value=crs.to_string(),
                fix=f"Reproject explicitly, e.g. {name}.to_crs({names[0]}.crs), before calling.",
            )
    return first


def require_storage_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries, name: str = "frame") -> None:
    """Raise unless ``frame`` is in the storage CRS (EPSG:4490, or EPSG:4326 which equals it here)."""
    crs = require_crs(frame, name)
    if crs.to_epsg() not in _GEOGRAPHIC_EQUIVALENT:
        raise CRSError(
            f"{name} is in {crs.to_string()}, not lon/lat CGCS2000 (EPSG:4490).",
            field=name, value=crs.to_string(), fix=f"Call {name}.to_crs('EPSG:4490') first.",
        )


@lru_cache(maxsize=256)
def _tmerc(lon0: float, lat0: float) -> CRS:
    return CRS.from_proj4(
        f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    )


def metric_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    """A local metric CRS for ``frame``: transverse Mercator centred on its bounds.

    The centre is rounded to 0.01° so that frames covering the same street
    share one CRS (and results are reproducible).
    """
    crs = require_crs(frame)
    if crs.is_projected:
        return crs
    minx, miny, maxx, maxy = frame.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        raise CRSError("frame has no finite bounds (is it empty?).", field="frame",
                       fix="Pass at least one non-empty geometry.")
    return _tmerc(round((minx + maxx) / 2, 2), round((miny + maxy) / 2, 2))


def to_metric(frame, crs: CRS | None = None):
    """Reproject ``frame`` to ``crs`` (default :func:`metric_crs`)."""
    return frame.to_crs(crs or metric_crs(frame))


def to_storage_crs(frame):
    """Reproject an explicitly-CRS'd frame to EPSG:4490."""
    require_crs(frame)
    if frame.crs.to_epsg() == STORAGE_SRID:
        return frame
    return frame.to_crs(STORAGE_CRS)
