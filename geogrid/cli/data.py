"""Commands that move data in and out: demo, import, export, plans."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._errors import InputError
from .._datum import Datum

from ._common import console, escape, echo_json, handle_errors, open_store, out, plan_row
from ._plan_files import PlanFiles, columns_of, plan_file_options, prepare_files

__all__ = ["demo", "import_", "export", "plans", "activate", "check", "purge_personal", "prepare_files",
           "columns_of"]

DatumOpt = Annotated[Datum, typer.Option("--datum", "-d", help="输入坐标的基准 datum of the input coordinates",
                                         case_sensitive=False)]


@handle_errors
def demo() -> None:
    """载入陆家嘴演示街道 Load the Lujiazui demo street into the store (idempotent)."""
    from ..services.demo import load_demo

    store = open_store()
    with console.status("正在载入演示数据 / loading demo…"):
        plan_id = load_demo(store, progress=lambda m: console.print(f"  {m}"))
    console.print(f"[green]演示数据已就绪 / demo ready:[/green] 方案 plan {plan_id} "
                  f"({store.dialect})")


def _one(paths: list[Path], as_: str) -> Path:
    if len(paths) != 1:
        raise InputError(f"--as {as_} 一次导入一个文件。--as {as_} takes one file.", field="paths",
                         value=[p.name for p in paths], fix="逐个导入。Import them one by one.")
    return paths[0]


@handle_errors
@plan_file_options
def import_(
    paths: Annotated[list[Path], typer.Argument(
        help="要导入的文件: GeoJSON、GeoPackage (全部图层)、Shapefile、GeoParquet 或 CSV; "
             "多个文件组成一个方案。"
             "GeoJSON, GeoPackage (all layers), Shapefile, GeoParquet or CSV; several files "
             "make one plan")],
    datum: DatumOpt,
    as_: Annotated[str, typer.Option("--as", help="导入为 区域/对象/道路/地址 areas, objects, roads or addresses")] = "areas",
    plan: Annotated[int | None, typer.Option(help="加入此草稿方案 add areas to this draft plan")] = None,
    new_plan: Annotated[str | None, typer.Option(help="新草稿方案的名称 name of the new draft plan")] = None,
    street_code: Annotated[str | None, typer.Option(help="新方案的 9 位街道代码 9-digit street code")] = None,
    files: PlanFiles = PlanFiles(),
    source: Annotated[str | None, typer.Option(help="数据来源 where the data came from")] = None,
    licence: Annotated[str | None, typer.Option(help="许可 licence of the data")] = None,
    standard_codes: Annotated[bool, typer.Option(help="生成 CJ/T 213 编码 (imported codes kept)")] = False,
    lon_col: Annotated[str | None, typer.Option(help="CSV 经度列 longitude column")] = None,
    lat_col: Annotated[str | None, typer.Option(help="CSV 纬度列 latitude column")] = None,
    repair: Annotated[bool, typer.Option(help="修复无效几何 (逐项列出) make invalid geometries valid (each repair listed)")] = False,
    with_problems: Annotated[bool, typer.Option(
        help="导入有缝隙/重叠/重复编码的草稿 write a draft despite gaps, overlaps, duplicate codes")] = False,
    commit: Annotated[bool, typer.Option(help="写入数据库 (默认只检查) write to the store (default: dry run)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出报告 print the report as JSON")] = False,
    address_col: Annotated[str, typer.Option(help="地址: 地址文字列 addresses: address text column")] = "address",
    name_col: Annotated[str | None, typer.Option(help="地址: 名称列 addresses: column of place names")] = None,
    building_col: Annotated[str | None, typer.Option(help="地址: 楼栋编号列 addresses: building id column")] = None,
    compound_col: Annotated[str | None, typer.Option(help="地址: 小区编号列 addresses: compound id column")] = None,
    source_date: Annotated[str, typer.Option(help="地址: 来源日期 addresses: date of the source")] = "",
) -> None:
    """检查并导入 (dry run by default; --commit writes all or nothing).

    A whole plan: `geogrid import plan.gpkg -d cgcs2000 --levels 街道=street,社区=community,网格=grid
    --name-column 名称 --code-column 编码 --parent-column 上级编码 --street-code 330106001 --commit`.
    """
    if as_ == "addresses":
        from .addresses import import_addresses

        return import_addresses(_one(paths, as_), datum, address_col=address_col, name_col=name_col,
                                building_col=building_col, compound_col=compound_col,
                                lon_col=lon_col, lat_col=lat_col, layer=files.layer,
                                source=source or "",
                                source_date=source_date, licence=licence or "", commit=commit,
                                as_json=as_json)
    if as_ not in ("areas", "objects", "roads"):
        raise InputError(f"--as {as_!r} 不可用。--as {as_!r} is not known.", field="--as", value=as_,
                         fix="用 --as areas、objects、roads 或 addresses。"
                             "Use --as areas, objects, roads or addresses.")
    if as_ != "areas":
        return _import_rows(paths, datum, as_, files.id_column or "id", files.layer, lon_col,
                            lat_col, repair, files.encoding, source, licence, commit, as_json)
    store = open_store() if (commit or plan is not None) else None
    with console.status("reading…"):
        prepared = files.prepare(paths, datum=datum, source=source, licence=licence, store=store,
                                 plan=plan, repair=repair)
    report = {"files": [p.name for p in paths], "as": "areas", "datum": datum.value,
              "levels": prepared.levels.to_list(), "counts": prepared.counts,
              "features": int(len(prepared.areas)),
              "provenance": {k: v.__dict__ for k, v in prepared.provenance.items()},
              "report": prepared.report.to_dict(), "repairs": prepared.repairs, "committed": False}
    if not as_json:
        for r in prepared.repairs:
            console.print(f"  已修复 repaired {escape(r)}")
        console.print(escape(prepared.report.to_text()))
    if commit:
        from ..services.imports import PlanImporter

        report["plan_id"] = PlanImporter(store).commit(
            prepared, plan_id=plan, name=new_plan or paths[0].stem, street_code=street_code,
            with_standard_codes=standard_codes, allow_problems=with_problems)
        report["committed"] = True
    _print_areas_outcome(report, prepared, commit=commit, as_json=as_json)


def _print_areas_outcome(report: dict, prepared, *, commit: bool, as_json: bool) -> None:
    """The import's report, as JSON or one line; a failing dry run exits 1."""
    if as_json:
        echo_json(report)
    else:
        verb = f"已导入方案 {report['plan_id']} / imported into plan {report['plan_id']}" \
            if commit else "已检查（试运行，加 --commit 写入）/ checked (dry run; add --commit to write)"
        console.print(f"[green]{len(prepared.areas)} 个区域 areas {verb}[/green] {prepared.counts}")
    if not prepared.report.ok and not commit:
        raise typer.Exit(1)


def _import_rows(paths, datum, as_, id_column, layer, lon_col, lat_col, repair, encoding,
                 source, licence, commit, as_json) -> None:
    """Objects or roads from one file, with their provenance."""
    from ..io import read_frame
    from ..services.imports import detect_provenance
    from ._rows import validate_rows
    from ..settings import get_settings

    path = _one(paths, as_)
    frame = read_frame(path, datum=datum, layer=layer, lon_column=lon_col, lat_column=lat_col,
                       encoding=encoding)
    limits = get_settings()
    if len(frame) > limits.max_import_features:
        from .._errors import LimitExceeded

        raise LimitExceeded(f"{path.name} 有 {len(frame)} 个要素，上限 {limits.max_import_features} / "
                            f"{path.name} has {len(frame)} features; the limit is "
                            f"{limits.max_import_features}.", field="features", value=len(frame),
                            fix="拆分文件，或调高 GEOGRID_MAX_IMPORT_FEATURES / Split the file, or "
                                "raise GEOGRID_MAX_IMPORT_FEATURES.")
    if id_column != "id":
        if id_column not in frame:
            raise InputError(f"{path.name} 中没有列 {id_column!r}。column {id_column!r} is not in "
                             f"{path.name}.", field="--id-column", value=id_column,
                             fix=f"可用的列 use one of {list(frame.columns)[:12]}.")
        frame = frame.rename(columns={id_column: "id"})
    frame, repairs = validate_rows(frame, path, repair=repair, lon_col=lon_col, lat_col=lat_col,
                                   encoding=encoding)
    prov = detect_provenance(list(frame.columns), source=source, licence=licence, file=path.name)
    report = {"file": path.name, "as": as_, "features": len(frame), "datum": datum.value,
              "repairs": repairs, "provenance": prov.__dict__, "committed": False}
    if commit:
        store = open_store()
        with store.write() as conn:
            if as_ == "objects":
                store.upsert_objects(conn, frame, actor="cli")
            else:
                store.add_roads(conn, frame)
            store.record_dataset(conn, plan_id=None, what=as_, file=path.name,
                                 source=prov.source, licence=prov.licence,
                                 attribution=prov.attribution, features=len(frame), actor="cli")
        report["committed"] = True
    if as_json:
        echo_json(report)
    else:
        for r in repairs:
            console.print(f"  已修复 repaired {r}")
        verb = "已导入 / imported" if commit else \
            "有效（试运行，加 --commit 写入）/ valid (dry run; add --commit to write)"
        console.print(f"[green]{len(frame)} 个要素 features {verb}[/green]")


@handle_errors
def export(
    path: Annotated[Path, typer.Argument(help="输出文件 output file: .gpkg, .geojson, .parquet or .csv")],
    plan: Annotated[str, typer.Option(help="方案编号或 active plan id or 'active'")] = "active",
    level: Annotated[str | None, typer.Option(help="只导出此层级 only this level")] = None,
    what: Annotated[str, typer.Option(help="区域/对象/道路 areas, objects or roads")] = "areas",
) -> None:
    """导出 Write a plan's areas (or the objects / roads), attributed to their recorded sources."""
    from ..io import write_frame

    from ..services.imports import layer_attribution, plan_attribution

    store = open_store()
    if what == "areas":
        row = plan_row(store, plan)
        frame = _flatten_attrs(store.areas(int(row["id"]), level=level))
        attribution = plan_attribution(store, row)
    elif what in ("objects", "roads"):
        frame = store.objects() if what == "objects" else store.roads()
        attribution = layer_attribution(store, what, frame)
    else:
        raise InputError(f"--what {what!r} 不可用。--what {what!r} is not known.", field="--what",
                         value=what, fix="用 areas、objects 或 roads。Use areas, objects or roads.")
    frame["attribution"] = attribution
    write_frame(frame, path)
    out.print(f"已写出 wrote {len(frame)} {what} → {path}  ({attribution})")


def _flatten_attrs(frame):
    """Every kept attribute as its own column (no attribute is dropped on export)."""
    import pandas as pd

    attrs = pd.DataFrame([a if isinstance(a, dict) else {} for a in frame["attrs"]],
                         index=frame.index)
    attrs = attrs[[c for c in attrs.columns if c not in frame.columns]]
    for col in attrs.columns:
        if attrs[col].map(lambda v: isinstance(v, (dict, list))).any():
            attrs[col] = attrs[col].map(lambda v: None if v is None else str(v))
    return frame.drop(columns=["team", "attrs"]).join(attrs)


@handle_errors
def plans() -> None:
    """列出方案 List plans, each with its declared levels."""
    from ..model import PlanLevels

    store = open_store()
    for p in store.plans():
        chain = " → ".join(lv.zh for lv in PlanLevels.from_list(p.get("levels")))
        out.print(f"{p['id']:>4}  {p['status']:8}  v{p['version']:<3} {p['street_code']}  "
                  f"{p['name']}  ({chain})", markup=False)


@handle_errors
def activate(
    plan_id: Annotated[int, typer.Argument(help="草稿方案编号 (见 geogrid plans) draft plan id")],
) -> None:
    """启用方案 Make a draft plan the active plan of its street; the old one is retired."""
    from .._errors import StateError

    store = open_store()
    row = plan_row(store, str(plan_id))
    if row["status"] != "draft":
        raise StateError(f"方案 {plan_id} 状态为 {row['status']}, 只有草稿可以启用。plan {plan_id} "
                         f"is {row['status']}; only a draft can be activated.", field="plan_id",
                         value=plan_id, fix="用 geogrid plans 找到草稿方案的编号。Find a draft's id "
                                            "with geogrid plans.")
    plan = store.activate_plan(plan_id, expected_version=int(row["version"]), actor="cli")
    out.print(f"方案 {plan_id} 已启用 (v{plan['version']}), 街道 {plan['street_code']} 的旧方案已停用。"
              f"plan {plan_id} is now active; the street's previous plan is retired.", markup=False)


@handle_errors
@plan_file_options
def check(
    paths: Annotated[list[Path], typer.Argument(help="文件 (多个组成一个方案) files (several: one plan)")],
    datum: DatumOpt,
    polygonal: Annotated[bool, typer.Option(help="要求面 require polygons")] = False,
    files: PlanFiles = PlanFiles(),
) -> None:
    """检查文件 Report every problem in files without touching the store.

    With a level (--level, --level-column, --layer-level, --levels or a 'level' column) the
    files are checked as one plan: gaps, overlaps, containment, orphans, duplicate codes.
    """
    from .._validate import check_frame
    from ..io import read_frame

    if files.declares_levels():
        prepared = files.prepare(paths, datum=datum)
        echo_json({"files": [p.name for p in paths], "per_level": prepared.counts,
                   **prepared.report.to_dict()})
        if not prepared.report.ok:
            raise typer.Exit(1)
        return
    problems, n = [], 0
    for path in paths:
        frame = read_frame(path, datum=datum, layer=files.layer, encoding=files.encoding)
        idc = files.id_column or ("id" if "id" in frame else None)
        _, found, _ = check_frame(frame, id_column=idc, polygonal=polygonal)
        problems += [{"file": path.name, **p.to_dict()} for p in found]
        n += len(frame)
    echo_json({"files": [p.name for p in paths], "features": n, "problems": problems})
    if problems:
        raise typer.Exit(1)


@handle_errors
def purge_personal(
    days: Annotated[int | None, typer.Option(help="保留天数, 默认 retention days, default: GEOGRID_PERSONAL_DATA_RETENTION_DAYS")] = None,
) -> None:
    """清除过期个人信息 Blank reporters' names and phones of incidents closed past retention."""
    from ..settings import get_settings
    from ..services.incidents import IncidentService

    keep = get_settings().personal_data_retention_days if days is None else days
    n = IncidentService(open_store()).purge_personal(older_than_days=keep, actor="cli")
    out.print(f"已清除 {n} 件结案超过 {keep} 天的事件的个人信息 / personal fields cleared on {n} "
              f"incident(s) closed more than {keep} days ago")
