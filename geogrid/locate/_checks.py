"""The input checks of the point index: one error that lists every problem.

Every missing or repeated id, missing tie-break key, missing, empty,
non-polygonal or invalid polygon and polygon outside the lon/lat range is
collected, and one :class:`~geogrid.ValidationError` names them all. What
the checks compute and the build needs again (the polygons' bounds, the
order of the tie-break keys) is handed over; the costliest check, GEOS's
validity, runs on another core while the table is built
(:func:`validity_ahead`, :func:`confirm_valid`).
"""

from __future__ import annotations

import functools

import numpy as np
import shapely

from .._errors import InputError, ValidationError, ValidationProblem

__all__ = ["validate_areas", "validate_arrays", "checked_arrays", "confirm_valid",
           "validity_ahead", "check_grid", "storage_srs", "STORAGE_EPSG"]

#: From this many areas on, their validity is checked on another core during the build.
_AHEAD_AREAS = 2_000
#: The EPSG codes of the storage CRS and its lon/lat equivalent (as in ``geogrid.crs``,
#: which loads geopandas; a test holds the two equal).
STORAGE_EPSG = frozenset({4490, 4326})


def check_grid(target_boundary: float, max_cells: int) -> None:
    """Raise on a grid setting out of range (see ``AreaIndex.from_frame``)."""
    if not 0 < target_boundary < 1:
        raise InputError(f"target_boundary 须在 (0, 1) 之间 / target_boundary must be in (0, 1), "
                         f"got {target_boundary!r}.", field="target_boundary",
                         value=target_boundary,
                         fix="如 0.05（5% 的格为边界格）/ use e.g. 0.05 (5 % of cells are "
                             "boundary cells).")
    if int(max_cells) < 64:
        raise InputError(f"max_cells 至少为 64 / max_cells must be at least 64, got "
                         f"{max_cells!r}.", field="max_cells", value=max_cells,
                         fix="用默认值 / leave the default (4,194,304).")


def validate_areas(areas, id_column: str, tie_break: str | None, *, ahead: bool = False,
                   known_valid: bool = False):
    """The polygons, ids and tie-break keys of a GeoDataFrame of areas, checked, with
    their bounds and order (the answer of :func:`checked_arrays`) and the future of
    their validity (``None``: checked already); raises on a wrong type, CRS or column.

    With ``ahead``, the validity of many polygons is left running on another core
    (:func:`validity_ahead`) for :func:`confirm_valid`; with ``known_valid`` (polygons
    whose validity was checked before) GEOS's validity test is not run again."""
    import geopandas as gpd

    from ..crs import require_storage_crs

    if not isinstance(areas, gpd.GeoDataFrame):
        raise InputError(f"areas 须为 GeoDataFrame / areas must be a GeoDataFrame, got "
                         f"{type(areas).__name__}.", field="areas",
                         fix="包装为 / wrap it: geopandas.GeoDataFrame(df, crs='EPSG:4490').")
    crs = areas.crs                 # one look-up: each goes through the geometry column
    if crs is None or not storage_srs(crs.srs):
        require_storage_crs(areas, "areas")     # raises, naming the CRS and the fix
    if len(areas) == 0:
        raise InputError("areas 没有区域 / areas is empty; there is nothing to index.",
                         field="areas", fix="传入生效方案的微网格 / pass the microgrids of the "
                                            "active plan.")
    for name, col in (("id_column", id_column), ("tie_break", tie_break or id_column)):
        if col not in areas.columns:
            raise InputError(f"areas 没有列 {col!r}（{name}）/ areas has no column {col!r} "
                             f"(given as {name}).", field=name, value=list(areas.columns)[:20],
                             fix=f"{name} 须为其中一列 / pass {name}= one of the columns.")
    ids = areas[id_column].to_numpy()
    key = areas[tie_break].to_numpy() if tie_break and tie_break != id_column else ids
    geoms = np.array(areas.geometry.values, dtype=object)
    valid = np.ones(len(geoms), dtype=bool) if known_valid else \
        validity_ahead(geoms) if ahead else None
    checked = checked_arrays(geoms, ids, key, areas.index, id_column=id_column,
                             tie_break=tie_break if tie_break and tie_break != id_column else None,
                             valid=valid)
    return (*checked, None if known_valid else valid)


def validity_ahead(geoms: np.ndarray):
    """:func:`shapely.is_valid` of ``geoms`` started on another core (GEOS releases the
    GIL), as a future, or ``None`` for few polygons (they are checked at once).

    Validity is the costliest check (a fifth of a build at 30,000 areas); the
    table is built meanwhile, and :func:`confirm_valid` waits for it before
    the index is handed out."""
    if len(geoms) < _AHEAD_AREAS:
        return None
    from ._parallel import in_background

    return in_background(shapely.is_valid, geoms)


@functools.lru_cache(maxsize=16)
def storage_srs(srs: str) -> bool:
    """Whether CRS text ``srs`` is the storage CRS (pyproj's identification takes
    about half a millisecond, as long as the rest of a small build)."""
    from pyproj import CRS

    return CRS.from_user_input(srs).to_epsg() in STORAGE_EPSG


def _missing(values: np.ndarray) -> np.ndarray:
    """None or NaN, element by element (what pandas' ``isna`` says of an object array)."""
    if values.dtype.kind in "fc":
        return np.isnan(values)
    if values.dtype.kind != "O":
        return np.zeros(len(values), dtype=bool)
    items = values.tolist()
    # the usual case (str or int ids) in one C-level pass over the types
    if not any(t is type(None) or issubclass(t, float) for t in set(map(type, items))):
        return np.zeros(len(values), dtype=bool)
    return np.fromiter((v is None or (isinstance(v, float) and v != v) for v in items),
                       dtype=bool, count=len(values))


def _repeats(values: np.ndarray) -> np.ndarray:
    """True for every value equal to an earlier one (pandas' ``duplicated(keep="first")``)."""
    items = values.tolist()
    if len(set(items)) == len(items):         # the usual case, in one C-level pass
        return np.zeros(len(values), dtype=bool)
    seen: set = set()
    out = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(items):
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
    rows in the report. :func:`checked_arrays` also returns what the checks
    computed and the build reuses.
    """
    return checked_arrays(geoms, ids, key, index, id_column=id_column, tie_break=tie_break,
                          where=where)[:3]


def checked_arrays(geoms: np.ndarray, ids: np.ndarray, key: np.ndarray, index, *,
                   id_column: str = "id", tie_break: str | None = None, where: str = "areas",
                   valid=None):
    """:func:`validate_arrays`, returning ``(geoms, ids, key, bounds, order)`` too: the
    per-area lon/lat bounds (n x 4) and the positions ordered by (key, position),
    which the build would otherwise compute again.

    ``valid`` may be a future of :func:`shapely.is_valid` of ``geoms`` (running
    on another core while the table is built): it is waited for here only if
    something else is wrong, so that one error still lists every problem, and
    otherwise by :func:`confirm_valid` once the table is built.
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
    if problems and valid is not None and not isinstance(valid, np.ndarray):
        valid = valid.result()                    # one error lists every problem
    geo_problems, bounds = _geometry_problems(geoms, index, valid)
    problems += geo_problems or []                # None: the validity arrives later
    if problems:
        _invalid_areas(problems, where)
    try:
        order = np.argsort(key, kind="stable")
    except TypeError:
        raise InputError(f"{tie_break or id_column} 的值无法排序 / {tie_break or id_column} "
                         "mixes values that cannot be ordered.", field="tie_break",
                         fix="用单一类型的列（如编码）/ use a column of one type (e.g. the "
                             "code).") from None
    return geoms, ids, key, bounds, order


def confirm_valid(geoms: np.ndarray, valid, index, where: str = "areas") -> None:
    """Raise the :class:`~geogrid.ValidationError` of the invalid polygons, if the
    future ``valid`` (of :func:`shapely.is_valid`, see :func:`checked_arrays`)
    finds any; nothing for ``None`` (checked already)."""
    if valid is None:
        return
    ok = valid.result()
    if not ok.all():
        _invalid_areas([ValidationProblem(index[i], "geometry", shapely.is_valid_reason(geoms[i]))
                        for i in np.flatnonzero(~ok)], where)


def _invalid_areas(problems: list[ValidationProblem], where: str):
    raise ValidationError(f"{where} 中的区域无法建立索引 / {where} cannot be indexed",
                          problems, fix="修正或删除这些行；无效多边形请显式修复 / fix or drop "
                                        "these rows; repair invalid polygons explicitly with "
                                        "shapely.make_valid(..., method='structure').")


def _geometry_problems(geoms: np.ndarray, index, valid=None):
    """The problems of each geometry, and the bounds of all (NaN for missing or empty).

    Four GEOS passes in all (type, bounds, validity, and the reasons of the
    invalid ones): an empty geometry is the one with NaN bounds, and
    :func:`shapely.is_valid` says False of a missing one and True of an empty one.
    With ``valid`` a future of the validity and no other problem, the problems
    are ``None``: the validity is for :func:`confirm_valid`.
    """
    kinds = shapely.get_type_id(geoms)
    bounds = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        wild = (np.abs(bounds[:, 0]) > 180) | (np.abs(bounds[:, 2]) > 180) \
            | (np.abs(bounds[:, 1]) > 90) | (np.abs(bounds[:, 3]) > 90)
    empty = np.isnan(bounds[:, 0])
    polygonal = (kinds == shapely.GeometryType.POLYGON) | (kinds == shapely.GeometryType.MULTIPOLYGON)
    fine = polygonal.all() and not empty.any() and not wild.any()
    if fine and valid is not None and not isinstance(valid, np.ndarray):
        return None, bounds                        # the validity arrives later
    if valid is None:
        valid = shapely.is_valid(geoms)
    elif not isinstance(valid, np.ndarray):
        valid = valid.result()
    if fine and valid.all():
        return [], bounds                          # the usual case: no loop over the areas
    problems = []
    for i in np.flatnonzero(~polygonal):
        what = "is missing" if kinds[i] < 0 else f"is a {geoms[i].geom_type}, not a (Multi)Polygon"
        problems.append(ValidationProblem(index[i], "geometry", what))
    for i in np.flatnonzero(polygonal & empty):
        problems.append(ValidationProblem(index[i], "geometry", "is empty"))
    for i in np.flatnonzero(polygonal & ~empty & ~valid):
        problems.append(ValidationProblem(index[i], "geometry", shapely.is_valid_reason(geoms[i])))
    for i in np.flatnonzero(polygonal & ~empty & valid & wild):
        problems.append(ValidationProblem(index[i], "geometry",
                                          "has coordinates outside lon/lat range; "
                                          "is it projected but labelled EPSG:4490?"))
    return problems, bounds
