"""``geogrid locate`` and ``geogrid geocode``: batch jobs on files, with progress."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._errors import InputError
from ..datum import Datum
from ._common import console, echo_json, handle_errors, open_store, progress

__all__ = ["locate", "geocode"]


def _locator(areas: Path | None, plan: str):
    from ..io import read_frame
    from ..locator import PlanLocator

    if areas is not None:
        return PlanLocator(read_frame(areas, datum="cgcs2000"))
    store = open_store()
    row = store.active_plan() if plan == "active" else store.plan(int(plan))
    if row is None:
        raise InputError("there is no active plan.", field="--plan", value=plan,
                         fix="Pass --areas FILE to work on files only, or load a plan.")
    return PlanLocator(store.areas(int(row["id"])))


def _run(job, label: str):
    with progress() as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        return job(update)


@handle_errors
def locate(
    path: Annotated[Path, typer.Argument(help="CSV with lon/lat, GeoJSON/GPKG or GeoParquet")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output .csv or .parquet")],
    datum: Annotated[Datum, typer.Option("--datum", "-d", case_sensitive=False)],
    areas: Annotated[Path | None, typer.Option(help="areas file (no store needed)")] = None,
    plan: Annotated[str, typer.Option(help="plan id or 'active' (store)")] = "active",
    lon_col: Annotated[str | None, typer.Option()] = None,
    lat_col: Annotated[str | None, typer.Option()] = None,
    snap_m: Annotated[float | None, typer.Option(help="snap points outside within this distance")] = None,
    engine: Annotated[str, typer.Option(help="pandas (chunked) or dask (larger than memory)")] = "pandas",
    chunk_rows: Annotated[int, typer.Option(min=1000)] = 500_000,
) -> None:
    """Assign every point of a file to its microgrid."""
    from ..batch import locate_file

    locator = _locator(areas, plan)
    stats = _run(lambda cb: locate_file(path, out, locator, datum=datum, lon=lon_col, lat=lat_col,
                                        snap_m=snap_m, engine=engine, chunk_rows=chunk_rows,
                                        progress=cb), f"locating {path.name}")
    echo_json(stats)


@handle_errors
def geocode(
    path: Annotated[Path, typer.Argument(help="CSV or Parquet with an address column")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output .csv or .parquet")],
    column: Annotated[str, typer.Option(help="the address column")] = "address",
    areas: Annotated[Path | None, typer.Option(help="also locate into these areas (file)")] = None,
    plan: Annotated[str, typer.Option(help="plan id or 'active' (store)")] = "active",
) -> None:
    """Geocode every address of a file (gazetteer from the store) and locate it."""
    from ..batch import geocode_file
    from ..services.gazetteer import gazetteer_from_store

    store = open_store()
    with console.status("building the gazetteer…"):
        gaz = gazetteer_from_store(store)
        try:
            locator = _locator(areas, plan)
        except InputError:
            locator = None
    stats = _run(lambda cb: geocode_file(path, out, gaz, column=column, locator=locator,
                                         progress=cb), f"geocoding {path.name}")
    echo_json(stats)
