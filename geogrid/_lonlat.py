"""File types and lon/lat column names every reader accepts (no pandas, no geopandas)."""

from __future__ import annotations

from collections.abc import Iterable

from ._errors import InputError

__all__ = ["SUPPORTED_SUFFIXES", "LON_NAMES", "LAT_NAMES", "lonlat_columns"]

SUPPORTED_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".parquet", ".geoparquet",
                      ".csv", ".txt")
LON_NAMES = ("lon", "lng", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")


def lonlat_columns(names: Iterable, lon: str | None, lat: str | None, *, what: str = "CSV"
                   ) -> tuple[str, str]:
    """The longitude and latitude columns among ``names``: the given ones, else the
    first of :data:`LON_NAMES` / :data:`LAT_NAMES` (any case); raises naming what was found."""
    columns = [str(c) for c in names]
    cols = {c.lower().strip(): c for c in columns}
    lon = lon or next((cols[n] for n in LON_NAMES if n in cols), None)
    lat = lat or next((cols[n] for n in LAT_NAMES if n in cols), None)
    if lon is None or lat is None or lon not in columns or lat not in columns:
        raise InputError(
            f"{what} 缺少经纬度列 / needs longitude and latitude columns; found {columns[:12]}.",
            field="lon/lat columns", value=[lon, lat],
            fix="列名用 lon 和 lat（或 lng/longitude、latitude、经度/纬度），或用 --lon-col/--lat-col "
                "指定 / name them lon and lat (or lng/longitude, latitude), or pass "
                "--lon-col/--lat-col.",
        )
    return lon, lat
