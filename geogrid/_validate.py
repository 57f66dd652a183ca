"""Validate input frames at the door and report every problem at once.

Checks (each problem names the row, the field and the reason):

* geometry: null, empty, invalid (with :func:`shapely.is_valid_reason`), wrong type;
* coordinates: out of lon/lat range, apparently swapped, outside China;
* ids: missing or duplicated;
* levels: unknown.

Nothing is repaired unless the caller asks (``repair=True``), and then only
with :func:`shapely.make_valid` (method ``structure``) and an explicit
lon/lat swap, each reported. There is no silent ``buffer(0)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from ._errors import ValidationError, ValidationProblem
from .model import parse_level

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["check_frame", "validate_frame", "CHINA_BOUNDS"]

#: mainland China and its islands, generously: lon 73.4–135.2, lat 3.8–53.6
CHINA_BOUNDS = (73.4, 3.8, 135.2, 53.6)
POLYGONAL = {"Polygon", "MultiPolygon"}


def _loc(geom) -> tuple[float, float] | None:
    if geom is None or geom.is_empty:
        return None
    try:
        p = geom.representative_point() if geom.is_valid else geom.centroid
        if p.is_empty:
            raise ValueError
        return (p.x, p.y)
    except Exception:  # invalid geometry with degenerate centroid
        x, y = shapely.get_coordinates(geom)[0]
        return (float(x), float(y))


def check_frame(
    frame: gpd.GeoDataFrame,
    *,
    id_column: str | None = "id",
    polygonal: bool = False,
    level_column: str | None = None,
    repair: bool = False,
) -> tuple[gpd.GeoDataFrame, list[ValidationProblem], list[str]]:
    """Return ``(frame, problems, repairs)``; never raises for data problems.

    With ``repair=True`` invalid geometries are made valid and swapped
    coordinates are swapped back; what was repaired is listed in ``repairs``
    and is no longer a problem.
    """
    frame = frame.copy()
    problems: list[ValidationProblem] = []
    repairs: list[str] = []
    index = frame[id_column].tolist() if id_column and id_column in frame else list(frame.index)
    geoms = frame.geometry.values

    problems += _id_problems(frame, id_column)

    isnull = shapely.is_missing(geoms)
    isempty = shapely.is_empty(geoms) & ~isnull
    for i in np.flatnonzero(isnull):
        problems.append(ValidationProblem(index[i], "geometry", "geometry is null"))
    for i in np.flatnonzero(isempty):
        problems.append(ValidationProblem(index[i], "geometry", "geometry is empty"))
    present = ~isnull & ~isempty

    if polygonal:
        types = shapely.get_type_id(geoms)
        bad = present & ~np.isin(types, [3, 6])
        for i in np.flatnonzero(bad):
            problems.append(ValidationProblem(
                index[i], "geometry", f"expected Polygon or MultiPolygon, got {geoms[i].geom_type}",
                location=_loc(geoms[i])))
        present &= ~bad

    geoms = _coordinate_checks(geoms, index, present, repair, problems, repairs)

    geoms = _validity(geoms, index, present, repair, polygonal, problems, repairs)

    if level_column:
        if level_column not in frame:
            problems.append(ValidationProblem("*", level_column, f"column {level_column!r} is missing"))
        else:
            for i, value in enumerate(frame[level_column].tolist()):
                try:
                    parse_level(value)
                except Exception:
                    problems.append(ValidationProblem(
                        index[i], level_column, "unknown level; use street, grid, community, "
                        "microgrid or building_group", value=value))

    import geopandas as gpd

    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    return frame, problems, repairs


def _id_problems(frame, id_column) -> list[ValidationProblem]:
    """Missing id column, empty ids, duplicate ids."""
    problems: list[ValidationProblem] = []
    if not id_column:
        return problems
    if id_column not in frame:
        problems.append(ValidationProblem("*", id_column, f"column {id_column!r} is missing"))
    else:
        ids = frame[id_column]
        for i in np.flatnonzero(ids.isna().to_numpy()):
            problems.append(ValidationProblem(int(i), id_column, "id is empty"))
        dup = ids[ids.duplicated(keep=False) & ids.notna()]
        for value, group in dup.groupby(dup.astype(str)):
            problems.append(ValidationProblem(
                value, id_column, f"duplicate id, rows {list(map(int, group.index))[:10]}",
                value=value))
    return problems


def _coordinate_checks(geoms, index, present, repair, problems, repairs):
    """Out-of-range, swapped (repaired when asked) and outside-China coordinates,
    judged on the bounds of each geometry. Returns the (possibly repaired) geometries."""
    bounds = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        out_range = present & ((np.abs(bounds[:, [0, 2]]) > 180).any(1)
                               | (np.abs(bounds[:, [1, 3]]) > 90).any(1))
        cx = (bounds[:, 0] + bounds[:, 2]) / 2
        cy = (bounds[:, 1] + bounds[:, 3]) / 2
        lo_x, lo_y, hi_x, hi_y = CHINA_BOUNDS
        in_china = (cx >= lo_x) & (cx <= hi_x) & (cy >= lo_y) & (cy <= hi_y)
        swapped = present & ~in_china & (cy >= lo_x) & (cy <= hi_x) & (cx >= lo_y) & (cx <= hi_y)
        out_range &= ~swapped
    if repair and swapped.any():
        fixed = shapely.transform(geoms[swapped], lambda xy: xy[:, ::-1])
        geoms = geoms.copy()
        geoms[swapped] = fixed
        for i in np.flatnonzero(swapped):
            repairs.append(f"[{index[i]}] lon/lat were swapped; swapped back")
        in_china = in_china | swapped
        swapped = np.zeros_like(swapped)
    for i in np.flatnonzero(out_range):
        problems.append(ValidationProblem(
            index[i], "geometry", "coordinates out of lon/lat range (|lon| ≤ 180, |lat| ≤ 90); "
            "is the file projected without a CRS?", value=[float(cx[i]), float(cy[i])]))
    for i in np.flatnonzero(swapped):
        problems.append(ValidationProblem(
            index[i], "geometry", "lon/lat look swapped (lat, lon order)",
            value=[float(cx[i]), float(cy[i])], location=(float(cy[i]), float(cx[i]))))
    outside = present & ~out_range & ~swapped & ~in_china
    for i in np.flatnonzero(outside):
        problems.append(ValidationProblem(
            index[i], "geometry", "outside China", value=[float(cx[i]), float(cy[i])],
            location=(float(cx[i]), float(cy[i]))))
    return geoms


def _validity(geoms, index, present, repair, polygonal, problems, repairs):
    """Invalid geometries: made valid (``structure``) when asked, else reported."""
    valid = shapely.is_valid(geoms)
    invalid = present & ~valid
    if repair and invalid.any():
        geoms = geoms.copy()
        fixed = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        if polygonal:
            fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
        for i, g in zip(np.flatnonzero(invalid), fixed):
            repairs.append(f"[{index[i]}] {shapely.is_valid_reason(geoms[i])}; made valid")
        geoms[invalid] = fixed
    else:
        for i in np.flatnonzero(invalid):
            problems.append(ValidationProblem(
                index[i], "geometry", f"invalid geometry: {shapely.is_valid_reason(geoms[i])}",
                location=_loc(geoms[i])))
    return geoms


def _polygonal_part(geom):
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in POLYGONAL]
    polys = []
    for p in parts:
        polys.extend(shapely.get_parts(p))
    return shapely.MultiPolygon(polys) if len(polys) != 1 else polys[0]


def validate_frame(frame: gpd.GeoDataFrame, what: str = "input", **kwargs) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Like :func:`check_frame` but raise one :class:`ValidationError` listing every problem."""
    frame, problems, repairs = check_frame(frame, **kwargs)
    if problems:
        raise ValidationError(
            f"{what} failed validation", problems,
            fix="Fix the listed rows, or pass repair=True (CLI: --repair) to make invalid "
                "geometries valid and swap swapped coordinates back.",
        )
    return frame, repairs


