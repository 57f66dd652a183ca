"""``geogrid incidents``: CSV intake and the escalation timers."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from .._errors import InputError
from .._datum import Datum
from ._usage import typer_group
from ._common import console, echo_json, handle_errors, open_store, progress

__all__ = ["app"]

app = typer_group(help="事件: CSV 导入、升级计时。Incidents: CSV intake, escalation timers.",
                  no_args_is_help=True)


@app.command("import")
@handle_errors
def import_csv(
    path: Annotated[Path, typer.Argument(help="CSV: 类别、经度、纬度 (或地址)… category, lon, lat (or address), ...")],
    datum: Annotated[Datum, typer.Option("--datum", "-d", case_sensitive=False,
                                           help="坐标基准 datum of lon/lat")],
    channel: Annotated[str, typer.Option(help="未注明渠道的行的渠道 channel of rows that name none")] = "csv",
    key_column: Annotated[str | None, typer.Option(help="每条报告唯一编号列 column with a unique id per report")] = None,
    encoding: Annotated[str | None, typer.Option(help="文字编码, 如 GBK (默认 UTF-8) text encoding")] = None,
) -> None:
    """导入事件 CSV (如 12345 导出); 重复导入不新增。Take in a CSV of reports (e.g. a 12345 export). Re-running the same file adds nothing.

    Columns: category (required); lon + lat, or address; optional channel, description,
    reported_at, reporter_name, reporter_phone. Each row's idempotency key is its
    ``--key-column`` value, or a hash of the row.
    """
    import pandas as pd

    from ..services import PlanCache
    from ..services.incidents import IncidentService, Intake

    from ..io import read_csv_text

    df = read_csv_text(path, encoding)
    if "category" not in df.columns:
        raise InputError(f"{path.name} 没有 category 列; 现有 {list(df.columns)[:12]}。"
                         f"{path.name} has no category column; found {list(df.columns)[:12]}.",
                         field="category", fix="加一列 category (代码、名称或别名)。"
                                               "Add a category column (code, name or alias).")
    if key_column and key_column not in df.columns:
        raise InputError(f"{path.name} 中没有列 {key_column!r}。column {key_column!r} is not in "
                         f"{path.name}.", field="--key-column", value=key_column,
                         fix=f"用其中之一 Use one of {list(df.columns)[:12]}.")
    store = open_store()
    cache = PlanCache(store)
    plan_id = cache.active_plan_id()  # NotFoundError names the fix
    # the same intake as the API: address fallback, datum check, 属地兜底
    svc = IncidentService(store, cache)
    created = replayed = failed = 0
    problems = []
    with progress() as bar:
        task = bar.add_task(f"导入 / importing {path.name}", total=len(df))
        for i, row in df.iterrows():
            rec = {k: (None if pd.isna(v) else v) for k, v in row.items()}
            key = rec.get(key_column) if key_column else hashlib.sha256(
                "|".join(f"{k}={rec[k]}" for k in sorted(rec)).encode()).hexdigest()[:40]
            try:
                _, was_new = svc.intake(_intake(Intake, rec, datum.value, channel, key),
                                        actor="csv-import", plan_id=plan_id)
                created += was_new
                replayed += not was_new
            except Exception as exc:  # report every bad row, keep the good ones
                failed += 1
                problems.append({"row": int(i) + 2, "error": getattr(exc, "message", str(exc)),
                                 **({"fix": exc.fix} if getattr(exc, "fix", None) else {})})
            bar.update(task, advance=1)
    echo_json({"rows": len(df), "created": created, "already_there": replayed, "failed": failed,
               "problems": problems[:100]})
    if failed:
        console.print(f"[yellow]{failed} 行未导入, 原因见 problems (行号为文件行号)。{failed} row(s) "
                      "not taken in; see problems (row = line in the file).[/yellow]")
        raise typer.Exit(1)


def _intake(Intake, rec: dict, datum: str, channel: str, key: str):
    """One CSV row as an intake (no lon/lat: the address is geocoded by the service)."""
    import pandas as pd

    from ..services.incidents import Reporter

    lon, lat = rec.get("lon") or rec.get("lng"), rec.get("lat")
    located = lon is not None and lat is not None
    return Intake(category=rec["category"], lon=_degrees(lon, "lon") if located else None,
                  lat=_degrees(lat, "lat") if located else None, datum=datum if located else None,
                  channel=rec.get("channel") or channel, description=rec.get("description"),
                  address=rec.get("address"),
                  reporter=Reporter(rec.get("reporter_name"), rec.get("reporter_phone")),
                  reported_at=_when(pd, rec.get("reported_at")), idempotency_key=f"csv:{key}")


def _degrees(text: str, column: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{column} 列的值 {text!r} 不是数字。{column} {text!r} is not a number.",
                         field=column, value=text,
                         fix="写十进制度数, 如 121.5052。Write decimal degrees, e.g. 121.5052.") from None


def _when(pd, text: str | None):
    if not text:
        return None
    try:
        return pd.Timestamp(text).to_pydatetime()
    except ValueError:
        raise InputError(f"reported_at 的值 {text!r} 不是时间。reported_at {text!r} is not a time.",
                         field="reported_at", value=text,
                         fix="写 ISO 时间, 如 2026-11-23 08:30。Write an ISO time, e.g. "
                             "2026-11-23 08:30.") from None


@app.command("tick")
@handle_errors
def tick() -> None:
    """运行一次升级计时 Run the escalation timers once (schedule it, e.g. every minute)."""
    from ..services.incidents import IncidentService

    echo_json(IncidentService(open_store()).tick())
