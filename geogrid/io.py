"""Read and write plain files: GeoJSON, GeoPackage, Shapefile, GeoParquet, CSV.

Every input declares the datum its coordinates are in (``wgs84``,
``cgcs2000``, ``gcj02`` or ``bd09``); :func:`read_frame` converts them to the
storage datum (CGCS2000, EPSG:4490) with the vectorised formulas in
:mod:`geogrid.datum`. A file whose CRS is projected is first reprojected with
PROJ; GCJ-02 and BD-09 exist only as lon/lat, so a projected file cannot
declare them.

>>> from geogrid.io import read_frame  # doctest: +SKIP
>>> objects = read_frame("shops.csv", datum="gcj02")  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import InputError
from .crs import STORAGE_CRS
from .datum import Datum, convert, parse_datum

__all__ = ["read_frame", "write_frame", "convert_frame", "list_layers", "SUPPORTED_SUFFIXES",
           "LON_NAMES", "LAT_NAMES"]

SUPPORTED_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".parquet", ".geoparquet",
                      ".csv", ".txt")
LON_NAMES = ("lon", "lng", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")


def convert_frame(frame: gpd.GeoDataFrame, datum: str | Datum) -> gpd.GeoDataFrame:
    """Convert every coordinate of a lon/lat frame from ``datum`` to CGCS2000 (EPSG:4490)."""
    datum = parse_datum(datum)
    geoms = frame.geometry.values
    if datum not in (Datum.WGS84, Datum.CGCS2000):
        def shift(xy: np.ndarray) -> np.ndarray:
            lon, lat = convert(xy[:, 0], xy[:, 1], datum, Datum.CGCS2000)
            return np.column_stack([lon, lat])
        geoms = shapely.transform(np.asarray(geoms, dtype=object), shift)
    out = frame.copy()
    out = out.set_geometry(gpd.GeoSeries(geoms, index=frame.index), crs=STORAGE_CRS)
    return out.set_crs(STORAGE_CRS, allow_override=True)


def _lonlat_columns(df: pd.DataFrame, lon: str | None, lat: str | None) -> tuple[str, str]:
    cols = {c.lower().strip(): c for c in df.columns}
    lon = lon or next((cols[n] for n in LON_NAMES if n in cols), None)
    lat = lat or next((cols[n] for n in LAT_NAMES if n in cols), None)
    if lon is None or lat is None or lon not in df or lat not in df:
        raise InputError(
            f"CSV needs longitude and latitude columns; found {list(df.columns)[:12]}.",
            field="lon/lat columns", value=[lon, lat],
            fix="Name them lon and lat (or lng/longitude, latitude), or pass --lon-col/--lat-col.",
        )
    return lon, lat


def read_frame(
    path: str | Path,
    *,
    datum: str | Datum | None,
    layer: str | None = None,
    lon_column: str | None = None,
    lat_column: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector file into a GeoDataFrame in EPSG:4490.

    ``datum`` is required: the coordinates' datum as they are in the file.
    ``encoding`` is the text encoding of a Shapefile's attributes (e.g. ``GBK``);
    without it, a Shapefile with no ``.cpg`` is read as UTF-8 and, when that fails or
    garbles the text, as GBK (GB18030), the encodings Chinese GIS tools write.
    Raises :class:`~geogrid.InputError` for unknown formats, missing columns
    and datum/CRS contradictions.
    """
    datum = parse_datum(datum)
    path = Path(path)
    if not path.exists():
        raise InputError(f"file {str(path)!r} does not exist.", field="path", value=str(path),
                         fix="Check the path.")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"file type {suffix!r} is not supported.", field="path", value=path.name,
            fix=f"Use one of {', '.join(SUPPORTED_SUFFIXES)}.",
        )
    if suffix == ".zip":
        _check_archive(path)
    if suffix in (".csv", ".txt"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        lon, lat = _lonlat_columns(df, lon_column, lat_column)
        x = pd.to_numeric(df[lon], errors="coerce").to_numpy(float)
        y = pd.to_numeric(df[lat], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(x) | ~np.isfinite(y)
        geoms = shapely.points(x, y)
        geoms[bad] = None
        frame = gpd.GeoDataFrame(df.drop(columns=[lon, lat]), geometry=geoms, crs=STORAGE_CRS)
        return convert_frame(frame, datum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if suffix in (".parquet", ".geoparquet"):
            frame = gpd.read_parquet(path)
        else:
            frame = _read_vector(path, layer, encoding)
    if frame.crs is not None and frame.crs.is_projected:
        if datum not in (Datum.WGS84, Datum.CGCS2000):
            raise InputError(
                f"{path.name} is in projected CRS {frame.crs.to_string()}, but datum {datum.value} "
                "exists only as lon/lat.", field="datum", value=datum.value,
                fix="Declare --datum wgs84 or cgcs2000 for projected files.",
            )
        frame = frame.to_crs(STORAGE_CRS)
    return convert_frame(frame, datum)


def list_layers(path: str | Path) -> list[str]:
    """The layer names of a vector file (one for single-layer formats)."""
    import pyogrio

    try:
        return [str(name) for name, _ in pyogrio.list_layers(str(path))]
    except Exception as exc:  # GDAL's own message, kept
        raise InputError(f"无法读取 {Path(path).name} 的图层: {exc}。cannot list the layers of "
                         f"{Path(path).name}: {exc}", field="path", value=str(path),
                         fix="检查文件是否完整。Check that the file is complete and readable.") from None


def _read_vector(path: Path, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    """GDAL read with a clean error; Shapefile text decoded as declared or detected."""
    has_cpg = path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists()
    tries = [encoding] if encoding else ([None] if has_cpg or path.suffix.lower() != ".shp"
                                         else ["UTF-8", "GB18030"])
    last: Exception | None = None
    for enc in tries:
        try:
            frame = gpd.read_file(path, layer=layer, **({"encoding": enc} if enc else {}))
        except Exception as exc:  # GDAL / iconv errors, reported below with the file name
            last = exc
            continue
        if enc and _garbled(frame):
            if encoding:
                raise InputError(
                    f"{path.name} 的文字不是 {encoding} 编码。the text of {path.name} is not "
                    f"{encoding}.", field="--encoding", value=encoding,
                    fix="中文 Shapefile 多为 GBK: 试 --encoding GBK, 或去掉 --encoding 自动识别。"
                        "Chinese shapefiles are often GBK: try --encoding GBK, or drop --encoding "
                        "to detect it.")
            continue
        return frame
    raise InputError(
        f"无法读取 {path.name}: {last}。cannot read {path.name}: {last}", field="path",
        value=path.name, fix="Shapefile 请指明文字编码 (如 --encoding GBK), 并确认 .shp/.shx/.dbf "
        "齐全。For a Shapefile declare the text encoding (e.g. --encoding GBK) and check "
        "that .shp, .shx and .dbf are all there.")


def _garbled(frame: pd.DataFrame) -> bool:
    """Replacement characters in the text: the bytes were not UTF-8."""
    for col in frame.columns:
        if frame[col].dtype == object:
            if frame[col].map(lambda v: isinstance(v, str) and "\ufffd" in v).any():
                return True
    return False


#: an archive may unpack to at most this much, and at most this ratio of its own size
MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_RATIO = 200


def _check_archive(path: Path) -> None:
    """Refuse zip bombs and entries that would escape the archive, before GDAL opens it."""
    import zipfile

    from ._errors import LimitExceeded

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        raise InputError(f"{path.name} is not a readable zip archive.", field="path",
                         value=path.name, fix="Re-create the archive.") from None
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_UNPACKED_BYTES or total / packed > MAX_RATIO:
        raise LimitExceeded(f"{path.name} would unpack to {total} bytes ({total / packed:.0f}× "
                            "its size).", field="path", value=path.name,
                            fix="Unpack it yourself and import the shapefile or GeoPackage inside.")
    bad = [i.filename for i in infos if i.filename.startswith(("/", "\\")) or ".." in Path(i.filename).parts]
    if bad:
        raise InputError(f"{path.name} has entries outside the archive: {bad[:3]}.", field="path",
                         value=bad[:3], fix="Re-create the archive with relative paths.")


def write_frame(frame: gpd.GeoDataFrame, path: str | Path, *, layer: str | None = None) -> Path:
    """Write a frame as GeoJSON, GeoPackage or GeoParquet, chosen by suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".geojson", ".json"):
        path.write_text(frame.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")
    elif suffix == ".gpkg":
        frame.to_file(path, layer=layer or path.stem, driver="GPKG")
    elif suffix in (".parquet", ".geoparquet"):
        frame.to_parquet(path)
    elif suffix == ".csv":
        out = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        pts = frame.geometry.representative_point()
        out["lon"], out["lat"] = pts.x.to_numpy(), pts.y.to_numpy()
        out.to_csv(path, index=False)
    else:
        raise InputError(f"cannot write {suffix!r}.", field="path", value=path.name,
                         fix="Use .geojson, .gpkg, .parquet or .csv.")
    return path
