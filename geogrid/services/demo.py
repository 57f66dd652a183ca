"""Load the Lujiazui demo street (data/boundaries) into a store.

The files are built from OpenStreetMap by ``scripts/build_demo.py``:
© OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ..communities import derive_communities, pro_rata_quota
from ..crs import metric_crs
from ..io import read_frame
from ..store import Store
from ..store.responders import ensure_team, place_responder
from .planning import PlanningService

__all__ = ["DEMO_DIR", "demo_frames", "load_demo", "DEMO_STREET_CODE", "DEMO_PLAN_NAME",
           "demo_communities", "holding_nodes", "covered_km2", "demo_phone",
           "demo_responder_name", "STREET_KM2", "REPORTED_MICROGRIDS"]

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "boundaries"
DEMO_STREET_CODE = "310115005"
DEMO_PLAN_NAME = "陆家嘴街道 网格 (演示)"


def demo_frames(directory: Path | None = None) -> dict[str, gpd.GeoDataFrame]:
    directory = Path(directory or DEMO_DIR)
    out = {}
    for name in ("street", "grids", "objects", "roads", "addresses", "microgrids", "data_extent"):
        path = directory / f"lujiazui_{name}.geojson"
        if path.exists():
            out[name] = read_frame(path, datum="cgcs2000")
    return out


#: the street's published land area (km²) and the microgrids it reports per kind of grid
#: (3 residential grids: 252 microgrids; 3 business grids: 15)
STREET_KM2 = 6.89
REPORTED_MICROGRIDS = {"residential": 252, "business": 15}
#: demo teams' public contact: the street office, with a fictional number from the
#: 021-5550xxxx range (plainly demo data: no real line, no 12345 for everyone); the role
#: says so too, as the public view shows only role, number and hours
DEMO_CONTACT = {"role": "网格长 (演示数据 / demo data)", "office": "陆家嘴街道城运中心",
                "hours": "工作日 9:00-17:30", "note": "演示数据, 号码虚构 / demo data, fictional number"}
DEMO_PHONE_PREFIX = "021-5550"


def demo_phone(serial: int) -> str:
    """The fictional number of demo team ``serial`` (021-5550 0001 …)."""
    return f"{DEMO_PHONE_PREFIX}{serial:04d}"


def demo_responder_name(serial: int) -> str:
    """The demo 网格员 number ``serial``: ``演示网格员001`` (no invented personal name)."""
    return f"演示网格员{serial:03d}"


def covered_km2(street: gpd.GeoDataFrame) -> float:
    """Area of the demo street (the part of 陆家嘴街道 the map data cover), km²."""
    return float(street.to_crs(metric_crs(street)).area.sum() / 1e6)


def demo_communities(frames: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """The derived 居民区 / 商务区 of the demo, each with its microgrid quota in ``n_microgrids``.

    The quota of each kind is the reported count scaled to the covered share of the
    street's area (:func:`~geogrid.communities.pro_rata_quota`), shared among that
    kind's communities by estimated households (residential) or objects (business).
    """
    objects = frames["objects"]
    compounds = objects[objects["type"] == "compound"][["id", "name", "geometry"]]
    communities = derive_communities(frames["grids"], compounds)
    at = objects.geometry.representative_point()
    km2 = covered_km2(frames["street"])
    quota: dict[str, int] = {}
    inside = [objects[at.within(geom).to_numpy()] for geom in communities.geometry]
    communities["n_objects"] = [len(o) for o in inside]
    for kind, reported in REPORTED_MICROGRIDS.items():
        weights = {cid: float(o["households"].sum()) if kind == "residential" else float(len(o))
                   for cid, k, o in zip(communities["id"], communities["kind"], inside) if k == kind}
        quota.update(pro_rata_quota(reported, km2, STREET_KM2, weights))
    communities["n_microgrids"] = communities["id"].map(quota).astype(int)
    return communities


#: how far (deg, about 1 cm) a parent's boundary may move to take its children's nodes:
#: snap-rounding to the 1e-7° grid moves a node by at most half a step on each axis
NODE_MOVE_DEG = 1e-7


def holding_nodes(parents: gpd.GeoDataFrame, children: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``parents`` whose boundaries hold the nodes their derived children put on them.

    The derived 居民区/商务区 are snap-rounded to 1e-7°
    (:func:`geogrid.communities.derive_communities`), which moves a node where two of them meet a grid's long slanted edge off that edge by up
    to 0.5e-7° (about 5 mm); along a 2 km edge of the data extent that leaves a hairline of
    about 2 m² between the grid and its communities. Each parent becomes the union of its
    children when that moves its boundary by at most :data:`NODE_MOVE_DEG` (else it is kept,
    and validation reports the difference), so the children tile it exactly. The street then
    takes the grids' nodes the same way.
    """
    out = parents.copy()
    geoms = list(out.geometry.values)
    for k, pid in enumerate(out["id"]):
        kids = children.geometry.values[(children["parent_id"] == pid).to_numpy()]
        if not len(kids):
            continue
        union = shapely.set_precision(shapely.union_all(kids), 1e-7)
        if shapely.hausdorff_distance(union, geoms[k]) <= NODE_MOVE_DEG:
            geoms[k] = shapely.MultiPolygon(
                [p for p in shapely.get_parts(union) if p.geom_type == "Polygon"])
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))


def load_demo(store: Store, *, directory: Path | None = None, actor: str = "demo",
              progress: Callable[[str], None] | None = None, partition: bool = True) -> int:
    """Load the demo into ``store``, partition its communities into microgrids and activate it.

    Returns the plan id. Does nothing (returns the existing id) when an active
    plan for the demo street exists already. The plan is built as a draft and
    activated only when complete; if anything fails, the draft is deleted.
    """
    say = progress or (lambda _msg: None)
    existing = store.active_plan(DEMO_STREET_CODE)
    if existing is not None:
        pid = existing["id"]
        say(f"演示数据已载入（方案 {pid}）/ demo already loaded (plan {pid})")
        return int(existing["id"])
    frames = demo_frames(directory)
    communities = demo_communities(frames)
    grids = holding_nodes(frames["grids"], communities)
    areas = pd.concat([holding_nodes(frames["street"], grids), grids,
                       communities.drop(columns=["n_microgrids", "n_objects"])], ignore_index=True)
    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=frames["street"].crs)
    areas["attrs"] = [a if isinstance(a, dict) else {} for a in areas["attrs"]]
    with store.write() as conn:
        say("方案 / plan")
        plan_id = store.create_plan(conn, name=DEMO_PLAN_NAME, street_code=DEMO_STREET_CODE,
                                    actor=actor, description="© OpenStreetMap contributors, ODbL 1.0",
                                    attrs=_plan_attrs(frames))
        say(f"{len(areas)} 个区域 / areas")
        store.add_areas(conn, plan_id, areas, actor=actor)
        say(f"{len(frames['objects'])} 个管理对象 / objects")
        store.upsert_objects(conn, frames["objects"], actor=actor)
        say(f"{len(frames['roads'])} 条道路 / roads")
        store.add_roads(conn, frames["roads"])
        if "addresses" in frames:
            say(f"{len(frames['addresses'])} 个地址点 / address points")
            store.add_addresses(conn, frames["addresses"].assign(source="osm"))
    try:
        if partition:
            _partition(PlanningService(store), plan_id, communities, actor, say)
        with store.write() as conn:
            _teams(store, conn, plan_id)
        store.activate_plan(plan_id, actor=actor)
    except Exception:
        store.delete_plan(plan_id, actor=actor)
        raise
    say(f"方案 {plan_id} 已启用 / plan {plan_id} active")
    return plan_id


def _partition(planning: PlanningService, plan_id: int, communities: gpd.GeoDataFrame,
               actor: str, say: Callable[[str], None]) -> None:
    """Partition each community into its quota. A community with fewer cells than its
    quota yields fewer microgrids; the shortfall passes to the next community of its kind
    (those with the most objects come last), so each kind's total stays the quota's."""
    order = communities.sort_values(["kind", "n_objects"], kind="stable")
    short = {kind: 0 for kind in REPORTED_MICROGRIDS}
    for cid, name, kind, n in zip(order["id"], order["name"], order["kind"], order["n_microgrids"]):
        want = int(n) + short.get(kind, 0)
        out = planning.partition_grid(plan_id, cid, actor=actor, n_microgrids=want)
        short[kind] = want - int(out["microgrids"])
        say(f"{name}: {out['microgrids']} 个微网格 / {out['microgrids']} microgrids, "
            f"CV {out['report'].get('workload', {}).get('cv', float('nan')):.3f}")


def _teams(store: Store, conn, plan_id: int) -> None:
    """A team per grid and microgrid, each with its own fictional number; every microgrid
    team gets one 专职网格员 standing inside its microgrid, so routing works at once. The
    网格员 are numbered, not named (``演示网格员001``): unique, and plainly not a person."""
    areas = store.areas(plan_id, conn=conn)
    areas = areas[areas["level"].isin(["grid", "microgrid"]) & areas["code"].notna()]
    areas = areas.sort_values("code")
    spots = areas.geometry.representative_point()
    placed = 0
    for serial, (code, name, level, spot) in enumerate(
            zip(areas["code"], areas["name"], areas["level"], spots), start=1):
        phone = demo_phone(serial)
        team = ensure_team(conn, code, f"{name} 网格团队",
                           {**DEMO_CONTACT, "office_phone": phone})
        if level == "microgrid":
            placed += 1
            place_responder(conn, team, name=demo_responder_name(placed), role="专职网格员",
                            phone=phone, lon=float(spot.x), lat=float(spot.y))


def _plan_attrs(frames: dict[str, gpd.GeoDataFrame]) -> dict:
    """The plan's attribution and its data-extent lines (edges where the extract was cut,
    flagged ``real_boundary: false``), which the maps draw apart from the street boundary."""
    attrs = {"attribution": "© OpenStreetMap contributors"}
    if "data_extent" in frames:
        attrs["data_extent"] = json.loads(frames["data_extent"].to_json(drop_id=True))
    return attrs
