"""Building blocks of the point index: input checks, ring segments, the grid
and its boundary cells, and the shared candidate lists.

They are pure functions over numpy arrays; :class:`~geogrid.locate.index.AreaIndex`
strings them together (see its module docstring for the method).
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from .._errors import InputError, ValidationError, ValidationProblem

__all__ = ["M_PER_DEG", "build_tables", "validate_areas", "validate_arrays", "segments", "choose_grid",
           "touched_cells", "sorted_unique", "expand", "centres", "first_by_rank", "first_hits",
           "candidate_sets"]

#: Approximate metres per degree, only used to make cells roughly square.
M_PER_DEG = 111_320.0
#: Cells within this many degrees (about 0.1 mm) of an edge are boundary cells.
_PAD_DEG = 1e-9


def build_tables(geoms: np.ndarray, key: np.ndarray, target_boundary: float,
                 max_cells: int) -> dict:
    """The lookup table and candidate lists of an index over ``geoms``.

    Returns the keyword arguments of :class:`~geogrid.locate.index.AreaIndex`
    other than the geometries, ids and CRS.
    """
    n = len(geoms)
    order = np.argsort(key, kind="stable")          # positions by (key, position)
    rank = np.empty(n, dtype=np.intp)
    rank[order] = np.arange(n)
    ax, ay, bx, by, seg_area = segments(geoms)
    grid = choose_grid(shapely.total_bounds(geoms), ax, ay, bx, by, target_boundary, max_cells)
    x0, y0, sx, sy, nx, ny = grid
    pad = max(_PAD_DEG * max(sx, sy), 1e-8)
    cols, rows, which = touched_cells(
        (ax - x0) * sx, (ay - y0) * sy, (bx - x0) * sx, (by - y0) * sy, pad)
    del ax, ay, bx, by
    cell_rank = sorted_unique((rows * nx + cols) * n + rank[seg_area[which]])
    del cols, rows, which
    tree = shapely.STRtree(geoms)
    # In a valid coverage (no overlaps) no area covers a cell that holds
    # another area's edge; GEOS checks that faster than the cells can be tested.
    overlaps = not bool(shapely.coverage_is_valid(geoms))
    if overlaps:
        extra = _covering_without_edges(geoms, tree, cell_rank, grid, rank, n)
        cell_rank = sorted_unique(np.concatenate([cell_rank, extra]))
        del extra
    bcell_of, set_of_cell, set_ptr, set_ranks = candidate_sets(cell_rank, n)
    del cell_rank
    lut, n_comp, shared = _label_pure_cells(grid, bcell_of, set_of_cell, tree, rank, n,
                                            len(set_ptr) - 1)
    stats = {
        "areas": n,
        "vertices": int(shapely.get_num_coordinates(geoms).sum()),
        "grid": (ny, nx),
        "cell_m": round(M_PER_DEG / sy, 3),
        "boundary_cells": int(len(bcell_of)),
        "boundary_fraction": round(len(bcell_of) / (nx * ny), 5),
        "candidate_sets": int(len(set_ptr) - 1),
        "components": int(n_comp),
        "overlaps": overlaps or shared,
        "lut_bytes": int(lut.nbytes),
    }
    return {"rank": rank, "grid": grid, "lut": lut, "set_ptr": set_ptr,
            "set_items": order[set_ranks], "stats": stats}


def _covering_without_edges(geoms, tree, cell_rank, grid, rank, n: int) -> np.ndarray:
    """``cell * n + rank`` keys of areas that cover a boundary cell with no edge in it.

    An area with no edge within the pad of a cell covers all of it or none
    of it, so the cell's centre decides. Only areas whose bounding box holds
    the centre are tested, and only those without an edge there; in a valid
    coverage none of them covers the centre (that would be an overlap), so
    the answer is empty (the caller skips the search for valid coverages).
    """
    bcells = sorted_unique(cell_rank // n)
    cx, cy = centres(bcells, grid)
    qi, qa = tree.query(shapely.points(cx, cy))             # bounding boxes only
    key = bcells[qi] * n + rank[qa]
    at = np.minimum(np.searchsorted(cell_rank, key), len(cell_rank) - 1)
    new = cell_rank[at] != key
    qi, qa, key = qi[new], qa[new], key[new]
    if not len(key):
        return key
    return key[shapely.intersects_xy(geoms[qa], cx[qi], cy[qi])]


def _label_pure_cells(grid, bcell_of, set_of_cell, tree, rank, n: int, n_sets: int):
    """The lookup table: area per pure cell (one exact test per component),
    ``-2 - list`` per boundary cell."""
    from scipy import ndimage       # only a build needs it, not a worker opening a saved index

    x0, y0, sx, sy, nx, ny = grid
    boundary = np.zeros(nx * ny, dtype=bool)
    boundary[bcell_of] = True
    labels, n_comp = ndimage.label(~boundary.reshape(ny, nx))
    del boundary
    labels = labels.ravel()
    rep = np.zeros(n_comp + 1, dtype=np.intp)
    rep[labels] = np.arange(labels.size)      # any cell of each component will do
    comp_area = np.full(n_comp + 1, -1, dtype=np.intp)
    shared = False
    if n_comp:
        qi, qa = tree.query(shapely.points(*centres(rep[1:], grid)), predicate="intersects")
        comp_area[1:] = first_by_rank(qi, qa, rank, n_comp)
        shared = bool(np.any(np.sort(qi)[1:] == np.sort(qi)[:-1]))
    dtype = np.int16 if max(n, n_sets + 2) < np.iinfo(np.int16).max else np.int32
    lut = comp_area.astype(dtype)[labels]
    lut[bcell_of] = (-2 - set_of_cell).astype(dtype)
    return lut, n_comp, shared


def validate_areas(areas, id_column: str, tie_break: str | None):
    """The polygons, ids and tie-break keys of a GeoDataFrame of areas, checked
    (see :func:`validate_arrays`); raises on a wrong type, CRS or column."""
    import geopandas as gpd

    from ..crs import require_storage_crs

    if not isinstance(areas, gpd.GeoDataFrame):
        raise InputError(f"areas must be a GeoDataFrame, got {type(areas).__name__}.",
                         field="areas", fix="Wrap it: geopandas.GeoDataFrame(df, crs='EPSG:4490').")
    require_storage_crs(areas, "areas")
    if len(areas) == 0:
        raise InputError("areas is empty; there is nothing to index.", field="areas",
                         fix="Pass the microgrids of the active plan.")
    for name, col in (("id_column", id_column), ("tie_break", tie_break or id_column)):
        if col not in areas.columns:
            raise InputError(f"areas has no column {col!r} (given as {name}).", field=name,
                             value=list(areas.columns)[:20],
                             fix=f"Pass {name}= one of the columns.")
    key = areas[tie_break or id_column]
    return validate_arrays(np.array(areas.geometry.values, dtype=object),
                           areas[id_column].to_numpy(), key.to_numpy(), areas.index,
                           id_column=id_column,
                           tie_break=tie_break if tie_break and tie_break != id_column else None)


def _missing(values: np.ndarray) -> np.ndarray:
    """None or NaN, element by element (what pandas' ``isna`` says of an object array)."""
    if values.dtype.kind in "fc":
        return np.isnan(values)
    if values.dtype.kind != "O":
        return np.zeros(len(values), dtype=bool)
    return np.fromiter((v is None or (isinstance(v, float) and v != v) for v in values.tolist()),
                       dtype=bool, count=len(values))


def _repeats(values: np.ndarray) -> np.ndarray:
    """True for every value equal to an earlier one (pandas' ``duplicated(keep="first")``)."""
    seen: set = set()
    out = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values.tolist()):
        if v in seen:
            out[i] = True
        else:
            seen.add(v)
    return out


def validate_arrays(geoms: np.ndarray, ids: np.ndarray, key: np.ndarray, index, *,
                    id_column: str = "id", tie_break: str | None = None, where: str = "areas"):
    """Check areas given as arrays; returns ``(geoms, ids, key)``.

    Every missing or repeated id, missing tie-break key, missing, empty,
    non-polygonal or invalid geometry (with :func:`shapely.is_valid_reason`)
    and geometry outside the lon/lat range is collected, and one
    :class:`~geogrid.ValidationError` lists them all. ``index`` labels the
    rows in the report.
    """
    if len(geoms) == 0:
        raise InputError(f"{where} 没有区域 / {where} is empty; there is nothing to index.",
                         field="areas", fix="传入生效方案的微网格 / pass the microgrids of the "
                                            "active plan.")
    problems: list[ValidationProblem] = []
    for i in np.flatnonzero(_missing(ids)):
        problems.append(ValidationProblem(index[i], id_column, "is missing"))
    for i in np.flatnonzero(_repeats(ids)):
        problems.append(ValidationProblem(index[i], id_column, "repeats an earlier id",
                                          value=ids[i]))
    if tie_break:
        for i in np.flatnonzero(_missing(key)):
            problems.append(ValidationProblem(index[i], tie_break, "is missing"))
    problems += _geometry_problems(geoms, index)
    if problems:
        raise ValidationError(f"{where} 中的区域无法建立索引 / {where} cannot be indexed",
                              problems, fix="修正或删除这些行；无效多边形请显式修复 / fix or drop "
                                            "these rows; repair invalid polygons explicitly with "
                                            "shapely.make_valid(..., method='structure').")
    try:
        np.argsort(key, kind="stable")
    except TypeError:
        raise InputError(f"{tie_break or id_column} mixes values that cannot be ordered.",
                         field="tie_break",
                         fix="Use a column of one type (e.g. the code).") from None
    return geoms, ids, key


def _geometry_problems(geoms: np.ndarray, index) -> list[ValidationProblem]:
    problems = []
    kinds = shapely.get_type_id(geoms)
    polygonal = ((kinds == shapely.GeometryType.POLYGON)
                 | (kinds == shapely.GeometryType.MULTIPOLYGON))
    for i in np.flatnonzero(~polygonal):
        what = "is missing" if kinds[i] < 0 else f"is a {geoms[i].geom_type}, not a (Multi)Polygon"
        problems.append(ValidationProblem(index[i], "geometry", what))
    ok = np.flatnonzero(polygonal)
    for i in ok[shapely.is_empty(geoms[ok])]:
        problems.append(ValidationProblem(index[i], "geometry", "is empty"))
    ok = ok[~shapely.is_empty(geoms[ok])]
    valid = shapely.is_valid(geoms[ok])
    for i in ok[~valid]:
        problems.append(ValidationProblem(index[i], "geometry", shapely.is_valid_reason(geoms[i])))
    ok = ok[valid]
    if ok.size:
        b = shapely.bounds(geoms[ok])
        lon_off = (np.abs(b[:, [0, 2]]) > 180).any(axis=1)
        wild = ok[lon_off | (np.abs(b[:, [1, 3]]) > 90).any(axis=1)]
        for i in wild:
            problems.append(ValidationProblem(index[i], "geometry",
                                              "has coordinates outside lon/lat range; "
                                              "is it projected but labelled EPSG:4490?"))
    return problems


def segments(geoms: np.ndarray):
    """Every ring segment as (ax, ay, bx, by, area position), by area position.

    Polygons without holes (one ring each) are read in one pass; the others
    ring by ring.
    """
    simple = ((shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON)
              & (shapely.get_num_interior_rings(geoms) == 0))
    if simple.all():
        xy, owner = shapely.get_coordinates(geoms, return_index=True)
        same = np.flatnonzero(owner[1:] == owner[:-1])
        return xy[same, 0], xy[same, 1], xy[same + 1, 0], xy[same + 1, 1], owner[same]
    if not simple.any():
        return _ring_segments(geoms)
    one = np.flatnonzero(simple)
    many = np.flatnonzero(~simple)
    pieces = [segments(geoms[one]), _ring_segments(geoms[many])]
    owner = np.concatenate([one[pieces[0][4]], many[pieces[1][4]]])
    by = np.argsort(owner, kind="stable")
    return tuple(np.concatenate([p[i] for p in pieces])[by] for i in range(4)) + (owner[by],)


def _ring_segments(geoms: np.ndarray):
    parts, part_area = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, xy_ring = shapely.get_coordinates(rings, return_index=True)
    same = np.flatnonzero(xy_ring[1:] == xy_ring[:-1])
    a, b = xy[same], xy[same + 1]
    return a[:, 0], a[:, 1], b[:, 0], b[:, 1], part_area[ring_part[xy_ring[same]]]


def choose_grid(bounds, ax, ay, bx, by, target_boundary: float, max_cells: int):
    """Grid origin, cells per degree and shape, with two outside cells on each side.

    A segment of length ``l`` crosses about ``(4/pi) l / h`` cells of size
    ``h``; each edge is usually listed twice (once per neighbour), so the
    boundary share of a bbox of area ``A`` is about ``0.64 L h / A`` for total
    ring length ``L``.
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    kx = M_PER_DEG * math.cos(math.radians((miny + maxy) / 2))
    ky = M_PER_DEG
    width = max((maxx - minx) * kx, 1e-3)
    height = max((maxy - miny) * ky, 1e-3)
    length = float(np.hypot((bx - ax) * kx, (by - ay) * ky).sum())
    cell = target_boundary * width * height / max(0.64 * length, 1e-9)
    cell = max(cell, math.sqrt(width * height / max_cells))
    while True:
        nx, ny = math.ceil(width / cell) + 4, math.ceil(height / cell) + 4
        if nx * ny <= max_cells:
            break
        cell *= 1.02
    dx = max(maxx - minx, 1e-3 / kx) / (nx - 4)
    dy = max(maxy - miny, 1e-3 / ky) / (ny - 4)
    return minx - 2 * dx, miny - 2 * dy, 1.0 / dx, 1.0 / dy, nx, ny


def touched_cells(au, av, bu, bv, pad: float):
    """Cells within ``pad`` (grid units) of each segment: (cols, rows, segment index).

    Each segment is walked along its longer axis so the slope is at most 1
    and the interpolation error stays tiny.
    """
    steep = np.abs(bv - av) > np.abs(bu - au)
    flat = np.flatnonzero(~steep)
    steep = np.flatnonzero(steep)
    c1, r1, s1 = _sweep(au[flat], av[flat], bu[flat], bv[flat], pad)
    r2, c2, s2 = _sweep(av[steep], au[steep], bv[steep], bu[steep], pad)
    return (np.concatenate([c1, c2]), np.concatenate([r1, r2]),
            np.concatenate([flat[s1], steep[s2]]))


def _sweep(p0, q0, p1, q1, pad: float):
    """Cells along segments with ``|p1 - p0| >= |q1 - q0|``: (p cells, q cells, segment)."""
    pmin, pmax = np.minimum(p0, p1), np.maximum(p0, p1)
    qmin, qmax = np.minimum(q0, q1), np.maximum(q0, q1)
    dp = p1 - p0
    slope = np.divide(q1 - q0, dp, out=np.zeros_like(dp), where=dp != 0)
    lo = np.floor(pmin - pad).astype(np.intp)
    count = np.floor(pmax + pad).astype(np.intp) - lo + 1
    seg, step = expand(count)
    col = lo[seg] + step
    # the part of the segment within this column, widened by the pad
    pa = np.maximum(col - pad, pmin[seg])
    pb = np.minimum(col + 1 + pad, pmax[seg])
    qa = q0[seg] + (pa - p0[seg]) * slope[seg]
    qb = q0[seg] + (pb - p0[seg]) * slope[seg]
    qlo = np.maximum(np.minimum(qa, qb), qmin[seg]) - pad
    qhi = np.minimum(np.maximum(qa, qb), qmax[seg]) + pad
    rlo = np.floor(qlo).astype(np.intp)
    rcount = np.floor(qhi).astype(np.intp) - rlo + 1
    k, rstep = expand(rcount)
    return col[k], rlo[k] + rstep, seg[k]


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` for integer keys, by sorting (faster than hashing here)."""
    values = np.sort(values)
    keep = np.empty(len(values), dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def expand(count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts ``c_i``: owner index and 0..c_i-1 step for every expanded item."""
    owner = np.repeat(np.arange(len(count)), count)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    return owner, step


def centres(cells: np.ndarray, grid) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, sx, sy, nx, _ = grid
    return x0 + (cells % nx + 0.5) / sx, y0 + (cells // nx + 0.5) / sy


def first_by_rank(qi: np.ndarray, qa: np.ndarray, rank: np.ndarray, n: int) -> np.ndarray:
    """For query hits (qi, qa): the lowest-rank area per query index, -1 for none."""
    out = np.full(n, -1, dtype=np.intp)
    if len(qi):
        by = np.lexsort((rank[qa], qi))
        qi, qa = qi[by], qa[by]
        lead = np.ones(len(qi), dtype=bool)
        lead[1:] = qi[1:] != qi[:-1]
        out[qi[lead]] = qa[lead]
    return out


def first_hits(point: np.ndarray, area: np.ndarray, hit: np.ndarray, n_points: int) -> np.ndarray:
    """For (point, area) pairs run by point, then by rank: the first area ``hit``
    per point (the tie-break winner), ``-1`` for points with none."""
    point, area = point[hit], area[hit]
    lead = np.ones(len(point), dtype=bool)
    lead[1:] = point[1:] != point[:-1]
    out = np.full(n_points, -1, dtype=np.intp)
    out[point[lead]] = area[lead]
    return out


def candidate_sets(cell_rank: np.ndarray, n: int):
    """Group sorted ``cell * n + rank`` keys into candidate lists, one per boundary cell.

    Returns the boundary cells, the list number of each, and the lists as
    CSR (pointer, ranks ascending). Lists are not shared between cells:
    finding equal ones cost more than half of the build at 300,000 areas,
    and the query's sort by list number keeps a cell's points together anyway.
    """
    cell = cell_rank // n
    rank = cell_rank % n
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    set_ptr = np.append(starts, len(cell)).astype(np.intp)
    return cell[starts], np.arange(len(starts), dtype=np.intp), set_ptr, rank.astype(np.intp)
