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

from ._errors import InputError, unreadable_file
from ._lonlat import LAT_NAMES, LON_NAMES, SUPPORTED_SUFFIXES, lonlat_columns
from .crs import STORAGE_CRS
from .datum import Datum, convert, parse_datum

__all__ = ["read_frame", "read_csv_text", "write_frame", "convert_frame", "list_layers",
           "SUPPORTED_SUFFIXES",
           "LON_NAMES", "LAT_NAMES"]

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


def _lonlat_columns(df, lon: str | None, lat: str | None, *, what: str = "CSV"
                    ) -> tuple[str, str]:
    return lonlat_columns(df.columns, lon, lat, what=what)


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
        raise InputError(f"文件 {str(path)!r} 不存在 / file {str(path)!r} does not exist.",
                         field="path", value=str(path), fix="检查路径 / Check the path.")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"不支持 {suffix!r} 类型的文件 / file type {suffix!r} is not supported.", field="path",
            value=path.name, fix=f"使用以下格式之一 / Use one of {', '.join(SUPPORTED_SUFFIXES)}.",
        )
    if suffix == ".zip":
        _check_archive(path)
    if suffix in (".csv", ".txt"):
        df = read_csv_text(path, encoding)
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
        if suffix in (".parquet", ".geoparquet") and not _is_geoparquet(path):
            return _read_lonlat_parquet(path, datum, lon_column, lat_column)
        if suffix in (".parquet", ".geoparquet"):
            frame = gpd.read_parquet(path)
        else:
            frame = _read_vector(path, layer, encoding)
    if frame.crs is not None and frame.crs.is_projected:
        if datum not in (Datum.WGS84, Datum.CGCS2000):
            raise InputError(
                f"{path.name} 是投影坐标 {frame.crs.to_string()}, 而 {datum.value} 只有经纬度形式。"
                f"{path.name} is in projected CRS {frame.crs.to_string()}, but datum {datum.value} "
                "exists only as lon/lat.", field="datum", value=datum.value,
                fix="投影坐标的文件请声明 --datum wgs84 或 cgcs2000。Declare --datum wgs84 or "
                    "cgcs2000 for projected files.",
            )
        frame = frame.to_crs(STORAGE_CRS)
    return convert_frame(frame, datum)


def read_csv_text(path: str | Path, encoding: str | None = None) -> pd.DataFrame:
    """Every cell as text; an unreadable file is named with the reason and the fix."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                           encoding=encoding)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        fix = ("用 UTF-8 另存 (Excel: CSV UTF-8), 或声明编码 --encoding GBK。Save it as UTF-8 "
               "(Excel: CSV UTF-8) or declare --encoding GBK.") if isinstance(
            exc, UnicodeDecodeError) else ("确认这是有表头行、逗号分隔的 CSV 文件。Check that it is "
                                           "a comma-separated CSV file with a header row.")
        raise unreadable_file(Path(path), exc, fix) from None


def _is_geoparquet(path: Path) -> bool:
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise unreadable_file(path, exc, "确认文件是完整的 Parquet 文件。Check that the file is a "
                                         "complete Parquet file.") from None
    return b"geo" in meta


def _read_lonlat_parquet(path: Path, datum: Datum, lon: str | None, lat: str | None
                         ) -> gpd.GeoDataFrame:
    """A plain Parquet file (no geo metadata) with lon/lat columns, as points."""
    df = pd.read_parquet(path)
    lon, lat = _lonlat_columns(df, lon, lat, what=f"{path.name} (Parquet without geo metadata)")
    x = pd.to_numeric(df[lon], errors="coerce").to_numpy(float)
    y = pd.to_numeric(df[lat], errors="coerce").to_numpy(float)
    geoms = shapely.points(x, y)
    geoms[~np.isfinite(x) | ~np.isfinite(y)] = None
    frame = gpd.GeoDataFrame(df.drop(columns=[lon, lat]), geometry=geoms, crs=STORAGE_CRS)
    return convert_frame(frame, datum)


def list_layers(path: str | Path) -> list[str]:
    """The layer names of a vector file (one for single-layer formats)."""
    import pyogrio

    try:
        return [str(name) for name, _ in pyogrio.list_layers(str(path))]
    except Exception as exc:  # GDAL's own message, kept
        raise unreadable_file(path, exc, "确认文件完整、可读、内容与扩展名相符。Check that the file "
                                         "is complete, readable and matches its extension.") from None


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
    fix = ("Shapefile 请指明文字编码 (如 --encoding GBK), 并确认 .shp/.shx/.dbf 齐全。For a "
           "Shapefile declare the text encoding (e.g. --encoding GBK) and check that .shp, .shx "
           "and .dbf are all there.") if path.suffix.lower() == ".shp" else (
        "确认文件完整、内容与扩展名相符（GeoJSON 须为 JSON）。Check that the file is complete and "
        "that its content matches its extension (a .geojson must be JSON).")
    raise unreadable_file(path, last, fix)


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
_CHUNK = 1 << 20


def _check_archive(path: Path, *, max_bytes: int | None = None, max_ratio: float | None = None
                   ) -> None:
    """Refuse zip bombs and entries that would escape the archive, before GDAL opens it.

    The sizes an archive declares in its headers are not trusted: every entry is
    inflated as a stream and the bytes actually produced are counted, stopping
    at the first chunk past ``max_bytes`` in total or ``max_ratio`` × the
    archive's size on disk. Nothing is written anywhere.
    """
    import zipfile
    import zlib

    cap = MAX_UNPACKED_BYTES if max_bytes is None else max_bytes
    ratio_cap = MAX_RATIO if max_ratio is None else max_ratio
    limit = min(cap, max(1, path.stat().st_size) * ratio_cap)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            bad = [i.filename for i in infos
                   if i.filename.startswith(("/", "\\")) or ".." in Path(i.filename).parts]
            if bad:
                raise InputError(
                    f"压缩包 {path.name} 含有指向包外的条目 / has entries outside the archive: "
                    f"{bad[:3]}.", field="path", value=bad[:3],
                    fix="用相对路径重新打包 / Re-create the archive with relative paths.")
            _inflate_counted(zf, infos, path, limit)
    except (zipfile.BadZipFile, zlib.error, OSError):
        raise _bad_zip(path) from None


def _inflate_counted(zf, infos, path: Path, limit: float) -> None:
    """Inflate every entry from its raw bytes, counting real output; raise past ``limit``.

    zipfile (like most readers) stops at the size the header declares, so the
    raw deflate stream is fed to zlib directly, up to its real end or the end of
    the file, whatever the headers say.
    """
    import struct
    import zlib

    from ._errors import LimitExceeded

    total = 0
    fh = zf.fp
    for info in infos:
        if info.is_dir():
            continue
        fh.seek(info.header_offset)
        head = fh.read(30)
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise _bad_zip(path)
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        if info.compress_type == 0:  # stored: the bytes are the content
            produced = _stored_size(fh, info)
        elif info.compress_type == 8:
            produced = 0
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            while not inflater.eof and (raw := fh.read(_CHUNK)):
                while raw and not inflater.eof:
                    produced += len(inflater.decompress(raw, _CHUNK))
                    raw = inflater.unconsumed_tail
                    if total + produced > limit:
                        break
                if total + produced > limit:
                    break
        else:
            raise InputError(
                f"压缩包 {path.name} 的条目 {info.filename} 使用了不支持的压缩方式 / uses "
                f"compression method {info.compress_type}.", field="path", value=info.filename,
                fix="用 deflate 或不压缩重新打包 / Re-create the archive with deflate or stored.")
        total += produced
        if total > limit:
            raise LimitExceeded(
                f"压缩包 {path.name} 解压超过 {int(limit)} 字节 / unpacks to more than "
                f"{int(limit)} bytes (declared {sum(i.file_size for i in infos)}).",
                field="path", value=path.name,
                fix="自行解压后导入其中的 shapefile 或 GeoPackage / Unpack it yourself and "
                    "import the shapefile or GeoPackage inside.")


def _stored_size(fh, info) -> int:
    start = fh.tell()
    fh.seek(0, 2)
    return min(info.compress_size, fh.tell() - start)


def _bad_zip(path: Path) -> InputError:
    return InputError(f"{path.name} 不是可读的 zip 压缩包 / is not a readable zip archive.",
                      field="path", value=path.name, fix="重新打包 / Re-create the archive.")


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
        kind_zh, kind_en = (repr(suffix), repr(suffix)) if suffix else ("无扩展名的", "no extension")
        raise InputError(f"不能写出{kind_zh}文件 {path.name}。cannot write {path.name}: "
                         f"{kind_en}.", field="path",
                         value=path.name, fix="用 .geojson、.gpkg、.parquet 或 .csv。Use .geojson, "
                                              ".gpkg, .parquet or .csv.")
    return path
