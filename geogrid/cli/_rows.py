"""Checking the rows of an objects or roads file, reported so a planner can act on it.

The core's :func:`~geogrid._validate.validate_frame` lists every problem; here the
report names the file, says that nothing was written, gives the fix that fits the
problems found (the id column, non-numeric lon/lat in a CSV, invalid geometry), and, for
a CSV, shows the lon/lat text of each row whose point could not be made.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .._errors import ValidationError, ValidationProblem

__all__ = ["validate_rows"]


def validate_rows(frame, path: Path, *, repair: bool, lon_col: str | None = None,
                  lat_col: str | None = None, encoding: str | None = None):
    """``(frame, repairs)`` of a valid file; else one bilingual :class:`ValidationError`."""
    from .._validate import validate_frame

    try:
        return validate_frame(frame, path.name, id_column="id", polygonal=False, repair=repair)
    except ValidationError as exc:
        problems = exc.problems
        if path.suffix.lower() in (".csv", ".txt"):
            problems = _with_csv_lonlat(problems, path, lon_col, lat_col, encoding)
        raise ValidationError(
            f"{path.name} 有 {len(problems)} 处问题, 未写入任何数据。{path.name} failed "
            "validation; nothing was written", problems,
            fix=_fix(problems, list(frame.columns), csv=path.suffix.lower() in (".csv", ".txt")),
        ) from None


def _fix(problems: list[ValidationProblem], columns: list, *, csv: bool) -> str:
    fixes = []
    if any(p.index == "*" and p.field == "id" for p in problems):
        shown = [str(c) for c in columns if c != "geometry"][:12]
        fixes.append(f"用 --id-column 指明每行唯一编号所在的列 (现有列: {shown})。Name the column "
                     f"that holds a unique id per row with --id-column (columns: {shown}).")
    if csv and any(p.field in ("lon", "lat", "lon/lat") for p in problems):
        fixes.append("把经纬度改为十进制度数字 (如 121.5052, 31.2384), 或删去这些行。Write lon/lat "
                     "as decimal degrees (e.g. 121.5052, 31.2384), or drop those rows.")
    if any(p.field == "geometry" for p in problems) or not fixes:
        fixes.append("修正所列的行, 或加 --repair 修复无效几何并换回颠倒的经纬度。Fix the listed rows, "
                     "or add --repair to make invalid geometries valid and swap swapped "
                     "coordinates back.")
    return " ".join(fixes)


def _with_csv_lonlat(problems, path: Path, lon_col, lat_col, encoding):
    """A null point of a CSV row becomes "lon/lat is not a number" with the row's text."""
    import pandas as pd

    from .._lonlat import lonlat_columns

    nulls = [p for p in problems if p.field == "geometry" and p.reason == "geometry is null"]
    if not nulls:
        return problems
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    lon, lat = lonlat_columns(raw.columns, lon_col, lat_col)
    out = []
    for p in problems:
        if p in nulls and p.index in raw.index:
            value = [raw.at[p.index, lon], raw.at[p.index, lat]]
            p = replace(p, field="lon/lat", value=value,
                        reason=f"经纬度不是数字或为空 / {lon}, {lat} is not a number or is empty")
        out.append(p)
    return out
