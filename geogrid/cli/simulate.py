"""``geogrid simulate``: a realistic day of incidents through the whole loop."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from ._common import echo_json, handle_errors, open_store, progress

__all__ = ["simulate"]


@handle_errors
def simulate(
    day: Annotated[str, typer.Option(help="日期 date, YYYY-MM-DD")] = date.today().isoformat(),
    n: Annotated[int | None, typer.Option(help="报告数 (默认按人口) number of reports (default: from population)")] = None,
    seed: Annotated[int, typer.Option(help="随机种子 random seed")] = 0,
) -> None:
    """模拟一天 Simulate a day on the active plan's street: intake, dispatch, handling, metrics."""
    from ..services.simulation import run_day

    store = open_store()
    with progress() as bar:
        task = bar.add_task("模拟 / simulating", total=None)
        result = run_day(store, date.fromisoformat(day), n=n, seed=seed,
                         progress=lambda d, t: bar.update(task, completed=d, total=t))
    echo_json(result)
