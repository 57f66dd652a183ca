"""Reading the basemap's OSM data from files (the only part of the basemap that does IO).

* a **directory** of Tilezen-style layer files (``roads``, ``water``, ``landuse``,
  ``buildings``, ``places``, ``transit``; ``.geojson``, ``.gpkg``, ``.fgb`` or
  ``.parquet``), such as ``data/osm/lujiazui/``;
* a **GeoPackage** holding layers of those names;
* an **OSM extract** (``.osm``, ``.osm.pbf``, ``.pbf``), read with GDAL's OSM driver.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd

from .._errors import InputError
from .layers import LAYERS, empty_layers, normalise_osm, normalise_tilezen

__all__ = ["read_layers", "write_layers", "TILEZEN_FILES", "SUFFIXES", "NORMALISED_MARK"]

TILEZEN_FILES = ("roads", "water", "landuse", "buildings", "places", "transit")
SUFFIXES = (".geojson", ".gpkg", ".fgb", ".parquet", ".json")
#: the layer that marks a GeoPackage written by :func:`write_layers`
NORMALISED_MARK = "labels"


def _read(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    if path.suffix == ".parquet":
        return gpd.read_parquet(path)
    if path.suffix in (".geojson", ".json"):
        # RFC 7946 GeoJSON is lon/lat WGS84; read directly (GDAL would renumber and warn
        # about the repeated OSM ids of features split across tiles)
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        return gpd.GeoDataFrame.from_features(doc.get("features", []), crs=4326)
    with warnings.catch_warnings():  # duplicate OSM ids are renumbered by GDAL: harmless here
        warnings.simplefilter("ignore", RuntimeWarning)
        return gpd.read_file(path, layer=layer, engine="pyogrio")


def _missing(path: Path) -> InputError:
    return InputError(
        f"{path}: 未找到 OpenStreetMap 图层。no OpenStreetMap layers found.", field="basemap",
        value=str(path),
        fix=("请提供含 roads、water、landuse、buildings、places 文件的目录、含这些图层的 "
             "GeoPackage, 或 .osm/.osm.pbf 文件。Give a directory with roads/water/landuse/"
             "buildings/places files, a GeoPackage with those layers, or an .osm/.osm.pbf "
             "extract."))


def read_layers(path: str | Path) -> dict[str, gpd.GeoDataFrame]:
    """The normalised basemap layers (:mod:`.layers`) of the data at ``path``."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: 文件或目录不存在。{path} does not exist.", field="basemap",
                         value=str(path), fix="请检查路径。Check the path.")
    name = path.name.lower()
    try:
        if path.is_dir():
            files = {}
            for stem in TILEZEN_FILES:
                for suffix in SUFFIXES:
                    if (path / f"{stem}{suffix}").exists():
                        files[stem] = _read(path / f"{stem}{suffix}")
                        break
            if not files:
                raise _missing(path)
            return normalise_tilezen(files)
        if name.endswith((".osm", ".pbf")):
            import pyogrio

            layers = {n for n, _ in pyogrio.list_layers(path)}
            get = lambda n: _read(path, n) if n in layers else None  # noqa: E731
            return normalise_osm(lines=get("lines"), polygons=get("multipolygons"),
                                 points=get("points"))
        if name.endswith(".gpkg"):
            import pyogrio

            present = {n for n, _ in pyogrio.list_layers(path)}
            if NORMALISED_MARK in present:  # written by write_layers: already normalised
                out = empty_layers()
                out.update({n: _read(path, n) for n in present & set(LAYERS)})
                return out
            names = present & set(TILEZEN_FILES)
            if not names:
                raise _missing(path)
            return normalise_tilezen({n: _read(path, n) for n in names})
    except InputError:
        raise
    except Exception as exc:  # a file GDAL cannot read: say which and why
        raise InputError(f"{path}: 无法读取 cannot be read ({exc}).", field="basemap",
                         value=str(path), fix="请检查文件是否为有效的 GeoJSON、GeoPackage 或 OSM "
                         "文件。Check the file is a valid GeoJSON, GeoPackage or OSM extract."
                         ) from exc
    raise _missing(path)


def write_layers(layers: dict[str, gpd.GeoDataFrame], path: str | Path) -> None:
    """Write normalised layers to the GeoPackage ``path``, all or nothing.

    The file is written next to ``path`` and moved into place only when every
    layer is written, so a failed write leaves the previous file as it was.
    """
    import os

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        labels = layers.get("labels")
        if labels is None or labels.empty:  # the mark must exist even with no names
            labels = empty_layers()["labels"]
        for name in LAYERS:
            frame = labels if name == "labels" else layers.get(name)
            if frame is None or (frame.empty and name != "labels"):
                continue
            frame = frame.copy()
            if frame.empty:
                frame = gpd.GeoDataFrame({"name": ["-"], "kind": ["-"], "rank": [0.0]},
                                         geometry=gpd.points_from_xy([0], [0]), crs=4326).iloc[:0]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
