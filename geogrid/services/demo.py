"""Load the Lujiazui demo street (data/boundaries) into a store.

The files are built from OpenStreetMap by ``scripts/build_demo.py``:
© OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..io import read_frame
from ..store import Store
from ..store.responders import ensure_team
from .planning import PlanningService

__all__ = ["DEMO_DIR", "demo_frames", "load_demo", "DEMO_STREET_CODE", "DEMO_PLAN_NAME"]

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "boundaries"
DEMO_STREET_CODE = "310115005"
DEMO_PLAN_NAME = "陆家嘴街道 网格 (演示)"


def demo_frames(directory: Path | None = None) -> dict[str, gpd.GeoDataFrame]:
    directory = Path(directory or DEMO_DIR)
    out = {}
    for name in ("street", "grids", "objects", "roads", "addresses", "microgrids"):
        path = directory / f"lujiazui_{name}.geojson"
        if path.exists():
            out[name] = read_frame(path, datum="cgcs2000")
    return out


#: how the demo partitions each kind of grid: residential by workload (households plus
#: weighted shops/institutions), business into five microgrids each (Lujiazui has 15
#: business microgrids in its three business grids)
DEMO_PARTITION = {"residential": {"target_workload": 300.0}, "business": {"n_microgrids": 5},
                  "mixed": {"target_workload": 300.0}}
#: the public contact shown for every demo team: the street's city-operations hotline,
#: not a person (the demo invents no personal data)
DEMO_CONTACT = {"role": "网格长", "office": "陆家嘴街道城运中心", "office_phone": "12345",
                "hours": "工作日 9:00-17:30", "note": "演示数据"}


def load_demo(store: Store, *, directory: Path | None = None, actor: str = "demo",
              progress: Callable[[str], None] | None = None, partition: bool = True) -> int:
    """Load the demo into ``store``, partition its grids into microgrids and activate it.

    Returns the plan id. Does nothing (returns the existing id) when an active
    plan for the demo street exists already. The plan is built as a draft and
    activated only when complete; if anything fails, the draft is deleted.
    """
    say = progress or (lambda _msg: None)
    existing = store.active_plan(DEMO_STREET_CODE)
    if existing is not None:
        say(f"demo already loaded (plan {existing['id']})")
        return int(existing["id"])
    frames = demo_frames(directory)
    areas = pd.concat([frames["street"], frames["grids"]], ignore_index=True)
    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=frames["street"].crs)
    with store.write() as conn:
        say("plan")
        plan_id = store.create_plan(conn, name=DEMO_PLAN_NAME, street_code=DEMO_STREET_CODE,
                                    actor=actor, description="© OpenStreetMap contributors, ODbL 1.0",
                                    attrs={"attribution": "© OpenStreetMap contributors"})
        say(f"{len(areas)} areas")
        store.add_areas(conn, plan_id, areas, actor=actor)
        say(f"{len(frames['objects'])} objects")
        store.upsert_objects(conn, frames["objects"], actor=actor)
        say(f"{len(frames['roads'])} roads")
        store.add_roads(conn, frames["roads"])
        if "addresses" in frames:
            say(f"{len(frames['addresses'])} address points")
            store.add_addresses(conn, frames["addresses"].assign(source="osm"))
    try:
        if partition:
            planning = PlanningService(store)
            for _, grid in frames["grids"].iterrows():
                out = planning.partition_grid(plan_id, grid["id"], actor=actor,
                                              **DEMO_PARTITION.get(grid["kind"], {}))
                say(f"{grid['name']}: {out['microgrids']} microgrids, "
                    f"CV {out['report'].get('workload', {}).get('cv', float('nan')):.3f}")
        with store.write() as conn:
            codes = store.areas(plan_id, conn=conn)[["code", "name", "level"]]
            for code, name, level in codes.itertuples(index=False):
                if code and level in ("grid", "microgrid"):
                    ensure_team(conn, code, f"{name} 网格团队", DEMO_CONTACT)
        store.activate_plan(plan_id, actor=actor)
    except Exception:
        store.delete_plan(plan_id, actor=actor)
        raise
    say(f"plan {plan_id} active")
    return plan_id
