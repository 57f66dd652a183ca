"""Commands that move data in and out: demo, import, export, plans."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._errors import InputError
from .._validate import check_frame, validate_frame
from ..datum import Datum
from ..io import read_frame, write_frame
from ._common import console, echo_json, handle_errors, open_store, out

__all__ = ["demo", "import_", "export", "plans", "check", "purge_personal"]

DatumOpt = Annotated[Datum, typer.Option("--datum", "-d", help="datum of the input coordinates",
                                         case_sensitive=False)]


@handle_errors
def demo() -> None:
    """Load the Lujiazui demo street into the store (idempotent)."""
    from ..services.demo import load_demo

    store = open_store()
    with console.status("loading demo…"):
        plan_id = load_demo(store, progress=lambda m: console.print(f"  {m}"))
    console.print(f"[green]demo ready:[/green] plan {plan_id} on {store.dialect}")


@handle_errors
def import_(
    path: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage, Shapefile, GeoParquet or CSV")],
    datum: DatumOpt,
    as_: Annotated[str, typer.Option("--as", help="areas, objects, roads or addresses")] = "areas",
    plan: Annotated[int | None, typer.Option(help="add areas to this draft plan")] = None,
    new_plan: Annotated[str | None, typer.Option(help="create a draft plan with this name")] = None,
    street_code: Annotated[str, typer.Option(help="9-digit street code of a new plan")] = "310115005",
    level: Annotated[str | None, typer.Option(help="level for every area (else column 'level')")] = None,
    id_column: Annotated[str, typer.Option(help="column holding unique ids")] = "id",
    layer: Annotated[str | None, typer.Option(help="layer of a multi-layer file")] = None,
    lon_col: Annotated[str | None, typer.Option(help="CSV longitude column")] = None,
    lat_col: Annotated[str | None, typer.Option(help="CSV latitude column")] = None,
    repair: Annotated[bool, typer.Option(help="make invalid geometries valid, unswap lon/lat")] = False,
    commit: Annotated[bool, typer.Option(help="write to the store (default: dry run)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    address_col: Annotated[str, typer.Option(help="addresses: address text column")] = "address",
    name_col: Annotated[str | None, typer.Option(help="addresses: column of place names")] = None,
    building_col: Annotated[str | None, typer.Option(help="addresses: building id column")] = None,
    compound_col: Annotated[str | None, typer.Option(help="addresses: compound id column")] = None,
    source: Annotated[str, typer.Option(help="addresses: where the rows come from")] = "",
    source_date: Annotated[str, typer.Option(help="addresses: date of the source")] = "",
    licence: Annotated[str, typer.Option(help="addresses: licence of the source")] = "",
) -> None:
    """Validate a file and (with --commit) import it in one transaction.

    Dry run by default: prints every problem found. Nothing is written unless
    the whole file is valid and --commit is given.
    """
    if as_ == "addresses":
        from .addresses import import_addresses

        return import_addresses(path, datum, address_col=address_col, name_col=name_col,
                                building_col=building_col, compound_col=compound_col,
                                lon_col=lon_col, lat_col=lat_col, layer=layer, source=source,
                                source_date=source_date, licence=licence, commit=commit,
                                as_json=as_json)
    if as_ not in ("areas", "objects", "roads"):
        raise InputError(f"--as {as_!r} is not known.", field="--as", value=as_,
                         fix="Use --as areas, --as objects, --as roads or --as addresses.")
    with console.status(f"reading {path.name}…"):
        frame = read_frame(path, datum=datum, layer=layer, lon_column=lon_col, lat_column=lat_col)
    from ..settings import get_settings

    limits = get_settings()
    if len(frame) > limits.max_import_features:
        from .._errors import LimitExceeded

        raise LimitExceeded(f"{path.name} has {len(frame)} features; the limit is "
                            f"{limits.max_import_features}.", field="features", value=len(frame),
                            fix="Split the file, or raise GEOGRID_MAX_IMPORT_FEATURES.")
    import shapely

    heavy = shapely.get_num_coordinates(frame.geometry.values) > limits.max_vertices
    if heavy.any():
        from .._errors import ValidationError, ValidationProblem

        raise ValidationError(f"{path.name} failed validation", [
            ValidationProblem(i, "geometry", f"more than {limits.max_vertices} vertices")
            for i in frame.index[heavy][:100]],
            fix="Simplify those geometries, or raise GEOGRID_MAX_VERTICES.")
    if id_column != "id":
        if id_column not in frame:
            raise InputError(f"column {id_column!r} is not in {path.name}.", field="--id-column",
                             value=id_column, fix=f"Use one of {list(frame.columns)[:12]}.")
        frame = frame.rename(columns={id_column: "id"})
    if level:
        frame["level"] = level
    frame, repairs = validate_frame(frame, path.name, id_column="id", polygonal=as_ == "areas",
                                    level_column="level" if as_ == "areas" else None, repair=repair)
    report = {"file": path.name, "as": as_, "features": len(frame), "datum": datum.value,
              "repairs": repairs, "committed": False}
    if commit:
        store = open_store()
        with store.write() as conn:
            if as_ == "areas":
                plan_id = plan
                if plan_id is None:
                    plan_id = store.create_plan(conn, name=new_plan or path.stem,
                                                street_code=street_code, actor="cli")
                else:
                    store.require_draft(conn, plan_id)
                store.add_areas(conn, plan_id, frame, actor="cli")
                report["plan_id"] = plan_id
            elif as_ == "objects":
                store.upsert_objects(conn, frame, actor="cli")
            else:
                store.add_roads(conn, frame)
        report["committed"] = True
    if as_json:
        echo_json(report)
    else:
        for r in repairs:
            console.print(f"  repaired {r}")
        verb = "imported" if commit else "valid (dry run; add --commit to write)"
        console.print(f"[green]{len(frame)} features {verb}[/green]")


@handle_errors
def export(
    path: Annotated[Path, typer.Argument(help=".gpkg, .geojson, .parquet or .csv")],
    plan: Annotated[str, typer.Option(help="plan id or 'active'")] = "active",
    level: Annotated[str | None, typer.Option(help="only this level")] = None,
    what: Annotated[str, typer.Option(help="areas, objects or roads")] = "areas",
) -> None:
    """Write a plan's areas (or the objects / roads) to a file. Carries the ODbL attribution."""
    store = open_store()
    if what == "areas":
        plan_row = store.active_plan() if plan == "active" else store.plan(int(plan))
        if plan_row is None:
            raise InputError("there is no active plan.", field="--plan", value=plan,
                             fix="Run geogrid demo, or pass --plan ID.")
        frame = store.areas(int(plan_row["id"]), level=level)
        frame = frame.drop(columns=["team", "attrs"])
    elif what == "objects":
        frame = store.objects()
    elif what == "roads":
        frame = store.roads()
    else:
        raise InputError(f"--what {what!r} is not known.", field="--what", value=what,
                         fix="Use areas, objects or roads.")
    frame["attribution"] = "© OpenStreetMap contributors, ODbL 1.0"
    write_frame(frame, path)
    out.print(f"wrote {len(frame)} {what} to {path}")


@handle_errors
def plans() -> None:
    """List plans."""
    store = open_store()
    for p in store.plans():
        out.print(f"{p['id']:>4}  {p['status']:8}  v{p['version']:<3} {p['street_code']}  {p['name']}")


@handle_errors
def check(
    path: Annotated[Path, typer.Argument()],
    datum: DatumOpt,
    polygonal: Annotated[bool, typer.Option(help="require polygons")] = False,
) -> None:
    """Report every problem in a file without touching the store."""
    frame = read_frame(path, datum=datum)
    _, problems, _ = check_frame(frame, id_column="id" if "id" in frame else None,
                                 polygonal=polygonal)
    echo_json({"file": path.name, "features": len(frame),
               "problems": [p.to_dict() for p in problems]})
    if problems:
        raise typer.Exit(1)


@handle_errors
def purge_personal(
    days: Annotated[int | None, typer.Option(help="default: GEOGRID_PERSONAL_DATA_RETENTION_DAYS")] = None,
) -> None:
    """Blank reporters' names and phones of incidents closed longer ago than the retention period."""
    from ..settings import get_settings
    from ..services.incidents import IncidentService

    keep = get_settings().personal_data_retention_days if days is None else days
    n = IncidentService(open_store()).purge_personal(older_than_days=keep, actor="cli")
    out.print(f"personal fields cleared on {n} incident(s) closed more than {keep} days ago")
