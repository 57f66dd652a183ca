"""The areas of a batch read straight into arrays, when the file allows it.

A batch over a file of microgrids needs their polygons, ids and codes, not a
GeoDataFrame: :func:`lookup_from_geoparquet` reads a lon/lat GeoParquet
file with pyarrow, so the command loads neither pandas nor geopandas. The
answers are those of :meth:`~geogrid.batch.lookup.BatchLookup.from_frame`
on the same file. Two ways, by what the batch needs (:func:`table_pays`):

* **Many points for few vertices**: the polygons are parsed with
  :func:`shapely.from_wkb`, checked and indexed with the lookup table
  (:meth:`~geogrid.locate.index.AreaIndex.from_arrays`).
* **Otherwise** (a million points in 300,000 microgrids): no GEOS object
  stands between the file and the first answer. The vertices are read
  straight from the WKB (:func:`geogrid.batch.wkb.wkb_rings`) into the
  bucketed boxes and crossing test of :mod:`geogrid.locate._quick`, and the
  polygons are built from them and checked on a thread meanwhile
  (:class:`CheckedPolygons`, the checks of ``from_arrays``). The batch
  polls the checks after each chunk and waits for them before it publishes
  its output, so bad areas stop it with the same report and nothing is
  written.

Any other file (another format, a projected CRS, level or parent columns
whose chain must be resolved, a column name that does not exist) gives
``None``, and the caller reads it with :func:`geogrid.io.read_frame`, which
also reports what is wrong with it.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np

from ..datum import Datum, convert, parse_datum
from .lookup import BatchLookup, _arrow_labels, arrow_labels

__all__ = ["lookup_from_geoparquet", "table_pays", "LONLAT_EPSG", "CheckedPolygons"]

#: lon/lat CRSs that equal the storage CRS here (EPSG:4490 CGCS2000, EPSG:4326 WGS 84)
LONLAT_EPSG = (4490, 4326)


#: points a lookup table must serve per polygon vertex to pay for its build
_POINTS_PER_VERTEX = 20


def table_pays(geoms: np.ndarray, points: int | None) -> bool:
    """Whether building the lookup table (a build that grows with the vertices and
    the grid, then a gather per point) costs less than answering every point from
    bucketed bounding boxes and a crossing test (no build, a few microseconds a
    point): for many points over few vertices. Unknown ``points``: the table."""
    import shapely

    if points is None:
        return True
    return int(shapely.get_num_coordinates(geoms).sum()) * _POINTS_PER_VERTEX <= points


def _lonlat_crs(crs) -> bool:
    """True for a GeoParquet CRS that is lon/lat in the storage datum (missing means
    OGC:CRS84, as the GeoParquet specification says)."""
    if crs is None:
        return True
    ident = crs.get("id") if isinstance(crs, dict) else None
    if not isinstance(ident, dict):
        return False
    authority, code = str(ident.get("authority", "")).upper(), str(ident.get("code", ""))
    return (authority == "EPSG" and code in {str(c) for c in LONLAT_EPSG}) or (
        authority == "OGC" and code == "CRS84")


def _plain_columns(path: Path, columns: dict[str, str | None]):
    """(geometry column, source column per target name) of a lon/lat GeoParquet file
    whose areas are all leaves, else ``None``."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception:             # unreadable: the full reader reports it
        return None
    meta = schema.metadata or {}
    if b"geo" not in meta:
        return None
    try:
        geo = json.loads(meta[b"geo"])
        geometry = geo.get("primary_column", "geometry")
        described = geo["columns"][geometry]
    except (ValueError, KeyError, TypeError):
        return None
    if described.get("encoding", "WKB").upper() != "WKB" or not _lonlat_crs(described.get("crs")):
        return None
    names = [n for n in schema.names if n != geometry]
    source = {n: n for n in names}
    for target, given in columns.items():
        if given is None:
            continue
        if given not in names:
            return None
        source.pop(target, None)            # the file's own column of that name is replaced
        source[target] = given
    if "id" not in source or "level" in source or "parent_id" in source:
        return None
    return geometry, {t: source[t] for t in ("id", "code") if t in source}


def lookup_from_geoparquet(path, datum: str | Datum,
                           columns: dict[str, str | None] | None = None,
                           points: int | None = None) -> BatchLookup | None:
    """The batch lookup of a GeoParquet file of leaf areas (see the module doc), or
    ``None`` when the file needs the full reader.

    ``columns`` maps ``id``/``name``/``code``/``level`` to the file's column
    names (``None``: the column of that name); ``datum`` is the datum of the
    file's coordinates. ``points`` (the number to locate, when known) picks
    the cheaper index for them, see :func:`table_pays`.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    if path.suffix.lower() not in (".parquet", ".geoparquet") or not path.is_file():
        return None
    found = _plain_columns(path, columns or {})
    if found is None:
        return None
    geometry, source = found
    # ParquetFile, not read_table: the dataset layer would load pandas
    # on this thread: the points file is parsed on pyarrow's pool meanwhile, and the areas
    # come first (this read would wait behind it there)
    table = pq.ParquetFile(path, pre_buffer=False).read(
        columns=[geometry, *dict.fromkeys(source.values())], use_threads=False)
    datum = parse_datum(datum)
    ids = _objects(table.column(source["id"]))
    codes = (_objects(table.column(source["code"])) if "code" in source
             else np.full(len(ids), None, dtype=object))
    # the tie-break is the code when every area has its own, as for a plan's areas
    unique_codes = ("code" in source and table.column(source["code"]).null_count == 0
                    and len(set(codes.tolist())) == len(codes))
    key = codes if unique_codes else ids
    index, check = _index_from_wkb(table.column(geometry), ids, key, datum, points, path.name)
    if index is None:
        index = _index_from_polygons(table.column(geometry), ids, key, datum, points,
                                     path.name)
    none = np.full(len(ids) + 1, None, dtype=object)
    # the labels straight from the file's columns (ids that repeat stop the batch anyway)
    missing = _arrow_labels(none)
    arrow = [arrow_labels(table.column(source["id"]), unique=True),
             arrow_labels(table.column(source["code"]), unique=unique_codes)
             if "code" in source else missing, missing]
    return BatchLookup(index, "microgrid", np.append(ids, None), np.append(codes, None),
                       {"grid_id": none}, arrow=None if None in arrow else arrow, check=check)


def _index_from_polygons(column, ids, key, datum: Datum, points, where: str):
    """The index of the areas parsed by shapely, checked before it is built."""
    import shapely

    from ..locate._parallel import map_parts
    from ..locate._quick import build_ahead
    from ..locate.index import AreaIndex

    # to_pylist, not to_numpy: pyarrow converts non-numeric arrays through pandas
    geoms = map_parts(shapely.from_wkb, _objects(column))
    if datum not in (Datum.WGS84, Datum.CGCS2000):
        geoms = shapely.transform(geoms, _shift(datum))
    lazy = not table_pays(geoms, points)
    # a lazy index's tables are built on another core while the areas are checked
    with build_ahead(geoms, key) if lazy else contextlib.nullcontext():
        return AreaIndex.from_arrays(geoms, ids, key, where=where, lazy=lazy)


def _shift(datum: Datum):
    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(convert(xy[:, 0], xy[:, 1], datum, Datum.CGCS2000))

    return shift


def _index_from_wkb(column, ids, key, datum: Datum, points, where: str):
    """A lazy index over the vertices read straight from the WKB (no GEOS object on
    the way to the first answer) and its :class:`CheckedPolygons`, checked on a thread
    meanwhile; ``(None, None)`` when the rows need the full reader or the lookup table
    pays (see the module doc)."""
    from ..locate._quick import QuickTables
    from ..locate.index import AreaIndex
    from .wkb import wkb_rings

    found = wkb_rings(column)
    if found is None or len(found) == 0 or (
            points is None or len(found.rings.x) * _POINTS_PER_VERTEX <= points):
        return None, None
    try:
        rank = np.empty(len(key), dtype=np.intp)
        rank[np.argsort(key, kind="stable")] = np.arange(len(key))
    except TypeError:                     # ids that cannot be ordered: the full checks say so
        return None, None
    if datum not in (Datum.WGS84, Datum.CGCS2000):
        found.shift(lambda x, y: convert(x, y, datum, Datum.CGCS2000), _shift(datum))
    polygons = CheckedPolygons(found, ids, key, where)
    quick = QuickTables.from_rings(found.rings, rank, polygons)
    bounds = np.column_stack([quick.minx, quick.miny, quick.maxx, quick.maxy])
    index = AreaIndex(geoms=polygons, ids=ids, rank=rank, crs="EPSG:4490", grid=(0,) * 6,
                      lut=None, set_ptr=None, set_items=None,
                      stats={"areas": len(ids), "lazy": True}, quick=quick,
                      build=polygons.tables, bounds=bounds)
    return index, polygons


class CheckedPolygons:
    """The polygons of an index built from WKB vertices, made and checked on a
    thread (:func:`~geogrid.locate._build.validate_arrays`: every missing or
    repeated id, invalid or out-of-range polygon, all at once) while the batch
    runs; :meth:`result` waits for them and raises what the checks found.

    The index reads a few polygons (``take``) for points within a rounding error
    of an edge: those are built from their vertices at once, without waiting.
    """

    #: polygons built at once by ``take`` before the check is done (beyond: wait)
    _AT_ONCE = 4096

    def __init__(self, found, ids: np.ndarray, key: np.ndarray, where: str):
        import threading
        from concurrent.futures import Future

        self._found, self._key = found, key
        self._done: Future = Future()
        args = (found, ids, key, where)
        threading.Thread(target=self._run, args=args, name="geogrid-check", daemon=True).start()

    def _run(self, found, ids, key, where) -> None:
        from ..locate._build import validate_arrays
        from .wkb import ragged_polygons

        try:
            geoms = ragged_polygons(found)
            validate_arrays(geoms, ids, key, np.arange(len(ids)), where=where)
            self._done.set_result(geoms)
        except BaseException as exc:            # raised by ``result``, where it is reported
            self._done.set_exception(exc)

    def result(self) -> np.ndarray:
        """Every polygon, once checked; raises the checks' error."""
        return self._done.result()

    def __getstate__(self) -> dict:
        return {"geoms": self.result(), "key": self._key}      # checked polygons only

    def __setstate__(self, state: dict) -> None:
        from concurrent.futures import Future

        self._found, self._key = None, state["key"]
        self._done = Future()
        self._done.set_result(state["geoms"])

    def failed(self) -> BaseException | None:
        """The checks' error if they are done and failed, else ``None`` (no wait)."""
        return self._done.exception() if self._done.done() else None

    def take(self, positions) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.intp)
        if self._done.done() or len(positions) > self._AT_ONCE:
            return self.result()[positions]
        from .wkb import ragged_polygons

        return ragged_polygons(self._found, positions)

    def tables(self) -> dict:
        """The lookup table of the checked polygons (to save or ship the index)."""
        from ..locate._build import build_tables

        return build_tables(self.result(), self._key, 0.05, 1 << 22)


def _objects(column) -> np.ndarray:
    """An Arrow column as a numpy object array (``None`` where missing)."""
    out = np.empty(len(column), dtype=object)
    out[:] = column.to_pylist()
    return out
