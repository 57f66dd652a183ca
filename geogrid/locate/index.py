"""Which area is this point in? An exact in-memory point-in-area index.

Every incident, address and GPS fix is dispatched to the microgrid (微网格)
it falls in, so this lookup runs for every event and for whole batches of
millions of points. :class:`AreaIndex` answers it with one array lookup for
almost every point and an exact geometric test for the rest.

Method
------
The idea is MapIt's: mySociety's boundary service stores every area cut into
small pieces (its ``GeometrySubdivided`` table, filled with PostGIS
``ST_Subdivide``) so that a point query only ever tests a few short
polygons [1]_. Here the pieces are the cells of one regular grid laid over
the areas, and the table lives in a numpy array.

1. **Boundary cells.** Every ring segment of every area is walked across the
   grid, column by column (or row by row, along its longer axis), and every
   cell it comes within ``1e-9°`` (0.1 mm) of is marked. The margin is far
   larger than the rounding error of the cell arithmetic, so a point is
   never put in a cell that an edge misses by less than a rounding error.
2. **Pure cells.** Each ring's orientation is read from the sign of its
   shoelace area (shells counted counter-clockwise, holes clockwise, however
   they are stored) and each row's centre line is scanned: a segment
   crossing it adds ``+1`` (downwards) or ``-1`` (upwards) at the next cell
   centre, and the same times ``area + 1`` to a second sum (both in one
   int64). Running sums along the rows are winding numbers: per cell,
   how many areas hold its centre and, where one does, which. No edge comes
   near an unmarked cell, so its centre's area is the whole cell's, exactly.
   (Where some centre lies in two areas, the crossings are paired per area
   instead and the lowest tie-break rank wins.)
3. **Candidates.** Each boundary cell keeps the areas whose edges touch it,
   sorted by tie-break rank. An area that holds a boundary cell's centre
   with no edge in the cell holds all of it, and another area's edge lies
   inside it (they overlap): it is added to that cell's list, so an area
   that overlaps a cell without an edge in it is never missed.
4. **Lookup table.** One small integer per cell: the area position for pure
   cells, ``-1`` outside, ``-2 - k`` for a boundary cell with candidate
   list ``k``.

A query is two multiply-adds and one gather. Points in boundary cells
(about 10 % of them for a street's plan) are tested exactly with
:func:`shapely.intersects_xy` against their few candidates, so the answer is
the one ``shapely.covers`` (and ``geopandas.sjoin(predicate="intersects")``)
gives, including points on the outer edge of the coverage.

Threads may share one index: it owns copies of its polygons and never
prepares them (a GEOS prepared polygon builds and updates its point locator
without locks, which corrupts the heap when threads share it, even after a
warm-up), and what it builds after construction (the nearest-area search,
the polygons of a loaded index) is built once under a lock, then only read.

The cell size is chosen from the total edge length so that about
``target_boundary`` of the grid's cells are boundary cells, within
``max_cells`` (about 2 bytes a cell) and within 128 cells per ring segment
(so a small plan gets a small table). Build time grows with the number of
vertices plus the number of cells.

Ties and coverage gaps
----------------------
A point on an edge (or vertex) shared by several areas is covered by all of
them. It goes to exactly one: the area with the **smallest tie-break key**
(by default the id column, e.g. ``tie_break="code"`` for the 15-digit grid
code), then the smallest row position. Batch and single lookups share this
rule. Points outside every area are ``-1``; with ``snap_m`` they go to the
nearest area within that many metres (distances in a local transverse
Mercator, see :func:`geogrid.crs.metric_crs`) and are flagged as snapped.

Levels
------
Index the leaves only (the microgrids of the active plan): they tile the
street, so every point has one answer. Grids and the street follow from the
leaf through the parent column, see :func:`ancestors`.

References
----------
.. [1] mySociety, *MapIt*, https://github.com/mysociety/mapit
   (``mapit/migrations/0005_geometrysubdivided.py``).

Example
-------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> from geogrid.locate import AreaIndex
>>> areas = gpd.GeoDataFrame(
...     {"id": ["MG-W", "MG-E"]},
...     geometry=[box(121.50, 31.23, 121.51, 31.24), box(121.51, 31.23, 121.52, 31.24)],
...     crs="EPSG:4490",
... )
>>> index = AreaIndex.from_frame(areas)
>>> index.locate([121.505, 121.515, 121.53], [31.235, 31.235, 31.235]).tolist()
[0, 1, -1]
>>> index.locate_one(121.51, 31.235)        # on the shared edge: "MG-E" < "MG-W"
1
>>> hit = index.locate_detail([121.5205], [31.235], snap_m=100)
>>> int(hit.position[0]), bool(hit.snapped[0]), round(float(hit.distance_m[0]))
(1, True, 48)
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from pathlib import Path
from typing import NamedTuple

from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._errors import InputError, OutOfCoverageError, ValidationError, ValidationProblem
from ._args import coordinates as _coordinates, objects as _objects, snap_distance as _snap_distance
from ._build import build_checked, build_tables, first_hits
from ._checks import check_grid, checked_arrays, validate_areas, validity_ahead
from ._parallel import by_blocks

if TYPE_CHECKING:       # geopandas, pandas and pyproj load only where they are used
    import geopandas as gpd
    import pandas as pd

    from ._near import NearestAreas

__all__ = ["AreaIndex", "Located"]

#: Points are looked up in chunks this long, so temporaries stay in cache.
_CHUNK = 1 << 16
#: Points in boundary cells are tested exactly in blocks this long.
_EXACT_BLOCK = 1 << 21
#: A batch is spread over the cores in blocks of this many points.
_PARALLEL_BLOCK = 1 << 18


class Located(NamedTuple):
    """The answer of :meth:`AreaIndex.locate_detail`, one entry per point.

    ``position`` is the row position of the area in the indexed frame (``-1``
    for none), ``snapped`` says the point was outside every area and was
    assigned to the nearest one within ``snap_m``, and ``distance_m`` is the
    distance in metres to the assigned area (``0`` inside), or to the nearest
    area for points left unassigned (``nan`` for missing coordinates).
    """

    position: np.ndarray
    snapped: np.ndarray
    distance_m: np.ndarray


class AreaIndex:
    """An exact point-in-area lookup table over non-empty polygonal areas.

    Build it with :meth:`from_frame`. Positions returned by the lookups are
    row positions into the frame it was built from (``areas.iloc[pos]``);
    :attr:`ids` maps them to id values.
    """

    def __init__(self, *, geoms, ids, rank, crs, grid, lut, set_ptr, set_items, stats,
                 quick=None, build=None, bounds=None):
        # ``geoms`` is an array of shapely polygons owned by this index, or an
        # object whose ``take`` parses them on first use (an index loaded from a file)
        self._geoms_or_maker = geoms
        # an object array, or for a loaded index the saved (memory-mapped) text or
        # int64 array, made into Python objects when first asked for (:attr:`_ids`)
        self._id_values = ids
        self._rank = rank
        self._crs = crs
        self._grid = tuple(grid)
        self._x0, self._y0, self._sx, self._sy, self._nx, self._ny = grid
        self._lut = lut
        self._set_ptr = set_ptr
        self._set_items = set_items
        self.stats = stats
        # a lazy index answers from ``quick`` (:class:`~geogrid.locate._quick.QuickTables`)
        # until the lookup table is needed; ``build`` makes the table then
        self._quick = quick
        self._build = build
        # per-area lon/lat bounds (n x 4) when known without parsing the polygons
        self._bounds = bounds
        self._init_lazy()

    def _init_lazy(self) -> None:
        # Everything built after construction is built once, under this lock,
        # and then only read: threads sharing the index never race on a cache.
        self._lock = threading.RLock()
        self._metric_parts = None

    @property
    def _ids(self) -> np.ndarray:
        """Id values by position, as Python objects (an object array)."""
        ids = self._id_values
        if isinstance(ids, np.memmap):          # a loaded index's: converted once
            self._id_values = ids = _objects(ids)
        return ids

    def id_of(self, position: int):
        """The id at ``position`` (``>= 0``), without converting every id of a loaded index."""
        value = self._id_values[position]
        return value.item() if isinstance(value, np.generic) else value

    @property
    def crs(self):
        """The CRS of the areas (a :class:`pyproj.CRS`; an index built from arrays
        keeps the text it was given until asked)."""
        if isinstance(self._crs, str):
            from pyproj import CRS

            self._crs = CRS.from_user_input(self._crs)
        return self._crs

    def __getstate__(self) -> dict:
        self._tables()                                # ship the table, not the recipe
        state = {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_metric_parts")}
        state["_geoms_or_maker"] = self._geoms        # ship geometries, not a file handle
        state["_id_values"] = self._ids               # objects, not a memory map
        return state

    def __setstate__(self, state: dict) -> None:
        if "crs" in state:                            # pickled before the CRS was lazy
            state["_crs"] = state.pop("crs")
        state.setdefault("_bounds", None)             # pickled before bounds were kept
        if "_ids" in state:                           # pickled before the ids were lazy
            state["_id_values"] = state.pop("_ids")
        self.__dict__.update(state)
        self._init_lazy()

    def __dask_tokenize__(self) -> str:
        """A cheap, stable token, so that dask does not hash the whole index."""
        return self.token

    @property
    def token(self) -> str:
        """The fingerprint, or for a lazy index a hash of its polygons and ids
        (which does not build the lookup table)."""
        if self._lut is not None:
            return self.fingerprint
        if "token" not in self.stats:
            h = hashlib.blake2b(digest_size=16)
            h.update(b"".join(shapely.to_wkb(self._geoms).tolist()))
            h.update(np.ascontiguousarray(self._rank).view(np.uint8))
            h.update(repr(self._ids.tolist()).encode())
            self.stats["token"] = h.hexdigest()
        return self.stats["token"]

    @property
    def fingerprint(self) -> str:
        """A hash of the lookup table and ids: equal indexes have equal fingerprints."""
        if "fingerprint" not in self.stats:
            self._tables()
            h = hashlib.blake2b(digest_size=16)
            for arr in (self._lut, self._set_ptr, self._set_items, self._rank):
                h.update(np.ascontiguousarray(arr).view(np.uint8))
            h.update(repr((self._grid, self._ids.tolist())).encode())
            self.stats["fingerprint"] = h.hexdigest()
        return self.stats["fingerprint"]

    @property
    def _geoms(self) -> np.ndarray:
        """Every polygon (parses all of them for a loaded index)."""
        geoms = self._geoms_or_maker
        if isinstance(geoms, np.ndarray):
            return geoms
        return geoms.take(np.arange(len(self._id_values)))

    def _geoms_at(self, positions: np.ndarray) -> np.ndarray:
        """The polygons at ``positions`` (a loaded index parses only these, once)."""
        geoms = self._geoms_or_maker
        return geoms[positions] if isinstance(geoms, np.ndarray) else geoms.take(positions)

    def save(self, path) -> Path:
        """Write the index to directory ``path`` (see :func:`load`); returns it."""
        from ._file import save_index

        self._tables()
        return save_index(self, path)

    @classmethod
    def load(cls, path, *, mmap: bool = True) -> AreaIndex:
        """Open an index saved with :meth:`save`; arrays are memory-mapped."""
        from ._file import load_index

        return load_index(cls, path, mmap=mmap)

    # ------------------------------------------------------------------ build
    @classmethod
    def from_frame(
        cls,
        areas: gpd.GeoDataFrame,
        id_column: str = "id",
        *,
        tie_break: str | None = None,
        target_boundary: float = 0.05,
        max_cells: int = 1 << 22,
        lazy: bool = False,
        known_valid: bool = False,
    ) -> AreaIndex:
        """Index the (leaf) areas of ``areas``.

        Parameters
        ----------
        areas
            Polygon/MultiPolygon areas in EPSG:4490 (or EPSG:4326), normally
            the microgrids of one plan, which tile their street.
        id_column
            Column holding a unique, non-null id per area.
        tie_break
            Column whose smallest value wins a point covered by several areas
            (on a shared edge or vertex). Defaults to ``id_column``.
        target_boundary
            Wanted share of grid cells crossed by an edge; smaller means a
            finer grid, fewer exact tests and more memory.
        max_cells
            Upper bound on the number of grid cells (2 or 4 bytes each).
        lazy
            For one pass over a batch: build no lookup table now, answer from
            bucketed bounding boxes and a crossing test instead
            (:mod:`geogrid.locate._quick`, the same answers for a fraction
            of the build cost), and build the table only if the index is
            saved, pickled or fingerprinted. A lazy index reads the caller's
            polygons without copying them: do not prepare them while it is in use.
        known_valid
            The polygons' validity was established before (the areas of a stored
            plan version whose locator was built from them, with every check):
            GEOS's validity test, the costliest check (a build's worth at 300
            areas), is not run again. Every other check still is. Never pass it
            for a file a user gives: an invalid polygon can give wrong answers.
        """
        started = time.perf_counter()
        check_grid(target_boundary, max_cells)
        geoms, ids, key, bounds, order, valid = validate_areas(
            areas, id_column, tie_break, ahead=not lazy, known_valid=known_valid)
        if lazy:
            return cls._lazy(geoms, ids, key, areas.crs, target_boundary, int(max_cells), started,
                             bounds=bounds, order=order)
        # the index owns its geometries: the copies the build makes, never
        # prepared, so that threads sharing the index only ever read them
        tables = build_checked(geoms, key, target_boundary, int(max_cells), valid, areas.index,
                        "areas", bounds=bounds, order=order)
        tables["stats"]["build_s"] = round(time.perf_counter() - started, 4)
        return cls(ids=ids, crs=areas.crs, **tables)

    @classmethod
    def from_arrays(cls, geoms, ids, key=None, *, crs: str = "EPSG:4490", where: str = "areas",
                    target_boundary: float = 0.05, max_cells: int = 1 << 22,
                    lazy: bool = False, known_valid: bool = False) -> AreaIndex:
        """Index lon/lat polygons given as arrays, without pandas or geopandas.

        ``geoms`` are shapely (Multi)Polygons in ``crs`` (EPSG:4490 or
        EPSG:4326), ``ids`` one unique id each, ``key`` the tie-break values
        (default: the ids). The checks, the table, ``lazy``, ``known_valid`` and
        the answers are those of :meth:`from_frame`; ``where`` names the input in error
        messages. The geometries become the index's own: do not use them
        afterwards.
        """
        started = time.perf_counter()
        ids = np.asarray(ids, dtype=object)
        key = ids if key is None else np.asarray(key, dtype=object)
        check_grid(target_boundary, max_cells)
        geoms = np.asarray(geoms, dtype=object)
        valid = None if lazy or known_valid else validity_ahead(geoms)
        labels = np.arange(len(ids))
        geoms, ids, key, bounds, order = checked_arrays(
            geoms, ids, key, labels, where=where,
            valid=np.ones(len(geoms), dtype=bool) if known_valid else valid)
        if lazy:
            return cls._lazy(geoms, ids, key, crs, target_boundary, int(max_cells), started,
                             bounds=bounds, order=order)
        tables = build_checked(geoms, key, target_boundary, int(max_cells), valid, labels, where,
                        copy=False, bounds=bounds, order=order)
        tables["stats"]["build_s"] = round(time.perf_counter() - started, 4)
        return cls(ids=ids, crs=crs, **tables)

    @classmethod
    def _lazy(cls, geoms, ids, key, crs, target_boundary: float, max_cells: int,
              started: float, *, bounds: np.ndarray, order: np.ndarray) -> AreaIndex:
        from ._quick import QuickTables

        rank = np.empty(len(key), dtype=np.intp)
        rank[order] = np.arange(len(key))
        stats = {"areas": len(ids), "lazy": True}

        def build() -> dict:
            return build_tables(geoms, key, target_boundary, max_cells, bounds=bounds,
                                order=order)

        index = cls(geoms=geoms, ids=ids, rank=rank, crs=crs, grid=(0, 0, 0, 0, 0, 0),
                    lut=None, set_ptr=None, set_items=None, stats=stats,
                    quick=QuickTables(geoms, rank), build=build)
        stats["build_s"] = round(time.perf_counter() - started, 4)
        return index

    def _tables(self) -> None:
        """Build the lookup table of a lazy index (once, under the lock)."""
        if self._lut is not None:
            return
        with self._lock:
            if self._lut is None:
                tables = self._build()
                self._rank, self._set_ptr, self._set_items = (
                    tables["rank"], tables["set_ptr"], tables["set_items"])
                self._grid = tuple(tables["grid"])
                self._x0, self._y0, self._sx, self._sy, self._nx, self._ny = self._grid
                self.stats.update(tables["stats"], lazy=False)
                self.stats.pop("token", None)
                self._geoms_or_maker = tables["geoms"]      # copies, never prepared
                self._lut = tables["lut"]      # then readers switch to the table
                self._quick = None

    # ----------------------------------------------------------- properties
    def __len__(self) -> int:
        return len(self._id_values)

    def __repr__(self) -> str:
        s = self.stats
        if self._lut is None:
            return f"<AreaIndex {s['areas']} areas, lazy (no lookup table yet)>"
        return (f"<AreaIndex {s['areas']} areas, grid {s['grid'][0]}x{s['grid'][1]} "
                f"of {s['cell_m']} m cells, {100 * s['boundary_fraction']:.2f}% boundary>")

    @property
    def ids(self) -> np.ndarray:
        """Id values by position (a copy)."""
        return self._ids.copy()

    def ids_at(self, positions) -> np.ndarray:
        """Id values at ``positions``, ``None`` where the position is ``-1``."""
        positions = np.asarray(positions, dtype=np.intp)
        out = np.full(positions.shape, None, dtype=object)
        found = positions >= 0
        out[found] = self._ids[positions[found]]
        return out

    # ---------------------------------------------------------------- batch
    def locate(self, lon, lat, *, snap_m: float | None = None) -> np.ndarray:
        """Position of the area covering each point, ``-1`` for none.

        ``lon``/``lat`` are equal-shaped arrays in the index CRS. Missing or
        non-finite coordinates give ``-1``. With ``snap_m``, a point outside
        every area goes to the nearest area within ``snap_m`` metres.
        """
        x, y, shape = _coordinates(lon, lat)
        pos = self._inside(x, y)
        snap_m = _snap_distance(snap_m)
        if snap_m:
            out = np.flatnonzero((pos < 0) & np.isfinite(x) & np.isfinite(y))
            if out.size:
                near, dist = self._nearest_outside(x[out], y[out], max_distance_m=snap_m)
                pos[out] = np.where(dist <= snap_m, near, -1)
        return pos.reshape(shape)

    def locate_detail(self, lon, lat, *, snap_m: float | None = None) -> Located:
        """Like :meth:`locate`, with a snapped flag and a distance per point.

        Distances of unassigned points are to the nearest area, however far,
        so a caller can tell a datum mix-up (hundreds of metres) from a point
        just off the street's edge.
        """
        x, y, shape = _coordinates(lon, lat)
        pos = self._inside(x, y)
        snap_m = _snap_distance(snap_m)
        finite = np.isfinite(x) & np.isfinite(y)
        dist = np.where(finite, 0.0, np.nan)
        snapped = np.zeros(len(x), dtype=bool)
        out = np.flatnonzero((pos < 0) & finite)
        if out.size:
            near, d = self._nearest_outside(x[out], y[out])
            dist[out] = d
            take = d <= snap_m if snap_m else np.zeros(len(out), dtype=bool)
            pos[out[take]] = near[take]
            snapped[out[take]] = True
        return Located(pos.reshape(shape), snapped.reshape(shape), dist.reshape(shape))

    def nearest(self, lon, lat, max_distance_m: float | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest area of each point and its distance in metres.

        A point inside an area gives that area at distance ``0``. Beyond
        ``max_distance_m`` (if given) the position is ``-1`` but the distance
        is still reported; missing coordinates give ``-1`` and ``nan``.
        """
        limit = math.inf if max_distance_m is None else max_distance_m
        hit = self.locate_detail(lon, lat, snap_m=limit)
        return hit.position, hit.distance_m

    def locate_frame(self, points: gpd.GeoDataFrame | gpd.GeoSeries, *,
                     snap_m: float | None = None) -> pd.DataFrame:
        """Locate the point geometries of ``points``; one row per input row.

        Returns a DataFrame on the same index with columns ``position``
        (``-1`` for none), ``area_id`` (categorical, missing for none),
        ``snapped`` and ``distance_m``.
        Missing or empty geometries are unassigned with distance ``nan``.
        """
        import geopandas as gpd
        import pandas as pd

        from ..crs import require_storage_crs

        if not isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)):
            raise InputError(
                f"points must be a GeoDataFrame or GeoSeries, got {type(points).__name__}.",
                field="points", fix="Build one with geopandas.points_from_xy(lon, lat, crs=...).")
        require_storage_crs(points, "points")
        geom = np.asarray(points.geometry.values if isinstance(points, gpd.GeoDataFrame)
                          else points.values)
        kinds = shapely.get_type_id(geom)
        present = (kinds >= 0) & ~shapely.is_empty(geom)
        bad = np.flatnonzero(present & (kinds != shapely.GeometryType.POINT))
        if bad.size:
            problems = [ValidationProblem(index=points.index[i], field="geometry",
                                          reason=f"is a {geom[i].geom_type}, not a Point")
                        for i in bad]
            raise ValidationError("points must be Point geometries", problems,
                                  fix="Pass representative points, e.g. "
                                      "frame.geometry.representative_point().")
        x = np.full(len(geom), np.nan)
        y = np.full(len(geom), np.nan)
        x[present] = shapely.get_x(geom[present])
        y[present] = shapely.get_y(geom[present])
        hit = self.locate_detail(x, y, snap_m=snap_m)
        return pd.DataFrame({
            "position": hit.position.astype(np.int64),
            "area_id": pd.Categorical.from_codes(hit.position.ravel(), categories=self._ids),
            "snapped": hit.snapped,
            "distance_m": hit.distance_m,
        }, index=points.index)

    # --------------------------------------------------------------- single
    def find(self, lon: float, lat: float) -> int:
        """Position of the area covering one point, ``-1`` for none or for a
        missing coordinate. Plain floats in, a plain int out: no arrays, no
        exception, a few microseconds (the per-request path of a server)."""
        x, y = float(lon), float(lat)
        if not (math.isfinite(x) and math.isfinite(y)):
            return -1
        return self._inside_one(x, y)

    def locate_one(self, lon: float, lat: float, *, snap_m: float | None = None) -> int:
        """Position of the area covering one point.

        Raises :class:`~geogrid.OutOfCoverageError` when the point is in no
        area and farther than ``snap_m`` metres from every area; the message
        names the nearest area and its distance. A missing (NaN) coordinate
        raises :class:`~geogrid.InputError`.
        """
        return self.locate_one_detail(lon, lat, snap_m=snap_m)[0]

    def locate_one_detail(self, lon: float, lat: float, *, snap_m: float | None = None
                          ) -> tuple[int, bool, float]:
        """:meth:`locate_one` with the snapped flag and the distance in metres (``0``
        inside): ``(position, snapped, distance_m)``. Raises as :meth:`locate_one` does."""
        try:
            x = float(lon)
            y = float(lat)
        except (TypeError, ValueError):
            raise InputError(f"lon/lat must be numbers, got {lon!r}, {lat!r}.", field="lon",
                             value=(repr(lon), repr(lat))) from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise InputError(f"point ({x}, {y}) has a missing or infinite coordinate.",
                             field="lon" if not math.isfinite(x) else "lat", value=(x, y),
                             fix="Drop points without coordinates before locating them.")
        pos = self._inside_one(x, y)
        if pos >= 0:
            return pos, False, 0.0
        snap_m = _snap_distance(snap_m)
        near, dist = self._nearest_outside(np.array([x]), np.array([y]))
        near, dist = int(near[0]), float(dist[0])
        if near >= 0 and snap_m and dist <= snap_m:
            return near, True, dist
        raise self._out_of_coverage(x, y, near, dist, snap_m)

    # ------------------------------------------------------------ internals
    def _cell(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        u = x - self._x0
        u *= self._sx
        np.fmax(u, 0.0, out=u)                   # also maps nan to cell 0 (outside)
        np.fmin(u, self._nx - 1, out=u)
        v = y - self._y0
        v *= self._sy
        np.fmax(v, 0.0, out=v)
        np.fmin(v, self._ny - 1, out=v)
        cell = v.astype(np.intp)
        cell *= self._nx
        cell += u.astype(np.intp)
        return cell

    def _inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Position of the lowest-rank area covering each point (``-1``: none), on
        every core for a large batch (:mod:`geogrid.locate._parallel`)."""
        quick = self._quick
        if quick is not None and self._lut is None:
            return quick.locate(x, y)                 # in cell order, on every core
        return by_blocks(self._inside_block, x, y, _PARALLEL_BLOCK)

    def _inside_block(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        pos = np.empty(len(x), dtype=np.intp)
        for lo in range(0, len(x), _CHUNK):
            hi = lo + _CHUNK
            pos[lo:hi] = self._lut[self._cell(x[lo:hi], y[lo:hi])]
        edge = np.flatnonzero(pos < -1)
        for lo in range(0, len(edge), _EXACT_BLOCK):
            at = edge[lo:lo + _EXACT_BLOCK]
            sets = -2 - pos[at]
            # points with the same candidates side by side: each polygon is
            # then tested many times in a row, while in cache
            by = np.argsort(sets, kind="stable")
            at, sets = at[by], sets[by]
            pos[at] = self._exact(x[at], y[at], sets)
        return pos

    def _exact(self, x: np.ndarray, y: np.ndarray, sets: np.ndarray) -> np.ndarray:
        """Exact answer for points in boundary cells with candidate lists ``sets``."""
        start = self._set_ptr[sets]
        count = self._set_ptr[sets + 1] - start
        point = np.repeat(np.arange(len(x)), count)
        first = np.cumsum(count) - count
        cand = self._set_items[np.repeat(start - first, count) + np.arange(len(point))]
        hit = shapely.intersects_xy(self._geoms_at(cand), x[point], y[point])
        # pairs run by point, then by rank: the first hit of a point wins the tie
        return first_hits(point, cand, hit, len(x))

    def _inside_one(self, x: float, y: float) -> int:
        quick = self._quick
        if quick is not None and self._lut is None:
            return int(quick.locate(np.array([x]), np.array([y]))[0])
        u = min(max((x - self._x0) * self._sx, 0.0), self._nx - 1)
        v = min(max((y - self._y0) * self._sy, 0.0), self._ny - 1)
        code = int(self._lut[int(v) * self._nx + int(u)])
        if code >= -1:
            return code
        k = -2 - code
        cand = np.asarray(self._set_items[self._set_ptr[k]:self._set_ptr[k + 1]])
        # the array call: a scalar one would prepare the shared geometry
        hit = np.flatnonzero(shapely.intersects_xy(self._geoms_at(cand), x, y))
        return int(cand[hit[0]]) if hit.size else -1

    @property
    def _metric(self) -> NearestAreas:
        """The nearest-area search for points outside every area (distances in a
        local transverse Mercator, see :mod:`geogrid.locate._near`).

        Built on the first distance asked for (or by :meth:`warm`), once,
        under the lock: a tree of bounding boxes, tens of milliseconds."""
        parts = self._metric_parts
        if parts is None:
            with self._lock:
                if self._metric_parts is None:
                    self._metric_parts = self._build_metric()
                parts = self._metric_parts
        return parts

    def warm(self) -> AreaIndex:
        """Build now what snapped lookups and distances use (the tree of the
        areas' boxes); returns the index."""
        self._metric.tree
        return self

    def _build_metric(self) -> NearestAreas:
        from ._near import NearestAreas

        bounds = self._bounds if self._bounds is not None else shapely.bounds(self._geoms)
        # the CRS as given (text for a loaded index): no parse for the storage CRSs
        return NearestAreas(bounds, self._crs, self._geoms_at, self._rank,
                            extent=self.stats.get("extent"))

    def _nearest_outside(self, x: np.ndarray, y: np.ndarray,
                         max_distance_m: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Nearest area of points outside every area (lowest rank among
        equally near ones) and its distance in metres."""
        return self._metric.nearest(x, y, max_distance_m)

    def _out_of_coverage(self, x: float, y: float, near: int, dist: float,
                         snap_m: float) -> OutOfCoverageError:
        where = f"Point (lon {x:.7f}, lat {y:.7f}) is in no area"
        hints = []
        if self._inside_one(y, x) >= 0:
            hints.append("lon and lat look swapped: (lat, lon) falls inside an area.")
        if near >= 0:
            limit = f"snap_m={snap_m:g}" if snap_m else "no snapping asked"
            message = f"{where}; the nearest is {self._ids[near]!r} at {dist:.1f} m ({limit})."
            hints.append(f"To accept it, pass snap_m >= {math.ceil(dist)}.")
        else:
            message = f"{where}, and is too far from them to measure (is it lon/lat?)."
        hints.append("If it came from Amap, Tencent or a WeChat map (GCJ-02) or from Baidu "
                     "(BD-09), convert it with geogrid.datum.to_storage first: those datums "
                     "are 300-600 m off.")
        return OutOfCoverageError(message, field="point", value=(x, y), fix=" ".join(hints))
