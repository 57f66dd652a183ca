"""``geogrid partition`` and ``geogrid validate``: on plain files, or against the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._errors import InputError
from ._common import console, echo_json, handle_errors, open_store, out, progress


def _options(n: int | None, target: float | None, type_weight: float | None,
             kind: str | None) -> dict:
    opts: dict = {}
    if n is not None:
        opts["n_microgrids"] = n
    if target is not None:
        opts["target_workload"] = target
    if type_weight is not None:
        opts["type_weight"] = type_weight
    if kind is not None:
        opts["kind"] = kind
    return opts


@handle_errors
def partition(
    boundary: Annotated[Path | None, typer.Argument(help="grids/communities file (file mode)")] = None,
    objects: Annotated[Path | None, typer.Argument(help="management objects file (file mode)")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help=".geojson or .gpkg (file mode)")] = None,
    roads: Annotated[Path | None, typer.Option(help="road lines (not noded)")] = None,
    compounds: Annotated[Path | None, typer.Option(help="compound polygons")] = None,
    barriers: Annotated[Path | None, typer.Option(help="water / rail lines or polygons")] = None,
    parent_id: Annotated[list[str] | None, typer.Option(help="only these parents (file mode)")] = None,
    grid: Annotated[str | None, typer.Option(help="grid id to partition in the store")] = None,
    plan: Annotated[str, typer.Option(help="store plan id or 'active' (a draft copy is made)")] = "active",
    n: Annotated[int | None, typer.Option("--n", help="number of microgrids")] = None,
    target: Annotated[float | None, typer.Option(help="workload per microgrid (households+weights)")] = None,
    type_weight: Annotated[float | None, typer.Option(help="business: 0 adjacency … 1 business type")] = None,
    kind: Annotated[str | None, typer.Option(help="residential, business or mixed")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the whole report as JSON")] = False,
) -> None:
    """Cut grids into microgrids that tile them exactly.

    File mode: `geogrid partition grids.geojson objects.geojson -o plan.gpkg --roads roads.geojson`.
    Store mode: `geogrid partition --grid grid-310115005004 --target 300` (writes a draft plan).
    """
    options = _options(n, target, type_weight, kind)
    if grid is not None:
        store = open_store()
        from ..store.planning import PlanningService

        row = store.active_plan() if plan == "active" else store.plan(int(plan))
        if row is None:
            raise InputError("there is no active plan.", field="--plan", value=plan,
                             fix="Load one (geogrid demo) or pass --plan ID.")
        plan_id = int(row["id"])
        if row["status"] != "draft":
            plan_id = store.copy_plan(plan_id, actor="cli")
            console.print(f"draft plan {plan_id} copied from plan {row['id']}")
        with console.status(f"partitioning {grid}…"):
            report = PlanningService(store).partition_grid(plan_id, grid, actor="cli", **options)
        if as_json:
            echo_json(report)
        else:
            w = report["report"].get("workload", {})
            out.print(f"plan {plan_id} v{report['version']}: {grid} → {report['microgrids']} "
                      f"microgrids, CV {w.get('cv', float('nan')):.3f}")
        return
    if boundary is None or objects is None or out_path is None:
        raise InputError("file mode needs BOUNDARY, OBJECTS and --out; store mode needs --grid.",
                         field="arguments", fix="See `geogrid partition --help`.")
    from ..partition import partition_files

    with progress() as bar:
        task = bar.add_task("partitioning", total=None)
        report = partition_files(boundary, objects, out_path, roads, compounds,
                                 barriers_path=barriers, parent_ids=parent_id,
                                 progress=lambda d, t, pid: bar.update(task, completed=d, total=t,
                                                                       description=str(pid)),
                                 **options)
    if as_json:
        echo_json(report)
        return
    for pid, rep in report["parents"].items():
        w = rep.get("workload", {})
        ok = report["validation"][pid]["ok"]
        out.print(f"{pid}: {rep.get('n_microgrids', '?')} microgrids, CV {w.get('cv', float('nan')):.3f} "
                  f"(lowest possible {w.get('cv_lower_bound', float('nan')):.3f}), "
                  f"{'valid' if ok else 'INVALID'}")
    out.print(f"wrote {', '.join(report['outputs'].values())}")


@handle_errors
def validate(
    boundary: Annotated[Path | None, typer.Argument(help="parents file (file mode)")] = None,
    plan_file: Annotated[Path | None, typer.Argument(help="microgrids file (file mode)")] = None,
    objects: Annotated[Path | None, typer.Option(help="objects file (file mode)")] = None,
    roads: Annotated[Path | None, typer.Option(help="道路 roads file for the rule metrics (file mode)")] = None,
    water: Annotated[Path | None, typer.Option(help="水体 water file for the rule metrics (file mode)")] = None,
    plan: Annotated[str | None, typer.Option(help="store plan id or 'active' (store mode)")] = None,
    grid: Annotated[str | None, typer.Option(help="only this grid (store mode)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Report gaps, overlaps, slivers, orphans, imbalance, compactness and cut compounds.

    Exits 1 when any error is found (warnings do not fail).
    """
    if plan is not None:
        from ..store.planning import PlanningService

        store = open_store()
        row = store.active_plan() if plan == "active" else store.plan(int(plan))
        if row is None:
            raise InputError("there is no active plan.", field="--plan", value=plan)
        report = PlanningService(store).validate(int(row["id"]), grid)
        ok = report["ok"]
        texts = [g["text"] for g in report["grids"]]
    else:
        if boundary is None or plan_file is None:
            raise InputError("file mode needs BOUNDARY and PLAN; store mode needs --plan.",
                             field="arguments", fix="See `geogrid validate --help`.")
        from ..partition import validate_files

        layer = "microgrids" if plan_file.suffix.lower() == ".gpkg" else None
        report = validate_files(boundary, plan_file, objects, plan_layer=layer, roads_path=roads,
                                water_path=water)
        parents = report.get("parents", report)
        ok = all(p.get("ok", False) for p in parents.values()) if isinstance(parents, dict) else False
        texts = [p.get("text", "") for p in parents.values()] if isinstance(parents, dict) else []
    if as_json:
        echo_json(report)
    else:
        for text in texts:
            out.print(text)
            out.print()
    if not ok:
        raise typer.Exit(1)
