"""``geogrid locate`` and ``geogrid geocode``: batch jobs on files, with progress."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._errors import InputError
from .._datum import Datum
from ._common import console, echo_json, handle_errors, open_store, plan_row, progress_line

__all__ = ["locate", "geocode"]



def _areas_frame(areas: Path, datum: Datum, columns: dict[str, str | None]):
    """The areas file with its columns renamed to what the locator reads."""
    from ..io import read_frame

    frame = read_frame(areas, datum=datum)
    rename = {}
    for target, given in columns.items():
        if given is None:
            continue
        if given not in frame.columns:
            raise InputError(f"{areas.name} 没有列 {given!r} / has no column {given!r} (given as "
                             f"--{target}-column); found {list(frame.columns)[:12]}.",
                             field=f"--{target}-column", value=given,
                             fix="从上面的列名中选择 / pick one of the columns listed.")
        rename[given] = target
    frame = frame.drop(columns=[c for c in rename.values() if c in frame.columns
                                and c not in rename], errors="ignore").rename(columns=rename)
    if "id" not in frame.columns:
        raise InputError(f"{areas.name} 没有 id 列 / has no 'id' column; found "
                         f"{list(frame.columns)[:12]}.", field="--id-column",
                         value=list(frame.columns)[:12],
                         fix="用 --id-column 指定编号列 / name the id column with --id-column.")
    return frame


def _plan_areas(areas: Path | None, plan: str, datum: Datum = Datum.CGCS2000,
               columns: dict[str, str | None] | None = None, levels: str | None = None):
    """The areas to locate into, a file's or a stored plan's, with their declared levels."""
    from ..model import parse_levels

    if areas is not None:
        frame = _areas_frame(areas, datum, columns or {})
        declared = parse_levels(levels)
        if levels and "level" in frame.columns:
            frame["level"] = frame["level"].map(declared.key_of)
        return frame, declared
    store = open_store()
    row = plan_row(store, plan, fix="用 --areas FILE 直接处理文件，或先导入方案 / pass --areas FILE "
                                    "to work on files only, or load a plan.")
    return store.areas(int(row["id"])), store.plan_levels(int(row["id"]))


def _locator(areas: Path | None, plan: str, datum: Datum = Datum.CGCS2000,
             columns: dict[str, str | None] | None = None, levels: str | None = None):
    """The locator of the areas, answering in their declared levels."""
    from ..services.locating import plan_locator

    return plan_locator(*_plan_areas(areas, plan, datum, columns, levels))


def _lookup(areas: Path | None, plan: str, datum: Datum = Datum.CGCS2000,
            columns: dict[str, str | None] | None = None, levels: str | None = None,
            points: int | None = None):
    """The batch lookup of the areas, so the output columns name the levels they have
    (``points``: how many will be located, when known)."""
    from ..batch.lookup import BatchLookup
    from ..model import DEFAULT_LEVELS

    if areas is not None and not levels:
        from ..batch.areas import lookup_from_geoparquet

        # a lon/lat GeoParquet file of leaves goes straight to arrays (no pandas)
        fast = lookup_from_geoparquet(areas, datum, columns, points)
        if fast is not None:
            return fast
    frame, declared = _plan_areas(areas, plan, datum, columns, levels)
    if declared == DEFAULT_LEVELS:
        # one pass over the points: no per-area chains
        return BatchLookup.from_frame(frame)
    from ..services.locating import plan_locator      # the store's stack, only when needed

    return BatchLookup.from_locator(plan_locator(frame, declared))


def _count_points(path: Path) -> int | None:
    """Rows of a CSV (about: from its size and first lines) or Parquet points file (its
    footer), read before the file itself."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        from ..batch.read import estimate_rows

        return estimate_rows(path)
    if suffix in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path).metadata.num_rows
        except Exception:  # unreadable: the batch reader reports it
            return None
    return None


def _buildings(path: Path | None, datum: Datum, from_store: bool):
    """Building footprints for the datum check: a file, or the store's buildings."""
    from ..locate.datumcheck import BuildingIndex

    if path is not None:
        from ..io import read_frame

        frame = read_frame(path, datum=datum)
    elif from_store:
        frame = open_store().objects(types=["building"])
    else:
        return None
    return BuildingIndex(frame) if len(frame) else None


def _run(job, label: str):
    with progress_line(label) as update:
        return job(update)


@handle_errors
def locate(
    path: Annotated[Path, typer.Argument(help="CSV 或 Parquet（经纬度列）、GeoParquet、GeoJSON/GPKG / "
                                              "CSV or Parquet with lon/lat, GeoParquet, GeoJSON/GPKG")],
    out: Annotated[Path, typer.Option("--out", "-o", help="输出 / output .parquet (GeoParquet) or .csv")],
    datum: Annotated[Datum, typer.Option("--datum", "-d", case_sensitive=False,
                                         help="点的坐标系 / datum of the points")],
    areas: Annotated[Path | None, typer.Option(help="区域文件（无需数据库）/ areas file (no store needed)")] = None,
    areas_datum: Annotated[Datum, typer.Option("--areas-datum", case_sensitive=False,
                                               help="区域文件的坐标系 / datum of the areas file")] = Datum.CGCS2000,
    plan: Annotated[str, typer.Option(help="方案编号或 active / plan id or 'active' (store)")] = "active",
    lon_col: Annotated[str | None, typer.Option(help="经度列 (默认自动识别 lon/lng/经度) / longitude column (default: found by name)")] = None,
    lat_col: Annotated[str | None, typer.Option(help="纬度列 (默认自动识别 lat/纬度) / latitude column (default: found by name)")] = None,
    id_column: Annotated[str | None, typer.Option(help="区域编号列 / areas id column")] = None,
    name_column: Annotated[str | None, typer.Option(help="区域名称列 / areas name column")] = None,
    code_column: Annotated[str | None, typer.Option(help="区域代码列 / areas code column")] = None,
    level_column: Annotated[str | None, typer.Option(help="层级列 / areas level column")] = None,
    levels: Annotated[str | None, typer.Option(
        help="区域文件的层级声明 / the areas file's levels, e.g. 街道=street,社区=community,网格=grid "
             "(output: one <level>_id column per level between street and leaf)")] = None,
    snap_m: Annotated[float | None, typer.Option(help="吸附范围（米）/ snap points outside within this distance")] = None,
    geometry_point: Annotated[str | None, typer.Option(
        help="线/面取点方式 / point of a line or polygon: representative|centroid|first|last")] = None,
    engine: Annotated[str, typer.Option(help="计算引擎: pandas (流式) 或 dask (并行、集群) / engine: pandas (streamed) or dask (parallel, cluster)")] = "pandas",
    scheduler: Annotated[str | None, typer.Option(
        help="调度器 (dask): threads、processes、synchronous 或集群地址 tcp://host:8786 / dask scheduler")] = None,
    chunk_rows: Annotated[int, typer.Option(
        min=1000, help="每块行数 / rows per chunk (read, located and written in turn)")] = 250_000,
    force: Annotated[bool, typer.Option(help="坐标系疑似有误也继续 / go on although another datum fits better")] = False,
    buildings: Annotated[Path | None, typer.Option(
        help="建筑轮廓，用于坐标系检查 / building footprints for the datum check "
             "(default: the store's, when locating into a stored plan)")] = None,
) -> None:
    """把文件中的每个点定位到微网格 / Assign every point of a file to its microgrid."""
    from ..batch import locate_file

    columns = {"id": id_column, "name": name_column, "code": code_column, "level": level_column}
    points = _count_points(path)
    footprints = _buildings(buildings, areas_datum, from_store=areas is None)

    def locator():         # made while the first points are read
        return _lookup(areas, plan, areas_datum, columns, levels, points)

    stats = _run(lambda cb: locate_file(path, out, locator, datum=datum, lon=lon_col, lat=lat_col,
                                        snap_m=snap_m, engine=engine, scheduler=scheduler,
                                        chunk_rows=chunk_rows, geometry_point=geometry_point,
                                        force=force, buildings=footprints, progress=cb),
                 f"定位 / locating {path.name}")
    echo_json(stats)
    if footprints is None:
        import sys

        sys.stderr.write("注意: 未做坐标系核对（没有建筑轮廓），坐标系不符的点会落入相邻微网格；"
                         "加 --buildings FILE 可核对 / note: the datum was not checked (no "
                         "building footprints); points in another datum land in a neighbouring "
                         "microgrid. Pass --buildings FILE to check it.\n")
    if areas is not None and engine == "pandas":
        _leave_now()


def _leave_now() -> None:
    """End the process at once when it runs this command (``geogrid locate …``), its
    output written, closed and reported, and nothing else open (no store, no cluster).

    What is left is the interpreter's teardown, which frees every object of a large
    batch one by one (hundreds of thousands of polygons, the imported libraries): a
    tenth to a third of a second for nothing. mypy ends its runs the same way. Called
    in any other way (e.g. by a test runner), it does nothing."""
    import contextlib
    import os
    import sys

    if sys.argv[1:2] != ["locate"] or sys.stdout is not sys.__stdout__:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):         # a reader that went away: nothing lost
            stream.flush()
    os._exit(0)


@handle_errors
def geocode(
    path: Annotated[Path, typer.Argument(help="含地址列的 CSV 或 Parquet / CSV or Parquet with an address column")],
    out: Annotated[Path, typer.Option("--out", "-o", help="输出 / output .csv or .parquet")],
    column: Annotated[str, typer.Option(help="地址列 / the address column")] = "address",
    areas: Annotated[Path | None, typer.Option(help="同时定位到这些区域 (文件) / also locate into these areas (file)")] = None,
    plan: Annotated[str, typer.Option(help="方案编号或 active / plan id or 'active' (store)")] = "active",
    name_column: Annotated[str | None, typer.Option(
        help="名称列 (店名、单位名) / the column with the place or caller name beside the "
             "address (picks among a large site's records)")] = None,
    encoding: Annotated[str | None, typer.Option(
        help="CSV 的文字编码, 如 GBK (默认 UTF-8, 其次 GB18030) / the CSV's text encoding "
             "(default: UTF-8, then GB18030)")] = None,
) -> None:
    """把文件中的每个地址编码为坐标并定位 (地名库取自数据库) / Geocode every address of a file
    (gazetteer from the store) and locate it."""
    from ..batch import geocode_file
    from ..batch.read import require_file
    from ..services.gazetteer import gazetteer_from_store

    require_file(path)                # said before the gazetteer is built
    store = open_store()
    with console.status("正在建立地名库 / building the gazetteer…"):
        gaz = gazetteer_from_store(store)
        try:
            locator = _locator(areas, plan)
        except InputError:
            locator = None
    stats = _run(lambda cb: geocode_file(path, out, gaz, column=column, locator=locator,
                                         progress=cb, name_column=name_column,
                                         encoding=encoding),
                 f"地理编码 / geocoding {path.name}")
    echo_json(stats)
