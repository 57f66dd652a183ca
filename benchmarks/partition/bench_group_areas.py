"""楼组 areas: the tiling ones against the cell unions they replace, time and result.

``group_areas`` runs on every partition and every edit of a grid. The version before
gave each 楼组 the union of its members' cells, clipped to its microgrid: 楼组 that
overlapped (the estimated 楼组 of one compound all got the compound's whole area) and
left gaps (streets, shops, squares in no 楼组). The current one shares the cells out
(:mod:`geogrid.partition.group_tiles`). Both run on the same partition results, A B
alternated (:func:`benchmarks._paired.paired`); the table adds what each leaves,
measured in UTM 51N: area covered twice and area of the microgrids in no 楼组, in m², and whole
child processes (partition + 楼组) with their peak memory.

Inputs: a real stretch of Lujiazui from the OpenStreetMap extract (© OpenStreetMap
contributors, ODbL 1.0; 上港小区, 三航小区 with footprints, 崂山四/五村 and 招远小区
without) in 2 microgrids, and the demo's 崂山住区 and 梅园住区 repartitioned into 8 and 4.

    python -m benchmarks.partition.bench_group_areas --rounds 10
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from benchmarks._paired import format_table, paired, python_argv, whole_process
from geogrid.partition import partition
from geogrid.partition.groups import group_areas

OSM = Path(__file__).resolve().parents[2] / "data" / "osm" / "lujiazui"
DEMO = Path(__file__).resolve().parents[2] / "data" / "boundaries"
REAL_BOX = (121.5050, 31.2350, 121.5150, 31.2415)


def cell_unions(result, mg_uid: dict) -> gpd.GeoDataFrame:
    """The version before: each 楼组 the union of its members' cells, clipped to its
    microgrid (a compound's own footprint where it has no cell there)."""
    objs = result.objects
    cell_of = dict(zip(objs["id"].astype(str), objs["cell"]))
    obj_geom = dict(zip(objs["id"].astype(str), objs.geometry.values))
    cell_geom = dict(zip(result.cells["cell"], result.cells.geometry.values))
    home = dict(zip(result.microgrids["id"], result.microgrids.geometry.values))
    rows, geoms = [], []
    for g in result.groups.itertuples():
        members = [str(o) for o in g.object_ids]
        cells = sorted({cell_of[o] for o in members if o in cell_of})
        parent, inside = mg_uid.get(g.microgrid), home.get(g.microgrid)
        if not cells or parent is None or inside is None:
            continue
        geom = shapely.intersection(shapely.union_all([cell_geom[c] for c in cells]), inside)
        if geom.is_empty:
            geom = shapely.intersection(shapely.union_all(
                [obj_geom[o] for o in members if o in obj_geom]), inside)
        rows.append({"id": f"{parent}-{g.group_id}", "parent_id": parent})
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=result.cells.crs)


def cases() -> dict:
    """name → (parent, objects, roads, n_microgrids)."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if OSM.exists():
            box = shapely.box(*REAL_BOX)
            bldg = gpd.read_file(OSM / "buildings.geojson", bbox=REAL_BOX)
            land = gpd.read_file(OSM / "landuse.geojson", bbox=REAL_BOX)
            roads = gpd.read_file(OSM / "roads.geojson", bbox=REAL_BOX)
            bldg = bldg[(bldg.geom_type == "Polygon") & bldg.representative_point().within(box)]
            comp = land[(land["kind"] == "residential") & (land.geom_type == "Polygon")]
            comp = comp.geometry.intersection(box)
            comp = comp[~comp.is_empty]
            objs = gpd.GeoDataFrame({
                "id": [f"b{i}" for i in bldg["id"]] + [f"c{i}" for i in range(len(comp))],
                "type": ["building"] * len(bldg) + ["compound"] * len(comp),
                "height": list(bldg["height"]) + [np.nan] * len(comp)},
                geometry=[*bldg.geometry.values, *comp.values], crs="EPSG:4490")
            lines = roads[roads.geom_type.isin(["LineString", "MultiLineString"])]
            lines = gpd.GeoDataFrame({"id": [f"r{i}" for i in range(len(lines))],
                                      "kind_detail": lines["kind_detail"].to_numpy()},
                                     geometry=np.asarray(lines.geometry.values, dtype=object),
                                     crs="EPSG:4490")
            out["OSM 上港/三航/崂山 box, 2 microgrids"] = (
                gpd.GeoSeries([box], crs="EPSG:4490"), objs, lines, 2)
        grids = gpd.read_file(DEMO / "lujiazui_grids.geojson")
        objects = gpd.read_file(DEMO / "lujiazui_objects.geojson")
        roads = gpd.read_file(DEMO / "lujiazui_roads.geojson")
    for name, n in (("崂山住区", 8), ("梅园住区", 4)):
        g = grids[grids["name"] == name]
        out[f"demo {name}, {n} microgrids"] = (
            g, objects[objects.intersects(g.geometry.iloc[0])], roads, n)
    return out


def leftovers(result, areas: gpd.GeoDataFrame) -> tuple[float, float]:
    """(m² covered by two 楼组 of one microgrid, m² of their microgrids in none), UTM 51N."""
    mgs = result.microgrids.set_index("id").to_crs(32651).geometry
    groups = areas.to_crs(32651)
    twice = gap = 0.0
    for parent, kids in groups.groupby("parent_id"):
        geoms = kids.geometry.to_numpy()
        twice += sum(float(shapely.intersection(geoms[i], geoms[j]).area)
                     for i in range(len(geoms)) for j in range(i + 1, len(geoms)))
        gap += float(shapely.difference(mgs[int(parent)], shapely.union_all(geoms)).area)
    return twice, gap


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--processes", type=int, default=3)
    ap.add_argument("--child", choices=["before", "tiles"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:   # one whole process: the partitions and their 楼组 once
        make = cell_unions if args.child == "before" else group_areas
        for parent, objs, roads, n in cases().values():
            res = partition(parent, objs, roads, n_microgrids=n, measure_rules=False)
            make(res, {i: i for i in res.microgrids["id"]})
        return
    rows = []
    for name, (parent, objs, roads, n) in cases().items():
        res = partition(parent, objs, roads, n_microgrids=n, measure_rules=False)
        uid = {i: i for i in res.microgrids["id"]}
        row = paired("cell unions (before)", lambda i: cell_unions(res, uid),
                     "tiling 楼组", lambda i: group_areas(res, uid), rounds=args.rounds,
                     label=f"{name}: {len(res.groups)} 楼组, {len(res.cells)} cells")
        before, after = leftovers(res, cell_unions(res, uid)), leftovers(res, group_areas(res, uid))
        row.extra.update({"before_twice_m2": round(before[0]), "before_gap_m2": round(before[1]),
                          "tiles_twice_m2": round(after[0], 2), "tiles_gap_m2": round(after[1], 2)})
        rows.append(row)
    print(format_table("楼组 areas per partition result", rows))
    for r in rows:
        print(f"  {r.label}: {r.extra}")
    proc = whole_process("before", python_argv("-m", "benchmarks.partition.bench_group_areas",
                                                "--child", "before"),
                         "tiles", python_argv("-m", "benchmarks.partition.bench_group_areas",
                                              "--child", "tiles"),
                         rounds=args.processes, label="whole process: 3 partitions + 楼组")
    print(format_table("whole process", [proc], unit="s"))


if __name__ == "__main__":
    sys.exit(main())
