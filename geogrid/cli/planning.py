"""``geogrid partition`` and ``geogrid validate``: on plain files, or against the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from .._errors import InputError, NotFoundError, ValidationError, ValidationProblem
from .._datum import Datum
from ._common import console, echo_json, handle_errors, open_store, out, plan_row, progress
from ._plan_files import (CodeCol, EncodingOpt, IdCol, LayerLevel, LevelCol, LevelsOpt, NameCol,
                          ParentBy, ParentCol, columns_of, prepare_files)

__all__ = ["partition", "validate"]


def _options(n: int | None, target: float | None, type_weight: float | None,
             kind: str | None) -> dict:
    opts: dict = {}
    if n is not None:
        opts["n_microgrids"] = n
    if n is not None and target is not None:
        raise InputError("--n 与 --target 只能给一个。give --n or --target, not both.",
                         field="--n/--target", value=[n, target],
                         fix="去掉其中一个。Drop one of them.")
    if target is not None:
        if not target > 0:
            raise InputError(f"--target 须为正数, 收到 {target}。--target must be positive, got "
                             f"{target}.", field="--target", value=target,
                             fix="给出每个微网格的工作量, 如 --target 300。Give the workload per "
                                 "microgrid, e.g. --target 300.")
        opts["target_workload"] = target
    if type_weight is not None:
        opts["type_weight"] = type_weight
    if kind is not None:
        opts["kind"] = kind
    return opts


def _geos_problem(exc: Exception, what: str) -> ValidationError:
    """A GEOS topology error ("non-noded intersection", "side location conflict", an invalid
    input) as a located problem instead of an exception."""
    from ..hierarchy import geos_location

    return ValidationError(
        f"{what}: GEOS 拓扑错误。{what}: topology error in GEOS.",
        [ValidationProblem("*", "geometry", str(exc), location=geos_location(exc))],
        fix="用 geogrid check 找出无效几何并修复 (geogrid import 可加 --repair)。Find the invalid "
            "geometries with geogrid check and fix them (geogrid import --repair can).")


def _mapped(path: Path, id_column: str | None, name_column: str | None, encoding: str | None,
            tmp: Path) -> Path:
    """The file with its id / name columns renamed to ``id`` / ``name`` (others kept)."""
    if id_column is None and name_column is None and encoding is None:
        return path
    from ..hierarchy import ColumnMap, standardize_areas
    from ..io import read_frame, write_frame

    frame = read_frame(path, datum="cgcs2000" if path.suffix.lower() != ".csv" else "wgs84",
                       encoding=encoding)
    std = standardize_areas(frame, ColumnMap(id=id_column, name=name_column), source=path.name,
                            level="grid")
    kept = frame.drop(columns=[c for c in (id_column, name_column) if c], errors="ignore")
    out = kept.assign(id=std["id"].to_numpy(), name=std["name"].to_numpy())
    return write_frame(out, tmp / f"{path.stem}.gpkg")


def _partition_in_store(grid: str, plan: str, options: dict, as_json: bool) -> None:
    """Partition ``grid`` of ``plan`` in the store (a draft copy of a plan that is not one)."""
    store = open_store()
    from ..services.planning import PlanningService

    row = plan_row(store, plan)
    plan_id = int(row["id"])
    if store.areas(plan_id, uids=[grid]).empty:     # before a draft copy is made for it
        raise NotFoundError(f"区域 {grid!r} 不在方案 {plan_id} 中。area {grid!r} is not in plan "
                            f"{plan_id}.", field="--grid", value=grid,
                            fix=f"查看方案的网格 id: geogrid export grids.csv --plan {plan_id} "
                                f"--level grid。See the plan's grid ids with geogrid export "
                                f"grids.csv --plan {plan_id} --level grid.")
    with console.status(f"正在划分 / partitioning {grid}…"):   # a refused one writes nothing
        report = PlanningService(store).partition_grid(plan_id, grid, actor="cli", as_draft=True,
                                                       **options)
    if report["copied_from"] is not None:
        plan_id = report["plan_id"]
        console.print(f"草稿方案 {plan_id} 复制自方案 {row['id']} / draft plan {plan_id} copied "
                      f"from plan {row['id']}")
    if as_json:
        echo_json(report)
        return
    w = report["report"].get("workload", {})
    n = report["microgrids"]
    out.print(f"方案 plan {plan_id} v{report['version']}: {grid} → {n} 个微网格 / "
              f"{n} microgrids, CV {w.get('cv', float('nan')):.3f}{_why_k(report['report'])}")


@handle_errors
def partition(
    boundary: Annotated[Path | None, typer.Argument(help="网格/社区文件 grids/communities file (file mode)")] = None,
    objects: Annotated[Path | None, typer.Argument(help="管理对象文件 management objects file (file mode)")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="输出 output .geojson or .gpkg (file mode)")] = None,
    roads: Annotated[Path | None, typer.Option(help="道路线 road lines (not noded)")] = None,
    compounds: Annotated[Path | None, typer.Option(help="小区面 compound polygons")] = None,
    barriers: Annotated[Path | None, typer.Option(help="水系/铁路 water / rail lines or polygons")] = None,
    parent_id: Annotated[list[str] | None, typer.Option(help="只划分这些上级 only these parents (file mode)")] = None,
    grid: Annotated[str | None, typer.Option(help="要划分的网格编号 grid id to partition in the store")] = None,
    plan: Annotated[str, typer.Option(help="方案编号或 active (另存草稿) store plan id or 'active' (a draft copy is made)")] = "active",
    n: Annotated[int | None, typer.Option("--n", min=1, help="微网格数 number of microgrids")] = None,
    target: Annotated[float | None, typer.Option(help="每个微网格的工作量 workload per microgrid (households+weights)")] = None,
    type_weight: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="商务: 0 邻接 … 1 业态 business: 0 adjacency … 1 business type")] = None,
    kind: Annotated[Literal["residential", "business", "mixed"] | None, typer.Option(help="居住/商务/混合 residential, business or mixed")] = None,
    id_column: IdCol = None, name_column: NameCol = None, encoding: EncodingOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出完整报告 print the whole report as JSON")] = False,
) -> None:
    """划分微网格 Cut grids into microgrids that tile them exactly.

    File mode: `geogrid partition grids.geojson objects.geojson -o plan.gpkg --roads roads.geojson`.
    Store mode: `geogrid partition --grid grid-310115005004-c002 --target 300` (a draft plan).
    """
    options = _options(n, target, type_weight, kind)
    if grid is not None:
        return _partition_in_store(grid, plan, options, as_json)
    if boundary is None or objects is None or out_path is None:
        raise InputError("文件模式需要 BOUNDARY、OBJECTS 和 --out；库模式需要 --grid。file mode needs "
                         "BOUNDARY, OBJECTS and --out; store mode needs --grid.",
                         field="arguments", fix="见 See `geogrid partition --help`.")
    import tempfile

    from shapely.errors import GEOSException

    from ..partition import partition_files

    with progress() as bar, tempfile.TemporaryDirectory() as tmp:
        task = bar.add_task("划分 / partitioning", total=None)
        try:
            report = partition_files(
                _mapped(boundary, id_column, name_column, encoding, Path(tmp)), objects, out_path,
                roads, compounds, barriers_path=barriers, parent_ids=parent_id,
                progress=lambda d, t, pid: bar.update(task, completed=d, total=t,
                                                      description=str(pid)), **options)
        except GEOSException as exc:
            raise _geos_problem(exc, boundary.name) from None
    if as_json:
        echo_json(report)
        return
    for pid, rep in report["parents"].items():
        w = rep.get("workload", {})
        ok = report["validation"][pid]["ok"]
        n = rep.get("n_microgrids", "?")
        out.print(f"{pid}: {n} 个微网格 / {n} microgrids, "
                  f"CV {w.get('cv', float('nan')):.3f} (最低可能 lowest possible "
                  f"{w.get('cv_lower_bound', float('nan')):.3f}), "
                  f"{'有效 valid' if ok else '无效 INVALID'}{_why_k(rep)}")
    out.print(f"已写出 wrote {', '.join(report['outputs'].values())}")


def _why_k(report: dict) -> str:
    """The report's note on the count, on its own line, when a target did not give the
    rounded count (:mod:`geogrid.partition.count`); else nothing."""
    if (report.get("count") or {}).get("reason") != "need":
        return ""
    return "\n  " + report["notes"][0]


@handle_errors
def validate(
    boundary: Annotated[Path | None, typer.Argument(help="上级区域文件 parents file (file mode)")] = None,
    plan_file: Annotated[Path | None, typer.Argument(help="微网格文件 microgrids file (file mode)")] = None,
    objects: Annotated[Path | None, typer.Option(help="对象文件 objects file (file mode)")] = None,
    roads: Annotated[Path | None, typer.Option(help="道路 roads file for the rule metrics (file mode)")] = None,
    water: Annotated[Path | None, typer.Option(help="水体 water file for the rule metrics (file mode)")] = None,
    plan: Annotated[str | None, typer.Option(help="方案编号或 active store plan id or 'active' (store mode)")] = None,
    grid: Annotated[str | None, typer.Option(help="只检查此网格 only this grid (store mode)")] = None,
    datum: Annotated[Datum, typer.Option("--datum", "-d", case_sensitive=False,
                                         help="文件坐标基准 datum of the files (whole-plan mode)")] = Datum.CGCS2000,
    levels: LevelsOpt = None, layer_level: LayerLevel = None,
    id_column: IdCol = None, name_column: NameCol = None, code_column: CodeCol = None,
    level_column: LevelCol = None, parent_column: ParentCol = None, parent_by: ParentBy = "id",
    encoding: EncodingOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出 print the report as JSON")] = False,
) -> None:
    """检查方案 Report gaps, overlaps, slivers, orphans, imbalance, compactness, cut compounds.

    Exits 1 when any error is found (warnings do not fail).
    """
    if plan is not None:
        from ..services.planning import PlanningService

        store = open_store()
        row = plan_row(store, plan)
        report = PlanningService(store).validate(int(row["id"]), grid)
        ok = report["ok"]
        texts = [g["text"] for g in report["grids"]] or [report.get("text") or (
            f"方案 {row['id']} 还没有划分了微网格的网格, 无可检查。plan {row['id']} has no grid "
            f"with microgrids to check yet: geogrid partition --grid ID --plan {row['id']}.")]
    elif boundary is not None and (plan_file is None or levels or layer_level or level_column
                                   or parent_column or code_column or name_column or id_column):
        prepared = prepare_files([p for p in (boundary, plan_file) if p], datum=datum,
                                 levels=levels, level=None, layer_level=layer_level, layer=None,
                                 encoding=encoding, parent_by=parent_by,
                                 columns=columns_of(id_column, name_column, code_column,
                                                    level_column, parent_column))
        report = {"per_level": prepared.counts, **prepared.report.to_dict(),
                  "text": prepared.report.to_text()}
        ok, texts = report["ok"], [report["text"]]
    else:
        if boundary is None or plan_file is None:
            raise InputError("文件模式需要 BOUNDARY 和 PLAN; 库模式需要 --plan。file mode needs "
                             "BOUNDARY and PLAN; store mode needs --plan.", field="arguments",
                             fix="见 See `geogrid validate --help`.")
        from shapely.errors import GEOSException

        from ..partition import validate_files

        layer = "microgrids" if plan_file.suffix.lower() == ".gpkg" else None
        try:
            report = validate_files(boundary, plan_file, objects, plan_layer=layer,
                                    roads_path=roads, water_path=water)
        except GEOSException as exc:
            raise _geos_problem(exc, plan_file.name) from None
        parents = report.get("parents", report)
        ok = all(p.get("ok", False) for p in parents.values()) if isinstance(parents, dict) else False
        texts = [p.get("text", "") for p in parents.values()] if isinstance(parents, dict) else []
    if as_json:
        echo_json(report)
    else:
        for text in texts:   # plain text: the ids in [brackets] are not markup
            out.print(text, markup=False, highlight=False)
            out.print()
    if not ok:
        raise typer.Exit(1)
