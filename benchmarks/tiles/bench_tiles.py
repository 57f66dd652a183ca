"""Vector-tile benchmark: z=15 tile time on both stores, and GeoJSON size against tile size.

Run ``python -m benchmarks.tiles.bench_tiles [--quick] [--city N] [--repeat R]``.

Plans
    * ``demo``: the Lujiazui demo street (street, 6 grids, its microgrids and
      building groups), loaded with :func:`geogrid.store.demo.load_demo`.
    * ``city``: a synthetic city plan of ``N`` microgrids (Voronoi cells of
      random seeds over 30 × 28 km of Shanghai) in ``N / 60`` grids, to show
      what does and does not grow with the plan.

Measures, per plan and store
    * time to build one z=15 tile (``render_tile``: ``ST_AsMVT`` on PostGIS,
      the Python encoder on SpatiaLite; no cache), p50 and p99 over the 3 × 3
      tiles around the plan's centre, each built ``repeat`` times;
    * the inline GeoJSON of the whole plan (what ``/`` would embed: every
      area, 1e-6° coordinates), raw and gzipped, against the mean z=15 tile
      and the tiles a 1280 × 860 view at z=15 needs (about 6 × 5), raw and
      gzipped.

The PostGIS store is a throwaway cluster (:class:`tests.support.pgcluster.PgCluster`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geogrid.store import Store
from geogrid.store.tiles import render_tile

from .._paired import format_table, paired

__all__ = ["main", "make_city", "run", "table"]

Z = 15
VIEW_TILES = (6, 5)  # a 1280 × 860 view is about 5 × 3.4 tiles wide; partial tiles count


def make_city(n: int, seed: int = 3) -> gpd.GeoDataFrame:
    """A synthetic city plan: one street, ``n // 60`` grids and ``n`` microgrids (EPSG:4490)."""
    rng = np.random.default_rng(seed)
    box = shapely.box(121.30, 31.10, 121.62, 31.35)
    minx, miny, maxx, maxy = box.bounds

    def cells(k: int) -> tuple[np.ndarray, np.ndarray]:
        pts = shapely.points(rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k))
        vor = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box))
        vor = shapely.intersection(vor, box)
        # voronoi_polygons does not keep the seeds' order: match each cell to its seed
        tree = shapely.STRtree(vor)
        idx = tree.query(pts, predicate="intersects")
        order = np.full(k, -1)
        order[idx[0]] = idx[1]
        return pts, vor[order]

    n_grids = max(n // 60, 1)
    _, grids = cells(n_grids)
    mpts, mgs = cells(n)
    parent = shapely.STRtree(grids).query(mpts, predicate="within")
    mg_parent = np.zeros(n, dtype=int)
    mg_parent[parent[0]] = parent[1]
    rows = [{"id": "street-city", "level": "street", "name": "演示城市", "code": "310115",
             "kind": "mixed", "parent_id": None, "geometry": box}]
    rows += [{"id": f"grid-{i:05d}", "level": "grid", "name": f"网格{i}", "code": f"310115{i:06d}",
              "kind": "residential", "parent_id": "street-city", "geometry": g}
             for i, g in enumerate(grids)]
    rows += [{"id": f"mg-{i:06d}", "level": "microgrid", "name": f"微网格{i}",
              "code": f"310115{mg_parent[i]:06d}{i:06d}", "kind": "residential",
              "parent_id": f"grid-{mg_parent[i]:05d}", "geometry": g}
             for i, g in enumerate(mgs)]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4490)


def _load(store: Store, city: gpd.GeoDataFrame | None) -> int:
    if city is None:
        from geogrid.store.demo import load_demo

        return load_demo(store)
    with store.write() as conn:
        plan_id = store.create_plan(conn, name="bench city", street_code="310115999")
        store.add_areas(conn, plan_id, city)
    return plan_id


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    return (int((lon + 180.0) / 360.0 * n),
            int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n))


def _geojson_bytes(areas: gpd.GeoDataFrame) -> bytes:
    geoms = shapely.set_precision(areas.geometry.values, 1e-6)
    props = areas[["id", "name", "code", "level", "kind", "parent_id"]].astype(object)
    props = props.where(props.notna(), None).to_dict("records")
    feats = [{"type": "Feature", "id": p["id"], "properties": p, "geometry": json.loads(g)}
             for p, g in zip(props, shapely.to_geojson(geoms))]
    return json.dumps({"type": "FeatureCollection", "features": feats},
                      ensure_ascii=False, separators=(",", ":")).encode()


def _ring(areas: gpd.GeoDataFrame) -> tuple[int, int, list[tuple[int, int]]]:
    """The centre tile of the plan at :data:`Z` and the 3 × 3 tiles around it."""
    minx, miny, maxx, maxy = areas.total_bounds
    cx, cy = _tile_of((minx + maxx) / 2, (miny + maxy) / 2, Z)
    return cx, cy, [(cx + dx, cy + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


def _sizes(store: Store, plan_id: int, areas: gpd.GeoDataFrame) -> dict:
    """Mean tile size, raw and gzipped, and the bytes of one 1280 × 860 view at :data:`Z`."""
    cx, cy, ring = _ring(areas)
    w, h = VIEW_TILES
    view = [render_tile(store, plan_id, Z, cx + dx, cy + dy)
            for dx in range(-(w // 2), w - w // 2) for dy in range(-(h // 2), h - h // 2)]
    ring_bodies = [render_tile(store, plan_id, Z, x, y) for x, y in ring]
    return {"tile_bytes": float(np.mean([len(b) for b in ring_bodies])),
            "tile_gzip_bytes": float(np.mean([len(gzip.compress(b)) for b in ring_bodies])),
            "view_bytes": sum(len(b) for b in view),
            "view_gzip_bytes": sum(len(gzip.compress(b)) for b in view if b)}


def _measure(stores: dict[str, tuple[Store, int]], areas: gpd.GeoDataFrame, repeat: int,
             plan: str = "") -> dict:
    """Tile times per store; with two stores they alternate tile by tile (A B, B A, ...)."""
    _, _, ring = _ring(areas)
    tiles = ring * repeat
    for store, plan_id in stores.values():
        render_tile(store, plan_id, Z, *ring[4])  # warm up: connections, PROJ
    names = list(stores)
    fns = [(lambda i, s=stores[n]: render_tile(s[0], s[1], Z, *tiles[i])) for n in names]
    if len(names) == 2:
        pair = paired(names[0], fns[0], names[1], fns[1], rounds=len(tiles), warmup=0,
                      label=f"{plan}, z={Z} tile")
        times = {names[0]: pair.a, names[1]: pair.b}
    else:
        pair, times = None, {names[0]: np.array([_timed(fns[0], i) for i in range(len(tiles))])}
    out: dict = {"paired": pair, "stores": {}}
    for n, (store, plan_id) in stores.items():
        ms = times[n] * 1000
        out["stores"][n] = {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
                            "tiles": len(ms), **_sizes(store, plan_id, areas)}
    return out


def _timed(fn, i: int) -> float:
    t0 = time.perf_counter()
    fn(i)
    return time.perf_counter() - t0


def run(*, quick: bool = False, city: int | None = None, repeat: int | None = None,
        postgis: bool = True) -> dict:
    """Measure both plans on both stores; returns ``{"plans": [...]}`` (see :func:`table`)."""
    from tests.support.pgcluster import PgCluster, postgis_available

    city = city if city is not None else (5_000 if quick else 30_000)
    repeat = repeat or (3 if quick else 10)
    plans = [("demo", None), (f"city ({city:,} microgrids)", make_city(city))]
    cluster = PgCluster(dbname="bench_tiles").start() if postgis and postgis_available() else None
    out = {"z": Z, "repeat": repeat, "plans": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, frame in plans:
                opened = {"spatialite": Store.open(f"sqlite:///{Path(tmp) / (name[:4] + '.sqlite')}")}
                if cluster is not None:
                    opened["postgis"] = Store.open(cluster.url)
                try:
                    stores = {kind: (store, _load(store, frame)) for kind, store in opened.items()}
                    store, plan_id = stores["spatialite"]
                    areas = store.areas(plan_id)
                    row: dict = {"plan": name, **_measure(stores, areas, repeat, name)}
                finally:
                    for store in opened.values():
                        store.dispose()
                geo = _geojson_bytes(areas)
                row.update(areas=len(areas), geojson_bytes=len(geo),
                           geojson_gzip_bytes=len(gzip.compress(geo)))
                out["plans"].append(row)
    finally:
        if cluster is not None:
            cluster.stop()
    return out


def table(result: dict) -> str:
    kib = 1024.0
    header = (f"{'plan':<28} {'store':<11} {'p50 ms':>7} {'p99 ms':>7} {'tile KiB':>9} "
              f"{'gz':>6} {'view KiB':>9} {'gz':>7} {'GeoJSON KiB':>12} {'gz':>8}")
    lines = [f"vector tiles, z={result['z']} (3×3 tiles around the centre × {result['repeat']})",
             header]
    for p in result["plans"]:
        for kind, s in p["stores"].items():
            lines.append(
                f"{p['plan']:<28} {kind:<11} {s['p50_ms']:7.1f} {s['p99_ms']:7.1f} "
                f"{s['tile_bytes'] / kib:9.1f} {s['tile_gzip_bytes'] / kib:6.1f} "
                f"{s['view_bytes'] / kib:9.1f} {s['view_gzip_bytes'] / kib:7.1f} "
                f"{p['geojson_bytes'] / kib:12.0f} {p['geojson_gzip_bytes'] / kib:8.0f}")
    lines.append("tile: mean z=15 tile; view: the ~6×5 tiles of a 1280×860 view at z=15; "
                 "GeoJSON: the whole plan inlined (1e-6°)")
    pairs = [p["paired"] for p in result["plans"] if p.get("paired") is not None]
    if pairs:
        lines.append(format_table("SpatiaLite against PostGIS, tile by tile alternated "
                                  "(B/A < 1: PostGIS faster)", pairs))
    return "\n".join(lines)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a 5,000-microgrid city, 3 repeats")
    ap.add_argument("--city", type=int, default=None, help="microgrids in the synthetic city")
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--no-postgis", action="store_true")
    args = ap.parse_args(argv)
    result = run(quick=args.quick, city=args.city, repeat=args.repeat,
                 postgis=not args.no_postgis)
    print(table(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
