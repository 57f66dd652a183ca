"""``geogrid calendar``: which years the working calendar covers, and importing a year.

The default calendar takes China's holiday arrangements from the
``chinese_calendar`` package, the bundled file, and the files imported here
(kept in ``GEOGRID_CALENDAR_DIR``, by default ``{data_dir}/calendar``), later
sources replacing earlier ones year by year. Like every importer, ``import``
checks and shows by default and writes only with ``--commit``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ._usage import typer_group
from ._common import echo_json, handle_errors, out

__all__ = ["app"]

app = typer_group(help="工作日历 / Working calendar: coverage and yearly holiday arrangements.",
                  no_args_is_help=True)


def _dir() -> Path:
    from ..settings import get_settings

    return get_settings().effective_calendar_dir


def _toml(cal, year: int) -> str:
    days = lambda ds: ",\n".join(f'  "{d.isoformat()}"' for d in sorted(ds))  # noqa: E731
    return (f"# {year} 节假日安排 / holiday arrangement, imported from {cal.name}\n"
            f"year = {year}\nholidays = [\n{days(cal.holidays)},\n]\n"
            f"workdays = [\n{days(cal.workdays)}{',' if cal.workdays else ''}\n]\n")


@app.command("import")
@handle_errors
def import_(path: Annotated[Path, typer.Argument(help="日历文件 CSV (date,type[,name]) or TOML/JSON")],
            commit: Annotated[bool, typer.Option("--commit", help="写入 (默认只检查) write it (default: check only)")]
            = False) -> None:
    """检查并安装一年的节假日与调休 Check a year's arrangement (holidays and 调休 days) and, with --commit, install it."""
    from ..dispatch.calendar import load_arrangement

    cal = load_arrangement(path)
    (year,) = cal.years
    out.print(f"{year}: {len(cal.holidays)} 个假日 / holidays, {len(cal.workdays)} 个调休上班日 / "
              "make-up working days")
    if not commit:
        out.print("未写入（检查模式）；加 --commit 导入 / Nothing written (check only); add --commit.")
        return
    target = _dir() / f"{year}.toml"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(_toml(cal, year), encoding="utf-8")
    os.replace(tmp, target)  # a failed write leaves the previous file as it was
    out.print(f"已导入 / imported: {target}")


@app.command("show")
@handle_errors
def show(as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出 as JSON")] = False) -> None:
    """日历覆盖的年份 Which years are covered, and a warning if one within 30 days is not."""
    from ..dispatch.calendar import WARN_DAYS_AHEAD, WorkingCalendar

    cal = WorkingCalendar.default(_dir())
    report = cal.coverage(datetime.now(UTC), WARN_DAYS_AHEAD) | {"sources": cal.name}
    if as_json:
        return echo_json(report)
    years = report["years"]
    out.print(f"覆盖年份 / years covered: {years[0]}–{years[1]}" if years else "—")
    out.print(f"来源 / sources: {cal.name}")
    if report.get("warning"):
        out.print(f"[yellow]{report['warning']}[/yellow]")
